"""`create -o FILE` (and `wait -o FILE`) where FILE exists: the hint is a command that runs,
not an option the command lacks (`--force` is `download`'s and `frames`'): the same command
under a free name (services/outputs.py, cli/wording.py)."""

from __future__ import annotations

import shlex

import pytest


def followed(run, refused) -> tuple[list[str], object]:
    """The command the refusal suggests, and what running it did."""
    assert refused.exit_code == 2, refused.stderr
    line = refused.stderr.strip().splitlines()[-1]
    assert "already exists" in line and ": seedance " in line, line
    hint = shlex.split(line.split(": seedance ", 1)[1])
    return hint, run(*hint)


@pytest.mark.parametrize("spelling", [["-o", "boat.mp4"], ["--output=boat.mp4"]])
def test_create_output_exists_hint_is_a_command_that_runs(run, sim, world, spelling):
    (world.root / "boat.mp4").write_text("my own video")
    (world.root / "boat-2.mp4").write_text("my other video")
    hint, done = followed(run, run("create", "a boat", *spelling))
    assert "--force" not in hint
    assert done.exit_code == 0, done.stderr
    assert (world.root / "boat-3.mp4").read_bytes()[4:8] == b"ftyp"
    assert (world.root / "boat.mp4").read_text() == "my own video"
    assert len(sim.creates()) == 1


def test_wait_output_exists_hint_is_a_command_that_runs(run, sim, world):
    task_id = run("create", "a boat").stdout.strip()
    (world.root / "boat.mp4").write_text("my own video")
    hint, done = followed(run, run("wait", task_id, "-o", "boat.mp4"))
    assert hint[:2] == ["wait", task_id]
    assert done.exit_code == 0, done.stderr
    assert (world.root / "boat-2.mp4").read_bytes()[4:8] == b"ftyp"
