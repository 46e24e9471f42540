"""Money rules for agents: what a call that names no `max_cost` may spend.

A call's own `max_cost` caps it. Without one, the profile's `budget_day` and `budget_month`
do (they apply to every create anyway). With neither, the server caps each call at the price
of one 10 s 1080p clip of the profile's model (or of its largest priced resolution): an
agent's mistake costs at most one ordinary clip. Every create passes the cap in the journal,
under the account's lock (services/accounts.py), before it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from seedance.domain.catalogue import catalogue, format_money
from seedance.domain.errors import SeedanceError
from seedance.domain.profiles import Profile
from seedance.services.videos.prepare import resolve_model

DEFAULT_SECONDS = 10
DEFAULT_RESOLUTION = "1080p"


@dataclass(frozen=True)
class DefaultCap:
    """The cap of a call that names none, on a profile without budgets."""

    amount: float  # 0 when no price is known: only unpriced requests, if let through
    currency: str | None
    model: str | None
    resolution: str | None

    def describe(self) -> str:
        if self.resolution is None:
            return f"nothing (no price is known for {self.model or 'the profile model'})"
        clip = f"one {DEFAULT_SECONDS} s {self.resolution} clip of {self.model}"
        return f"{format_money(self.amount, self.currency)} ({clip})"


def has_budgets(profile: Profile) -> bool:
    return profile.budget_day is not None or profile.budget_month is not None


def default_cap(profile: Profile) -> DefaultCap:
    """The price of one 10 s 1080p clip of the profile's model (its largest priced
    resolution when 1080p has no price)."""
    try:
        spec = resolve_model(profile, None)
    except SeedanceError:
        spec = None
    if spec is None:
        return DefaultCap(0.0, None, profile.defaults.get("model") or profile.model, None)
    cat = catalogue()
    offered = spec.family.all_resolutions  # smallest first
    first = [DEFAULT_RESOLUTION] if DEFAULT_RESOLUTION in offered else []
    for resolution in dict.fromkeys([*first, *reversed(offered)]):
        estimate = cat.estimate(
            spec,
            resolution=resolution,
            ratio="16:9",
            duration=DEFAULT_SECONDS,
            overrides=profile.price_overrides(),
        )
        if estimate.cost is not None:
            return DefaultCap(estimate.cost, estimate.currency, spec.name, resolution)
    return DefaultCap(0.0, None, spec.name, None)


def cap_for(profile: Profile, max_cost: float | None) -> tuple[float | None, bool]:
    """The cap of one call, and whether it is the server's default."""
    if max_cost is not None or has_budgets(profile):
        return max_cost, False
    return default_cap(profile).amount, True


def describe(profile: Profile) -> str:
    """The rule, in words, for the tools' descriptions."""
    if has_budgets(profile):
        return (
            "max_cost caps a call; without it, profile "
            f"'{profile.name}''s budget_day and budget_month cap what is spent."
        )
    cap = default_cap(profile)
    return (
        f"max_cost caps a call; without it (profile '{profile.name}' has no budget_day or "
        f"budget_month) one call may spend at most {cap.describe()}. Give max_cost to allow "
        "more."
    )
