"""A journal written by version 1 keeps working: upgraded in place on first use, with a backup.

The files in fixtures/v1 were written by version 1's own code (fixtures/v1/make_fixtures.py):
`journal.sqlite3` by the tree at a38ea06, `journal-before-saved-path.sqlite3` by the one before
be1eaa1, which had no `saved_path` column yet.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from seedance.domain.models import TaskStatus
from seedance.services.state.sqlite import (
    JOURNAL_FILE,
    SCHEMA_VERSION,
    JournalState,
    SqliteState,
)
from support import World

FIXTURES = Path(__file__).parent / "fixtures" / "v1"
T0 = 1_781_181_681.0

# row -> (state, task id, status) as version 1 left them
V1_ROWS = {
    1: (JournalState.SENDING, None, None),
    2: (JournalState.CREATED, "cgt-queued", TaskStatus.QUEUED),
    3: (JournalState.CREATED, "video_running", TaskStatus.RUNNING),
    4: (JournalState.CREATED, "cgt-saved", TaskStatus.SUCCEEDED),
    5: (JournalState.CREATED, "cgt-unsaved", TaskStatus.SUCCEEDED),
    6: (JournalState.CREATED, "cgt-failed", TaskStatus.FAILED),
    7: (JournalState.CREATED, "cgt-cancelled", TaskStatus.CANCELLED),
    8: (JournalState.CREATED, "task_expired", TaskStatus.EXPIRED),
    9: (JournalState.UNKNOWN, None, None),
    10: (JournalState.REJECTED, None, None),
    11: (JournalState.CREATED, "cgt-adopted", None),
}


def v1_data_dir(tmp_path: Path, fixture: str = "journal.sqlite3") -> Path:
    data = tmp_path / "data"
    data.mkdir(parents=True)
    shutil.copy(FIXTURES / fixture, data / JOURNAL_FILE)
    (data / JOURNAL_FILE).chmod(0o600)
    return data


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


def columns(path: Path) -> list[tuple[str, str, int, int]]:
    """name, type, not null, primary key: the table's shape."""
    with sqlite3.connect(path) as db:
        return [(r[1], r[2], r[3], r[5]) for r in db.execute("PRAGMA table_info(creates)")]


FILES = ["journal.sqlite3", "journal-before-saved-path.sqlite3"]


@pytest.mark.parametrize("fixture", FILES)
def test_a_v1_journal_reads_every_row_after_its_upgrade(tmp_path: Path, fixture: str) -> None:
    data = v1_data_dir(tmp_path, fixture)
    assert user_version(data / JOURNAL_FILE) == 0  # version 1 wrote no version

    journal = SqliteState(data)
    entries = journal.entries(limit=None)
    journal.close()

    assert {e.row: (e.state, e.task_id, e.status) for e in entries} == V1_ROWS
    for entry in entries:
        assert type(entry.state) is JournalState
        assert entry.status is None or type(entry.status) is TaskStatus
        assert entry.body["content"][0]["text"] == f"shot {entry.row}"
        assert entry.created_at == T0 + entry.row
    by_row = {e.row: e for e in entries}
    saved = by_row[4]
    assert (saved.output_path, saved.sha256, saved.bytes, saved.downloaded_at) == (
        "/films/boat.mp4",
        "ab" * 32,
        1234,
        T0 + 95,
    )
    assert (saved.tokens, saved.finished_at) == (108900, T0 + 90)
    assert by_row[6].error.startswith("OutputVideoSensitiveContentDetected")
    assert by_row[9].error == "the answer was lost"
    assert user_version(data / JOURNAL_FILE) == SCHEMA_VERSION


def test_the_upgrade_keeps_a_backup_of_the_v1_file(tmp_path: Path) -> None:
    data = v1_data_dir(tmp_path, "journal-before-saved-path.sqlite3")
    original = (data / JOURNAL_FILE).read_bytes()

    journal = SqliteState(data)
    journal.entries()
    journal.close()

    backup = data / f"{JOURNAL_FILE}.v1.bak"
    assert backup == journal.backup_path(0)
    assert backup.read_bytes() == original
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert "saved_path" not in [c[0] for c in columns(backup)]
    assert sorted(p.name for p in data.iterdir()) == [JOURNAL_FILE, backup.name]


def test_an_upgraded_journal_has_the_shape_of_a_new_one(tmp_path: Path) -> None:
    """The same columns, types and constraints as a file made now: nothing was reshaped."""
    for fixture in FILES:
        data = v1_data_dir(tmp_path / fixture, fixture)
        SqliteState(data).entries()
        new = SqliteState(tmp_path / fixture / "new")
        new.begin(**BEGIN)
        new.close()
        assert columns(data / JOURNAL_FILE) == columns(new.path)
        assert user_version(new.path) == SCHEMA_VERSION
        assert not new.backup_path(0).exists()  # a new file has nothing to keep


BODY = {"model": "dreamina-seedance-2-0-260128", "content": [{"type": "text", "text": "new"}]}
BEGIN = {
    "profile": "intl",
    "dialect": "ark",
    "base_url": "https://ark.ap-southeast.bytepluses.com/api/v3",
    "body": BODY,
    "request_hash": "f" * 64,
    "model": BODY["model"],
    "resolution": "720p",
    "duration": 5,
    "prompt": "new",
    "output_path": "/films/new.mp4",
    "at": T0 + 1000,
}


@pytest.mark.parametrize("fixture", FILES)
def test_new_writes_to_an_upgraded_journal_work(tmp_path: Path, fixture: str) -> None:
    data = v1_data_dir(tmp_path, fixture)
    journal = SqliteState(data)

    row = journal.begin(**BEGIN)
    journal.created(row, "cgt-new", T0 + 1001)
    journal.observe("cgt-new", status=TaskStatus.SUCCEEDED, at=T0 + 1060, tokens=7, error=None)
    journal.saving("cgt-new", path="/films/new.mp4", sha256="ef" * 32, size=10)
    journal.downloaded("cgt-new", path="/films/new.mp4", sha256="ef" * 32, size=10, at=T0 + 1061)
    journal.observe("cgt-queued", status=TaskStatus.RUNNING, at=T0 + 1070, tokens=None, error=None)
    journal.adopt(9, "cgt-lost-found", T0 + 1080)

    entry = journal.find("cgt-new")
    assert entry is not None and entry.row == max(V1_ROWS) + 1
    assert (entry.state, entry.status, entry.saved_path) == (
        JournalState.CREATED,
        TaskStatus.SUCCEEDED,
        "/films/new.mp4",
    )
    assert entry.finished_at == T0 + 1060
    queued = journal.find("cgt-queued")
    assert queued is not None and queued.status is TaskStatus.RUNNING
    lost = journal.find("cgt-lost-found")
    assert lost is not None and (lost.row, lost.state) == (9, JournalState.CREATED)
    assert len(journal.entries(limit=None)) == len(V1_ROWS) + 1
    journal.close()


def test_a_v1_journal_still_answers_the_questions_a_rerun_asks(tmp_path: Path) -> None:
    """The unfinished creates of version 1 are found again, so a re-run never sends them twice."""
    journal = SqliteState(v1_data_dir(tmp_path))

    sending = journal.latest_for("intl", f"{1:064x}", "/films/sending.mp4")
    lost = journal.latest_for("intl", f"{9:064x}", "/films/lost.mp4")
    saved = journal.latest_for("intl", f"{4:064x}", "/films/boat.mp4")
    rejected = journal.latest_for("intl", f"{10:064x}", None)
    unsaved = journal.latest_for("intl", f"{5:064x}", "/films", states=(JournalState.CREATED,))

    assert sending is not None and sending.row == 1
    assert lost is not None and lost.state is JournalState.UNKNOWN
    assert saved is not None and saved.downloaded_at == T0 + 95
    assert rejected is None
    assert unsaved is not None and unsaved.saved_path == "/films/cgt-unsaved.mp4"
    assert journal.entries(status=TaskStatus.FAILED)[0].task_id == "cgt-failed"
    assert journal.entries(profile="kapon")[0].task_id == "video_running"
    journal.close()


def test_an_upgraded_journal_is_upgraded_once(tmp_path: Path) -> None:
    data = v1_data_dir(tmp_path)
    SqliteState(data).entries()
    backup = data / f"{JOURNAL_FILE}.v1.bak"
    backup.unlink()

    again = SqliteState(data)
    again.entries()
    again.close()

    assert not backup.exists()


def test_two_handles_opening_a_v1_journal_at_once_upgrade_it_once(tmp_path: Path) -> None:
    data = v1_data_dir(tmp_path, "journal-before-saved-path.sqlite3")
    original = (data / JOURNAL_FILE).read_bytes()
    start = threading.Barrier(8)
    counts: list[int] = []
    failures: list[BaseException] = []

    def open_it() -> None:
        journal = SqliteState(data)
        start.wait(timeout=10)
        try:
            counts.append(len(journal.entries(limit=None)))
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            journal.close()

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == [] and counts == [len(V1_ROWS)] * 8
    assert (data / f"{JOURNAL_FILE}.v1.bak").read_bytes() == original
    assert "saved_path" in [c[0] for c in columns(data / JOURNAL_FILE)]


def test_a_v1_journal_that_cannot_be_backed_up_is_read_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only data folder, say: version 1 read such a file, so this version does too."""
    data = v1_data_dir(tmp_path)
    original = (data / JOURNAL_FILE).read_bytes()

    def no_room(self: SqliteState, version: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(SqliteState, "_back_up", no_room)
    journal = SqliteState(data)

    assert len(journal.entries(limit=None)) == len(V1_ROWS)
    journal.close()
    assert (data / JOURNAL_FILE).read_bytes() == original  # left exactly as it was
    assert user_version(data / JOURNAL_FILE) == 0


def test_a_journal_lacking_columns_is_not_changed_without_a_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = v1_data_dir(tmp_path, "journal-before-saved-path.sqlite3")
    original = (data / JOURNAL_FILE).read_bytes()

    def no_room(self: SqliteState, version: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(SqliteState, "_back_up", no_room)
    journal = SqliteState(data)

    with pytest.raises(OSError, match="No space left"):
        journal.entries()
    journal.close()
    assert (data / JOURNAL_FILE).read_bytes() == original


def test_words_a_newer_version_wrote_read_as_unknown(tmp_path: Path) -> None:
    """Never a reason to fail: an unknown state is the cautious one (the create may exist)."""
    data = v1_data_dir(tmp_path)
    SqliteState(data).entries()
    with sqlite3.connect(data / JOURNAL_FILE) as db:
        db.execute("UPDATE creates SET state = 'parked', status = 'paused' WHERE row = 2")

    journal = SqliteState(data)
    entry = journal.find("cgt-queued")
    journal.close()

    assert entry is not None
    assert (entry.state, entry.status) == (JournalState.UNKNOWN, TaskStatus.UNKNOWN)


def test_tasks_list_local_shows_a_v1_journal(world: World) -> None:
    world.data_dir.mkdir(parents=True)
    shutil.copy(FIXTURES / "journal.sqlite3", world.data_dir / JOURNAL_FILE)
    (world.data_dir / JOURNAL_FILE).chmod(0o600)

    listed = world.run("tasks", "list", "--local", "--json")
    failed = world.run("tasks", "list", "--local", "--status", "failed", "--json")

    assert listed.exit_code == 0, listed.stderr
    rows = {e["row"]: (e["state"], e["task_id"], e["status"]) for e in json.loads(listed.stdout)}
    assert rows == {row: (s.value, t, u and u.value) for row, (s, t, u) in V1_ROWS.items()}
    assert failed.exit_code == 0, failed.stderr
    assert [e["task_id"] for e in json.loads(failed.stdout)] == ["cgt-failed"]
    assert (world.data_dir / f"{JOURNAL_FILE}.v1.bak").exists()
