"""`chain.json`: what happened to every shot, written atomically after every change.

A re-run reads it to resume: finished shots are skipped, submitted ones are polled (never
created again), failed ones are retried.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from seedance.domain.errors import StoryboardError

MANIFEST = "chain.json"
ShotState = Literal["pending", "submitted", "done", "failed", "error", "blocked"]


class ShotRecord(BaseModel):
    id: str
    index: int
    parent: str | None = None
    state: ShotState = "pending"
    request_hash: str | None = None
    task_id: str | None = None
    model: str | None = None
    clip: str | None = None
    frame: str | None = None
    sha256: str | None = None
    frame_sha256: str | None = None
    bytes: int | None = None
    estimated_tokens: int | None = None
    estimated_cost: float | None = None
    tokens: int | None = None
    cost: float | None = None
    currency: str | None = None
    error: dict[str, str] | None = None
    submitted_at: float | None = None
    finished_at: float | None = None


class ManifestData(BaseModel):
    storyboard: str
    profile: str
    created_at: float
    updated_at: float
    shots: dict[str, ShotRecord] = Field(default_factory=dict)


class Manifest:
    """The manifest file of one output directory; safe to update from several threads."""

    def __init__(self, directory: Path, data: ManifestData) -> None:
        self.path = directory / MANIFEST
        self.data = data
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls, directory: Path, *, storyboard: Path, profile: str, now: float, restart: bool
    ) -> Manifest:
        """The directory's manifest, or a fresh one (with --restart, or on the first run)."""
        path = directory / MANIFEST
        if path.exists() and not restart:
            try:
                data = ManifestData.model_validate_json(path.read_text("utf-8"))
            except (OSError, ValidationError, ValueError) as exc:
                raise StoryboardError(
                    f"{path} is damaged ({str(exc).splitlines()[0]})",
                    hint="move it away, or pass --restart to start over",
                ) from None
            if data.profile != profile:
                raise StoryboardError(
                    f"{path} belongs to a run on profile '{data.profile}', not '{profile}'",
                    hint="use another --output directory, or pass --restart",
                )
            return cls(directory, data)
        data = ManifestData(
            storyboard=str(storyboard), profile=profile, created_at=now, updated_at=now
        )
        return cls(directory, data)

    def record(self, shot_id: str) -> ShotRecord:
        return self.data.shots[shot_id]

    def ensure(self, shot_id: str, index: int, parent: str | None) -> ShotRecord:
        with self._lock:
            record = self.data.shots.get(shot_id)
            if record is None:
                record = self.data.shots[shot_id] = ShotRecord(
                    id=shot_id, index=index, parent=parent
                )
            record.index, record.parent = index, parent
            return record

    def update(self, shot_id: str, now: float, **changes: Any) -> ShotRecord:
        """Change one shot and write the file (atomically) before returning."""
        with self._lock:
            record = self.data.shots[shot_id]
            for key, value in changes.items():
                setattr(record, key, value)
            self.data.updated_at = now
            self._write()
            return record

    def save(self, now: float) -> None:
        with self._lock:
            self.data.updated_at = now
            self._write()

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{MANIFEST}.{os.getpid()}.{threading.get_ident()}.tmp")
        text = json.dumps(self.data.model_dump(mode="json"), indent=2, ensure_ascii=False)
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
