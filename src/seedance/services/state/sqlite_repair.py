"""What can be read of the local journal, and a rebuild of a damaged one.

`check` never changes anything. `repair` keeps the damaged file beside the new one
(`journal.sqlite3.damaged-<time>`), reads every row it still can from that copy, and writes
them into a new journal; the rows it could not read are counted, not guessed.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedance.domain.errors import JournalDamagedError
from seedance.services.journal import COLUMNS, UNFINISHED, Entry, Journal
from seedance.services.locks import Locks

# the columns without which a row says nothing usable
REQUIRED = ("state", "profile", "dialect", "base_url", "request_hash", "request", "created_at")


@dataclass
class JournalReport:
    """The journal as it is: readable or not, and what it holds."""

    path: Path
    exists: bool
    size: int = 0
    damaged: str | None = None  # why it cannot be read
    rows: int = 0
    states: dict[str, int] = field(default_factory=dict)
    in_flight: list[Entry] = field(default_factory=list)  # sent or being found right now
    interrupted: list[Entry] = field(default_factory=list)  # outcome unknown, nobody on it
    unsaved: list[Entry] = field(default_factory=list)  # succeeded, video not saved

    @property
    def ok(self) -> bool:
        return self.damaged is None


@dataclass(frozen=True)
class RepairResult:
    backup: Path | None  # where the damaged file was kept (None: nothing to repair)
    recovered: int  # rows read and written into the new journal
    unreadable: int  # rows the damaged file holds that could not be read (when it can tell)


def check(data_dir: Path) -> JournalReport:
    """Read the journal of `data_dir` without changing it (a missing one is fine: new)."""
    journal = Journal(data_dir)
    report = JournalReport(journal.path, journal.path.exists())
    if not report.exists:
        return report
    report.size = journal.path.stat().st_size
    locks = Locks(data_dir)
    try:
        entries = journal.entries(limit=None)
        report.unsaved = journal.unsaved()
        journal.verify()  # the pages these reads did not touch too (its indexes)
    except JournalDamagedError as exc:
        report.damaged = exc.reason
        return report
    finally:
        journal.close()
    report.rows = len(entries)
    report.states = dict(Counter(e.state.value for e in entries))
    for entry in entries:
        if entry.state in UNFINISHED and entry.task_id is None:
            busy = locks.row_in_flight(entry.row)
            (report.in_flight if busy else report.interrupted).append(entry)
    return report


def repair(data_dir: Path) -> RepairResult:
    """Rebuild a damaged journal from what can be read of it; a sound one is left alone."""
    report = check(data_dir)
    if report.ok:
        return RepairResult(None, 0, 0)
    path = report.path
    backup = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
    os.replace(path, backup)
    for suffix in ("-journal", "-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, backup.with_name(backup.name + suffix))
    rows, unreadable = read_rows(backup)
    journal = Journal(data_dir)
    try:
        for entry in rows:
            journal.record(entry)
    finally:
        journal.close()
    return RepairResult(backup, len(rows), unreadable)


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
