"""A version-3 journal that cannot be upgraded (no room for its backup: the disk is nearly
full) is used as it is, without the ledger's columns, and then every spending cap and the
concurrency cap count nothing: creates go through a `budget_day` they exceed, silently."""

from __future__ import annotations

from seedance.services.state.sqlite import JOURNAL_FILE
from seedance.sim.app import API_ORIGIN
from support import sim_profiles, version_3_journal


def test_a_journal_that_cannot_be_upgraded_never_lets_a_budget_be_exceeded(run, sim, world):
    document = sim_profiles(API_ORIGIN)
    document["profiles"]["sim-byteplus"].update(budget_day=1.0)  # one $0.76 video a day
    world.write_profiles(document)
    world.data_dir.mkdir(parents=True)
    version_3_journal(world.data_dir)
    # the backup cannot be written (stands for ENOSPC / EDQUOT on a nearly full disk)
    (world.data_dir / f"{JOURNAL_FILE}.v3.bak.tmp").mkdir()
    first = run("create", "a boat", "-o", "boat.mp4")
    second = run("create", "a lake", "-o", "lake.mp4")
    third = run("create", "a sea", "-o", "sea.mp4")
    spent = 0.76 * len(sim.creates())
    assert len(sim.creates()) <= 1, (
        f"budget_day $1.00, {len(sim.creates())} creates (≈ ${spent:.2f}) went through; exits "
        f"{first.exit_code}, {second.exit_code}, {third.exit_code}; {third.stderr[-200:]!r}"
    )
    # refused before anything is sent, naming the journal (exit 2: nothing was sent)
    assert first.exit_code == 2 and str(world.data_dir / JOURNAL_FILE) in first.stderr
