"""The user's own `NAME.poster.png` / `NAME.sheet.png` are never replaced by the stills seedance
makes beside a clip (issue 23, finding 6): one rule (services/companions.py) for every writer,
checked before anything is paid. A batch, a storyboard and an agent's create refuse them the
way `create --sheet` does; a download or a wait that saves a paid video leaves them as they are
and says so; seedance's own stills (marked) are remade."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from seedance.mcp.calls import Call, Calls, Settings
from support import World, png

MINE = png(320, 320, b"\x10\x20\x30")  # the user's own poster: no seedance mark


def user_stills(folder: Path, stem: str) -> dict[Path, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {folder / f"{stem}.poster.png": MINE, folder / f"{stem}.sheet.png": MINE + b"sheet"}
    for path, data in files.items():
        path.write_bytes(data)
    return files


def intact(files: dict[Path, bytes]) -> bool:
    return all(path.read_bytes() == data for path, data in files.items())


def test_a_batch_refuses_to_replace_the_users_stills_before_paying(world, sim):
    (world.root / "jobs.jsonl").write_text(json.dumps({"id": "holiday", "prompt": "a beach"}))
    mine = user_stills(world.root / "jobs", "holiday")
    refused = world.run("batch", "jobs.jsonl")
    assert refused.exit_code == 2, refused.stderr
    assert (
        "holiday.poster.png already exists, and is not a still made by this program"
        in refused.stderr
    )
    assert sim.requests == []
    assert intact(mine)
    assert not (world.root / "jobs" / "holiday.mp4").exists()


def test_a_batch_remakes_its_own_stills(world, sim):
    from seedance.services.media import companions
    from seedance.services.videos import output_record

    (world.root / "jobs.jsonl").write_text(json.dumps({"id": "holiday", "prompt": "a beach"}))
    assert world.run("batch", "jobs.jsonl").exit_code == 0
    folder = world.root / "jobs"
    poster = folder / "holiday.poster.png"
    assert companions.ours(poster)
    (folder / "holiday.mp4").unlink()  # the clip gone, its stills left: seedance's, remade
    output_record.record_path(folder / "holiday.mp4").unlink()
    again = world.run("batch", "jobs.jsonl", "--rerun", "holiday")
    assert again.exit_code == 0, again.stderr
    assert companions.ours(poster) and (folder / "holiday.mp4").exists()


def test_a_storyboard_refuses_to_replace_the_users_stills_before_paying(world, sim):
    (world.root / "story.toml").write_text(
        '[[shots]]\nid = "a"\nprompt = "dawn"\n[[shots]]\nid = "b"\nprompt = "dusk"\n'
    )
    mine = {world.root / "story" / "02-b.first.png": MINE}
    (world.root / "story").mkdir()
    (world.root / "story" / "02-b.first.png").write_bytes(MINE)
    refused = world.run("chain", "story.toml")
    assert refused.exit_code == 2, refused.stderr
    assert "02-b.first.png already exists" in refused.stderr
    assert sim.requests == [] and intact(mine)


@pytest.fixture
def calls(world: World, sim_server: Any) -> Calls:
    out = world.root / "agent"
    out.mkdir()
    return Calls(Settings("sim-byteplus", world.environ, world.root, out, world.clock))


def test_an_agents_create_refuses_to_replace_the_users_stills_before_paying(calls, sim_server):
    mine = user_stills(calls.settings.output_dir, "holiday")
    args = {"prompt": "a beach", "duration": 5, "output": "holiday.mp4"}
    reply = calls.run("create_video", Call(), args)
    assert reply.error and "not a still made by this program" in reply.document["error"]["message"]
    assert sim_server.sim.creates() == [] and intact(mine)


def test_an_agents_download_saves_the_video_and_leaves_the_users_stills(calls):
    made = calls.run("create_video", Call(), {"prompt": "a beach", "duration": 5, "wait": True})
    assert not made.error, made.text
    task_id = made.document["task"]["id"]
    mine = user_stills(calls.settings.output_dir, "holiday")
    saved = calls.run("download_video", Call(), {"task_id": task_id, "output": "holiday.mp4"})
    assert not saved.error, saved.text
    assert (calls.settings.output_dir / "holiday.mp4").exists()
    assert "left as it is" in saved.document["stills"]
    assert intact(mine)


def test_a_download_with_sheet_leaves_the_users_stills_and_force_replaces_them(world, sim):
    from seedance.services.media import companions

    made = world.run("create", "a beach", "--wait", "-q")
    task_id = made.stdout.strip()
    mine = user_stills(world.root, "holiday")
    refused = world.run("download", task_id, "-o", "holiday.mp4", "--sheet")
    assert refused.exit_code == 2 and "--force" in refused.stderr
    assert intact(mine) and not (world.root / "holiday.mp4").exists()
    forced = world.run("download", task_id, "-o", "holiday.mp4", "--sheet", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert companions.ours(world.root / "holiday.poster.png")


def test_stills_carry_seedances_mark_and_a_users_png_does_not(tmp_path):
    from seedance.services.media import companions, frames

    assert frames.available()
    clip = tmp_path / "clip.mp4"
    from importlib import resources

    clip.write_bytes(resources.files("seedance.sim.data").joinpath("sample.mp4").read_bytes())
    made = frames.make_stills(clip)
    assert companions.ours(made.poster) and companions.ours(made.sheet)
    (tmp_path / "mine.png").write_bytes(MINE)
    assert not companions.ours(tmp_path / "mine.png")
    (tmp_path / "link.png").symlink_to(made.poster)
    assert not companions.ours(tmp_path / "link.png")  # a link is nobody's still
