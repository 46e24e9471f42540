"""The state's contract: what every store (SQLite, PostgreSQL) must do, the same on each.

A new store passes these before the services may use it. The promises about processes (a
lock between two of them, a holder killed with kill -9, two writers picking nonces) run
real processes (tests/services/state_stores.py)."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from state_stores import Store, begin

from seedance.domain.clock import FakeClock
from seedance.domain.errors import BusyError, ExitStatus
from seedance.domain.models import TaskStatus
from seedance.services.state import Entry, JournalState, Observation, State, Who
from seedance.services.state.entries import SCHEMA_VERSION, WORK_COLUMNS

T0 = 1_781_181_681.0
HERE = Who("laptop-1", "ana")
# a create's identity as services/videos/identity.py draws it
IDENTITY = {
    "nonce": 172_361,
    "nonce_space": 7_080,
    "seed_nonce": 2_147_483_000,
    "safety_nonce": "seedance-" + "0123456789abcdef" * 2,
}


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "sqlite":
        return Store("sqlite", str(tmp_path / "data"))
    return Store("postgres", request.getfixturevalue("state_url"))


@pytest.fixture
def state(store: Store) -> Iterator[State]:
    opened = store.open(who=HERE)
    yield opened
    opened.close()


def priced(
    state: State, n: int, *, account: str = "acct", label: str | None = None, **kw: Any
) -> int:
    ledger = {
        "account": account,
        "estimated_tokens": 1_000_000,
        "price": 2.0,
        "currency": "USD",
        "label": label,
    }
    return begin(state, n, ledger=ledger, **kw)


# -- the journal: writes and reads -----------------------------------------------------------


def test_a_create_is_written_before_it_is_sent_and_after_it_answers(state: State):
    row = begin(state, 1)
    entry = state.entry(row)
    assert entry is not None and entry.state is JournalState.SENDING and entry.task_id is None
    assert (entry.machine, entry.login) == ("laptop-1", "ana")  # who sent it
    assert entry.body["content"][0]["text"] == "shot 1"
    state.created(row, "cgt-1", T0 + 2)
    found = state.find("cgt-1")
    assert found is not None and found.row == row and found.state is JournalState.CREATED
    assert found.status is TaskStatus.QUEUED and found.answered_at == T0 + 2
    assert state.known(["cgt-1", "cgt-2", "cgt-1"]) == {"cgt-1"}
    assert state.find("cgt-2") is None and state.entry(row + 100) is None


def test_unknown_rejected_and_adopted_creates(state: State):
    lost, refused = begin(state, 1), begin(state, 2)
    state.unknown(lost, "timed out", T0)
    state.rejected(refused, "400 bad", T0)
    assert state.entry(lost).state is JournalState.UNKNOWN  # type: ignore[union-attr]
    assert state.entry(refused).error == "400 bad"  # type: ignore[union-attr]
    state.adopt(lost, "cgt-9", T0 + 1)
    adopted = state.find("cgt-9")
    assert adopted is not None and adopted.row == lost and adopted.state is JournalState.CREATED


def test_observations_keep_the_latest_status_and_the_first_end(state: State):
    for n, task in ((1, "a"), (2, "b"), (3, "c")):
        state.created(begin(state, n), task, T0)
    state.observe_many(
        [
            Observation("a", TaskStatus.RUNNING, T0 + 5),
            Observation("b", TaskStatus.SUCCEEDED, T0 + 9, tokens=100, ended=T0 + 8),
            Observation("c", TaskStatus.FAILED, T0 + 9, error="boom"),
            Observation("a", TaskStatus.SUCCEEDED, T0 + 10, tokens=50),  # the last one counts
        ]
    )
    state.observe("b", status=TaskStatus.SUCCEEDED, at=T0 + 99, tokens=None, error=None)
    a, b, c = (state.find(t) for t in "abc")
    assert a is not None and a.status is TaskStatus.SUCCEEDED and a.tokens == 50
    assert a.finished_at == T0 + 10
    assert b is not None and b.finished_at == T0 + 8 and b.tokens == 100  # kept
    assert c is not None and c.status is TaskStatus.FAILED and c.error == "boom"
    state.observe_many([])  # nothing to do


def test_reads_find_a_request_its_label_and_its_unsaved_video(state: State):
    first = begin(state, 1)
    state.created(first, "t1", T0)
    again = begin(state, 1, output_path="/elsewhere.mp4", ledger={"label": "request:k1"})
    state.created(again, "t2", T0)
    pending = begin(state, 1)  # its answer never came
    latest = state.latest_for("p", f"{1:064x}", "/films/1.mp4")
    assert latest is not None and latest.row == pending
    created = state.latest_for("p", f"{1:064x}", "/films/1.mp4", (JournalState.CREATED,))
    assert created is not None and created.row == first
    assert state.latest_for("p", f"{1:064x}", None) is None
    assert [e.task_id for e in state.made_for("p", f"{1:064x}")] == ["t2", "t1"]
    labelled = state.labelled("p", "request:k1")
    assert labelled is not None and labelled.task_id == "t2"
    assert state.labelled("other", "request:k1") is None
    state.observe("t1", status=TaskStatus.SUCCEEDED, at=T0 + 30, tokens=1, error=None)
    assert [e.task_id for e in state.unsaved()] == ["t1"]
    assert state.unsaved("other") == []
    state.saving("t1", path="/films/1.mp4", sha256="ab" * 32, size=10)
    state.downloaded("t1", path="/films/1.mp4", sha256="ab" * 32, size=10, at=T0 + 40)
    saved = state.find("t1")
    assert saved is not None and saved.sha256 == "ab" * 32 and saved.bytes == 10
    assert saved.saved_path == "/films/1.mp4" and saved.downloaded_at == T0 + 40
    assert state.unsaved() == []


def test_entries_filter_and_run_seconds_learn_how_long_tasks_take(state: State):
    for n, seconds in enumerate((60, 90, 120), start=1):
        row = begin(state, n)
        state.created(row, f"t{n}", T0)
        state.observe(
            f"t{n}", status=TaskStatus.SUCCEEDED, at=T0 + seconds, tokens=None, error=None
        )
    state.created(begin(state, 4, model="other"), "t4", T0)
    assert [e.task_id for e in state.entries(limit=None)] == ["t4", "t3", "t2", "t1"]
    assert [e.task_id for e in state.entries(model="other")] == ["t4"]
    assert [e.task_id for e in state.entries(status=TaskStatus.SUCCEEDED, limit=2)] == [
        "t3",
        "t2",
    ]
    assert state.entries(profile="nobody") == []
    seconds = state.run_seconds(
        base_url="https://api.test", model="m", resolution="720p", duration=5
    )
    assert seconds == [120, 90, 60]
    assert (
        state.run_seconds(base_url="https://api.test", model="m", resolution=None, duration=5) == []
    )


def test_a_whole_entry_is_recorded_as_it_is(state: State):
    row = begin(state, 1)
    state.created(row, "t1", T0)
    original = state.entry(row)
    assert original is not None
    copied = Entry(**{**original.__dict__, "row": 0, "machine": "ci-7", "login": "runner"})
    new = state.record(copied)
    assert new != row
    again = state.entry(new)
    assert again is not None and again.machine == "ci-7" and again.request == original.request
    assert state.record_many([copied, copied]) == 2
    assert len(state.entries(limit=None)) == 4


def test_gone_frees_a_slot_and_open_creates_are_the_slots(state: State):
    running, done, refused, gone = (priced(state, n) for n in range(1, 5))
    for row, task in ((running, "r"), (done, "d"), (gone, "g")):
        state.created(row, task, T0)
    state.observe("d", status=TaskStatus.SUCCEEDED, at=T0 + 5, tokens=None, error=None)
    state.rejected(refused, "no", T0)
    state.gone("g", T0 + 6)
    assert [e.row for e in state.open_creates("acct", 0)] == [running]
    assert state.open_creates("acct", T0 + 100) == []
    assert state.open_creates("another", 0) == []


def test_free_slot_frees_an_unanswered_create_and_keeps_its_state(state: State):
    orphan, other = priced(state, 1), priced(state, 2)
    state.unknown(orphan, "its sender stopped", T0)
    state.free_slot(orphan, T0 + 60)
    state.free_slot(orphan, T0 + 90)  # the first end counts
    freed = state.entry(orphan)
    assert freed is not None and freed.finished_at == T0 + 60
    assert freed.state is JournalState.UNKNOWN and freed.task_id is None  # still looked for
    assert [e.row for e in state.open_creates("acct", 0)] == [other]
    state.adopt(orphan, "t1", T0 + 120)  # its command found its task after all: it counts
    assert [e.row for e in state.open_creates("acct", 0)] == [other, orphan]


def test_a_create_s_identity_is_written_and_read_back(store: Store, state: State):
    row = begin(state, 1, nonce=lambda _taken: IDENTITY)
    plain = begin(state, 2, nonce=lambda _taken: {"nonce": 172_400})  # the user's seed, id
    entry, other = state.entry(row), state.entry(plain)
    assert entry is not None and other is not None
    assert (entry.nonce, entry.nonce_space, entry.seed_nonce, entry.safety_nonce) == tuple(
        IDENTITY.values()
    )
    assert (other.nonce, other.nonce_space, other.seed_nonce, other.safety_nonce) == (
        172_400,
        None,
        None,
        None,
    )
    copied = state.entry(state.record(Entry(**{**entry.__dict__, "row": 0})))
    assert copied is not None and copied.safety_nonce == IDENTITY["safety_nonce"]


def test_the_nonces_taken_are_those_of_everyone_sharing_the_state(store: Store, state: State):
    elsewhere = store.open(who=Who("ci-7", "runner"))  # another machine on a shared store
    try:
        answered = begin(elsewhere, 1, nonce=lambda _taken: {"nonce": 1})
        elsewhere.created(answered, "t1", T0)  # its task is known: its nonce is free again
        begin(elsewhere, 2, nonce=lambda _taken: {"nonce": 2})
        seen: list[set[int]] = []

        def pick(taken: set[int]) -> dict[str, object]:
            seen.append(set(taken))
            return {"nonce": 3}

        begin(state, 3, nonce=pick)
        assert seen == [{2}]
    finally:
        elsewhere.close()


def test_an_unusable_create_frees_its_slot_keeps_its_charge_and_is_never_followed(
    state: State,
):
    unusable, running = priced(state, 1), priced(state, 2)
    state.created(running, "r", T0)
    state.unusable(unusable, "unusable_task_id: ../evil", T0 + 1)
    entry = state.entry(unusable)
    assert entry is not None and entry.state is JournalState.UNKNOWN and entry.task_id is None
    assert entry.error == "unusable_task_id: ../evil" and entry.finished_at == T0 + 1
    assert [e.row for e in state.open_creates("acct", 0)] == [running]
    assert state.charged("acct", "USD", 0) == pytest.approx(4.0)  # both reserved


# -- the ledger ------------------------------------------------------------------------------


def test_charged_counts_usage_estimates_and_nothing_for_failures(state: State):
    billed, reserved, failed, refused = (priced(state, n) for n in range(1, 5))
    priced(state, 5, account="other")
    for row, task in ((billed, "b"), (reserved, "r"), (failed, "f")):
        state.created(row, task, T0)
    state.observe("b", status=TaskStatus.SUCCEEDED, at=T0 + 5, tokens=500_000, error=None)
    state.observe("f", status=TaskStatus.FAILED, at=T0 + 5, tokens=None, error="x")
    state.rejected(refused, "no", T0)
    # 0.5 M tokens billed + 1 M reserved, at 2 USD a million
    assert state.charged("acct", "USD", 0) == pytest.approx(3.0)
    assert state.charged("acct", "EUR", 0) == 0.0
    assert state.charged("acct", "USD", T0 + 2) == pytest.approx(2.0)  # the reserved one
    assert state.charged("nobody", "USD", 0) == 0.0


def test_the_ledger_sums_by_every_group(store: Store, state: State):
    elsewhere = store.open(who=Who("Zed-box", "bot"))  # sorted by code point: Z before c
    try:
        priced(state, 1, label="batch:/films/a")
        priced(state, 2, label="storyboard:/films/b")
        priced(elsewhere, 3, model="fast")
        state.rejected(priced(state, 4), "no", T0)  # left out
        begin(state, 5)  # unpriced
    finally:
        elsewhere.close()
    by = {
        key: [
            (line.key, line.currency, line.creates, line.estimated, line.unpriced)
            for line in state.ledger(key, since=0)
        ]
        for key in ("day", "model", "profile", "storyboard", "batch", "machine", "user")
    }
    assert by["day"] == [("2026-06-11", None, 1, None, 1), ("2026-06-11", "USD", 3, 6.0, 0)]
    assert by["model"] == [
        ("fast", "USD", 1, 2.0, 0),
        ("m", None, 1, None, 1),
        ("m", "USD", 2, 4.0, 0),
    ]
    assert by["storyboard"] == [
        (None, None, 1, None, 1),
        (None, "USD", 2, 4.0, 0),
        ("/films/b", "USD", 1, 2.0, 0),
    ]
    assert by["batch"][-1] == ("/films/a", "USD", 1, 2.0, 0)
    assert by["machine"] == [
        ("Zed-box", "USD", 1, 2.0, 0),
        ("laptop-1", None, 1, None, 1),
        ("laptop-1", "USD", 2, 4.0, 0),
    ]
    assert [(k, c, n) for k, c, n, _, _ in by["user"]] == [
        ("ana", None, 1),
        ("ana", "USD", 2),
        ("bot", "USD", 1),
    ]
    [line] = state.ledger("profile", since=0, profile="p")[1:]
    assert line.creates == 3 and line.unfinished == 3 and line.billed is None
    assert state.ledger("day", since=T0 + 100) == []


# -- locks -----------------------------------------------------------------------------------


def test_a_lock_is_exclusive_between_threads_and_objects(state: State):
    first, second = state.request_lock("p", "k1"), state.request_lock("p", "k1")
    assert first.try_acquire() and first.held
    assert not second.try_acquire() and not second.held
    assert state.request_lock("p", "k2").try_acquire()  # another id: another lock
    assert state.request_lock("q", "k1").try_acquire()  # another profile too
    error = second.busy()
    assert "request k1" in error.message and error.exit_status is ExitStatus.USAGE
    assert f"pid {os.getpid()}" in error.message
    first.release()
    assert second.try_acquire()
    second.release()
    with pytest.raises(RuntimeError):
        unit = state.unit_lock("batch-row", "films/3")
        unit.try_acquire()
        unit.try_acquire()  # not reentrant


def test_a_bounded_wait_ends_busy_on_the_injected_clock(state: State):
    holder = state.unit_lock("storyboard-shot", "film/dawn")
    assert holder.try_acquire()
    clock, heard = FakeClock(), []
    waiter = state.unit_lock("storyboard-shot", "film/dawn")
    with pytest.raises(BusyError) as caught:
        waiter.acquire(clock, timeout=5, on_wait=heard.append)
    assert caught.value.exit_status is ExitStatus.TIMEOUT
    assert heard[0].pid == os.getpid() and 4.9 <= sum(clock.sleeps) <= 5
    holder.release()
    waiter.acquire(clock, timeout=5)
    assert waiter.held
    waiter.release()


def test_a_thread_waits_for_another_threads_lock(state: State):
    holder = state.account_lock("acct")
    assert holder.try_acquire()
    waiting, got = threading.Event(), []
    clock = FakeClock()

    def wait() -> None:
        lock = state.account_lock("acct")
        lock.acquire(clock, on_wait=lambda _holder: waiting.set())
        got.append(lock.held)
        lock.release()

    thread = threading.Thread(target=wait)
    thread.start()
    assert waiting.wait(timeout=60)
    holder.release()
    thread.join(timeout=60)
    assert got == [True]


def test_a_leased_row_is_in_flight_while_its_lease_is_held(state: State):
    leases: list[Any] = []

    def hold(row: int) -> None:
        lease = state.row_lease(row)
        assert lease.try_acquire()
        leases.append(lease)

    row = begin(state, 1, hold=hold)
    assert state.row_in_flight(row)
    assert not state.row_in_flight(row + 1)
    leases[0].release()
    assert not state.row_in_flight(row)


def test_a_lock_is_exclusive_between_processes_and_freed_by_kill_9(store: Store, state: State):
    child = store.child("hold", "request:boat-1")
    word, pid = child.line().split()
    assert word == "held"
    mine = state.request_lock("p", "boat-1")
    assert not mine.try_acquire()
    assert mine.holder().pid == int(pid)
    assert f"pid {pid}" in mine.busy().message
    other = store.child("hold", "request:boat-1")  # a third process: refused too
    assert other.line().split()[0] == "busy"
    other.say("done")
    other.finish()
    child.kill()
    store.wait_until_free(state, mine)
    assert mine.try_acquire()
    mine.release()


def test_a_lease_is_seen_in_flight_from_another_process_until_kill_9(store: Store, state: State):
    child = store.child("lease", "7")
    word, row = child.line().split()
    assert word == "leased"
    assert state.row_in_flight(int(row))
    entry = state.entry(int(row))
    assert entry is not None and entry.state is JournalState.SENDING
    child.kill()
    store.wait_until_free(state, state.row_lease(int(row)))
    assert not state.row_in_flight(int(row))


def test_two_processes_never_pick_the_same_nonce(store: Store, state: State):
    begin(state, 1, nonce=lambda taken: {"nonce": 100})  # taken already
    children = [store.child("begin", "15", "100") for _ in range(2)]
    for child in children:
        child.say("go")
    picked = [json.loads(child.finish()) for child in children]
    everyone = [100, *picked[0], *picked[1]]
    assert len(everyone) == 31 and len(set(everyone)) == 31
    assert sorted(e.nonce for e in state.entries(limit=None)) == sorted(everyone)


def test_upkeep_on_a_sound_state(state: State):
    begin(state, 1)
    state.created(begin(state, 2), "t2", T0)
    report = state.check()
    assert report.ok and report.rows == 2 and report.states == {"sending": 1, "created": 1}
    assert [e.row for e in report.interrupted] == [1] and report.in_flight == []
    assert report.schema_version == SCHEMA_VERSION
    assert state.repair().backup is None
    result = state.migrate()
    assert result.before == result.after == SCHEMA_VERSION
    health = state.health()
    assert health.reachable and health.problem is None and health.schema_version == SCHEMA_VERSION


def test_one_state_serves_many_threads(state: State):
    from concurrent.futures import ThreadPoolExecutor

    def work(n: int) -> str:
        leases: list[Any] = []

        def hold(row: int) -> None:
            leases.append(state.row_lease(row))
            assert leases[0].try_acquire()

        row = begin(state, n, nonce=lambda taken: {"nonce": max(taken, default=0) + 1}, hold=hold)
        state.created(row, f"t{n}", T0)
        state.observe_many([Observation(f"t{n}", TaskStatus.SUCCEEDED, T0 + n)])
        leases[0].release()
        return f"t{n}"

    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(work, range(40)))
    assert state.known(made) == set(made)
    entries = state.entries(limit=None)
    assert len(entries) == 40 and all(e.status is TaskStatus.SUCCEEDED for e in entries)
    assert not any(state.row_in_flight(e.row) for e in entries)


# What each older version lacked (their columns, newest last): version 7 the identity beside
# the nonce, version 6 also the work a create was made for and where it was saved, version 5
# also who made a create.
LACKED = {
    7: ("nonce_space", "seed_nonce", "safety_nonce"),
    6: (*WORK_COLUMNS, "saved_on"),
    5: ("machine", "login"),
}


def older(store: Store, version: int) -> None:
    """The store as `version` left it: without the columns added since."""
    dropped = [name for v, names in LACKED.items() if v >= version for name in names]
    if store.kind == "sqlite":
        import sqlite3

        with sqlite3.connect(Path(store.location) / "journal.sqlite3") as db:
            if version <= 6:
                db.execute("DROP INDEX IF EXISTS creates_unit")
            for name in dropped:
                db.execute(f"ALTER TABLE creates DROP COLUMN {name}")
            db.execute(f"PRAGMA user_version = {version}")
        return
    import psycopg

    with psycopg.connect(store.location, autocommit=True) as conn:
        drops = ", ".join(f"DROP COLUMN {name}" for name in dropped)
        conn.execute(f"ALTER TABLE seedance_creates {drops}")
        conn.execute(f"UPDATE seedance_meta SET value = '{version}'")


@pytest.mark.parametrize("version", [5, 6, 7])
def test_migrate_brings_an_older_store_to_this_version_and_keeps_its_rows(
    store: Store, state: State, version: int
):
    row = priced(state, 1, nonce=lambda _taken: {"nonce": 172_361})
    state.created(row, "t1", T0)
    state.close()
    older(store, version)
    upgraded = store.open(who=HERE)
    try:
        result = upgraded.migrate()
        assert (result.before, result.after) == (version, SCHEMA_VERSION)
        kept = upgraded.find("t1")
        assert kept is not None and kept.row == row and kept.nonce == 172_361
        assert (kept.nonce_space, kept.seed_nonce, kept.safety_nonce) == (None, None, None)
        assert (kept.machine is None) is (version == 5)
        assert upgraded.charged("acct", "USD", 0) == pytest.approx(2.0)
        new = upgraded.entry(begin(upgraded, 2, nonce=lambda _taken: IDENTITY))
        assert new is not None and new.machine == "laptop-1"
        assert (new.nonce, new.nonce_space, new.seed_nonce, new.safety_nonce) == tuple(
            IDENTITY.values()
        )
        child = store.child("hold", "request:after-migrate")  # one lock space with others
        assert child.line().split()[0] == "held"
        assert not upgraded.request_lock("p", "after-migrate").try_acquire()
        child.say("done")
        child.finish()
    finally:
        upgraded.close()


def made_for_unit(state: State, n: int, unit: str, generation: int, rerun: bool = False) -> int:
    """A create of a batch's unit (runs/identities.py): its label, unit, generation, mark."""
    work = {"unit": unit, "generation": generation, "rerun": 1 if rerun else None}
    ledger = {"account": "acct", "currency": "USD", "label": "batch:jobs", **work}
    return begin(state, n, ledger=ledger)


def test_a_unit_s_creates_are_found_by_its_identity_whatever_their_output(state: State):
    first = made_for_unit(state, 1, "r1#1", 0)
    state.created(first, "t1", T0)
    rerun = made_for_unit(state, 2, "r1#1", 1, rerun=True)
    made_for_unit(state, 3, "r2#1", 0)
    state.rejected(begin(state, 4, ledger={"label": "batch:jobs", "unit": "r2#1"}), "no", T0)
    newest = state.latest_of("p", "batch:jobs", "r1#1")
    assert newest is not None and (newest.row, newest.generation, newest.rerun) == (rerun, 1, 1)
    at_0 = state.latest_of("p", "batch:jobs", "r1#1", generation=0, request_hash=f"{1:064x}")
    assert at_0 is not None and at_0.task_id == "t1"
    assert state.latest_of("p", "batch:jobs", "r1#1", request_hash=f"{9:064x}") is None
    assert state.latest_of("p", "batch:other", "r1#1") is None
    assert state.latest_of("q", "batch:jobs", "r1#1") is None
    units = state.units_of("p", "batch:jobs")
    assert {u: e.row for u, e in units.items()} == {"r1#1": rerun, "r2#1": 3}  # never refused
    state.settle_reruns("p", "batch:jobs", ["r1#1"])
    settled = state.entry(rerun)
    assert settled is not None and settled.rerun is None and settled.generation == 1
    state.saving("t1", path="/films/1.mp4", sha256="ab", size=1)
    saved = state.find("t1")
    assert saved is not None and saved.saved_on == "laptop-1"


def test_a_version_6_store_is_migrated_with_the_work_columns(store: Store, state: State):
    row = made_for_unit(state, 1, "r1#1", 0)
    state.created(row, "t1", T0)
    state.close()
    older(store, 6)
    upgraded = store.open(who=HERE)
    try:
        result = upgraded.migrate()
        assert (result.before, result.after) == (6, SCHEMA_VERSION)
        kept = upgraded.find("t1")
        assert kept is not None and kept.row == row and kept.unit is None and kept.label
        if store.kind == "sqlite":  # upgraded in place, after a copy of it was kept
            assert (Path(store.location) / "journal.sqlite3.v6.bak").is_file()
        again = upgraded.entry(made_for_unit(upgraded, 2, "r1#1", 1, rerun=True))
        assert again is not None and (again.unit, again.generation, again.rerun) == ("r1#1", 1, 1)
    finally:
        upgraded.close()
