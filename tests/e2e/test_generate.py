"""`Client.generate` end to end: hostile servers, what is left after a loss, the local view."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from seedance import GenerationParams
from seedance.services.videos.generate import Origin, Step
from seedance.sim.app import STORE_ORIGIN, FaultRule
from support import World

LOST = {"error": {"code": "InternalServiceError", "message": "bad gateway", "type": "x"}}
LINEAR = '[[shots]]\nid = "a"\nprompt = "first"\n[[shots]]\nid = "b"\nprompt = "second"\n'


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_5xx_before_and_after_the_task_is_made_every_video_arrives_at_once(run, sim, world):
    """Ark: creates answered 5xx before the server took them and after it made the task, among
    429s and failing reads; each command delivers its video, each video made once."""
    sim.config.rate_429, sim.config.rate_5xx = 0.3, 0.2
    for n in range(6):
        sim.inject(FaultRule("POST", "/tasks$", 500 + n % 4, LOST, after_processing=n % 2 == 1))
        made = run("create", f"shot {n}", "-o", f"shot{n}.mp4")
        assert made.exit_code == 0, made.stderr
        assert (world.root / f"shot{n}.mp4").read_bytes()[4:8] == b"ftyp"
    prompts = sorted(t.prompt or "" for t in sim.state.tasks.values())
    assert prompts == [f"shot {n}" for n in range(6)]  # exactly one accepted create each


def test_a_clip_that_is_not_its_recorded_video_is_saved_again_not_made_again(run, sim, world):
    (world.root / "s.toml").write_text(LINEAR)
    assert run("chain", "s.toml").exit_code == 0
    clip = world.root / "s" / "01-a.mp4"
    good = sha(clip)
    clip.write_bytes(clip.read_bytes()[:-10] + b"0123456789")  # damaged, same length
    again = run("chain", "s.toml")
    assert again.exit_code == 0, again.stderr
    assert "the clip of a is not the video recorded" in again.stderr
    assert sha(clip) == good
    assert len(sim.creates()) == 2


def test_a_bad_clip_whose_result_expired_is_reported_never_paid_again(run, sim, world):
    (world.root / "s.toml").write_text(LINEAR)
    assert run("chain", "s.toml").exit_code == 0
    (world.root / "s" / "02-b.mp4").write_bytes(b"not the video")
    sim.expire_next_urls(10)
    stopped = run("chain", "s.toml")
    assert stopped.exit_code == 3, stopped.stderr
    assert "the result of its task" in stopped.stderr and "has expired" in stopped.stderr
    assert "--rerun b" in stopped.stderr
    assert len(sim.creates()) == 2


def test_a_lost_journal_is_made_good_by_the_record_beside_the_output(run, sim, world):
    sim.inject(FaultRule("GET", "/tasks", 403, {"error": {"code": "AccessDenied", "message": ""}}))
    assert run("create", "a boat", "-o", "boat.mp4").exit_code == 3  # made; the wait refused
    record = json.loads((world.root / ".seedance" / "boat.mp4.json").read_text())
    assert record["task_id"] in sim.state.tasks and record["sha256"] is None
    (world.data_dir / "journal.sqlite3").unlink()
    again = run("create", "a boat", "-o", "boat.mp4")
    assert again.exit_code == 0, again.stderr
    assert len(sim.creates()) == 1
    record = json.loads((world.root / ".seedance" / "boat.mp4.json").read_text())
    assert record["sha256"] == sha(world.root / "boat.mp4")


def test_the_record_is_kept_out_of_the_way_and_an_earlier_one_still_read(run, sim, world):
    """Issue 28: the record was a hidden `.boat.mp4.seedance.json` beside each video, which
    `git status` showed; it is in one `.seedance/` folder that ignores itself."""
    assert run("create", "a boat", "-o", "boat.mp4").exit_code == 0
    made = {p.name for p in world.root.iterdir()} - {"config", "data"}
    assert made == {".seedance", "boat.mp4"}
    assert (world.root / ".seedance" / ".gitignore").read_text().splitlines()[-1] == "*"
    # a record an earlier version wrote beside the video still finds its task, then moves
    sim.inject(FaultRule("GET", "/tasks", 403, {"error": {"code": "AccessDenied", "message": ""}}))
    assert run("create", "a gull", "-o", "gull.mp4").exit_code == 3  # made; the wait refused
    (world.root / ".seedance" / "gull.mp4.json").rename(world.root / ".gull.mp4.seedance.json")
    (world.data_dir / "journal.sqlite3").unlink()
    again = run("create", "a gull", "-o", "gull.mp4")
    assert again.exit_code == 0, again.stderr
    assert len(sim.creates()) == 2  # the boat and the gull: the gull not paid twice
    assert not (world.root / ".gull.mp4.seedance.json").exists()
    assert json.loads((world.root / ".seedance" / "gull.mp4.json").read_text())["sha256"]


def test_unsaved_tasks_are_listed_with_the_time_their_urls_have_left(run, sim, world):
    made = run("create", "a boat", "--wait")  # waited, never saved
    assert made.exit_code == 0, made.stderr
    assert run("create", "a ship", "-o", "ship.mp4").exit_code == 0  # saved
    world.clock.advance(3600)
    listed = run("tasks", "list", "--local", "--unsaved", "--json")
    assert listed.exit_code == 0, listed.stderr
    [entry] = json.loads(listed.stdout)
    assert entry["task_id"] == made.stdout.strip()
    assert 22 * 3600 < entry["url_seconds_left"] < 23 * 3600
    shown = run("tasks", "list", "--local", "--unsaved")
    assert "22h" in shown.stdout and "save one with: seedance download" in shown.stderr
    assert run("tasks", "list", "--unsaved").exit_code == 2


def test_wait_o_saves_through_generate_and_again_finds_it_saved(run, sim, world):
    task_id = run("create", "a boat").stdout.strip()
    first = run("wait", task_id, "-o", "v.mp4")
    assert first.exit_code == 0, first.stderr
    downloads = len(sim.requests_to(STORE_ORIGIN))
    again = run("wait", task_id, "-o", "v.mp4")
    assert again.exit_code == 0, again.stderr
    assert len(sim.requests_to(STORE_ORIGIN)) == downloads  # found saved, not fetched again
    assert "already made" not in again.stderr


def test_generate_from_python_tells_its_steps_and_resumes(sim, world: World):
    steps: list[tuple[Step, str]] = []
    environ = {**world.environ}
    with world.client(environ=environ, transport=sim.transport()) as client:
        made = client.videos.generate(
            GenerationParams(prompt="a paper boat"),
            output=world.root / "boat.mp4",
            on_step=lambda step, detail: steps.append((step, detail)),
        )
        again = client.videos.generate(
            GenerationParams(prompt="a paper boat"), output=world.root / "boat.mp4"
        )
    assert made.origin is Origin.CREATED and again.origin is Origin.SAVED_BEFORE
    assert (Step.CREATED, made.task.id) in steps and steps[-1][0] is Step.DOWNLOADING
    assert made.download.sha256 == again.download.sha256 == sha(world.root / "boat.mp4")
    assert made.video is made.download  # the earlier name, kept
    assert again.task.usage is not None  # read from the server, not a stub
    assert len(sim.creates()) == 1


def test_the_simulator_echoes_per_state_what_the_real_api_does(run, sim, world):
    """docs/sources/real-world.md: queued and running tasks carry five fields; an ended one
    its settings, never (unless it succeeded) its seed, resolution, ratio or duration."""
    from seedance.sim.ark import task_json

    ok = sim.state.tasks[json.loads(run("create", "a boat", "--json").stdout)["id"]]
    bad = sim.state.tasks[json.loads(run("create", "a storm #fail", "--json").stdout)["id"]]
    five = {"id", "model", "status", "created_at", "updated_at"}
    assert set(task_json(sim, ok)) == five
    world.clock.advance(5)
    assert task_json(sim, ok)["status"] == "running" and set(task_json(sim, ok)) == five
    world.clock.advance(10)
    failed: dict[str, Any] = task_json(sim, bad)
    assert set(failed) == five | {
        "error",
        "service_tier",
        "execution_expires_after",
        "generate_audio",
        "draft",
        "priority",
    }
    done = task_json(sim, ok)
    assert {"seed", "resolution", "ratio", "duration", "content", "usage"} <= set(done)
    assert done["execution_expires_after"] == ok.params["execution_expires_after"] != 172800


def test_a_saved_file_that_is_not_what_was_downloaded_is_a_local_error(tmp_path):
    import pytest

    from seedance.domain.errors import ExitStatus, LocalError
    from seedance.domain.models import DownloadResult
    from seedance.services.videos.saving import verify

    video = tmp_path / "v.mp4"
    video.write_bytes(b"the bytes that arrived")
    verify(DownloadResult(path=str(video), bytes=22, sha256=sha(video)))
    with pytest.raises(LocalError) as caught:
        verify(DownloadResult(path=str(video), bytes=22, sha256="0" * 64))
    assert caught.value.exit_status is ExitStatus.LOCAL


def test_a_create_that_finds_its_output_taken_waits_its_timeout_then_says_who(run, sim, world):
    import os

    from seedance.services.locks import Locks

    other = Locks(world.data_dir).output((world.root / "boat.mp4").resolve())
    assert other.try_acquire()  # another process, as far as the command can tell
    try:
        busy = run("create", "a boat", "-o", "boat.mp4", "--timeout", "5")
    finally:
        other.release()
    assert busy.exit_code == 6, busy.stderr
    assert f"waiting for another seedance run: process {os.getpid()}" in busy.stderr
    assert f"another process (pid {os.getpid()}) is working on boat.mp4; nothing was sent" in (
        busy.stderr
    )
    assert sim.requests == []
    assert run("create", "a boat", "-o", "boat.mp4").exit_code == 0
