"""An account's limits, shared by every seedance process on the machine: how many of its tasks
may be unfinished at once, and how much may be spent.

An account is an API origin and a key, known here by a digest of the two (`account_of`); the
key itself is never stored. Its slots and its ledger are the state's rows (services/state/): a
create holds a slot from the moment its row is written (before it is sent) until its task is
seen finished or the create is refused, and its row carries its estimate and price, so the
journal is the ledger. Each create is counted, and its row written, under the account's lock
(`State.account_lock`: a file lock on the local store, the database's on a shared one): two
processes, on one machine or on several sharing a state, never both take the last slot, nor
both pass the same remaining budget.

- The cap: the profile's `max_running` (default 10, the concurrency docs/sources/ark.txt gives
  the pro models), or `max_running_models` for a model of its own; lowered for the rest of
  the run when the API refuses a create for concurrency (`Gate.crowded`).
- A full account: the status of its unfinished tasks is read again first (one batched read),
  since a task nobody waits for (a create that did not wait, a killed process) frees its slot
  only when seen finished; then the create waits on the clock, up to its deadline.
- A create being sent counts while its sender holds its row's lease. One whose sender died
  (or gave up) before an answer may have made a task that runs: it keeps its slot until it is
  resolved. Where this client can look for it (the same API and a dialect that finds lost
  creates), a full account makes the gate look (services/account/orphans.py): found, the
  create adopts its task, which frees the slot once seen finished; provably never arrived, it
  is refused and frees it; everything that could be it ended, it frees it (its outcome stays
  unknown for the command that sent it). Elsewhere it holds its slot for an hour
  (`orphans.ORPHAN_HOLD`).
- Money: the run's `max_cost` (an `Allowance`), and the profile's `budget_day` and
  `budget_month` (UTC days and months) over everything this machine sent to the account, in the
  currency of the request's price. A request whose price is not known is refused under any cap
  unless the allowance lets it through (counted as nothing).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from seedance.domain.catalogue import Estimate, catalogue, format_money
from seedance.domain.clock import Clock
from seedance.domain.errors import (
    APIError,
    BudgetError,
    BusyError,
    ExitStatus,
    NotFoundError,
    Reason,
    SeedanceError,
    Suggestion,
    UsageError,
)
from seedance.domain.models import Task
from seedance.domain.profiles import Profile
from seedance.providers.base import Provider
from seedance.providers.http import BearerAuth, origin_of
from seedance.services.account import orphans
from seedance.services.state import Entry, Observation, State

SLOT_POLL = 5.0  # seconds between looks while the account is full
# How long a task can stay unfinished: the longest queue expiry (docs/sources/ark.txt,
# execution_expires_after up to 259200 s) and an hour to run. Older rows hold no slot.
SLOT_HORIZON = 259_200 + 3_600
CROWDED_WORDS = ("concurren",)  # a 429 saying so is about running tasks, not request rates
MAX_CROWDED = 30  # creates refused for concurrency in a row before giving up
EPSILON = 1e-9  # money compared without float noise


def account_of(profile: Profile, provider: Provider) -> str:
    """The account a profile's creates go to: a digest of its API origin and key."""
    origin = origin_of(profile.base_url)
    credentials = provider.http.credentials.get(origin)
    key = credentials.digest() if isinstance(credentials, BearerAuth) else ""
    return hashlib.sha256(f"{origin}\n{key}".encode()).hexdigest()[:20]


def is_crowded(exc: SeedanceError) -> bool:
    """A create refused because the account runs too many tasks at once. The documents give
    no code for it (docs/sources/ark.txt lists limits, not errors), so its words decide."""
    text = f"{exc.code} {exc.message}".lower()
    return (
        isinstance(exc, APIError)
        and exc.status_code == 429
        and any(word in text for word in CROWDED_WORDS)
    )


def period_start(now: float, period: str) -> float:
    """The start of the UTC day or month `now` is in."""
    moment = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "month":
        moment = moment.replace(day=1)
    return moment.timestamp()


def _day(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d")


@dataclass
class Allowance:
    """What one run (one command, one batch) may newly spend: `max_cost`, in the currency of
    the requests' prices; `reserved` is the estimates of the creates it sent."""

    max_cost: float | None = None
    allow_unpriced: bool = False
    reserved: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def of(cls, max_cost: float | None, *, allow_unpriced: bool = False) -> Allowance:
        """The allowance of one call capped at `max_cost` (None: no cap of its own), the one
        place a cap is checked: a number of 0 or more (nan and infinity would turn it off)."""
        if max_cost is not None and not 0 <= max_cost < float("inf"):
            raise UsageError("the cost cap must be a number of 0 or more", field="max_cost")
        return cls(max_cost, allow_unpriced)

    @property
    def capped(self) -> bool:
        return self.max_cost is not None

    def check(self, cost: float, currency: str | None) -> None:
        if self.max_cost is None:
            return
        with self._lock:
            total = self.reserved + cost
            if total <= self.max_cost + EPSILON:
                return
            spent = self.reserved
        raise BudgetError(
            f"this create (≈ {format_money(cost, currency)}) would take this run's spend to "
            f"{format_money(total, currency)}, above its cap of "
            f"{format_money(self.max_cost, currency)} ({format_money(spent, currency)} so far); "
            "nothing was sent",
            reason="run_cap_exceeded",
            field="max_cost",
        )

    def reserve(self, cost: float | None) -> None:
        with self._lock:
            self.reserved += cost or 0.0

    def release(self, cost: float | None) -> None:
        """A reserved create that was refused: it costs nothing."""
        with self._lock:
            self.reserved = max(self.reserved - (cost or 0.0), 0.0)


@dataclass(frozen=True)
class Ticket:
    """A create let through: its slot and its reservation, and what its journal row records."""

    account: str
    estimate: Estimate | None
    allowance: Allowance

    @property
    def cost(self) -> float | None:
        return self.estimate.cost if self.estimate is not None else None

    def ledger(self, label: str | None) -> dict[str, Any]:
        estimate = self.estimate
        return {
            "account": self.account,
            "estimated_tokens": estimate.tokens if estimate else None,
            "price": estimate.price_per_million if estimate else None,
            "currency": estimate.currency if estimate else None,
            "label": label,
        }

    def release(self) -> None:
        """The create was refused: nothing is spent."""
        self.allowance.release(self.cost)


OnWait = Callable[[str], None]


class Gate:
    """One client's way through its account's limits (the cap it lowered lasts as long as
    the client)."""

    def __init__(
        self,
        profile: Profile,
        provider: Provider,
        state: State,
        clock: Clock,
        *,
        account: str,
        notify: Callable[[str], None],
        auth: Callable[[], AbstractContextManager[None]],
    ) -> None:
        self.profile = profile
        self.provider = provider
        self.state = state
        self.clock = clock
        self.account = account
        self.notify = notify
        self.auth = auth  # annotates an auth failure with the profile's key source
        self.lowered: int | None = None  # after a concurrency refusal
        self._lock = threading.Lock()
        self._refreshed: float | None = None  # monotonic time of the last batched read
        self._resolved: float | None = None  # monotonic time of the last look for orphans
        self._warned = False  # that the journal cannot count the account's tasks

    @property
    def cap(self) -> int:
        cap = self.profile.max_running
        return min(cap, self.lowered) if self.lowered is not None else cap

    def model_cap(self, model: str | None) -> int | None:
        """The profile's own limit for `model` (by the name sent, or any name of its family)."""
        limits = self.profile.max_running_models
        if not limits or not model:
            return None
        if model in limits:
            return limits[model]
        family = catalogue().family_for_name(model)
        for name, limit in limits.items():
            if family is not None and catalogue().family_for_name(name) == family:
                return limit
        return None

    @staticmethod
    def same_model(model: str | None, other: str | None) -> bool:
        """Whether two model names count against one model limit (one name, or one family)."""
        if model is None or other is None:
            return False
        if model == other:
            return True
        family = catalogue().family_for_name(model)
        return family is not None and catalogue().family_for_name(other) == family

    # -- a create --------------------------------------------------------------------------

    @contextmanager
    def admit(
        self,
        model: str | None,
        estimate: Estimate | None,
        *,
        allowance: Allowance,
        deadline: float | None = None,
        on_wait: OnWait | None = None,
        stop: threading.Event | None = None,
    ) -> Iterator[Ticket]:
        """Let a create through once its account has a free slot and its cost fits every cap;
        the caller writes its journal row inside the block, under the account's lock.

        Raises BudgetError (nothing sent) when it does not fit; BusyError (exit 6) when no slot
        frees before `deadline` (monotonic); KeyboardInterrupt when `stop` is set meanwhile."""
        clock = self.clock
        told = None
        self._check_ledger()
        while True:
            lock = self.state.account_lock(self.account)
            lock.acquire(clock, timeout=self._left(deadline))
            try:
                self._check_money(estimate, allowance)
                running = self.running()
                full = self._full(running, model)
                if full is None:
                    ticket = Ticket(self.account, estimate, allowance)
                    allowance.reserve(ticket.cost)
                    try:
                        yield ticket
                    except BaseException:
                        ticket.release()
                        raise
                    return
            finally:
                lock.release()
            self._refresh(running)
            self._resolve(running, stop, deadline)
            full = self._full(self.running(), model)
            if full is None:
                continue
            if full != told and on_wait is not None:
                on_wait(full)
            told = full
            self._pause(deadline, stop, full)

    def running(self) -> list[Entry]:
        """The account's creates that hold a slot now."""
        now = self.clock.time()
        counted = []
        for entry in self.state.open_creates(self.account, now - SLOT_HORIZON):
            if entry.task_id is None and not self.state.row_in_flight(entry.row):
                entry = self.state.entry(entry.row) or entry  # answered meanwhile?
                if entry.task_id is None and not orphans.holds_slot(
                    entry, now, self.profile, self.provider
                ):
                    continue  # its sender died unanswered long ago: not counted
            counted.append(entry)
        return counted

    def _full(self, running: list[Entry], model: str | None) -> str | None:
        """Why there is no slot for a create of `model`, or None."""
        if len(running) >= self.cap:
            return f"{len(running)} of {self.cap} tasks unfinished on this account"
        limit = self.model_cap(model)
        if limit is not None:
            mine = [e for e in running if self.same_model(model, e.model)]
            if len(mine) >= limit:
                return f"{len(mine)} of {limit} tasks of {model} unfinished on this account"
        return None

    def _left(self, deadline: float | None) -> float | None:
        if deadline is None:
            return None
        return max(deadline - self.clock.monotonic(), 0.0)

    def _pause(self, deadline: float | None, stop: threading.Event | None, full: str) -> None:
        left = self._left(deadline)
        if left is not None and left <= 0:
            raise BusyError(
                f"no slot freed before the timeout ({full}); nothing was sent",
                code="no_slot",
                reason="account_full",
                exit_status=ExitStatus.TIMEOUT,
                suggestion=Suggestion.of("tasks.list", local=True),
            )
        pause = SLOT_POLL if left is None else min(SLOT_POLL, left)
        clock = self.clock
        if stop is None:
            clock.sleep(pause)
        elif clock.wait(stop, pause):
            raise KeyboardInterrupt

    def _refresh(self, running: list[Entry]) -> None:
        """Read again the unfinished tasks this client's provider can read (one batched read,
        at most one per SLOT_POLL for all of the client's threads)."""
        ids = [e.task_id for e in running if e.task_id and e.base_url == self.profile.base_url]
        now = self.clock.monotonic()
        with self._lock:
            if not ids or (self._refreshed is not None and now - self._refreshed < SLOT_POLL):
                return
            self._refreshed = now
        try:
            with self.auth():
                tasks = self.provider.get_many(ids)
        except NotFoundError:
            tasks = self._one_by_one(ids)
        except SeedanceError:
            return  # the service is unwell: look again after the pause
        now = self.clock.time()
        self.state.observe_many([Observation.of(task, now) for task in tasks.values()])

    def _resolve(
        self, running: list[Entry], stop: threading.Event | None, deadline: float | None
    ) -> None:
        """Look on the server for the tasks of the account's creates whose sender died before
        an answer (services/account/orphans.py), so they hold their slots no longer than
        needed; at most once per SLOT_POLL for all of the client's threads."""
        profile, provider = self.profile, self.provider
        found = [
            e.row for e in running if e.task_id is None and orphans.can_look(e, profile, provider)
        ]
        now = self.clock.monotonic()
        with self._lock:
            if not found or (self._resolved is not None and now - self._resolved < SLOT_POLL):
                return
            self._resolved = now
        for row in found:
            orphans.resolve(
                row,
                provider=provider,
                state=self.state,
                clock=self.clock,
                auth=self.auth,
                stop=stop,
                deadline=deadline,
            )

    def _one_by_one(self, ids: list[str]) -> dict[str, Task]:
        found = {}
        for task_id in ids:
            try:
                found[task_id] = self.provider.get(task_id)
            except NotFoundError:
                self.state.gone(task_id, self.clock.time())
            except SeedanceError:
                continue
        return found

    def crowded(self, exc: SeedanceError) -> int:
        """The API refused a create for concurrency: the cap for the rest of the run becomes
        the number of the account's tasks that run now (at least 1; creates still in flight
        may be refused too, so they do not count). Returns it."""
        running = len([e for e in self.running() if e.task_id is not None])
        with self._lock:
            self.lowered = max(1, min(self.cap - 1, running))
            cap = self.lowered
        self.notify(
            f"the API refused a create: too many tasks at once on this account ({exc.code}); "
            f"at most {cap} at a time for the rest of this run"
        )
        return cap

    def _check_ledger(self) -> None:
        """A journal an older seedance wrote that could not be upgraded (no room for its
        backup, a read-only folder) has no ledger: the profile's budgets cannot be checked, so
        nothing is sent; the cap on unfinished tasks counts nothing (said once)."""
        state = self.state
        if state.has_ledger():
            return
        profile = self.profile
        why = f"it could not be upgraded: {state.not_upgraded or 'an older version'}"
        budgets = [
            name for name in ("budget_day", "budget_month") if getattr(profile, name) is not None
        ]
        if budgets:
            raise BudgetError(
                f"the journal {state.where} keeps no record of spending ({why}), so the "
                f"profile's {' and '.join(budgets)} cannot be checked; nothing was sent",
                code="no_ledger",
                reason="journal_upgrade_blocked",
                field=budgets[0],
                suggestion=Suggestion.again(),
            )
        with self._lock:
            if self._warned:
                return
            self._warned = True
        self.notify(
            f"the journal {state.where} keeps no record of the account's tasks ({why}), so "
            f"the cap of {self.cap} unfinished tasks (max_running) is not enforced; free some "
            "space beside it and run again"
        )

    # -- money -----------------------------------------------------------------------------

    def capped(self, allowance: Allowance) -> bool:
        """Whether a spending cap applies to a create under `allowance`: its own, or the
        profile's budgets."""
        profile = self.profile
        budgets = (profile.budget_day, profile.budget_month)
        return allowance.capped or any(b is not None for b in budgets)

    def _check_money(self, estimate: Estimate | None, allowance: Allowance) -> None:
        profile = self.profile
        budgets = [
            (name, period, limit)
            for name, period, limit in (
                ("budget_day", "day", profile.budget_day),
                ("budget_month", "month", profile.budget_month),
            )
            if limit is not None
        ]
        cost = estimate.cost if estimate is not None else None
        if cost is None:
            if (allowance.capped or budgets) and not allowance.allow_unpriced:
                raise BudgetError(
                    "the price of this request is not known, so the spending caps cannot be "
                    "checked; nothing was sent",
                    reason="price_unknown_under_cap",
                    field="allow_unpriced",
                    suggestion=Suggestion.again(allow_unpriced=True),
                )
            return
        lower = estimate is not None and estimate.lower_bound
        if lower and (allowance.capped or budgets) and not allowance.allow_unpriced:
            assert estimate is not None
            raise BudgetError(
                f"this request's estimate is only a lower bound ({estimate.describe()}): "
                "the length of a reference video is not known, and input video seconds "
                "are billed, so the spending caps cannot be checked; nothing was sent",
                code="lower_bound",
                reason="price_lower_bound",
                field="allow_unpriced",
                suggestion=Suggestion.again(allow_unpriced=True),
            )
        currency = estimate.currency if estimate is not None else None
        allowance.check(cost, currency)
        for name, period, limit in budgets:
            since = period_start(self.clock.time(), period)
            spent = self.state.charged(self.account, currency or "", since)
            if spent + cost <= limit + EPSILON:
                continue
            when = "today" if period == "day" else "this month"
            raise BudgetError(
                f"this create (≈ {format_money(cost, currency)}) would take {when}'s spend on "
                f"this account to {format_money(spent + cost, currency)}, above the profile's "
                f"{name} of {format_money(limit, currency)} "
                f"({format_money(spent, currency)} spent {when}, UTC); nothing was sent",
                reason=Reason.of("budget_cap", cap=name, period=period),
                field=name,
                suggestion=Suggestion.of("spend", since=_day(since)),
            )
