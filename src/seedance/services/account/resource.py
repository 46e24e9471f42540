"""`client.account`: what the profile's account spent and may spend, the models it can use,
and whether the first real run will work (`doctor`). Nothing here creates or pays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from seedance.services.runtime import Runtime

if TYPE_CHECKING:  # each loads when its call is made: a command that reads one task needs none
    from seedance.providers.base import ModelProbe
    from seedance.services.account.doctor import Report
    from seedance.services.account.remote_models import RemoteListing
    from seedance.services.account.spend import Spend


@dataclass(frozen=True)
class Budgets:
    """The account's limits as the profile sets them (None: no limit)."""

    budget_day: float | None
    budget_month: float | None
    max_running: int
    max_running_models: dict[str, int]


class Account:
    """The client's account: spend, budgets, models, doctor."""

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt

    def spend(
        self, *, by: str = "day", since: str | None = None, profile: str | None = None
    ) -> Spend:
        """What was spent, from the journal: estimated and billed, per day, model, profile,
        storyboard or batch (`by`), since a day (`2026-11-01`) or a time ago (`7d`; default
        30 days); every profile's creates, or one `profile`'s."""
        from seedance.services.account.spend import spend

        return spend(self._rt.state, by=by, since=since, now=self._rt.clock.time(), profile=profile)

    def budgets(self) -> Budgets:
        """The profile's spending and concurrency limits."""
        profile = self._rt.profile
        return Budgets(
            profile.budget_day,
            profile.budget_month,
            profile.max_running,
            dict(profile.max_running_models or {}),
        )

    def models(self) -> RemoteListing:
        """The provider's live model list merged with the catalogue (known, new, gone); the
        cached one when the provider cannot be reached."""
        with self._rt.explain_auth():
            from seedance.services.account.remote_models import remote_listing

            return remote_listing(self._rt)

    def probe(self, names: Sequence[str]) -> list[ModelProbe]:
        """Whether this key can use each model, asked for free (Ark dialects): nothing is
        created. Raises UnsupportedError on dialects without the probe."""
        with self._rt.explain_auth():
            from seedance.services.account.remote_models import probe_models

            return probe_models(self._rt, names)

    def doctor(self, *, probe_models: bool = False, config_file: Path | None = None) -> Report:
        """Why the first real run will or will not work: config, key, proxy, DNS, TLS, auth,
        clock, asset library, the bucket (`storage`) and (with `probe_models`) each model;
        spends nothing."""
        from seedance.services.account.doctor import diagnose

        return diagnose(self._rt, probe_models=probe_models, config_file=config_file)
