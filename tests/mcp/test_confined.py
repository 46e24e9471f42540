"""An agent's paths stay in the server's output folder (issue 23, finding 8): every path a
tool call names, to write (output, last_frame) or to read (reference media, a storyboard and
its media), is inside `seedance mcp --output-dir` once every link is followed and every `..`
resolved, relative paths starting there; and `force` replaces only a video seedance saved
(output_record.vouched: its record, confirmed by the journal), never another file.

The tools' work is called in process (`Calls.run`, what the server runs in a worker thread),
against the simulator's loopback server with instant tasks."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from seedance.mcp.calls import Call, Calls, Settings
from support import World, png

BASHRC = "export PATH=$HOME/bin:$PATH\n"


@pytest.fixture
def calls(world: World, sim_server: Any, monkeypatch: pytest.MonkeyPatch) -> Calls:
    home = world.root / "home"
    home.mkdir()
    (home / ".bashrc").write_text(BASHRC)
    monkeypatch.setenv("HOME", str(home))  # `~` is this test's, never the machine's
    elsewhere = world.root / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.png").write_bytes(png(640, 360, b"\x01\x02\x03"))
    out = world.root / "agent"
    out.mkdir()
    (out / "out-link").symlink_to(elsewhere, target_is_directory=True)
    (out / "secret-link.png").symlink_to(elsewhere / "secret.png")
    (out / "mine.png").write_bytes(png())
    settings = Settings("sim-byteplus", world.environ, world.root, out, world.clock)
    return Calls(settings)


def run(calls: Calls, tool: str, **args: Any) -> Any:
    return calls.run(tool, Call(), args)


def made(calls: Calls, request_id: str = "boat") -> tuple[str, Path]:
    reply = run(
        calls, "create_video", prompt="a boat", duration=5, wait=True, request_id=request_id
    )
    assert not reply.error, reply.text
    return reply.document["task"]["id"], Path(reply.document["video"]["path"])


def refused(reply: Any, field: str | None = None) -> str:
    assert reply.error, reply.text
    error = reply.document["error"]
    assert error["code"] == "outside_folder", error
    assert "outside the server's output folder" in error["message"]
    if field is not None:
        assert error.get("field") == field, error
    return str(error["message"])


def test_force_never_replaces_a_file_outside_the_output_folder(calls, world):
    task_id, _clip = made(calls)
    home = world.root / "home"
    for output in ("~/.bashrc", str(home / ".bashrc"), "../home/.bashrc", "out-link/x.mp4"):
        reply = run(calls, "download_video", task_id=task_id, output=output, force=True)
        refused(reply, "output")
    assert (home / ".bashrc").read_text() == BASHRC
    assert list((world.root / "elsewhere").iterdir()) == [world.root / "elsewhere" / "secret.png"]
    frame = run(calls, "download_video", task_id=task_id, output="a.mp4", last_frame="../a.png")
    refused(frame, "last_frame")
    created = run(calls, "create_video", prompt="a lake", duration=5, output="../lake.mp4")
    refused(created, "output")
    waited = run(calls, "wait_for_tasks", task_ids=[task_id], output="~/clips/")
    refused(waited, "output")


def test_reference_media_are_read_only_inside_the_output_folder(calls, world, sim_server):
    before = len(sim_server.sim.creates())
    for image in (
        str(world.root / "elsewhere" / "secret.png"),
        "../elsewhere/secret.png",
        "secret-link.png",
        "~/secret.png",
    ):
        reply = run(calls, "create_video", prompt="a boat", duration=5, images=[image])
        assert "image file" in refused(reply, "images")
    assert len(sim_server.sim.creates()) == before
    inside = run(calls, "create_video", prompt="a boat", duration=5, images=["mine.png"])
    assert not inside.error, inside.text
    assert len(sim_server.sim.creates()) == before + 1


def test_a_storyboard_and_its_media_stay_in_the_output_folder(calls, world):
    (world.root / "elsewhere" / "story.toml").write_text('[[shots]]\nid = "a"\nprompt = "x"\n')
    refused(run(calls, "plan_storyboard", storyboard="../elsewhere/story.toml"), "storyboard")
    text = f'[[shots]]\nid = "a"\nprompt = "x"\nimages = ["{world.root}/elsewhere/secret.png"]\n'
    assert "shot 'a'" in refused(run(calls, "plan_storyboard", storyboard=text), "images")
    (calls.settings.output_dir / "story.toml").write_text(
        '[[shots]]\nid = "a"\nprompt = "x"\nfirst_frame = "secret-link.png"\n'
    )
    reply = run(calls, "plan_storyboard", storyboard="story.toml")
    assert reply.error and "outside the storyboard's folder" in reply.document["error"]["message"]
    plain = '[[shots]]\nid = "a"\nprompt = "x"\n'
    refused(run(calls, "run_storyboard", storyboard=plain, output="../films"), "output")
    planned = run(calls, "plan_storyboard", storyboard=plain, output="films")
    assert not planned.error and planned.document["directory"].startswith(
        str(calls.settings.output_dir)
    )


def test_force_replaces_only_a_video_seedance_saved(calls, world):
    task_id, clip = made(calls)
    out = calls.settings.output_dir
    mine = out / "mine.mp4"
    mine.write_bytes(b"my own edit, kept nowhere else")
    reply = run(calls, "download_video", task_id=task_id, output="mine.mp4", force=True)
    assert reply.error and reply.document["error"]["field"] == "force", reply.text
    assert mine.read_bytes() == b"my own edit, kept nowhere else"

    # a record forged by hand beside it, even one naming a real task and the file's hash
    digest = hashlib.sha256(mine.read_bytes()).hexdigest()
    forged = {
        "task_id": task_id,
        "profile": "sim-byteplus",
        "dialect": "ark",
        "base_url": "",
        "request_hash": "",
        "output": str(mine),
        "model": None,
        "nonce": None,
        "created_at": 0,
        "request": "{}",
        "sha256": digest,
        "saved_path": str(mine),
    }
    (out / ".mine.mp4.seedance.json").write_text(json.dumps(forged))
    reply = run(calls, "download_video", task_id=task_id, output="mine.mp4", force=True)
    assert reply.error and reply.document["error"]["field"] == "force", reply.text
    assert mine.read_bytes() == b"my own edit, kept nowhere else"

    # a video seedance saved (a download of its own, vouched for by its record and the journal)
    other, _ = made(calls, "ship")
    saved = run(calls, "download_video", task_id=other, output="copy.mp4")
    assert not saved.error, saved.text
    again = run(calls, "download_video", task_id=task_id, output="copy.mp4", force=True)
    assert not again.error, again.text
    assert (out / "copy.mp4").read_bytes() == clip.read_bytes()


def test_relative_paths_start_in_the_output_folder(calls):
    task_id, clip = made(calls)
    reply = run(calls, "download_video", task_id=task_id, output="sub/../copy.mp4")
    assert not reply.error, reply.text
    assert reply.document["video"]["path"] == str(calls.settings.output_dir / "copy.mp4")
    assert (calls.settings.output_dir / "copy.mp4").read_bytes() == clip.read_bytes()
