"""A rerun (`chain --rerun`, `batch --rerun`) is made anew once, however often the command
runs: killed once its new task exists, the same command run again follows that task instead
of paying for another (services/reruns.py). Once the rerun has finished, asking again makes a
new take, as asked."""

from __future__ import annotations

import json

import pytest

from support import run_process

STORYBOARD = (
    '[[shots]]\nid = "a"\nprompt = "first"\n'
    '[[shots]]\nid = "b"\nprompt = "second"\n'
    '[[shots]]\nid = "c"\nprompt = "third"\n'
)
# where the rerun is killed: after the server made the new task, before the journal heard of
# it; after the journal did, before the manifest; after the manifest names it
CASES = [
    ("chain", "create-sent"),
    ("chain", "create-created"),
    ("chain", "chain-submitted"),
    ("batch", "create-created"),
    ("batch", "batch-submitted"),
]


def source(world, command: str) -> str:
    (world.root / "s.toml").write_text(STORYBOARD)
    rows = [{"id": "a", "prompt": "first"}, {"id": "b", "prompt": "second", "takes": 2}]
    (world.root / "j.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return "s.toml" if command == "chain" else "j.jsonl"


@pytest.mark.parametrize(("command", "step"), CASES)
def test_interrupted_rerun_run_again_pays_once(world, sim_server, command, step):
    args = ["-p", "sim-byteplus", command, source(world, command), "--concurrency", "1"]
    assert run_process(world, *args).exit_code == 0
    before = len(sim_server.sim.creates())
    killed = run_process(world, *args, "--rerun", "b", crash_at=step)
    assert killed.exit_code == -9
    assert len(sim_server.sim.creates()) == before + 1  # the rerun's first new task, paid
    again = run_process(world, *args, "--rerun", "b")  # the same command, once more
    assert again.exit_code == 0, again.stderr
    made = len(sim_server.sim.creates()) - before
    assert made == 2, f"{made} new tasks paid for one rerun of two videos by '{command}'"


@pytest.mark.parametrize(
    ("command", "step"), [("chain", "chain-submitted"), ("batch", "batch-submitted")]
)
def test_interrupted_rerun_killed_after_its_first_video_is_saved_pays_once(
    world, sim_server, command, step
):
    """Killed at the second new task (shot c after b; take 2 of row b): the first, already
    saved, is not made a third time by the same command run again; once the rerun has
    finished, a rerun asked for again is a new one."""
    args = ["-p", "sim-byteplus", command, source(world, command), "--concurrency", "1"]
    assert run_process(world, *args).exit_code == 0
    before = len(sim_server.sim.creates())
    killed = run_process(world, *args, "--rerun", "b", crash_at=f"{step}#2")
    assert killed.exit_code == -9
    assert len(sim_server.sim.creates()) == before + 2
    again = run_process(world, *args, "--rerun", "b")
    assert again.exit_code == 0, again.stderr
    assert len(sim_server.sim.creates()) == before + 2
    asked_again = run_process(world, *args, "--rerun", "b")  # the rerun has finished
    assert asked_again.exit_code == 0, asked_again.stderr
    assert len(sim_server.sim.creates()) == before + 4
