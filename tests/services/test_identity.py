"""The identity nonce of a create, and the verdict on a task that could be a lost create's."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seedance.domain.models import Task, TaskStatus
from seedance.services.identity import DEFAULT_EXPIRES, Verdict, nonce_picker, verdict
from seedance.services.journal import Journal, JournalState, NoncePicker

BODY = {"model": "m", "content": [{"type": "text", "text": "a boat"}]}


@pytest.mark.parametrize("requested", [None, 3600, 3661, 7200, 86400, 259200])
def test_a_nonce_is_near_what_it_stands_for_in_range_and_never_a_round_minute(requested):
    pick = nonce_picker(requested, random.Random(1))
    base = requested or DEFAULT_EXPIRES
    shift = min(1800, max(60, base // 20))
    for _ in range(200):
        nonce = pick(set())
        assert 3600 <= nonce <= 259200
        assert abs(nonce - base) <= shift and nonce % 60
        assert nonce != base


def test_a_nonce_in_use_is_never_picked_and_a_full_range_widens():
    base = 3600
    pick = nonce_picker(base, random.Random(2))
    near = {v for v in range(3600, 3600 + 181)}
    nonce = pick(near)
    assert nonce not in near and nonce > 3600 + 180 and nonce % 60


def sent(journal: Journal, at: float = 1000.0, nonce: NoncePicker | None = None) -> int:
    """A create of 720p, 5 s, journaled as it is sent."""
    return journal.begin(
        profile="p",
        dialect="ark",
        base_url="https://x",
        body=BODY,
        request_hash="h",
        model="m",
        resolution="720p",
        duration=5,
        prompt="a boat",
        output_path=None,
        at=at,
        nonce=nonce,
    )


def entry_with(journal: Journal, nonce: int | None):
    row = sent(journal, nonce=(lambda _taken: nonce) if nonce is not None else None)
    entry = journal.entry(row)
    assert entry is not None
    return entry


def task(**fields: object) -> Task:
    return Task(id="cgt-1", model="m", created_at=datetime.fromtimestamp(1000, UTC), **fields)  # type: ignore[arg-type]


def test_only_the_nonce_says_a_task_is_ours_and_settings_only_rule_out(tmp_path: Path):
    journal = Journal(tmp_path)
    mine = entry_with(journal, 172361)
    assert verdict(task(status=TaskStatus.SUCCEEDED, expires_after=172361), mine) is Verdict.OURS
    assert verdict(task(expires_after=172362), mine) is Verdict.NOT_OURS
    queued = task(status=TaskStatus.QUEUED)  # queued tasks echo no settings at all
    assert verdict(queued, mine) is Verdict.UNDETERMINED
    assert verdict(task(resolution="1080p"), mine) is Verdict.NOT_OURS
    assert verdict(task(resolution="1080p", expires_after=172361), mine) is Verdict.NOT_OURS
    assert verdict(task(duration=10), mine) is Verdict.NOT_OURS
    old = entry_with(journal, None)  # a create sent before nonces: never adopted on settings
    assert verdict(task(status=TaskStatus.SUCCEEDED, expires_after=172800), old) is (
        Verdict.UNDETERMINED
    )
    journal.close()


def test_nonces_of_open_creates_are_kept_apart(tmp_path: Path):
    journal = Journal(tmp_path)
    seen: list[set[int]] = []

    def pick(taken: set[int]) -> int:
        seen.append(set(taken))
        return 172000 + len(seen)

    rows = [sent(journal, 1000.0 + n, pick) for n in range(3)]
    journal.created(rows[0], "cgt-known", 1001.0)  # its task is known: its nonce is free again
    sent(journal, 1010.0, pick)
    assert seen == [set(), {172001}, {172001, 172002}, {172002, 172003}]
    assert [journal.entry(r).nonce for r in rows] == [172001, 172002, 172003]  # type: ignore[union-attr]
    assert journal.entry(rows[1]).state is JournalState.SENDING  # type: ignore[union-attr]
    journal.close()
