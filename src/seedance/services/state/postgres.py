"""The PostgreSQL store: the state shared by machines (CI runners, a team on one account).

Needs the `postgres` extra (psycopg 3); imported only when a state URL is set. One connection
per process, in autocommit, shared by the process's threads under a lock: each write is one
statement (durable when it returns), or one short transaction where it must be atomic
(`begin`: the nonce is picked under a transaction-level advisory lock, so two machines never
pick the same one). Its SQL follows the SQLite store's (state/sqlite.py) read for read.

Locks are PostgreSQL's session-level advisory locks (state/postgres_locks.py), never files:
held by the connection, so freed when the process ends however it ends (its connection
closes and the server drops them), like an OS file lock.

The connection is made on first use, and its schema checked then (state/postgres_schema.py):
an unreachable database is an error (exit 4) before anything is sent, never the local
journal instead; a schema of another version, a read-only server or a missing privilege is
refused (exit 2) with what to run or grant.

A connection lost later is made again, with a bounded backoff on the injected clock
(`RECONNECT_PATIENCE`): meanwhile what can wait (a create's answer, observations, verified
downloads) is kept on this machine (state/postgres_spool.py) and the run goes on; whatever
needs the database (a create, whose row must be written before it is sent; a read; a lock)
waits for it, and gives up with exit 4 when the patience runs out. On reconnecting, the
kept writes are replayed first, then the locks this process held are taken again.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from seedance.domain.clock import Clock, SystemClock
from seedance.domain.errors import ConfigError, NetworkError, Reason, SeedanceError
from seedance.domain.models import TaskStatus
from seedance.services import crashpoints
from seedance.services.state import postgres_schema as schema
from seedance.services.state.base import (
    Health,
    MigrateResult,
    RepairResult,
    State,
    StateReport,
    sorted_report,
)
from seedance.services.state.entries import (
    COLUMNS,
    IDENTITY_FIELDS,
    LEDGER_COLUMNS,
    NONCE_MEMORY,
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
)
from seedance.services.state.postgres_locks import AdvisoryLock, lock_key
from seedance.services.state.postgres_spool import Item, Spool, spool_path

if TYPE_CHECKING:
    import psycopg

    from seedance.domain.state_url import StateUrl

TABLE = schema.TABLE
SELECT = ", ".join(schema.quoted(c) for c in COLUMNS)
CHARGED_TOKENS = (
    "(CASE WHEN tokens IS NOT NULL THEN tokens "
    "WHEN status IN ('failed', 'expired', 'cancelled') THEN 0 ELSE estimated_tokens END)"
)
LEDGER_GROUPS = {
    "day": "to_char(to_timestamp(created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
    "model": "model",
    "profile": "profile",
    "storyboard": "CASE WHEN label LIKE 'storyboard:%%' THEN substr(label, 12) END",
    "batch": "CASE WHEN label LIKE 'batch:%%' THEN substr(label, 7) END",
    "machine": "machine",
    "user": "login",
}
# libpq's environment variables, for an environment that is not this process's (a test's, a
# library caller's): passed only for what the URL does not say itself
LIBPQ_ENVIRON = {
    "PGPASSWORD": "password",
    "PGPASSFILE": "passfile",
    "PGUSER": "user",
    "PGHOST": "host",
    "PGPORT": "port",
    "PGDATABASE": "dbname",
    "PGSSLMODE": "sslmode",
    "PGSSLROOTCERT": "sslrootcert",
    "PGCONNECT_TIMEOUT": "connect_timeout",
}
CONNECT_TIMEOUT = 10  # seconds, unless the URL or PGCONNECT_TIMEOUT says
# a server that answers "not now": the network's kind of failure, not the configuration's
TRANSIENT = ("starting up", "shutting down", "too many", "recovery mode", "terminating")
# a connection lost after it was made: tried again after 0.5 s, doubling up to 10 s; a step
# that needs the database waits for it up to 5 minutes of the clock (a database server
# restarted, a failover) before giving up (exit 4)
RECONNECT_FIRST = 0.5
RECONNECT_MAX = 10.0
RECONNECT_PATIENCE = 300.0
T = TypeVar("T")
TERMINAL = [s.value for s in TaskStatus if s.is_terminal]


class Away(Exception):
    """The connection is lost and not made again yet (internal to this store)."""


class PostgresState(State):
    """The state in a PostgreSQL database (thread-safe; one connection)."""

    def __init__(
        self,
        url: StateUrl,
        *,
        environ: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        who: Who | None = None,
        data_dir: Path | None = None,
    ) -> None:
        self.url = url
        self._environ = os.environ if environ is None else environ
        self.clock = clock or SystemClock()  # what lock waits poll on
        self._who = who
        self._lock = threading.RLock()  # the connection; reentrant: `begin`'s `hold` uses it
        self._conn: psycopg.Connection[Any] | None = None
        self._verified = False
        self._namespace: str | None = None  # the schema of the tables: the locks' namespace
        self.held: dict[int, AdvisoryLock] = {}  # advisory locks this process holds
        self.held_guard = threading.Lock()
        # a lost connection: since when (the clock's monotonic), the next try and its delay
        self._connected_once = False
        self._away_since: float | None = None
        self._away_reason = ""
        self._next_try = 0.0
        self._delay = RECONNECT_FIRST
        self._depth = 0  # statements in progress on this thread's stack (under `_lock`)
        self._fresh = False  # a connection just made: catch up first (`_catch_up`)
        # held locks another process took while the connection was away (keys)
        self.lost_locks: set[int] = set()
        self.spool = Spool(spool_path(data_dir, url.shown) if data_dir is not None else None)
        self.reconnected = 0  # times the connection was made again

    @property
    def store(self) -> str:
        return "postgres"

    @property
    def where(self) -> str:
        return self.url.shown

    @property
    def shared(self) -> bool:
        return True

    @property
    def who(self) -> Who:
        if self._who is None:
            self._who = Who.here()
        return self._who

    def secrets(self) -> list[str]:
        """The values no message may show (the password): register them with a redactor."""
        return self.url.secrets(self._environ)

    # -- the connection ----------------------------------------------------------------------

    def _connection(self) -> psycopg.Connection[Any]:
        """The connection, made on first use, and made again after it was lost once its
        backoff allows (the caller holds `_lock`); raises Away while it cannot be."""
        if self._conn is not None and not self._conn.closed:
            return self._conn
        if not self._connected_once:
            self._conn = self._connect()
            self._connected_once = self._fresh = True
            return self._conn
        if self._away_since is None:
            self._went_away("the connection closed")
        if self.clock.monotonic() < self._next_try:
            raise Away(self._away_reason)
        try:
            conn = self._connect()
        except SeedanceError as exc:
            self._delay = min(self._delay * 2, RECONNECT_MAX)
            self._next_try = self.clock.monotonic() + self._delay
            if isinstance(exc, ConfigError):
                raise
            raise Away(self._away_reason) from None
        self._conn, self._fresh = conn, True
        return conn

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            import psycopg
        except ImportError:
            raise ConfigError(
                f"a state URL is set ({self.where}), but the PostgreSQL driver is not "
                "installed; nothing was sent",
                code="state_driver",
                field="state_url",
                reason=Reason.of("install_extra", extra="postgres"),
            ) from None
        try:
            return psycopg.connect(self.url.url, autocommit=True, **self._connect_options())
        except psycopg.Error as exc:
            raise self.unreachable(exc) from None

    def _went_away(self, reason: str) -> None:
        if self._away_since is None:
            self._away_since = self.clock.monotonic()
            self._next_try = self._away_since  # one try at once, then the backoff
            self._delay = RECONNECT_FIRST
        self._away_reason = reason
        self._verified = False

    def _broken(self, exc: Exception) -> Away:
        """The connection broke under a statement: dropped, to be made again."""
        reason = self._redacted(str(exc)).strip().splitlines()[0] if str(exc).strip() else ""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()
        self._went_away(reason or type(exc).__name__)
        return Away(self._away_reason)

    def _catch_up(self, cur: psycopg.Cursor[Any]) -> None:
        """On a connection made again: the writes kept meanwhile, in order, then the locks
        this process held taken again (one it cannot take is another's now: `lost_locks`)."""
        self.spool.replay(lambda item: self._apply(cur, item))
        with self.held_guard:  # (one still being taken is not held yet: its own try takes it)
            keys = [k for k, lock in self.held.items() if lock.held and k not in self.lost_locks]
        if keys:
            cur.execute("SELECT k, pg_try_advisory_lock(k) FROM unnest(%s::bigint[]) AS k", (keys,))
            taken = {int(k): bool(ok) for k, ok in cur.fetchall()}
            with self.held_guard:
                self.lost_locks.update(k for k in keys if not taken.get(k) and k in self.held)

    def _connect_options(self) -> dict[str, Any]:
        from psycopg.conninfo import conninfo_to_dict

        given = conninfo_to_dict(self.url.url)
        options: dict[str, Any] = {}
        if self._environ is not os.environ:
            for variable, name in LIBPQ_ENVIRON.items():
                value = self._environ.get(variable)
                if value and name not in given and variable not in os.environ:
                    options[name] = value
        timeout_given = "connect_timeout" in given or "connect_timeout" in options
        if not timeout_given and "PGCONNECT_TIMEOUT" not in os.environ:
            options["connect_timeout"] = CONNECT_TIMEOUT
        if "application_name" not in given:
            options["application_name"] = f"seedance:{self.who.machine}:{os.getpid()}"[:63]
        return options

    def unreachable(self, exc: Exception) -> SeedanceError:
        """The error for a database that could not be connected to: the network's (exit 4),
        or, when the server answered and refused, the configuration's (exit 2)."""
        text = self._redacted(str(exc)).removeprefix("connection failed: ")
        first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
        refused = "FATAL:" in text and not any(word in text for word in TRANSIENT)
        if refused:
            reason = text.split("FATAL:", 1)[1].strip().splitlines()[0]
            return ConfigError(
                f"the shared state at {self.where} refused the connection ({reason}); "
                "nothing was sent",
                code="state_refused",
                field="state_url",
                reason="state_login_refused",
            )
        return NetworkError(
            f"cannot reach the shared state at {self.where} ({first}); nothing was sent",
            code="state_unreachable",
            reason="state_unreachable",
        )

    def lost(self, reason: str) -> NetworkError:
        """The connection broke after it was made and was not made again in time."""
        return NetworkError(
            f"lost the connection to the shared state at {self.where} ({reason})",
            code="state_lost",
            reason="state_lost",
        )

    def _redacted(self, text: str) -> str:
        for secret in self.secrets():
            text = text.replace(secret, "…")
        return text

    def _verify(self, cur: psycopg.Cursor[Any]) -> None:
        """The schema, once per connection: an empty database is set up (under a lock);
        another version, a read-only server or a missing privilege is refused."""
        if self._verified:
            return
        found = schema.look(cur)
        self._namespace = found.namespace
        if found.empty and not found.read_only:
            self._set_up(cur, create_only=True)
            found = schema.look(cur)
        problem = schema.refusal(found, self.where)
        if problem is not None:
            raise problem
        self._verified = True

    def _set_up(self, cur: psycopg.Cursor[Any], *, create_only: bool) -> schema.Found:
        """The schema made (an empty database) or migrated, in one transaction under the
        schema's advisory lock; returns what was found before."""
        import psycopg

        role, namespace = str(cur.connection.info.user), ""
        try:
            with cur.connection.transaction():
                namespace = schema.look(cur).namespace
                key = lock_key(namespace, "schema", "")
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
                found = schema.look(cur)
                newer = found.version is not None and found.version > SCHEMA_VERSION
                if newer or found.read_only:
                    problem = schema.refusal(found, self.where)
                    assert problem is not None
                    raise problem
                if found.empty or not create_only:
                    schema.set_up(cur)
                return found
        except psycopg.errors.InsufficientPrivilege:
            raise schema.no_create(self.where, role, namespace) from None

    def run(
        self,
        work: Callable[[psycopg.Cursor[Any]], T],
        *,
        transaction: bool = False,
        wait: bool = True,
    ) -> T:
        """`work` on the verified connection (in a transaction when asked), with the
        database's errors as seedance's. A lost connection is made again and `work` done
        again, waiting up to RECONNECT_PATIENCE of the clock (`wait`; else at once) before
        NetworkError `state_lost`."""
        since: float | None = None  # when this call began to wait for the database
        while True:
            with self._lock:
                self._depth += 1
                try:
                    return self._once(work, transaction)
                except Away as away:
                    if self._depth > 1:
                        raise  # a statement inside another's: the outer one does it again
                    reason = str(away)
                finally:
                    self._depth -= 1
            if not wait:
                raise self.lost(reason)
            if since is None:
                since = self.clock.monotonic()
            self._pause(reason, since)

    def _once(self, work: Callable[[psycopg.Cursor[Any]], T], transaction: bool) -> T:
        conn = self._connection()  # first: without the driver, says how to install it
        import psycopg

        try:
            with conn.cursor() as cur:
                self._verify(cur)
                if self._fresh:
                    self._catch_up(cur)
                    self._fresh = False
                    if self._away_since is not None:
                        self._away_since, self._delay = None, RECONNECT_FIRST
                        self.reconnected += 1
                if transaction:
                    with conn.transaction():
                        return work(cur)
                return work(cur)
        except psycopg.errors.InsufficientPrivilege as exc:
            raise schema.missing_privileges(
                self.where, str(conn.info.user), [self._redacted(str(exc)).strip()]
            ) from None
        except psycopg.errors.ReadOnlySqlTransaction:
            raise schema.read_only(self.where) from None
        except psycopg.OperationalError as exc:
            if conn.closed or conn.broken:
                raise self._broken(exc) from None
            raise self.lost(self._redacted(str(exc)).strip().splitlines()[0]) from None

    def _pause(self, reason: str, since: float) -> None:
        """Wait for the next try at the connection; NetworkError once a call waited
        RECONNECT_PATIENCE for it (since `since`)."""
        now = self.clock.monotonic()
        if now - since >= RECONNECT_PATIENCE:
            self._next_try = now  # the next use tries at once
            raise self.lost(f"{reason}; tried again for {RECONNECT_PATIENCE:.0f} s")
        crashpoints.reached("state-reconnect")
        left = since + RECONNECT_PATIENCE - now
        self.clock.sleep(min(max(self._next_try - now, 0.05), left))

    def execute(
        self, sql: str, args: Sequence[Any] = (), *, wait: bool = True
    ) -> list[tuple[Any, ...]]:
        """One statement (one round trip); its rows."""

        def work(cur: psycopg.Cursor[Any]) -> list[tuple[Any, ...]]:
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else []

        return self.run(work, wait=wait)

    def _write(self, item: Item) -> None:
        """A write that can wait: done now, or kept on this machine while the database is
        away (state/postgres_spool.py) and done when it returns, before anything else."""
        with self._lock:
            try:
                self._once(lambda cur: self._apply(cur, item), False)
                return
            except Away:
                pass
            self.spool.add({**item, "replayed": True})

    def _apply(self, cur: psycopg.Cursor[Any], item: Item) -> None:
        """One write of the kind that can wait (`_write`), as its statement."""
        op = item["op"]
        if op == "set":
            values = {k: v for k, v in item["values"].items() if k in COLUMNS and k != "row"}
            replayed = item.get("replayed", False)  # a status seen since is not taken back
            names = ", ".join(
                f"{schema.quoted(k)} = COALESCE(status, %s)"
                if replayed and k == "status"
                else f"{schema.quoted(k)} = %s"
                for k in values
            )
            cur.execute(
                f'UPDATE {TABLE} SET {names} WHERE "row" = %s', (*values.values(), item["row"])
            )
        elif op == "observe":
            cur.execute(observe_sql(replayed=item.get("replayed", False)), item["args"])
        elif op == "gone":
            cur.execute(
                f"UPDATE {TABLE} SET finished_at = COALESCE(finished_at, %s) WHERE task_id = %s",
                (item["at"], item["task_id"]),
            )
        elif op == "downloaded":
            cur.execute(
                f"UPDATE {TABLE} SET saved_path = %s, sha256 = %s, bytes = %s, "
                "downloaded_at = COALESCE(%s, downloaded_at), "
                "saved_on = %s WHERE task_id = %s",
                (
                    item["path"],
                    item["sha256"],
                    item["size"],
                    item["at"],
                    item.get("machine"),  # who saved it (an older spool: none, read as here)
                    item["task_id"],
                ),
            )

    def close(self) -> None:
        """Let the connection go; writes still kept here get one more try first."""
        if self._connected_once and len(self.spool):
            self._next_try = self.clock.monotonic()
            with contextlib.suppress(SeedanceError):
                self.run(lambda cur: None, wait=False)
        with self._lock:
            conn, self._conn = self._conn, None
            self._verified = False
            self._connected_once = False
            self._away_since = None
            with self.held_guard:
                self.held.clear()
                self.lost_locks.clear()
            if conn is not None:
                conn.close()

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
        """See `State.begin`: one transaction; the nonce is picked under an advisory lock
        every machine takes for it, and the lease taken before the row is committed."""
        values: dict[str, object] = {
            "state": JournalState.SENDING.value,
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
        nonce_key = self.key("nonce", "")

        def work(cur: psycopg.Cursor[Any]) -> int:
            if self.lost_locks:
                raise self.lock_lost()
            if nonce is not None:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (nonce_key,))
                cur.execute(
                    f"SELECT nonce FROM {TABLE} WHERE nonce IS NOT NULL AND task_id IS NULL "
                    "AND created_at >= %s",
                    (at - NONCE_MEMORY,),
                )
                picked = nonce({int(r[0]) for r in cur.fetchall()})
                values.update({k: picked[k] for k in IDENTITY_FIELDS if k in picked})
            row = self._insert(cur, values)
            if hold is not None:
                hold(row)
            return row

        # a connection lost under it: no row, or a row without its lease and never sent (found
        # so by the next look at it); this create waits for the database, then is written anew
        return self.run(work, transaction=True)

    def lock_lost(self) -> NetworkError:
        """A lock this process held was taken by another while the connection was away: no
        create is sent until the work it guarded is let go."""
        with self.held_guard:
            what = sorted({self.held[k].what for k in self.lost_locks if k in self.held})
        return NetworkError(
            f"the connection to the shared state at {self.where} was lost, and meanwhile "
            f"another process took the lock on {', '.join(what) or 'work of this one'}; "
            "nothing was sent",
            code="state_lost",
            reason="again_finds_made",
        )

    @staticmethod
    def _insert(cur: psycopg.Cursor[Any], values: Mapping[str, object]) -> int:
        names = ", ".join(schema.quoted(k) for k in values)
        marks = ", ".join("%s" for _ in values)
        cur.execute(
            f'INSERT INTO {TABLE} ({names}) VALUES ({marks}) RETURNING "row"',
            tuple(values.values()),
        )
        found = cur.fetchone()
        assert found is not None
        return int(found[0])

    def record(self, entry: Entry) -> int:
        values = dict(zip(COLUMNS, entry.values(), strict=True))
        values.pop("row")
        return self.run(lambda cur: self._insert(cur, values))

    def record_many(self, entries: Iterable[Entry]) -> int:
        """Every entry in one transaction, sent in one pipeline."""
        rows = [dict(zip(COLUMNS, e.values(), strict=True)) for e in entries]
        if not rows:
            return 0
        names = [c for c in COLUMNS if c != "row"]
        marks = ", ".join("%s" for _ in names)
        sql = f"INSERT INTO {TABLE} ({', '.join(schema.quoted(n) for n in names)}) VALUES ({marks})"
        params = [tuple(r[n] for n in names) for r in rows]
        self.run(lambda cur: cur.executemany(sql, params), transaction=True)
        return len(rows)

    def _set(self, row: int, **values: object) -> None:
        """A create's answer: written now, or kept here until the database returns."""
        self._write({"op": "set", "row": row, "values": values})

    def created(self, row: int, task_id: str, at: float) -> None:
        self._set(
            row,
            state=JournalState.CREATED.value,
            task_id=task_id,
            answered_at=at,
            status=TaskStatus.QUEUED.value,
        )

    def unknown(self, row: int, reason: str, at: float) -> None:
        self._set(row, state=JournalState.UNKNOWN.value, error=reason, answered_at=at)

    def rejected(self, row: int, reason: str, at: float) -> None:
        self._set(row, state=JournalState.REJECTED.value, error=reason, answered_at=at)

    def unusable(self, row: int, reason: str, at: float) -> None:
        self._set(
            row,
            state=JournalState.UNKNOWN.value,
            task_id=None,
            error=reason,
            answered_at=at,
            finished_at=at,
        )

    def adopt(self, row: int, task_id: str, at: float) -> None:
        self._set(
            row,
            state=JournalState.CREATED.value,
            task_id=task_id,
            answered_at=at,
            finished_at=None,
        )

    def observe_many(self, seen: Sequence[Observation]) -> None:
        """One statement for every task (the last observation of each counts)."""
        latest = {o.task_id: o for o in seen}
        if not latest:
            return
        rows = list(latest.values())
        args = [
            [o.task_id for o in rows],
            [o.status.value for o in rows],
            [o.tokens for o in rows],
            [o.error for o in rows],
            [o.status.is_terminal for o in rows],
            [float(o.ended or o.at) for o in rows],
        ]
        self._write({"op": "observe", "args": args})

    def gone(self, task_id: str, at: float) -> None:
        self._write({"op": "gone", "task_id": task_id, "at": at})

    def free_slot(self, row: int, at: float) -> None:
        self.execute(
            f'UPDATE {TABLE} SET finished_at = COALESCE(finished_at, %s) WHERE "row" = %s',
            (at, row),
        )

    def saving(self, task_id: str, *, path: str, sha256: str, size: int) -> None:
        self._write(
            {"op": "downloaded", "task_id": task_id, "path": path, "sha256": sha256}
            | {"size": size, "at": None, "machine": self.who.machine}
        )

    def downloaded(self, task_id: str, *, path: str, sha256: str, size: int, at: float) -> None:
        self._write(
            {"op": "downloaded", "task_id": task_id, "path": path, "sha256": sha256}
            | {"size": size, "at": at, "machine": self.who.machine}
        )

    def settle_reruns(self, profile: str, label: str, units: Sequence[str]) -> None:
        if units:
            self.execute(
                f"UPDATE {TABLE} SET rerun = NULL WHERE profile = %s AND label = %s "
                "AND unit = ANY(%s::text[]) AND rerun IS NOT NULL",
                (profile, label, list(units)),
            )

    # -- reads -------------------------------------------------------------------------------

    def _rows(self, where: str, args: Sequence[Any], limit: int | None = None) -> list[Entry]:
        sql = f'SELECT {SELECT} FROM {TABLE} {where} ORDER BY "row" DESC'
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [Entry.from_row(tuple(r)) for r in self.execute(sql, args)]

    def find(self, task_id: str) -> Entry | None:
        rows = self._rows("WHERE task_id = %s", (task_id,), 1)
        return rows[0] if rows else None

    def entry(self, row: int) -> Entry | None:
        rows = self._rows('WHERE "row" = %s', (row,), 1)
        return rows[0] if rows else None

    def known(self, task_ids: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(task_ids))
        if not wanted:
            return set()
        found = self.execute(
            f"SELECT DISTINCT task_id FROM {TABLE} WHERE task_id = ANY(%s::text[])", (wanted,)
        )
        return {str(r[0]) for r in found}

    def made_for(self, profile: str, request_hash: str) -> list[Entry]:
        return self._rows(
            "WHERE profile = %s AND request_hash = %s AND task_id IS NOT NULL",
            (profile, request_hash),
        )

    def labelled(self, profile: str, label: str) -> Entry | None:
        rows = self._rows("WHERE profile = %s AND label = %s", (profile, label), 1)
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
        where = "WHERE profile = %s AND label = %s AND unit IS NOT DISTINCT FROM %s"
        args: list[Any] = [profile, label, unit]
        if request_hash is not None:
            where += " AND request_hash = %s"
            args.append(request_hash)
        if generation is not None:
            where += " AND COALESCE(generation, 0) = %s"
            args.append(generation)
        where += " AND state = ANY(%s::text[])"
        args.append([s.value for s in states])
        rows = self._rows(where, args, 1)
        return rows[0] if rows else None

    def units_of(self, profile: str, label: str) -> dict[str, Entry]:
        rows = self._rows(
            "WHERE profile = %s AND label = %s AND unit IS NOT NULL AND state <> %s",
            (profile, label, JournalState.REJECTED.value),
        )
        return newest_per_unit(rows)

    def unsaved(self, profile: str | None = None, limit: int | None = None) -> list[Entry]:
        where = "WHERE status = 'succeeded' AND downloaded_at IS NULL AND task_id IS NOT NULL"
        args: tuple[Any, ...] = ()
        if profile:
            where += " AND profile = %s"
            args += (profile,)
        return self._rows(where, args, limit)

    def latest_for(
        self,
        profile: str,
        request_hash: str,
        output_path: str | None,
        states: Sequence[JournalState] = UNFINISHED,
    ) -> Entry | None:
        rows = self._rows(
            "WHERE profile = %s AND request_hash = %s AND output_path IS NOT DISTINCT FROM %s "
            "AND state = ANY(%s::text[])",
            (profile, request_hash, output_path, [s.value for s in states]),
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
                clauses.append(f"{column} = %s")
                args.append(str(value))
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return self._rows(where, args, limit)

    def run_seconds(
        self,
        *,
        base_url: str,
        model: str | None,
        resolution: str | None,
        duration: int | None,
        limit: int = 20,
    ) -> list[float]:
        rows = self._rows(
            "WHERE base_url = %s AND model IS NOT DISTINCT FROM %s "
            "AND resolution IS NOT DISTINCT FROM %s AND duration IS NOT DISTINCT FROM %s::bigint "
            "AND status = %s AND finished_at IS NOT NULL AND answered_at IS NOT NULL",
            (base_url, model, resolution, duration, TaskStatus.SUCCEEDED.value),
            limit,
        )
        return [r.finished_at - r.answered_at for r in rows if r.finished_at and r.answered_at]

    # -- the ledger --------------------------------------------------------------------------

    def open_creates(self, account: str, since: float) -> list[Entry]:
        return self._rows(
            f"WHERE account = %s AND created_at >= %s AND {schema.OPEN}", (account, since)
        )

    def charged(self, account: str, currency: str, since: float) -> float:
        found = self.execute(
            f"SELECT (SUM({CHARGED_TOKENS} * price) / 1e6)::float8 FROM {TABLE} "
            "WHERE account = %s AND currency = %s AND created_at >= %s AND state <> 'rejected'",
            (account, currency, since),
        )
        return float(found[0][0] or 0.0)

    def ledger(self, by: str, *, since: float, profile: str | None = None) -> list[LedgerLine]:
        group = LEDGER_GROUPS[by]
        where = "WHERE created_at >= %s AND state <> 'rejected'"
        args: list[Any] = [since]
        if profile:
            where += " AND profile = %s"
            args.append(profile)
        # ordered as SQLite orders them: by code point (the "C" collation), NULL first
        sql = (
            f"SELECT * FROM (SELECT {group} AS key, currency, COUNT(*), "
            "SUM(estimated_tokens)::bigint, SUM(tokens)::bigint, "
            "(SUM(estimated_tokens * price) / 1e6)::float8, (SUM(tokens * price) / 1e6)::float8, "
            "COUNT(*) FILTER (WHERE price IS NULL), COUNT(*) FILTER (WHERE finished_at IS NULL) "
            f"FROM {TABLE} {where} GROUP BY 1, 2) AS lines "
            'ORDER BY key COLLATE "C" NULLS FIRST, currency COLLATE "C" NULLS FIRST'
        )
        return [LedgerLine(*row) for row in self.execute(sql, args)]

    # -- locks: the database's advisory locks (state/postgres_locks.py) ----------------------

    def key(self, kind: str, name: str) -> int:
        """The advisory lock key of a thing of this state (its schema found on connecting)."""
        if self._namespace is None:
            self.run(lambda cur: None)  # connects, and finds the schema
        return lock_key(self._namespace or "", kind, name)

    def account_lock(self, account: str) -> AdvisoryLock:
        return AdvisoryLock(self, self.key("account", account), "the account's slots")

    def request_lock(self, profile: str, request_id: str) -> AdvisoryLock:
        key = self.key("request", f"{profile}\n{request_id}")
        return AdvisoryLock(self, key, f"request {request_id}")

    def row_lease(self, row: int) -> AdvisoryLock:
        return AdvisoryLock(self, self.key("row", str(row)), f"journal entry {row}")

    def row_in_flight(self, row: int) -> bool:
        return AdvisoryLock(self, self.key("row", str(row)), "").taken()

    def unit_lock(self, kind: str, name: str) -> AdvisoryLock:
        return AdvisoryLock(self, self.key(f"unit-{kind}", name), f"{kind} {name}")

    # -- upkeep ------------------------------------------------------------------------------

    def check(self) -> StateReport:
        report = StateReport(self.store, self.where, True)
        entries = self.entries(limit=None)
        report.unsaved = self.unsaved()
        report.schema_version = SCHEMA_VERSION
        return sorted_report(report, entries, self)

    def repair(self) -> RepairResult:
        """PostgreSQL keeps its own data sound (its write-ahead log): a state it serves
        needs no rebuild, so this checks it can be read and changes nothing."""
        self.check()
        return RepairResult(None, 0, 0)

    def migrate(self) -> MigrateResult:
        with self._lock:
            try:
                conn = self._connection()
                with conn.cursor() as cur:
                    found = self._set_up(cur, create_only=False)
                    after = schema.look(cur)
            except Away as away:
                raise self.lost(str(away)) from None
            except psycopg_errors().OperationalError as exc:
                raise self.lost(self._redacted(str(exc)).strip()) from None
        problem = schema.refusal(after, self.where)
        if problem is not None:
            raise problem
        self._namespace, self._verified = after.namespace, True
        return MigrateResult(self.where, found.version, SCHEMA_VERSION)

    def health(self) -> Health:
        started = time.perf_counter()
        try:
            with self._lock:
                conn = self._connection()
                with conn.cursor() as cur:
                    cur.execute("SELECT 1")
                    millis = (time.perf_counter() - started) * 1000
                    found = schema.look(cur)
        except Away as away:
            text = f"lost the connection ({away}); trying again"
            return Health(self.store, self.where, False, text, problem=text)
        except SeedanceError as exc:  # unreachable (the network's), or refused (the setup's)
            reachable = not isinstance(exc, NetworkError)
            return Health(
                self.store,
                self.where,
                reachable,
                exc.message,
                problem=exc.message,
                reasons=exc.reasons,
            )
        except psycopg_errors().Error as exc:
            text = self._redacted(str(exc)).strip()
            return Health(self.store, self.where, False, text, problem=text)
        detail = (
            f"{self.where}: schema version {found.version}, {millis:.0f} ms a round trip"
            if found.tables
            else f"{self.where}: empty (the first command sets it up), {millis:.0f} ms"
        )
        problem = schema.refusal(found, self.where) if found.tables else None
        if found.empty and found.read_only:
            problem = schema.refusal(found, self.where)
        return Health(
            self.store,
            self.where,
            True,
            detail,
            schema_version=found.version,
            expected_version=SCHEMA_VERSION,
            missing=found.missing,
            read_only=found.read_only,
            round_trip_ms=millis,
            problem=problem.message if problem else None,
            reasons=problem.reasons if problem else (),
        )


def observe_sql(*, replayed: bool) -> str:
    """`observe_many`'s statement; a `replayed` observation (kept while the database was
    away) never takes an ended task back to unfinished: another machine may have seen it
    end meanwhile."""
    guard = f" AND NOT (c.status = ANY('{{{','.join(TERMINAL)}}}') AND NOT o.terminal)"
    return (
        f"UPDATE {TABLE} AS c SET status = o.status, "
        "tokens = COALESCE(o.tokens, c.tokens), error = COALESCE(o.error, c.error), "
        "finished_at = CASE WHEN o.terminal AND c.finished_at IS NULL THEN o.ended "
        "ELSE c.finished_at END "
        "FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::text[], %s::boolean[], "
        "%s::float8[]) AS o(task_id, status, tokens, error, terminal, ended) "
        "WHERE c.task_id = o.task_id AND (c.status IS DISTINCT FROM o.status "
        "OR (o.tokens IS NOT NULL AND c.tokens IS DISTINCT FROM o.tokens) "
        "OR (o.error IS NOT NULL AND c.error IS DISTINCT FROM o.error) "
        "OR (o.terminal AND c.finished_at IS NULL))" + (guard if replayed else "")
    )


def psycopg_errors() -> Any:
    """psycopg itself (imported when a state URL is used)."""
    import psycopg

    return psycopg
