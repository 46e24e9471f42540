"""A jobs file or a storyboard reads only the local files in its own folder (issue 23,
finding 13): `~/private.png`, `../x.png`, an absolute path, a symbolic link that leads out, or
a prompt file elsewhere are refused (exit 2) naming the row or shot, the file and
--allow-outside, before anything is read of them or sent; --allow-outside (the library's
`allow_outside=True`) lets them through. Against the simulator, which records every request."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from seedance import Client
from seedance.domain.errors import Suggestion, UsageError
from support import World, png

PRIVATE = png(640, 360, b"\x01\x02\x03")  # bytes that must never reach the provider


@pytest.fixture
def folders(world: World) -> tuple[Path, Path]:
    """A project folder (the jobs file's) and, beside it, a private one."""
    home = Path(world.environ["HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "private.png").write_bytes(PRIVATE)
    private = world.root / "private"
    private.mkdir()
    (private / "secret.png").write_bytes(PRIVATE)
    (private / "prompt.txt").write_text("the private prompt")
    project = world.root / "project"
    project.mkdir()
    (project / "mine.png").write_bytes(png())
    (project / "leak.png").symlink_to(private / "secret.png")
    return project, private


def sent(sim) -> bytes:
    return b"".join(r.body for r in sim.requests)


def jobs_file(project: Path, *rows: dict) -> Path:
    path = project / "jobs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


OUTSIDE = [
    "~/private.png",
    "../private/secret.png",
    "ABSOLUTE",
    "leak.png",
    "sub/../../private/secret.png",
]


@pytest.mark.parametrize("image", OUTSIDE)
def test_a_jobs_file_naming_a_file_outside_its_folder_is_refused(world, sim, folders, image):
    project, private = folders
    if image == "ABSOLUTE":
        image = str(private / "secret.png")
    jobs_file(
        project,
        {"id": "ok", "prompt": "a lake"},
        {"id": "boat", "prompt": "a boat", "images": [image]},
    )
    refused = world.run("batch", "project/jobs.jsonl")
    assert refused.exit_code == 2, refused.stderr
    error = refused.stderr.strip().splitlines()[-1]
    assert "jobs.jsonl, line 2, column images" in error
    assert image in error and "outside the jobs file's folder" in error
    assert "--allow-outside" in error
    assert sim.requests == []
    assert not (project / "jobs").exists()  # nothing written either


def test_allow_outside_lets_the_jobs_file_read_there(world, sim, folders):
    project, _ = folders
    jobs_file(project, {"id": "boat", "prompt": "a boat", "images": ["../private/secret.png"]})
    made = world.run("batch", "project/jobs.jsonl", "--allow-outside")
    assert made.exit_code == 0, made.stderr
    assert len(sim.creates()) == 1


def test_a_file_inside_the_folder_is_read(world, sim, folders):
    project, _ = folders
    jobs_file(project, {"id": "boat", "prompt": "a boat", "images": ["mine.png", "./mine.png"]})
    made = world.run("batch", "project/jobs.jsonl")
    assert made.exit_code == 0, made.stderr


def test_jobs_on_stdin_stay_in_the_current_folder(world, sim, folders):
    line = json.dumps({"id": "boat", "prompt": "a boat", "images": ["~/private.png"]})
    refused = world.run("batch", "-", "-o", "out", input=line + "\n")
    assert refused.exit_code == 2, refused.stderr
    assert "outside the current folder" in refused.stderr and "--allow-outside" in refused.stderr
    assert sim.requests == []


def test_skipped_rows_outside_are_listed_and_never_sent(world, sim, folders):
    project, _ = folders
    jobs_file(
        project,
        {"id": "ok", "prompt": "a lake"},
        {"id": "boat", "prompt": "a boat", "images": ["~/private.png"]},
    )
    made = world.run("batch", "project/jobs.jsonl", "--skip-invalid")
    assert made.exit_code == 0, made.stderr
    assert "skipped" in made.stderr and "private.png" in made.stderr
    assert len(sim.creates()) == 1
    private = base64.b64encode(PRIVATE).decode()
    assert private.encode() not in sent(sim)  # the private image never went out


BOARDS = {
    "images": '[[shots]]\nid = "a"\nprompt = "x"\nimages = ["../private/secret.png"]\n',
    "first_frame": '[[shots]]\nid = "a"\nprompt = "x"\nfirst_frame = "leak.png"\n',
    "prompt_file": '[[shots]]\nid = "a"\nprompt_file = "../private/prompt.txt"\n',
    "defaults": '[defaults]\nimages = ["../private/secret.png"]\n'
    '[[shots]]\nid = "a"\nprompt = "x"\n',
}


@pytest.mark.parametrize("field", list(BOARDS))
def test_a_storyboard_naming_a_file_outside_its_folder_is_refused(world, sim, folders, field):
    project, _ = folders
    (project / "story.toml").write_text(BOARDS[field])
    for dry in ([], ["--dry-run"]):
        refused = world.run("chain", "project/story.toml", *dry)
        assert refused.exit_code == 2, refused.stderr
        error = refused.stderr.strip().splitlines()[-1]
        assert "shot 'a'" in error and "outside the storyboard's folder" in error
        assert f"field '{field if field != 'defaults' else 'images'}'" in error
        assert "--allow-outside" in error
        assert "the private prompt" not in refused.stderr
    assert sim.requests == []
    made = world.run("chain", "project/story.toml", "--allow-outside", "--dry-run")
    assert made.exit_code == 0, made.stderr


def test_the_library_confines_rows_to_their_folder_unless_allowed(world, sim, folders):
    project, _ = folders
    with Client.from_profile(
        "sim-byteplus", environ=world.environ, clock=world.clock, transport=world.transport
    ) as client:
        rows = [{"id": "boat", "prompt": "a boat", "images": ["../private/secret.png"]}]
        with pytest.raises(UsageError) as refused:
            client.batches.plan(rows, output=project / "out", base_dir=project, dry_run=True)
        assert refused.value.suggestion == Suggestion.again(allow_outside=True)
        session = client.batches.plan(
            rows, output=project / "out", base_dir=project, dry_run=True, allow_outside=True
        )
        assert [t.key for t in session.plan.takes] == ["boat#1"]
    assert sim.requests == []


def test_the_library_runs_confine_batches_and_storyboards_unless_allowed(world, sim, folders):
    project, _ = folders
    jobs = jobs_file(project, {"id": "boat", "prompt": "a boat", "images": ["leak.png"]})
    story = project / "story.toml"
    story.write_text(BOARDS["images"])
    with Client.from_profile(
        "sim-byteplus", environ=world.environ, clock=world.clock, transport=world.transport
    ) as client:
        with pytest.raises(UsageError) as batch:
            client.batches.run(jobs)
        assert batch.value.suggestion == Suggestion.again(allow_outside=True)
        with pytest.raises(UsageError) as board:
            client.storyboards.run(story)
        assert board.value.suggestion == Suggestion.again(allow_outside=True)
        assert sim.requests == []
        made = client.batches.run(jobs, allow_outside=True)
        assert made.ok and len(sim.creates()) == 1
        shots = client.storyboards.run(story, allow_outside=True)
        assert shots.ok and len(sim.creates()) == 2
