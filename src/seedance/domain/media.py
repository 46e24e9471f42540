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


def image_problems(
    path: Path, info: ImageInfo | None, size: int, data: bytes | None = None
) -> list[str]:
    """What makes a local image unacceptable to the API (docs/sources/ark.txt "图片 URL 要求");
    with its `data`, also a file cut short, which the API cannot read."""
    if info is None:
        return [f"{path} is not a known image format (JPEG, PNG, WebP, BMP, TIFF, GIF, HEIC)"]
    problems = []
    if data is not None and (damage := image_damage(data, info)) is not None:
        problems.append(f"{path} is not a whole {info.format.upper()} image: {damage}")
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


def image_damage(data: bytes, info: ImageInfo) -> str | None:
    """Why a whole image file is not a complete image of its format (cut short, say), from
    its structure alone; None when it looks whole (or its format has no end to check)."""
    if info.format == "png":
        return _png_damage(data)
    if info.format == "jpeg":
        end = data.rstrip(b"\x00")  # some writers pad after the end marker
        return None if end.endswith(b"\xff\xd9") else "its JPEG data has no end marker"
    if info.format == "gif":
        return None if data.rstrip(b"\x00").endswith(b";") else "its GIF data has no end"
    if info.format == "webp":
        declared = int.from_bytes(data[4:8], "little") + 8 if len(data) >= 8 else 0
        return None if len(data) >= declared else f"it is {len(data):,} of {declared:,} bytes"
    if info.format == "bmp" and len(data) >= 6:
        declared = int.from_bytes(data[2:6], "little")
        return None if len(data) >= declared else f"it is {len(data):,} of {declared:,} bytes"
    return None


def _png_damage(data: bytes) -> str | None:
    """A PNG is chunks (length, type, data, CRC) ending with IEND."""
    at = 8
    while at + 8 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        end = at + 12 + length
        if end > len(data):
            return f"its {kind.decode('latin-1')} chunk is cut short"
        if kind == b"IEND":
            return None
        at = end
    return "it ends before its IEND chunk"


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


# The top-level boxes (atoms) a video file of the MP4 family (ISO base media, QuickTime .mov)
# can start with: `ftyp` in any MP4 (ISO/IEC 14496-12 §4.3: as early as possible); QuickTime
# files written before it existed may open with their data or free space.
VIDEO_FIRST_BOXES = frozenset({b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})
VIDEO_HEAD = 64 * 1024  # the bytes of a video's start that `video_problem` reads


def video_problem(head: bytes, size: int) -> str | None:
    """Why a file of `size` bytes starting with `head` (its first VIDEO_HEAD bytes or all of
    them) cannot be an MP4 or MOV video, in plain words; None when it looks like one: its
    first box one a video starts with, and every box the head holds of a size that fits.
    Lenient beyond that: refusing a real video would lose it."""
    if size == 0:
        return "it is empty"
    text = head[:256].lstrip()
    if text.startswith(b"<"):
        return "it is an HTML or XML page"
    if text.startswith((b"{", b"[")):
        return "it is JSON"
    at = 0
    while at + 8 <= min(len(head), size):
        length, kind = struct.unpack(">I", head[at : at + 4])[0], head[at + 4 : at + 8]
        if at == 0 and kind not in VIDEO_FIRST_BOXES:
            return f"it does not start as an MP4 file does (its first bytes: {head[:8]!r})"
        if length == 1:  # the size follows, in 64 bits
            if at + 16 > len(head):
                return None
            length = struct.unpack(">Q", head[at + 8 : at + 16])[0]
        elif length == 0:  # the box runs to the end of the file
            return None
        if length < 8 or at + length > size:
            # (a box's name is four bytes of the server's: never a terminal control)
            name = "".join(c if c.isprintable() else "?" for c in kind.decode("ascii", "replace"))
            name = name if at else "first"
            return f"its {name} box at byte {at:,} does not fit in the file"
        at += length
    if at == 0:
        return f"it is {size} bytes: too short to be a video"
    return None
