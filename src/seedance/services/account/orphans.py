"""Creates whose sender died (or gave up) before their answer: they hold a slot of their
account until resolved, since their task may be running (issue 23, finding 3).

Where this client can look for such a task (`can_look`: the same API and dialect, one that
finds lost creates, and a create that carries a nonce), the gate of a full account looks for
it the way its sender would have (services/videos/identity.py), one process per row (its
lease): found, the row adopts the task, which frees the slot once seen finished. Not found
(it never arrived), or everything that could be it ended (read whole and current): the slot
is freed, the row's state left as it is. Only the command that sent the create decides that
it never arrived (and sends it again): the window a search reads starts at the row's
`created_at`, on its sender's clock, which may be another machine's (a shared state) and off
by more than a search allows for; a gate misled by it frees a slot too soon, and never makes
anyone pay twice. Elsewhere, and where the account has more tasks since the create than a
search compares (a window that only grows: it would never be resolved), the create holds its
slot for ORPHAN_HOLD.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

from seedance.domain.clock import Clock
from seedance.domain.errors import OutcomeUnknownError, SeedanceError, Suggestion
from seedance.domain.profiles import Profile
from seedance.providers.base import Provider
from seedance.services.locks import holding
from seedance.services.state import Entry, JournalState, Observation, State
from seedance.services.videos.identity import LostCreate
from seedance.services.videos.polling import Stopped

# How long a create whose sender died unanswered holds its slot where it cannot be looked
# for: longer than a task of the usual tier takes to queue and run (docs/sources/
# live-research.md §11: 60-150 s, longer under a queue; a flex task queued 15 minutes).
ORPHAN_HOLD = 3_600.0
RESOLVE_SPAN = 25.0  # one resolution's looks: two 10 s apart, or the candidates seen


def can_look(entry: Entry, profile: Profile, provider: Provider) -> bool:
    """Whether this client can look for the task of `entry`'s create on the server."""
    return (
        provider.capabilities.finds_lost_creates
        and entry.nonce is not None
        and entry.base_url == profile.base_url
        and entry.dialect == provider.dialect
    )


def holds_slot(entry: Entry, now: float, profile: Profile, provider: Provider) -> bool:
    """Whether an unanswered create nobody is sending (no lease on its row) holds its slot at
    `now`: while it can be looked for (until resolved), else for ORPHAN_HOLD."""
    return can_look(entry, profile, provider) or now - entry.created_at < ORPHAN_HOLD


def resolve(
    row: int,
    *,
    provider: Provider,
    state: State,
    clock: Clock,
    auth: Callable[[], AbstractContextManager[None]],
    stop: threading.Event | None = None,
    deadline: float | None = None,
) -> None:
    """Look for the task of the unanswered create of `row` unless another process is at it
    (its sender, or another gate: the row's lease), and record what is found; the looks end
    by `deadline` (monotonic: the waiting create's own), RESOLVE_SPAN at most."""
    lease = state.row_lease(row)
    if not lease.try_acquire():
        return
    until = clock.monotonic() + RESOLVE_SPAN
    until = until if deadline is None else min(until, deadline)
    with holding(lease):
        _resolve(
            row, provider=provider, state=state, clock=clock, auth=auth, stop=stop, until=until
        )


def _resolve(
    row: int,
    *,
    provider: Provider,
    state: State,
    clock: Clock,
    auth: Callable[[], AbstractContextManager[None]],
    stop: threading.Event | None,
    until: float,
) -> None:
    entry = state.entry(row)  # read again under its lease: resolved meanwhile?
    if (
        entry is None
        or entry.task_id is not None
        or entry.state is JournalState.REJECTED
        or entry.finished_at is not None
    ):
        return
    search = LostCreate(
        provider,
        state,
        clock,
        entry,
        again=Suggestion.again(new=True),
        stop=stop,
        lost_how="its sender stopped before the answer",
    )
    try:
        with auth():
            found = search.find(deadline=until, keep_watching=False)
    except Stopped:
        raise KeyboardInterrupt from None
    except OutcomeUnknownError:
        if search.overflowed:  # it cannot be looked for any more: held as if it could not
            if clock.time() - entry.created_at >= ORPHAN_HOLD:
                state.free_slot(row, clock.time())
            return
        # every task that could be its own ended, in a list whole and current (a task made a
        # moment ago may not be listed yet): whatever it made runs no more
        seen = list(search.seen.values())
        ended = seen and all(t.status.is_terminal for t in seen)
        if ended and search.whole and search.caught_up():
            state.free_slot(row, clock.time())
        return
    except SeedanceError:
        return  # the service is unwell: it keeps its slot; looked for again later
    if found is None:  # not there: its sender's command, run again, decides for itself
        state.free_slot(row, clock.time())
        return
    state.adopt(row, found.id, clock.time())
    state.observe_many([Observation.of(found, clock.time())])
