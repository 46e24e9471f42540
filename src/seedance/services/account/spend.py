"""What was spent, from the journal (the ledger): per day, model, profile, storyboard or batch.

Every create this machine sent is a row of the journal with its estimate and the price it was
sent at (services/accounts.py); once its task is seen finished, the usage the API reported.
So:

- estimated: the estimate's tokens × the price, for every create not refused;
- billed: the usage the API reported × the same price (a task that ended without usage bills
  nothing; one not seen finished yet has no usage so far).

Money is summed per currency (a profile's prices are in USD on BytePlus and on gateways that
price in USD, CNY on Volcengine) and never across currencies. Days are UTC days. Creates with
no price (a model no price list or profile prices, or made before the ledger existed, journal
version 3 and older) are counted apart (`unpriced()`), never as a total of None; JSON carries
money rounded to the cent (domain/pricing.py `money`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from seedance.domain.documents import shown
from seedance.domain.errors import UsageError
from seedance.domain.params import SPEND_BY
from seedance.domain.pricing import money
from seedance.services.state import LedgerLine, State

DEFAULT_SINCE = "30d"
_AGO = re.compile(r"(\d+)\s*([hdw])")
_UNITS = {"h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str | None, now: float) -> float:
    """`7d`, `12h`, `2w` (that long before `now`) or `2026-11-01` (that UTC day's start)."""
    text = (text or DEFAULT_SINCE).strip().lower()
    ago = _AGO.fullmatch(text)
    if ago:
        digits = ago.group(1).lstrip("0") or "0"
        # (a number of thousands of digits is more than Python reads: it reaches back too far)
        since = now - int(digits) * _UNITS[ago.group(2)] if len(digits) <= 15 else -1.0
        if since < 0:
            raise UsageError(
                f"'{shown(text)}' reaches back before 1970: give a shorter time or a day",
                field="since",
            )
        return since
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise UsageError(
            f"'{shown(text)}' is neither a day (2026-11-01) nor a time ago (7d, 12h, 2w)",
            field="since",
        ) from None
    return day.timestamp()


@dataclass
class Spend:
    """The ledger since a moment, grouped."""

    by: str
    since: float
    lines: list[LedgerLine] = field(default_factory=list)

    def totals(self) -> list[dict[str, Any]]:
        """Per currency: creates, tokens, estimated and billed (numbers, never None; the
        creates without a price are counted in `unpriced()`)."""
        totals: dict[str, dict[str, Any]] = {}
        for line in self.lines:
            if line.currency is None:
                continue
            total = totals.setdefault(
                line.currency,
                {
                    "currency": line.currency,
                    "creates": 0,
                    "estimated_tokens": 0,
                    "tokens": 0,
                    "estimated": 0.0,
                    "billed": 0.0,
                },
            )
            total["creates"] += line.creates
            total["estimated_tokens"] += line.estimated_tokens or 0
            total["tokens"] += line.tokens or 0
            total["estimated"] += line.estimated or 0.0
            total["billed"] += line.billed or 0.0
        return list(totals.values())

    def unpriced(self) -> dict[str, int]:
        """The creates no price was known for: how many, their tokens (estimated and billed)."""
        lines = [line for line in self.lines if line.currency is None]
        return {
            "creates": sum(line.creates for line in lines),
            "estimated_tokens": sum(line.estimated_tokens or 0 for line in lines),
            "tokens": sum(line.tokens or 0 for line in lines),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "since": datetime.fromtimestamp(self.since, UTC).isoformat(),
            "groups": [
                {
                    self.by: line.key,
                    "currency": line.currency,
                    "creates": line.creates,
                    "estimated_tokens": line.estimated_tokens,
                    "tokens": line.tokens,
                    "estimated": money(line.estimated),
                    "billed": money(line.billed),
                    "unpriced": line.unpriced,
                    "unfinished": line.unfinished,
                }
                for line in self.lines
            ],
            "totals": [
                {**total, "estimated": money(total["estimated"]), "billed": money(total["billed"])}
                for total in self.totals()
            ],
            "unpriced": self.unpriced(),
        }


def spend(
    journal: State,
    *,
    by: str = "day",
    since: str | None = None,
    now: float,
    profile: str | None = None,
) -> Spend:
    """The journal's ledger since `since` (default: 30 days), grouped `by` day, model,
    profile, storyboard or batch (creates of no storyboard or batch group under None)."""
    if by not in SPEND_BY:
        raise UsageError(f"cannot group by '{by}'", field="by", allowed=SPEND_BY)
    start = parse_since(since, now)
    return Spend(by, start, journal.ledger(by, since=start, profile=profile))
