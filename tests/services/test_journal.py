"""The local journal: every create written before it is sent and after it answers."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from seedance.domain.models import TaskStatus
from seedance.services.state.sqlite import JOURNAL_FILE, Entry, JournalState, SqliteState
from seedance.services.videos.prepare import request_hash
from support import World, expect_ark_create, serve_a_queued_lookalike

BASE = "https://ark.ap-southeast.bytepluses.com/api/v3"
TASKS = f"{BASE}/contents/generations/tasks"
BODY = {"model": "dreamina-seedance-2-0-260128", "content": [{"type": "text", "text": "a boat"}]}
T0 = 1_781_181_681.0


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[SqliteState]:
    handle = SqliteState(tmp_path / "data")
    yield handle
    handle.close()


def begin(
    journal: SqliteState,
    *,
    profile: str = "byteplus",
    base_url: str = BASE,
    body: dict[str, Any] = BODY,
    resolution: str | None = "720p",
    duration: int | None = 5,
    output_path: str | None = None,
    at: float = T0,
) -> int:
    return journal.begin(
        profile=profile,
        dialect="ark",
        base_url=base_url,
        body=body,
        request_hash=request_hash(body),
        model=body["model"],
        resolution=resolution,
        duration=duration,
        prompt=body["content"][0]["text"],
        output_path=output_path,
        at=at,
    )


def finish(
    journal: SqliteState,
    task_id: str,
    *,
    seconds: float,
    status: TaskStatus = TaskStatus.SUCCEEDED,
) -> None:
    """A task created at T0 that ended `seconds` later."""
    row = begin(journal)
    journal.created(row, task_id, T0)
    journal.observe(task_id, status=status, at=T0 + seconds, tokens=None, error=None)


def found(journal: SqliteState, task_id: str) -> Entry:
    entry = journal.find(task_id)
    assert entry is not None
    return entry


# -- the life of an entry --------------------------------------------------------------------


def test_a_create_round_trips_through_every_state(journal: SqliteState) -> None:
    row = begin(journal, output_path="/films/boat.mp4")
    [sending] = journal.entries()
    assert (sending.row, sending.state, sending.task_id) == (row, JournalState.SENDING, None)
    assert sending.body == BODY
    assert sending.request_hash == request_hash(BODY)
    assert sending.prompt == "a boat"

    journal.created(row, "cgt-1", T0 + 1)
    entry = found(journal, "cgt-1")
    assert (entry.state, entry.status, entry.answered_at) == (
        JournalState.CREATED,
        TaskStatus.QUEUED,
        T0 + 1,
    )

    journal.observe("cgt-1", status=TaskStatus.RUNNING, at=T0 + 10, tokens=None, error=None)
    assert (found(journal, "cgt-1").status, found(journal, "cgt-1").finished_at) == (
        TaskStatus.RUNNING,
        None,
    )

    journal.observe("cgt-1", status=TaskStatus.SUCCEEDED, at=T0 + 60, tokens=108900, error=None)
    journal.observe("cgt-1", status=TaskStatus.SUCCEEDED, at=T0 + 90, tokens=None, error=None)
    entry = found(journal, "cgt-1")
    assert (entry.status, entry.tokens, entry.finished_at) == (
        TaskStatus.SUCCEEDED,
        108900,
        T0 + 60,
    )

    journal.downloaded("cgt-1", path="/films/boat.mp4", sha256="ab" * 32, size=1234, at=T0 + 95)
    entry = found(journal, "cgt-1")
    assert (entry.output_path, entry.sha256, entry.bytes) == ("/films/boat.mp4", "ab" * 32, 1234)
    assert entry.downloaded_at == T0 + 95


def test_unknown_and_rejected_creates_keep_their_reason(journal: SqliteState) -> None:
    lost, refused = begin(journal), begin(journal)

    journal.unknown(lost, "the answer was lost", T0 + 1)
    journal.rejected(refused, "400 InvalidParameter", T0 + 1)

    by_row = {e.row: e for e in journal.entries()}
    assert (by_row[lost].state, by_row[lost].error) == (JournalState.UNKNOWN, "the answer was lost")
    assert (by_row[refused].state, by_row[refused].error) == (
        JournalState.REJECTED,
        "400 InvalidParameter",
    )
    assert by_row[lost].task_id is None


def test_an_unknown_create_found_later_is_adopted(journal: SqliteState) -> None:
    row = begin(journal)
    journal.unknown(row, "lost", T0 + 1)

    journal.adopt(row, "cgt-found", T0 + 30)

    entry = found(journal, "cgt-found")
    assert (entry.row, entry.state) == (row, JournalState.CREATED)


def test_a_failure_keeps_its_error(journal: SqliteState) -> None:
    journal.created(begin(journal), "cgt-1", T0)

    journal.observe("cgt-1", status=TaskStatus.FAILED, at=T0 + 9, tokens=None, error="E: sensitive")

    entry = found(journal, "cgt-1")
    assert (entry.status, entry.error, entry.finished_at) == (
        TaskStatus.FAILED,
        "E: sensitive",
        T0 + 9,
    )


def test_reading_a_journal_that_does_not_exist_creates_nothing(tmp_path: Path) -> None:
    journal = SqliteState(tmp_path / "nowhere")

    assert journal.entries() == []
    assert journal.find("cgt-1") is None
    assert not (tmp_path / "nowhere").exists()


# -- file permissions ------------------------------------------------------------------------


def test_the_file_is_created_private(tmp_path: Path) -> None:
    warnings: list[str] = []
    journal = SqliteState(tmp_path, warn=warnings.append)

    begin(journal)
    journal.close()

    assert stat.S_IMODE((tmp_path / JOURNAL_FILE).stat().st_mode) == 0o600
    assert warnings == []


@pytest.mark.parametrize("mode", [0o640, 0o644, 0o666])
def test_a_readable_file_is_warned_about(tmp_path: Path, mode: int) -> None:
    first = SqliteState(tmp_path)
    begin(first)
    first.close()
    (tmp_path / JOURNAL_FILE).chmod(mode)
    warnings: list[str] = []
    journal = SqliteState(tmp_path, warn=warnings.append)

    journal.entries()
    journal.close()

    [warning] = warnings
    assert "readable by others" in warning
    assert f"chmod 600 {tmp_path / JOURNAL_FILE}" in warning


# -- finding earlier creates -----------------------------------------------------------------


def test_latest_for_finds_an_unfinished_identical_create(journal: SqliteState) -> None:
    out = "/films/boat.mp4"
    older = begin(journal, output_path=out)
    journal.created(older, "cgt-old", T0)
    newer = begin(journal, output_path=out)
    journal.unknown(newer, "lost", T0 + 1)
    digest = request_hash(BODY)

    entry = journal.latest_for("byteplus", digest, out)

    assert entry is not None and entry.row == newer
    assert journal.latest_for("byteplus", digest, "/films/other.mp4") is None
    assert journal.latest_for("volcengine", digest, out) is None
    assert journal.latest_for("byteplus", "0" * 64, out) is None


def test_latest_for_skips_rejected_creates(journal: SqliteState) -> None:
    journal.rejected(begin(journal), "400", T0)

    assert journal.latest_for("byteplus", request_hash(BODY), None) is None


def test_latest_for_matches_a_missing_output(journal: SqliteState) -> None:
    row = begin(journal, output_path=None)

    entry = journal.latest_for("byteplus", request_hash(BODY), None)

    assert entry is not None and entry.row == row


# -- how long tasks take ---------------------------------------------------------------------


def test_run_seconds_counts_only_succeeded_tasks_of_the_same_kind(journal: SqliteState) -> None:
    finish(journal, "cgt-1", seconds=60)
    finish(journal, "cgt-2", seconds=75)
    finish(journal, "cgt-3", seconds=5, status=TaskStatus.FAILED)
    finish(journal, "cgt-4", seconds=7, status=TaskStatus.CANCELLED)
    journal.created(begin(journal, resolution="1080p"), "cgt-5", T0)
    journal.created(begin(journal, duration=10), "cgt-6", T0)
    for task_id in ("cgt-5", "cgt-6"):
        journal.observe(task_id, status=TaskStatus.SUCCEEDED, at=T0 + 300, tokens=None, error=None)
    other = begin(journal, base_url="https://models.phanedge.cloud/volcark/api/v3")
    journal.created(other, "cgt-7", T0)
    journal.observe("cgt-7", status=TaskStatus.SUCCEEDED, at=T0 + 400, tokens=None, error=None)
    journal.created(begin(journal), "cgt-8", T0)  # still running

    seconds = journal.run_seconds(base_url=BASE, model=BODY["model"], resolution="720p", duration=5)

    assert sorted(seconds) == [60, 75]


def test_run_seconds_is_limited_to_recent_tasks(journal: SqliteState) -> None:
    for n in range(5):
        finish(journal, f"cgt-{n}", seconds=10 * (n + 1))

    seconds = journal.run_seconds(
        base_url=BASE, model=BODY["model"], resolution="720p", duration=5, limit=2
    )

    assert seconds == [50, 40]


# -- threads ---------------------------------------------------------------------------------


def test_concurrent_writes_from_threads_do_not_fail(journal: SqliteState) -> None:
    def create(n: int) -> None:
        row = begin(journal, at=T0 + n)
        journal.created(row, f"cgt-{n}", T0 + n)
        journal.observe(
            f"cgt-{n}", status=TaskStatus.SUCCEEDED, at=T0 + n + 60, tokens=n, error=None
        )
        assert found(journal, f"cgt-{n}").tokens == n

    with ThreadPoolExecutor(max_workers=8) as pool:
        for future in [pool.submit(create, n) for n in range(80)]:
            future.result()

    entries = journal.entries(limit=None)
    assert len(entries) == 80
    assert {e.status for e in entries} == {TaskStatus.SUCCEEDED}
    assert len({e.row for e in entries}) == 80


# -- through the CLI -------------------------------------------------------------------------


def created_by_cli(world: World, httpx_mock: HTTPXMock, task_id: str = "cgt-1") -> None:
    expect_ark_create(httpx_mock, TASKS, BODY, task_id=task_id)
    outcome = world.run("-p", "byteplus", "create", "a boat")
    assert outcome.exit_code == 0, outcome.stderr


def test_cli_create_is_in_the_local_list(world: World, httpx_mock: HTTPXMock) -> None:
    created_by_cli(world, httpx_mock)

    outcome = world.run("tasks", "list", "--local", "--json")

    assert outcome.exit_code == 0, outcome.stderr
    [entry] = json.loads(outcome.stdout)
    assert entry["task_id"] == "cgt-1"
    assert entry["profile"] == "byteplus"
    assert (entry["state"], entry["status"]) == ("created", "queued")
    assert entry["request_hash"] == request_hash(BODY)
    assert entry["request"] == BODY
    assert entry["prompt"] == "a boat"
    assert stat.S_IMODE((world.data_dir / JOURNAL_FILE).stat().st_mode) == 0o600


def test_cli_status_falls_back_to_the_journal_after_a_404(
    world: World, httpx_mock: HTTPXMock
) -> None:
    created_by_cli(world, httpx_mock)
    httpx_mock.add_response(
        url=f"{TASKS}/cgt-1",
        status_code=404,
        json={"error": {"code": "ResourceNotFound", "message": "task not found"}},
        is_reusable=True,
    )

    plain = world.run("-p", "byteplus", "status", "cgt-1")
    as_json = world.run("-p", "byteplus", "status", "cgt-1", "--json")

    assert plain.exit_code == 0, plain.stderr
    assert plain.stdout == "queued\n"
    assert "warning: the server no longer knows this task" in plain.stderr
    assert as_json.exit_code == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert (document["task_id"], document["request"]) == ("cgt-1", BODY)


def test_cli_status_404_of_a_task_the_journal_does_not_know_is_an_error(
    world: World, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=f"{TASKS}/cgt-x", status_code=404, json={"error": {}})

    outcome = world.run("-p", "byteplus", "status", "cgt-x")

    assert outcome.exit_code == 3
    assert outcome.stdout == ""


class CutOffBody(httpx.SyncByteStream):
    def __iter__(self) -> Iterator[bytes]:
        yield b'{"id": "cgt-'
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


def test_cli_create_whose_answer_is_cut_off_is_journaled_as_unknown(
    world: World, httpx_mock: HTTPXMock
) -> None:
    """The server got the create (it answered 200); re-sending it could bill a second video."""
    httpx_mock.add_response(method="POST", url=TASKS, stream=CutOffBody())
    serve_a_queued_lookalike(httpx_mock, TASKS)

    outcome = world.run("-p", "byteplus", "create", "a boat")

    journal = SqliteState(world.data_dir)
    [entry] = journal.entries()
    journal.close()
    assert entry.state is JournalState.UNKNOWN
    assert outcome.exit_code == 3  # a queued task could be it: it cannot tell yet
    assert "nothing was lost" not in outcome.stderr
    assert "not sent again" in outcome.stderr
    assert len([r for r in httpx_mock.get_requests() if r.method == "POST"]) == 1


def test_many_observations_are_one_transaction_and_unchanged_rows_are_left(
    journal: SqliteState,
) -> None:
    from seedance.services.state.sqlite import Observation

    for n in range(50):
        journal.created(begin(journal), f"cgt-{n}", T0)
    db = journal._connect()
    commits: list[str] = []
    db.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    running = [Observation(f"cgt-{n}", TaskStatus.RUNNING, T0 + 5) for n in range(50)]

    journal.observe_many(running)
    before = db.total_changes
    journal.observe_many(running)  # the next poll: nothing new
    unchanged = db.total_changes - before
    journal.observe_many(
        [Observation("cgt-7", TaskStatus.SUCCEEDED, T0 + 60, tokens=108900, ended=T0 + 58)]
    )
    journal.observe_many([Observation("cgt-7", TaskStatus.SUCCEEDED, T0 + 90)])
    db.set_trace_callback(None)

    assert len(commits) == 4 and unchanged == 0
    assert {e.status for e in journal.entries(limit=None) if e.task_id != "cgt-7"} == {
        TaskStatus.RUNNING
    }
    seven = journal.find("cgt-7")
    assert seven is not None
    assert (seven.status, seven.tokens, seven.finished_at) == (
        TaskStatus.SUCCEEDED,
        108900,
        T0 + 58,  # its first end is kept
    )


def test_a_version_7_journal_gains_the_identity_columns_with_a_backup(tmp_path: Path) -> None:
    """Version 7 keeps the rest of a create's identity (services/videos/identity.py); a row
    written before reads them as None, and a create of version 6 still unknown is never
    adopted on its nonce alone."""
    import sqlite3

    from seedance.services.state.entries import IDENTITY_COLUMNS, SCHEMA_VERSION

    journal = SqliteState(tmp_path)
    row = journal.begin(
        profile="p",
        dialect="ark",
        base_url="https://x",
        body={"model": "m"},
        request_hash="h",
        model="m",
        resolution=None,
        duration=None,
        prompt="a boat",
        output_path=None,
        at=1000.0,
        nonce=lambda _taken: {"nonce": 172361},
    )
    journal.close()
    with sqlite3.connect(tmp_path / JOURNAL_FILE) as db:
        for name in IDENTITY_COLUMNS:
            db.execute(f"ALTER TABLE creates DROP COLUMN {name}")
        db.execute("PRAGMA user_version = 7")
    before = (tmp_path / JOURNAL_FILE).read_bytes()
    upgraded = SqliteState(tmp_path)
    entry = upgraded.entry(row)
    assert entry is not None and entry.nonce == 172361
    assert (entry.nonce_space, entry.seed_nonce, entry.safety_nonce) == (None, None, None)
    upgraded.close()
    assert (tmp_path / f"{JOURNAL_FILE}.v7.bak").read_bytes() == before
    with sqlite3.connect(tmp_path / JOURNAL_FILE) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        columns = {r[1] for r in db.execute("PRAGMA table_info(creates)")}
    assert set(IDENTITY_COLUMNS) <= columns
