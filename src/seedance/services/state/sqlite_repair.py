"""What can be read of the local journal (the SQLite store), and a rebuild of a damaged one.

`check` never changes anything. `repair` keeps the damaged file beside the new one
(`journal.sqlite3.damaged-<time>`), reads every row it still can from that copy, and writes
them into a new journal; the rows it could not read are counted, not guessed.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedance.domain.errors import JournalDamagedError
from seedance.services.state.base import RepairResult, StateReport, sorted_report
from seedance.services.state.entries import COLUMNS, Entry

if TYPE_CHECKING:
    from seedance.services.state.sqlite import SqliteState

# the columns without which a row says nothing usable
REQUIRED = ("state", "profile", "dialect", "base_url", "request_hash", "request", "created_at")


def check(state: SqliteState) -> StateReport:
    """Read the journal of `state` without changing it (a missing one is fine: new)."""
    path = state.path
    report = StateReport(state.store, state.where, path.exists())
    if not report.exists:
        return report
    report.size = path.stat().st_size
    try:
        entries = state.entries(limit=None)
        report.unsaved = state.unsaved()
        state.verify()  # the pages these reads did not touch too (its indexes)
        report.schema_version = state.schema_version()
    except JournalDamagedError as exc:
        report.damaged = exc.damage
        state.close()
        return report
    return sorted_report(report, entries, state)


def repair(state: SqliteState) -> RepairResult:
    """Rebuild a damaged journal from what can be read of it; a sound one is left alone."""
    report = check(state)
    if report.ok:
        return RepairResult(None, 0, 0)
    path = state.path
    backup = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
    state.close()
    os.replace(path, backup)
    for suffix in ("-journal", "-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, backup.with_name(backup.name + suffix))
    rows, unreadable = read_rows(backup)
    state.record_many(rows)
    state.close()
    return RepairResult(str(backup), len(rows), unreadable)


def read_rows(path: Path) -> tuple[list[Entry], int]:
    """The rows that can still be read from a damaged journal, and how many could not."""
    if path.stat().st_size == 0:
        return [], 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.DatabaseError:
        return [], 0
    try:
        try:
            present = [r[1] for r in db.execute("PRAGMA table_info(creates)")]
            top = db.execute("SELECT max(row) FROM creates").fetchone()[0] or 0
        except sqlite3.DatabaseError:
            return [], 0
        names = [c for c in COLUMNS if c in present]
        select = f"SELECT {', '.join(names)} FROM creates WHERE row = ?"
        found: list[Entry] = []
        lost = 0
        for row in range(1, int(top) + 1):
            try:
                values = db.execute(select, (row,)).fetchone()
            except sqlite3.DatabaseError:
                lost += 1
                continue
            if values is None:
                continue
            entry = _entry(dict(zip(names, values, strict=True)))
            if entry is None:
                lost += 1
            else:
                found.append(entry)
        return found, lost
    finally:
        db.close()


def _entry(values: dict[str, Any]) -> Entry | None:
    if any(values.get(name) is None for name in REQUIRED):
        return None
    try:
        return Entry.from_row(tuple(values.get(name) for name in COLUMNS))
    except (TypeError, ValueError):
        return None
