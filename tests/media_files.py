"""Small reference media made by the tests with PyAV (a few KB, a fraction of a second each),
and the big files the size bounds need (written as they are, no encoding)."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path


def video(
    path: Path,
    width: int = 854,
    height: int = 480,
    fps: int = 24,
    seconds: float = 2.0,
    codec: str = "libx264",
) -> Path:
    """A moving test pattern: `seconds` at `fps`, `width`x`height`, in MP4."""
    import av

    options = {"preset": "ultrafast"} if codec == "libx264" else {"preset": "12"}
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream(codec, rate=fps, options=options)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(round(fps * seconds)):
            frame = av.VideoFrame(width, height, "yuv420p")
            for number, plane in enumerate(frame.planes):
                row = bytes((index * 5 + x + number * 60) % 256 for x in range(plane.line_size))
                plane.update(row * (height if number == 0 else (height + 1) // 2))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def wav(path: Path, seconds: float = 3.0, rate: int = 16_000) -> Path:
    """A quiet tone as 16-bit mono WAV, encoded by PyAV."""
    import math
    from array import array

    import av

    with av.open(str(path), "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=rate, layout="mono")
        total, step = int(seconds * rate), 1024
        for start in range(0, total, step):
            count = min(step, total - start)
            samples = array(
                "h",
                (
                    int(3000 * math.sin(2 * math.pi * 440 * (start + i) / rate))
                    for i in range(count)
                ),
            )
            frame = av.AudioFrame(format="s16", layout="mono", samples=count)
            frame.planes[0].update(samples.tobytes())
            frame.sample_rate, frame.pts = rate, start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def big_wav(path: Path, size: int) -> Path:
    """A WAV file of `size` bytes (silence), written directly: PyAV would take as long as its
    length to encode it. 8 channels at 192 kHz: 30 MB last about 10 s, within the models'
    15 s of reference audio, so only its size is out of bounds."""
    data = size - 44
    header = (
        b"RIFF"
        + struct.pack("<I", size - 8)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 8, 192_000, 3_072_000, 16, 16)
        + b"data"
        + struct.pack("<I", data)
    )
    with path.open("wb") as out:
        out.write(header)
        out.truncate(size)
    return path


def big_png(path: Path, side: int) -> Path:
    """A side x side PNG of noise, stored uncompressed: about 3 x side^2 bytes, a valid image
    the API's image rules take (under 30 MB when side < 3150)."""
    raw = os.urandom(side * 3)
    rows = b"".join(b"\x00" + raw[(y * 7) % 97 :] + raw[: (y * 7) % 97] for y in range(side))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    png += chunk(b"IDAT", zlib.compress(rows, 0)) + chunk(b"IEND", b"")
    path.write_bytes(png)
    return path
