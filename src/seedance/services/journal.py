"""The local journal: every create, written before it is sent and after it answers.

A crash between create and wait loses nothing: the task id (or the fact that a create's outcome
is unknown) is on disk, and `status`, `wait`, `tasks list --local` and a re-run of the same
`create` read it. SQLite in the data dir, mode 0600.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JOURNAL_FILE = "journal.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS creates (
    row INTEGER PRIMARY KEY AUTOINCREMENT,
    state TEXT NOT NULL,          -- sending | created | unknown | rejected
    task_id TEXT,
    profile TEXT NOT NULL,
    dialect TEXT NOT NULL,
    base_url TEXT NOT NULL,
    model TEXT,
    resolution TEXT,
    duration INTEGER,
    request_hash TEXT NOT NULL,
    request TEXT NOT NULL,        -- the body sent, with inline media replaced by their hashes
    prompt TEXT,
    output_path TEXT,
    created_at REAL NOT NULL,     -- when seedance began the create
    answered_at REAL,
    status TEXT,
    finished_at REAL,
    tokens INTEGER,
    error TEXT,
    sha256 TEXT,                  -- of the saved video, recorded before it is renamed into place
    bytes INTEGER,
    downloaded_at REAL,
    saved_path TEXT               -- where the video was saved (output_path may be a directory)
);
CREATE INDEX IF NOT EXISTS creates_task ON creates(task_id);
CREATE INDEX IF NOT EXISTS creates_hash ON creates(request_hash);
"""

_COLUMNS = (
    "row",
    "state",
    "task_id",
    "profile",
    "dialect",
    "base_url",
    "model",
    "resolution",
    "duration",
    "request_hash",
    "request",
    "prompt",
    "output_path",
    "created_at",
    "answered_at",
    "status",
    "finished_at",
    "tokens",
    "error",
    "sha256",
    "bytes",
    "downloaded_at",
    "saved_path",
)


@dataclass(frozen=True)
class Entry:
    """One journal row."""

    row: int
    state: str
    task_id: str | None
    profile: str
    dialect: str
    base_url: str
    model: str | None
    resolution: str | None
    duration: int | None
    request_hash: str
    request: str
    prompt: str | None
    output_path: str | None
    created_at: float
    answered_at: float | None
    status: str | None
    finished_at: float | None
    tokens: int | None
    error: str | None
    sha256: str | None
    bytes: int | None
    downloaded_at: float | None
    saved_path: str | None

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.request)


class Journal:
    """A thread-safe handle on the journal file."""

    def __init__(self, data_dir: Path, warn: Callable[[str], None] | None = None) -> None:
        self.path = data_dir / JOURNAL_FILE
        self._warn = warn
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            mode = self.path.stat().st_mode
            if mode & 0o077 and self._warn is not None:
                self._warn(
                    f"{self.path} is readable by others ({stat.filemode(mode)}); "
                    f"run: chmod 600 {self.path}"
                )
            db = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
            db.executescript(_SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(creates)")}
            if "saved_path" not in columns:  # a journal from before this column
                db.execute("ALTER TABLE creates ADD COLUMN saved_path TEXT")
            self._db = db
        return self._db

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._connect()
            with db:
                yield db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- writes ------------------------------------------------------------------------------

    def begin(
        self,
        *,
        profile: str,
        dialect: str,
        base_url: str,
        body: dict[str, Any],
        request_hash: str,
        model: str | None,
        resolution: str | None,
        duration: int | None,
        prompt: str | None,
        output_path: str | None,
        at: float,
    ) -> int:
        """Record a create about to be sent; returns its row."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO creates (state, profile, dialect, base_url, model, resolution, "
                "duration, request_hash, request, prompt, output_path, created_at) "
                "VALUES ('sending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    profile,
                    dialect,
                    base_url,
                    model,
                    resolution,
                    duration,
                    request_hash,
                    json.dumps(body, sort_keys=True),
                    prompt,
                    output_path,
                    at,
                ),
            )
            return int(cur.lastrowid or 0)

    def created(self, row: int, task_id: str, at: float) -> None:
        self._set(row, state="created", task_id=task_id, answered_at=at, status="queued")

    def unknown(self, row: int, reason: str, at: float) -> None:
        self._set(row, state="unknown", error=reason, answered_at=at)

    def rejected(self, row: int, reason: str, at: float) -> None:
        self._set(row, state="rejected", error=reason, answered_at=at)

    def adopt(self, row: int, task_id: str, at: float) -> None:
        """An unknown create found on the server after all."""
        self._set(row, state="created", task_id=task_id, answered_at=at)

    def observe(
        self, task_id: str, *, status: str, at: float, tokens: int | None, error: str | None
    ) -> None:
        """The latest status seen for a task (and when it first ended)."""
        terminal = status in ("succeeded", "failed", "expired", "cancelled")
        with self._tx() as db:
            db.execute(
                "UPDATE creates SET status = ?, tokens = COALESCE(?, tokens), "
                "error = COALESCE(?, error), finished_at = CASE WHEN ? AND finished_at IS NULL "
                "THEN ? ELSE finished_at END WHERE task_id = ?",
                (status, tokens, error, terminal, at, task_id),
            )

    def saving(self, task_id: str, *, path: str, sha256: str, size: int) -> None:
        """The video is complete on disk and about to be renamed to `path`."""
        with self._tx() as db:
            db.execute(
                "UPDATE creates SET saved_path = ?, sha256 = ?, bytes = ? WHERE task_id = ?",
                (path, sha256, size, task_id),
            )

    def downloaded(self, task_id: str, *, path: str, sha256: str, size: int, at: float) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE creates SET saved_path = ?, sha256 = ?, bytes = ?, downloaded_at = ? "
                "WHERE task_id = ?",
                (path, sha256, size, at, task_id),
            )

    def _set(self, row: int, **values: Any) -> None:
        names = ", ".join(f"{k} = ?" for k in values)
        with self._tx() as db:
            db.execute(f"UPDATE creates SET {names} WHERE row = ?", (*values.values(), row))

    # -- reads -------------------------------------------------------------------------------

    def _rows(self, where: str, args: tuple[Any, ...], limit: int | None = None) -> list[Entry]:
        if not self.path.exists():
            return []
        sql = f"SELECT {', '.join(_COLUMNS)} FROM creates {where} ORDER BY row DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._tx() as db:
            return [Entry(*r) for r in db.execute(sql, args).fetchall()]

    def find(self, task_id: str) -> Entry | None:
        rows = self._rows("WHERE task_id = ?", (task_id,), 1)
        return rows[0] if rows else None

    def latest_for(
        self,
        profile: str,
        request_hash: str,
        output_path: str | None,
        states: tuple[str, ...] = ("sending", "created", "unknown"),
    ) -> Entry | None:
        """The newest create of the same request to the same output in one of `states`."""
        marks = ", ".join("?" for _ in states)
        rows = self._rows(
            f"WHERE profile = ? AND request_hash = ? AND output_path IS ? AND state IN ({marks})",
            (profile, request_hash, output_path, *states),
            1,
        )
        return rows[0] if rows else None

    def entries(
        self,
        *,
        profile: str | None = None,
        status: str | None = None,
        model: str | None = None,
        limit: int | None = 50,
    ) -> list[Entry]:
        clauses, args = [], []
        for column, value in (("profile", profile), ("status", status), ("model", model)):
            if value:
                clauses.append(f"{column} = ?")
                args.append(value)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return self._rows(where, tuple(args), limit)

    def run_seconds(
        self,
        *,
        base_url: str,
        model: str | None,
        resolution: str | None,
        duration: int | None,
        limit: int = 20,
    ) -> list[float]:
        """How long recent successful tasks of this kind took, created to finished."""
        rows = self._rows(
            "WHERE base_url = ? AND model IS ? AND resolution IS ? AND duration IS ? "
            "AND status = 'succeeded' AND finished_at IS NOT NULL AND answered_at IS NOT NULL",
            (base_url, model, resolution, duration),
            limit,
        )
        return [r.finished_at - r.answered_at for r in rows if r.finished_at and r.answered_at]
