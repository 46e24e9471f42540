"""What a local video or audio file is, measured with PyAV (the `video` extra): its container,
codec, pixels, frame rate and length. Without PyAV only its size is known."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class MediaFacts:
    """What was measured of one file; None where it could not be (no PyAV, no stream)."""

    path: Path
    size: int
    formats: tuple[str, ...] = ()  # the container's names ("mov", "mp4", "m4a", ...)
    codec: str | None = None  # the video (or audio) stream's codec: "h264", "hevc", "av1"
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    seconds: float | None = None
    has_audio: bool = False
    measured: bool = False  # PyAV read it (False: the size alone is known)
    unreadable: bool = False  # PyAV is there but could not read it: not a medium it knows

    @property
    def pixels(self) -> int | None:
        return self.width * self.height if self.width and self.height else None

    @property
    def format_name(self) -> str:
        """The container as people name it: its file's suffix when the container is one of
        those it names, else the container's first name."""
        suffix = self.path.suffix.lower().lstrip(".")
        if suffix in self.formats or not self.formats:
            return suffix or "unknown"
        return self.formats[0]


def available() -> bool:
    try:
        import av  # noqa: F401
    except ImportError:
        return False
    return True


def measure(path: Path, *, video: bool) -> MediaFacts:
    """The facts of a video (or audio) file; the size only when PyAV is missing, or cannot
    read the file (then `unreadable`)."""
    size = path.stat().st_size
    try:
        import av
    except ImportError:
        return MediaFacts(path, size)
    try:
        with av.open(str(path)) as container:
            formats = tuple(container.format.name.split(","))
            seconds = container.duration / 1_000_000 if container.duration else None
            audio = list(container.streams.audio)
            if video and container.streams.video:
                stream = container.streams.video[0]
                rate = stream.average_rate or stream.guessed_rate
                return MediaFacts(
                    path,
                    size,
                    formats,
                    stream.codec_context.codec.canonical_name,
                    stream.codec_context.width or None,
                    stream.codec_context.height or None,
                    float(rate) if rate else None,
                    seconds,
                    has_audio=bool(audio),
                    measured=True,
                )
            codec = audio[0].codec_context.codec.canonical_name if audio else None
            return MediaFacts(path, size, formats, codec, seconds=seconds, measured=True)
    except Exception:  # PyAV raises many kinds for files it cannot read
        return MediaFacts(path, size, unreadable=True)
