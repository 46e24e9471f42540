"""A create whose sender died before its answer, resolved by the gate of a full account
(services/account/orphans.py): adopted, refused, or its slot freed, each only when the task
list proves it; never while another process holds its row."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from seedance.domain.clock import FakeClock
from seedance.domain.models import Task, TaskStatus
from seedance.providers.base import TaskPage
from seedance.services.account import orphans
from seedance.services.state import JournalState
from seedance.services.state.sqlite import SqliteState
from seedance.services.videos.identity import CROWD

NONCE = 172_361
OURS = "seedance-" + "0123456789abcdef" * 2
IDENTITY = {"nonce": NONCE, "nonce_space": 7_080, "seed_nonce": 99, "safety_nonce": OURS}


class Listing:
    """A provider whose task list shows `tasks` (on our clock)."""

    capabilities = SimpleNamespace(finds_lost_creates=True)
    dialect = "ark"

    def __init__(self, clock: FakeClock, tasks: list[Task]) -> None:
        self.clock, self.tasks = clock, tasks
        self.looks = 0

    def list(self, **_: object) -> TaskPage:
        self.looks += 1
        return TaskPage(list(self.tasks), len(self.tasks), self.clock.time())

    def get(self, task_id: str) -> Task:
        return next(t for t in self.tasks if t.id == task_id)


def orphan(state: SqliteState, at: float) -> int:
    """A create journaled as sent at `at` whose sender died before its answer."""
    return state.begin(
        profile="p",
        dialect="ark",
        base_url="https://x",
        body={"model": "m"},
        request_hash="h",
        model="m",
        resolution="720p",
        duration=5,
        prompt="a boat",
        output_path=None,
        at=at,
        nonce=lambda _taken: IDENTITY,
        ledger={"account": "acct"},
    )


def made(at: float, task_id: str, **fields: Any) -> Task:
    return Task(id=task_id, model="m", created_at=datetime.fromtimestamp(at, UTC), **fields)


def resolve(state: SqliteState, row: int, provider: Listing, clock: FakeClock) -> None:
    orphans.resolve(row, provider=provider, state=state, clock=clock, auth=nullcontext)  # type: ignore[arg-type]


def test_its_slot_is_freed_only_once_the_list_shows_every_task_it_may_have_made(tmp_path: Path):
    """Every task that could be its own has ended (a failed one, showing its nonce only:
    unproven); a list read seconds after the create may not show its own task yet, so the
    slot is kept until a minute has passed, then freed (its state left for its command)."""
    clock = FakeClock()
    state = SqliteState(tmp_path)
    start = clock.time()
    row = orphan(state, start)
    failed = made(start + 1, "cgt-f", status=TaskStatus.FAILED, expires_after=NONCE)
    lister = Listing(clock, [failed])
    resolve(state, row, lister, clock)
    kept = state.entry(row)
    assert kept is not None and kept.finished_at is None, "freed before the list caught up"
    assert clock.time() - start < 60
    clock.advance(60)
    resolve(state, row, lister, clock)
    freed = state.entry(row)
    assert freed is not None and freed.finished_at is not None
    assert freed.task_id is None and freed.state is JournalState.SENDING
    assert state.open_creates("acct", 0) == []
    state.close()


def test_its_own_task_is_adopted_and_a_row_someone_holds_is_left_alone(tmp_path: Path):
    clock = FakeClock()
    state = SqliteState(tmp_path)
    start = clock.time()
    row = orphan(state, start)
    own = made(start + 1, "cgt-own", status=TaskStatus.SUCCEEDED, expires_after=NONCE)
    own = own.model_copy(update={"safety_id": OURS, "seed": 99})
    lister = Listing(clock, [own])
    lease = state.row_lease(row)  # its sender (or another gate) is at it
    assert lease.try_acquire()
    resolve(state, row, lister, clock)
    assert lister.looks == 0
    lease.release()
    resolve(state, row, lister, clock)
    adopted = state.entry(row)
    assert adopted is not None and adopted.task_id == "cgt-own"
    assert adopted.state is JournalState.CREATED and adopted.status is TaskStatus.SUCCEEDED
    state.close()


def test_among_more_tasks_than_a_search_compares_its_slot_is_held_an_hour(tmp_path: Path):
    """The account made more tasks of the model since the create than a search reads: the
    window only grows, so it would never be resolved; it holds its slot as a create that
    cannot be looked for does (ORPHAN_HOLD), then frees it, never adopting anything."""
    clock = FakeClock()
    state = SqliteState(tmp_path)
    start = clock.time()
    row = orphan(state, start)
    crowd = [
        made(start + 1, f"cgt-{n}", status=TaskStatus.SUCCEEDED, expires_after=172_800 + n)
        for n in range(1, CROWD + 2)  # every one another create's (another nonce)
    ]
    lister = Listing(clock, crowd)
    clock.advance(70)
    resolve(state, row, lister, clock)
    kept = state.entry(row)
    assert kept is not None and kept.finished_at is None
    clock.advance(orphans.ORPHAN_HOLD)
    resolve(state, row, lister, clock)
    freed = state.entry(row)
    assert freed is not None and freed.finished_at is not None and freed.task_id is None
    state.close()


def test_the_looks_end_by_the_waiting_create_s_own_deadline(tmp_path: Path):
    """A task that could be its own still runs: the gate looks no longer than the create
    waiting for a slot may wait (its --timeout), and the slot stays held."""
    clock = FakeClock()
    state = SqliteState(tmp_path)
    start = clock.time()
    row = orphan(state, start)
    lister = Listing(clock, [made(start + 1, "cgt-q", status=TaskStatus.QUEUED)])
    began = clock.monotonic()
    orphans.resolve(
        row,
        provider=lister,  # type: ignore[arg-type]
        state=state,
        clock=clock,
        auth=nullcontext,
        deadline=began + 5,
    )
    assert clock.monotonic() - began <= 5
    kept = state.entry(row)
    assert kept is not None and kept.finished_at is None and kept.task_id is None
    state.close()


def test_a_sender_s_clock_hours_ahead_never_makes_the_gate_refuse_its_create(tmp_path: Path):
    """The row was written on another machine whose clock is two hours ahead (a shared
    state): the window the gate reads misses the create's task, so it finds nothing. It frees
    the slot, and leaves the row for its own command to decide: refused here, that command
    would send it again and pay twice."""
    clock = FakeClock()
    state = SqliteState(tmp_path)
    start = clock.time()
    row = orphan(state, start + 7_200)  # its sender's clock
    own = made(start + 1, "cgt-own", status=TaskStatus.SUCCEEDED, expires_after=NONCE)
    lister = Listing(clock, [own.model_copy(update={"safety_id": OURS, "seed": 99})])
    clock.advance(3 * 3_600)  # killed three hours ago: a minute past its `created_at` too
    resolve(state, row, lister, clock)
    entry = state.entry(row)
    assert entry is not None and entry.state is JournalState.SENDING, "refused by the gate"
    assert entry.finished_at is not None  # its slot: freed too soon, the lesser harm
    state.close()
