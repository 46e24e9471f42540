"""Earlier takes kept: when a shot or take is made again, the newest video takes the canonical
name and the earlier one moves aside, with its companions, to the next free take number:

    01-dawn.mp4  ->  01-dawn.1.mp4 (then .2, ...)
    01-dawn.last.png, 01-dawn.poster.png, 01-dawn.sheet.png, .01-dawn.mp4.seedance.json
                 ->  01-dawn.1.last.png, ...

Nothing paid for is ever overwritten.
"""

from __future__ import annotations

import os
from pathlib import Path

from seedance.services.videos.output_record import legacy_path, record_path

# The files that belong to a clip NAME.EXT, besides the clip: NAME + each of these.
COMPANIONS = (".last.png", ".poster.png", ".sheet.png")
MAX_TAKES = 10_000


def take_path(clip: Path, number: int) -> Path:
    """`01-dawn.mp4` as take `number`: `01-dawn.<number>.mp4`."""
    return clip.with_name(f"{clip.stem}.{number}{clip.suffix}")


def family(clip: Path) -> list[Path]:
    """The clip and its companions (which may not exist)."""
    stem = clip.with_suffix("")
    companions = (stem.with_name(stem.name + end) for end in COMPANIONS)
    return [clip, *companions, record_path(clip), legacy_path(clip)]


def shelve(clip: Path) -> Path | None:
    """Move an existing clip and its companions to the next free take number; returns where
    the clip went (None when there was no clip)."""
    if not os.path.lexists(clip):
        return None
    for number in range(1, MAX_TAKES):
        target = take_path(clip, number)
        if not any(os.path.lexists(p) for p in family(target)):
            break
    else:  # ten thousand takes of one shot
        raise OSError(f"no free take number for {clip}")
    for source, dest in zip(family(clip), family(target), strict=True):
        if os.path.lexists(source):
            os.replace(source, dest)
    return target
