"""The SQLite store: the journal file in the data directory, and OS file locks beside it.

A crash between create and wait loses nothing: the task id (or the fact that a create's outcome
is unknown, with the identity nonce it was sent with) is on disk, and `status`, `wait`,
`tasks list --local` and a re-run of the same `create` read it. SQLite in the data dir, mode
0600; the locks (services/locks.py) are files under `locks/` there, freed by the OS when
their process ends.

The columns are declared once, as the fields of `Entry` (state/entries.py). A file an older
version wrote is upgraded in place the first time it is opened, after a copy of it is kept
beside it (`journal.sqlite3.v1.bak`); rows are never dropped, and a file is never called
damaged for its age. A file that is not a journal (an empty one included: a new journal is
made whole, then linked into place) is refused as damaged, never taken for a new one: `check`
and `repair` (state/sqlite_repair.py) say what can be read of it and rebuild it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from seedance.domain.errors import JournalDamagedError, Suggestion
from seedance.domain.models import TaskStatus
from seedance.services.locks import LOCKS_DIR, FileLock
from seedance.services.state.base import (
    Health,
    MigrateResult,
    RepairResult,
    State,
    StateReport,
)
from seedance.services.state.entries import (
    COLUMNS,
    DECLARATIONS,
    IDENTITY_FIELDS,
    LEDGER_COLUMNS,
    NONCE_MEMORY,
    OPTIONAL_COLUMNS,
    SCHEMA_VERSION,
    UNFINISHED,
    WORK_COLUMNS,
    Entry,
    JournalState,
    LedgerLine,
    NoncePicker,
    Observation,
    Who,
    newest_per_unit,
    widened,
)

JOURNAL_FILE = "journal.sqlite3"

_BATCH = 500  # task ids in one `IN (...)`: far below SQLite's limit on bound values


_DECLARATIONS = DECLARATIONS
# A create holds one of its account's slots until it is seen finished (or refused).
OPEN = "finished_at IS NULL AND state != 'rejected'"
# One for each read, so that none walks the whole table as the journal grows; each read is
# `... ORDER BY row DESC`, and an index's entries of equal key are in row order, so SQLite
# walks the index backwards and stops at the LIMIT (tests/services/test_journal_plans.py
# checks each read's plan). Without ANALYZE, the planner picks the index with the most
# columns the WHERE fixes: that is why the request's index holds the profile too (with
# `creates_profile` beside a request_hash-only index, it chose to walk the profile's rows).
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS creates_task ON creates(task_id)",
    # latest_for, made_for: a create of the same request (create -o, chain, batch)
    "CREATE INDEX IF NOT EXISTS creates_request ON creates(request_hash, profile)",
    # entries(): tasks list --local with a filter
    "CREATE INDEX IF NOT EXISTS creates_profile ON creates(profile)",
    "CREATE INDEX IF NOT EXISTS creates_status ON creates(status)",
    "CREATE INDEX IF NOT EXISTS creates_model ON creates(model)",
    # run_seconds: how long tasks of a kind took (each waited task)
    "CREATE INDEX IF NOT EXISTS creates_kind ON creates(base_url, model, resolution, duration, "
    "status)",
    # unsaved(): videos made and never saved (a few rows, whatever the journal's size); keyed
    # by the columns its WHERE fixes, so that it wins over creates_status
    "CREATE INDEX IF NOT EXISTS creates_unsaved ON creates(status, downloaded_at) "
    "WHERE status = 'succeeded' AND downloaded_at IS NULL AND task_id IS NOT NULL",
    # the nonces of recent creates whose task is not known (each create), keyed likewise to
    # win over creates_task (task_id IS NULL)
    "CREATE INDEX IF NOT EXISTS creates_open_nonce ON creates(task_id, created_at) "
    "WHERE nonce IS NOT NULL AND task_id IS NULL",
    # the ledger: an account's unfinished tasks (its slots), its spend, spend since a time
    f"CREATE INDEX IF NOT EXISTS creates_open ON creates(account, created_at) WHERE {OPEN}",
    "CREATE INDEX IF NOT EXISTS creates_ledger ON creates(account, currency, created_at)",
    "CREATE INDEX IF NOT EXISTS creates_time ON creates(created_at)",
    # labelled(): a request id's create
    "CREATE INDEX IF NOT EXISTS creates_label ON creates(profile, label) WHERE label IS NOT NULL",
    # a run's unit, the same on every machine (runs/identities.py)
    "CREATE INDEX IF NOT EXISTS creates_unit ON creates(profile, label, unit) "
    "WHERE unit IS NOT NULL",
)
# Indexes an earlier version made that a later one replaced (version 3: creates_hash, by
# creates_request).
_DROPPED_INDEXES = ("creates_hash",)


# The tokens a row counts against a budget (see State.charged).
CHARGED_TOKENS = (
    "(CASE WHEN tokens IS NOT NULL THEN tokens "
    "WHEN status IN ('failed', 'expired', 'cancelled') THEN 0 ELSE estimated_tokens END)"
)
# What `State.ledger` groups by. Its rows are those since a time, found through
# `creates_time`; a plain `model` or `profile` would let SQLite walk that column's index
# instead (the whole table, in group order, to spare a sort of the week's rows): the unary
# `+` (a no-op on any value) keeps such a column out of the index choice.
LEDGER_GROUPS = {
    "day": "strftime('%Y-%m-%d', created_at, 'unixepoch')",
    "model": "+model",
    "profile": "+profile",
    "storyboard": "CASE WHEN label LIKE 'storyboard:%' THEN substr(label, 12) END",
    "batch": "CASE WHEN label LIKE 'batch:%' THEN substr(label, 7) END",
    "machine": "+machine",
    "user": "+login",
}


def _create_table() -> str:
    columns = ",\n    ".join(f"{name} {sql}" for name, sql in _DECLARATIONS.items())
    return f"CREATE TABLE IF NOT EXISTS creates (\n    {columns}\n)"


def _version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _missing_columns(db: sqlite3.Connection) -> list[str]:
    """The columns the file's table lacks: all of them when it has no table yet."""
    present = {row[1] for row in db.execute("PRAGMA table_info(creates)")}
    return [name for name in COLUMNS if name not in present]


class SqliteState(State):
    """The journal file of a data directory and the lock files beside it (thread-safe)."""

    def __init__(
        self,
        data_dir: Path,
        warn: Callable[[str], None] | None = None,
        *,
        who: Who | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.path = data_dir / JOURNAL_FILE
        self.locks_dir = data_dir / LOCKS_DIR
        self._warn = warn
        self._who = who
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._present: list[str] = list(COLUMNS)  # the columns the file has
        self.not_upgraded: str | None = None  # why an older file could not be upgraded

    @property
    def store(self) -> str:
        return "sqlite"

    @property
    def where(self) -> str:
        return str(self.path)

    @property
    def who(self) -> Who:
        if self._who is None:
            self._who = Who.here()
        return self._who

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                self._make_new()
            mode = self.path.stat().st_mode
            if mode & 0o077 and self._warn is not None:
                self._warn(
                    f"{self.path} is readable by others ({stat.filemode(mode)}); "
                    f"run: chmod 600 {self.path}"
                )
            if self.path.stat().st_size == 0:
                raise self.damaged("it is empty")
            db = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
            try:
                self._upgrade(db)
            except sqlite3.OperationalError:
                db.close()
                raise
            except sqlite3.DatabaseError as exc:
                db.close()
                raise self.damaged(str(exc)) from None
            except BaseException:
                db.close()
                raise
            self._db = db
            self._present = [c for c in COLUMNS if c not in _missing_columns(db)]
        return self._db

    def _make_new(self) -> None:
        """A new, empty journal, made whole beside its place and linked there: a crash never
        leaves a half-made file (an empty file is a damaged journal, not a new one)."""
        tmp = self.path.with_name(f"{self.path.name}.new-{os.getpid()}-{threading.get_ident()}")
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        try:
            db = sqlite3.connect(tmp)
            try:
                with db:
                    self._migrate(db)
            finally:
                db.close()
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                pass  # another process made it first
            except OSError:  # a file system without hard links
                if not self.path.exists():
                    os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)

    def damaged(self, reason: str) -> JournalDamagedError:
        """The error for a journal that cannot be read: names the file and the way out."""
        return JournalDamagedError(
            f"the journal {self.path} is damaged ({reason}); nothing was sent",
            damage=reason,
            reason="journal_damaged",
            suggestion=[Suggestion.of("journal.check"), Suggestion.of("journal.repair")],
        )

    def _upgrade(self, db: sqlite3.Connection) -> None:
        """Bring the file to SCHEMA_VERSION: a new file gets the table, an older one the
        columns it lacks after a copy of it is kept beside it (`backup_path`). One process
        does it, under SQLite's write lock; the others then find it done."""
        if _version(db) >= SCHEMA_VERSION:
            return
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                if _version(db) < SCHEMA_VERSION:
                    self._migrate(db)
                db.commit()
            except BaseException:
                db.rollback()
                raise
        except (sqlite3.OperationalError, OSError) as exc:
            if set(_missing_columns(db)) - set(OPTIONAL_COLUMNS):
                raise
            # a file it may not change (read-only, or locked all along) still reads as it is
            self.not_upgraded = str(exc) or type(exc).__name__

    def _migrate(self, db: sqlite3.Connection) -> None:
        """The table (a new file), the columns an older file lacks (after its backup) and the
        indexes: built once, about a second for 100,000 rows; indexes alone change no row,
        so they need no backup (the transaction undoes a half-built one)."""
        missing = _missing_columns(db)
        if len(missing) == len(COLUMNS):  # a new file
            db.execute(_create_table())
        elif missing:  # an older version's table, rows and all
            self._back_up(_version(db))
            for name in missing:
                db.execute(f"ALTER TABLE creates ADD COLUMN {name} {_DECLARATIONS[name]}")
        for name in _DROPPED_INDEXES:
            db.execute(f"DROP INDEX IF EXISTS {name}")
        for index in _INDEXES:
            db.execute(index)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def backup_path(self, version: int) -> Path:
        """Where the copy of a file of `version` is kept when it is upgraded (version 1
        wrote no version: 0)."""
        return self.path.with_name(f"{self.path.name}.v{max(version, 1)}.bak")

    def _back_up(self, version: int) -> None:
        """A copy of the file as it is, mode 0600; the caller holds the write lock, so no
        other process changes it meanwhile."""
        backup = self.backup_path(version)
        tmp = backup.with_name(backup.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out, open(self.path, "rb") as source:
            while chunk := source.read(1 << 20):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, backup)

    @contextmanager
    def _tx(self, *, immediate: bool = False) -> Iterator[sqlite3.Connection]:
        """A transaction (IMMEDIATE: holding the write lock from its start)."""
        with self._lock:
            db = self._connect()
            try:
                if immediate:
                    db.execute("BEGIN IMMEDIATE")
                with db:
                    yield db
            except sqlite3.OperationalError:
                raise
            except sqlite3.DatabaseError as exc:
                raise self.damaged(str(exc)) from None

    def verify(self) -> None:
        """Raise JournalDamagedError unless SQLite finds every page of the file sound (its
        indexes included, which a read of the rows does not touch)."""
        with self._tx() as db:
            found = [str(row[0]) for row in db.execute("PRAGMA quick_check")]
        if found != ["ok"]:
            first = found[0].removeprefix("*** in database main ***").strip()
            raise self.damaged(f"database disk image is malformed: {first}")

    def schema_version(self) -> int:
        """The file's layout version (opening it upgrades an older one)."""
        with self._tx() as db:
            return _version(db)

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
        service_tier: str | None = None,
        nonce: NoncePicker | None = None,
        hold: Callable[[int], object] | None = None,
        ledger: Mapping[str, object] | None = None,
    ) -> int:
        """See `State.begin`: the nonce is picked and the lease taken under SQLite's write
        lock (BEGIN IMMEDIATE)."""
        values: dict[str, object] = {
            "state": JournalState.SENDING,
            "profile": profile,
            "dialect": dialect,
            "base_url": base_url,
            "model": model,
            "resolution": resolution,
            "duration": duration,
            "request_hash": request_hash,
            "request": json.dumps(body, sort_keys=True),
            "prompt": prompt,
            "output_path": output_path,
            "created_at": at,
            "service_tier": service_tier,
            **{k: v for k, v in (ledger or {}).items() if k in (*LEDGER_COLUMNS, *WORK_COLUMNS)},
            "machine": self.who.machine,
            "login": self.who.login,
        }
        with self._tx(immediate=True) as db:
            if nonce is not None and "nonce" in self._present:
                picked = nonce(self._open_nonces(db, at))
                values.update({k: picked[k] for k in IDENTITY_FIELDS if k in picked})
            values = {k: v for k, v in values.items() if k in self._present}
            names, marks = ", ".join(values), ", ".join("?" for _ in values)
            cur = db.execute(
                f"INSERT INTO creates ({names}) VALUES ({marks})", tuple(values.values())
            )
            row = int(cur.lastrowid or 0)
            if hold is not None:
                hold(row)
            return row

    @staticmethod
    def _open_nonces(db: sqlite3.Connection, at: float) -> set[int]:
        """Nonces of recent creates whose task is not known: a lost create is told apart
        from these by its nonce alone."""
        found = db.execute(
            "SELECT nonce FROM creates WHERE nonce IS NOT NULL AND task_id IS NULL "
            "AND created_at >= ?",
            (at - NONCE_MEMORY,),
        )
        return {int(r[0]) for r in found}

    def record(self, entry: Entry) -> int:
        """Write a whole entry (found in a record beside a video, or rebuilt by a repair);
        returns its row (a new one)."""
        values = {k: v for k, v in zip(COLUMNS, entry.values(), strict=True) if k != "row"}
        with self._tx() as db:
            values = {k: v for k, v in values.items() if k in self._present}
            names, marks = ", ".join(values), ", ".join("?" for _ in values)
            cur = db.execute(
                f"INSERT INTO creates ({names}) VALUES ({marks})", tuple(values.values())
            )
            return int(cur.lastrowid or 0)

    def created(self, row: int, task_id: str, at: float) -> None:
        self._set(
            row,
            state=JournalState.CREATED,
            task_id=task_id,
            answered_at=at,
            status=TaskStatus.QUEUED,
        )

    def unknown(self, row: int, reason: str, at: float) -> None:
        self._set(row, state=JournalState.UNKNOWN, error=reason, answered_at=at)

    def rejected(self, row: int, reason: str, at: float) -> None:
        self._set(row, state=JournalState.REJECTED, error=reason, answered_at=at)

    def unusable(self, row: int, reason: str, at: float) -> None:
        """A create the server answered with a task id seedance cannot use: it arrived and may
        be billed (its estimate stays counted), it holds no slot (it is ended), and it is never
        followed (`reason`, with the server's answer, says why)."""
        self._set(
            row,
            state=JournalState.UNKNOWN,
            task_id=None,
            error=reason,
            answered_at=at,
            finished_at=at,
        )

    def adopt(self, row: int, task_id: str, at: float) -> None:
        """An unknown create found on the server after all."""
        self._set(
            row, state=JournalState.CREATED, task_id=task_id, answered_at=at, finished_at=None
        )

    def observe_many(self, seen: Sequence[Observation]) -> None:
        if not seen:
            return
        with self._tx() as db:
            db.executemany(
                "UPDATE creates SET status = :status, tokens = COALESCE(:tokens, tokens), "
                "error = COALESCE(:error, error), finished_at = CASE WHEN :terminal AND "
                "finished_at IS NULL THEN :ended ELSE finished_at END WHERE task_id = :task_id "
                "AND (status IS NOT :status OR (:tokens IS NOT NULL AND tokens IS NOT :tokens) "
                "OR (:error IS NOT NULL AND error IS NOT :error) "
                "OR (:terminal AND finished_at IS NULL))",
                [
                    {
                        "task_id": o.task_id,
                        "status": o.status.value,
                        "tokens": o.tokens,
                        "error": o.error,
                        "terminal": o.status.is_terminal,
                        "ended": o.ended or o.at,
                    }
                    for o in seen
                ],
            )

    def gone(self, task_id: str, at: float) -> None:
        """The server no longer has the task: it holds no slot any more (its status stays the
        last one seen)."""
        with self._tx() as db:
            db.execute(
                "UPDATE creates SET finished_at = COALESCE(finished_at, ?) WHERE task_id = ?",
                (at, task_id),
            )

    def free_slot(self, row: int, at: float) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE creates SET finished_at = COALESCE(finished_at, ?) WHERE row = ?",
                (at, row),
            )

    def saving(self, task_id: str, *, path: str, sha256: str, size: int) -> None:
        """The video is complete on disk and about to be renamed to `path`."""
        with self._tx() as db:
            db.execute(
                "UPDATE creates SET saved_path = ?, sha256 = ?, bytes = ? WHERE task_id = ?",
                (path, sha256, size, task_id),
            )
            if "saved_on" in self._present:
                db.execute(
                    "UPDATE creates SET saved_on = ? WHERE task_id = ?",
                    (self.who.machine, task_id),
                )

    def downloaded(self, task_id: str, *, path: str, sha256: str, size: int, at: float) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE creates SET saved_path = ?, sha256 = ?, bytes = ?, downloaded_at = ? "
                "WHERE task_id = ?",
                (path, sha256, size, at, task_id),
            )
            if "saved_on" in self._present:
                db.execute(
                    "UPDATE creates SET saved_on = ? WHERE task_id = ?",
                    (self.who.machine, task_id),
                )

    def settle_reruns(self, profile: str, label: str, units: Sequence[str]) -> None:
        if not units or "rerun" not in self._present:
            return
        marks = ", ".join("?" for _ in units)
        with self._tx() as db:
            db.execute(
                f"UPDATE creates SET rerun = NULL WHERE profile = ? AND label = ? "
                f"AND unit IN ({marks}) AND rerun IS NOT NULL",
                (profile, label, *units),
            )

    def _set(self, row: int, **values: object) -> None:
        names = ", ".join(f"{k} = ?" for k in values)
        with self._tx() as db:
            db.execute(f"UPDATE creates SET {names} WHERE row = ?", (*values.values(), row))

    # -- reads -------------------------------------------------------------------------------

    def _rows(self, where: str, args: tuple[Any, ...], limit: int | None = None) -> list[Entry]:
        if not self.path.exists():
            return []
        with self._tx() as db:
            present = self._present
            sql = f"SELECT {', '.join(present)} FROM creates {where} ORDER BY row DESC"
            if limit:
                sql += f" LIMIT {min(int(limit), 2**63 - 1)}"  # (SQLite's largest integer)
            rows = db.execute(sql, args).fetchall()
        return [Entry.from_row(widened(present, r)) for r in rows]

    def find(self, task_id: str) -> Entry | None:
        rows = self._rows("WHERE task_id = ?", (task_id,), 1)
        return rows[0] if rows else None

    def entry(self, row: int) -> Entry | None:
        rows = self._rows("WHERE row = ?", (row,), 1)
        return rows[0] if rows else None

    def known(self, task_ids: Iterable[str]) -> set[str]:
        """Which of `task_ids` this journal knows (an index look-up each, however large the
        journal)."""
        wanted = list(dict.fromkeys(task_ids))
        if not wanted or not self.path.exists():
            return set()
        found: set[str] = set()
        with self._tx() as db:
            for start in range(0, len(wanted), _BATCH):
                batch = wanted[start : start + _BATCH]
                marks = ", ".join("?" for _ in batch)
                rows = db.execute(f"SELECT task_id FROM creates WHERE task_id IN ({marks})", batch)
                found.update(str(r[0]) for r in rows)
        return found

    def made_for(self, profile: str, request_hash: str) -> list[Entry]:
        """Every create of this request on this profile that has a task, newest first
        (to any output: a storyboard's folder may have moved)."""
        return self._rows(
            "WHERE profile = ? AND request_hash = ? AND task_id IS NOT NULL",
            (profile, request_hash),
        )

    def labelled(self, profile: str, label: str) -> Entry | None:
        """The newest create of this profile made with this label (a request id's)."""
        if not self.has_ledger():
            return None
        rows = self._rows("WHERE profile = ? AND label = ?", (profile, label), 1)
        return rows[0] if rows else None

    def latest_of(
        self,
        profile: str,
        label: str,
        unit: str | None,
        *,
        request_hash: str | None = None,
        generation: int | None = None,
        states: Sequence[JournalState] = UNFINISHED,
    ) -> Entry | None:
        if "unit" not in self._present or not self.has_ledger():
            return None
        where = "WHERE profile = ? AND label = ? AND unit IS ?"
        args: tuple[Any, ...] = (profile, label, unit)
        if request_hash is not None:
            where += " AND request_hash = ?"
            args += (request_hash,)
        if generation is not None:
            where += " AND COALESCE(generation, 0) = ?"
            args += (generation,)
        marks = ", ".join("?" for _ in states)
        rows = self._rows(f"{where} AND state IN ({marks})", (*args, *states), 1)
        return rows[0] if rows else None

    def units_of(self, profile: str, label: str) -> dict[str, Entry]:
        if "unit" not in self._present or not self.has_ledger():
            return {}
        rows = self._rows(
            "WHERE profile = ? AND label = ? AND unit IS NOT NULL AND state <> ?",
            (profile, label, JournalState.REJECTED),
        )
        return newest_per_unit(rows)

    def unsaved(self, profile: str | None = None, limit: int | None = None) -> list[Entry]:
        """Tasks seen succeeded whose video this machine has not saved, newest first."""
        # the words of creates_unsaved's WHERE, as they are: SQLite uses a partial index only
        # for a query that states its condition (a bound value would not do)
        where = "WHERE status = 'succeeded' AND downloaded_at IS NULL AND task_id IS NOT NULL"
        args: tuple[Any, ...] = ()
        if profile:
            where += " AND profile = ?"
            args += (profile,)
        return self._rows(where, args, limit)

    def latest_for(
        self,
        profile: str,
        request_hash: str,
        output_path: str | None,
        states: Sequence[JournalState] = UNFINISHED,
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
        status: TaskStatus | None = None,
        model: str | None = None,
        limit: int | None = 50,
    ) -> list[Entry]:
        clauses: list[str] = []
        args: list[str] = []
        for column, value in (("profile", profile), ("status", status), ("model", model)):
            if value:
                clauses.append(f"{column} = ?")
                args.append(value)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return self._rows(where, tuple(args), limit)

    # -- the ledger (services/account/gate.py, services/account/spend.py) -------------------

    def has_ledger(self) -> bool:
        """Whether the file has the ledger's columns (an old file that could not be upgraded
        has not)."""
        if not self.path.exists():
            return True
        with self._tx():
            return "account" in self._present

    def open_creates(self, account: str, since: float) -> list[Entry]:
        """The account's creates made since `since` and not yet seen finished, nor refused."""
        if not self.has_ledger():
            return []
        return self._rows(f"WHERE account = ? AND created_at >= ? AND {OPEN}", (account, since))

    def charged(self, account: str, currency: str, since: float) -> float:
        """What the account's creates since `since` cost in `currency`: the usage billed where
        the API reported it, nothing for a task that ended unsuccessfully without usage, the
        estimate (the reservation) for the rest; refused creates count nothing."""
        if not self.path.exists() or not self.has_ledger():
            return 0.0
        with self._tx() as db:
            found = db.execute(
                f"SELECT SUM({CHARGED_TOKENS} * price) / 1e6 FROM creates "
                "WHERE account = ? AND currency = ? AND created_at >= ? AND state != 'rejected'",
                (account, currency, since),
            ).fetchone()
        return float(found[0] or 0.0)

    def ledger(self, by: str, *, since: float, profile: str | None = None) -> list[LedgerLine]:
        """The creates since `since` (refused ones left out), summed per group (`by`, one of
        LEDGER_GROUPS) and currency."""
        group = LEDGER_GROUPS[by]
        if not self.path.exists() or not self.has_ledger():
            return []
        where = "WHERE created_at >= ? AND state != 'rejected'"
        args: list[Any] = [since]
        if profile:
            where += " AND +profile = ?"  # the time index, not the profile's (all its rows)
            args.append(profile)
        sql = (
            f"SELECT {group} AS key, currency, COUNT(*), SUM(estimated_tokens), SUM(tokens), "
            "SUM(estimated_tokens * price) / 1e6, SUM(tokens * price) / 1e6, "
            "SUM(price IS NULL), SUM(finished_at IS NULL) "
            f"FROM creates {where} GROUP BY key, currency ORDER BY key, currency"
        )
        with self._tx() as db:
            rows = db.execute(sql, tuple(args)).fetchall()
        return [LedgerLine(*row) for row in rows]

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
            "AND status = ? AND finished_at IS NOT NULL AND answered_at IS NOT NULL",
            (base_url, model, resolution, duration, TaskStatus.SUCCEEDED.value),
            limit,
        )
        return [r.finished_at - r.answered_at for r in rows if r.finished_at and r.answered_at]

    # -- locks: files under the data directory's locks/, freed by the OS with their process --

    def _named(self, kind: str, key: str, what: str) -> FileLock:
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return FileLock(self.locks_dir / f"{kind}-{digest}.lock", what)

    def account_lock(self, account: str) -> FileLock:
        return FileLock(self.locks_dir / f"account-{account}.lock", "the account's slots")

    def request_lock(self, profile: str, request_id: str) -> FileLock:
        return self._named("request", f"{profile}\n{request_id}", f"request {request_id}")

    def row_lease(self, row: int) -> FileLock:
        return FileLock(self.locks_dir / f"row-{row}.lock", f"journal entry {row}")

    def row_in_flight(self, row: int) -> bool:
        probe = self.row_lease(row)
        if not probe.path.exists():
            return False
        if probe.try_acquire():
            probe.release()
            return False
        return True

    def unit_lock(self, kind: str, name: str) -> FileLock:
        return self._named(f"unit-{kind}", name, f"{kind} {name}")

    # -- upkeep ------------------------------------------------------------------------------

    def check(self) -> StateReport:
        from seedance.services.state.sqlite_repair import check

        return check(self)

    def repair(self) -> RepairResult:
        from seedance.services.state.sqlite_repair import repair

        return repair(self)

    def migrate(self) -> MigrateResult:
        """The file is upgraded when it is first opened; this opens it, and says whether an
        older file could not be upgraded (read-only, or no room for its backup)."""
        before = None
        if self.path.exists():
            with self._lock:
                probe = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
                try:
                    before = _version(probe)
                except sqlite3.DatabaseError as exc:
                    raise self.damaged(str(exc)) from None
                finally:
                    probe.close()
        after = self.schema_version()
        if self.not_upgraded is not None:
            raise self.cannot_upgrade()
        return MigrateResult(self.where, before, after)

    def cannot_upgrade(self) -> JournalDamagedError:
        """The error for an older file that could not be upgraded."""
        return JournalDamagedError(
            f"the journal {self.path} is from an older version and could not be upgraded "
            f"({self.not_upgraded})",
            damage=self.not_upgraded or "",
            code="not_upgraded",
            reason="journal_unwritable",
            suggestion=Suggestion.again(),
        )

    def health(self) -> Health:
        if not self.path.exists():
            return Health(
                self.store,
                self.where,
                True,
                f"{self.path} (new: nothing created yet)",
                expected_version=SCHEMA_VERSION,
            )
        try:
            version = self.schema_version()
        except (JournalDamagedError, sqlite3.Error) as exc:
            reason = getattr(exc, "damage", None) or str(exc)
            return Health(
                self.store,
                self.where,
                True,
                f"{self.path} cannot be read",
                problem=reason,
            )
        return Health(
            self.store,
            self.where,
            True,
            f"{self.path} (schema version {version})",
            schema_version=version,
            expected_version=SCHEMA_VERSION,
            problem=f"it could not be upgraded: {self.not_upgraded}" if self.not_upgraded else None,
        )
