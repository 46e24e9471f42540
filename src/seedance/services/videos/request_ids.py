"""Request ids: a caller's own key for one video (`Client.generate(request_id=...)`).

A caller that retries (an agent whose tool call timed out, a script run again) repeats the
request id, and gets the task that id made (resumed, or its saved video) instead of paying
again; a new video needs a new id. The id is recorded in the journal, as the label of the
create's row (`request:ID`), when the create is written there: before it is sent, so it
survives a crash and a restart, and the lookup and the create happen under the state's lock
of the profile and id (`State.request_lock`), so two processes never both create for it: on a
shared state, two machines neither. A repeat on another machine gets the same video, saved
wherever that machine asks (a path on the first machine names no file there).
"""

from __future__ import annotations

import re
from pathlib import Path

from seedance.domain.errors import Suggestion, UsageError
from seedance.services.state import Entry, State

LABEL = "request:"
_ID = re.compile(r"[A-Za-z0-9._-]{1,100}")


def check(request_id: str) -> str:
    """The id, when it is one: letters, digits, `.`, `_` and `-`, up to 100 of them."""
    if not _ID.fullmatch(request_id):
        raise UsageError(
            f"request id {request_id[:40]!r} is not one: use letters, digits, '.', '_' and '-' "
            "(up to 100)",
            field="request_id",
        )
    return request_id


def label(request_id: str) -> str:
    """The journal label of the creates made for a request id."""
    return LABEL + request_id


def earlier(
    journal: State, profile: str, request_id: str, *, request_hash: str, output: Path
) -> Entry | None:
    """The newest create made for this request id on this profile, if any. Raises UsageError
    when it was made for another request or another output: the id names one video."""
    if not journal.has_ledger():
        raise UsageError(
            f"the journal {journal.where} is from an older version and could not be upgraded, "
            "so it cannot record request ids",
            reason="request_id_unrecordable",
            field="request_id",
        )
    entry = journal.labelled(profile, label(request_id))
    if entry is None:
        return None
    if entry.request_hash != request_hash:
        raise UsageError(
            f"request id {request_id!r} was used for another request"
            + (f" (task {entry.task_id})" if entry.task_id else ""),
            reason="request_id_reused",
            field="request_id",
        )
    # a path another machine sent it with names no file here: saved where this call says
    elsewhere = entry.machine is not None and entry.machine != journal.who.machine
    if entry.output_path != str(output) and not elsewhere:
        raise UsageError(
            f"request id {request_id!r} saves its video to {entry.output_path}",
            reason="request_id_other_output",
            field="output",
            suggestion=Suggestion.again(output=entry.output_path),
        )
    return entry
