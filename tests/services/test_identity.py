"""The identity nonce of a create, and the verdict on a task that could be a lost create's."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from seedance.domain.clock import FakeClock
from seedance.domain.errors import OutcomeUnknownError, Suggestion
from seedance.domain.models import GenerationRequest, Task, TaskStatus
from seedance.providers.base import TaskPage
from seedance.services.state import Who
from seedance.services.state.sqlite import JournalState, NoncePicker, SqliteState
from seedance.services.videos.identity import (
    CATCH_UP,
    CROWD,
    DEFAULT_EXPIRES,
    FALSE_ADOPTION,
    MATCH_BOUND,
    SEED_SPACE,
    LostCreate,
    Verdict,
    identity_picker,
    nonce_values,
    verdict,
)

BODY = {"model": "m", "content": [{"type": "text", "text": "a boat"}]}
OURS = "seedance-" + "0123456789abcdef" * 2  # the safety identifier our create drew
OTHER = "seedance-" + "fedcba9876543210" * 2  # another create's


@pytest.mark.parametrize("requested", [None, 3600, 3661, 7200, 86400, 259200])
def test_a_nonce_is_near_what_it_stands_for_in_range_and_never_a_round_minute(requested):
    base = requested or DEFAULT_EXPIRES
    shift = min(3600, max(60, base // 20))
    values = nonce_values(requested, set())
    assert values and all(3600 <= v <= 259200 for v in values)
    assert all(abs(v - base) <= shift and v % 60 and v != base for v in values)
    pick = identity_picker(GenerationRequest(model="m", expires_after=requested), random.Random(1))
    for _ in range(200):
        drawn = pick(set())
        assert drawn["nonce"] in values and drawn["nonce_space"] == len(values)


def test_the_default_nonce_is_drawn_from_7080_values():
    """An hour either side of 172800, round minutes left out: the bound in ARCHITECTURE.md."""
    assert len(nonce_values(None, set())) == 7080


def test_a_nonce_in_use_is_never_picked_and_a_full_range_widens():
    base = 3600
    near = {v for v in range(3600, 3600 + 181)}
    values = nonce_values(base, near)
    assert values and all(v not in near and v > 3600 + 180 and v % 60 for v in values)


def test_a_seed_and_a_safety_identifier_are_drawn_only_where_the_request_has_none():
    rng = random.Random(3)
    drawn = identity_picker(GenerationRequest(model="m"), rng)(set())
    assert isinstance(drawn["seed_nonce"], int) and 0 <= drawn["seed_nonce"] < SEED_SPACE
    assert isinstance(drawn["safety_nonce"], str) and len(drawn["safety_nonce"]) == 41
    own = GenerationRequest(model="m", seed=7, safety_id="user-hash-001")
    assert identity_picker(own, rng)(set())["seed_nonce"] is None  # the user's seed is theirs
    assert identity_picker(own, rng)(set())["safety_nonce"] is None
    final = GenerationRequest(model="m", draft_task="cgt-draft")  # takes the draft's seed
    assert identity_picker(final, rng)(set())["seed_nonce"] is None
    random_seed = GenerationRequest(model="m", seed=-1)  # -1, "the server's choice": theirs
    assert identity_picker(random_seed, rng)(set())["seed_nonce"] is None


def test_the_bound_one_in_a_billion_over_the_most_tasks_a_search_compares():
    assert pytest.approx(FALSE_ADOPTION) == CROWD * MATCH_BOUND and FALSE_ADOPTION == 1e-9
    assert 1 / (7080 * SEED_SPACE) < MATCH_BOUND  # the default nonce and a drawn seed: enough
    assert 1 / (3540 * SEED_SPACE) > MATCH_BOUND  # half of them (--expires-after 259200): not


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


def drawn(
    nonce: int = 172361, space: int = 7080, seed: int | None = 99, safety: str | None = OURS
) -> NoncePicker:
    """A picker that draws these values."""
    values = {"nonce": nonce, "nonce_space": space, "seed_nonce": seed, "safety_nonce": safety}
    return lambda _taken: values


def sent(journal: SqliteState, at: float = 1000.0, nonce: NoncePicker | None = None) -> int:
    """A create of 720p, 5 s, journaled as it is sent."""
    return journal.begin(**SENT, at=at, nonce=nonce)  # type: ignore[arg-type]


def entry_with(journal: SqliteState, nonce: NoncePicker | None, body: dict | None = None):
    row = journal.begin(**{**SENT, "body": body or BODY}, at=1000.0, nonce=nonce)  # type: ignore[arg-type]
    entry = journal.entry(row)
    assert entry is not None
    return entry


def task(**fields: object) -> Task:
    return Task(id="cgt-1", model="m", created_at=datetime.fromtimestamp(1000, UTC), **fields)  # type: ignore[arg-type]


def ended(**fields: object) -> Task:
    return task(status=TaskStatus.SUCCEEDED, **fields)


def test_a_task_is_ours_only_when_what_it_echoes_proves_it(tmp_path: Path):
    journal = SqliteState(tmp_path)
    mine = entry_with(journal, drawn())
    assert verdict(ended(expires_after=172361, safety_id=OURS, seed=99), mine) is Verdict.OURS
    assert verdict(ended(expires_after=172361, safety_id=OURS), mine) is Verdict.OURS
    assert verdict(ended(expires_after=172361, seed=99), mine) is Verdict.OURS  # 7080 × 2^31
    # the queue-expiry nonce alone is one of 7080: another client's task may carry it
    failed = task(status=TaskStatus.FAILED, expires_after=172361)
    assert verdict(failed, mine) is Verdict.UNPROVEN
    assert verdict(ended(expires_after=172362, safety_id=OURS), mine) is Verdict.NOT_OURS
    assert verdict(ended(expires_after=172361, safety_id=OTHER), mine) is Verdict.NOT_OURS
    # a seed that differs proves nothing: the server may have ignored the one requested
    assert verdict(ended(expires_after=172361, seed=100), mine) is Verdict.UNPROVEN
    ignored = ended(expires_after=172361, seed=100, safety_id=OURS)
    assert verdict(ignored, mine) is Verdict.OURS  # nor does it weaken what does prove it
    rewritten = ended(expires_after=172361, safety_id="user-hash-001", seed=99)
    assert verdict(rewritten, mine) is Verdict.OURS  # a gateway's rewrite: E and S prove it
    rewritten = rewritten.model_copy(update={"seed": 100})
    assert verdict(rewritten, mine) is Verdict.UNPROVEN  # ... and proves nothing itself
    queued = task(status=TaskStatus.QUEUED)  # queued tasks echo no settings at all
    assert verdict(queued, mine) is Verdict.UNDETERMINED
    assert verdict(task(status=TaskStatus.RUNNING, expires_after=172361), mine) is (
        Verdict.UNDETERMINED
    )
    assert verdict(task(resolution="1080p"), mine) is Verdict.NOT_OURS
    assert verdict(ended(resolution="1080p", expires_after=172361, safety_id=OURS), mine) is (
        Verdict.NOT_OURS
    )
    assert verdict(task(duration=10), mine) is Verdict.NOT_OURS
    journal.close()


def test_values_the_user_chose_prove_nothing(tmp_path: Path):
    """The user's own seed and safety identifier may be a teammate's too: only the nonce
    (one of 7080) is left, never enough; a short queue expiry leaves fewer nonces still."""
    journal = SqliteState(tmp_path)
    body = {**BODY, "seed": 42, "safety_identifier": "user-hash-001"}
    theirs = entry_with(journal, drawn(seed=None, safety=None), body)
    echo = ended(expires_after=172361, seed=42, safety_id="user-hash-001")
    assert verdict(echo, theirs) is Verdict.UNPROVEN
    assert verdict(ended(expires_after=172361, seed=42, safety_id=OTHER), theirs) is (
        Verdict.NOT_OURS
    )
    short = entry_with(journal, drawn(space=708, safety=None))  # --expires-after 7200
    assert verdict(ended(expires_after=172361, seed=99), short) is Verdict.UNPROVEN
    journal.close()


def test_a_create_sent_before_its_identity_was_kept_is_never_adopted(tmp_path: Path):
    journal = SqliteState(tmp_path)
    old = entry_with(journal, None)
    assert verdict(ended(expires_after=172800), old) is Verdict.UNPROVEN
    assert verdict(task(status=TaskStatus.QUEUED), old) is Verdict.UNDETERMINED
    nonce_only = entry_with(journal, lambda _t: {"nonce": 172361})  # a version-5 row
    assert verdict(ended(expires_after=172361, seed=1), nonce_only) is Verdict.UNPROVEN
    journal.close()


def test_nonces_of_open_creates_are_kept_apart(tmp_path: Path):
    journal = SqliteState(tmp_path)
    seen: list[set[int]] = []

    def pick(taken: set[int]) -> dict[str, object]:
        seen.append(set(taken))
        return {"nonce": 172000 + len(seen)}

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
    row = journal.begin(**{**SENT, "model": EP}, at=1000.0, nonce=drawn())
    mine = journal.entry(row)
    assert mine is not None
    served = ended(expires_after=172361, safety_id=OURS)  # model "m"
    assert verdict(served, mine) is Verdict.OURS
    assert verdict(task(status=TaskStatus.QUEUED), mine) is Verdict.UNDETERMINED
    other = served.model_copy(update={"model": "ep-20260101-xyz"})
    assert verdict(other, mine) is Verdict.NOT_OURS
    assert verdict(served, entry_with(journal, drawn())) is Verdict.OURS  # model "m" asked
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
    row = journal.begin(**{**SENT, "model": model}, at=clock.time(), nonce=drawn())  # type: ignore[arg-type]
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
    ours = made_at(
        clock.time() + 1 - behind,
        status=TaskStatus.SUCCEEDED,
        expires_after=172361,
        safety_id=OURS,
    )
    lister = Listing(clock, lambda: [ours], behind=behind)
    found = search(tmp_path, clock, lister).find(deadline=None, keep_watching=False)
    assert found is not None and found.id == ours.id


def test_lost_create_by_endpoint_id_is_listed_whatever_model_its_task_names(tmp_path: Path):
    clock = FakeClock()
    ours = made_at(
        clock.time() + 1, status=TaskStatus.SUCCEEDED, expires_after=172361, safety_id=OURS
    )
    lister = Listing(clock, lambda: [ours])  # the task names model "m"
    found = search(tmp_path, clock, lister, model=EP).find(deadline=None, keep_watching=False)
    assert found is not None and lister.models == [None]


def foreign(start: float, count: int, **fields: object) -> list[Task]:
    """`count` ended tasks of other clients, made in the window, whose nonces cover the
    default nonce's values (each of them, over and over)."""
    values = nonce_values(None, set())
    rng = random.Random(5)
    return [
        Task(
            id=f"cgt-foreign-{n}",
            model="m",
            status=TaskStatus.SUCCEEDED,
            created_at=datetime.fromtimestamp(start - 600 + n % 1200, UTC),
            expires_after=values[n % len(values)],
            seed=rng.randrange(SEED_SPACE),
            **fields,  # type: ignore[arg-type]
        )
        for n in range(count)
    ]


def test_thousands_of_foreign_tasks_on_every_nonce_are_never_taken(tmp_path: Path):
    """Other clients' tasks carrying every nonce this create could have (no safety
    identifier, their own seeds): none is ours, yet some carry our nonce, so the search
    neither adopts one nor takes the create for one that never arrived: it stops, naming
    them, and sends nothing."""
    clock = FakeClock()
    others = foreign(clock.time(), 9000)
    lost = search(tmp_path, clock, Listing(clock, lambda: others))
    with pytest.raises(OutcomeUnknownError) as stopped:
        lost.find(deadline=None, keep_watching=True, just_lost=True)
    named = [t for t in others if t.expires_after == 172361]
    assert named and all(t.id in stopped.value.message for t in named)
    assert "none proven its own" in stopped.value.message


def test_among_thousands_of_foreign_tasks_on_every_nonce_our_own_is_found(tmp_path: Path):
    clock = FakeClock()
    others = foreign(clock.time(), 9000)
    others += foreign(clock.time(), 9000, safety_id=OTHER)  # other seedance machines'
    ours = made_at(clock.time() + 1, status=TaskStatus.SUCCEEDED, expires_after=172361, seed=99)
    ours = ours.model_copy(update={"safety_id": OURS})
    lost = search(tmp_path, clock, Listing(clock, lambda: [ours, *others]))
    found = lost.find(deadline=None, keep_watching=True, just_lost=True)
    assert found is not None and found.id == ours.id


def test_other_seedance_machines_tasks_on_every_nonce_let_a_create_that_never_arrived_be_sent(
    tmp_path: Path,
):
    """Their safety identifiers are other creates': none is ours, none is in doubt."""
    clock = FakeClock()
    others = foreign(clock.time(), 9000, safety_id=OTHER)
    lost = search(tmp_path, clock, Listing(clock, lambda: others))
    assert lost.find(deadline=None, keep_watching=True, just_lost=True) is None


def test_more_tasks_in_the_window_than_a_search_compares_stop_it(tmp_path: Path):
    clock = FakeClock()
    others = foreign(clock.time(), CROWD + 1, safety_id=OTHER)
    lost = search(tmp_path, clock, Listing(clock, lambda: others))
    with pytest.raises(OutcomeUnknownError) as stopped:
        lost.find(deadline=None, keep_watching=True, just_lost=True)
    assert f"more than {CROWD:,} tasks" in stopped.value.message


def test_a_row_another_machine_wrote_is_looked_for_whatever_its_clock_said(tmp_path: Path):
    """On a shared state the same command may run again on another machine: the row's
    `created_at` is on the first machine's clock, here two hours ahead. Its task is found,
    not missed (and the create sent again)."""
    clock = FakeClock()
    start = clock.time()
    elsewhere = SqliteState(tmp_path, who=Who("ci-7", "runner"))
    row = elsewhere.begin(**{**SENT, "model": "m"}, at=start + 7_200, nonce=drawn())  # type: ignore[arg-type]
    elsewhere.close()
    ours = made_at(start + 1, status=TaskStatus.SUCCEEDED, expires_after=172361, safety_id=OURS)
    clock.advance(3 * 3_600)
    journal = SqliteState(tmp_path)
    entry = journal.entry(row)
    assert entry is not None and entry.machine == "ci-7"
    lost = LostCreate(
        Listing(clock, lambda: [ours]), journal, clock, entry, again=Suggestion.again()
    )  # type: ignore[arg-type]
    found = lost.find(deadline=None, keep_watching=False)
    assert found is not None and found.id == ours.id
    journal.close()
