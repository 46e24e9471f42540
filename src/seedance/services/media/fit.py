"""A reference video re-encoded within the API's bounds (`fit`): scaled into the pixel range
(its aspect kept), its frame rate brought into range (frames repeated or dropped, its length
kept), H.264 in MP4; its audio kept (AAC).

The result is kept in the data directory under the source's SHA-256 and the target, so the same
video fitted again is the same file, byte for byte: the request that carries it stays the same
request (a resumed run finds its task; nothing is paid twice).
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from seedance.domain.errors import UsageError
from seedance.domain.media_bounds import MediaBounds
from seedance.services.assets.cache import file_sha256
from seedance.services.media.probe import MediaFacts

FITTED_DIR = "fitted"
VERSION = 1  # of the encoding below: a change makes new files
CODEC = "h264"
KEEP_DAYS = 30  # fitted files unused this long are removed when another is made


@dataclass(frozen=True)
class Target:
    width: int
    height: int
    fps: float

    @property
    def key(self) -> str:
        return f"{self.width}x{self.height}-{self.fps:g}fps-{CODEC}-v{VERSION}"


@dataclass(frozen=True)
class Fitted:
    path: Path
    changes: tuple[str, ...]  # what was changed, in words


def target_for(facts: MediaFacts, bounds: MediaBounds) -> Target | None:
    """The size and frame rate to re-encode `facts` to, or None when it cannot be known (its
    size or frame rate was not measured)."""
    if not facts.width or not facts.height or not facts.fps:
        return None
    width, height = facts.width, facts.height
    pixels = bounds.video_pixels
    if pixels is not None:
        low, high = pixels
        if width * height < low:
            width, height = _scaled(width, height, math.sqrt(low / (width * height)), up=True)
        elif width * height > high:
            width, height = _scaled(width, height, math.sqrt(high / (width * height)), up=False)
    fps = facts.fps
    rates = bounds.video_fps
    if rates is not None:
        fps = min(max(fps, rates[0]), rates[1])
    return Target(width, height, round(fps, 3))


def _scaled(width: int, height: int, scale: float, *, up: bool) -> tuple[int, int]:
    """Both sides times `scale`, even (for yuv420p), rounded so the pixels stay on the right
    side of the bound."""
    step = math.ceil if up else math.floor
    return max(2, 2 * step(width * scale / 2)), max(2, 2 * step(height * scale / 2))


def changes_of(facts: MediaFacts, target: Target) -> tuple[str, ...]:
    """What re-encoding to `target` changes, in words."""
    said = []
    if (facts.width, facts.height) != (target.width, target.height):
        said.append(f"{facts.width}x{facts.height} -> {target.width}x{target.height}")
    if facts.fps is not None and abs(facts.fps - target.fps) > 0.01:
        said.append(f"{facts.fps:g} -> {target.fps:g} fps")
    if facts.codec != CODEC:
        said.append(f"{facts.codec or 'unknown codec'} -> H.264")
    if not {"mp4", "mov"} & set(facts.formats):
        said.append(f"{facts.format_name} -> MP4")
    return tuple(said)


def fit(facts: MediaFacts, target: Target, data_dir: Path) -> Fitted:
    """`facts.path` re-encoded to `target` in the data directory (made once per source and
    target; an earlier one is used as it is)."""
    folder = data_dir / FITTED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(f"{file_sha256(facts.path)} {target.key}".encode()).hexdigest()
    dest = folder / f"{digest[:40]}.mp4"
    if not dest.is_file():
        _prune(folder)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            _encode(facts.path, tmp, target)
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    else:
        os.utime(dest)  # used again: kept
    return Fitted(dest, changes_of(facts, target))


def _encode(source: Path, dest: Path, target: Target) -> None:
    import av

    try:
        with av.open(str(source)) as inp, av.open(str(dest), "w", format="mp4") as out:
            video = out.add_stream(
                "libx264",
                rate=_rate(target.fps),
                options={"preset": "veryfast", "crf": "18"},
            )
            video.width, video.height, video.pix_fmt = target.width, target.height, "yuv420p"
            sound = None
            if inp.streams.audio:
                given = inp.streams.audio[0]
                sound = out.add_stream("aac", rate=given.codec_context.sample_rate or 48000)
            _frames(inp, out, video, target)
            if sound is not None:
                inp.seek(0)
                for frame in inp.decode(audio=0):
                    frame.pts = None
                    for packet in sound.encode(frame):
                        out.mux(packet)
                for packet in sound.encode():
                    out.mux(packet)
    except av.error.FFmpegError as exc:
        raise UsageError(f"cannot re-encode {source.name}: {exc}") from None


def _frames(inp: Any, out: Any, video: Any, target: Target) -> None:
    """Every output frame at the target rate: the input frame showing at its time (repeated
    when the input is slower, skipped when it is faster); the length stays the input's."""
    index, shown, last_time, gap = 0, None, 0.0, 1 / target.fps
    step = 1 / target.fps
    tick = 1 / _rate(target.fps)

    def emit(frame: Any) -> None:
        nonlocal index
        picture = frame.reformat(width=target.width, height=target.height, format="yuv420p")
        picture.pts, picture.time_base = index, tick
        for packet in video.encode(picture):
            out.mux(packet)
        index += 1

    for frame in inp.decode(video=0):
        at = float(frame.time) if frame.time is not None else index * step
        while shown is not None and index * step < at - 1e-6:
            emit(shown)
        if shown is not None and at > last_time:
            gap = at - last_time  # how long the input shows a frame
        shown, last_time = frame, at
    if shown is not None:
        while index * step < last_time + gap - 1e-6:
            emit(shown)
    for packet in video.encode():
        out.mux(packet)


def _rate(fps: float) -> Fraction:
    return Fraction(fps).limit_denominator(1001)


def _prune(folder: Path) -> None:
    """Fitted files not used for KEEP_DAYS days (their sources may be gone)."""
    cutoff = time.time() - KEEP_DAYS * 86400
    for old in folder.glob("*.mp4"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass
