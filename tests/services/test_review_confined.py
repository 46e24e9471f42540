"""`seedance review DIR` reads and writes only in DIR (issue 23, finding 7): a planted
`batch.json` or `chain.json` naming `../victim/holiday.mp4`, an absolute path or a link that
leads out makes no poster, sheet or frame outside DIR and reads no file there; the storyboard
a chain manifest names is read only by its name, in DIR or beside it as its run's own."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

CLIP = resources.files("seedance.sim.data").joinpath("sample.mp4").read_bytes()


@pytest.fixture
def victim(world) -> Path:
    """A folder beside the planted one, holding a clip of the user's own."""
    folder = world.root / "victim"
    folder.mkdir()
    (folder / "holiday.mp4").write_bytes(CLIP)
    return folder


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def plant_batch(folder: Path, clip: str) -> None:
    folder.mkdir(exist_ok=True)
    take = {"take": 1, "state": "done", "task_id": "cgt-1", "clip": clip}
    manifest = {"jobs": "jobs.jsonl", "rows": [{"id": "holiday", "takes": [take]}]}
    (folder / "batch.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    "clip", ["../victim/holiday.mp4", "ABSOLUTE", "link.mp4", "sub/../../victim/holiday.mp4"]
)
def test_a_planted_batch_manifest_makes_nothing_outside_the_folder(world, run, victim, clip):
    planted = world.root / "planted"
    planted.mkdir()
    if clip == "ABSOLUTE":
        clip = str(victim / "holiday.mp4")
    if clip == "link.mp4":
        (planted / "link.mp4").symlink_to(victim / "holiday.mp4")
    plant_batch(planted, clip)
    before = files_of(victim)
    result = run("review", "planted", "--json")
    assert result.exit_code == 0, result.stderr
    assert files_of(victim) == before  # no poster, no sheet beside the victim's clip
    assert f"{clip}: outside the folder, left out" in json.loads(result.stdout)["skipped"]
    assert not list(planted.glob("*.png"))  # nor inside, from a clip outside
    html = (planted / "review.html").read_text()
    assert "outside the folder" in html


def test_a_planted_chain_manifest_makes_nothing_outside_the_folder(world, run, victim):
    planted = world.root / "planted"
    planted.mkdir()
    (world.root / "secret.toml").write_text('[[shots]]\nid = "a"\nprompt = "my private plot"\n')
    shot = {"id": "a", "index": 1, "state": "done", "task_id": "cgt-1"}
    shots = {
        "a": {**shot, "clip": "../victim/holiday.mp4", "frame": str(victim / "holiday.mp4")},
        "b": {**shot, "id": "b", "index": 2, "parent": "a", "clip": str(victim / "holiday.mp4")},
    }
    manifest = {
        "storyboard": str(world.root / "secret.toml"),
        "profile": "demo",
        "created_at": 0,
        "updated_at": 0,
        "shots": shots,
    }
    (planted / "chain.json").write_text(json.dumps(manifest))
    before = files_of(victim)
    result = run("review", "planted", "--json")
    assert result.exit_code == 0, result.stderr
    assert files_of(victim) == before
    html = (planted / "review.html").read_text()
    assert "my private plot" not in html  # the storyboard is not read from where it says
    assert not list(planted.glob("*.png"))


def test_a_still_that_is_a_link_out_is_neither_read_nor_written_through(world, run, victim):
    folder = world.root / "real"
    folder.mkdir()
    (folder / "holiday.mp4").write_bytes(CLIP)
    plant_batch(folder, "holiday.mp4")
    target = victim / "poster.png"
    target.write_bytes(b"the user's own file")
    (folder / "holiday.poster.png").symlink_to(target)
    result = run("review", "real", "--json")
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes() == b"the user's own file"
    assert (folder / "holiday.poster.png").is_symlink()


def test_a_manifest_that_is_a_link_out_is_not_read(world, run, victim):
    planted = world.root / "planted"
    planted.mkdir()
    elsewhere = world.root / "elsewhere"
    plant_batch(elsewhere, "holiday.mp4")
    (planted / "batch.json").symlink_to(elsewhere / "batch.json")
    result = run("review", "planted")
    assert result.exit_code == 2 and "leads out of the folder" in result.stderr


def test_the_storyboard_beside_its_own_folder_is_still_read(world, run, sim):
    (world.root / "story.toml").write_text('[[shots]]\nid = "a"\nprompt = "a paper boat"\n')
    assert run("chain", "story.toml").exit_code == 0
    result = run("review", "story", "--json")
    assert result.exit_code == 0, result.stderr
    assert not [s for s in json.loads(result.stdout)["skipped"] if "storyboard" in s]
