"""Edit and extend (issue 26), end to end on the simulator: the task type's body, its checks
before anything is paid, and the video saved and verified; a storyboard shot that extends the
previous shot's video, resumable after kill -9 without paying twice."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import media_files
from support import run_process

STORY = """\
[defaults]
model = "2.5"
ratio = "16:9"
duration = 5

[[shots]]
id = "dawn"
prompt = "A paper boat on calm water at dawn"

[[shots]]
id = "more"
prompt = "extend forward: the boat drifts under a bridge"
extend = "previous"
"""


def clip(path: Path, seconds: int = 5) -> Path:
    """A real video within the API's reference bounds (854x480, 24 fps), long enough for a
    2.5 edit (4 s at least)."""
    return media_files.video(path, seconds=seconds)


def test_an_edit_dry_run_shows_the_task_type_body(run, sim, world):
    clip(world.root / "clip.mp4")
    out = run("-p", "sim-byteplus", "--json", "edit", "clip.mp4", "make it night", "--dry-run")
    assert out.exit_code == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["omni_reference_task_type"] == "edit"
    assert (body["ratio"], body["duration"]) == ("adaptive", -1)
    assert body["model"] == "dreamina-seedance-2-5-260628"  # the profile's 2.0 takes none
    video = [c for c in body["content"] if c["type"] == "video_url"]
    assert [v["role"] for v in video] == ["reference_video"]
    assert "takes no task type edit: dreamina-seedance-2-5-260628 is used" in out.stderr
    assert sim.creates() == []


def test_edit_and_extend_refusals_send_nothing(run, sim, world):
    clip(world.root / "clip.mp4")
    clip(world.root / "short.mp4", seconds=2)
    cases = [
        (["edit"], "Usage: seedance edit [OPTIONS] VIDEO"),
        (["extend"], "Usage: seedance extend [OPTIONS] VIDEO"),
        (["edit", " ", "night"], "give the video to work on"),
        (["extend", " ", "on"], "give the video to work on"),
        (["edit", "clip.mp4", "night", "-m", "2.0"], "takes no task type"),
        (["extend", "clip.mp4", "on", "-m", "fast"], "takes no task type"),
        (["extend", "clip.mp4", "on", "-m", "2.0"], "takes no task type"),
        (["extend", "nothing-here", "on"], "neither a video file"),
        (["edit", "short.mp4", "night"], "edits videos of at least 4 s"),
        (["edit", "nothing-here", "night"], "neither a video file"),
        (["create", "night", "-m", "2.5", "--task-type", "edit"], "needs the video to edit"),
        (
            [
                "create",
                "x",
                "-m",
                "2.5",
                "--task-type",
                "extend",
                "--video",
                "clip.mp4",
                "--ratio",
                "16:9",
            ],
            "ratio adaptive, not 16:9",
        ),
    ]
    for args, message in cases:
        out = run("-p", "sim-byteplus", *args)
        assert out.exit_code == 2, (args, out.stderr)
        assert message in out.stderr, (args, out.stderr)
    refused = run("-p", "sim-byteplus", "edit", "clip.mp4", "night", "-m", "2.0")
    assert "--no-validate" in refused.stderr and "seedance-2.0.task_types" in refused.stderr
    assert not [r for r in sim.requests if r.method == "POST"]  # nothing sent, nothing uploaded


def test_edit_and_extend_save_verified_videos(run, sim, world):
    clip(world.root / "clip.mp4")
    edited = run("-p", "sim-byteplus", "--json", "edit", "clip.mp4", "make it night", "-o", "n.mp4")
    assert edited.exit_code == 0, edited.stderr
    document = json.loads(edited.stdout)
    saved = world.root / "n.mp4"
    assert document["download"]["sha256"] == hashlib.sha256(saved.read_bytes()).hexdigest()
    sent = sim.creates()[-1].json()
    assert (sent["omni_reference_task_type"], sent["ratio"], sent["duration"]) == (
        "edit",
        "adaptive",
        -1,
    )
    # the edit's own task, named by its id: its saved video is what is extended
    extended = run("-p", "sim-byteplus", "extend", document["id"], "and on", "-d", "6", "-o", "x")
    assert extended.exit_code == 0, extended.stderr
    assert (world.root / "x.mp4").is_file()
    sent = sim.creates()[-1].json()
    assert (sent["omni_reference_task_type"], sent["ratio"], sent["duration"]) == (
        "extend",
        "adaptive",
        6,
    )
    assert len(sim.creates()) == 2
    saved.write_bytes(b"not that video any more")  # the task's video is no longer that file
    changed = run("-p", "sim-byteplus", "extend", document["id"], "and on", "-o", "y")
    assert changed.exit_code == 2 and "no longer the video task" in changed.stderr
    assert len(sim.creates()) == 2


def test_a_storyboard_shot_extends_the_previous_shots_video(run, sim, world):
    (world.root / "story.toml").write_text(STORY)
    plan = run("-p", "sim-byteplus", "chain", "story.toml", "--dry-run")
    assert plan.exit_code == 0, plan.stderr
    assert "after dawn: extends its video" in plan.stdout + plan.stderr
    out = run("-p", "sim-byteplus", "chain", "story.toml")
    assert out.exit_code == 0, out.stderr
    first, second = (c.json() for c in sim.creates())
    assert "omni_reference_task_type" not in first and first["ratio"] == "16:9"
    assert second["omni_reference_task_type"] == "extend" and second["ratio"] == "adaptive"
    video = [c for c in second["content"] if c["type"] == "video_url"]
    assert video and video[0]["role"] == "reference_video"
    assert not any(c.get("role") == "first_frame" for c in second["content"])
    shots = json.loads((world.root / "story" / "chain.json").read_text())["shots"]
    assert shots["more"]["state"] == "done" and shots["more"]["parent"] == "dawn"


@pytest.mark.parametrize(
    ("crash_at", "recorded"),
    [
        ("create-sent#2", None),  # the extension reached the server; its answer never read
        ("create-created#2", None),  # journaled, chain.json not yet told
        ("chain-submitted#2", "submitted"),  # chain.json knows its task
        ("download-complete#2", "submitted"),  # its video on disk, not yet verified
    ],
)
def test_an_extending_storyboard_resumes_after_kill_9_without_paying_twice(
    world, sim_server, crash_at, recorded
):
    (world.root / "story.toml").write_text(STORY)
    killed = run_process(world, "-p", "sim-byteplus", "chain", "story.toml", crash_at=crash_at)
    assert killed.exit_code == -9, killed.stderr  # killed while the extension was under way
    assert len(sim_server.sim.creates()) == 2
    from seedance.services.storyboards.manifest import read_data

    folder = world.root / "story"
    made = read_data(folder).shots["more"]
    assert made.state == (recorded or "pending")
    resumed = run_process(world, "-p", "sim-byteplus", "chain", "story.toml")
    assert resumed.exit_code == 0, resumed.stderr
    creates = sim_server.sim.creates()
    assert len(creates) == 2  # the extension was found or polled, not made again
    assert creates[1].json()["omni_reference_task_type"] == "extend"
    shots = json.loads((folder / "chain.json").read_text())["shots"]
    assert shots["more"]["state"] == "done" and shots["more"]["task_id"] == sim_task_id(
        sim_server.sim, 1
    )
    page = (folder / "review.html").read_text()  # the review the resumed run wrote
    assert "extends the video of 01 dawn (task type extend)" in page
    assert "continues from the last frame of 01 dawn" not in page


def sim_task_id(sim, index: int) -> str:
    """The id of the simulator's task made by its `index`-th create."""
    return list(sim.state.tasks.values())[index].id  # in the order they were made


def test_the_review_says_a_shot_extends_its_parent_without_the_storyboard(run, sim, world):
    """chain.json itself records that a shot extends its parent's video: the review page says
    so when the storyboard was moved away or changed since (it said "continues from the last
    frame", a frame the shot never took)."""
    (world.root / "story.toml").write_text(STORY)
    assert run("-p", "sim-byteplus", "chain", "story.toml").exit_code == 0
    (world.root / "story.toml").rename(world.root / "elsewhere.toml")
    again = run("-p", "sim-byteplus", "review", "story")
    assert again.exit_code == 0, again.stderr
    page = (world.root / "story" / "review.html").read_text()
    assert "extends the video of 01 dawn (task type extend)" in page
    assert "continues from the last frame of 01 dawn" not in page
    shots = json.loads((world.root / "story" / "chain.json").read_text())["shots"]
    assert shots["more"]["extends"] is True and "extends" not in shots["dawn"]


def test_the_library_edits_and_extends_on_the_videos_resource(sim, world):
    """`client.videos.edit` and `.extend` prepare the task type's request (checked, nothing
    sent), as `finalize` does; `generate` makes it. A refusal from the catalogue names its rule,
    and `validate=False` sends it with a notice."""
    from seedance import ValidationError

    clip(world.root / "clip.mp4")
    heard: list[str] = []
    with world.client(notify=heard.append) as client:
        edit = client.videos.edit(world.root / "clip.mp4", "make it night", dry_run=True)
        assert (edit.body["omni_reference_task_type"], edit.body["ratio"]) == ("edit", "adaptive")
        assert edit.body["duration"] == -1 and edit.request.model == "dreamina-seedance-2-5-260628"
        assert any("takes no task type edit" in note for note in heard)
        with pytest.raises(ValidationError) as refused:
            client.videos.extend("https://example.com/a.mp4", "on", model="2.0")
        assert refused.value.rule is not None
        assert refused.value.rule.name == "seedance-2.0.task_types"
        assert sim.creates() == []
        extend = client.videos.extend(
            world.root / "clip.mp4", "and on", duration=6, base_dir=world.root
        )
        made = client.videos.generate(extend, output=world.root / "more.mp4")
    assert made.video.sha256 == hashlib.sha256((world.root / "more.mp4").read_bytes()).hexdigest()
    sent = sim.creates()[-1].json()
    assert (sent["omni_reference_task_type"], sent["duration"]) == ("extend", 6)


@pytest.mark.parametrize("crash_at", ["create-sent", "create-created", "download-complete"])
def test_an_edit_killed_midway_is_resumed_not_paid_twice(world, sim_server, crash_at):
    """An edit of a local file, killed -9 at any step and run again: the same task is found (its
    local video reaches the API the same way both times), never made twice."""
    clip(world.root / "clip.mp4")
    args = ("-p", "sim-byteplus", "edit", "clip.mp4", "make it night", "-o", "night.mp4")
    killed = run_process(world, *args, crash_at=crash_at)
    assert killed.exit_code == -9, killed.stderr
    assert len(sim_server.sim.creates()) == 1
    again = run_process(world, *args)
    assert again.exit_code == 0, again.stderr
    assert len(sim_server.sim.creates()) == 1
    saved = world.root / "night.mp4"
    assert saved.is_file() and not (world.root / "night.mp4.part").exists()
