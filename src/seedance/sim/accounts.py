"""Accounts on the simulated services: each API key is one account, whose unfinished tasks may
be limited, and whose running tasks and billed usage the simulator can report (for tests).

Rules of this table (the documents give limits, not the answers to going over them):

- Concurrency. A create while the key already has `SimConfig.max_running` tasks queued or
  running (unset: no limit) is answered 429
  `{"error": {"code": "ConcurrencyLimitExceeded", "message": "... concurrency limit ...",
  "type": "TooManyRequests"}}` and makes no task. ASSUMPTION: docs/sources/ark.txt gives
  concurrency 10 for the pro models (and RPM 600), but no source records the answer to
  exceeding it; this code is plausible, not documented, so clients match on the word
  "concurrency" as well (services/accounts.py).
- Billing. A succeeded task's `usage.completion_tokens` is billed on the UTC day it finished
  (docs/sources/ark.txt: usage in the task; docs/sources/real-world.md "Billing"); an
  unsuccessful task bills nothing.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from seedance.sim.rules import Refusal

if TYPE_CHECKING:
    from seedance.sim.app import Simulator
    from seedance.sim.state import SimTask
    from seedance.sim.wire import SimRequest

CROWDED = Refusal(
    429,
    "ConcurrencyLimitExceeded",
    "Request failed because you have exceeded the concurrency limit of running tasks for "
    "your account. Please wait for running tasks to finish and try again.",
)


class Refused(Exception):
    """A create refused for its account (answered as `refusal`; nothing was made)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def account_of(request: SimRequest) -> str:
    """The account of a request: a digest of its key (an empty key's when it has none)."""
    return account_of_key(request.bearer or "")


def account_of_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def unfinished(sim: Simulator, account: str, now: float) -> int:
    return sum(
        1
        for task in sim.state.tasks.values()
        if task.account == account and task.status(now) in ("queued", "running")
    )


def admit(sim: Simulator, request: SimRequest) -> str:
    """The account of a create about to make a task; raises Refused when it may not start
    another one now."""
    account = account_of(request)
    limit = sim.config.max_running
    if limit is not None and unfinished(sim, account, sim.clock.time()) >= limit:
        sim.crowded += 1
        raise Refused(CROWDED)
    return account


def _interval(task: SimTask) -> tuple[float, float]:
    return task.created_at, task.finished_at()


def peak_running(sim: Simulator) -> dict[str, int]:
    """Per account, the most tasks that were queued or running at the same moment."""
    events: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for task in sim.state.tasks.values():
        start, end = _interval(task)
        events[task.account or ""] += [(start, 1), (end, -1)]
    peaks = {}
    for account, changes in events.items():
        running = peak = 0
        for _at, change in sorted(changes):  # at the same moment, ends (-1) before starts
            running += change
            peak = max(peak, running)
        peaks[account] = peak
    return peaks


def billed(sim: Simulator) -> dict[tuple[str, str], int]:
    """Tokens billed per (model, UTC day), from the tasks that succeeded by now."""
    now = sim.clock.time()
    usage: dict[tuple[str, str], int] = defaultdict(int)
    for task in sim.state.tasks.values():
        if task.status(now) == "succeeded":
            day = datetime.fromtimestamp(task.finished_at(), UTC).strftime("%Y-%m-%d")
            usage[(task.model, day)] += task.tokens()
    return dict(usage)
