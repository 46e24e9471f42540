"""Exact identity for a create whose answer was lost (a crash, a cut connection, a 5xx).

Before a create is sent on a dialect that can look tasks up (`finds_lost_creates`), seedance
picks a nonce, records it in the journal, and sends it as the task's queue expiry
(`expires_after`, Ark `execution_expires_after`): any value in 3600-259200 is valid, so a shift
of seconds to minutes off the default (or off the user's own value, within 5 % of it) is a nonce
nobody notices. The server echoes it on every ended task (docs/sources/real-world.md); a queued
or running task echoes nothing but its id, model, status and times.

So a lost create is found like this: list the tasks of its model made since it began that no
other journal entry knows, and read each one. Its nonce equal to ours: ours. Another nonce, or
settings that contradict ours: not ours. No nonce yet (queued or running): undetermined. A task
is never adopted on its settings alone. "Since it began" is on the server's clock: the list's
`Date` header says how far ours is from it, so a clock hours off hides no task (an allowance of
an hour stands when the server sends no date). With an endpoint id (`ep-…`) as the model, the
server may name the model it serves instead: such tasks are listed whatever their model, and
the nonce decides.

Looks are repeated, further and further apart; "it never arrived" needs two looks at least 10
seconds apart that show no task that could be it, and a task list that is known to be current:
a minute has passed since the create was sent (a list may show a new task late: a cache, a
replica), or the list shows a task made after the answer was lost. Short of that (a deadline
comes first), seedance stops and says so. Undetermined tasks are watched to their end when the
caller waits anyway; otherwise seedance stops and names them, and never creates again silently.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import datetime
from enum import Enum

from seedance.domain.catalogue import is_endpoint
from seedance.domain.clock import Clock
from seedance.domain.errors import (
    NotFoundError,
    OutcomeUnknownError,
    SeedanceError,
    ServerError,
    Suggestion,
)
from seedance.domain.models import Task
from seedance.domain.validation import EXPIRES_RANGE
from seedance.providers.base import Provider
from seedance.services.state import Entry, NoncePicker, State
from seedance.services.videos.polling import TRANSIENT, Stopped, Waiter

DEFAULT_EXPIRES = 172800  # the API's default queue expiry (docs/sources/ark.txt)
MAX_SHIFT = 1800  # the farthest a nonce strays from the value it stands for, in seconds
CLOCK_SKEW = 3600.0  # how far the server's clock may be from ours when it sends no Date
SKEW_MARGIN = 300.0  # beyond the difference its Date shows: whole seconds, latency, queues
PAGE_SIZE = 100
MAX_PAGES = 10
SETTLE = 2.0  # after a lost answer, before the first look
FIRST_PAUSE = 5.0  # between the first looks; doubled after each, up to MAX_PAUSE
MAX_PAUSE = 20.0
LOOK_EVERY = 10.0  # the least time between the two looks that show nothing
CATCH_UP = 60.0  # after this long, a task list shows a create that arrived
CURRENT = 5.0  # a listed task made this long after the answer was lost: the list is current
LOOK_SPAN = 30.0  # how long candidates are looked at before seedance stops or watches them
MAX_ROUNDS = 6  # rounds of watching candidates to their end (new ones may keep appearing)
MAX_FAILED_LOOKS = 5  # looks in a row that failed with a trouble that may pass

Step = Callable[[str], None]  # told what is going on, in plain words


def nonce_picker(requested: int | None, rng: random.Random | None = None) -> NoncePicker:
    """A chooser of a nonce standing for `requested` (the user's queue expiry, or the
    default): a value near it (within 30 minutes, and 5 % of it), in range, never the value
    itself nor a round minute (which people choose), and not one of `taken`."""
    rng = rng or random.SystemRandom()
    low, high = EXPIRES_RANGE

    def pick(taken: set[int]) -> int:
        base = min(max(requested or DEFAULT_EXPIRES, low), high)
        shift = min(MAX_SHIFT, max(60, base // 20))
        while True:
            first, last = max(low, base - shift), min(high, base + shift)
            free = [v for v in range(first, last + 1) if v % 60 and v != base and v not in taken]
            if free:
                return rng.choice(free)
            if first == low and last == high:  # every value taken: reuse the least harmful
                return rng.choice([v for v in range(first, last + 1) if v % 60])
            shift *= 2

    return pick


class Verdict(Enum):
    OURS = "ours"
    NOT_OURS = "not ours"
    UNDETERMINED = "undetermined"  # no nonce shown yet: queued or running


def verdict(task: Task, entry: Entry) -> Verdict:
    """Whether `task` is what the create of `entry` made, by its nonce; settings only ever
    rule a task out."""
    for asked, made in ((entry.resolution, task.resolution), (entry.duration, task.duration)):
        if asked not in (None, -1) and made is not None and asked != made:  # -1: model chose
            return Verdict.NOT_OURS
    if _other_model(task.model, entry.model):
        return Verdict.NOT_OURS
    if entry.nonce is None or task.expires_after is None:
        return Verdict.UNDETERMINED
    return Verdict.OURS if task.expires_after == entry.nonce else Verdict.NOT_OURS


def _other_model(made: str | None, asked: str | None) -> bool:
    """Whether a task of model `made` cannot be a create sent with model `asked`. A task sent
    to an endpoint id may be named by the model the endpoint serves (its name and version), so
    only another endpoint id rules it out."""
    if not made or not asked or made == asked:
        return False
    return is_endpoint(made) if is_endpoint(asked) else True


class LostCreate:
    """The search for the task of one lost create (`entry`)."""

    def __init__(
        self,
        provider: Provider,
        journal: State,
        clock: Clock,
        entry: Entry,
        *,
        again: Suggestion,
        output: str | None = None,
        on_step: Step | None = None,
        stop: threading.Event | None = None,
        reason: str | None = None,
    ) -> None:
        self.provider = provider
        self.reason = reason or entry.error  # how the answer was lost
        self.journal = journal
        self.clock = clock
        self.entry = entry
        self.again = again  # how the user creates anew on purpose
        self.output = output
        self.on_step = on_step or (lambda _text: None)
        self.stop = stop
        self.seen: dict[str, Task] = {}  # every undetermined task, as last read
        self.skew: float | None = None  # our clock less the server's, from its Date header
        self.newest: float | None = None  # the newest task the last look listed (server time)

    def find(
        self, *, deadline: float | None, keep_watching: bool, just_lost: bool = False
    ) -> Task | None:
        """The task the create made, or None when the server provably has none.

        `deadline` (monotonic) bounds watching; `keep_watching`: the caller waits for the
        task anyway, so undetermined tasks are watched to their end. Raises
        OutcomeUnknownError, naming the tasks that could be it, when it cannot tell.
        """
        if not self.provider.capabilities.finds_lost_creates:
            raise self.cannot_look()
        start = self.clock.monotonic()
        lost_at = self.entry.answered_at or self.clock.time()  # no later than this
        if just_lost:
            self._sleep(SETTLE)
        empty_since: float | None = None
        pause = FIRST_PAUSE
        failed = 0
        for _round in range(MAX_ROUNDS):
            while True:
                try:
                    ours, undetermined = self.look()
                except TRANSIENT as exc:  # the server's trouble may pass: look again later
                    failed += 1
                    if failed > MAX_FAILED_LOOKS:
                        raise self.cannot_look(exc) from None
                    self._sleep(LOOK_EVERY)  # it neither shows nor rules out a task
                    continue
                failed = 0
                if ours is not None:
                    return ours
                now = self.clock.monotonic()
                if undetermined:
                    empty_since = None
                    if now - start >= LOOK_SPAN:
                        break
                elif empty_since is None:
                    empty_since = now
                elif now - empty_since >= LOOK_EVERY and self._current(lost_at):
                    return None
                if not undetermined and deadline is not None and now + pause > deadline:
                    raise self.not_yet()
                self._sleep(pause)
                pause = min(pause * 2, MAX_PAUSE)
            if not keep_watching:
                raise self.cannot_tell(undetermined)
            ours = self.watch(undetermined, deadline)
            if ours is not None:
                return ours
            ended = [self.seen[t.id] for t in undetermined if t.id in self.seen]
            if ended and all(verdict(t, self.entry) is Verdict.UNDETERMINED for t in ended):
                raise self.cannot_tell(ended)  # they ended and still say nothing
            start = self.clock.monotonic() - LOOK_SPAN  # look again, then stop or watch anew
        left = [t for t in self.seen.values() if verdict(t, self.entry) is Verdict.UNDETERMINED]
        raise self.cannot_tell(left)

    # -- looking -----------------------------------------------------------------------------

    def look(self) -> tuple[Task | None, list[Task]]:
        """One look at the server: (our task, if it shows; the tasks that could be it)."""
        self.on_step("looking on the server for the task of a create whose answer was lost")
        entry = self.entry
        tier = entry.service_tier if entry.service_tier == "flex" else None
        # what the list filter makes of an endpoint id is not documented: its tasks are listed
        # whatever model they name (docs/sources/real-world.md "Models")
        model = None if entry.model and is_endpoint(entry.model) else entry.model
        undetermined: list[Task] = []
        self.newest = None
        try:
            for page in range(1, MAX_PAGES + 1):
                result = self.provider.list(
                    model=model, page=page, page_size=PAGE_SIZE, service_tier=tier
                )
                if page == 1 and result.server_time is not None:
                    self.skew = self.clock.time() - result.server_time
                since = self._since()
                # tasks another create of this machine made are not ours: asked per page,
                # an index look-up each (not every task id the journal holds)
                known = self.journal.known(t.id for t in result.items)
                for task in result.items:
                    if task.id in known or not _since(task, since):
                        continue
                    judged = self._judge(task)
                    if judged is Verdict.OURS:
                        return self.seen.get(task.id, task), []
                    if judged is Verdict.UNDETERMINED:
                        undetermined.append(self.seen[task.id])
                stamps = [t.created_at.timestamp() for t in result.items if t.created_at]
                self.newest = max([*stamps, self.newest or 0.0]) if stamps else self.newest
                if len(result.items) < PAGE_SIZE or min(stamps, default=0) < since:
                    break
        except TRANSIENT:
            raise
        except SeedanceError as exc:
            raise self.cannot_look(exc) from None
        return None, undetermined

    def _since(self) -> float:
        """The earliest a task of this create can say it was made, on the server's clock."""
        allowance = CLOCK_SKEW if self.skew is None else max(CLOCK_SKEW, self.skew + SKEW_MARGIN)
        return self.entry.created_at - allowance

    def _current(self, lost_at: float) -> bool:
        """Whether the task list shows by now every task that exists: it has had a minute
        since the create was sent, or its last look showed a task made after the answer was
        lost (on the server's clock)."""
        if self.clock.time() - self.entry.created_at >= CATCH_UP:
            return True
        if self.newest is None or self.skew is None:
            return False
        return self.newest >= lost_at - self.skew + CURRENT

    def _judge(self, task: Task) -> Verdict:
        """The verdict on a listed task, reading it on its own when the list says too little
        (a gateway may trim list items; the task may have ended since)."""
        judged = verdict(task, self.entry)
        if judged is Verdict.UNDETERMINED:
            try:
                task = self.provider.get(task.id)
            except NotFoundError:
                return Verdict.NOT_OURS  # gone between the list and the read
            judged = verdict(task, self.entry)
        if judged is not Verdict.NOT_OURS:
            self.seen[task.id] = task
        return judged

    def watch(self, tasks: list[Task], deadline: float | None) -> Task | None:
        """Wait for the undetermined tasks to end (each then shows its nonce); ours, if one
        of them is."""
        ids = [t.id for t in tasks]
        self.on_step(
            f"waiting for {len(ids)} task{'s' if len(ids) > 1 else ''} that could be it to end: "
            "only then do they show whose they are"
        )
        timeout = None if deadline is None else max(deadline - self.clock.monotonic(), 0.0)
        waiter = Waiter(self.provider, self.clock)
        watches = waiter.wait(ids, timeout=timeout, stop=self.stop)
        for watch in watches:
            if isinstance(watch.error, NotFoundError):
                self.seen.pop(watch.task_id, None)
                continue
            if watch.error is not None:
                raise self.cannot_look(watch.error)
            if watch.task is None or not watch.task.status.is_terminal:
                raise self.cannot_tell(tasks)  # the deadline came first
            self.seen[watch.task_id] = watch.task
            if verdict(watch.task, self.entry) is Verdict.OURS:
                return watch.task
        return None

    def _sleep(self, seconds: float) -> None:
        if self.stop is None:
            self.clock.sleep(seconds)
        elif self.clock.wait(self.stop, seconds):
            raise Stopped

    # -- when it cannot tell ---------------------------------------------------------------

    def cannot_tell(self, tasks: list[Task]) -> OutcomeUnknownError:
        """Stop: these tasks could be it, and none has shown whose it is yet."""
        ids = [t.id for t in tasks]
        listed = ", ".join(f"{t.id} ({t.status.value}, made {_when(t.created_at)})" for t in tasks)
        many = len(tasks) != 1
        why = f" ({self.reason})" if self.reason else ""
        return OutcomeUnknownError(
            f"a create whose answer was lost{why} may have made a task; {len(tasks)} task"
            f"{'s' if many else ''} on the server could be it ({listed}); "
            f"{'they show' if many else 'it shows'} whose {'they are' if many else 'it is'} "
            "only once ended",
            hint="it was not sent again, so nothing is billed twice; once they have ended, the "
            "same command tells its own by its nonce and goes on; follow them with",
            suggestion=[Suggestion.of("wait", *ids), Suggestion.again(), self.again],
            exit_status=ServerError.exit_status,
        )

    def not_yet(self) -> OutcomeUnknownError:
        """Stop: the task list shows no task that could be it, but may not be current yet,
        and the deadline comes first."""
        why = f" ({self.reason})" if self.reason else ""
        return OutcomeUnknownError(
            f"a create whose answer was lost{why} may have made a task; the task list shows "
            "none yet, but a list can show a new task late",
            hint="it was not sent again, so nothing is billed twice; in a minute, the same "
            "command looks once more (and sends it only if it never arrived)",
            suggestion=[Suggestion.again(), self.again],
            exit_status=ServerError.exit_status,
        )

    def cannot_look(self, cause: SeedanceError | None = None) -> OutcomeUnknownError:
        """Stop: the provider cannot be asked (no task list, or the look itself failed)."""
        wait = Suggestion.of("wait", "TASK_ID", output=self.output)  # from the console
        if cause is None:
            return OutcomeUnknownError(
                "an identical create was sent before and its outcome is unknown",
                hint="this provider lists no tasks: its console shows whether one was created "
                "(its id is the TASK_ID); if so, follow it with",
                suggestion=[wait, self.again],
                exit_status=ServerError.exit_status,
            )
        why = f" ({self.reason})" if self.reason else ""
        return OutcomeUnknownError(
            f"a create whose answer was lost{why} may have made a task, and looking for it "
            f"failed ({cause.message})",
            hint="it was not sent again, so nothing is billed twice; run the same command again "
            "to look once more, or",
            suggestion=[Suggestion.again(), self.again],
            exit_status=cause.exit_status,
        )


def _since(task: Task, since: float) -> bool:
    return task.created_at is None or task.created_at.timestamp() >= since


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "at an unknown time"
