"""Local video work with PyAV (the `video` extra): last frames and joining clips.

Imported only when needed, so the core install stays light and starts fast.
"""

from __future__ import annotations

import os
import threading
from fractions import Fraction
from pathlib import Path
from typing import Any

from seedance.domain.errors import Reason, UsageError
from seedance.domain.extras import install_hint

INSTALL_HINT = install_hint("video")


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
        raise UsageError(
            "this needs PyAV, which is not installed",
            reason=Reason.of("install_extra", extra="video"),
        ) from None
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
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with av.open(str(tmp), "w", format="image2") as out:
            stream = out.add_stream("png")
            stream.width, stream.height, stream.pix_fmt = last.width, last.height, "rgb24"
            for packet in stream.encode(last.reformat(format="rgb24")):
                out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def _signature(stream: Any) -> tuple[Any, ...]:
    ctx = stream.codec_context
    return (ctx.name, ctx.width, ctx.height, getattr(ctx, "pix_fmt", None))


def _audio_signature(stream: Any) -> tuple[Any, ...]:
    ctx = stream.codec_context
    return (ctx.name, ctx.sample_rate, getattr(ctx.layout, "name", None))


def concat(clips: list[Path], dest: Path) -> str:
    """Join `clips` into `dest`, sound and all; returns "remux" (no re-encoding) or
    "reencode". Clips with sound keep it (silence where a clip has none)."""
    av = _av()
    if not clips:
        raise UsageError("there are no clips to join")
    inputs = [av.open(str(c)) for c in clips]
    try:
        signatures = {_signature(c.streams.video[0]) for c in inputs}
        sounds = [c.streams.audio[0] if c.streams.audio else None for c in inputs]
        audio_kinds = {_audio_signature(a) for a in sounds if a is not None}
        same_sound = all(a is not None for a in sounds) and len(audio_kinds) == 1
        remux = len(signatures) == 1 and (same_sound or not audio_kinds)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{threading.get_ident()}.tmp.mp4")
        try:
            with av.open(str(tmp), "w", format="mp4") as out:
                if remux:
                    _remux(inputs, out, with_audio=bool(audio_kinds))
                else:
                    _reencode(inputs, out, with_audio=bool(audio_kinds))
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return "remux" if remux else "reencode"
    finally:
        for container in inputs:
            container.close()


def _remux(inputs: list[Any], out: Any, *, with_audio: bool) -> None:
    """Every clip's packets, one after the other, each stream's times shifted by the length
    of the clips before it (the longer of its video and its sound). A later clip's audio
    priming (packets before time 0) is left out: it would overlap the clip before."""
    kinds = ["video", "audio"] if with_audio else ["video"]
    targets = {
        kind: out.add_stream_from_template(getattr(inputs[0].streams, kind)[0]) for kind in kinds
    }
    last_dts: dict[str, int] = {}
    offset = Fraction(0)  # seconds
    for index, container in enumerate(inputs):
        end = offset
        sources = [getattr(container.streams, kind)[0] for kind in kinds]
        for packet in container.demux(*sources):
            if packet.dts is None:
                continue
            kind = packet.stream.type
            pts = packet.pts if packet.pts is not None else packet.dts
            if index and pts < 0:
                continue
            target = targets[kind]
            base = Fraction(packet.stream.time_base)
            scale = base / Fraction(target.time_base)
            shift = round(offset / Fraction(target.time_base))
            dts = max(shift + round(packet.dts * scale), last_dts.get(kind, -(2**62)) + 1)
            packet.pts = max(shift + round(pts * scale), dts)
            packet.dts = last_dts[kind] = dts
            end = max(end, (pts + (packet.duration or 0)) * base + offset)
            packet.stream = target
            out.mux(packet)
        offset = end


def _reencode(inputs: list[Any], out: Any, *, with_audio: bool) -> None:
    first = inputs[0].streams.video[0].codec_context
    stream = out.add_stream("libx264", rate=24)
    stream.width, stream.height, stream.pix_fmt = first.width, first.height, "yuv420p"
    sound = out.add_stream("aac", rate=48000) if with_audio else None
    resampler = av_resampler(sound) if sound is not None else None
    for container in inputs:
        for frame in container.decode(video=0):
            frame = frame.reformat(width=first.width, height=first.height, format="yuv420p")
            frame.pts = None
            for packet in stream.encode(frame):
                out.mux(packet)
        if sound is not None and resampler is not None:
            _encode_sound(container, sound, resampler, out, seconds=_video_seconds(container))
    for packet in stream.encode():
        out.mux(packet)
    if sound is not None:
        for packet in sound.encode(None):
            out.mux(packet)


def av_resampler(sound: Any) -> Any:
    av = _av()
    return av.AudioResampler(format="fltp", layout="stereo", rate=sound.codec_context.sample_rate)


def _video_seconds(container: Any) -> float:
    stream = container.streams.video[0]
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return float(container.duration or 0) / 1_000_000


def _encode_sound(container: Any, sound: Any, resampler: Any, out: Any, *, seconds: float) -> None:
    """A clip's sound at the film's rate, padded with silence to its video's length, so the
    sound of the next clip starts with its picture (within one audio frame)."""
    rate = sound.codec_context.sample_rate
    wanted = round(seconds * rate)
    written = 0
    if container.streams.audio:
        container.seek(0)
        for frame in container.decode(audio=0):
            for chunk in resampler.resample(frame):
                if written >= wanted:
                    break
                chunk.pts = None
                for packet in sound.encode(chunk):
                    out.mux(packet)
                written += chunk.samples
    if written < wanted:
        for packet in sound.encode(_silence(wanted - written, rate)):
            out.mux(packet)


def _silence(samples: int, rate: int) -> Any:
    av = _av()
    frame = av.AudioFrame(format="fltp", layout="stereo", samples=samples)
    frame.sample_rate = rate
    for plane in frame.planes:
        plane.update(bytes(plane.buffer_size))
    return frame
