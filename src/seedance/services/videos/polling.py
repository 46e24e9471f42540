"""Waiting for tasks: one loop for any number of tasks, each polled on its own schedule.

The interval adapts to each task. Without any knowledge it keeps the delay between a task
finishing and us noticing within max(3 s, 5 % of the task's age). When it can expect the end
(from the task's progress, or how long similar tasks took before) it sleeps towards that moment,
halving the remaining time at each look, so a three-minute task costs a handful of requests.
A server's poll hint always wins.
"""

from __future__ import annotations

import statistics
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from seedance.domain.clock import Clock
from seedance.domain.errors import (
    BadResponseError,
    DeadlinePassedError,
    NetworkError,
    RateLimitError,
    SeedanceError,
    ServerError,
    Suggestion,
)
from seedance.domain.models import Task, TaskStatus
from seedance.providers.base import Provider
from seedance.providers.deadline import within


class Stopped(Exception):
    """The wait was asked to stop (the tasks keep running on the server)."""


# A poll that fails this way (after the HTTP layer's own retries) is tried again later: the
# task is paid for and keeps running, so a flaky minute must not end the wait.
TRANSIENT = (NetworkError, ServerError, RateLimitError, BadResponseError)
MAX_TRANSIENT_FAILURES = 8  # about five minutes of trouble in a row
# An answer that is not a task (not JSON, too large, of the wrong shape) is said at once, and
# after this many in a row the wait for that task stops: a server answering so will not be
# waited out (the task keeps running; a later wait goes on).
MAX_INVALID_ANSWERS = 3
MIN_LOOK = 5.0  # seconds a poll has for its answer however little is left of a timeout

MIN_PROGRESS_STEP = 6  # points of progress before its pace is used: fewer let a slow start mislead
MIN_INTERVAL = 1.0
MAX_INTERVAL = 60.0
FIRST_LOOK_AFTER_CREATE = 2.0


def poll_delay(
    age: float,
    *,
    expected_total: float | None = None,
    server_says: float | None = None,
    confident: bool = False,
) -> float:
    """Seconds until the next look at a task that is `age` seconds old (`server_says`: the
    wait its answer asked for, kept within bounds).

    Towards an expected end it sleeps half the remaining time, or three quarters when the
    expectation is `confident` (a steady pace of progress measured several times)."""
    if server_says is not None:
        return min(max(server_says, MIN_INTERVAL), MAX_INTERVAL)
    tight = 0.9 * max(3.0, 0.05 * age)  # the longest we may be late, less a margin for the read
    if expected_total is not None:
        remaining = expected_total - age
        if remaining > tight:
            share = 0.75 if confident else 0.5
            return min(max(remaining * share, tight), MAX_INTERVAL)
    return min(tight, MAX_INTERVAL)


@dataclass
class Watch:
    """One task being waited on."""

    task_id: str
    started: float  # monotonic time the wait began
    next_at: float
    task: Task | None = None
    error: SeedanceError | None = None
    samples: list[tuple[float, int]] = field(default_factory=list)  # (monotonic, progress)
    finished_seen_at: float | None = None
    failures: int = 0  # polls in a row that failed with a trouble that may pass
    invalid: int = 0  # of them, answers in a row that were not a task (BadResponseError)
    trouble: SeedanceError | None = None  # why the last poll failed, while it may pass

    @property
    def done(self) -> bool:
        return self.error is not None or (self.task is not None and self.task.status.is_terminal)

    def expected_from_progress(self, now: float, age: float) -> float | None:
        """The task's expected age at its end, from the pace its progress moved at while
        running (queued time is not slow progress); only once it moved a few points."""
        if len(self.samples) < 2:
            return None
        (t0, p0), (t1, p1) = self.samples[0], self.samples[-1]
        if p1 - p0 < MIN_PROGRESS_STEP or t1 <= t0 or p1 >= 100:
            return None
        rate = (p1 - p0) / (t1 - t0)
        return age + (100 - p1) / rate - (now - t1)

    def steady(self) -> bool:
        """Progress has kept one pace over three samples or more, allowing each sample the
        rounding of a whole percent (its fit can then be trusted)."""
        if len(self.samples) < 3:
            return False
        (t0, p0), (tm, pm), (t1, p1) = (
            self.samples[0],
            self.samples[len(self.samples) // 2],
            self.samples[-1],
        )
        if tm <= t0 or t1 <= tm or p1 - p0 < MIN_PROGRESS_STEP:
            return False
        early = ((pm - p0 - 1) / (tm - t0), (pm - p0 + 1) / (tm - t0))
        late = ((p1 - pm - 1) / (t1 - tm), (p1 - pm + 1) / (t1 - tm))
        return early[0] <= late[1] and late[0] <= early[1]


Expectation = Callable[[Task], float | None]
Listener = Callable[[Watch], None]
RoundListener = Callable[[list[Watch]], None]


class Waiter:
    """Polls tasks until each ends, the deadline passes, or an error stops one of them."""

    def __init__(
        self,
        provider: Provider,
        clock: Clock,
        *,
        expected: Expectation | None = None,
        on_update: Listener | None = None,
        on_round: RoundListener | None = None,
    ) -> None:
        self.provider = provider
        self.clock = clock
        self.expected = expected
        self.on_update = on_update
        self.on_round = on_round  # told of every task a poll read, once per poll
        self._out_of_time = False  # a poll's answer was still arriving when the deadline came

    def wait(
        self,
        task_ids: list[str],
        *,
        timeout: float | None = None,
        just_created: bool = False,
        stop: threading.Event | None = None,
    ) -> list[Watch]:
        """Poll until every task ends or `timeout` passes; raises Stopped when `stop` is set."""
        start = self.clock.monotonic()
        delay = FIRST_LOOK_AFTER_CREATE if just_created else 0.0
        first = start + (min(delay, timeout) if timeout is not None else delay)
        watches = {tid: Watch(tid, start, first) for tid in dict.fromkeys(task_ids)}
        deadline = start + timeout if timeout is not None else None
        self._out_of_time = False
        while True:
            pending = [w for w in watches.values() if not w.done]
            if not pending:
                break
            now = self.clock.monotonic()
            due = [w for w in pending if w.next_at <= now]
            if due:
                # a poll ends by the deadline too, but a look always has MIN_LOOK seconds for
                # its answer (a timeout of 0 still looks once)
                until = max(deadline, now + MIN_LOOK) if deadline is not None else None
                with within(self.clock, until):
                    self._poll(due)
                if self._out_of_time:
                    break
                continue
            if deadline is not None and now >= deadline:
                break
            wake = min(w.next_at for w in pending)
            if deadline is not None:
                wake = min(wake, deadline)
            if stop is None:
                self.clock.sleep(max(wake - now, 0.0))
            elif self.clock.wait(stop, max(wake - now, 0.0)):
                raise Stopped
        return list(watches.values())

    def _poll(self, due: list[Watch]) -> None:
        try:
            tasks = self.provider.get_many([w.task_id for w in due])
        except DeadlinePassedError as exc:  # its answer was still arriving: the wait is over
            self._out_of_time = True
            for watch in due:
                watch.trouble = exc
                self._notify(watch)
            return
        except SeedanceError as exc:
            if len(due) > 1:  # find which one is at fault
                for watch in due:
                    if not self._out_of_time:
                        self._poll([watch])
                return
            self._trouble(due[0], exc)
            return
        now = self.clock.monotonic()
        read: list[Watch] = []
        try:
            for watch in due:
                task = tasks.get(watch.task_id)
                if task is None:
                    self._trouble(
                        watch, BadResponseError(f"the answer did not include {watch.task_id}")
                    )
                    continue
                watch.failures = watch.invalid = 0
                watch.trouble = None
                watch.task = task
                read.append(watch)
                if task.progress is not None and task.status is TaskStatus.RUNNING:
                    watch.samples.append((now, task.progress))
                if task.status.is_terminal:
                    watch.finished_seen_at = now
                else:
                    watch.next_at = now + self._delay(watch, task, now)
                self._notify(watch)
        finally:
            if self.on_round is not None and read:
                self.on_round(read)

    def _trouble(self, watch: Watch, exc: SeedanceError) -> None:
        """A poll failed: look again later if the trouble may pass, else give up on the task.
        Either way the watch says why (`trouble`), for the progress and the final word."""
        watch.trouble = exc
        if isinstance(exc, BadResponseError):
            watch.invalid += 1
            if watch.invalid >= MAX_INVALID_ANSWERS:
                watch.error = invalid_answers(watch.task_id, watch.invalid, exc)
                self._notify(watch)
                return
        if isinstance(exc, TRANSIENT) and watch.failures < MAX_TRANSIENT_FAILURES:
            watch.failures += 1
            watch.next_at = self.clock.monotonic() + min(5.0 * 2 ** (watch.failures - 1), 60.0)
        else:
            watch.error = exc
        self._notify(watch)

    def _delay(self, watch: Watch, task: Task, now: float) -> float:
        age = self._age(watch, task, now)
        # A pace is trusted only once it held steady: progress that speeds up later would
        # otherwise predict an end far too late, and the end would be noticed late.
        steady = watch.steady()
        expected = watch.expected_from_progress(now, age) if steady else None
        if expected is None and self.expected is not None:
            expected = self.expected(task)
        return poll_delay(
            age, expected_total=expected, server_says=task.poll_after, confident=steady
        )

    def _age(self, watch: Watch, task: Task, now: float) -> float:
        if task.created_at is not None:
            return max(self.clock.time() - task.created_at.timestamp(), 0.0)
        return now - watch.started

    def _notify(self, watch: Watch) -> None:
        if self.on_update is not None:
            self.on_update(watch)


def invalid_answers(task_id: str, count: int, last: BadResponseError) -> BadResponseError:
    """The error that ends a wait on a server whose answers about a task are not tasks."""
    return BadResponseError(
        f"the server's last {count} answers about task {task_id} were invalid ({last.message})",
        status_code=last.status_code,
        reason="answers_invalid",
        suggestion=Suggestion.of("wait", task_id),
    )


def typical_duration(samples: list[float]) -> float | None:
    """The median of past run times, once there are a few of them."""
    return statistics.median(samples) if len(samples) >= 3 else None
