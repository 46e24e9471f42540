"""When the server accepts what the catalogue refuses: the catalogue is stale there.

A request sent with validation off carries the catalogue's refusals it overrode
(`Prepared.overridden`). If the server takes it, those cells are out of date: the notice says
which, and gives the lines of the catalogue overlay (domain/catalogue_overlay.py) that record
what the server showed, so the next run needs no override.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import tomli_w

from seedance.domain.catalogue import OVERLAY_FILE, overlay_file
from seedance.domain.validation import Problem


def overlay_document(problems: list[Problem], task_id: str, now: float) -> dict[str, Any]:
    """The overlay tables recording that the server accepted these overridden refusals."""
    day = datetime.fromtimestamp(now, tz=UTC).strftime("%Y-%m-%d")
    key = f"accepted-{day}"
    document: dict[str, Any] = {
        "sources": {key: f"the server accepted task {task_id} on {day} (seedance's notice)"}
    }
    for problem in problems:
        lift = problem.lift
        if lift is None:
            continue
        if lift.vocabulary is not None:
            table = (
                document.setdefault("vocabularies", {})
                .setdefault(lift.vocabulary, {})
                .setdefault("overrides", {})
                .setdefault(lift.family, {})
            )
        else:
            table = document.setdefault("families", {}).setdefault(lift.family, {})
        value = list(dict.fromkeys(lift.value)) if isinstance(lift.value, tuple) else lift.value
        table[lift.field] = value
        table.setdefault("cite", {})[lift.field] = key
    return document


def stale_notice(problems: list[Problem], task_id: str, now: float) -> str:
    """What to tell the user: which rules the server just proved stale, and the lines that
    record it in their catalogue overlay."""
    rules = ", ".join(dict.fromkeys(p.rule.name for p in problems if p.rule is not None))
    where = overlay_file()
    path = str(where) if where is not None else OVERLAY_FILE
    lines = tomli_w.dumps(overlay_document(problems, task_id, now)).rstrip()
    return (
        f"the server accepted what seedance's catalogue refuses ({rules}): the catalogue is "
        f"stale there. To record it, add these lines to {path}:\n{lines}"
    )
