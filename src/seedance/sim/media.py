"""Real media for simulated results: a small valid MP4 and the PNG of its last frame.

With PyAV (the `video` extra) every task gets its own clip: coloured from its seed, with a
drifting background, a bar and a box that move (so frames across the clip differ visibly), and
with a tone when the task makes sound. A full clip (the demo profile's, `seedance sim`'s) has
the task's duration and size; it is painted small and scaled up, at a low bitrate, and its
frame rate gives way (down to 1 frame a second) so that no clip takes long to make. A preview
(the library's default, for tests) is a 1-second thumbnail. The PNG is exactly the last frame.
Without PyAV every task serves the clip shipped in the package (a 1-second sample).
"""

from __future__ import annotations

import io
import math
import struct
import zlib
from array import array
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol

WIDTH, HEIGHT, FPS = 256, 144, 24  # the size when a task's own cannot be known
LONGEST = 256  # the longer side of a simulated clip: small, so the simulator stays fast
MAX_SECONDS = 1  # short clips keep the simulator fast; the task still reports its duration
SAMPLE_RATE = 24_000
PIXEL_BUDGET = 20_000_000  # pixels a full clip encodes at most (~0.4 s here): fps gives way
MIN_FPS = 1
BANDS = 6  # horizontal bands of different tints


@dataclass(frozen=True)
class Clip:
    mp4: bytes
    last_frame_png: bytes


class TaskLike(Protocol):
    """What a clip depends on: the simulator's task."""

    seed: int
    params: dict[str, Any]

    @property
    def duration(self) -> int: ...

    def size(self) -> tuple[int, int]: ...


def clip_of(task: TaskLike, generate: bool = True, full: bool = False) -> Clip:
    """The clip a task made: its seed, its aspect ratio, sound when it asked for it (the
    Ark default is on, docs/sources/ark.txt); `full`: its duration and size too."""
    audio = bool(task.params.get("generate_audio", True))
    if full:
        return make_full_clip(task.seed, task.duration, generate, task.size(), audio)
    return make_clip(task.seed, task.duration, generate, preview_size(*task.size()), audio)


def frame_rate(width: int, height: int, seconds: int) -> int:
    """The frames a second of a full clip: 24 where the pixel budget allows, fewer for long
    or large clips (never under MIN_FPS)."""
    return max(MIN_FPS, min(FPS, PIXEL_BUDGET // max(1, width * height * seconds)))


@lru_cache(maxsize=8)
def make_full_clip(
    seed: int, seconds: int, generate: bool, size: tuple[int, int], audio: bool
) -> Clip:
    """A clip of `seconds` at `size` (even sides): painted at a thumbnail size, scaled up."""
    try:
        import av
    except ImportError:
        return shipped_clip()
    if not generate:
        return shipped_clip()
    width, height = (max(16, side // 2 * 2) for side in size)
    small = preview_size(width, height)
    painter = Painter(seed, *small)
    fps = frame_rate(width, height, seconds)
    frames = max(1, seconds) * fps
    buffer = io.BytesIO()
    last: Any = None
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream(
            "libx264", rate=fps, options={"preset": "ultrafast", "crf": "40"}
        )
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        sound = container.add_stream("aac", rate=SAMPLE_RATE, layout="mono") if audio else None
        for index in range(frames):
            painted = av.VideoFrame(*small, "rgb24")
            painted.planes[0].update(painter.frame(index, frames))
            last = painted.reformat(width=width, height=height, format="yuv420p")
            for packet in stream.encode(last):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if sound is not None:
            _tone(av, container, sound, seed, frames / fps)
    return Clip(buffer.getvalue(), _png_of(last.reformat(format="rgb24"), width, height))


def _png_of(frame: Any, width: int, height: int) -> bytes:
    """An RGB frame of PyAV as a PNG (its rows may be padded past width * 3 bytes)."""
    plane = frame.planes[0]
    data, stride = bytes(plane), plane.line_size
    rows = b"".join(data[y * stride : y * stride + width * 3] for y in range(height))
    return png_bytes(width, height, rows)


def preview_size(width: int, height: int, longest: int = LONGEST) -> tuple[int, int]:
    """`width` x `height` scaled so the longer side is `longest`, both even (for yuv420p)."""
    if width <= 0 or height <= 0:
        return WIDTH, HEIGHT
    scale = longest / max(width, height)
    return max(16, round(width * scale / 2) * 2), max(16, round(height * scale / 2) * 2)


def png_bytes(width: int, height: int, rgb: bytes) -> bytes:
    """An RGB image (rows of width*3 bytes) as a PNG file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    stride = width * 3
    raw = b"".join(b"\x00" + rgb[y * stride : (y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


class Painter:
    """The frames of one clip: a tinted gradient per band that drifts sideways, a white bar
    sweeping right and a box in the seed's complementary colour travelling across."""

    def __init__(self, seed: int, width: int, height: int) -> None:
        self.width, self.height = width, height
        red, green, blue = (seed * 47) % 200 + 30, (seed * 91) % 200 + 30, (seed * 13) % 200 + 30
        self.box = bytes((255 - red, 255 - green, 255 - blue))
        self.start = seed % max(1, width)
        self.bands = [
            b"".join(
                bytes(
                    (
                        (red + band * 12) % 256,
                        (green + x * 256 // width) % 256,
                        (blue + band * 25) % 256,
                    )
                )
                for x in range(width)
            )
            for band in range(BANDS)
        ]

    def frame(self, index: int, frames: int) -> bytes:
        width, height = self.width, self.height
        shift = 3 * ((index * 3) % width)
        bar = (index * width // max(frames, 1) + self.start) % width
        side = max(4, height // 4)
        box_x = (self.start + index * (width - side) // max(frames - 1, 1)) % (width - side)
        box_y = round((height - side) * (0.5 + 0.4 * math.sin(index / 4)))
        plain = []
        boxed = []
        for tint in self.bands:
            row = bytearray(tint[shift:] + tint[:shift])
            row[3 * bar : 3 * (bar + 4)] = b"\xff\xff\xff" * len(range(bar, min(bar + 4, width)))
            plain.append(bytes(row))
            row[3 * box_x : 3 * (box_x + side)] = self.box * side
            boxed.append(bytes(row))
        rows = []
        for y in range(height):
            band = y * BANDS // height
            rows.append(boxed[band] if box_y <= y < box_y + side else plain[band])
        return b"".join(rows)


def frame_rgb(seed: int, index: int, size: tuple[int, int] = (WIDTH, HEIGHT)) -> bytes:
    """Frame `index` of the (1-second) clip for `seed` at `size`, as RGB rows."""
    return Painter(seed, *size).frame(index, FPS * MAX_SECONDS)


@lru_cache(maxsize=64)
def make_clip(
    seed: int,
    seconds: int,
    generate: bool = True,
    size: tuple[int, int] = (WIDTH, HEIGHT),
    audio: bool = False,
) -> Clip:
    """The clip for a task: generated with PyAV (when installed and wanted), else the sample."""
    try:
        import av
    except ImportError:
        return shipped_clip()
    if not generate:
        return shipped_clip()
    width, height = size
    frames = max(1, min(seconds, MAX_SECONDS)) * FPS
    painter = Painter(seed, width, height)
    buffer = io.BytesIO()
    last = b""
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream(
            "libx264", rate=FPS, options={"preset": "ultrafast", "crf": "26"}
        )
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        sound = container.add_stream("aac", rate=SAMPLE_RATE, layout="mono") if audio else None
        for index in range(frames):
            last = painter.frame(index, frames)
            frame = av.VideoFrame(width, height, "rgb24")
            frame.planes[0].update(last)
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if sound is not None:
            _tone(av, container, sound, seed, frames / FPS)
    return Clip(buffer.getvalue(), png_bytes(width, height, last))


def _tone(av: Any, container: Any, stream: Any, seed: int, seconds: float) -> None:
    """A quiet tone whose pitch depends on the seed, for the whole clip."""
    per_frame = stream.codec_context.frame_size or 1024
    total = int(seconds * SAMPLE_RATE)
    second = _tone_second(seed % 12)  # a whole number of cycles: each second is the same
    for start in range(0, total, per_frame):
        at = 4 * (start % SAMPLE_RATE)
        frame = av.AudioFrame(format="fltp", layout="mono", samples=per_frame)
        frame.planes[0].update(second[at : at + 4 * per_frame])
        frame.sample_rate, frame.pts = SAMPLE_RATE, start
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)


@lru_cache(maxsize=12)
def _tone_second(step: int) -> bytes:
    """One second of the tone of pitch 220 + 40 * `step` Hz (whole cycles), then one more, as
    float samples: any frame's samples are a slice of it."""
    pitch = 220.0 + step * 40.0
    one = array(
        "f", (0.2 * math.sin(2 * math.pi * pitch * i / SAMPLE_RATE) for i in range(SAMPLE_RATE))
    )
    return one.tobytes() * 2


@lru_cache(maxsize=1)
def shipped_clip() -> Clip:
    data = resources.files("seedance.sim.data")
    return Clip(
        data.joinpath("sample.mp4").read_bytes(), data.joinpath("sample-last.png").read_bytes()
    )
