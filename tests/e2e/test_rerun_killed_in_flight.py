"""`batch --rerun boat` (and `chain --rerun boat`) killed with kill -9 at each crash point of
the rerun's path, then the same command again: the rerun's own task is the clip saved (the
earlier clip kept as the next free take, `boat.1.mp4`, `boat.2.mp4`, ...), exactly one rerun
task is paid, and nothing paid is left unsaved (issue 23, finding 2: killed with its create
journaled or in flight, the paid rerun was orphaned and the earlier clip answered as done).
Real processes, on the simulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedance.services.state.sqlite import SqliteState
from support import World, run_process

# every point the rerun's path passes, in order: its create journaled, not sent; sent, the
# answer not journaled (the task exists: "in flight"); journaled; named in the manifest; the
# download complete before its rename; renamed, before the manifest says done
POINTS = (
    "create-sending",
    "create-sent",
    "create-created",
    "submitted",
    "download-complete",
    "download-renamed",
)


def _setup(world: World, command: str) -> tuple[list[str], Path]:
    if command == "batch":
        (world.root / "jobs.jsonl").write_text(json.dumps({"id": "boat", "prompt": "a boat"}))
        return ["batch", "jobs.jsonl"], world.root / "jobs" / "boat.mp4"
    (world.root / "shots.toml").write_text('[[shots]]\nid = "boat"\nprompt = "a boat"\n')
    return ["chain", "shots.toml"], world.root / "shots" / "01-boat.mp4"


def _recorded(world: World, command: str) -> dict:
    if command == "batch":
        data = json.loads((world.root / "jobs" / "batch.json").read_text())
        [row] = data["rows"]
        [take] = row["takes"]
        return dict(take)
    return dict(json.loads((world.root / "shots" / "chain.json").read_text())["shots"]["boat"])


# the points after which the killed run had seen the rerun's task succeed, its video not yet
# journaled as saved: `tasks list --local --unsaved` lists it then
SEEN_SUCCEEDED = ("download-complete", "download-renamed")


def _unsaved(world: World) -> list[str]:
    """The task ids `tasks list --local --unsaved --json` lists."""
    listed = world.run("tasks", "list", "--local", "--unsaved", "--json")
    assert listed.exit_code == 0, listed.stderr
    return [e["task_id"] for e in json.loads(listed.stdout)]


@pytest.mark.parametrize("command", ["batch", "chain"])
def test_a_rerun_killed_at_each_point_is_saved_once_run_again(world, sim_server, command):
    sim = sim_server.sim
    source, clip = _setup(world, command)
    args = ["-p", "sim-byteplus", *source, "--concurrency", "1"]
    assert run_process(world, *args).exit_code == 0
    for number, point in enumerate(POINTS, start=1):
        before = set(sim.state.tasks)
        earlier = clip.read_bytes()
        crash = f"{command}-submitted" if point == "submitted" else point
        killed = run_process(world, *args, "--rerun", "boat", crash_at=crash)
        assert killed.exit_code == -9, f"never reached {crash}: {killed.stderr[-1500:]}"
        paid = set(sim.state.tasks) - before
        if point in SEEN_SUCCEEDED:  # paid, seen succeeded, not saved: listed as such
            assert _unsaved(world) == list(paid), f"killed at {point}: the rerun is not listed"

        again = run_process(world, *args, "--rerun", "boat")  # the same command, once more
        assert again.exit_code == 0, f"{point}: {again.stderr}"
        made = set(sim.state.tasks) - before
        assert len(made) == 1, f"killed at {point}: {len(made)} rerun tasks paid for one rerun"
        [rerun] = made
        record = _recorded(world, command)
        assert record["task_id"] == rerun, f"killed at {point}: the rerun's task is not saved"
        assert record["state"] == "done" and not record.get("rerun")  # done: the mark settles
        taken = clip.with_name(f"{clip.stem}.{number}{clip.suffix}")
        assert taken.read_bytes() == earlier, f"killed at {point}: the earlier clip is lost"
        journal = SqliteState(world.data_dir)
        saved = journal.find(rerun)
        assert saved is not None and saved.downloaded_at is not None
        assert (saved.saved_path, saved.sha256) == (str(clip.resolve()), record["sha256"])
        assert journal.unsaved() == [], f"killed at {point}: a paid task is left unsaved"
        journal.close()
        assert _unsaved(world) == []


def test_a_rerun_the_server_refused_leaves_the_saved_clip_the_answer(run, sim, world):
    """Only a newer create that may have made a task is followed instead of the clip saved
    before: a rerun the server refused (nothing made, nothing paid) leaves the earlier clip
    the answer of the plain command, which pays nothing."""
    from seedance.sim.app import FaultRule

    source, clip = _setup(world, "batch")
    assert run(*source).exit_code == 0
    earlier = clip.read_bytes()
    refusal = {"error": {"code": "InvalidParameter", "message": "no", "type": "BadRequest"}}
    sim.inject(FaultRule("POST", "/tasks$", 400, refusal))
    refused = run(*source, "--rerun", "boat")
    assert refused.exit_code != 0 and len(sim.creates()) == 1, refused.stderr
    sim.rules.clear()
    again = run(*source)
    assert again.exit_code == 0, again.stderr
    assert len(sim.creates()) == 1, "a clip saved before was paid for again"
    assert clip.read_bytes() == earlier


def test_a_newer_create_that_was_refused_leaves_the_saved_video_the_answer(run, sim, world):
    """`create --new` refused by the server while the video was moved away: put back, the
    video is still the answer of the plain command (the refused create made nothing)."""
    from seedance.sim.app import FaultRule

    assert run("create", "a boat", "-o", "boat.mp4").exit_code == 0
    video = world.root / "boat.mp4"
    video.rename(world.root / "away.mp4")
    refusal = {"error": {"code": "InvalidParameter", "message": "no", "type": "BadRequest"}}
    sim.inject(FaultRule("POST", "/tasks$", 400, refusal))
    refused = run("create", "a boat", "-o", "boat.mp4", "--new")
    assert refused.exit_code == 3 and len(sim.creates()) == 1, refused.stderr
    sim.rules.clear()
    (world.root / "away.mp4").rename(video)
    again = run("create", "a boat", "-o", "boat.mp4")
    assert again.exit_code == 0, again.stderr
    assert "already made by task" in again.stderr
    assert len(sim.creates()) == 1
