"""The journal as the ledger (issue 16): version 4's columns, its upgrade from version 3, what
a create counts against a budget, and indexed lookups for the account's slots and spend."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from seedance.domain.errors import UsageError
from seedance.domain.models import TaskStatus
from seedance.services.account.spend import parse_since
from seedance.services.state.sqlite import (
    JOURNAL_FILE,
    OPEN,
    SCHEMA_VERSION,
    SqliteState,
)
from support import as_version_3

T0 = 1_781_181_681.0  # 2026-06-11 12:41:21 UTC
ACCOUNT = "a" * 20


def begin(journal: SqliteState, n: int, **ledger: Any) -> int:
    return journal.begin(
        profile="intl",
        dialect="ark",
        base_url="https://ark.example/api/v3",
        body={"model": "m", "content": [{"type": "text", "text": f"shot {n}"}]},
        request_hash=f"{n:064d}",
        model="m",
        resolution="720p",
        duration=5,
        prompt=f"shot {n}",
        output_path=None,
        at=T0 + n,
        ledger={
            "account": ACCOUNT,
            "estimated_tokens": 100_000,
            "price": 7.0,
            "currency": "USD",
            **ledger,
        },
    )


def test_what_each_create_counts_against_a_budget(tmp_path: Path) -> None:
    journal = SqliteState(tmp_path)
    sending = begin(journal, 1)  # reserved: its estimate
    refused = begin(journal, 2)
    journal.rejected(refused, "400", T0)  # refused: nothing
    billed = begin(journal, 3)
    journal.created(billed, "cgt-billed", T0)
    journal.observe("cgt-billed", status=TaskStatus.SUCCEEDED, at=T0, tokens=50_000, error=None)
    failed = begin(journal, 4)
    journal.created(failed, "cgt-failed", T0)
    journal.observe("cgt-failed", status=TaskStatus.FAILED, at=T0, tokens=None, error="x")
    other = begin(journal, 5, currency="CNY")  # another currency: not added
    assert journal.charged(ACCOUNT, "USD", T0) == pytest.approx((100_000 + 50_000) * 7 / 1e6)
    assert journal.charged(ACCOUNT, "USD", T0 + 2) == pytest.approx(50_000 * 7 / 1e6)
    assert journal.charged("b" * 20, "USD", T0) == 0.0
    assert [e.row for e in journal.open_creates(ACCOUNT, T0)] == [other, sending]
    journal.gone("cgt-billed", T0 + 99)  # a finished one keeps when it finished
    assert journal.find("cgt-billed").finished_at == T0
    [line] = [x for x in journal.ledger("model", since=T0) if x.currency == "USD"]
    assert (line.creates, line.tokens, line.unfinished) == (3, 50_000, 1)
    assert line.billed == pytest.approx(0.35) and line.estimated == pytest.approx(2.1)


def v3_file(data: Path) -> Path:
    """A journal as version 3 made it: no ledger columns, user_version 3, one row."""
    journal = SqliteState(data / "new")
    begin(journal, 1)
    journal.close()
    path = data / JOURNAL_FILE
    path.write_bytes(journal.path.read_bytes())
    path.chmod(0o600)
    with sqlite3.connect(path) as db:
        as_version_3(db)
    return path


def test_a_version_3_journal_is_upgraded_with_a_backup(tmp_path: Path) -> None:
    path = v3_file(tmp_path)
    original = path.read_bytes()
    journal = SqliteState(tmp_path)
    [entry] = journal.entries(limit=None)
    assert entry.prompt == "shot 1" and entry.account is None and entry.price is None
    assert journal.open_creates(ACCOUNT, 0) == []  # made before the ledger: no account
    begin(journal, 2)
    assert journal.charged(ACCOUNT, "USD", 0) == pytest.approx(0.7)
    journal.close()
    assert (tmp_path / f"{JOURNAL_FILE}.v3.bak").read_bytes() == original
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7


def test_a_version_3_journal_without_room_for_its_backup_says_why_it_has_no_ledger(
    tmp_path: Path,
) -> None:
    v3_file(tmp_path)
    blocked = tmp_path / f"{JOURNAL_FILE}.v3.bak.tmp"
    blocked.mkdir()  # stands for a full disk
    journal = SqliteState(tmp_path)
    assert not journal.has_ledger() and "Is a directory" in (journal.not_upgraded or "")
    journal.close()
    blocked.rmdir()
    journal = SqliteState(tmp_path)
    assert journal.has_ledger() and journal.not_upgraded is None
    journal.close()


def test_the_ledgers_lookups_use_indexes(tmp_path: Path) -> None:
    """At 100,000 rows a scan of the table is what makes a create wait: none here scans."""
    journal = SqliteState(tmp_path)
    begin(journal, 1)
    journal.close()
    queries = [
        (f"SELECT * FROM creates WHERE account = ? AND created_at >= ? AND {OPEN}", (ACCOUNT, 0)),
        (
            "SELECT SUM(tokens) FROM creates WHERE account = ? AND currency = ? "
            "AND created_at >= ? AND state != 'rejected'",
            (ACCOUNT, "USD", 0),
        ),
        ("SELECT model FROM creates WHERE created_at >= ? AND state != 'rejected'", (0,)),
    ]
    with sqlite3.connect(journal.path) as db:
        for sql, args in queries:
            plan = " ".join(str(r[-1]) for r in db.execute("EXPLAIN QUERY PLAN " + sql, args))
            assert "USING INDEX" in plan, (sql, plan)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", T0 - 7 * 86400),
        ("12h", T0 - 12 * 3600),
        ("2w", T0 - 14 * 86400),
        ("2026-06-01", 1_780_272_000.0),
        (None, T0 - 30 * 86400),
    ],
)
def test_since_is_a_day_or_a_time_ago(text: str | None, expected: float) -> None:
    assert parse_since(text, T0) == expected


def test_since_refuses_anything_else() -> None:
    with pytest.raises(UsageError, match="neither a day"):
        parse_since("last week", T0)


def test_spend_totals_are_numbers_with_an_unpriced_create_in_the_ledger(tmp_path: Path) -> None:
    """Issue 28: the README's `round(t["billed"], 2) for t in spend().totals()` crashed on
    the None an unpriced create (a gateway's model with no price) made of its total."""
    from seedance.services.account.spend import spend

    journal = SqliteState(tmp_path)
    priced = begin(journal, 1)
    journal.created(priced, "cgt-priced", T0)
    journal.observe("cgt-priced", status=TaskStatus.SUCCEEDED, at=T0, tokens=7_338_557, error=None)
    unpriced = begin(journal, 2, price=None, currency=None)
    journal.created(unpriced, "cgt-unpriced", T0)
    journal.observe("cgt-unpriced", status=TaskStatus.SUCCEEDED, at=T0, tokens=90_000, error=None)
    report = spend(journal, since="1d", now=T0 + 60)
    assert [(t["currency"], round(t["billed"], 2)) for t in report.totals()] == [("USD", 51.37)]
    assert report.unpriced() == {"creates": 1, "estimated_tokens": 100_000, "tokens": 90_000}
    document = report.to_json()
    assert document["totals"][0]["billed"] == 51.37  # to the cent: no 51.369899000000004
    assert document["totals"][0]["estimated"] == 0.7
    assert document["unpriced"]["creates"] == 1
    assert all(v is not None for t in document["totals"] for v in t.values())
