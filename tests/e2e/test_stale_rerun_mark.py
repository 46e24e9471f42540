"""A rerun mark left on shot c by an interrupted `chain --rerun c` (made from b's take then)
is not honoured by a later `chain --rerun b`: c is made anew from b's new last frame, not
followed to the task made from b's previous take (which once broke the continuity the user
paid b for). The mark says which parent take the shot continues from (services/reruns.py
`RerunMark.made_from`, services/runs/engine.py `Engine._anew`). The new mark is then
honoured as any: the `--rerun b` killed once c's new task exists pays no more run again."""

from __future__ import annotations

import json

from support import run_process

STORYBOARD = (
    '[[shots]]\nid = "a"\nprompt = "first"\n'
    '[[shots]]\nid = "b"\nprompt = "second"\n'
    '[[shots]]\nid = "c"\nprompt = "third"\n'
)
ARGS = ["-p", "sim-byteplus", "chain", "s.toml", "--concurrency", "1"]


def _shots(world) -> dict:
    return json.loads((world.root / "s" / "chain.json").read_text())["shots"]


def _with_a_stale_mark_on_c(world) -> str:
    """The storyboard made, then `--rerun c` killed once c's new task exists: its task."""
    (world.root / "s.toml").write_text(STORYBOARD)
    assert run_process(world, *ARGS).exit_code == 0
    killed = run_process(world, *ARGS, "--rerun", "c", crash_at="chain-submitted")
    assert killed.exit_code == -9
    assert _shots(world)["c"].get("rerun"), "the interrupted rerun left no mark"
    return _shots(world)["c"]["task_id"]


def test_rerun_of_parent_after_interrupted_rerun_of_child_remakes_the_child(world, sim_server):
    c_from_old_b = _with_a_stale_mark_on_c(world)
    b_before = _shots(world)["b"]["task_id"]
    before = len(sim_server.sim.creates())

    remade = run_process(world, *ARGS, "--rerun", "b")  # b anew, and c after it
    assert remade.exit_code == 0, remade.stderr
    shots = _shots(world)
    assert shots["b"]["task_id"] != b_before
    made = len(sim_server.sim.creates()) - before
    assert shots["c"]["task_id"] != c_from_old_b, (
        "shot c kept the task made from b's previous take: it does not continue from b's "
        f"new take ({made} new task(s) for a rerun of b and c)"
    )
    assert made == 2
    assert not shots["b"].get("rerun") and not shots["c"].get("rerun")  # settled


def test_the_renewed_mark_is_honoured_when_the_rerun_is_interrupted_again(world, sim_server):
    _with_a_stale_mark_on_c(world)
    before = len(sim_server.sim.creates())
    killed = run_process(world, *ARGS, "--rerun", "b", crash_at="chain-submitted#2")
    assert killed.exit_code == -9
    assert len(sim_server.sim.creates()) == before + 2  # b anew, and c from it
    c_from_new_b = _shots(world)["c"]["task_id"]

    again = run_process(world, *ARGS, "--rerun", "b")  # the same command, once more
    assert again.exit_code == 0, again.stderr
    assert len(sim_server.sim.creates()) == before + 2, "the rerun of b and c paid again"
    assert _shots(world)["c"]["task_id"] == c_from_new_b
