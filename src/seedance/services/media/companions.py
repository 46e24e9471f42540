"""The stills seedance makes beside a clip, and the one rule every writer of them follows.

Beside `NAME.mp4` seedance makes `NAME.poster.png` and `NAME.sheet.png` (`create --sheet`,
`download --sheet`, a batch's or a storyboard's review, an agent's saved video) and, for a
storyboard's seams, `NAME.first.png` and `NAME.last.png`. A user may have files of those names
already. The rule:

- a still is written only where nothing is, or over a still seedance made: every PNG seedance
  makes carries its mark (a `tEXt` chunk, `Software` = `seedance`), so one is told apart from
  a file of the same name the user made (`ours`);
- before anything is paid, a run refuses a clip whose stills would land on files that are not
  seedance's (`check`): beside a clip that is not there yet, they cannot be its own. Beside a
  clip that is there, they may be those an older seedance made (without the mark): the run
  goes on, and the writer leaves them as they are and says so (`refuse_unless_ours`);
- `force` (a command's own overwrite option) lets them be replaced.
"""

from __future__ import annotations

import os
import stat
import struct
from collections.abc import Iterable
from pathlib import Path

from seedance.domain.errors import Reason, Suggestion, UsageError

MARK_KEY = "Software"
MARK = "seedance"  # the value of the mark (its start: a version may follow)
KINDS = ("poster", "sheet")
_WHAT = {"poster": "poster", "sheet": "contact sheet", "first": "first frame", "last": "last frame"}
_PNG = b"\x89PNG\r\n\x1a\n"
_HEAD = 64 * 1024  # the text chunks seedance writes come before the image data


def still_path(clip: Path, kind: str) -> Path:
    """`NAME.<kind>.png` beside `NAME.mp4` (kind: poster, sheet, first, last)."""
    return clip.with_name(f"{clip.stem}.{kind}.png")


def marked(head: bytes) -> bool:
    """Whether PNG bytes (its start) carry seedance's mark."""
    if not head.startswith(_PNG):
        return False
    at = len(_PNG)
    while at + 8 <= len(head):
        (size,) = struct.unpack(">I", head[at : at + 4])
        kind = head[at + 4 : at + 8]
        if kind in (b"IDAT", b"IEND"):
            return False
        if kind == b"tEXt":
            key, _, value = head[at + 8 : at + 8 + size].partition(b"\x00")
            if key == MARK_KEY.encode() and value.startswith(MARK.encode()):
                return True
        at += 12 + size
    return False


def ours(path: Path) -> bool:
    """Whether the file at `path` is a still seedance made (a regular file with its mark)."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        with open(path, "rb") as handle:
            return marked(handle.read(_HEAD))
    except OSError:
        return False


def writable(path: Path) -> bool:
    """Whether a still may be written at `path`: nothing is there, or seedance's own still."""
    return not os.path.lexists(path) or ours(path)


def refuse_unless_ours(paths: Iterable[Path], *, force: bool = False) -> None:
    """Before writing stills: raise UsageError when one would replace a file seedance did not
    make (unless `force`), so that none is written."""
    if force:
        return
    for path in paths:
        if not writable(path):
            raise UsageError(
                f"{path} is not a still made by this program: it is left as it is",
                code="output_exists",
                reason="still_in_the_way",
                field="sheet",
            )


def check(
    clip: Path,
    *,
    kinds: Iterable[str] = KINDS,
    force: bool = False,
    can_force: bool = False,
    clip_exists: bool | None = None,
    field: str = "sheet",
) -> None:
    """Refuse, before anything is paid, the stills of a clip that would be written over files
    seedance did not make (services/outputs.py refuses what is never written: a directory, a
    link, a device). Beside a clip already there, they may be an older seedance's: let
    through, and never written over (`refuse_unless_ours`)."""
    from seedance.services.videos.outputs import check_file

    if not clip.parent.is_dir():  # a folder still to be made holds nothing to replace
        return
    there = clip.exists() if clip_exists is None else clip_exists
    for kind in kinds:
        path = still_path(clip, kind)
        check_file(path, overwrite=True, field=field)
        if force or there or writable(path):
            continue
        raise UsageError(
            f"{path} already exists, and is not a still made by this program: the "
            f"{_WHAT[kind]} of {clip.name} would replace it",
            code="output_exists",
            reason=Reason.of("still_not_ours", can_force=can_force),
            field=field,
            suggestion=Suggestion.again(force=True) if can_force else None,
        )
