"""The identity nonce of a create, and the verdict on a task that could be a lost create's."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from seedance.domain.clock import FakeClock
from seedance.domain.errors import Suggestion
from seedance.domain.models import Task, TaskStatus
from seedance.providers.base import TaskPage
from seedance.services.state.sqlite import JournalState, NoncePicker, SqliteState
from seedance.services.videos.identity import (
    CATCH_UP,
    DEFAULT_EXPIRES,
    LostCreate,
    Verdict,
    nonce_picker,
    verdict,
)

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


SENT = {
    "profile": "p",
    "dialect": "ark",
    "base_url": "https://x",
    "body": BODY,
    "request_hash": "h",
    "model": "m",
    "resolution": "720p",
    "duration": 5,
    "prompt": "a boat",
    "output_path": None,
}


def sent(journal: SqliteState, at: float = 1000.0, nonce: NoncePicker | None = None) -> int:
    """A create of 720p, 5 s, journaled as it is sent."""
    return journal.begin(**SENT, at=at, nonce=nonce)  # type: ignore[arg-type]


def entry_with(journal: SqliteState, nonce: int | None):
    row = sent(journal, nonce=(lambda _taken: nonce) if nonce is not None else None)
    entry = journal.entry(row)
    assert entry is not None
    return entry


def task(**fields: object) -> Task:
    return Task(id="cgt-1", model="m", created_at=datetime.fromtimestamp(1000, UTC), **fields)  # type: ignore[arg-type]


def test_only_the_nonce_says_a_task_is_ours_and_settings_only_rule_out(tmp_path: Path):
    journal = SqliteState(tmp_path)
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
    journal = SqliteState(tmp_path)
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


EP = "ep-20260101-abc"


def test_lost_create_by_endpoint_id_told_by_its_nonce_whatever_model_the_task_names(
    tmp_path: Path,
):
    """A task sent to an endpoint id may name the model the endpoint serves: the nonce
    decides; only another endpoint id rules it out on its model."""
    journal = SqliteState(tmp_path)
    row = journal.begin(**{**SENT, "model": EP}, at=1000.0, nonce=lambda _taken: 172361)
    mine = journal.entry(row)
    assert mine is not None
    served = task(status=TaskStatus.SUCCEEDED, expires_after=172361)  # model "m"
    assert verdict(served, mine) is Verdict.OURS
    assert verdict(task(status=TaskStatus.QUEUED), mine) is Verdict.UNDETERMINED
    other = served.model_copy(update={"model": "ep-20260101-xyz"})
    assert verdict(other, mine) is Verdict.NOT_OURS
    assert verdict(served, entry_with(journal, 172361)) is Verdict.OURS  # model "m" asked
    journal.close()


# -- the search for a lost create, against a task list that says what a test wants -----------


class Listing:
    """A provider whose task list shows what `shows()` returns and sends its clock (`behind`
    seconds behind ours), and which counts its looks."""

    capabilities = SimpleNamespace(finds_lost_creates=True)

    def __init__(
        self, clock: FakeClock, shows: Callable[[], list[Task]], *, behind: float = 0.0
    ) -> None:
        self.clock, self.shows, self.behind = clock, shows, behind
        self.looks = 0
        self.models: list[str | None] = []

    def list(self, *, model: str | None = None, **_: object) -> TaskPage:
        self.looks += 1
        self.models.append(model)
        items = self.shows()
        return TaskPage(items, len(items), self.clock.time() - self.behind)

    def get(self, task_id: str) -> Task:
        return next(t for t in self.shows() if t.id == task_id)


def search(tmp_path: Path, clock: FakeClock, provider: Listing, model: str = "m") -> LostCreate:
    journal = SqliteState(tmp_path)
    row = journal.begin(**{**SENT, "model": model}, at=clock.time(), nonce=lambda _t: 172361)  # type: ignore[arg-type]
    entry = journal.entry(row)
    assert entry is not None
    return LostCreate(provider, journal, clock, entry, again=Suggestion.again(new=True))  # type: ignore[arg-type]


def made_at(at: float, **fields: object) -> Task:
    """A task of model "m" made at `at` (the server's clock)."""
    return Task(id=f"cgt-{at:.0f}", model="m", created_at=datetime.fromtimestamp(at, UTC), **fields)  # type: ignore[arg-type]


def test_lost_create_never_arrived_only_once_the_task_list_had_a_minute(tmp_path: Path):
    clock = FakeClock()
    lister = Listing(clock, list)
    start = clock.time()
    lost = search(tmp_path, clock, lister)
    assert lost.find(deadline=None, keep_watching=False, just_lost=True) is None
    assert clock.time() - start >= CATCH_UP  # two empty looks 10 s apart were not enough
    assert lister.looks <= 6  # further and further apart


def test_lost_create_never_arrived_sooner_when_the_list_shows_a_later_task(tmp_path: Path):
    """Someone else's task (another nonce), made after the answer was lost, shows the list is
    current: then two empty looks 10 s apart say the create never arrived."""
    clock = FakeClock()
    behind = 3 * 3600.0  # the server's clock: tasks' times and the list's Date
    start = clock.time()
    later = made_at(start + 8 - behind, status=TaskStatus.SUCCEEDED, expires_after=172999)

    def shows() -> list[Task]:
        return [later] if clock.time() >= start + 8 else []

    lister = Listing(clock, shows, behind=behind)
    lost = search(tmp_path, clock, lister)
    assert lost.find(deadline=None, keep_watching=False, just_lost=True) is None
    assert clock.time() - start < CATCH_UP


def test_lost_create_found_with_our_clock_hours_ahead_of_the_servers(tmp_path: Path):
    clock = FakeClock()
    behind = 2 * 3600.0
    ours = made_at(clock.time() + 1 - behind, status=TaskStatus.SUCCEEDED, expires_after=172361)
    lister = Listing(clock, lambda: [ours], behind=behind)
    found = search(tmp_path, clock, lister).find(deadline=None, keep_watching=False)
    assert found is not None and found.id == ours.id


def test_lost_create_by_endpoint_id_is_listed_whatever_model_its_task_names(tmp_path: Path):
    clock = FakeClock()
    ours = made_at(clock.time() + 1, status=TaskStatus.SUCCEEDED, expires_after=172361)
    lister = Listing(clock, lambda: [ours])  # the task names model "m"
    found = search(tmp_path, clock, lister, model=EP).find(deadline=None, keep_watching=False)
    assert found is not None and lister.models == [None]
