"""Stills from clips (the `video` extra: PyAV decodes, Pillow composes): a poster from the
middle, a contact sheet of frames across the clip with their time stamps, a frame at any time.

For a clip `NAME.mp4` the stills sit beside it: `NAME.poster.png`, `NAME.sheet.png`, and for
the seams of a storyboard `NAME.first.png` (its first frame) and `NAME.last.png` (its last).
Imported only when needed, so the core install stays light and starts fast.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedance.domain.documents import shown
from seedance.domain.errors import Reason, UsageError
from seedance.services.media import companions
from seedance.services.media.video import INSTALL_HINT

SHEET_FRAMES = 12
SHEET_COLUMNS = {"landscape": 4, "portrait": 6}
TILE_LONGEST = 240  # pixels: the longer side of one frame on a sheet
GAP = 4
PREVIEW_LONGEST = 768  # pixels: a preview's longer side (a contact sheet stays legible)
SHEET_BACKGROUND = (24, 24, 24)
LABEL_BACKGROUND = (0, 0, 0)
LABEL_TEXT = (255, 255, 255)


def missing() -> list[str]:
    """The packages of the `video` extra that are not installed (empty when both are)."""
    absent = []
    for module, name in (("av", "PyAV"), ("PIL", "Pillow")):
        try:
            __import__(module)
        except ImportError:
            absent.append(name)
    return absent


def available() -> bool:
    return not missing()


def unavailable_notice(what: str = "posters and contact sheets") -> str:
    """The one notice to show when the extra is missing."""
    return f"{what} need {' and '.join(missing()) or 'PyAV and Pillow'}: {INSTALL_HINT}"


def _require() -> Any:
    absent = missing()
    if absent:
        raise UsageError(
            f"frames from clips need {' and '.join(absent)}, which "
            f"{'is' if len(absent) == 1 else 'are'} not installed",
            reason=Reason.of("install_extra", extra="video"),
        )
    import av

    return av


# -- where stills go -------------------------------------------------------------------------


def still_path(clip: Path, kind: str) -> Path:
    """`NAME.<kind>.png` beside `NAME.mp4` (kind: poster, sheet, first, last)."""
    return companions.still_path(clip, kind)


def poster_path(clip: Path) -> Path:
    return still_path(clip, "poster")


def sheet_path(clip: Path) -> Path:
    return still_path(clip, "sheet")


def outputs(clip: Path) -> list[Path]:
    """The files `make_stills` writes for `clip` (to check before anything is paid)."""
    return [poster_path(clip), sheet_path(clip)]


# -- reading clips ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClipInfo:
    """What a clip holds."""

    width: int
    height: int
    seconds: float
    fps: float | None
    audio: bool

    @property
    def portrait(self) -> bool:
        return self.height > self.width


def probe(clip: Path) -> ClipInfo:
    """The size, length and streams of a clip (UsageError when it is not a readable video)."""
    with _opened(clip) as container:
        stream = container.streams.video[0]
        seconds = 0.0
        if stream.duration is not None and stream.time_base is not None:
            seconds = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            seconds = container.duration / 1_000_000
        rate = stream.average_rate
        return ClipInfo(
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            seconds=seconds,
            fps=float(rate) if rate else None,
            audio=bool(container.streams.audio),
        )


class _opened:
    """`av.open(clip)` whose failures are one-line usage errors naming the file."""

    def __init__(self, clip: Path) -> None:
        self.clip = clip
        self.container: Any = None

    def __enter__(self) -> Any:
        av = _require()
        if not self.clip.is_file():
            raise UsageError(f"{self.clip} does not exist", field="clip")
        try:
            self.container = av.open(str(self.clip))
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            raise _unreadable(self.clip, exc) from None
        if not self.container.streams.video:
            self.container.close()
            raise UsageError(f"{self.clip} has no video stream", field="clip")
        return self.container

    def __exit__(self, *exc: object) -> None:
        self.container.close()


def _unreadable(clip: Path, exc: BaseException) -> UsageError:
    reason = getattr(exc, "strerror", None) or str(exc)
    return UsageError(
        f"cannot read the video {clip}: {reason}",
        reason="video_damaged",
        field="clip",
    )


def _frames(clip: Path) -> Iterator[tuple[float, Any]]:
    """Every decoded frame of `clip` with its time in seconds."""
    av = _require()
    with _opened(clip) as container:
        stream = container.streams.video[0]
        rate = float(stream.average_rate) if stream.average_rate else 24.0
        try:
            for index, frame in enumerate(container.decode(stream)):
                time = frame.time if frame.time is not None else index / rate
                yield float(time), frame
        except av.error.FFmpegError as exc:
            raise _unreadable(clip, exc) from None


def frames_at(clip: Path, times: list[float]) -> list[tuple[float, Any]]:
    """The frame shown at each of `times` (seconds), as (frame time, Pillow image), decoding
    the clip once. A time past the last frame gets the last frame."""
    return [(time, frame.to_image()) for time, frame in _pick(clip, times)]


def _pick(clip: Path, times: list[float]) -> list[tuple[float, Any]]:
    """The decoded frame (PyAV's) shown at each of `times`."""
    order = sorted(range(len(times)), key=lambda i: times[i])
    chosen: dict[int, tuple[float, Any]] = {}
    previous: tuple[float, Any] | None = None
    pending = 0
    for time, frame in _frames(clip):
        while pending < len(order) and time > times[order[pending]] + 1e-6:
            chosen[order[pending]] = previous or (time, frame)
            pending += 1
        previous = (time, frame)
        if pending == len(order):
            break
    if previous is None:
        raise UsageError(f"{clip} has no video frames", field="clip")
    for index in order[pending:]:
        chosen[index] = previous
    return [chosen[i] for i in range(len(times))]


# -- writing stills --------------------------------------------------------------------------


def _save(image: Any, dest: Path) -> Path:
    """`image` as a PNG at `dest`, atomically, with seedance's mark (services/companions.py).
    Written to a temporary file of its own, made new (never through a file or link put in
    its place), then renamed over `dest` (a link there is replaced, never followed)."""
    from PIL import PngImagePlugin

    dest.parent.mkdir(parents=True, exist_ok=True)
    mark = PngImagePlugin.PngInfo()
    mark.add_text(companions.MARK_KEY, companions.MARK)
    name = dest.with_name(f".{dest.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    handle = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # new, as umask says
    try:
        with os.fdopen(handle, "wb") as out:
            image.save(out, format="PNG", compress_level=1, pnginfo=mark)  # fast: previews
        os.replace(name, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return dest


def save_frame(clip: Path, dest: Path, at: float | None = None) -> tuple[Path, float]:
    """The frame at `at` seconds (default: the middle of the clip) as a PNG; returns the path
    and the time of the frame saved."""
    seconds = probe(clip).seconds
    if at is None:
        at = seconds / 2
    elif at < 0 or (seconds and at > seconds):
        raise UsageError(
            f"{clip} is {seconds:.2f} s long; there is no frame at {at:g} s",
            field="at",
            allowed=[f"0-{seconds:.2f}"],
        )
    [(time, image)] = frames_at(clip, [at])
    return _save(image, dest), time


def save_first_frame(clip: Path, dest: Path) -> Path:
    return save_frame(clip, dest, 0.0)[0]


def save_last_frame(clip: Path, dest: Path) -> Path:
    [(_time, image)] = frames_at(clip, [float("inf")])
    return _save(image, dest)


def parse_time(text: str) -> float:
    """`1.5`, `1.5s`, `1500ms`, `0:01.5` or `1:02:03.5` as seconds."""
    value = text.strip().lower()
    try:
        if value.endswith("ms"):
            seconds = float(value[:-2]) / 1000
        elif ":" in value:
            seconds = 0.0
            for part in value.split(":"):
                seconds = seconds * 60 + float(part)
        else:
            seconds = float(value.removesuffix("s"))
    except ValueError:
        seconds = float("nan")
    if not seconds >= 0 or seconds == float("inf"):  # also refuses nan
        raise UsageError(
            f"'{shown(text)}' is not a time in the clip",
            reason="time_format",
            field="at",
        )
    return seconds


def stamp(seconds: float) -> str:
    """A time stamp for a sheet: `0:02.50`."""
    minutes, rest = divmod(max(seconds, 0.0), 60)
    return f"{int(minutes)}:{rest:05.2f}"


def sheet_times(seconds: float, count: int = SHEET_FRAMES) -> list[float]:
    """Times spread evenly across the clip: the middle of each of `count` equal spans."""
    return [(i + 0.5) * seconds / count for i in range(count)]


def save_sheet(clip: Path, dest: Path, count: int = SHEET_FRAMES) -> Path:
    """A contact sheet: `count` frames across the clip in a grid, each with its time stamp."""
    info = probe(clip)
    return _save(_sheet(info, _pick(clip, sheet_times(info.seconds, count))), dest)


def _sheet(info: ClipInfo, picked: list[tuple[float, Any]]) -> Any:
    """The (time, PyAV frame) pairs in a grid, each labelled with its time stamp."""
    from PIL import Image, ImageDraw

    columns = SHEET_COLUMNS["portrait" if info.portrait else "landscape"]
    scale = TILE_LONGEST / max(info.width, info.height, 1)
    tile_w, tile_h = max(1, round(info.width * scale)), max(1, round(info.height * scale))
    rows = -(-len(picked) // columns)
    sheet = Image.new(
        "RGB",
        (columns * tile_w + (columns + 1) * GAP, rows * tile_h + (rows + 1) * GAP),
        SHEET_BACKGROUND,
    )
    draw = ImageDraw.Draw(sheet)
    font = _font()
    scaler = _require().video.reformatter.VideoReformatter()  # one scaling context for all
    for index, (time, frame) in enumerate(picked):
        x = GAP + (index % columns) * (tile_w + GAP)
        y = GAP + (index // columns) * (tile_h + GAP)
        tile = scaler.reformat(
            frame, width=tile_w, height=tile_h, format="rgb24", interpolation="BILINEAR"
        )
        sheet.paste(tile.to_image(), (x, y))
        label = stamp(time)
        left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
        box = (x, y + tile_h - (bottom - top) - 6, x + (right - left) + 6, y + tile_h)
        draw.rectangle(box, fill=LABEL_BACKGROUND)
        draw.text((box[0] + 3 - left, box[1] + 3 - top), label, fill=LABEL_TEXT, font=font)
    return sheet


def _font() -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=13)
    except (TypeError, OSError):  # an older Pillow, or one without FreeType
        return ImageFont.load_default()


@dataclass(frozen=True)
class Stills:
    poster: Path
    sheet: Path
    first: Path | None = None


def existing_stills(clip: Path) -> Stills | None:
    """The poster and contact sheet beside `clip` when both are there and not older than it
    (made from this very file)."""
    poster, sheet = poster_path(clip), sheet_path(clip)
    try:
        made = clip.stat().st_mtime
        if poster.stat().st_mtime >= made and sheet.stat().st_mtime >= made:
            return Stills(poster, sheet)
    except OSError:
        return None
    return None


def preview(image: Path, longest: int = PREVIEW_LONGEST) -> bytes:
    """A still as a small JPEG, its longer side at most `longest` pixels: what a reader with
    little room (an agent's context) looks at."""
    _require()
    import io

    from PIL import Image

    with Image.open(image) as opened:
        small = opened.convert("RGB")
    small.thumbnail((longest, longest))
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=85)
    return out.getvalue()


def make_stills(clip: Path, *, first: Path | None = None, force: bool = False) -> Stills:
    """The poster (a frame from the middle) and the contact sheet of `clip`, beside it, and
    its first frame at `first` when asked, from one pass over the clip. None is written over
    a file seedance did not make (UsageError, nothing written), unless `force`."""
    targets = [poster_path(clip), sheet_path(clip), *([first] if first else [])]
    companions.refuse_unless_ours(targets, force=force)
    info = probe(clip)
    times = [info.seconds / 2, *sheet_times(info.seconds)] + ([0.0] if first else [])
    picked = _pick(clip, times)
    poster = _save(picked[0][1].to_image(), poster_path(clip))
    sheet = _save(_sheet(info, picked[1 : 1 + SHEET_FRAMES]), sheet_path(clip))
    if first is not None:
        _save(picked[-1][1].to_image(), first)
    return Stills(poster, sheet, first)
