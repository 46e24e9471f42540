"""Per-call options: what one call that spends may do, and nothing beyond it.

`max_cost`, `timeout`, `strict`, `validate` and `allow_unpriced` are arguments of the call
that spends (`client.videos.generate(..., max_cost=2)`); `client.with_options(...)` returns a
copy of the client whose calls take other defaults. Nothing a call is given outlives it: a cap
is an `Allowance` made for the call (or the storyboard or batch run) and dropped with it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from seedance.domain.errors import UsageError
from seedance.services.account.gate import Allowance


@dataclass(frozen=True)
class CallOptions:
    """The defaults of a client's calls (each call may give its own)."""

    max_cost: float | None = None  # a cap on what one call (or run) newly spends
    timeout: float | None = None  # seconds a call may wait for its task
    strict: bool = False  # refuse models the catalogue does not know
    validate: bool = True  # the catalogue's checks before sending
    allow_unpriced: bool = False  # under a cap, let requests of unknown price through

    def __post_init__(self) -> None:
        Allowance.of(self.max_cost)  # the one check of a cap
        if self.timeout is not None and not 0 <= self.timeout < float("inf"):
            raise UsageError("a timeout is a number of seconds of 0 or more", field="timeout")

    def given(
        self,
        *,
        max_cost: float | None = None,
        timeout: float | None = None,
        strict: bool | None = None,
        validate: bool | None = None,
        allow_unpriced: bool | None = None,
    ) -> CallOptions:
        """These options, with what one call gives instead (None: the default)."""
        changes: dict[str, Any] = {
            name: value
            for name, value in (
                ("max_cost", max_cost),
                ("timeout", timeout),
                ("strict", strict),
                ("validate", validate),
                ("allow_unpriced", allow_unpriced),
            )
            if value is not None
        }
        return replace(self, **changes) if changes else self

    def allowance(self) -> Allowance:
        """A fresh allowance for one call or run: its own count of what it spent."""
        return Allowance.of(self.max_cost, allow_unpriced=self.allow_unpriced)
