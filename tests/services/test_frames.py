"""Frames, posters and contact sheets from real clips the simulator makes (PyAV + Pillow), and
the `frames` command and `--sheet` around them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from seedance.domain.errors import UsageError
from seedance.services.media import frames
from seedance.sim import media

PORTRAIT = media.preview_size(720, 1280)  # 9:16 at 720p, scaled down


def clip_file(folder: Path, name: str, seed: int, size=(256, 144), audio=False) -> Path:
    path = folder / name
    path.write_bytes(media.make_clip(seed, 5, True, size, audio).mp4)
    return path


def difference(a: Image.Image, b: Image.Image) -> int:
    """How many pixels differ between two images of one size."""
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB")).convert("L")
    return diff.point(lambda value: 255 if value > 24 else 0).histogram()[255]


def tiles(sheet: Image.Image, size: tuple[int, int], columns: int) -> list[Image.Image]:
    scale = frames.TILE_LONGEST / max(size)
    width, height = round(size[0] * scale), round(size[1] * scale)
    found = []
    for index in range(frames.SHEET_FRAMES):
        x = frames.GAP + (index % columns) * (width + frames.GAP)
        y = frames.GAP + (index // columns) * (height + frames.GAP)
        found.append(sheet.crop((x, y, x + width, y + height)))
    return found


def test_a_9_16_clip_keeps_its_ratio_in_the_poster_and_the_sheet(tmp_path):
    assert PORTRAIT == (144, 256)
    clip = clip_file(tmp_path, "tall.mp4", seed=5, size=PORTRAIT)
    info = frames.probe(clip)
    assert (info.width, info.height, info.portrait, info.audio) == (144, 256, True, False)
    assert info.seconds == pytest.approx(1.0, abs=0.05)

    stills = frames.make_stills(clip)
    assert (stills.poster, stills.sheet) == (
        tmp_path / "tall.poster.png",
        tmp_path / "tall.sheet.png",
    )
    assert Image.open(stills.poster).size == PORTRAIT
    sheet = Image.open(stills.sheet).convert("RGB")
    columns = frames.SHEET_COLUMNS["portrait"]
    assert sheet.size == (columns * 135 + (columns + 1) * 4, 2 * 240 + 3 * 4)
    shown = tiles(sheet, PORTRAIT, columns)
    # visible motion: the first and last frames on the sheet differ in many pixels
    assert difference(shown[0], shown[-1]) > 0.05 * 135 * 240
    # every tile carries its time stamp: a black label with white text, bottom left
    for tile in shown:
        label = tile.crop((0, tile.height - 14, 50, tile.height))
        colours = {colour for _count, colour in label.getcolors(maxcolors=1 << 16)}
        assert (0, 0, 0) in colours and any(min(c) > 200 for c in colours)
    assert frames.stamp(frames.sheet_times(1.0)[-1]) == "0:00.96"


def test_a_clip_with_sound_is_read_like_any_other(tmp_path):
    clip = clip_file(tmp_path, "loud.mp4", seed=3, audio=True)
    info = frames.probe(clip)
    assert info.audio and (info.width, info.height) == (256, 144)
    path, time = frames.save_frame(clip, tmp_path / "at.png", 0.5)
    assert time == pytest.approx(0.5, abs=1 / 24)
    assert Image.open(path).size == (256, 144)
    assert frames.make_stills(clip).sheet.is_file()


def test_clips_differ_per_task_and_are_the_same_for_the_same_task(tmp_path):
    first = frames.frames_at(clip_file(tmp_path, "a.mp4", seed=1), [0.5])[0][1]
    second = frames.frames_at(clip_file(tmp_path, "b.mp4", seed=2), [0.5])[0][1]
    again = frames.frames_at(clip_file(tmp_path, "c.mp4", seed=1), [0.5])[0][1]
    assert difference(first, second) > 0.5 * 256 * 144
    assert difference(first, again) == 0


def test_the_simulator_follows_the_task_s_ratio_and_sound(world, run, media_sim):
    tall = world.root / "tall.mp4"
    result = run("create", "a lighthouse", "--ratio", "9:16", "-o", str(tall), "--json")
    assert result.exit_code == 0, result.stderr
    quiet = world.root / "quiet.mp4"
    result = run("create", "a calm sea", "--no-generate-audio", "-o", str(quiet))
    assert result.exit_code == 0, result.stderr
    tall_info, quiet_info = frames.probe(tall), frames.probe(quiet)
    assert (tall_info.width, tall_info.height, tall_info.audio) == (144, 256, True)
    assert (quiet_info.width, quiet_info.height, quiet_info.audio) == (256, 144, False)


def test_corrupt_files_are_a_clear_usage_error(tmp_path, run):
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"not a video" * 50)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(media.make_clip(9, 5, True, (256, 144), False).mp4[:3000])
    for bad in (garbage, cut):
        with pytest.raises(UsageError, match=f"cannot read the video {bad}"):
            frames.make_stills(bad)
        result = run("frames", str(bad))
        assert result.exit_code == 2
        assert result.stderr.startswith(f"error: cannot read the video {bad}")
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
        assert not frames.poster_path(bad).exists()
    result = run("frames", str(tmp_path / "none.mp4"), "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["message"].endswith("none.mp4 does not exist")


def test_the_frames_command(tmp_path, run):
    clip = clip_file(tmp_path, "boat.mp4", seed=4)
    result = run("frames", str(clip))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{tmp_path / 'boat.poster.png'}\n"
    result = run("frames", str(clip), "--at", "0:00.25", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["path"] == str(tmp_path / "boat.at-0.25s.png")
    assert document["time"] == pytest.approx(0.25, abs=1 / 24)
    result = run("frames", str(clip), "--sheet", "-o", str(tmp_path / "out"))
    assert result.exit_code == 2  # no such folder: nothing written
    (tmp_path / "out").mkdir()
    result = run("frames", str(clip), "--sheet", "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    assert Image.open(tmp_path / "out" / "boat.sheet.png").width == 4 * 240 + 5 * 4

    before = (tmp_path / "boat.poster.png").read_bytes()
    refused = run("frames", str(clip), "--at", "0.9")
    assert refused.exit_code == 0  # another name: boat.at-0.9s.png
    refused = run("frames", str(clip))
    assert refused.exit_code == 2 and "already exists" in refused.stderr
    assert run("frames", str(clip), "--force").exit_code == 0
    assert (tmp_path / "boat.poster.png").read_bytes() == before  # the same frame again

    for args, words in (
        (["--at", "3s"], "is 1.00 s long; there is no frame at 3 s"),
        (["--at", "soon"], "'soon' is not a time"),
        (["--at", "1s", "--sheet"], "not both"),
        (["-o", str(tmp_path / "x.jpg")], "not a .png file name"),
    ):
        result = run("frames", str(clip), *args)
        assert result.exit_code == 2 and words in result.stderr, (args, result.stderr)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1.5", 1.5), ("1.5s", 1.5), ("1500ms", 1.5), ("0:01.5", 1.5), ("1:02:03", 3723.0)],
)
def test_times_are_read_in_several_forms(text, seconds):
    assert frames.parse_time(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["-1", "nan", "inf", "1.5x", ""])
def test_bad_times_are_refused(text):
    with pytest.raises(UsageError):
        frames.parse_time(text)


# -- --sheet on create and download -----------------------------------------------------------


def test_create_sheet_saves_a_poster_and_a_sheet_after_the_download(world, run, media_sim):
    out = world.root / "boat.mp4"
    result = run("create", "a paper boat", "-o", str(out), "--sheet", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["download"]["path"] == str(out)
    assert document["stills"] == {
        "poster": str(world.root / "boat.poster.png"),
        "sheet": str(world.root / "boat.sheet.png"),
    }
    assert Image.open(world.root / "boat.poster.png").size == (256, 144)


def test_still_paths_are_checked_before_anything_is_paid(world, run, media_sim):
    (world.root / "boat.sheet.png").write_bytes(b"mine")
    result = run("create", "a paper boat", "-o", str(world.root / "boat.mp4"), "--sheet")
    assert result.exit_code == 2 and "boat.sheet.png already exists" in result.stderr
    assert media_sim.creates() == []
    assert (world.root / "boat.sheet.png").read_bytes() == b"mine"
    result = run("create", "a paper boat", "--sheet")
    assert result.exit_code == 2 and "--sheet needs --output" in result.stderr
    assert media_sim.creates() == []


def test_download_sheet(world, run, media_sim):
    task_id = run("create", "a paper boat").stdout.strip()
    assert run("wait", task_id).exit_code == 0
    (world.root / "clip.poster.png").write_bytes(b"mine")
    clip = str(world.root / "clip.mp4")
    refused = run("download", task_id, "-o", clip, "--sheet")
    assert refused.exit_code == 2 and "clip.poster.png already exists" in refused.stderr
    assert not (world.root / "clip.mp4").exists()  # refused before downloading
    result = run("download", task_id, "-o", clip, "--sheet", "--force")
    assert result.exit_code == 0, result.stderr
    assert Image.open(world.root / "clip.poster.png").size == (256, 144)
    assert (world.root / "clip.sheet.png").is_file()


def test_without_the_extra_sheet_is_one_notice_never_a_failure(world, run, media_sim, monkeypatch):
    monkeypatch.setattr(frames, "missing", lambda: ["Pillow"])
    out = world.root / "boat.mp4"
    result = run("create", "a paper boat", "-o", str(out), "--sheet")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{out}\n" and out.is_file()
    notices = [line for line in result.stderr.splitlines() if "need Pillow" in line]
    assert notices == [
        "warning: posters and contact sheets need Pillow: install the 'video' extra (PyAV "
        "and Pillow): pip install '.[video]' from a clone of the repository, or pip install "
        "'seedance[video]' in the environment it is installed in"
    ]
    assert not frames.poster_path(out).exists()


def test_without_pyav_the_simulator_serves_the_shipped_clip(monkeypatch):
    monkeypatch.setitem(sys.modules, "av", None)  # `import av` fails
    try:
        assert media.make_clip(77, 5, True, PORTRAIT, True) == media.shipped_clip()
    finally:
        media.make_clip.cache_clear()
