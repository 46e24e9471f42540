"""The shared state while its database is away (issue 25, faults): the server really stopped
and started again (tests/postgres.py). What can wait (a create's answer, observations,
verified downloads) is kept on this machine and written when the database returns, in order,
by this process or the next one; a create is never written (so never sent) while it is away,
and gives up with exit 4 once the clock's patience is out; the locks held are taken again,
and one another process took meanwhile stops every create until it is let go."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from state_stores import begin

from seedance.domain.clock import FakeClock
from seedance.domain.errors import ExitStatus, NetworkError
from seedance.domain.models import TaskStatus
from seedance.domain.state_url import StateUrl
from seedance.services.state import Observation, open_state
from seedance.services.state.postgres import RECONNECT_PATIENCE, PostgresState


def shared(url: str, data_dir: Path, clock: FakeClock | None = None) -> PostgresState:
    state = open_state(data_dir, StateUrl.parse(url, "test"), clock=clock or FakeClock())
    assert isinstance(state, PostgresState)
    return state


@pytest.fixture
def away(postgres_server: Any) -> Iterator[Any]:
    """The session's server, to stop; started again whatever the test does."""
    yield postgres_server
    try:
        postgres_server.admin().close()
    except psycopg.Error:
        postgres_server.start()


def test_what_can_wait_is_kept_while_the_database_is_away_and_written_when_it_returns(
    state_url, away, tmp_path
):
    state = shared(state_url, tmp_path)
    row = begin(state, 1)
    away.stop("fast")  # (immediate would lose the server's unsynced commits)
    state.created(row, "cgt-1", 1_781_181_700.0)  # the create's answer
    state.observe_many([Observation("cgt-1", TaskStatus.RUNNING, 1_781_181_710.0)])
    state.observe_many([Observation("cgt-1", TaskStatus.SUCCEEDED, 1_781_181_720.0, 99)])
    state.downloaded("cgt-1", path="/films/1.mp4", sha256="ab" * 32, size=7, at=1.0)
    [spool] = tmp_path.glob("state-pending-*.jsonl")
    assert spool.stat().st_mode & 0o777 == 0o600 and len(state.spool) == 4
    away.start()
    entry = state.find("cgt-1")  # connects again, writes what was kept first
    assert entry is not None and entry.row == row
    assert (entry.status, entry.tokens, entry.sha256) == (TaskStatus.SUCCEEDED, 99, "ab" * 32)
    assert entry.downloaded_at == 1.0 and state.reconnected == 1
    assert len(state.spool) == 0
    state.close()


def test_what_a_process_kept_is_written_by_the_next_one_on_this_machine(state_url, away, tmp_path):
    first = shared(state_url, tmp_path)
    row = begin(first, 1)
    away.stop("fast")  # (immediate would lose the server's unsynced commits)
    first.created(row, "cgt-1", 1_781_181_700.0)
    # it dies here (never closed); the database returns; another machine found the task by
    # its nonce meanwhile and saw it end; then the next process starts here
    away.start()
    with psycopg.connect(state_url, autocommit=True) as conn:
        conn.execute("UPDATE seedance_creates SET task_id = 'cgt-1', status = 'succeeded'")
    second = shared(state_url, tmp_path)
    entry = second.entry(row)
    assert entry is not None and entry.task_id == "cgt-1" and entry.state.value == "created"
    assert entry.status is TaskStatus.SUCCEEDED  # the answer kept did not take it back
    assert len(second.spool) == 0
    second.close()


def test_a_replayed_observation_never_takes_an_ended_task_back(state_url, away, tmp_path):
    state = shared(state_url, tmp_path)
    row = begin(state, 1)
    state.created(row, "cgt-1", 1_781_181_700.0)
    away.stop("fast")  # (immediate would lose the server's unsynced commits)
    state.observe_many([Observation("cgt-1", TaskStatus.RUNNING, 1_781_181_710.0)])
    away.start()
    with psycopg.connect(state_url, autocommit=True) as conn:  # seen ended elsewhere
        conn.execute("UPDATE seedance_creates SET status = 'succeeded'")
    entry = state.find("cgt-1")
    assert entry is not None and entry.status is TaskStatus.SUCCEEDED
    state.close()


def test_a_create_is_never_written_while_the_database_is_away(state_url, away, tmp_path):
    clock = FakeClock()
    state = shared(state_url, tmp_path, clock)
    begin(state, 1)
    held: list[int] = []
    away.stop("fast")  # (immediate would lose the server's unsynced commits)
    started = clock.monotonic()
    with pytest.raises(NetworkError) as lost:
        begin(state, 2, hold=held.append)
    assert lost.value.code == "state_lost" and lost.value.exit_status is ExitStatus.NETWORK
    assert clock.monotonic() - started >= RECONNECT_PATIENCE  # tried again, on the clock
    assert clock.monotonic() - started < RECONNECT_PATIENCE + 60
    assert held == [] and max(clock.sleeps) <= 10.0 and len(clock.sleeps) < 60  # a backoff
    away.start()
    assert [e.prompt for e in state.entries(limit=None)] == ["shot 1"]  # nothing written
    row = begin(state, 3)  # and once it is back, creates are written again
    assert state.entry(row) is not None
    state.close()


def test_the_locks_held_are_taken_again_and_one_taken_by_another_stops_creates(
    state_url, away, tmp_path
):
    mine = shared(state_url, tmp_path / "a")
    other = shared(state_url, tmp_path / "b")
    request = mine.request_lock("p", "film-1")
    account = mine.account_lock("acct")
    assert request.try_acquire() and account.try_acquire()
    away.stop("fast")  # (immediate would lose the server's unsynced commits)
    away.start()
    stolen = other.account_lock("acct")
    assert stolen.try_acquire()  # the server forgot this process's locks with its session
    assert mine.entries(limit=None) == []  # connects again: takes back what it can
    assert not other.request_lock("p", "film-1").try_acquire()  # taken again
    assert mine.lost_locks == {account.key}
    with pytest.raises(NetworkError, match="another process took the lock on the account"):
        begin(mine, 1)
    account.release()  # the work it guarded is let go: creates are written again
    stolen.release()
    assert begin(mine, 2) > 0
    request.release()
    mine.close()
    other.close()
