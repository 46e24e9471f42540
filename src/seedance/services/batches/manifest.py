"""`batch.json`: a batch's manifest (the shape `review_model.BatchManifest` reads), written
atomically after every change, so a re-run knows what each take became.

It is a record, not the source of truth about money: every take goes through
`Client.generate`, whose journal finds a take's task even when this file is lost or older
than the run that made it.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from seedance.services.batches.jobs import Jobs
from seedance.services.review.model import BatchManifest, BatchRow, BatchTake
from seedance.services.runs.states import State

MANIFEST = "batch.json"


TakeState = State  # a take's words are every run's (runs/states.py)


class BatchFile:
    """The manifest of one batch folder; thread-safe."""

    def __init__(self, directory: Path, data: BatchManifest, damaged: Path | None = None) -> None:
        self.directory = directory
        self.data = data
        self.damaged = damaged  # where an unreadable manifest was kept aside
        self._lock = threading.RLock()

    @property
    def path(self) -> Path:
        return self.directory / MANIFEST

    @classmethod
    def open(cls, directory: Path, *, jobs: str, profile: str) -> BatchFile:
        """The folder's manifest, or a new one (an unreadable one is kept aside)."""
        path = directory / MANIFEST
        damaged = None
        data = BatchManifest(jobs=jobs, profile=profile)
        if path.is_file():
            try:
                data = BatchManifest.model_validate_json(path.read_text("utf-8"))
            except (OSError, ValueError, ValidationError):
                damaged = path.with_name(f"{MANIFEST}.damaged-{int(time.time())}")
                with contextlib.suppress(OSError):
                    os.replace(path, damaged)
        data.jobs, data.profile = jobs, profile
        return cls(directory, data, damaged)

    @classmethod
    def read(cls, directory: Path) -> BatchFile | None:
        """The folder's manifest as it is, or None (missing, unreadable)."""
        try:
            text = (directory / MANIFEST).read_text("utf-8")
            return cls(directory, BatchManifest.model_validate_json(text))
        except (OSError, ValueError, ValidationError):
            return None

    # -- reading -------------------------------------------------------------------------------

    def row(self, row_id: str) -> BatchRow | None:
        return next((r for r in self.data.rows if r.id == row_id), None)

    def take(self, row_id: str, number: int) -> BatchTake | None:
        row = self.row(row_id)
        if row is None:
            return None
        return next((t for t in row.takes if t.take == number), None)

    # -- writing -------------------------------------------------------------------------------

    def plan(
        self,
        jobs: Jobs,
        seeds: dict[str, list[int]],
        *,
        anew: set[tuple[str, int]],
        skipped: list[dict[str, Any]],
    ) -> None:
        """Every row of the jobs file, in its order, with a record per take: an earlier run's
        kept, but those made `anew` (row id, take) start over, unless a rerun of them is
        already under way (services/reruns.py); a row with a take made anew takes the jobs
        file's digest. Rows only an earlier run had stay after the others."""
        with self._lock:
            earlier = {r.id: r for r in self.data.rows}
            rows = []
            for job in jobs.rows:
                before = earlier.pop(job.id, None)
                kept = {t.take: t for t in before.takes} if before is not None else {}
                takes = [
                    BatchTake(take=n, seed=seed, clip=job.clip(n))
                    if n not in kept or ((job.id, n) in anew and kept[n].rerun is None)
                    else kept[n]
                    for n, seed in enumerate(seeds[job.id], start=1)
                ]
                again = any(row_id == job.id for row_id, _ in anew)
                digest = before.digest if before is not None and before.digest else None
                rows.append(
                    BatchRow(
                        id=job.id,
                        index=job.index,
                        line=job.line,
                        prompt=job.params.get("prompt"),
                        params={k: v for k, v in job.params.items() if k != "prompt"},
                        takes=takes,
                        digest=job.digest if again or digest is None else digest,
                    )
                )
            self.data.rows = rows + list(earlier.values())
            self.data.skipped = skipped

    def update(self, row_id: str, number: int, now: float, **changes: Any) -> None:
        """Change one take's record and write the file."""
        with self._lock:
            take = self.take(row_id, number)
            if take is None:
                return
            for key, value in changes.items():
                setattr(take, key, value)
            take.updated_at = now
            self.save(now)

    def settle_reruns(self, now: float) -> None:
        """Every take marked as being made again is done: the marks go (one write), and a
        later rerun is a new one."""
        with self._lock:
            marked = [t for row in self.data.rows for t in row.takes if t.rerun]
            if not marked or any(t.state != TakeState.DONE for t in marked):
                return
            for take in marked:
                take.rerun = None
            self.save(now)

    def save(self, now: float) -> None:
        """Write the file atomically (a crash leaves the old one or the new one)."""
        with self._lock:
            self.data.updated_at = now
            text = json.dumps(self.data.model_dump(mode="json"), indent=2, ensure_ascii=False)
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{MANIFEST}.{os.getpid()}.{threading.get_ident()}.tmp")
            with open(tmp, "w", encoding="utf-8") as out:
                out.write(text + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
