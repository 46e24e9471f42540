"""Exact identity for a create whose answer was lost (a crash, a cut connection, a 5xx).

Before a create is sent on a dialect that can look tasks up (`finds_lost_creates`), seedance
draws its identity, records it in the journal and sends it with the create:

- a nonce as the task's queue expiry (`expires_after`, Ark `execution_expires_after`): any
  value in 3600-259200 is valid, so a shift of up to an hour off the default (or off the
  user's own value, within 5 % of it), never a round minute, is a nonce nobody notices;
- a seed, when the request has none of its own (the user's seed is the user's; a final made
  from a draft takes the draft's): drawn uniformly from the documented range, as random as
  the server's own choice;
- a safety identifier, when the request has none of its own: `seedance-` and 128 random bits.

An ended task echoes its queue expiry (a failed one too); a succeeded one its seed and its
safety identifier (docs/sources/real-world.md, live-research.md §8; the SDK's task type); a
queued or running one nothing but its id, model, status and times. Sources conflict on
whether 2.x models honour a requested seed, and no source shows what a gateway does to the
safety identifier: so only a different queue expiry, or another create's `seedance-`
identifier, proves a task is not ours; a seed (or a safety identifier not of that form) that
differs proves nothing either way.

A task is ours when the values it echoes equal to ours make a chance match of a foreign task
less likely than MATCH_BOUND (a value that differs, such as a seed the server drew itself,
takes nothing from that): each value seedance drew from n equally likely ones matches a foreign
task's with a chance of at most 1/n, whatever that task's value is, so a task echoing a set
of them equal to ours is foreign with a chance of at most the product (1/n of every value
echoed; a value the user chose, or one not echoed, counts 1). A search compares at most CROWD
foreign tasks, so the chance that it adopts any foreign task is below CROWD × MATCH_BOUND =
FALSE_ADOPTION (one in a billion). A task that echoes too little for that (a failed task shows
only its queue expiry; a server that ignored the seed, with the user's own safety identifier)
is never adopted, and never taken for proof that the create did not arrive: seedance stops
and names it (ARCHITECTURE.md "Lost creates" gives the bound per case). The identity is the
server's echo against the journal's row, nothing else: no process needs to have seen the
other creates of the account (another machine's, a shared state's).

So a lost create is found like this: list the tasks of its model made since it began that no
other journal entry knows, and judge each one (`verdict`). Ours: adopted. Not ours: left. No
echo yet (queued or running): undetermined, watched to its end. "Since it began" is on the
server's clock: the list's `Date` header says how far ours is from it, so a clock hours off
hides no task (an allowance of an hour stands when the server sends no date). With an
endpoint id (`ep-…`) as the model, the server may name the model it serves instead: such
tasks are listed whatever their model, and the identity decides.

Looks are repeated, further and further apart; "it never arrived" needs two looks at least 10
seconds apart that show no task that could be it, each of the whole window, and a task list
that is known to be current: a minute has passed since the create was sent (a list may show
a new task late: a cache, a replica), or the list shows a task made after the answer was
lost. Short of that (a deadline comes first), seedance stops and says so. Undetermined tasks
are watched to their end when the caller waits anyway; otherwise seedance stops and names
them, and never creates again silently.
"""

from __future__ import annotations

import random
import re
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
from seedance.domain.models import GenerationRequest, Task
from seedance.domain.validation import EXPIRES_RANGE
from seedance.providers.base import Provider
from seedance.services.state import Entry, NoncePicker, State
from seedance.services.videos.polling import TRANSIENT, Stopped, Waiter

DEFAULT_EXPIRES = 172800  # the API's default queue expiry (docs/sources/ark.txt)
MAX_SHIFT = 3600  # the farthest a nonce strays from the value it stands for, in seconds
# Seeds seedance draws: 0 … 2^31-1, the narrower of the documented ranges (2^31-1 in the
# BytePlus solutions architects' nodes, 2^32-1 in older documents: docs/sources/real-world.md)
SEED_SPACE = 2**31
SAFETY_PREFIX = "seedance-"  # then 32 hex digits: 128 random bits (the field takes 64 chars)
SAFETY_SPACE = 2**128
_SAFETY = re.compile(re.escape(SAFETY_PREFIX) + "[0-9a-f]{32}")
CROWD = 10_000  # the most tasks one search compares (ARCHITECTURE.md "Lost creates")
FALSE_ADOPTION = 1e-9  # the most a search may risk adopting a foreign task
MATCH_BOUND = FALSE_ADOPTION / CROWD  # the most a task's echo may be a foreign task's by chance
CLOCK_SKEW = 3600.0  # how far the server's clock may be from ours when it sends no Date
# how far another machine's clock may be from ours, for a row it wrote (a shared state): its
# `created_at` is on its clock, not on the one the server's Date was compared with
MACHINE_SKEW = 86_400.0
SKEW_MARGIN = 300.0  # beyond the difference its Date shows: whole seconds, latency, queues
PAGE_SIZE = 100
MAX_PAGES = CROWD // PAGE_SIZE
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


def nonce_values(requested: int | None, taken: set[int]) -> list[int]:
    """The values a nonce standing for `requested` (the user's queue expiry, or the default)
    is drawn from: near it (within an hour, and 5 % of it), in range, never the value itself
    nor a round minute (which people choose), and not one of `taken`."""
    low, high = EXPIRES_RANGE
    base = min(max(requested or DEFAULT_EXPIRES, low), high)
    shift = min(MAX_SHIFT, max(60, base // 20))
    while True:
        first, last = max(low, base - shift), min(high, base + shift)
        free = [v for v in range(first, last + 1) if v % 60 and v != base and v not in taken]
        if free:
            return free
        if first == low and last == high:  # every value taken: reuse the least harmful
            return [v for v in range(first, last + 1) if v % 60]
        shift *= 2


def identity_picker(request: GenerationRequest, rng: random.Random | None = None) -> NoncePicker:
    """A chooser of a create's identity (the journal's `nonce` and IDENTITY_COLUMNS), told
    the nonces this journal's open creates use: a nonce drawn from `nonce_values`, and a seed
    and a safety identifier where the request has none of its own."""
    rng = rng or random.SystemRandom()
    # the user's seed is theirs (-1 too: "the server's choice"); a final made from a draft
    # takes the draft's (docs/sources/real-world.md)
    draw_seed = request.seed is None and not request.draft_task

    def pick(taken: set[int]) -> dict[str, object]:
        values = nonce_values(request.expires_after, taken)
        safety = None
        if not request.safety_id:
            safety = SAFETY_PREFIX + "".join(rng.choice("0123456789abcdef") for _ in range(32))
        return {
            "nonce": rng.choice(values),
            "nonce_space": len(values),
            "seed_nonce": rng.randrange(SEED_SPACE) if draw_seed else None,
            "safety_nonce": safety,
        }

    return pick


def with_identity(request: GenerationRequest, entry: Entry) -> GenerationRequest:
    """`request` as sent by the create of `entry`: with its nonce, and the seed and safety
    identifier seedance drew for it."""
    update: dict[str, object] = {"expires_after": entry.nonce}
    if entry.seed_nonce is not None:
        update["seed"] = entry.seed_nonce
    if entry.safety_nonce is not None:
        update["safety_id"] = entry.safety_nonce
    return request.model_copy(update=update)


def is_seedance_safety_id(value: str | None) -> bool:
    """Whether a safety identifier is one seedance draws (another create's, if not ours)."""
    return value is not None and _SAFETY.fullmatch(value) is not None


class Verdict(Enum):
    OURS = "ours"
    NOT_OURS = "not ours"
    UNDETERMINED = "undetermined"  # it shows too little yet: queued or running
    UNPROVEN = "unproven"  # ended, and what it shows neither proves it ours nor rules it out


def verdict(task: Task, entry: Entry) -> Verdict:
    """Whether `task` is what the create of `entry` made, by the identity it echoes
    (ARCHITECTURE.md "Lost creates"); settings only ever rule a task out."""
    for asked, made in ((entry.resolution, task.resolution), (entry.duration, task.duration)):
        if asked not in (None, -1) and made is not None and asked != made:  # -1: model chose
            return Verdict.NOT_OURS
    if _other_model(task.model, entry.model):
        return Verdict.NOT_OURS
    chance, _contradicted = match_chance(task, entry)
    if chance is None:
        return Verdict.NOT_OURS
    if chance < MATCH_BOUND:  # what differs (a seed the server drew) weakens no match
        return Verdict.OURS
    return Verdict.UNPROVEN if task.status.is_terminal else Verdict.UNDETERMINED


def match_chance(task: Task, entry: Entry) -> tuple[float | None, bool]:
    """(The most a foreign task's echo matches `entry`'s identity by chance, or None when
    the echo proves it another create's; whether it contradicts a value of ours that a
    server may drop: a seed it ignored, a safety identifier a gateway rewrote)."""
    if entry.nonce is None:  # sent before nonces: nothing tells it
        return 1.0, False
    chance, contradicted = 1.0, False
    if task.expires_after is not None:
        if task.expires_after != entry.nonce:
            return None, False
        chance /= entry.nonce_space or 1
    body = entry.body
    sent_safety = entry.safety_nonce or _text(body.get("safety_identifier"))
    if task.safety_id is not None:
        if task.safety_id == sent_safety:
            chance /= SAFETY_SPACE if entry.safety_nonce else 1
        elif is_seedance_safety_id(task.safety_id):
            return None, False  # another create of seedance's sent it
        else:
            contradicted = True
    sent_seed = entry.seed_nonce if entry.seed_nonce is not None else _seed(body.get("seed"))
    if task.seed is not None and sent_seed is not None:
        if task.seed == sent_seed:
            chance /= SEED_SPACE if entry.seed_nonce is not None else 1
        else:
            contradicted = True
    return chance, contradicted


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _seed(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _other_model(made: str | None, asked: str | None) -> bool:
    """Whether a task of model `made` cannot be a create sent with model `asked`. A task sent
    to an endpoint id may be named by the model the endpoint serves (its name and version), so
    only another endpoint id rules it out."""
    if not made or not asked or made == asked:
        return False
    return is_endpoint(made) if is_endpoint(asked) else True


class _Stop(Exception):
    """A look that ends the search with `error` (not a trouble that may pass)."""

    def __init__(self, error: SeedanceError) -> None:
        super().__init__(error.message)
        self.error = error


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
        lost_how: str | None = None,
    ) -> None:
        self.provider = provider
        self.lost_how = lost_how or entry.error  # how the answer was lost
        self.journal = journal
        self.clock = clock
        self.entry = entry
        self.again = again  # how the user creates anew on purpose
        self.output = output
        self.on_step = on_step or (lambda _text: None)
        self.stop = stop
        self.seen: dict[str, Task] = {}  # every task that could be it, as last read
        self.compared: set[str] = set()  # every task judged (at most CROWD)
        self.skew: float | None = None  # our clock less the server's, from its Date header
        self.newest: float | None = None  # the newest task the last look listed (server time)
        self.whole = False  # whether the last look read every task since the create began
        self.overflowed = False  # whether a look met more tasks than a search compares

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
                except _Stop as stop:
                    raise stop.error from None
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
                could = undetermined or self.unproven()
                if could:
                    empty_since = None
                    if now - start >= LOOK_SPAN:
                        break
                elif empty_since is None:
                    empty_since = now
                elif now - empty_since >= LOOK_EVERY and self._current(lost_at):
                    return None
                if deadline is not None and now + pause > deadline:
                    raise self.cannot_tell(could) if could else self.not_yet()
                self._sleep(pause)
                pause = min(pause * 2, MAX_PAUSE)
            if not undetermined or not keep_watching:
                raise self.cannot_tell(undetermined + self.unproven())
            ours = self.watch(undetermined, deadline)
            if ours is not None:
                return ours
            ended = [self.seen[t.id] for t in undetermined if t.id in self.seen]
            if ended and all(verdict(t, self.entry) is not Verdict.NOT_OURS for t in ended):
                raise self.cannot_tell(self.unproven() or ended)  # ended, and still unproven
            start = self.clock.monotonic() - LOOK_SPAN  # look again, then stop or watch anew
        raise self.cannot_tell(self.unproven())

    def unproven(self) -> list[Task]:
        """The tasks seen ended that could be it and never will show it: never adopted, and
        never taken to mean that the create did not arrive."""
        return [t for t in self.seen.values() if verdict(t, self.entry) is Verdict.UNPROVEN]

    # -- looking -----------------------------------------------------------------------------

    def look(self) -> tuple[Task | None, list[Task]]:
        """One look at the server: (our task, if it shows; the tasks that could be it and may
        yet show whose they are)."""
        self.on_step("looking on the server for the task of a create whose answer was lost")
        entry = self.entry
        tier = entry.service_tier if entry.service_tier == "flex" else None
        # what the list filter makes of an endpoint id is not documented: its tasks are listed
        # whatever model they name (docs/sources/real-world.md "Models")
        model = None if entry.model and is_endpoint(entry.model) else entry.model
        undetermined: list[Task] = []
        self.newest = None
        self.whole = False
        read = 0
        try:
            for page in range(1, MAX_PAGES + 1):
                result = self.provider.list(
                    model=model, page=page, page_size=PAGE_SIZE, service_tier=tier
                )
                if page == 1 and result.server_time is not None:
                    self.skew = self.clock.time() - result.server_time
                since = self._since()
                # tasks another create of this journal made are not ours: asked per page,
                # an index look-up each (not every task id the journal holds)
                known = self.journal.known(t.id for t in result.items)
                for task in result.items:
                    if task.id in known or not _since(task, since):
                        continue
                    self.compared.add(task.id)
                    if len(self.compared) > CROWD:
                        raise _Stop(self.too_many())
                    judged = self._judge(task)
                    if judged is Verdict.OURS:
                        return self.seen.get(task.id, task), []
                    if judged is Verdict.UNDETERMINED:
                        undetermined.append(self.seen[task.id])
                stamps = [t.created_at.timestamp() for t in result.items if t.created_at]
                self.newest = max([*stamps, self.newest or 0.0]) if stamps else self.newest
                read += len(result.items)
                # the last page: empty, past the window (newest first), or the last the total
                # counts (a gateway may serve shorter pages than asked: then the total decides)
                if (
                    not result.items
                    or min(stamps, default=0) < since
                    or (
                        read >= result.total
                        if result.total is not None
                        else len(result.items) < PAGE_SIZE
                    )
                ):
                    self.whole = True
                    break
            else:  # every page read and still within the window: not all of it was seen
                raise _Stop(self.too_many())
        except TRANSIENT:
            raise
        except SeedanceError as exc:
            raise self.cannot_look(exc) from None
        return None, undetermined

    def _since(self) -> float:
        """The earliest a task of this create can say it was made, on the server's clock."""
        allowance = CLOCK_SKEW if self.skew is None else max(CLOCK_SKEW, self.skew + SKEW_MARGIN)
        machine = self.entry.machine
        if machine is not None and machine != self.journal.who.machine:
            allowance += MACHINE_SKEW  # written on another machine's clock
        return self.entry.created_at - allowance

    def caught_up(self) -> bool:
        """Whether the task list shows by now every task the create may have made (its last
        look was current, as of now)."""
        return self._current(self.clock.time())

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
        if judged in (Verdict.UNDETERMINED, Verdict.UNPROVEN):
            try:
                task = self.provider.get(task.id)
            except NotFoundError:
                return Verdict.NOT_OURS  # gone between the list and the read
            judged = verdict(task, self.entry)
        if judged is not Verdict.NOT_OURS:
            self.seen[task.id] = task
        return judged

    def watch(self, tasks: list[Task], deadline: float | None) -> Task | None:
        """Wait for the undetermined tasks to end (each then shows its identity); ours, if one
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
        """Stop: these tasks could be it, and none has shown (or will show) that it is."""
        ended = [t for t in tasks if t.status.is_terminal]
        listed = "; ".join(
            f"{t.id} ({t.status.value}, made {_when(t.created_at)}"
            + (f", {self._unproven_why(t)}" if t.status.is_terminal else "")
            + ")"
            for t in tasks
        )
        many = len(tasks) != 1
        why = f" ({self.lost_how})" if self.lost_how else ""
        could = f"{len(tasks)} task{'s' if many else ''} on the server could be it"
        if not ended:
            follow = Suggestion.of("wait", *[t.id for t in tasks])
            return OutcomeUnknownError(
                f"a create whose answer was lost{why} may have made a task; {could}: {listed}; "
                f"{'they show' if many else 'it shows'} whose {'they are' if many else 'it is'} "
                "only once ended",
                reason="lost_create_still_running",
                suggestion=[follow, Suggestion.again(), self.again],
                exit_status=ServerError.exit_status,
            )
        first = ended[0].id
        return OutcomeUnknownError(
            f"a create whose answer was lost{why} may have made a task; {could}, none proven "
            f"its own: {listed}",
            reason="lost_create_candidates",
            suggestion=[
                Suggestion.of("status", first),
                Suggestion.of("wait", first, output=self.output),
                self.again,
            ],
            exit_status=ServerError.exit_status,
        )

    def _unproven_why(self, task: Task) -> str:
        """Why an ended task that could be it is not taken as it."""
        _chance, contradicted = match_chance(task, self.entry)
        if contradicted:
            return (
                "showing this create's queue-expiry nonce but another seed or safety "
                "identifier, as a server that ignores a requested seed would"
            )
        return "showing no more of this create's identity than another client's task may by chance"

    def too_many(self) -> OutcomeUnknownError:
        """Stop: more tasks since the create began than a search compares."""
        self.overflowed = True
        why = f" ({self.lost_how})" if self.lost_how else ""
        return OutcomeUnknownError(
            f"a create whose answer was lost{why} may have made a task, and the account has "
            f"more than {CROWD:,} tasks of its model since, more than a search reads to tell "
            "its own from others' for sure",
            reason="lost_create_unlisted",
            suggestion=[Suggestion.of("wait", "TASK_ID", output=self.output), self.again],
            exit_status=ServerError.exit_status,
        )

    def not_yet(self) -> OutcomeUnknownError:
        """Stop: the task list shows no task that could be it, but may not be current yet,
        and the deadline comes first."""
        why = f" ({self.lost_how})" if self.lost_how else ""
        return OutcomeUnknownError(
            f"a create whose answer was lost{why} may have made a task; the task list shows "
            "none yet, but a list can show a new task late",
            reason="lost_create_list_not_current",
            suggestion=[Suggestion.again(), self.again],
            exit_status=ServerError.exit_status,
        )

    def cannot_look(self, cause: SeedanceError | None = None) -> OutcomeUnknownError:
        """Stop: the provider cannot be asked (no task list, or the look itself failed)."""
        wait = Suggestion.of("wait", "TASK_ID", output=self.output)  # from the console
        if cause is None:
            return OutcomeUnknownError(
                "an identical create was sent before and its outcome is unknown",
                reason="lost_create_no_list",
                suggestion=[wait, self.again],
                exit_status=ServerError.exit_status,
            )
        why = f" ({self.lost_how})" if self.lost_how else ""
        return OutcomeUnknownError(
            f"a create whose answer was lost{why} may have made a task, and looking for it "
            f"failed ({cause.message})",
            reason="lost_create_search_failed",
            suggestion=[Suggestion.again(), self.again],
            exit_status=cause.exit_status,
        )


def _since(task: Task, since: float) -> bool:
    return task.created_at is None or task.created_at.timestamp() >= since


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "at an unknown time"
