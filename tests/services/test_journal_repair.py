"""A journal that cannot be read is refused, never taken for a new one; check and repair."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedance.domain.errors import ExitStatus, JournalDamagedError
from seedance.services.state.sqlite import JOURNAL_FILE, JournalState, SqliteState
from seedance.services.state.sqlite_repair import check, repair

BODY = {"model": "m", "content": [{"type": "text", "text": "a boat"}]}


def begin(journal: SqliteState, n: int, pad: str = "") -> int:
    return journal.begin(
        profile="p",
        dialect="ark",
        base_url="https://x",
        body={**BODY, "pad": pad} if pad else BODY,
        request_hash=f"{n:064x}",
        model="m",
        resolution=None,
        duration=None,
        prompt=f"shot {n}",
        output_path=f"/films/{n}.mp4",
        at=1000.0 + n,
    )


def test_a_new_journal_appears_whole(tmp_path: Path):
    journal = SqliteState(tmp_path)
    begin(journal, 1)
    journal.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [JOURNAL_FILE]
    assert (tmp_path / JOURNAL_FILE).stat().st_size > 0


@pytest.mark.parametrize("content", [b"", b"SQLite format 2\x00" + b"x" * 200])
def test_a_file_that_is_not_a_journal_is_damaged(tmp_path: Path, content: bytes):
    (tmp_path / JOURNAL_FILE).write_bytes(content)
    journal = SqliteState(tmp_path)
    with pytest.raises(JournalDamagedError) as caught:
        begin(journal, 1)
    assert str(tmp_path / JOURNAL_FILE) in caught.value.message
    assert caught.value.exit_status is ExitStatus.USAGE
    assert [s.action for s in caught.value.suggestions] == ["journal.check", "journal.repair"]
    assert (tmp_path / JOURNAL_FILE).read_bytes() == content  # untouched


def test_check_tells_in_flight_from_interrupted_and_unsaved(tmp_path: Path):
    journal = SqliteState(tmp_path)
    interrupted, in_flight, made = begin(journal, 1), begin(journal, 2), begin(journal, 3)
    journal.created(made, "cgt-3", 1010.0)
    journal.observe("cgt-3", status="succeeded", at=1020.0, tokens=5, error=None)  # type: ignore[arg-type]
    journal.close()
    lease = SqliteState(tmp_path).row_lease(in_flight)
    assert lease.try_acquire()
    report = check(SqliteState(tmp_path))
    lease.release()
    assert report.ok and report.rows == 3
    assert [e.row for e in report.interrupted] == [interrupted]
    assert [e.row for e in report.in_flight] == [in_flight]
    assert [e.task_id for e in report.unsaved] == ["cgt-3"]
    assert repair(SqliteState(tmp_path)).backup is None  # sound: left alone


def padded_journal(data_dir: Path) -> tuple[Path, bytearray]:
    """A journal of 200 created rows, each with 500 bytes of padding: its file and bytes."""
    journal = SqliteState(data_dir)
    for n in range(1, 201):
        journal.created(begin(journal, n, pad="x" * 500), f"cgt-{n}", 1010.0)
    journal.close()
    path = data_dir / JOURNAL_FILE
    return path, bytearray(path.read_bytes())


def test_repair_keeps_the_damaged_file_and_rebuilds_every_readable_row(tmp_path: Path):
    path, data = padded_journal(tmp_path)
    page = 4096
    start = pages_of_rows(data, page)[5] * page
    data[start : start + page] = b"\xff" * page  # one page of rows lost
    path.write_bytes(bytes(data))
    assert "malformed" in (check(SqliteState(tmp_path)).damaged or "")

    result = repair(SqliteState(tmp_path))

    assert result.backup is not None and Path(result.backup).read_bytes() == bytes(data)
    assert 0 < result.unreadable < 200 and result.recovered + result.unreadable == 200
    assert check(SqliteState(tmp_path)).ok
    rebuilt = SqliteState(tmp_path)
    rows = rebuilt.entries(limit=None)
    rebuilt.close()
    assert len(rows) == result.recovered
    assert all(e.state is JournalState.CREATED and e.task_id for e in rows)


def pages_of_rows(data: bytearray, size: int) -> list[int]:
    """The pages holding rows of the table: b-tree leaves of a table (type 13) with a row's
    padding in them (not an index's pages)."""
    return [
        n
        for n in range(1, len(data) // size)
        if data[n * size] == 13 and b"x" * 100 in data[n * size : (n + 1) * size]
    ]


def test_a_damaged_index_is_found_and_every_row_rebuilt(tmp_path: Path):
    path, data = padded_journal(tmp_path)
    page = 4096
    rows = set(pages_of_rows(data, page))
    other = next(n for n in range(2, len(data) // page) if n not in rows and data[n * page] == 10)
    data[other * page : (other + 1) * page] = b"\xff" * page  # an index leaf, no row lost
    path.write_bytes(bytes(data))
    assert "malformed" in (check(SqliteState(tmp_path)).damaged or "")  # though every row reads

    result = repair(SqliteState(tmp_path))

    assert (result.recovered, result.unreadable) == (200, 0)
    assert check(SqliteState(tmp_path)).ok


def test_a_file_with_nothing_readable_is_rebuilt_empty(tmp_path: Path):
    journal = SqliteState(tmp_path)
    begin(journal, 1)
    journal.close()
    path = tmp_path / JOURNAL_FILE
    path.write_bytes(b"\x00" * 16 + path.read_bytes()[16:])  # a broken header
    result = repair(SqliteState(tmp_path))
    assert result.backup is not None
    assert (result.recovered, result.unreadable) == (0, 0)
    assert check(SqliteState(tmp_path)).ok
