"""Real media for simulated results: a small valid MP4 and the PNG of its last frame.

With PyAV (the `video` extra) every task gets its own clip, coloured from its seed, and the
PNG is exactly its last frame; without it, every task serves the clip shipped in the package.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

WIDTH, HEIGHT, FPS = 512, 304, 24
MAX_SECONDS = 1  # short clips keep the simulator fast; the task still reports its duration


@dataclass(frozen=True)
class Clip:
    mp4: bytes
    last_frame_png: bytes


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


def frame_rgb(seed: int, index: int) -> bytes:
    """Frame `index` of the clip for `seed`: a coloured gradient with a bar moving across."""
    red, green, blue = (seed * 47) % 200 + 30, (seed * 91) % 200 + 30, (seed * 13) % 200 + 30
    bar = (index * 5) % WIDTH
    row = bytearray()
    for x in range(WIDTH):
        if bar <= x < bar + 8:
            row += b"\xff\xff\xff"
        else:
            row += bytes((red, (green + x) % 256, (blue + index * 3) % 256))
    return bytes(row) * HEIGHT


@lru_cache(maxsize=64)
def make_clip(seed: int, seconds: int, generate: bool = True) -> Clip:
    """The clip for a task: generated with PyAV (when installed and wanted), else the sample."""
    try:
        import av
    except ImportError:
        return shipped_clip()
    if not generate:
        return shipped_clip()
    frames = max(1, min(seconds, MAX_SECONDS)) * FPS
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream(
            "libx264", rate=FPS, options={"preset": "ultrafast", "crf": "36"}
        )
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for index in range(frames):
            frame = av.VideoFrame(WIDTH, HEIGHT, "rgb24")
            frame.planes[0].update(frame_rgb(seed, index))
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return Clip(buffer.getvalue(), png_bytes(WIDTH, HEIGHT, frame_rgb(seed, frames - 1)))


@lru_cache(maxsize=1)
def shipped_clip() -> Clip:
    data = resources.files("seedance.sim.data")
    return Clip(
        data.joinpath("sample.mp4").read_bytes(), data.joinpath("sample-last.png").read_bytes()
    )
