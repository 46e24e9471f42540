"""Finding the task of a create whose answer was lost (a crash, a cut connection, a 5xx).

The journal knows what was asked and when; the server's task list knows what exists. A task
the list shows, made in the same hour with the same model, resolution and duration, and not
already known to the journal, is the lost one. Exactly one such task is adopted; none means the
create never arrived (so sending it now bills nothing twice); several, or a provider without a
task list, means seedance cannot tell, and says so instead of guessing.
"""

from __future__ import annotations

from seedance.domain.errors import OutcomeUnknownError, ServerError, Suggestion
from seedance.domain.models import Task
from seedance.providers.base import Provider
from seedance.services.journal import Entry, Journal

CLOCK_SKEW = 3600.0  # how far the server's clock may be from ours, in seconds
PAGE_SIZE = 100
MAX_PAGES = 10


def lost_task(provider: Provider, journal: Journal, entry: Entry, again: Suggestion) -> Task | None:
    """The task the lost create of `entry` made, or None when the server provably has none.

    Raises OutcomeUnknownError when it cannot tell; `again` is how the user creates anew
    (e.g. `Suggestion.again(new=True)`).
    """
    wait = Suggestion.of("wait", "ID", output=entry.output_path)
    if not provider.capabilities.can_list:
        raise OutcomeUnknownError(
            "an identical create was sent before and its outcome is unknown",
            hint="this provider lists no tasks: its console shows whether one was created; "
            "if so, follow it with",
            suggestion=[wait, again],
            exit_status=ServerError.exit_status,
        )
    known = {e.task_id for e in journal.entries(limit=None) if e.task_id}
    since = entry.created_at - CLOCK_SKEW
    found: list[Task] = []
    for page in range(1, MAX_PAGES + 1):
        result = provider.list(model=entry.model, page=page, page_size=PAGE_SIZE)
        for task in result.items:
            if task.id not in known and _same_kind(task, entry) and _since(task, since):
                found.append(task)
        oldest = min((t.created_at.timestamp() for t in result.items if t.created_at), default=0)
        if len(result.items) < PAGE_SIZE or oldest < since:
            break
    if len(found) <= 1:
        return found[0] if found else None
    ids = ", ".join(t.id for t in found[:5])
    raise OutcomeUnknownError(
        f"an identical create was sent before and its outcome is unknown; {len(found)} tasks on "
        f"the server could be it ({ids})",
        hint="check each with the status command, then follow the right one with",
        suggestion=[wait, again],
        exit_status=ServerError.exit_status,
    )


def _same_kind(task: Task, entry: Entry) -> bool:
    for asked, made in ((entry.resolution, task.resolution), (entry.duration, task.duration)):
        if asked not in (None, -1) and made is not None and asked != made:  # -1: model chose
            return False
    return True


def _since(task: Task, since: float) -> bool:
    return task.created_at is None or task.created_at.timestamp() >= since
