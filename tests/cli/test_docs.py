"""The manual's generated sections are current, its examples are real commands, its links
lead to files, and the README fits a screen's worth of reading (at most 250 lines)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import typer

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import gen_readme  # noqa: E402


def whole_manual() -> str:
    return "\n".join(page.read_text("utf-8") for page in gen_readme.pages())


def test_the_generated_readme_sections_are_current():
    stale = [str(page.relative_to(ROOT)) for page in gen_readme.stale()]
    assert not stale, f"{stale} stale: run python scripts/gen_readme.py"


def test_the_readme_fits_a_screen_and_the_rest_is_in_docs():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert len(readme.splitlines()) <= 250
    assert "<!-- reference:start -->" in (ROOT / "docs" / "commands.md").read_text("utf-8")


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_every_link_of_the_manual_leads_to_a_file():
    broken = []
    for page in gen_readme.pages():
        for target in LINK.findall(page.read_text("utf-8")):
            if "://" not in target and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken, broken


def test_the_link_check_finds_a_broken_link(tmp_path):
    assert LINK.findall("see [x](docs/nowhere.md#part) and <https://a.b>") == ["docs/nowhere.md"]


def test_every_command_is_in_the_reference():
    from seedance.cli.app import app

    readme = (ROOT / "docs" / "commands.md").read_text()
    root = typer.main.get_command(app).load_all()
    for name in root.commands:
        assert f"### `seedance {name}" in readme


def test_every_example_command_in_the_readme_parses(world):
    """Each `seedance ...` line of the usage examples names real commands and options."""
    readme = whole_manual()
    blocks = [
        readme.split(section)[1].split("```sh")[1].split("```")[0]
        for section in ("## Make videos", "## Review what you made")
    ]
    lines = [line for block in blocks for line in block.strip().splitlines()]
    assert len(lines) > 10
    for line in lines:
        command = line.split("#")[0].strip()
        args = shlex.split(command)[1:]
        result = world.run(*args, "--help") if args else None
        assert result is not None and result.exit_code == 0, (command, result)


def test_the_ci_example_runs_against_the_simulator(world, tmp_path):
    script = ROOT / "examples" / "ci.sh"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "seedance"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m seedance "$@"\n')
    shim.chmod(0o755)
    environ = {
        **world.environ,
        "PATH": f"{bin_dir}:{world.environ['PATH']}",
        "SEEDANCE_CLOCK": "fake",
        "SIM_PORT": "0",
    }
    done = subprocess.run(
        ["bash", str(script)],
        cwd=world.root,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok: storyboard made" in done.stdout
    assert "ok: batch made" in done.stdout


def test_the_command_table_matches_the_commands():
    """--help lists commands from a table (it loads no command module): keep it true."""
    from seedance.cli.app import COMMANDS, app

    root = typer.main.get_command(app).load_all()
    assert set(root.commands) == set(COMMANDS)
    for name, (_module, text) in COMMANDS.items():
        assert (root.commands[name].help or "").split("\n")[0].strip() == text, name
