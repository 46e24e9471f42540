"""`create -o a.mp4`, then `download TASK -o b.mp4` (the journal's saved path moves to b.mp4),
then a.mp4 deleted: the same create run again once exited 0 printing a.mp4, which did not
exist. Now the verified copy b.mp4 is copied to a.mp4 (no network: the task's result URL may
have expired) and the path printed is a file (services/generate.py `_saved_before`)."""

from __future__ import annotations

import json
from pathlib import Path


def test_create_run_again_after_a_download_elsewhere_saves_at_its_output(
    run, sim, world, monkeypatch
):
    first = run("create", "a boat", "-o", "a.mp4", "--json")
    assert first.exit_code == 0, first.stderr
    task_id = json.loads(first.stdout)["id"]
    assert run("download", task_id, "-o", "b.mp4").exit_code == 0
    (world.root / "a.mp4").unlink()
    monkeypatch.setattr(sim.store, "_lookup", lambda key: None)  # the result URL is gone

    again = run("create", "a boat", "-o", "a.mp4")
    assert again.exit_code == 0, again.stderr
    printed = Path(again.stdout.strip())
    assert printed.is_file(), f"exit 0 and stdout names {printed}, which does not exist"
    assert (world.root / "a.mp4").read_bytes() == (world.root / "b.mp4").read_bytes()
    assert len(sim.creates()) == 1
    assert not list(world.root.glob(".a.mp4.*.copy"))  # no temporary left


def test_a_copy_that_changed_is_not_copied(run, sim, world):
    first = run("create", "a boat", "-o", "a.mp4", "--json")
    task_id = json.loads(first.stdout)["id"]
    assert run("download", task_id, "-o", "b.mp4").exit_code == 0
    (world.root / "a.mp4").unlink()
    (world.root / "b.mp4").write_bytes(b"edited")  # no longer the task's video

    again = run("create", "a boat", "-o", "a.mp4")
    assert again.exit_code == 0, again.stderr
    assert (world.root / "a.mp4").read_bytes()[4:8] == b"ftyp"  # downloaded from the task
    assert (world.root / "b.mp4").read_bytes() == b"edited"
    assert len(sim.creates()) == 1
