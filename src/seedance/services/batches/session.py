"""A batch from start to end, as the library offers it (`Client.batch`): read the jobs, check
every row against the profile (nothing is sent until all pass, or the invalid ones are set
aside), plan each take from what an earlier run recorded, run them, write the review page,
and say what needs attention.

One process at a time runs a batch into a folder (an OS lock); another is refused before
anything is sent. Several batches into different folders share the account's slots and
budgets (services/accounts.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedance.domain.errors import (
    SERIOUSNESS,
    BudgetError,
    ExitStatus,
    Reason,
    SeedanceError,
    Suggestion,
    UsageError,
    most_serious,
)
from seedance.domain.pricing import money, money_fields
from seedance.services.account.gate import Allowance
from seedance.services.batches.jobs import Jobs, confined_to, jobs_from, read_jobs
from seedance.services.batches.manifest import BatchFile, TakeState
from seedance.services.batches.plan import BatchPlan, make_plan
from seedance.services.batches.work import BatchWork
from seedance.services.locks import FileLock, Locks
from seedance.services.media import companions, frames
from seedance.services.review.model import BatchManifest
from seedance.services.review.review import try_review
from seedance.services.runs import identities
from seedance.services.runs.engine import Engine, Listener, Outcome

if TYPE_CHECKING:
    from seedance.services.runtime import Runtime

MAX_CONCURRENCY = 64
# A batch stopped by a cap exits 2 unless something worse happened (then that).
BATCH_SERIOUSNESS = (*SERIOUSNESS, ExitStatus.USAGE)

JobsSource = Path | str | Jobs | Iterable[Mapping[str, Any]]


def default_output(jobs: Path) -> Path:
    """`<file stem>/` beside the jobs file."""
    return jobs.with_suffix("")


def load_jobs(
    source: JobsSource, base_dir: Path | None = None, *, allow_outside: bool = False
) -> Jobs:
    """Jobs from a file, or from rows given as mappings (as JSON lines would give them, their
    local files relative to `base_dir`, by default the working folder). The local files they
    name must be in the file's folder (the rows': `base_dir`), unless `allow_outside`."""
    if isinstance(source, Jobs):
        return source
    if isinstance(source, str | Path):
        return read_jobs(Path(source), allow_outside=allow_outside)
    rows = [(number, row) for number, row in enumerate(source, start=1)]
    folder = base_dir or Path.cwd()
    confine = None if allow_outside else confined_to(folder, "the rows' folder")
    return jobs_from(rows, name="the rows given", base_dir=folder, confine=confine)


@dataclass
class BatchResult:
    """What a batch run made: every take's outcome, the manifest, the review page."""

    plan: BatchPlan
    manifest: BatchFile
    directory: Path
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    halted: str | None = None  # why takes were left unstarted: "budget", "fail-fast"
    review: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def attention(self) -> dict[str, Outcome]:
        """The takes that did not end done (failed, errors, left unstarted)."""
        return {k: v for k, v in self.outcomes.items() if v.state != TakeState.DONE}

    @property
    def ok(self) -> bool:
        return not self.attention

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for outcome in self.outcomes.values():
            counts[outcome.state] = counts.get(outcome.state, 0) + 1
        return counts

    def spent(self) -> tuple[float | None, str | None]:
        """What the takes recorded done cost, from their billed tokens (None when unpriced)."""
        takes = [t for r in self.manifest.data.rows for t in r.takes]
        costs = [t.cost for t in takes if t.state == TakeState.DONE and t.cost is not None]
        currency = next((t.currency for t in takes if t.currency), None)
        return (sum(costs), currency) if costs else (None, currency)

    def to_json(self) -> dict[str, Any]:
        document = self.manifest.data.model_dump(mode="json")
        for row in document.get("rows", []):
            row["takes"] = [money_fields(take) for take in row.get("takes", [])]
        spent, currency = self.spent()
        document.update(
            directory=str(self.directory),
            review=str(self.review) if self.review else None,
            totals={
                "takes": len(self.outcomes),
                **self.counts(),
                "spent": money(spent),
                "currency": currency,
            },
            halted=self.halted,
            notes=self.notes,
        )
        return document


class BatchIncomplete(SeedanceError):
    """Some takes need attention; the others are kept, and a re-run makes only those."""

    code = "batch_incomplete"

    def __init__(self, result: BatchResult) -> None:
        attention = result.attention
        errors = [o.error for o in attention.values() if o.error is not None]
        status = most_serious((e.exit_status for e in errors), BATCH_SERIOUSNESS)
        budget = next((e for e in errors if isinstance(e, BudgetError)), None)
        count = len(attention)
        message = f"{count} take{'s need' if count > 1 else ' needs'} attention"
        if budget is not None:
            message += f"; stopped at a spending cap: {budget.message}"
        failed = any(o.state == TakeState.FAILED for o in attention.values())
        super().__init__(
            message,
            reason=[Reason("takes_kept"), *([Reason("takes_failed_remade")] if failed else [])],
            exit_status=status,
            field=budget.field if budget is not None else None,
            suggestion=Suggestion.again(retry_failed=True) if failed else None,
        )
        self.result = result
        self.details = result.to_json()


@dataclass
class BatchSession:
    """A planned batch: the plan says what each take will do and cost."""

    rt: Runtime
    plan: BatchPlan
    manifest: BatchFile
    lock: FileLock | None = None  # held from opening to the end of the run
    allowance: Allowance = field(default_factory=Allowance)  # what the run may spend

    @property
    def directory(self) -> Path:
        return self.plan.directory

    def close(self) -> None:
        if self.lock is not None:
            self.lock.release()

    def run(
        self,
        *,
        concurrency: int | None = None,
        fail_fast: bool = False,
        on_event: Listener | None = None,
        stop: threading.Event | None = None,
    ) -> BatchResult:
        """Make every take that needs making. Raises BatchIncomplete when some did not end
        done; KeyboardInterrupt when stopped (submitted takes keep running on the server)."""
        try:
            work = BatchWork(self.rt, self.plan, self.manifest, self.allowance)
            engine = Engine(
                self.rt,
                work,
                concurrency=min(concurrency or self.rt.gate.cap, MAX_CONCURRENCY),
                allowance=self.allowance,
                fail_fast=fail_fast,
                on_event=on_event,
                stop=stop,
            )
            units, settled = work.units()
            self.manifest.save(self.rt.clock.time())
            result = BatchResult(
                self.plan, self.manifest, self.directory, engine.run(units, settled)
            )
            result.halted = engine.halted
        finally:
            self.close()
        result.review, notes = try_review(self.directory, journal=self.rt.state)
        result.notes = [*engine.resumed, *notes]
        if not result.ok:
            raise BatchIncomplete(result)
        return result


def open_batch(
    rt: Runtime,
    source: JobsSource,
    *,
    output: Path | None = None,
    rerun: Iterable[str] = (),
    retry_failed: bool = False,
    skip_invalid: bool = False,
    dry_run: bool = False,
    base_dir: Path | None = None,
    max_cost: float | None = None,
    allow_unpriced: bool = False,
    validate: bool = True,
    allow_outside: bool = False,
    name: str | None = None,
) -> BatchSession:
    """Read and check every row, and plan each take (nothing is sent; no medium uploaded).
    `name`: the batch's identity on every machine that shares the state (default: the jobs
    file's stem, else the output folder's name).

    Raises JobsError naming the line and column of the first invalid row (unless
    `skip_invalid`: they are listed in the plan), UsageError for a row changed since it was
    made (unless in `rerun`). The local files rows name must be in the jobs file's folder
    (a row naming one elsewhere is invalid, and nothing is read of it), unless
    `allow_outside`. Unless `dry_run`, the session holds the folder's lock until it has run
    (or is closed): BusyError when another process holds it."""
    allowance = Allowance.of(max_cost, allow_unpriced=allow_unpriced)
    jobs = load_jobs(source, base_dir, allow_outside=allow_outside)
    if output is None:
        if not isinstance(source, str | Path):
            raise UsageError("say where the clips go", field="output")
        output = default_output(Path(source))
    if output.exists() and not output.is_dir():
        raise UsageError(f"{output} is a file", reason="batch_output_not_folder", field="output")
    file = Path(source) if isinstance(source, str | Path) else None
    name = identities.run_name(name, file, output.resolve().name)
    lock = None
    if not dry_run:
        lock = Locks(rt.data_dir).batch(output.resolve())
        if not lock.try_acquire():
            raise lock.busy()
    try:
        if dry_run:  # read as it is; nothing is written
            blank = BatchManifest(jobs=jobs.name, profile=rt.profile.name)
            manifest = BatchFile.read(output) or BatchFile(output, blank)
        else:
            manifest = BatchFile.open(output, jobs=jobs.name, profile=rt.profile.name)
        plan = make_plan(
            rt,
            jobs,
            output,
            manifest,
            rerun=set(rerun),
            retry_failed=retry_failed,
            skip_invalid=skip_invalid,
            validate=validate,
            allowance=allowance,
            name=name,
        )
        _taken_by_directories(plan)
        _stills_free(plan)
        _caps_checkable(rt, plan, allowance)
        if not dry_run:
            anew = {(t.job.id, t.take) for t in plan.takes if t.fresh}
            seeds = {job.id: job.seeds() for job in jobs.rows}
            skipped = [s.to_json() for s in plan.skipped]
            manifest.plan(jobs, seeds, anew=anew, skipped=skipped)
            manifest.save(rt.clock.time())
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    return BatchSession(rt, plan, manifest, lock, allowance)


def _caps_checkable(rt: Runtime, plan: BatchPlan, allowance: Allowance) -> None:
    """Under a spending cap, rows whose estimate is only a lower bound (a reference video of
    unknown length) are refused before any take is paid, unless unpriced requests are let
    through: each create would be refused as it is sent, after earlier rows were paid."""
    if not rt.gate.capped(allowance) or allowance.allow_unpriced:
        return
    lower = [t.job.id for t in plan.to_make() if t.estimate and t.estimate.lower_bound]
    if lower:
        rows = ", ".join(dict.fromkeys(lower))
        raise BudgetError(
            f"the estimate of row{'s' if len(set(lower)) > 1 else ''} {rows} is only a lower "
            "bound: the length of a reference video is not known, and input video seconds are "
            "billed, so the spending caps cannot be checked; nothing was sent",
            code="lower_bound",
            reason="price_lower_bound",
            field="allow_unpriced",
            suggestion=Suggestion.again(allow_unpriced=True),
        )


def _stills_free(plan: BatchPlan) -> None:
    """The posters and contact sheets the run's review makes beside each clip to make: refused
    now, before anything is paid, where they would replace files seedance did not make
    (media/companions.py)."""
    if not frames.available():
        return  # none will be made
    for take in plan.to_make():
        companions.check(plan.directory / take.clip, field="output")


def _taken_by_directories(plan: BatchPlan) -> None:
    for take in plan.to_make():
        if (plan.directory / take.clip).is_dir():
            raise UsageError(
                f"{plan.directory / take.clip} is a directory, where a take's clip goes",
                reason="move_it_away",
            )
