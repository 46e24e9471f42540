"""A small record of each video `generate` saves, in the video's folder: `.seedance/NAME.json`.

It names the task the video comes from (and, once saved, the video's SHA-256), with what the
journal knows of the create. Written as soon as the task is known, so even when the journal is
lost or damaged, running the same command again finds the task instead of paying for another.
Mode 0600 (it holds the prompt). Deleting it loses nothing while the journal is sound.

Where: in the output's own folder, because it must outlive the data directory (a CI runner or
another machine that gets the folder back without the journal finds its tasks by it), so not
in the data directory; and before the video exists (the task is known first), so not in an
extended attribute of the file. But in one hidden folder, `.seedance/`, holding a `.gitignore`
of `*`: not a hidden file beside every video that `git status` shows and `git add .` takes.
Records of earlier versions (`.NAME.seedance.json` beside the video) are still read, and moved
into the folder when next written.

It is also the proof that seedance saved a file (`vouched`): a record beside it naming a task
whose video the journal saved with the file's very SHA-256. A record alone proves nothing (it
could be written by hand); the journal (seedance's state) confirms it.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from seedance.domain.models import TaskStatus
from seedance.services.assets.cache import file_sha256
from seedance.services.state import Entry, JournalState, State

RECORDS = ".seedance"  # the folder of records, beside the videos
SUFFIX = ".json"
LEGACY_SUFFIX = ".seedance.json"  # `.NAME.seedance.json` beside NAME (earlier versions)
IGNORE_ALL = (
    "# seedance's records of the videos in the folder above (safe to delete while the journal "
    "is sound)\n*\n"
)


@dataclass(frozen=True)
class OutputRecord:
    task_id: str
    profile: str
    dialect: str
    base_url: str
    request_hash: str
    output: str  # the output as the journal names it: a file, or a directory it went into
    model: str | None
    nonce: int | None
    created_at: float
    request: str  # the body, as the journal keeps it
    prompt: str | None = None
    sha256: str | None = None
    bytes: int | None = None
    saved_path: str | None = None

    @classmethod
    def of(cls, entry: Entry, task_id: str) -> OutputRecord:
        return cls(
            task_id=task_id,
            profile=entry.profile,
            dialect=entry.dialect,
            base_url=entry.base_url,
            request_hash=entry.request_hash,
            output=entry.output_path or "",
            model=entry.model,
            nonce=entry.nonce,
            created_at=entry.created_at,
            request=entry.request,
            prompt=entry.prompt,
            sha256=entry.sha256,
            bytes=entry.bytes,
            saved_path=entry.saved_path,
        )

    def entry(self) -> Entry:
        """The journal entry this record stands for (to write into a journal that lost it)."""
        return Entry(
            row=0,
            state=JournalState.CREATED,
            task_id=self.task_id,
            profile=self.profile,
            dialect=self.dialect,
            base_url=self.base_url,
            model=self.model,
            resolution=None,
            duration=None,
            request_hash=self.request_hash,
            request=self.request,
            prompt=self.prompt,
            output_path=self.output,
            created_at=self.created_at,
            answered_at=None,
            status=TaskStatus.SUCCEEDED if self.sha256 else None,
            finished_at=None,
            tokens=None,
            error=None,
            sha256=self.sha256,
            bytes=self.bytes,
            downloaded_at=None,
            saved_path=self.saved_path,
            nonce=self.nonce,
            service_tier=None,
        )


def record_path(saved: Path) -> Path:
    """Where the record of the video at `saved` is kept."""
    return saved.parent / RECORDS / f"{saved.name}{SUFFIX}"


def legacy_path(saved: Path) -> Path:
    """Where an earlier version kept it: `.NAME.seedance.json` beside the video."""
    return saved.with_name(f".{saved.name}{LEGACY_SUFFIX}")


def write(record: OutputRecord, saved: Path) -> Path:
    """Write (or replace) the record of `saved`, atomically, through a temporary file made
    new (never one, or a link, put in its place: the folder may come from elsewhere); an
    earlier version's record beside the video is removed once this one is in place."""
    path = record_path(saved)
    _folder(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(asdict(record), out, indent=2, ensure_ascii=False)
            out.write("\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    legacy_path(saved).unlink(missing_ok=True)
    return path


def _folder(folder: Path) -> None:
    """The records' folder, made with a `.gitignore` that ignores all of it. A link in its
    place (the output folder may come from elsewhere) is refused: records written through it
    would land outside."""
    folder.mkdir(mode=0o700, exist_ok=True)
    if folder.is_symlink() or not folder.is_dir():
        raise OSError(f"{folder} is a link or not a folder: no record written through it")
    ignore = folder / ".gitignore"
    if not ignore.exists():
        tmp = folder / f".gitignore.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(IGNORE_ALL)
        os.replace(tmp, ignore)


def find(output: Path, profile: str, request_hash: str) -> OutputRecord | None:
    """The record of this request's video at `output` (a file, or a directory holding it)."""
    if output.is_dir():
        places = sorted((output / RECORDS).glob(f"*{SUFFIX}"))
        places += sorted(output.glob(f".*{LEGACY_SUFFIX}"))
    else:
        places = [record_path(output), legacy_path(output)]
    for place in places:
        record = read(place)
        if record is not None and (record.profile, record.request_hash, record.output) == (
            profile,
            request_hash,
            str(output),
        ):
            return record
    return None


def vouched(path: Path, journal: State) -> bool:
    """Whether the file at `path` is, as it is now, a video seedance saved: a regular file
    (not a link), with a record beside it naming a task whose video the journal saved with
    this very SHA-256."""
    try:
        found = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(found.st_mode):
        return False
    record = read(record_path(path))
    if record is None or not record.sha256 or not record.task_id:
        return False
    entry = journal.find(record.task_id)
    if entry is None or entry.sha256 != record.sha256:
        return False
    try:
        return file_sha256(path) == record.sha256
    except OSError:
        return False


def read(path: Path) -> OutputRecord | None:
    try:
        data: Any = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    names = {f.name for f in fields(OutputRecord)}
    try:
        return OutputRecord(**{k: v for k, v in data.items() if k in names})
    except TypeError:
        return None
