"""What one task costs, for the live displays: its own estimate until the API bills it.

The estimate is the one recorded in the journal when the create was sent (its tokens and the
price it was sent at: the model, resolution, duration and references of that very request). A
queued or running task's answer names none of those, so an estimate made from the answer
would price the model's defaults instead. A task this machine did not create is estimated from
what its answer says, and only once it says both its resolution and duration. A task that
ended unsuccessfully is billed nothing (the ledger counts it so too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from seedance.domain.models import Task

if TYPE_CHECKING:
    from seedance.domain.pricing import Estimate
    from seedance.services.state import Entry

# (amount, currency, billed): billed from the usage the API reported, else estimated
Cost = tuple[float, str | None, bool]


def task_cost(
    task: Task, recorded: Entry | None, estimate: Callable[[], Estimate | None]
) -> Cost | None:
    """`task`'s cost; `recorded`: its journal row, if any; `estimate`: prices it from its
    answer (called only when the journal has no priced estimate). None: the price is unknown."""
    price: float | None = None
    currency: str | None = None
    tokens: int | None = None
    if recorded is not None and recorded.price is not None:
        price, currency, tokens = recorded.price, recorded.currency, recorded.estimated_tokens
    elif task.resolution is not None and task.duration is not None:
        found = estimate()
        if found is not None:
            price, currency, tokens = found.price_per_million, found.currency, found.tokens
    if price is None:
        return None
    if task.status.is_failure:
        return 0.0, currency, True
    used = task.usage.completion_tokens if task.usage else None
    if used is not None:
        return used / 1_000_000 * price, currency, True
    if tokens is None:
        return None
    return tokens / 1_000_000 * price, currency, False
