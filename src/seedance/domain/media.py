"""Small facts about local media files, read from their headers (no imaging library needed)."""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from pathlib import Path

from seedance.domain.models import MediaKind

MAX_IMAGE_BYTES = 30 * 1024 * 1024  # docs/sources/ark.txt: an image is under 30 MB
IMAGE_RATIO = (0.4, 2.5)  # docs/sources/ark.txt: width/height between 0.4 and 2.5
MIN_SHORT_SIDE = 300  # docs/sources/ark.txt: the short side is more than 300 px
MAX_LONG_SIDE = 6000  # docs/sources/ark.txt: the long side is under 6000 px

EXTENSIONS: dict[str, MediaKind] = {
    **dict.fromkeys(
        ("png", "jpg", "jpeg", "webp", "bmp", "tif", "tiff", "gif", "heic", "heif"),
        MediaKind.IMAGE,
    ),
    **dict.fromkeys(("mp4", "mov", "m4v", "webm", "mkv", "avi"), MediaKind.VIDEO),
    **dict.fromkeys(("mp3", "wav", "m4a", "aac", "ogg", "flac", "opus"), MediaKind.AUDIO),
}


@dataclass(frozen=True)
class ImageInfo:
    format: str  # png, jpeg, webp, bmp, tiff, gif, heic
    width: int | None
    height: int | None


def kind_of(name: str) -> MediaKind | None:
    """The kind of medium a file or URL path names, by its extension."""
    suffix = name.rsplit("?", 1)[0].rsplit(".", 1)
    return EXTENSIONS.get(suffix[1].lower()) if len(suffix) == 2 else None


def image_info(head: bytes) -> ImageInfo | None:
    """Format and size from the first bytes of an image file; None if not an image we know."""
    if head.startswith(b"\x89PNG\r\n\x1a\n") and len(head) >= 24:
        width, height = struct.unpack(">II", head[16:24])
        return ImageInfo("png", width, height)
    if head.startswith(b"\xff\xd8"):
        return ImageInfo("jpeg", *_jpeg_size(head))
    if head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 10:
        width, height = struct.unpack("<HH", head[6:10])
        return ImageInfo("gif", width, height)
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return ImageInfo("webp", *_webp_size(head))
    if head.startswith(b"BM") and len(head) >= 26:
        width, height = struct.unpack("<ii", head[18:26])
        return ImageInfo("bmp", width, abs(height))
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return ImageInfo("tiff", None, None)
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"heif"):
        return ImageInfo("heic", None, None)
    return None


def _jpeg_size(data: bytes) -> tuple[int | None, int | None]:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None, None


def _webp_size(data: bytes) -> tuple[int | None, int | None]:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None, None


def image_problems(path: Path, info: ImageInfo | None, size: int) -> list[str]:
    """What makes a local image unacceptable to the API (docs/sources/ark.txt "图片 URL 要求")."""
    if info is None:
        return [f"{path} is not a known image format (JPEG, PNG, WebP, BMP, TIFF, GIF, HEIC)"]
    problems = []
    if size >= MAX_IMAGE_BYTES:
        problems.append(f"{path} is {size / 2**20:.1f} MB; images must be under 30 MB")
    if info.width and info.height:
        short, long_ = sorted((info.width, info.height))
        ratio = info.width / info.height
        if short <= MIN_SHORT_SIDE:
            problems.append(
                f"{path} is {info.width}x{info.height}; the short side must be over 300 px"
            )
        if long_ >= MAX_LONG_SIDE:
            problems.append(
                f"{path} is {info.width}x{info.height}; the long side must be under 6000 px"
            )
        if not IMAGE_RATIO[0] <= ratio <= IMAGE_RATIO[1]:
            problems.append(f"{path} has aspect ratio {ratio:.2f}; it must be between 0.4 and 2.5")
    return problems


def data_uri(data: bytes, info: ImageInfo) -> str:
    """`data:image/png;base64,…`, the inline form the Ark API accepts for images."""
    return f"data:image/{info.format};base64,{base64.b64encode(data).decode('ascii')}"


def media_seconds(path: Path) -> float | None:
    """A local video's or audio's length, when PyAV (the `video` extra) is installed."""
    try:
        import av
    except ImportError:
        return None
    try:
        with av.open(str(path)) as container:
            if container.duration is not None:
                return container.duration / 1_000_000
    except Exception:  # any file PyAV cannot read simply has no known length
        return None
    return None
