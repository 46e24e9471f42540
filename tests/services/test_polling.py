"""Waiting for tasks: the poll schedule, and the Waiter over a fake provider and a FakeClock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

import pytest

from seedance.domain.clock import FakeClock
from seedance.domain.errors import NotFoundError, SeedanceError, ServerError
from seedance.domain.models import Task, TaskStatus, from_unix
from seedance.providers.base import Provider
from seedance.services.videos.polling import (
    FIRST_LOOK_AFTER_CREATE,
    MAX_INTERVAL,
    MIN_INTERVAL,
    Expectation,
    Waiter,
    Watch,
    poll_delay,
    typical_duration,
)

NEVER = 10**9


def tight(age: float) -> float:
    """The longest the end of a task `age` seconds old may go unnoticed (the target), less
    the margin the poller keeps for the read itself."""
    return 0.9 * max(3.0, 0.05 * age)


# -- poll_delay ------------------------------------------------------------------------------


@pytest.mark.parametrize("age", [0, 1, 30, 59.9, 60, 61, 100, 599, 1200, 5000, 86400])
def test_without_expectations_the_delay_stays_within_5_percent_of_age(age: float) -> None:
    delay = poll_delay(age)

    assert MIN_INTERVAL <= delay <= tight(age)
    assert delay == min(tight(age), MAX_INTERVAL)


def test_towards_an_expected_end_each_look_halves_the_remaining_time() -> None:
    expected, age, looks = 120.0, 0.0, []
    while age < expected:
        delay = poll_delay(age, expected_total=expected)
        looks.append(age)
        if expected - age > 2 * tight(age):
            assert delay == min((expected - age) / 2, MAX_INTERVAL)
        age += delay

    assert looks == [0.0, 60.0, 90.0, 105.0, 112.5, 117.5625]
    assert age - expected <= tight(expected)


def test_near_or_past_the_expected_end_the_delay_is_tight() -> None:
    assert poll_delay(99, expected_total=100) == tight(99)
    assert poll_delay(300, expected_total=100) == tight(300)


def test_a_long_expectation_is_capped() -> None:
    assert poll_delay(0, expected_total=3600) == MAX_INTERVAL


@pytest.mark.parametrize(("hint", "delay"), [(7.0, 7.0), (0.1, MIN_INTERVAL), (600, MAX_INTERVAL)])
def test_a_server_hint_wins(hint: float, delay: float) -> None:
    assert poll_delay(10, server_says=hint) == delay
    assert poll_delay(10, expected_total=500, server_says=hint) == delay


def test_typical_duration_needs_a_few_samples() -> None:
    assert typical_duration([60, 70]) is None
    assert typical_duration([60, 70, 200]) == 70


# -- the Waiter ------------------------------------------------------------------------------


@dataclass
class Job:
    """A task on the fake server: it runs `runs` seconds after the wait begins, then ends."""

    runs: float
    ends: TaskStatus = TaskStatus.SUCCEEDED
    progress: bool = False  # report linear progress while running
    hint: float | None = None
    failures: list[SeedanceError] = field(default_factory=list)  # answers before the real ones
    broken: SeedanceError | None = None  # every answer about this task


class FakeServer:
    """Stands in for a provider: `get_many` is all the Waiter uses."""

    def __init__(self, clock: FakeClock, jobs: dict[str, Job]) -> None:
        self.clock = clock
        self.jobs = jobs
        self.born = clock.time()
        self.looks: list[tuple[float, str]] = []  # (seconds since the start, task id)

    def get_many(self, task_ids: list[str]) -> dict[str, Task]:
        now = self.clock.time() - self.born
        assert now < 100_000, "the wait never ended"
        self.looks += [(now, task_id) for task_id in task_ids]
        for task_id in task_ids:
            job = self.jobs[task_id]
            if job.broken is not None:
                raise job.broken
            if job.failures:
                raise job.failures.pop(0)
        return {task_id: self.task(task_id, now) for task_id in task_ids}

    def task(self, task_id: str, age: float) -> Task:
        job = self.jobs[task_id]
        done = age >= job.runs
        progress = min(int(100 * age / job.runs), 99) if job.progress and not done else None
        return Task(
            id=task_id,
            status=job.ends if done else TaskStatus.RUNNING,
            progress=progress,
            created_at=from_unix(self.born),
            poll_after=job.hint,
        )

    def polls_of(self, task_id: str) -> list[float]:
        return [at for at, tid in self.looks if tid == task_id]


def wait(
    jobs: dict[str, Job],
    *,
    timeout: float | None = None,
    just_created: bool = False,
    expected: Expectation | None = None,
) -> tuple[dict[str, Watch], FakeServer, FakeClock]:
    """Wait on `jobs` (all starting now) on a fresh FakeClock."""
    clock = FakeClock()
    server = FakeServer(clock, jobs)
    waiter = Waiter(cast(Provider, server), clock, expected=expected)
    watches = waiter.wait(list(jobs), timeout=timeout, just_created=just_created)
    return {w.task_id: w for w in watches}, server, clock


def lateness(watch: Watch, job: Job) -> float:
    """How long after its end the task was seen ended."""
    assert watch.finished_seen_at is not None
    return watch.finished_seen_at - watch.started - job.runs


def test_tasks_ending_at_different_times_are_each_noticed_promptly() -> None:
    jobs = {"short": Job(10), "long": Job(40, TaskStatus.FAILED)}

    watches, server, _ = wait(jobs)

    for task_id, job in jobs.items():
        assert watches[task_id].done
        assert watches[task_id].task is not None
        assert watches[task_id].task.status is job.ends
        assert 0 <= lateness(watches[task_id], job) <= tight(job.runs)
    assert max(server.polls_of("short")) < 10 + tight(10)  # not polled once it ended


def test_the_timeout_returns_the_tasks_still_pending() -> None:
    watches, _, clock = wait({"slow": Job(NEVER), "quick": Job(5)}, timeout=30)

    assert not watches["slow"].done
    assert watches["slow"].task is not None
    assert watches["slow"].task.status is TaskStatus.RUNNING
    assert watches["quick"].done
    assert clock.monotonic() - watches["slow"].started == pytest.approx(30)


def test_an_api_error_on_one_task_does_not_stop_the_others() -> None:
    missing = NotFoundError("the API answered 404 task_not_found", status_code=404)
    jobs = {"a": Job(12), "gone": Job(NEVER, broken=missing), "b": Job(20)}

    watches, _, _ = wait(jobs)

    assert watches["gone"].error is missing
    assert watches["gone"].done
    for task_id in ("a", "b"):
        assert watches[task_id].error is None
        assert watches[task_id].task is not None
        assert watches[task_id].task.status is TaskStatus.SUCCEEDED


def test_a_transient_error_is_looked_at_again_later() -> None:
    flaky = ServerError("the API answered 502", status_code=502)

    watches, server, _ = wait({"a": Job(20, failures=[flaky])})

    assert watches["a"].error is None
    assert watches["a"].task is not None
    assert watches["a"].task.status is TaskStatus.SUCCEEDED
    first, second = server.polls_of("a")[:2]
    assert second > first


def test_a_task_missing_from_the_answer_is_not_polled_in_a_busy_loop() -> None:
    class Forgetful(FakeServer):
        def get_many(self, task_ids: list[str]) -> dict[str, Task]:
            answer = super().get_many(task_ids)
            answer.pop("lost", None)
            assert len(self.looks) < 100, "polled without ever sleeping"
            return answer

    clock = FakeClock()
    server = Forgetful(clock, {"lost": Job(NEVER), "ok": Job(5)})
    watches = Waiter(cast(Provider, server), clock).wait(["lost", "ok"], timeout=600)

    assert watches[1].done
    assert len(server.polls_of("lost")) < 20


def test_linear_progress_cuts_the_polls_of_a_long_task() -> None:
    job = Job(180, progress=True)

    watches, server, _ = wait({"t": job})

    assert lateness(watches["t"], job) <= 9
    assert len(server.polls_of("t")) <= 15


def test_without_progress_a_long_task_costs_more_polls() -> None:
    with_progress = wait({"t": Job(180, progress=True)})[1].polls_of("t")
    without = wait({"t": Job(180)})[1].polls_of("t")

    assert len(with_progress) < len(without) / 2


def test_an_expected_duration_from_history_cuts_the_polls() -> None:
    job = Job(180)

    watches, server, _ = wait({"t": job}, expected=lambda task: 180.0)

    assert lateness(watches["t"], job) <= 9
    assert len(server.polls_of("t")) <= 15


def test_a_server_hint_sets_the_interval() -> None:
    _, server, _ = wait({"t": Job(100, hint=20.0)})

    assert server.polls_of("t") == [0, 20, 40, 60, 80, 100]


@pytest.mark.parametrize(("just_created", "first"), [(True, FIRST_LOOK_AFTER_CREATE), (False, 0.0)])
def test_just_created_delays_the_first_look(just_created: bool, first: float) -> None:
    _, server, _ = wait({"t": Job(1)}, just_created=just_created)

    assert server.polls_of("t")[0] == first


def test_duplicate_ids_are_waited_on_once() -> None:
    clock = FakeClock()
    server = FakeServer(clock, {"t": Job(5)})
    seen: list[str] = []

    watches = Waiter(
        cast(Provider, server), clock, on_update=lambda w: seen.append(w.task_id)
    ).wait(["t", "t"])

    assert [w.task_id for w in watches] == ["t"]
    assert seen and set(seen) == {"t"}
    assert len(seen) == len(server.polls_of("t"))


class ShapedProgress:
    """A fake provider: one task queued for 10 % of its length, then running with progress
    following `shape` (0..1 -> 0..1), in whole percent as gateways report it."""

    def __init__(self, clock: FakeClock, length: float, shape) -> None:
        self.clock, self.length, self.shape = clock, length, shape
        self.start, self.reads = clock.time(), 0

    def get_many(self, ids):
        self.reads += 1
        age = self.clock.time() - self.start
        queue = 0.1 * self.length
        if age < queue:
            status, progress = TaskStatus.QUEUED, 0
        elif age < self.length:
            status = TaskStatus.RUNNING
            progress = int(self.shape((age - queue) / (self.length - queue)) * 100)
        else:
            status, progress = TaskStatus.SUCCEEDED, 100
        created = datetime.fromtimestamp(self.start, tz=UTC)
        return {i: Task(id=i, status=status, progress=progress, created_at=created) for i in ids}


@pytest.mark.parametrize(
    "shape",
    [lambda f: f, lambda f: f * f, lambda f: f**0.5, lambda f: min(0.99, 1.3 * f)],
    ids=["steady", "slow-start", "fast-start", "stuck-at-99"],
)
@pytest.mark.parametrize("length", [20, 60, 180])
def test_progress_of_any_shape_never_makes_the_end_noticed_late(shape, length) -> None:
    clock = FakeClock()
    provider = ShapedProgress(clock, length, shape)
    Waiter(provider, clock).wait(["t"], just_created=True)
    assert clock.time() - provider.start - length <= max(3.0, 0.05 * length)


def test_a_steady_pace_saves_requests_on_a_long_task() -> None:
    clock = FakeClock()
    provider = ShapedProgress(clock, 180, lambda f: f)
    Waiter(provider, clock).wait(["t"], just_created=True)
    assert provider.reads <= 15


def test_each_poll_tells_its_round_once_with_every_task_it_read() -> None:
    clock = FakeClock()
    jobs = {f"t{n}": Job(10 + n) for n in range(30)}
    server = FakeServer(clock, jobs)
    rounds: list[list[str]] = []

    def told(read: list[Watch]) -> None:
        rounds.append([w.task_id for w in read])

    waiter = Waiter(cast(Provider, server), clock, on_round=told)

    waiter.wait(list(jobs))

    assert sum(len(r) for r in rounds) == len(server.looks)  # every task read, in its round
    assert len(rounds) < len(server.looks) / 5  # a round reads many tasks at once
