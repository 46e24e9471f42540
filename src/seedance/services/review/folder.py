"""The files of an output folder under review: which the manifest names, which are missing or
unreadable, which are extra, and the stills made from its clips (the `video` extra).

Every file the review reads or writes is in the folder: a name the manifest gives that leads
out of it (`../x.mp4`, an absolute path, a link to elsewhere, after every `..` is resolved and
every link followed) is left out with a note, and nothing is read or written through it. A
manifest is data from wherever the folder came from, never a licence to touch other files."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from seedance.domain import media
from seedance.domain.errors import SeedanceError
from seedance.domain.paths import is_inside
from seedance.services.media import companions, frames
from seedance.services.review.model import Image, Seam
from seedance.services.storyboards.manifest import ShotRecord

REVIEW = "review.html"
STILLS = ("poster", "sheet", "first", "last")


def _stale(stills: list[Path], clip: Path) -> bool:
    """Whether any of the stills is missing or older than its clip (a shot made again)."""
    made = clip.stat().st_mtime
    return any(not p.is_file() or p.stat().st_mtime < made for p in stills)


# -- the files of the folder -------------------------------------------------------------------


class Folder:
    """The output folder: which files the manifest names, which are missing, which are extra,
    and the stills made from its clips."""

    def __init__(self, directory: Path, stills: bool) -> None:
        self.directory = directory
        self.real = Path(os.path.realpath(directory))
        self.outside: set[str] = set()  # names the manifest gives that lead out of the folder
        self.stills = stills
        self.known: set[str] = {REVIEW}
        self.skipped: list[str] = []
        self._info: dict[Path, frames.ClipInfo | None] = {}

    def clip(self, name: str | None, owner: str, done: bool) -> Path | None:
        if not name:
            return None
        self.known.add(name)  # and its stills, even when they outlive it
        path = self.inside(name)
        if path is None:
            return None
        self.known.update(frames.still_path(path, kind).name for kind in STILLS)
        if path.is_file():
            return path
        if done:
            self.skipped.append(f"{name}: missing ({owner} is done in the manifest)")
        return None

    def inside(self, name: str) -> Path | None:
        """`name` in the folder; None (and a note) when it leads out of it."""
        path = self.directory / name
        if is_inside(path, self.directory) and Path(os.path.realpath(path)) != self.real:
            return path
        self.outside.add(name)
        note = f"{name}: outside the folder, left out"
        if note not in self.skipped:
            self.skipped.append(note)
        return None

    def info(self, clip: Path) -> frames.ClipInfo | None:
        """The clip's size and length; None (and a note) when it cannot be read."""
        if clip not in self._info:
            self._info[clip] = None
            if self.stills:
                try:
                    self._info[clip] = frames.probe(clip)
                except SeedanceError as exc:
                    self.skipped.append(f"{clip.name}: {exc.message}")
        return self._info[clip]

    def _still(self, clip: Path, kind: str, make: Callable[[Path, Path], object]) -> Path | None:
        """`NAME.<kind>.png`, made by `make(clip, path)` unless it is newer than the clip."""
        path = frames.still_path(clip, kind)
        self.known.add(path.name)
        if not self.stills or self.info(clip) is None:
            return path if path.is_file() else None
        try:
            if _stale([path], clip):
                companions.refuse_unless_ours([path])
                make(clip, path)
        except SeedanceError as exc:
            self.skipped.append(f"{clip.name}: {exc.message}")
            return None
        return path

    def stills_of(
        self, clip: Path, title: str, first: bool = False
    ) -> tuple[Image | None, Image | None]:
        """The poster and sheet of a clip (and its first frame, for a seam), made in one pass
        unless they are newer than the clip."""
        kinds = ("poster", "sheet", "first") if first else ("poster", "sheet")
        paths = [frames.still_path(clip, kind) for kind in kinds]
        info = self.info(clip)
        if info is not None:
            try:
                if _stale(paths, clip):
                    frames.make_stills(clip, first=paths[2] if first else None)
            except SeedanceError as exc:
                self.skipped.append(f"{clip.name}: {exc.message}")
        middle = span = ""
        if info is not None:
            times = frames.sheet_times(info.seconds)
            middle = f", the frame at {frames.stamp(info.seconds / 2)}"
            span = f": {len(times)} frames from {frames.stamp(times[0])} to "
            span += frames.stamp(times[-1])
        return (
            self.image(paths[0], f"Poster of {title}{middle}"),
            self.image(paths[1], f"Contact sheet of {title}{span}"),
        )

    def seam(self, parent: ShotRecord, record: ShotRecord, titles: dict[str, str]) -> Seam:
        seam = Seam(titles.get(parent.id, parent.id), None, None)
        parent_clip = self.inside(parent.clip) if parent.clip else None
        clip = self.inside(record.clip) if record.clip else None
        frame = self.inside(parent.frame) if parent.frame else None
        if parent.frame and frame is not None and frame.is_file():
            self.known.add(parent.frame)
            last: Path | None = frame
        elif parent_clip is not None and parent_clip.is_file():
            last = self._still(parent_clip, "last", frames.save_last_frame)
        else:
            last = None
        first = frames.still_path(clip, "first") if clip is not None else None
        seam.before = self.image(last, f"Last frame of {seam.parent}")
        seam.after = self.image(first, f"First frame of {titles.get(record.id, record.id)}")
        if seam.before is None or seam.after is None:
            seam.note = "not made yet" if record.state != "done" else "frames unavailable"
        return seam

    def image(self, path: Path | None, alt: str) -> Image | None:
        if path is None or not path.is_file() or not is_inside(path, self.directory):
            return None
        with open(path, "rb") as fh:
            info = media.image_info(fh.read(65536))
        width, height = (info.width, info.height) if info else (None, None)
        return Image(path.name, alt, width, height)

    def extras(self) -> list[str]:
        """Files in the folder that the manifest does not account for."""
        found = []
        for path in sorted(self.directory.iterdir()):
            if path.is_file() and not path.name.startswith(".") and path.name not in self.known:
                found.append(f"{path.name}: not in the manifest")
        return found
