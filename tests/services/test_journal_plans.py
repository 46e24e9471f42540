"""Every read of the journal goes through an index, so its cost does not grow with the
journal: each read's SQL, as SQLite runs it, against its query plan (EXPLAIN QUERY PLAN).

A new index can change the plan of a read it was not meant for (SQLite picks among the
indexes by their shape, without statistics): a change to `_INDEXES` must keep this passing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from seedance.domain.models import TaskStatus
from seedance.services.state.sqlite import JOURNAL_FILE, SCHEMA_VERSION, SqliteState

READS: dict[str, tuple[Callable[[SqliteState], object], str]] = {
    "find": (lambda j: j.find("cgt-1"), "creates_task"),
    "known": (lambda j: j.known(["cgt-1", "cgt-2"]), "creates_task"),
    "latest_for": (lambda j: j.latest_for("p", "h", "/out/clip.mp4"), "creates_request"),
    "made_for": (lambda j: j.made_for("p", "h"), "creates_request"),
    "entries by profile": (lambda j: j.entries(profile="p", limit=20), "creates_profile"),
    "entries by status": (lambda j: j.entries(status=TaskStatus.RUNNING), "creates_status"),
    "entries by model": (lambda j: j.entries(model="m", limit=20), "creates_model"),
    "unsaved": (lambda j: j.unsaved(), "creates_unsaved"),
    "unsaved of a profile": (lambda j: j.unsaved("p", limit=20), "creates_unsaved"),
    "run_seconds": (
        lambda j: j.run_seconds(base_url="https://x", model="m", resolution="720p", duration=5),
        "creates_kind",
    ),
    "open nonces": (
        lambda j: j.begin(**CREATE, nonce=lambda taken: {"nonce": 4000}),
        "creates_open_nonce",
    ),
    "charged (a budget)": (lambda j: j.charged("a", "USD", 1_781_000_000.0), "creates_ledger"),
}

CREATE = {
    "profile": "p",
    "dialect": "ark",
    "base_url": "https://x",
    "body": {"model": "m"},
    "request_hash": "h",
    "model": "m",
    "resolution": "720p",
    "duration": 5,
    "prompt": "a paper boat",
    "output_path": None,
    "at": 1_781_181_681.0,
}


def plans(journal: SqliteState, read: Callable[[SqliteState], object]) -> list[list[str]]:
    """The query plan of each SELECT `read` runs."""
    db = journal._connect()
    statements: list[str] = []
    db.set_trace_callback(statements.append)
    try:
        read(journal)
    finally:
        db.set_trace_callback(None)
    return [
        [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}")]
        for sql in statements
        if sql.lstrip().upper().startswith("SELECT")
    ]


@pytest.mark.parametrize("name", list(READS))
def test_each_read_searches_its_index(tmp_path: Path, name: str) -> None:
    journal = SqliteState(tmp_path)
    journal.begin(**CREATE)
    read, index = READS[name]

    found = plans(journal, read)

    assert found, "the read ran no query"
    for plan in found:
        assert len(plan) == 1 and plan[0].startswith("SEARCH creates"), plan  # no scan, no sort
        assert f"INDEX {index} " in plan[0], plan


def test_the_newest_entries_walk_back_from_the_end_and_stop(tmp_path: Path) -> None:
    """`tasks list --local` without a filter: the table backwards, LIMIT rows, no sort."""
    journal = SqliteState(tmp_path)
    journal.begin(**CREATE)
    [plan] = plans(journal, lambda j: j.entries(limit=20))
    assert plan == ["SCAN creates"]


@pytest.mark.parametrize("profile", [None, "p"], ids=["all-profiles", "one-profile"])
@pytest.mark.parametrize("by", ["day", "model", "profile", "storyboard", "batch"])
def test_spend_reads_only_the_creates_since_its_start(
    tmp_path: Path, by: str, profile: str | None
) -> None:
    """`spend --since 7d`: the rows of the week through the time index; only those rows are
    then sorted into their groups (the GROUP BY's temporary tree), never the whole table (as
    walking the model's or the profile's index would)."""
    journal = SqliteState(tmp_path)
    journal.begin(**CREATE)

    [plan] = plans(journal, lambda j: j.ledger(by, since=1_781_000_000.0, profile=profile))

    assert plan[0].startswith("SEARCH creates USING INDEX creates_time (created_at>?)"), plan
    assert plan[1:] in ([], ["USE TEMP B-TREE FOR GROUP BY"]), plan


def test_a_version_4_file_gets_the_indexes_without_a_backup(tmp_path: Path) -> None:
    journal = SqliteState(tmp_path)
    journal.begin(**CREATE)
    journal.close()
    with sqlite3.connect(tmp_path / JOURNAL_FILE) as db:  # as version 4 left it
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall():
            if not name.startswith("sqlite_"):
                db.execute(f"DROP INDEX {name}")
        db.execute("CREATE INDEX creates_task ON creates(task_id)")
        db.execute("CREATE INDEX creates_hash ON creates(request_hash)")
        db.execute("PRAGMA user_version = 4")

    reopened = SqliteState(tmp_path)
    [plan] = plans(reopened, lambda j: j.latest_for("p", "h", None))
    reopened.close()

    assert "creates_request" in plan[0]
    with sqlite3.connect(tmp_path / JOURNAL_FILE) as db:
        names = {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert "creates_hash" not in names and {"creates_kind", "creates_profile"} <= names
    assert sorted(p.name for p in tmp_path.iterdir()) == [JOURNAL_FILE]  # no backup: no row changed
