"""Money: price lists, a profile's own prices, and the estimate of one request.

tokens = width × height × frames / 1024, frames = 24 × (output seconds + input video seconds)
+ 1 (docs/sources/ark.txt; input video seconds count too: docs/sources/real-world.md
"Billing", docs/sources/live-research.md §2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

FRAMES_PER_SECOND = 24
_SYMBOLS = {"USD": "$", "CNY": "¥"}


def format_money(amount: float, currency: str | None) -> str:
    symbol = _SYMBOLS.get(currency or "", "")
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency or ''}".strip()


def money(amount: float | None) -> float | None:
    """An amount as a JSON document carries it: a number rounded to the cent (None stays None).

    A number, not a string in minor units: scripts already read these fields as numbers
    (`jq '.totals[0].billed'`, `round(total["billed"], 2)`), and a cent is the smallest unit
    of every currency a price list here uses (USD, CNY). Sums are made from the exact amounts
    and rounded once, when written.
    """
    return None if amount is None else round(amount, 2)


MONEY_FIELDS = ("cost", "estimated_cost")


def money_fields(record: dict[str, Any]) -> dict[str, Any]:
    """A record (a shot's, a take's) for a JSON document, its money to the cent. The
    manifest files keep the exact amounts (and earlier versions' records read back whole)."""
    return {k: money(v) if k in MONEY_FIELDS else v for k, v in record.items()}


def total_of(estimates: Sequence[Estimate | None]) -> tuple[int, float | None, str | None]:
    """The tokens and cost of several requests (the cost None unless every one is priced)."""
    known = [e for e in estimates if e is not None]
    tokens = sum(e.tokens for e in known)
    priced = len(known) == len(estimates) and all(e.cost is not None for e in known)
    cost = sum(e.cost or 0.0 for e in known) if priced else None
    currency = next((e.currency for e in known if e.currency), None)
    return tokens, cost, currency


def tokens_for(width: int, height: int, seconds: float) -> int:
    """The tokens of `seconds` of video at `width` × `height`."""
    return int(width * height * (FRAMES_PER_SECOND * seconds + 1) // 1024)


@dataclass(frozen=True)
class Estimate:
    """What a request will cost, as well as can be known before it is sent."""

    tokens: int
    price_per_million: float | None
    currency: str | None
    approximate: bool  # auto duration, draft or adaptive ratio: a guess or an upper bound
    lower_bound: bool = False  # input video lengths unknown: the bill may be higher

    @property
    def cost(self) -> float | None:
        if self.price_per_million is None:
            return None
        return self.tokens / 1_000_000 * self.price_per_million

    @property
    def priced(self) -> bool:
        return self.price_per_million is not None

    def describe(self) -> str:
        """`108,900 tokens ≈ $0.76`; `at least …` when input lengths are unknown; the price
        `unknown` when no price list or profile gives one."""
        lead = "at least " if self.lower_bound else ("about " if self.approximate else "")
        text = f"{lead}{self.tokens:,} tokens"
        cost = self.cost
        return text + (
            f" ≈ {format_money(cost, self.currency)}" if cost is not None else ", price unknown"
        )


@dataclass(frozen=True)
class PriceFacts:
    """What a price depends on."""

    family: str
    resolution: str
    video_reference: bool
    generate_audio: bool


def list_price(plist: Mapping[str, Any] | None, facts: PriceFacts, *, flex: bool) -> float | None:
    """The first rule of a price list that matches (`source` is only a citation)."""
    if not plist:
        return None
    wanted = {
        "family": facts.family,
        "resolution": facts.resolution,
        "video_reference": facts.video_reference,
        "generate_audio": facts.generate_audio,
    }
    for rule in plist.get("rules", []):
        if all(wanted.get(k) == v for k, v in rule.items() if k not in ("price", "source")):
            factor = plist.get("flex_factor", 1.0) if flex else 1.0
            return float(rule["price"]) * factor
    return None


@dataclass(frozen=True)
class ProfilePrices:
    """A profile's own prices per million tokens (`prices` in profiles.toml), in its currency.

    Each key names a model (the name sent, the name asked for, or its family); each value is
    one price, or a table by resolution (`"720p"`, `"720p+video"` with a video reference,
    `"default"` for the rest).
    """

    table: Mapping[str, Any] = field(default_factory=dict)
    currency: str | None = None

    def price(self, names: Sequence[str], resolution: str, video_reference: bool) -> float | None:
        for name in names:
            value = self.table.get(name)
            if value is None:
                continue
            if isinstance(value, int | float):
                return float(value)
            if isinstance(value, Mapping):
                keys = [f"{resolution}+video"] if video_reference else []
                keys += [resolution, "default"]
                for key in keys:
                    if isinstance(value.get(key), int | float):
                        return float(value[key])
        return None


def problems_in_prices(table: Mapping[str, Any]) -> list[str]:
    """What is wrong with a `prices` table, for the profile's validation."""
    problems = []
    for name, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int | float | Mapping):
            problems.append(f"prices.{name} must be a number or a table of numbers")
        elif isinstance(value, Mapping):
            bad = [
                k for k, v in value.items() if isinstance(v, bool) or not isinstance(v, int | float)
            ]
            problems += [f"prices.{name}.{k} must be a number" for k in bad]
        elif value < 0:
            problems.append(f"prices.{name} must not be negative")
    return problems
