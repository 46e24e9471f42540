"""`chain.json`: what happened to every shot, on disk before each change returns.

A re-run reads it to resume: finished shots are skipped, submitted ones are polled (never
created again), failed ones are retried. Its records are frozen: each change makes a new record
that replaces the old one whole, so a reader in another thread always sees whole records.
Version 1 wrote the same document (tests/services/fixtures/v1).

How a change reaches the disk, so that it costs the same at any size of storyboard:

- while `chain.json` is small (under `SMALL`), it is rewritten whole at every change (a new
  file, fsynced, renamed into place), exactly as version 1 did;
- beyond that, a change appends its shot's whole new record as one line to `chain.json.log`
  and fsyncs it; `chain.json` is rewritten (and the log removed) once the log has grown as
  large as it, and when a run ends. Each change costs the same at any size, and the rewrites,
  amortised, a constant more.

A reader takes `chain.json` and then the log's records in order (`read_data`). Replaying a
record that `chain.json` already holds changes nothing, so a crash between a rewrite and the
log's removal loses nothing; a last line cut short by a crash was never acknowledged and is
ignored. A run that ends, however it ends short of kill -9, leaves a complete `chain.json` and
no log, the file version 1 reads.

A damaged file is kept aside (`chain.json.damaged-<time>`, its log beside it) and the run starts
from an empty manifest, which the session rebuilds from the journal and the clips on disk.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from seedance.domain.catalogue import Estimate
from seedance.domain.errors import StoryboardError
from seedance.services.runs.reruns import RerunMark
from seedance.services.runs.states import State
from seedance.services.storyboards.storyboard import chain_again

MANIFEST = "chain.json"
LOG = f"{MANIFEST}.log"  # changes since chain.json was last written whole
SMALL = 64 * 1024  # a chain.json smaller than this is rewritten whole at every change


ShotState = State  # a shot's words are every run's (runs/states.py)


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
    error: dict[str, str] | None = None  # code, message and, when it names any, reasons
    submitted_at: float | None = None
    finished_at: float | None = None
    seed: int | None = None  # the seed the provider used (succeeded tasks report it)
    rerun: RerunMark | None = None  # a rerun of the shot under way (services/reruns.py)
    revised_prompt: str | None = None  # the prompt as the model rewrote it, when it says
    extends: bool | None = None  # True: it extends its parent's video (no frame taken)

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Fields added after version 1 are written only when set, so a version-1 manifest
        reads and writes back unchanged."""
        data: dict[str, Any] = handler(self)
        for name in ("seed", "rerun", "revised_prompt", "extends"):
            if data.get(name) is None:
                data.pop(name, None)
        return data


class ManifestData(BaseModel):
    model_config = ConfigDict(frozen=True)

    storyboard: str
    profile: str
    created_at: float
    updated_at: float
    shots: dict[str, ShotRecord] = Field(default_factory=dict)


class _Placed(Protocol):
    """A shot with its place in a storyboard (`storyboard.Shot`)."""

    @property
    def id(self) -> str: ...
    @property
    def index(self) -> int: ...
    @property
    def parent(self) -> str | None: ...
    @property
    def continuity(self) -> str | None: ...


def read_data(directory: Path) -> ManifestData:
    """The manifest of `directory`: `chain.json` with the changes of its log applied.
    Raises FileNotFoundError without one, ValueError (pydantic's ValidationError included)
    when either file is damaged."""
    return _load(directory)[0]


def _load(directory: Path) -> tuple[ManifestData, int, bytes]:
    """The manifest, the size of its chain.json and its log as read."""
    text = (directory / MANIFEST).read_bytes()
    data = ManifestData.model_validate_json(text)
    try:
        logged = (directory / LOG).read_bytes()
    except FileNotFoundError:
        return data, len(text), b""
    return _replayed(data, logged), len(text), logged


def _replayed(data: ManifestData, logged: bytes) -> ManifestData:
    """`data` with the log's records applied in order; a last line without its newline was
    cut short by a crash (never acknowledged) and is left out."""
    shots = dict(data.shots)
    updated_at = data.updated_at
    for line in logged.split(b"\n")[:-1]:
        change = json.loads(line)
        if not isinstance(change, dict):
            raise ValueError(f"{LOG}: a line is not a change: {line[:80]!r}")
        record = ShotRecord.model_validate(change.get("record"))
        shots[record.id] = record
        updated_at = float(change.get("updated_at", updated_at))
    return data.model_copy(update={"shots": shots, "updated_at": updated_at})


class Manifest:
    """The manifest file of one output directory; safe to update from several threads.

    Each change is a method named for the state the shot reaches; it writes the file
    (atomically) before it returns."""

    def __init__(self, directory: Path, data: ManifestData) -> None:
        self.path = directory / MANIFEST
        self.log = directory / LOG
        self.data = data.model_copy(update={"shots": dict(data.shots)})  # its own mapping
        self._lock = threading.Lock()
        self.damaged: Path | None = None  # where a damaged file was kept, when one was
        # The size of chain.json while it and the log on disk hold `data` as it was before the
        # change being written; None: not known, so the next write rewrites chain.json whole.
        self._written: int | None = None
        self._logged = 0  # bytes in the log
        self._unwritten = False  # a change failed to reach the disk

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
                data, size, logged = _load(directory)
            except ValueError:  # pydantic's ValidationError included
                stamp = time.strftime("%Y%m%dT%H%M%S")
                damaged = path.with_name(f"{MANIFEST}.damaged-{stamp}")
                os.replace(path, damaged)  # kept; the run rebuilds what it knew
                if (directory / LOG).exists():
                    os.replace(directory / LOG, path.with_name(f"{LOG}.damaged-{stamp}"))
            else:
                manifest = cls._checked(directory, data, storyboard, profile)
                manifest._logged = len(logged)
                # a line cut short ends the log: nothing may follow it, so the next write
                # starts over whole
                manifest._written = size if logged.endswith(b"\n") or not logged else None
                return manifest
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
                reason="storyboard_dir_taken",
                suggestion=chain_again(storyboard, elsewhere),
            )
        return cls(directory, data)

    def record(self, shot_id: str) -> ShotRecord:
        return self.data.shots[shot_id]

    # -- changes -----------------------------------------------------------------------------

    def ensure(
        self, shot_id: str, index: int, parent: str | None, *, extends: bool = False
    ) -> ShotRecord:
        """The shot's record, made if new, with its place in this storyboard (not written);
        `extends`: it extends its parent's video."""
        with self._lock:
            return self._ensure([(shot_id, index, parent, extends or None)])[0]

    def ensure_all(self, shots: Iterable[_Placed]) -> None:
        """`ensure` of every shot of a storyboard at once (not written)."""
        with self._lock:
            self._ensure(
                [
                    (shot.id, shot.index, shot.parent, shot.continuity == "extend" or None)
                    for shot in shots
                ]
            )

    def _ensure(self, places: list[tuple[str, int, str | None, bool | None]]) -> list[ShotRecord]:
        """Records placed; a record replaces its old one in place, while new shots make a new
        mapping, once: a reader iterating the old one never sees it change size."""
        shots = self.data.shots
        if any(place[0] not in shots for place in places):
            shots = dict(shots)
        records = []
        for shot_id, index, parent, extends in places:
            record = shots.get(shot_id)
            if record is None:
                record = ShotRecord(id=shot_id, index=index, parent=parent, extends=extends)
            elif (record.index, record.parent, record.extends) != (index, parent, extends):
                record = record.model_copy(
                    update={"index": index, "parent": parent, "extends": extends}
                )
            shots[shot_id] = record
            records.append(record)
        if shots is not self.data.shots:
            self.data = self.data.model_copy(update={"shots": shots})
        return records

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
        revised_prompt: str | None = None,
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
            revised_prompt=revised_prompt,
            finished_at=now,
            error=None,
            request_hash=earlier or request_hash,
        )

    def rerun_started(self, shot_id: str, now: float, rerun: RerunMark) -> ShotRecord:
        """The shot is about to be made anew: written before its create, so that the same
        command run again follows the task it makes (services/reruns.py)."""
        return self._change(shot_id, now, rerun=rerun)

    def settle_reruns(self, now: float) -> None:
        """Every shot marked as being made again is done: the marks go (one write), and a
        later rerun is a new one."""
        with self._lock:
            marked = [r for r in self.data.shots.values() if r.rerun]
            if not marked or any(r.state is not ShotState.DONE for r in marked):
                return
            settled = [r.model_copy(update={"rerun": None}) for r in marked]
            self._replace(settled, now)

    def failed(self, shot_id: str, now: float, *, code: str, message: str) -> ShotRecord:
        """Its task ended without a video."""
        error = {"code": code, "message": message}
        return self._change(shot_id, now, state=ShotState.FAILED, error=error, finished_at=now)

    def error(self, shot_id: str, now: float, **error: str) -> ShotRecord:
        """Seedance could not finish it (`error`: its code, message and reasons); a re-run
        carries on from what is recorded."""
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

    def blocked_many(self, shot_ids: Iterable[str], now: float) -> None:
        """`blocked` for several shots (those below a shot that did not finish), written
        together."""
        with self._lock:
            records = [
                self.data.shots[shot_id].model_copy(update={"state": ShotState.BLOCKED})
                for shot_id in shot_ids
            ]
            self._replace(records, now)

    def save(self, now: float) -> None:
        """chain.json written whole (the log it replaces removed)."""
        with self._lock:
            self.data = self.data.model_copy(update={"updated_at": now})
            self._rewrite()

    def flush(self) -> None:
        """chain.json written whole if a log holds changes beside it, or a change failed to
        reach the disk (when a run ends: the file alone then says everything, to any reader)."""
        with self._lock:
            if self._logged or self._unwritten:
                self._rewrite()

    def _change(self, shot_id: str, now: float, **changes: object) -> ShotRecord:
        """One shot's record replaced by a copy with `changes`, and the change written."""
        with self._lock:
            record = self.data.shots[shot_id].model_copy(update=changes)
            self._replace([record], now)
            return record

    def _replace(self, records: list[ShotRecord], now: float) -> None:
        """Records replaced whole (the caller holds the lock), then written: to the log when
        chain.json is large and the log still smaller than it, else chain.json whole."""
        for record in records:
            self.data.shots[record.id] = record  # in place: same keys, so same size
        self.data = self.data.model_copy(update={"updated_at": now})
        if not records:
            return
        lines = b"".join(
            json.dumps(
                {"id": r.id, "record": r.model_dump(mode="json"), "updated_at": now},
                ensure_ascii=False,
            ).encode()
            + b"\n"
            for r in records
        )
        written = self._written
        try:
            if written is None or written < SMALL or self._logged + len(lines) > written:
                self._rewrite()
            else:
                self._append(lines)
                self._logged += len(lines)
        except BaseException:
            # not on disk (a log line may even be cut short): the next write starts over whole
            self._written, self._unwritten = None, True
            raise

    def _append(self, lines: bytes) -> None:
        fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            view = memoryview(lines)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)

    def _rewrite(self) -> None:
        """chain.json written whole (a new file, fsynced, renamed into place), then the log
        removed: replaying it onto the new file would change nothing, so a crash between the
        two loses nothing."""
        self._written = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{MANIFEST}.{os.getpid()}.{threading.get_ident()}.tmp")
        text = json.dumps(self.data.model_dump(mode="json"), indent=2, ensure_ascii=False)
        data = (text + "\n").encode()
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        self.log.unlink(missing_ok=True)
        self._written, self._logged, self._unwritten = len(data), 0, False
