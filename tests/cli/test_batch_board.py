"""The batch's live display: one summary bar and the takes at work, within 80 columns."""

from __future__ import annotations

from rich.console import Console

from seedance.cli.batch import BatchBoard
from support import World


def test_the_board_says_what_runs_and_what_waits_within_80_columns(world: World, sim) -> None:
    env = world.environment()
    client = env.client()
    rows = [{"id": f"a-rather-long-row-name-{n}", "prompt": f"p {n}", "takes": 2} for n in range(6)]
    session = client.batches.plan(rows, output=world.root / "out", dry_run=True)
    board = BatchBoard(env, session.plan, session.manifest)
    keys = [t.key for t in session.plan.takes]
    board.event(keys[0], "done", "")
    board.event(keys[1], "failed", "OutputVideoSensitiveContentDetected: ...")
    board.event(keys[2], "running", "45%")
    board.event(keys[3], "submitted", "cgt-20260611124121-abcde")
    board.event(keys[4], "waiting", "10 of 10 tasks unfinished on this account")
    world.clock.advance(120)
    console = Console(width=80, record=True, color_system=None)
    console.print(board)
    lines = console.export_text().splitlines()
    assert lines[0].startswith("█░░░") and "1/12 done" in lines[0] and "ETA" in lines[0]
    assert lines[1].startswith("2 running · 1 waiting for a slot · 1 failed · 7 to start")
    assert any(
        line.startswith("a-rather-long-…-name-1#1") and "running 45%" in line for line in lines
    )
    assert all(len(line) <= 80 for line in lines)
    wide = Console(width=120, record=True, color_system=None)
    wide.print(board)
    assert any("cgt-20260611124121-abcde" in line for line in wide.export_text().splitlines())


def test_each_take_at_work_shows_its_time_time_left_and_own_cost(world: World, sim) -> None:
    """Issue 28: the takes' rows said their state alone."""
    env = world.environment()
    rows = [
        {"id": "fast", "prompt": "a", "model": "fast", "resolution": "480p", "duration": 4},
        {"id": "std", "prompt": "b", "takes": 2},
    ]
    session = env.client().batches.plan(rows, output=world.root / "out", dry_run=True)
    board = BatchBoard(env, session.plan, session.manifest)
    fast, std1, std2 = (t.key for t in session.plan.takes)
    for key in (fast, std1, std2):
        board.event(key, "submitted", f"cgt-{key}")
    world.clock.advance(30)
    board.event(std1, "done", "")  # took 30 s: the typical time of this run
    board.event(fast, "running", "25%")
    world.clock.advance(10)
    console = Console(width=80, record=True, color_system=None)
    console.print(board)
    lines = {line.split()[0]: line.split()[1:] for line in console.export_text().splitlines()}
    assert lines["TAKE"] == ["STATE", "TIME", "LEFT", "COST"]
    assert lines[fast] == ["running", "25%", "40s", "~2m00s", "~$0.23"]  # its own estimate
    assert lines[std2] == ["submitted", "40s", "~$0.76"]  # past the typical 30 s: not told
    board.event(std2, "failed", "x")
    assert board.costs[std2] == ""  # a failed take costs nothing
