"""completions/ is generated from the app and current; the scripts complete live values."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import gen_completions  # noqa: E402


def test_the_completion_scripts_are_current():
    for name, text in gen_completions.render().items():
        assert (ROOT / "completions" / name).read_text() == text, (
            f"completions/{name} is stale: run python scripts/gen_completions.py"
        )


def test_every_command_is_in_every_script():
    paths = {c.path for c in gen_completions.commands() if c.path}
    assert {"create", "tasks list", "assets groups create", "profiles use", "chain", "sim"} <= paths
    for name in gen_completions.SCRIPTS:
        text = (ROOT / "completions" / name).read_text()
        for path in paths:
            assert path.split()[-1] in text


@pytest.fixture
def shell(world, tmp_path):
    """Run bash completion for a command line, with `seedance` on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "seedance"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m seedance "$@"\n')
    shim.chmod(0o755)
    environ = {**world.environ, "PATH": f"{bin_dir}:{world.environ['PATH']}"}

    def complete(line: str) -> list[str]:
        words = line.split(" ")
        script = (
            f"source {ROOT / 'completions' / 'seedance.bash'}\n"
            f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
            "_seedance; printf '%s\\n' \"${COMPREPLY[@]}\""
        )
        done = subprocess.run(
            ["bash", "-c", script],
            capture_output=True,
            text=True,
            env=environ,
            cwd=world.root,
            timeout=30,
            check=True,
        )
        return [w for w in done.stdout.splitlines() if w]

    return complete


def test_bash_completes_commands_options_and_live_values(shell, world):
    world.write_profiles({"profiles": {"intl": {"preset": "byteplus"}}})
    assert shell("seedance cre") == ["create"]
    assert shell("seedance tasks ") == ["list"]
    assert "--first-frame" in shell("seedance create --fi")
    assert shell("seedance -p in") == ["intl"]
    assert "dreamina-seedance-2-0-fast" in shell("seedance create x -m dreamina-seedance-2-0-f")
    assert shell("seedance profiles add x --preset kapon") == ["kapon", "kapon-native"]
    assert shell("seedance tasks list --status su") == ["succeeded"]
    assert "--json" in shell("seedance wait --j")  # global options everywhere


def test_complete_lists_recent_task_ids(run, sim, world):
    task_id = run("create", "a boat").stdout.strip()
    from seedance.cli.complete import candidates

    assert candidates("tasks", world.environ) == [task_id]
    assert "sim-byteplus" in candidates("profiles", world.environ)
    assert candidates("nonsense", world.environ) == []
