"""`client.batches`: many videos from a jobs file (.jsonl or .csv) or rows, with takes, one
manifest (`batch.json`), resumable after any crash, capped.

    result = client.batches.run("jobs.jsonl", max_cost=20)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from seedance.services.batches.session import BatchResult, BatchSession, JobsSource, open_batch
from seedance.services.options import CallOptions
from seedance.services.runs.engine import Listener
from seedance.services.runtime import Runtime


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
    ) -> BatchSession:
        """Read and check a batch's jobs (a file, or rows as mappings) and plan every take;
        nothing is sent. `session.plan` holds each take's request and estimate,
        `session.run()` makes them within `max_cost` (`validate=False`: what the catalogue
        would refuse is sent and the server decides; caps still apply). Raises JobsError
        (naming the line and column) for a row that cannot run, unless `skip_invalid`; a row
        naming a local file outside the jobs file's folder (rows given as mappings:
        `base_dir`) cannot, unless `allow_outside`. Unless `dry_run`, the session holds the
        output folder until it has run; BusyError when another process holds it."""
        options = self._options.given(
            max_cost=max_cost, allow_unpriced=allow_unpriced, validate=validate
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
        )
        return session.run(concurrency=concurrency, fail_fast=fail_fast, on_event=on_event)
