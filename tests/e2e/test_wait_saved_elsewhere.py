"""`create -o a.mp4`, then `download TASK -o b.mp4` (the journal's saved path moves to b.mp4):
`wait TASK -o a.mp4` refused "a.mp4 already exists" although a.mp4 is that task's verified
video, and `download TASK -o a.mp4` asked for --force. Both now answer with the file that is
there; and a `wait` to a new name copies the saved video (no network: its URL may be gone)."""

from __future__ import annotations

import json

import pytest


def library(sim, world):  # type: ignore[no-untyped-def]
    """The library's client on the simulator, as the CLI's."""
    return world.client(environ=dict(world.environ), transport=sim.transport())


def made_then_downloaded_elsewhere(run, sim, world, monkeypatch) -> str:
    first = run("create", "a boat", "-o", "a.mp4", "--json")
    assert first.exit_code == 0, first.stderr
    task_id = json.loads(first.stdout)["id"]
    assert run("download", task_id, "-o", "b.mp4").exit_code == 0
    monkeypatch.setattr(sim.store, "_lookup", lambda key: None)  # the result URL is gone
    return task_id


def test_wait_to_the_first_output_answers_with_the_video_there(run, sim, world, monkeypatch):
    task_id = made_then_downloaded_elsewhere(run, sim, world, monkeypatch)
    before = (world.root / "a.mp4").read_bytes()

    waited = run("wait", task_id, "-o", "a.mp4")
    assert waited.exit_code == 0, waited.stderr
    assert waited.stdout.strip().endswith("a.mp4")
    assert (world.root / "a.mp4").read_bytes() == before

    downloaded = run("download", task_id, "-o", "a.mp4")
    assert downloaded.exit_code == 0, downloaded.stderr
    assert "already this task's video" in downloaded.stderr
    assert len(sim.creates()) == 1


def test_wait_to_a_new_name_copies_the_saved_video(run, sim, world, monkeypatch):
    task_id = made_then_downloaded_elsewhere(run, sim, world, monkeypatch)

    waited = run("wait", task_id, "-o", "c.mp4")
    assert waited.exit_code == 0, waited.stderr
    assert (world.root / "c.mp4").read_bytes() == (world.root / "b.mp4").read_bytes()
    assert not list(world.root.glob(".c.mp4.*.copy"))


def test_a_file_that_is_not_the_video_is_still_refused(run, sim, world, monkeypatch):
    task_id = made_then_downloaded_elsewhere(run, sim, world, monkeypatch)
    (world.root / "a.mp4").write_bytes(b"someone else's file")

    waited = run("wait", task_id, "-o", "a.mp4")
    assert waited.exit_code == 2
    assert "already exists" in waited.stderr
    assert (world.root / "a.mp4").read_bytes() == b"someone else's file"


def test_a_last_frame_path_holding_a_file_is_not_taken_for_the_frame(run, sim, world, monkeypatch):
    """Only beside a video seedance saved there itself is a last frame at its path taken as
    that video's; here it is somebody's file, refused, not answered as the frame."""
    from seedance import UsageError

    task_id = made_then_downloaded_elsewhere(run, sim, world, monkeypatch)
    (world.root / "a.png").write_bytes(b"a picture of something else")
    with library(sim, world) as client, pytest.raises(UsageError, match="already exists"):
        client.videos.generate(
            task_id=task_id,
            output=world.root / "a.mp4",
            last_frame_output=world.root / "a.png",
        )
    assert (world.root / "a.png").read_bytes() == b"a picture of something else"


def test_a_last_frame_named_as_the_output_is_refused_not_answered_with_the_video(
    run, sim, world, monkeypatch
):
    """The video saved elsewhere is copied to a new output only when the outputs are distinct:
    else the copy was then taken for the last frame, and the video reported as its own last
    frame (before the copy, `generate` refused the two same names)."""
    from seedance import UsageError

    task_id = made_then_downloaded_elsewhere(run, sim, world, monkeypatch)
    same = world.root / "c.mp4"
    with library(sim, world) as client, pytest.raises(UsageError, match="written twice"):
        client.videos.generate(task_id=task_id, output=same, last_frame_output=same)
    assert not same.exists()
