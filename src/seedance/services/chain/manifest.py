"""`chain.json`: what happened to every shot, written atomically after every change.

A re-run reads it to resume: finished shots are skipped, submitted ones are polled (never
created again), failed ones are retried. Its records are frozen: each change makes a new record
and a new document, so a reader in another thread always sees one whole state. Version 1 wrote
the same document (tests/services/fixtures/v1).

A damaged file is kept aside (`chain.json.damaged-<time>`) and the run starts from an empty
manifest, which the session rebuilds from the journal and the clips on disk.
"""

from __future__ import annotations

import json
import os
import threading
import time
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)

from seedance.domain.catalogue import Estimate
from seedance.domain.errors import StoryboardError
from seedance.services.chain.storyboard import chain_again

MANIFEST = "chain.json"


class ShotState(StrEnum):
    """Where a shot stands (stored as these words)."""

    PENDING = "pending"  # not sent yet
    SUBMITTED = "submitted"  # its task exists (and is paid for): poll it, never create it again
    DONE = "done"  # its clip (and last frame) saved
    FAILED = "failed"  # its task ended failed, expired or cancelled: a re-run makes it again
    ERROR = "error"  # seedance could not finish it (network, disk, a refused create)
    BLOCKED = "blocked"  # a shot it starts from did not finish


class ShotRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    index: int
    parent: str | None = None
    state: ShotState = ShotState.PENDING
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
    seed: int | None = None  # the seed the provider used (succeeded tasks report it)

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Fields added after version 1 are written only when set, so a version-1 manifest
        reads and writes back unchanged."""
        data: dict[str, Any] = handler(self)
        if data.get("seed") is None:
            data.pop("seed", None)
        return data


class ManifestData(BaseModel):
    model_config = ConfigDict(frozen=True)

    storyboard: str
    profile: str
    created_at: float
    updated_at: float
    shots: dict[str, ShotRecord] = Field(default_factory=dict)


class Manifest:
    """The manifest file of one output directory; safe to update from several threads.

    Each change is a method named for the state the shot reaches; it writes the file
    (atomically) before it returns."""

    def __init__(self, directory: Path, data: ManifestData) -> None:
        self.path = directory / MANIFEST
        self.data = data
        self._lock = threading.Lock()
        self.damaged: Path | None = None  # where a damaged file was kept, when one was

    @classmethod
    def open(
        cls, directory: Path, *, storyboard: Path, profile: str, now: float, restart: bool
    ) -> Manifest:
        """The directory's manifest, or a fresh one (to restart, on the first run, or when the
        file is damaged: then kept aside, `damaged` says where)."""
        path = directory / MANIFEST
        damaged = None
        if path.exists() and not restart:
            try:
                data = ManifestData.model_validate_json(path.read_text("utf-8"))
            except (ValidationError, ValueError):
                damaged = path.with_name(f"{MANIFEST}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
                os.replace(path, damaged)  # kept; the run rebuilds what it knew
            else:
                return cls._checked(directory, data, storyboard, profile)
        data = ManifestData(
            storyboard=str(storyboard), profile=profile, created_at=now, updated_at=now
        )
        manifest = cls(directory, data)
        manifest.damaged = damaged
        return manifest

    @classmethod
    def _checked(
        cls, directory: Path, data: ManifestData, storyboard: Path, profile: str
    ) -> Manifest:
        """An earlier run's manifest, if it is this profile's."""
        if data.profile != profile:
            elsewhere = directory.with_name(f"{directory.name}-{profile}")
            raise StoryboardError(
                f"{directory / MANIFEST} belongs to a run on profile '{data.profile}', not "
                f"'{profile}'",
                hint="start over with a restart, or keep that run and write this one to "
                "another directory",
                suggestion=chain_again(storyboard, elsewhere),
            )
        return cls(directory, data)

    def record(self, shot_id: str) -> ShotRecord:
        return self.data.shots[shot_id]

    # -- changes -----------------------------------------------------------------------------

    def ensure(self, shot_id: str, index: int, parent: str | None) -> ShotRecord:
        """The shot's record, made if new, with its place in this storyboard (not written)."""
        with self._lock:
            record = self.data.shots.get(shot_id)
            if record is None:
                record = ShotRecord(id=shot_id, index=index, parent=parent)
            else:
                record = record.model_copy(update={"index": index, "parent": parent})
            self.data = self.data.model_copy(update={"shots": {**self.data.shots, shot_id: record}})
            return record

    def submitted(
        self,
        shot_id: str,
        now: float,
        *,
        task_id: str,
        request_hash: str,
        model: str,
        estimate: Estimate | None,
    ) -> ShotRecord:
        """Its task exists: from now on a re-run polls it, never creates it again."""
        return self._change(
            shot_id,
            now,
            state=ShotState.SUBMITTED,
            task_id=task_id,
            request_hash=request_hash,
            model=model,
            estimated_tokens=estimate.tokens if estimate else None,
            estimated_cost=estimate.cost if estimate else None,
            currency=estimate.currency if estimate else None,
            submitted_at=now,
            error=None,
        )

    def done(
        self,
        shot_id: str,
        now: float,
        *,
        task_id: str,
        request_hash: str,
        clip: str,
        sha256: str,
        size: int,
        frame: str | None,
        frame_sha256: str | None,
        tokens: int | None,
        cost: float | None,
        seed: int | None = None,
    ) -> ShotRecord:
        """Its clip (and last frame) are saved. `request_hash` is kept if the record has one
        already: what the shot asked for when it was sent."""
        with self._lock:
            earlier = self.data.shots[shot_id].request_hash
        return self._change(
            shot_id,
            now,
            state=ShotState.DONE,
            task_id=task_id,
            clip=clip,
            sha256=sha256,
            bytes=size,
            frame=frame,
            frame_sha256=frame_sha256,
            tokens=tokens,
            cost=cost,
            seed=seed,
            finished_at=now,
            error=None,
            request_hash=earlier or request_hash,
        )

    def failed(self, shot_id: str, now: float, *, code: str, message: str) -> ShotRecord:
        """Its task ended without a video."""
        error = {"code": code, "message": message}
        return self._change(shot_id, now, state=ShotState.FAILED, error=error, finished_at=now)

    def error(self, shot_id: str, now: float, *, code: str, message: str) -> ShotRecord:
        """Seedance could not finish it; a re-run carries on from what is recorded."""
        error = {"code": code, "message": message}
        return self._change(shot_id, now, state=ShotState.ERROR, error=error)

    def recovered(self, shot_id: str, now: float, **found: object) -> ShotRecord:
        """A record rebuilt from the journal and the clips on disk (the manifest had none)."""
        return self._change(shot_id, now, **found)

    def unverified(self, shot_id: str, now: float) -> ShotRecord:
        """Its clip is missing or is not the video it recorded: its task is read and the clip
        saved again, never made again."""
        return self._change(shot_id, now, state=ShotState.SUBMITTED, clip=None, sha256=None)

    def blocked(self, shot_id: str, now: float) -> ShotRecord:
        """A shot it starts from did not finish."""
        return self._change(shot_id, now, state=ShotState.BLOCKED)

    def save(self, now: float) -> None:
        with self._lock:
            self.data = self.data.model_copy(update={"updated_at": now})
            self._write()

    def _change(self, shot_id: str, now: float, **changes: object) -> ShotRecord:
        """One shot's record replaced by a copy with `changes`, and the file written."""
        with self._lock:
            record = self.data.shots[shot_id].model_copy(update=changes)
            shots = {**self.data.shots, shot_id: record}
            self.data = self.data.model_copy(update={"shots": shots, "updated_at": now})
            self._write()
            return record

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{MANIFEST}.{os.getpid()}.{threading.get_ident()}.tmp")
        text = json.dumps(self.data.model_dump(mode="json"), indent=2, ensure_ascii=False)
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
