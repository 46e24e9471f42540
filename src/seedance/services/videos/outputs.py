"""Where a command writes, checked before anything is sent or paid for.

Every path is resolved; a folder is made when the path names one (`-o clips/`); each file's
folder must be writable (tried, not guessed from permission bits); nothing but a regular file
is ever replaced (a device, a FIFO, a socket or a symlink is refused, whatever `force` says);
and no two outputs of one command are the same file (a last frame written over its video).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

from seedance.domain.errors import Suggestion, UsageError

# What each output is called in messages (by its library name).
NAMES = {
    "output": "video",
    "last_frame_output": "last frame",
    "last_frame": "last frame",
    "poster": "poster",
    "sheet": "contact sheet",
    "manifest": "manifest",
    "film": "film",
}


# Outputs whose parameter takes a file name: an existing file there is answered with the same
# operation under a free name (operations without `force` have no other way on).
RENAMED = ("output", "last_frame_output")


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_file(
    path: Path,
    *,
    overwrite: bool = False,
    field: str = "output",
    can_force: bool = False,
) -> None:
    """A file about to be written: never a directory or a special file; absent unless
    `overwrite`; its folder there and writable. `can_force`: the operation has a way to
    overwrite (the error then suggests it)."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        found = None
    except OSError as exc:
        raise UsageError(f"cannot use {path}: {exc.strerror}", field=field) from None
    if found is not None:
        if stat.S_ISDIR(found.st_mode):
            raise UsageError(f"{path} is a directory", reason="output_is_folder_named", field=field)
        if not stat.S_ISREG(found.st_mode):
            raise UsageError(
                f"{path} is {kind_of(found.st_mode)}, not a regular file: it is never written "
                "over or replaced",
                reason="output_not_a_file",
                field=field,
            )
        if not overwrite:
            raise _exists(path, field, can_force)
    parent = path.parent
    if not parent.is_dir():
        what = "is not a directory" if parent.exists() else "does not exist"
        raise UsageError(f"directory {parent} {what}", reason="folder_missing", field=field)
    probe_writable(parent, field=field)


def _exists(path: Path, field: str, can_force: bool) -> UsageError:
    """The refusal of an existing file, with a next step the operation really has: `force`
    where it has it, else the same operation under a free name (for a file-name parameter)."""
    suggestion: Suggestion | None
    if can_force:
        reason, suggestion = "exists_can_force", Suggestion.again(force=True)
    elif field in RENAMED:
        reason, suggestion = "exists_can_rename", Suggestion.again(**{field: str(free_name(path))})
    else:
        reason, suggestion = "exists", None
    return UsageError(
        f"{path} already exists",
        code="output_exists",
        reason=reason,
        field=field,
        suggestion=suggestion,
    )


def free_name(path: Path) -> Path:
    """A name beside `path` that nothing has: `boat-2.mp4`, `boat-3.mp4`, ..."""
    number = 2
    while os.path.lexists(found := path.with_name(f"{path.stem}-{number}{path.suffix}")):
        number += 1
    return found


def probe_writable(folder: Path, *, field: str = "output") -> None:
    """Whether a file can be made in `folder`, by making one (permission bits do not tell:
    root, ACLs, read-only mounts)."""
    try:
        handle, name = tempfile.mkstemp(prefix=".seedance-probe-", dir=folder)
    except OSError as exc:
        raise UsageError(
            f"cannot write in {folder}: {exc.strerror or exc}",
            reason="place_unwritable",
            field=field,
        ) from None
    os.close(handle)
    os.unlink(name)


def ensure_folder(path: Path, *, create: bool = True, field: str = "output") -> Path:
    """A folder to write into: made (with its parents) when missing, unless `create` is off
    (a dry run: then only checked to be makeable); refused when it is a file or cannot be
    written."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} is a file, not a folder", reason="not_a_folder", field=field)
    if not create:
        existing = next(p for p in (path, *path.parents) if p.exists())
        if not existing.is_dir():
            raise UsageError(f"{existing} is a file, not a folder", field=field)
        probe_writable(existing, field=field)
        return path
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot make the folder {path}: {exc.strerror or exc}",
            reason="place_unwritable",
            field=field,
        ) from None
    probe_writable(path, field=field)
    return path


def check_distinct(paths: Mapping[str, Path | None]) -> None:
    """No two outputs of one command are the same file (by their resolved paths)."""
    seen: dict[str, str] = {}
    for name, path in paths.items():
        if path is None:
            continue
        key = os.path.realpath(path)
        if key in seen:
            first = NAMES.get(seen[key], seen[key])
            raise UsageError(
                f"{path} would be written twice: as the {first} and as the {NAMES.get(name, name)}",
                reason="outputs_collide",
                field=name,
            )
        seen[key] = name
