"""Locks of the shared state: PostgreSQL's session-level advisory locks.

Why advisory locks, not row locks (`SELECT ... FOR UPDATE`): a lock here outlives a
transaction by far (a request id is held from its look-up until its video is saved, minutes
later), and one connection serves every thread of the process, which can hold one transaction
at a time, not one per lock. A session-level advisory lock is held by the connection across
transactions and freed by the server when the connection ends, however the process ends
(kill -9 closes its socket): the same promise as an OS file lock.

A lock's key is 64 bits of a SHA-256 of the state's schema, its kind and its name
(`lock_key`): two states in one database (two schemas) never share a lock. Advisory locks are
reentrant within one session, so this process keeps its own record of the keys it holds
(`PostgresState.held`) and refuses a second holder among its threads, as flock does between
file descriptors. A wait is try-lock polling on the injected clock: the shared connection is
never blocked by a wait on the server. A connection lost and made again takes the locks it
held again; one another process took meanwhile is in `PostgresState.lost_locks` until it is
released, and no create is written while any is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from seedance.domain.clock import Clock
from seedance.domain.errors import BusyError, ExitStatus, NetworkError
from seedance.services.state.base import Holder, busy_error, poll_until_taken

if TYPE_CHECKING:
    from seedance.services.state.postgres import PostgresState

_MASK = 0xFFFFFFFF
# the lock's row in pg_locks: an advisory lock on one bigint key shows its high and low 32
# bits as classid and objid, objsubid 1; `granted`: held, not waited for
_WHERE = (
    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND l.classid = %s::bigint::oid AND l.objid = %s::bigint::oid"
)
_TAKEN = f"SELECT EXISTS (SELECT 1 FROM pg_locks l {_WHERE})"
_HELD = (
    "SELECT l.pid, a.application_name FROM pg_locks l "
    f"LEFT JOIN pg_stat_activity a ON a.pid = l.pid {_WHERE} LIMIT 1"
)


def lock_key(namespace: str, kind: str, name: str) -> int:
    """The advisory lock key of a thing of the state in schema `namespace`: a signed 64-bit
    number."""
    digest = hashlib.sha256(f"seedance\n{namespace}\n{kind}\n{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AdvisoryLock:
    """An exclusive lock on one thing, between machines, processes and threads; not
    reentrant (the `Lock` of state/base.py)."""

    def __init__(self, state: PostgresState, key: int, what: str) -> None:
        self.state = state
        self.key = key
        self.what = what
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    def try_acquire(self) -> bool:
        """Take the lock if it is free; False when another holds it (here or elsewhere)."""
        state = self.state
        with state.held_guard:
            if self._held:
                raise RuntimeError(f"the lock on {self.what} is already held here")
            if self.key in state.held:
                return False  # another thread of this process holds it
            state.held[self.key] = self  # reserved: no other thread asks the server now
        try:
            rows = state.execute("SELECT pg_try_advisory_lock(%s)", (self.key,))
        except BaseException:
            self._forget()
            raise
        if not rows or not rows[0][0]:
            self._forget()
            return False
        self._held = True
        return True

    def acquire(
        self,
        clock: Clock,
        *,
        timeout: float | None = None,
        on_wait: Callable[[Holder], object] | None = None,
    ) -> None:
        """Take the lock, trying every POLL seconds of `clock` (without end when `timeout`
        is None); raises BusyError with the timeout's exit status when the time is up."""
        if self.try_acquire():
            return
        if on_wait is not None:
            on_wait(self.holder())
        poll_until_taken(self, clock, timeout)

    def busy(self, exit_status: ExitStatus = ExitStatus.USAGE) -> BusyError:
        return busy_error(self.holder(), exit_status)

    def taken(self) -> bool:
        """Whether any session (this one included) holds the lock now."""
        high, low = (self.key >> 32) & _MASK, self.key & _MASK
        return bool(self.state.execute(_TAKEN, (high, low))[0][0])

    def holder(self) -> Holder:
        """Who holds it: the pid, and the machine when another (from the holder's
        application name, `seedance:HOST:PID`)."""
        found = self._holding()
        if not found:
            return Holder(None, self.what)
        words = str(found[0][1] or "").split(":")
        if len(words) == 3 and words[0] == "seedance" and words[2].isdigit():
            machine, pid = words[1], int(words[2])
            here = machine == self.state.who.machine
            return Holder(pid, self.what, None if here else machine)
        return Holder(None, self.what)

    def _holding(self) -> list[tuple[object, ...]]:
        high, low = (self.key >> 32) & _MASK, self.key & _MASK
        return self.state.execute(_HELD, (high, low))

    def release(self) -> None:
        """Let it go; never waits for a lost connection (the lock went with it)."""
        if not self._held:
            return
        self._held = False
        state = self.state
        with state.held_guard:
            taken_by_another = self.key in state.lost_locks
            state.lost_locks.discard(self.key)
        try:
            if not taken_by_another:
                state.execute("SELECT pg_advisory_unlock(%s)", (self.key,), wait=False)
        except NetworkError:
            pass  # the connection is gone, and the lock with it
        finally:
            self._forget()

    def _forget(self) -> None:
        with self.state.held_guard:
            if self.state.held.get(self.key) is self:
                del self.state.held[self.key]

    def __enter__(self) -> AdvisoryLock:
        self.acquire(self.state.clock)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
