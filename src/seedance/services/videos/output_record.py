"""A small record beside each video `generate` saves: `.NAME.seedance.json` next to `NAME`.

It names the task the video comes from (and, once saved, the video's SHA-256), with what the
journal knows of the create. Written as soon as the task is known, so even when the journal is
lost or damaged, running the same command again finds the task instead of paying for another.
A hidden file, mode 0600 (it holds the prompt). Deleting it loses nothing while the journal is
sound.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from seedance.domain.models import TaskStatus
from seedance.services.state import Entry, JournalState

SUFFIX = ".seedance.json"


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
    return saved.with_name(f".{saved.name}{SUFFIX}")


def write(record: OutputRecord, saved: Path) -> Path:
    """Write (or replace) the record of `saved`, atomically."""
    path = record_path(saved)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(asdict(record), out, indent=2, ensure_ascii=False)
        out.write("\n")
    os.replace(tmp, path)
    return path


def find(output: Path, profile: str, request_hash: str) -> OutputRecord | None:
    """The record of this request's video at `output` (a file, or a directory holding it)."""
    places = sorted(output.glob(f".*{SUFFIX}")) if output.is_dir() else [record_path(output)]
    for place in places:
        record = read(place)
        if record is not None and (record.profile, record.request_hash, record.output) == (
            profile,
            request_hash,
            str(output),
        ):
            return record
    return None


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
