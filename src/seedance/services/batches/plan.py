"""Planning a batch: every row checked against the profile and its model (without uploading
anything), every take given its seed, its clip and what to do with it, before anything is
sent."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedance.domain.catalogue import Estimate, format_money, total_of
from seedance.domain.errors import Reason, SeedanceError, Suggestion, UsageError
from seedance.domain.models import GenerationParams
from seedance.domain.pricing import money
from seedance.services.account.gate import Allowance
from seedance.services.assets.cache import file_sha256
from seedance.services.batches.jobs import Invalid, Job, Jobs, JobsError
from seedance.services.batches.manifest import BatchFile, TakeState
from seedance.services.media.references import is_placeholder
from seedance.services.runs import identities
from seedance.services.videos.prepare import Prepared, prepare_for

if TYPE_CHECKING:
    from seedance.services.runtime import Runtime


class Action(StrEnum):
    """What a run does with a take."""

    RUN = "run"  # make it (or resume the create an earlier run made)
    SKIP = "skip"  # done: its clip is the video recorded
    KEEP = "keep"  # failed on the server in an earlier run: kept failed unless retried


@dataclass(frozen=True)
class TakePlan:
    job: Job
    take: int
    seed: int
    prepared: Prepared  # checked without uploads: the body to send when no medium awaits one
    action: Action = Action.RUN
    fresh: bool = False  # made anew on purpose (a rerun, a retry)

    @property
    def key(self) -> str:
        return f"{self.job.id}#{self.take}"

    @property
    def clip(self) -> str:
        return self.job.clip(self.take)

    @property
    def params(self) -> GenerationParams:
        return self.job.request.model_copy(update={"seed": self.seed})

    @property
    def definition(self) -> str:
        """What the take asks for: how the journal knows its creates, the same on every run
        (its body is not: a medium's asset id or a URL can change between runs)."""
        return take_hash(self.job, self.seed, self.prepared.request.model)

    @property
    def estimate(self) -> Estimate | None:
        return self.prepared.estimate

    @property
    def ready(self) -> bool:
        """Whether the checked request is the one to send (no medium awaits its upload)."""
        return not any(is_placeholder(r.url) for r in self.prepared.request.references)


def take_hash(job: Job, seed: int, model: str) -> str:
    """A take's definition: its row's digest (its fields, local files by their SHA-256), its
    seed and the model sent."""
    document = {"batch_row": job.digest, "seed": seed, "model": model}
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


@dataclass
class BatchPlan:
    jobs: Jobs
    profile: str
    directory: Path
    takes: list[TakePlan] = field(default_factory=list)
    skipped: list[Invalid] = field(default_factory=list)  # invalid rows left out
    validate: bool = True  # the catalogue's checks (off: its refusals are sent, said)
    name: str = ""  # the batch's identity on every machine (default: the file's stem)

    @property
    def label(self) -> str:
        """What its creates are made for: `batch:NAME` (runs/identities.py)."""
        return identities.label("batch", self.name or self.directory.name)

    def to_make(self) -> list[TakePlan]:
        return [t for t in self.takes if t.action is Action.RUN]

    def total(self) -> tuple[int, float | None, str | None]:
        """Tokens and cost of the takes to make (the cost None when a price is unknown)."""
        return total_of([t.estimate for t in self.to_make()])

    def describe_total(self) -> str:
        count = len(self.to_make())
        if not self.takes:
            return "nothing to make: no valid row"
        if not count:
            return "nothing to make: every take is done"
        tokens, cost, currency = self.total()
        money = f" ≈ {format_money(cost, currency)}" if cost is not None else " (price unknown)"
        return f"{count} take{'s' if count != 1 else ''} to make: {tokens:,} tokens{money}"

    def to_json(self) -> dict[str, Any]:
        tokens, cost, currency = self.total()
        return {
            "jobs": self.jobs.name,
            "profile": self.profile,
            "directory": str(self.directory),
            "takes": [
                {
                    "id": t.job.id,
                    "line": t.job.line,
                    "take": t.take,
                    "seed": t.seed,
                    "clip": t.clip,
                    "action": t.action.value,
                    "model": t.prepared.request.model,
                    "request": t.prepared.body,
                    "estimated_tokens": t.estimate.tokens if t.estimate else None,
                    "estimated_cost": money(t.estimate.cost) if t.estimate else None,
                }
                for t in self.takes
            ],
            "skipped": [s.to_json() for s in self.skipped],
            "total": {
                "takes": len(self.to_make()),
                "tokens": tokens,
                "cost": money(cost),
                "currency": currency,
            },
        }


def check_rows(
    rt: Runtime, jobs: Jobs, allowance: Allowance | None = None, *, validate: bool = True
) -> dict[str, list[Prepared]]:
    """Every row's takes prepared against the profile (no uploads; under `allowance`'s cap,
    reference videos by URL measured); a row the model cannot serve joins `jobs.invalid`,
    named by its line (and column, when the error names one)."""
    prepared: dict[str, list[Prepared]] = {}
    valid = []
    for job in jobs.rows:
        try:
            prepared[job.id] = [
                prepare_for(
                    rt,
                    job.request.model_copy(update={"seed": seed}),
                    dry_run=True,
                    base_dir=jobs.base_dir,
                    validate=validate,
                    confine=jobs.confine,
                    allowance=allowance,
                )
                for seed in job.seeds()
            ]
        except UsageError as exc:
            jobs.invalid.append(
                Invalid(job.line, exc.message, _column(exc, job), job.id, rule=exc.rule)
            )
            continue
        valid.append(job)
    jobs.rows = valid
    jobs.invalid.sort(key=lambda i: i.line)
    return prepared


def _column(exc: UsageError, job: Job) -> str | None:
    """The row's field an error is about: the one it names (`field`), else the only one of
    the row's fields its message mentions."""
    if exc.field in job.params:
        return exc.field
    named = [k for k in job.params if re.search(rf"\b{re.escape(k)}\b", exc.message)]
    return named[0] if len(named) == 1 else None


def make_plan(
    rt: Runtime,
    jobs: Jobs,
    directory: Path,
    manifest: BatchFile,
    *,
    rerun: set[str],
    retry_failed: bool,
    skip_invalid: bool,
    validate: bool = True,
    allowance: Allowance | None = None,
    name: str = "",
) -> BatchPlan:
    """Every row checked, then each take's action from what an earlier run recorded.

    Refuses (JobsError, naming the line and column) a file with invalid rows unless
    `skip_invalid`, and a row whose content changed since it was made (as the manifest or,
    on any machine, the state knows it) unless it is made again (`rerun`)."""
    prepared = check_rows(rt, jobs, allowance, validate=validate)
    if jobs.invalid and not skip_invalid:
        raise jobs.refuse()
    ids = {job.id for job in jobs.rows}
    unknown = rerun - ids
    if unknown:
        raise UsageError(
            f"no row named {', '.join(sorted(unknown))} to make again",
            field="rerun",
            allowed=sorted(ids),
        )
    changed = [
        job.id
        for job in jobs.rows
        if job.id not in rerun
        and (row := manifest.row(job.id)) is not None
        and row.digest not in (None, job.digest)
        and any(t.task_id for t in row.takes)
    ]
    plan = BatchPlan(
        jobs,
        rt.profile.name,
        directory,
        skipped=list(jobs.invalid),
        validate=validate,
        name=name,
    )
    in_state = _changed_in_state(rt, plan, prepared, rerun, manifest)
    changed += [row for row in in_state if row not in changed]
    if changed:
        many = len(changed) > 1
        raise UsageError(
            f"{jobs.name}: row{'s' if many else ''} {', '.join(changed)} changed since "
            f"{'they were' if many else 'it was'} made (as batch '{plan.name}')",
            reason=Reason.of("rows_changed", many=many),
            field="rerun",
            suggestion=Suggestion.again(rerun=changed),
        )
    _refuse_earlier_clips(jobs, manifest)
    for job in jobs.rows:
        for number, (seed, ready) in enumerate(zip(job.seeds(), prepared[job.id], strict=True), 1):
            record = manifest.take(job.id, number)
            action, fresh = Action.RUN, job.id in rerun
            if not fresh and record is not None:
                if record.state == TakeState.DONE and _intact(
                    directory, record.clip, record.sha256
                ):
                    action = Action.SKIP
                elif record.state == TakeState.FAILED:
                    action, fresh = (Action.RUN, True) if retry_failed else (Action.KEEP, False)
            plan.takes.append(TakePlan(job, number, seed, ready, action, fresh))
    return plan


def _changed_in_state(
    rt: Runtime,
    plan: BatchPlan,
    prepared: dict[str, list[Prepared]],
    rerun: set[str],
    manifest: BatchFile,
) -> list[str]:
    """The rows whose takes' newest creates, made on any machine (the state), asked for
    something else than the row asks for now (one read for the whole batch); a take's hash
    an earlier seedance recorded in the manifest names it too."""
    definitions: dict[str, set[str]] = {}
    for job in plan.jobs.rows:
        if job.id in rerun:
            continue
        for number, (seed, ready) in enumerate(zip(job.seeds(), prepared[job.id], strict=True), 1):
            record = manifest.take(job.id, number)
            named = {take_hash(job, seed, ready.request.model)}
            if record is not None and record.request_hash:
                named.add(record.request_hash)
            definitions[f"{job.id}#{number}"] = named
    found = identities.changed(rt.state, rt.profile.name, plan.label, definitions, set())
    return list(dict.fromkeys(unit.rpartition("#")[0] for unit in found))


def _refuse_earlier_clips(jobs: Jobs, manifest: BatchFile) -> None:
    """Refuse a take that would save its clip over one made for a row only an earlier run
    had (names compared with case folded, as a case-insensitive disk does)."""
    ids = {job.id for job in jobs.rows}
    made = {
        take.clip.casefold(): (row.id, take.clip)
        for row in manifest.data.rows
        if row.id not in ids
        for take in row.takes
        if take.clip and take.state == TakeState.DONE
    }
    for job in jobs.rows:
        for number in range(1, job.takes + 1) if made else ():
            found = made.get(job.clip(number).casefold())
            if found is None:
                continue
            earlier, clip = found
            message = (
                f"its clip {job.clip(number)} would replace {clip}, which an earlier run made "
                f"for row '{earlier}' (no longer in the file)"
            )
            raise JobsError(
                Invalid(job.line, message, "id", job.id),
                jobs.name,
                reason="jobs_row_id_taken",
                field="id",
            )


def _intact(directory: Path, clip: str | None, sha256: str | None) -> bool:
    """The clip on disk is the video recorded for the take."""
    path = directory / (clip or "")
    try:
        return bool(clip and sha256) and path.is_file() and file_sha256(path) == sha256
    except (OSError, SeedanceError):
        return False
