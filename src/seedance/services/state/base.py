"""The state: one interface over everything seedance must share between its processes (and, on
a shared store, between machines), with two stores behind it.

- the journal: every create, written before it is sent (with its identity nonce and a lease on
  its row) and after it answers; the task observations; the verified downloads;
- the ledger: each create's account, estimate and price, summed by `charged` (budgets) and
  `ledger` (`spend`); an account's running slots are its open creates (`open_creates`);
- request ids: the label of the create made for one (`labelled`);
- the locks that guard them: the account's slots (`account_lock`), a request id
  (`request_lock`), a row's lease (`row_lease`, `row_in_flight`), and a work unit of a
  storyboard or batch (`unit_lock`). A lock is freed when its holder releases it or dies,
  however it dies.

Stores: `SqliteState` (state/sqlite.py, the journal file in the data directory and OS file
locks beside it: one machine) and `PostgresState` (state/postgres.py: a database shared by
machines, its locks the database's). Every store passes the same contract tests
(tests/services/state/). Locks that guard this machine's files only (an output file, a run's
output folder) are not state: they stay file locks (services/locks.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from seedance.domain.clock import Clock
from seedance.domain.errors import BusyError, ExitStatus, Reason
from seedance.domain.models import TaskStatus
from seedance.services.state.entries import (
    UNFINISHED,
    Entry,
    JournalState,
    LedgerLine,
    NoncePicker,
    Observation,
    Who,
)


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, as far as the store can tell."""

    pid: int | None
    what: str
    machine: str | None = None  # another machine's host name (a shared store)

    def working(self) -> str:
        """Who is working on what, in words (for a wait)."""
        if self.machine:
            who = f"a process on {self.machine}"
        else:
            who = f"process {self.pid}" if self.pid else "another process"
        return f"{who} is working on {self.what}"


POLL = 0.5  # seconds between tries when a lock is waited for by polling


def busy_error(holder: Holder, exit_status: ExitStatus = ExitStatus.USAGE) -> BusyError:
    """The error that says who holds a lock."""
    if holder.machine:
        who = f"a process on {holder.machine}" + (f" (pid {holder.pid})" if holder.pid else "")
    else:
        who = f"another process (pid {holder.pid})" if holder.pid else "another process"
    return BusyError(
        f"{who} is working on {holder.what}; nothing was sent",
        reason="run_busy",
        exit_status=exit_status,
    )


def poll_until_taken(lock: Lock, clock: Clock, timeout: float | None) -> None:
    """Try `lock` every POLL seconds of `clock` until it is taken (without end when `timeout`
    is None); once `timeout` has passed, raise its BusyError with the timeout's exit status."""
    deadline = None if timeout is None else clock.monotonic() + timeout
    while not lock.try_acquire():
        if deadline is None:
            clock.sleep(POLL)
            continue
        left = deadline - clock.monotonic()
        if left <= 0:
            raise lock.busy(exit_status=ExitStatus.TIMEOUT)
        clock.sleep(min(POLL, left))


class Lock(Protocol):
    """An exclusive lock on one thing, between processes and between threads; not reentrant.
    Freed by `release`, or when its holder dies (kill -9 included)."""

    what: str  # the thing guarded, in words

    @property
    def held(self) -> bool:
        """Whether this object holds it now."""

    def try_acquire(self) -> bool:
        """Take the lock if it is free; False when another holds it."""

    def acquire(
        self,
        clock: Clock,
        *,
        timeout: float | None = None,
        on_wait: Callable[[Holder], object] | None = None,
    ) -> None:
        """Take the lock, waiting for its holder (without end when `timeout` is None); raises
        BusyError with the timeout's exit status when the time is up. `on_wait` hears who
        holds it, once, before waiting."""

    def busy(self, exit_status: ExitStatus = ExitStatus.USAGE) -> BusyError:
        """The error that says who holds the lock."""

    def holder(self) -> Holder:
        """Who holds it now (as far as can be told)."""

    def release(self) -> None:
        """Let it go (nothing when not held)."""

    def __enter__(self) -> Lock: ...

    def __exit__(self, *exc: object) -> None: ...


@dataclass
class StateReport:
    """The state as it is (`journal check`): readable or not, and what it holds."""

    store: str  # "sqlite" | "postgres"
    where: str  # the journal's path, or the database's URL without its credentials
    exists: bool
    size: int = 0  # bytes of the file (SQLite)
    damaged: str | None = None  # why it cannot be read
    rows: int = 0
    states: dict[str, int] = field(default_factory=dict)
    in_flight: list[Entry] = field(default_factory=list)  # sent or being found right now
    interrupted: list[Entry] = field(default_factory=list)  # outcome unknown, nobody on it
    unsaved: list[Entry] = field(default_factory=list)  # succeeded, video not saved
    schema_version: int | None = None

    @property
    def ok(self) -> bool:
        return self.damaged is None


@dataclass(frozen=True)
class RepairResult:
    backup: str | None  # where the damaged data was kept (None: nothing to repair)
    recovered: int  # rows read and written anew
    unreadable: int  # rows that could not be read (when it can tell)


@dataclass(frozen=True)
class MigrateResult:
    where: str
    before: int | None  # the schema version found (None: nothing yet)
    after: int


@dataclass(frozen=True)
class Health:
    """What `doctor` says of the state, read for free."""

    store: str
    where: str
    reachable: bool
    detail: str  # what was found, in words
    schema_version: int | None = None
    expected_version: int | None = None
    missing: tuple[str, ...] = ()  # privileges the role lacks (or the store's words for it)
    read_only: bool = False
    round_trip_ms: float | None = None
    problem: str | None = None  # why it is not usable, when it is not
    reasons: tuple[Reason, ...] = ()  # why, and the way out (the front ends word them)


class State(ABC):
    """The state of one data directory (SQLite) or of a shared database (PostgreSQL).

    Thread-safe: one object serves every thread of a process (batch and storyboard workers).
    Every write is durable when its call returns."""

    #: Why an older store could not be upgraded (None: it is current).
    not_upgraded: str | None = None

    @property
    @abstractmethod
    def store(self) -> str:
        """The store's kind: "sqlite" or "postgres"."""

    @property
    @abstractmethod
    def where(self) -> str:
        """Where the state is, for messages: a path, or a URL without credentials."""

    @property
    @abstractmethod
    def who(self) -> Who:
        """Who this process is: the machine and login it records with its creates."""

    @property
    def shared(self) -> bool:
        """Whether other machines share this state."""
        return False

    @abstractmethod
    def close(self) -> None:
        """Let go of the store (its connection; the locks this process holds go with it)."""

    # -- the journal: writes -----------------------------------------------------------------

    @abstractmethod
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
        """Record a create about to be sent; returns its row.

        `nonce` picks the create's identity (its nonce and IDENTITY_COLUMNS), told which
        nonces the recent creates whose task is not known use (every machine's, on a shared
        store); `hold` takes the row's lease. Both run before the row becomes visible to other
        processes, under the store's write lock, so two processes never pick the same nonce.
        `ledger` holds the LEDGER_COLUMNS' values (and the WORK_COLUMNS' of a run's unit);
        the store adds who sends it (`machine`, `login`)."""

    @abstractmethod
    def record(self, entry: Entry) -> int:
        """Write a whole entry (found in a record beside a video, rebuilt by a repair, or
        imported); returns its row (a new one)."""

    def record_many(self, entries: Iterable[Entry]) -> int:
        """`record` of many entries; returns how many were written."""
        count = 0
        for entry in entries:
            self.record(entry)
            count += 1
        return count

    @abstractmethod
    def created(self, row: int, task_id: str, at: float) -> None:
        """The server answered the create of `row` with a task."""

    @abstractmethod
    def unknown(self, row: int, reason: str, at: float) -> None:
        """The create of `row` may have arrived, but its answer was lost."""

    @abstractmethod
    def rejected(self, row: int, reason: str, at: float) -> None:
        """The create of `row` was refused, or provably never arrived: nothing was made."""

    @abstractmethod
    def unusable(self, row: int, reason: str, at: float) -> None:
        """A create the server answered with a task id seedance cannot use: it arrived and may
        be billed (its estimate stays counted), it holds no slot (it is ended), and it is never
        followed (`reason`, with the server's answer, says why)."""

    @abstractmethod
    def adopt(self, row: int, task_id: str, at: float) -> None:
        """An unknown create found on the server after all: it holds its slot again (a gate
        may have freed it, `free_slot`) until its task is seen finished."""

    def observe(
        self,
        task_id: str,
        *,
        status: TaskStatus,
        at: float,
        tokens: int | None,
        error: str | None,
        ended: float | None = None,
    ) -> None:
        """The latest status seen for a task, and when it first ended: `ended` (the server's
        time) when known, else `at`."""
        self.observe_many([Observation(task_id, TaskStatus(status), at, tokens, error, ended)])

    @abstractmethod
    def observe_many(self, seen: Sequence[Observation]) -> None:
        """`observe` of several tasks at once: one transaction, one round trip (a poll of a
        thousand tasks must not cost a thousand). A row already saying the same is left
        untouched."""

    @abstractmethod
    def gone(self, task_id: str, at: float) -> None:
        """The server no longer has the task: it holds no slot any more (its status stays the
        last one seen)."""

    @abstractmethod
    def free_slot(self, row: int, at: float) -> None:
        """A create whose task is not known, and whatever it may have made has ended: it
        holds no slot any more (its state stays what it is: the command that sent it still
        looks)."""

    @abstractmethod
    def saving(self, task_id: str, *, path: str, sha256: str, size: int) -> None:
        """The video is complete on disk and about to be renamed to `path`."""

    @abstractmethod
    def downloaded(self, task_id: str, *, path: str, sha256: str, size: int, at: float) -> None:
        """The video is saved and verified at `path` (on this machine: `saved_on`)."""

    @abstractmethod
    def settle_reruns(self, profile: str, label: str, units: Sequence[str]) -> None:
        """The reruns of these units of the run `label` are done: their marks go (`rerun`), so
        a later rerun advances the generation again."""

    # -- the journal: reads ------------------------------------------------------------------

    @abstractmethod
    def find(self, task_id: str) -> Entry | None:
        """The newest create of this task."""

    @abstractmethod
    def entry(self, row: int) -> Entry | None:
        """The create of this row."""

    @abstractmethod
    def known(self, task_ids: Iterable[str]) -> set[str]:
        """Which of `task_ids` the state knows."""

    @abstractmethod
    def made_for(self, profile: str, request_hash: str) -> list[Entry]:
        """Every create of this request on this profile that has a task, newest first
        (to any output: a storyboard's folder may have moved)."""

    @abstractmethod
    def labelled(self, profile: str, label: str) -> Entry | None:
        """The newest create of this profile made with this label (a request id's)."""

    @abstractmethod
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
        """The newest create of this profile made for `label` (a run, a request id) and `unit`
        (None: made for no unit) in one of `states`; of `request_hash` and `generation` when
        given (a generation None is the first, 0). Whatever its output path: the same work
        on every machine."""

    @abstractmethod
    def units_of(self, profile: str, label: str) -> dict[str, Entry]:
        """Each unit of the run `label` -> its newest create that was not refused."""

    @abstractmethod
    def unsaved(self, profile: str | None = None, limit: int | None = None) -> list[Entry]:
        """Tasks seen succeeded whose video was not saved, newest first."""

    @abstractmethod
    def latest_for(
        self,
        profile: str,
        request_hash: str,
        output_path: str | None,
        states: Sequence[JournalState] = UNFINISHED,
    ) -> Entry | None:
        """The newest create of the same request to the same output in one of `states`."""

    @abstractmethod
    def entries(
        self,
        *,
        profile: str | None = None,
        status: TaskStatus | None = None,
        model: str | None = None,
        limit: int | None = 50,
    ) -> list[Entry]:
        """The newest creates, filtered (`limit` None: all of them)."""

    @abstractmethod
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

    # -- the ledger --------------------------------------------------------------------------

    def has_ledger(self) -> bool:
        """Whether the store keeps the ledger (an old journal file that could not be upgraded
        does not)."""
        return True

    @abstractmethod
    def open_creates(self, account: str, since: float) -> list[Entry]:
        """The account's creates made since `since` and not yet seen finished, nor refused:
        the slots they hold (counted under `account_lock`)."""

    @abstractmethod
    def charged(self, account: str, currency: str, since: float) -> float:
        """What the account's creates since `since` cost in `currency`: the usage billed where
        the API reported it, nothing for a task that ended unsuccessfully without usage, the
        estimate (the reservation) for the rest; refused creates count nothing."""

    @abstractmethod
    def ledger(self, by: str, *, since: float, profile: str | None = None) -> list[LedgerLine]:
        """The creates since `since` (refused ones left out), summed per group (`by`, one of
        LEDGER_GROUPS) and currency, ordered by group and currency."""

    # -- locks -------------------------------------------------------------------------------

    @abstractmethod
    def account_lock(self, account: str) -> Lock:
        """An account's slots and ledger, held while a create is counted and written
        (services/accounts.py); `account` is already a digest."""

    @abstractmethod
    def request_lock(self, profile: str, request_id: str) -> Lock:
        """A caller's request id on a profile, held from its look-up to the end of its video."""

    @abstractmethod
    def row_lease(self, row: int) -> Lock:
        """A journal row whose create is in flight: its lease."""

    @abstractmethod
    def row_in_flight(self, row: int) -> bool:
        """Whether a live process holds the lease of `row` (is sending or finding its create
        right now), this one included."""

    @abstractmethod
    def unit_lock(self, kind: str, name: str) -> Lock:
        """One unit of work of a run (`kind` "batch-row", "storyboard-shot", ...; `name` its
        identity), so that two processes (two machines on a shared store) never make the same
        unit at once."""

    # -- upkeep ------------------------------------------------------------------------------

    @abstractmethod
    def check(self) -> StateReport:
        """What the state holds, and whether it can be read; changes nothing."""

    @abstractmethod
    def repair(self) -> RepairResult:
        """Rebuild a damaged state from what can be read of it; a sound one is left alone."""

    @abstractmethod
    def migrate(self) -> MigrateResult:
        """Bring the store's schema to this version's (the only way a shared store's schema
        changes once it holds one)."""

    @abstractmethod
    def health(self) -> Health:
        """Reachable, schema version, privileges, round trip: for `doctor`, never raising."""


def sorted_report(report: StateReport, entries: list[Entry], state: State) -> StateReport:
    """`report` filled from every entry: counts per state, and the creates whose outcome is
    not known split into those a live process is on and those interrupted."""
    from collections import Counter

    report.rows = len(entries)
    report.states = dict(Counter(e.state.value for e in entries))
    for entry in entries:
        if entry.state in UNFINISHED and entry.task_id is None:
            busy = state.row_in_flight(entry.row)
            (report.in_flight if busy else report.interrupted).append(entry)
    return report
