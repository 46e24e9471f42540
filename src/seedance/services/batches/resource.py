"""`client.batches`: many videos from a jobs file (.jsonl or .csv) or rows, with takes, one
manifest (`batch.json`), resumable after any crash, capped.

    result = client.batches.run("jobs.jsonl", max_cost=20)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from seedance.services.options import CallOptions
from seedance.services.runtime import Runtime

if TYPE_CHECKING:
    from seedance.services.batches.session import BatchResult, BatchSession, JobsSource
    from seedance.services.runs.engine import Listener


class Batches:
    """Plan and run batches on the client's profile."""

    def __init__(self, rt: Runtime, options: CallOptions) -> None:
        self._rt = rt
        self._options = options

    def plan(
        self,
        jobs: JobsSource,
        *,
        output: str | Path | None = None,
        rerun: Sequence[str] = (),
        retry_failed: bool = False,
        skip_invalid: bool = False,
        dry_run: bool = False,
        base_dir: str | Path | None = None,
        max_cost: float | None = None,
        allow_unpriced: bool | None = None,
        validate: bool | None = None,
        allow_outside: bool = False,
        name: str | None = None,
    ) -> BatchSession:
        """Read and check a batch's jobs (a file, or rows as mappings) and plan every take;
        nothing is sent. `session.plan` holds each take's request and estimate,
        `session.run()` makes them within `max_cost` (`validate=False`: what the catalogue
        would refuse is sent and the server decides; caps still apply). Raises JobsError
        (naming the line and column) for a row that cannot run, unless `skip_invalid`; a row
        naming a local file outside the jobs file's folder (rows given as mappings:
        `base_dir`) cannot, unless `allow_outside`. Unless `dry_run`, the session holds the
        output folder until it has run; BusyError when another process holds it. `name` is
        the batch's identity on every machine that shares the state (default: the jobs
        file's stem): a retried job on another machine, into another folder, finds the takes
        made under it."""
        options = self._options.given(
            max_cost=max_cost, allow_unpriced=allow_unpriced, validate=validate
        )
        from seedance.services.batches.session import (
            open_batch,  # its planners load when a run is asked for
        )

        return open_batch(
            self._rt,
            jobs,
            output=Path(output) if output is not None else None,
            rerun=rerun,
            retry_failed=retry_failed,
            skip_invalid=skip_invalid,
            dry_run=dry_run,
            base_dir=Path(base_dir) if base_dir is not None else None,
            max_cost=options.max_cost,
            allow_unpriced=options.allow_unpriced,
            validate=options.validate,
            allow_outside=allow_outside,
            name=name,
        )

    def run(
        self,
        jobs: JobsSource,
        *,
        output: str | Path | None = None,
        concurrency: int | None = None,
        max_cost: float | None = None,
        allow_unpriced: bool | None = None,
        validate: bool | None = None,
        fail_fast: bool = False,
        retry_failed: bool = False,
        skip_invalid: bool = False,
        rerun: Sequence[str] = (),
        on_event: Listener | None = None,
        base_dir: str | Path | None = None,
        allow_outside: bool = False,
        name: str | None = None,
    ) -> BatchResult:
        """Make every row's takes (`<id>.mp4`, `<id>.take2.mp4`, ... and `batch.json` in
        `output`, by default the jobs file's name beside it): a re-run pays for nothing
        already made. `concurrency` takes at a time (default: the profile's max_running),
        within the account's slots; `max_cost` caps what this run newly spends. Local files
        rows name must be in the jobs file's folder (rows given as mappings: `base_dir`),
        unless `allow_outside`. Raises BatchIncomplete (with `.result`) when some takes need
        attention; the rest are kept."""
        session = self.plan(
            jobs,
            output=output,
            rerun=rerun,
            retry_failed=retry_failed,
            skip_invalid=skip_invalid,
            base_dir=base_dir,
            max_cost=max_cost,
            allow_unpriced=allow_unpriced,
            validate=validate,
            allow_outside=allow_outside,
            name=name,
        )
        return session.run(concurrency=concurrency, fail_fast=fail_fast, on_event=on_event)
