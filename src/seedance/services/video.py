"""Local video work with PyAV (the `video` extra): last frames and joining clips.

Imported only when needed, so the core install stays light and starts fast.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Any

from seedance.domain.errors import UsageError

INSTALL_HINT = "install it with: pip install 'seedance[video]'"


def available() -> bool:
    try:
        import av  # noqa: F401
    except ImportError:
        return False
    return True


def _av() -> Any:
    try:
        import av
    except ImportError:
        raise UsageError("this needs PyAV, which is not installed", hint=INSTALL_HINT) from None
    return av


def extract_last_frame(clip: Path, dest: Path) -> Path:
    """Save the last frame of `clip` as a PNG at `dest` (atomically)."""
    av = _av()
    last = None
    try:
        with av.open(str(clip)) as container:
            for frame in container.decode(video=0):
                last = frame
    except av.error.FFmpegError as exc:
        raise UsageError(f"cannot read the video {clip}: {exc}") from None
    if last is None:
        raise UsageError(f"{clip} has no video frames")
    tmp = dest.with_name(dest.name + ".tmp")
    with av.open(str(tmp), "w", format="image2") as out:
        stream = out.add_stream("png")
        stream.width, stream.height, stream.pix_fmt = last.width, last.height, "rgb24"
        for packet in stream.encode(last.reformat(format="rgb24")):
            out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    os.replace(tmp, dest)
    return dest


def _signature(stream: Any) -> tuple[Any, ...]:
    ctx = stream.codec_context
    return (ctx.name, ctx.width, ctx.height, getattr(ctx, "pix_fmt", None))


def concat(clips: list[Path], dest: Path) -> str:
    """Join `clips` into `dest`; returns "remux" (no re-encoding) or "reencode"."""
    av = _av()
    if not clips:
        raise UsageError("there are no clips to join")
    inputs = [av.open(str(c)) for c in clips]
    try:
        signatures = {_signature(c.streams.video[0]) for c in inputs}
        tmp = dest.with_name(dest.name + ".tmp.mp4")
        how = "remux" if len(signatures) == 1 else "reencode"
        with av.open(str(tmp), "w", format="mp4") as out:
            (_remux if how == "remux" else _reencode)(inputs, out)
        os.replace(tmp, dest)
        return how
    finally:
        for container in inputs:
            container.close()


def _remux(inputs: list[Any], out: Any) -> None:
    template = inputs[0].streams.video[0]
    stream = out.add_stream_from_template(template)
    offset = 0
    for container in inputs:
        source = container.streams.video[0]
        scale = Fraction(source.time_base) / Fraction(stream.time_base) if stream.time_base else 1
        end = offset
        for packet in container.demux(source):
            if packet.dts is None:
                continue
            pts = packet.pts if packet.pts is not None else packet.dts
            packet.pts = offset + round(pts * scale)
            packet.dts = offset + round(packet.dts * scale)
            end = max(end, packet.pts + round((packet.duration or 0) * scale))
            packet.stream = stream
            out.mux(packet)
        offset = end


def _reencode(inputs: list[Any], out: Any) -> None:
    first = inputs[0].streams.video[0].codec_context
    stream = out.add_stream("libx264", rate=24)
    stream.width, stream.height, stream.pix_fmt = first.width, first.height, "yuv420p"
    for container in inputs:
        for frame in container.decode(video=0):
            frame = frame.reformat(width=first.width, height=first.height, format="yuv420p")
            frame.pts = None
            for packet in stream.encode(frame):
                out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
