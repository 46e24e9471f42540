"""A newcomer's first commands (issue 28): help without an error, a mistyped command that
says what it may mean, resolutions in any case, a dry run without internals, completion
scripts printed, one clear line on a system that is not POSIX."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("args", [[], ["tasks"], ["profiles"]])
def test_a_bare_command_shows_its_help_and_exits_0(world, args):
    result = world.run(*args)
    assert result.exit_code == 0, result
    assert result.stdout.startswith("Usage: seedance"), result.stdout
    assert result.stderr == ""
    last = result.stdout.rstrip("\n").splitlines()[-1]
    assert "see `seedance" not in last and "error" not in result.stdout


def test_a_mistyped_command_names_the_one_meant(world):
    result = world.run("creat", "a boat")
    assert result.exit_code == 2
    assert result.stderr == "error: No such command 'creat'; did you mean `seedance create`?\n"


def test_a_resolution_in_upper_case_is_the_same_resolution(world, sim):
    result = world.run("--json", "create", "a boat", "-r", "720P", "-m", "fast", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["resolution"] == "720p"
    assert world.run("create", "a boat", "-r", "4K", "--dry-run").exit_code == 0


def test_a_dry_run_prints_no_internal_line(world, sim):
    result = world.run("create", "a boat", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "expires-after" not in result.stderr and "identity" not in result.stderr
    assert sim.requests == []


@pytest.mark.parametrize(
    ("shell", "name"), [("bash", "seedance.bash"), ("zsh", "_seedance"), ("fish", "seedance.fish")]
)
def test_completion_prints_the_shipped_script(world, shell, name):
    result = world.run("completion", shell)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (ROOT / "completions" / name).read_text()
    assert result.stderr == ""  # eval "$(seedance completion bash)" in ~/.bashrc prints nothing


def test_another_platform_gets_one_clear_line():
    import subprocess
    import sys

    code = (  # in a process of its own: os.name "nt" in this one would upset pathlib
        "import os, sys\nos.name = 'nt'  # as on Windows\n"
        "from seedance.cli import entry\nsys.argv = ['seedance', '-p', 'demo', 'doctor']\n"
        "entry.main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr.count("\n") == 1 and "POSIX" in done.stderr and "fcntl" in done.stderr


def test_the_library_on_another_platform_says_posix_when_imported():
    import subprocess
    import sys

    code = (
        "import sys\nsys.modules['fcntl'] = None  # as on Windows\n"
        "try:\n    from seedance import Client\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.startswith("this library runs on POSIX systems only"), done.stdout


def test_batch_and_chain_dry_runs_show_the_same_image_alike(world, sim):
    from support import png

    (world.root / "boat.png").write_bytes(png())
    (world.root / "jobs.jsonl").write_text(
        '{"id": "a", "prompt": "a boat", "first_frame": "boat.png"}\n'
    )
    (world.root / "shots.toml").write_text(
        '[[shots]]\nid = "a"\nprompt = "a boat"\nfirst_frame = "boat.png"\n'
    )
    batch = world.run("batch", "jobs.jsonl", "--dry-run")
    chain = world.run("chain", "shots.toml", "--dry-run")
    assert batch.exit_code == chain.exit_code == 0, batch.stderr + chain.stderr

    def shown(stdout: str) -> set[str]:
        return {part.split('"')[0] for part in stdout.split('"<')[1:]}

    assert shown(batch.stdout) == shown(chain.stdout) != set()
    assert next(iter(shown(batch.stdout))).startswith("boat.png, ")


def test_profiles_show_with_none_selected_prints_where_profiles_go(world):
    result = world.run("profiles", "show")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"file: {world.config_dir / 'profiles.toml'}\n"
    assert "no profile selected" in result.stderr and "profiles add" in result.stderr
    assert world.run("profiles", "show", "nope").exit_code == 2  # a name given: still an error
