"""Takes passed over for their model's limit are told "waiting" the moment the batch starts:
the board's table (12 rows) showed them in the file's order, hiding the takes that run."""

from __future__ import annotations

from rich.console import Console

from seedance.cli.batch import SHOWN, BatchBoard
from support import World


def test_the_takes_that_run_are_listed_before_those_passed_over(world: World, sim) -> None:
    env = world.environment()
    client = env.client()
    rows = [{"id": f"row-{n}", "prompt": f"p {n}"} for n in range(SHOWN + 6)]
    session = client.batches.plan(rows, output=world.root / "out", dry_run=True)
    board = BatchBoard(env, session.plan, session.manifest)
    keys = [t.key for t in session.plan.takes]
    board.event(keys[0], "running", "10%")
    for key in keys[1 : SHOWN + 3]:  # the fast rows, passed over
        board.event(key, "waiting", "1 of 1 tasks of fast running in this batch")
    for key in keys[SHOWN + 3 :]:  # the standard rows, started meanwhile
        board.event(key, "running", "5%")
    console = Console(width=80, record=True, color_system=None)
    console.print(board)
    text = console.export_text()
    for key in [keys[0], *keys[SHOWN + 3 :]]:
        assert f"{key} " in text, text
