"""The real CLI against the in-process simulator (shared FakeClock: nothing sleeps for real)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from seedance.sim.app import STORE_ORIGIN
from seedance.sim.media import clip_of
from support import png


def create(run, *args: str) -> str:
    result = run("create", "a paper boat at dawn", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout.strip()


def test_create_wait_download(run, sim, world):
    out = world.root / "boat.mp4"
    result = run("create", "a paper boat at dawn", "-d", "5", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{out}\n"  # stdout is exactly the path
    task = next(iter(sim.state.tasks.values()))
    assert out.read_bytes() == clip_of(task, sim.config.generate_media).mp4
    assert not list(world.root.glob("*.part*"))
    assert len(sim.creates()) == 1
    store = sim.requests_to(STORE_ORIGIN)
    assert store and all("authorization" not in r.headers for r in store)


def test_create_then_wait_then_download_as_separate_commands(run, sim, world):
    task_id = create(run)
    waited = run("wait", task_id, "--json")
    assert waited.exit_code == 0, waited.stderr
    assert json.loads(waited.stdout)["status"] == "succeeded"
    saved = run("download", task_id, "-o", "clip.mp4", "--json")
    document = json.loads(saved.stdout)
    data = (world.root / "clip.mp4").read_bytes()
    assert document["download"]["sha256"] == hashlib.sha256(data).hexdigest()
    again = run("download", task_id, "-o", "clip.mp4")  # the file seedance saved: nothing to do
    assert again.exit_code == 0 and "already this task's video" in again.stderr
    (world.root / "clip.mp4").write_bytes(b"someone else's")
    again = run("download", task_id, "-o", "clip.mp4")
    assert again.exit_code == 2 and "--force" in again.stderr
    assert run("download", task_id, "-o", "clip.mp4", "--force").exit_code == 0


def test_first_frame_image_becomes_a_data_uri(run, sim, world):
    image = world.root / "boat.png"
    picture = png(320, 320, rgb=b"\x80\x40\x20")
    image.write_bytes(picture)
    task_id = create(run, "--first-frame", str(image), "--return-last-frame")
    body = sim.creates()[0].json()
    item = body["content"][1]
    assert item["role"] == "first_frame" and item["type"] == "image_url"
    assert item["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(picture).decode()
    result = run(
        "create", "x", "-o", "c.mp4", "--last-frame-output", "c.png", "--first-frame", str(image)
    )
    assert result.exit_code == 0, result.stderr
    assert (world.root / "c.png").read_bytes().startswith(b"\x89PNG")
    assert task_id in sim.state.tasks


def test_cancel_a_queued_task(run, sim):
    task_id = create(run)
    result = run("cancel", task_id)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"{task_id}\tcancelled"
    status = run("status", task_id, "--json")
    assert json.loads(status.stdout)["status"] == "cancelled"
    assert run("wait", task_id).exit_code == 5


def test_cancel_a_running_task_is_refused_with_409(run, sim, world):
    task_id = create(run)
    world.clock.advance(5)  # queued 2 s, running 10 s
    result = run("cancel", task_id, "--json")
    assert result.exit_code == 3
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "InvalidAction.RunningTaskDeletion"
    assert "running task cannot be cancelled" in result.stderr


def test_deleting_a_finished_task_then_404(run, sim, world):
    task_id = create(run)
    world.clock.advance(30)
    refused = run("cancel", task_id)  # a paid video never saved is not deleted by accident
    assert refused.exit_code == 2 and "--force" in refused.stderr
    assert run("cancel", task_id, "--force").stdout.strip() == f"{task_id}\tdeleted"
    assert run("wait", task_id).exit_code == 3  # the server answers 404 now
    result = run("status", task_id)  # the journal still knows it
    assert result.exit_code == 0
    assert result.stdout.strip() == "succeeded"
    assert "no longer knows" in result.stderr


def test_tasks_list_filters(run, sim, world):
    done = create(run)
    world.clock.advance(30)
    running = create(run)
    world.clock.advance(5)
    queued = create(run)
    failed = create(run, "-m", "fast")
    assert failed
    result = run("tasks", "list", "--status", "running", "--json")
    assert [t["id"] for t in json.loads(result.stdout)["items"]] == [running]
    result = run("tasks", "list", "--status", "succeeded")
    assert result.stdout.split("\t")[0] == done
    result = run("tasks", "list", "--model", "dreamina-seedance-2-0-fast-260128", "--json")
    assert [t["id"] for t in json.loads(result.stdout)["items"]] == [failed]
    result = run("tasks", "list", "--page-size", "2", "--page", "2", "--json")
    page = json.loads(result.stdout)
    assert page["total"] == 4 and [t["id"] for t in page["items"]] == [running, done]
    assert queued in {t["id"] for t in json.loads(run("tasks", "list", "--json").stdout)["items"]}
    assert run("tasks", "list", "--page-size", "501").exit_code == 2


def test_failed_task_exits_5_with_the_providers_error(run, sim):
    sim.fail_next("OutputVideoSensitiveContentDetected", "The output video may be sensitive.")
    result = run("create", "a boat", "--wait")
    assert result.exit_code == 5
    assert "OutputVideoSensitiveContentDetected" in result.stderr
    assert "The output video may be sensitive." in result.stderr
    result = run("create", "a storm #fail", "--wait", "--json")
    assert result.exit_code == 5
    assert json.loads(result.stdout)["error"]["exit_code"] == 5


def test_an_expired_result_url_is_refreshed(run, sim, world):
    task_id = create(run)
    world.clock.advance(30)
    sim.expire_next_urls(1)  # the URL the next read hands out has already expired
    result = run("download", task_id, "-o", "late.mp4")
    assert result.exit_code == 0, result.stderr
    store = sim.requests_to(STORE_ORIGIN)
    assert len(store) == 2  # the expired URL (403 XML), then the fresh one
    assert (world.root / "late.mp4").read_bytes()[4:8] == b"ftyp"
    assert "expired" in result.stderr


def test_urls_that_keep_expiring_end_with_a_clear_error(run, sim, world):
    task_id = create(run)
    world.clock.advance(30)
    sim.expire_next_urls(10)
    result = run("download", task_id, "-o", "v.mp4")
    assert result.exit_code == 3
    assert "expired" in result.stderr
    assert not (world.root / "v.mp4").exists()


def test_readme_quick_start_runs_offline(world):
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    line = next(x for x in readme.splitlines() if "seedance -p demo create" in x)
    command = line[line.index("seedance -p demo create") :].split("&&")[0]
    import shlex

    args = shlex.split(command)[1:]
    result = world.run(*args)
    assert result.exit_code == 0, result.stderr
    output = world.root / args[args.index("-o") + 1]
    assert output.read_bytes()[4:8] == b"ftyp"


def test_demo_state_survives_between_commands(world):
    task_id = world.run("-p", "demo", "create", "a paper boat").stdout.strip()
    world.clock.advance(10)
    result = world.run("-p", "demo", "status", task_id, "--json")
    assert json.loads(result.stdout)["status"] == "succeeded"
    assert (world.data_dir / "demo-sim.json").exists()


@pytest.mark.parametrize(
    "profile",
    [
        "sim-byteplus",
        "sim-volcengine",
        "sim-phanedge",
        "sim-kapon",
        "sim-kapon-native",
        "sim-opeai",
        "sim-easyrouter",
    ],
)
def test_create_wait_download_on_every_preset(run, sim, world, profile):
    result = run("-p", profile, "create", "a paper boat", "-d", "5", "-o", "v.mp4", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["status"] == "succeeded" and document["profile"] == profile
    video = (world.root / "v.mp4").read_bytes()
    assert video[4:8] == b"ftyp"
    assert document["download"]["sha256"] == hashlib.sha256(video).hexdigest()
    assert len(sim.creates()) == 1


def test_the_demo_profile_needs_no_key(world):
    world.environ.clear()
    world.environ.update(
        {"SEEDANCE_CONFIG_DIR": str(world.root / "c"), "SEEDANCE_DATA_DIR": str(world.root / "d")}
    )
    result = world.run("-p", "demo", "create", "a paper boat", "-o", "boat.mp4")
    assert result.exit_code == 0, result.stderr
