"""`client.storyboards`: multi-shot storyboards (`shots.toml`), each shot continuing from the
last frame of the one it follows.

    session = client.storyboards.plan("shots.toml", max_cost=10)   # nothing sent yet
    print(session.plan.describe_total())
    result = session.run()                                          # or storyboards.run(...)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from seedance.services.media.references import Confinement
from seedance.services.options import CallOptions
from seedance.services.runtime import Runtime

if TYPE_CHECKING:
    from seedance.services.runs.engine import Listener
    from seedance.services.storyboards.session import ChainResult, ChainSession


class Storyboards:
    """Plan and run storyboards on the client's profile."""

    def __init__(self, rt: Runtime, options: CallOptions) -> None:
        self._rt = rt
        self._options = options

    def plan(
        self,
        storyboard: str | Path,
        *,
        output: str | Path | None = None,
        restart: bool = False,
        rerun: Sequence[str] = (),
        concat: bool = False,
        draft: bool = False,
        finalize: bool = False,
        dry_run: bool = False,
        max_cost: float | None = None,
        allow_unpriced: bool | None = None,
        validate: bool | None = None,
        strict: bool | None = None,
        allow_outside: bool = False,
        confine: Confinement | None = None,
        name: str | None = None,
    ) -> ChainSession:
        """Load and plan a storyboard (nothing is sent): `session.plan` holds every shot's
        action, continuity, request and estimate; `session.run()` makes them. `draft` makes
        480p drafts (into `<output>/drafts`), `finalize` their finals. `max_cost` caps what
        the run newly spends (refused now when the estimate is above it). The local files it
        names must be in its folder (or `confine`'s), unless `allow_outside`. Unless
        `dry_run`, the session holds the output folder until it has run (`session.close()`
        lets go); BusyError when another process holds it. `name` is the storyboard's
        identity on every machine that shares the state (default: the file's stem)."""
        options = self._options.given(
            max_cost=max_cost, allow_unpriced=allow_unpriced, strict=strict, validate=validate
        )
        from seedance.services.storyboards.session import (
            open_chain,  # its planners load when a run is asked for
        )

        return open_chain(
            self._rt,
            Path(storyboard),
            output=Path(output) if output is not None else None,
            restart=restart,
            rerun=list(rerun),
            max_cost=options.max_cost,
            concat=concat,
            dry_run=dry_run,
            draft=draft,
            finalize=finalize,
            allow_unpriced=options.allow_unpriced,
            strict=options.strict,
            validate=options.validate,
            allow_outside=allow_outside,
            confine=confine,
            name=name,
        )

    def run(
        self,
        storyboard: str | Path,
        *,
        output: str | Path | None = None,
        restart: bool = False,
        rerun: Sequence[str] = (),
        concurrency: int = 2,
        concat: bool = False,
        draft: bool = False,
        finalize: bool = False,
        max_cost: float | None = None,
        allow_unpriced: bool | None = None,
        validate: bool | None = None,
        strict: bool | None = None,
        on_event: Listener | None = None,
        allow_outside: bool = False,
        name: str | None = None,
    ) -> ChainResult:
        """Run a storyboard to its end: every shot made once, the manifest written after
        every step so a re-run resumes. Local files it names must be in its folder, unless
        `allow_outside`. Raises ChainIncomplete (with `.result`) when some shots did not end
        done; the rest are kept."""
        session = self.plan(
            storyboard,
            output=output,
            restart=restart,
            rerun=rerun,
            concat=concat,
            draft=draft,
            finalize=finalize,
            max_cost=max_cost,
            allow_unpriced=allow_unpriced,
            strict=strict,
            validate=validate,
            allow_outside=allow_outside,
            name=name,
        )
        return session.run(concurrency=concurrency, concat=concat, on_event=on_event)
