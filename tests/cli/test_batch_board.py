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
    assert any("cgt-20260611124121-abcde" in line for line in lines)
    assert all(len(line) <= 80 for line in lines)
