"""A batch as the engine's work (runs/engine.py): each take is a unit, made through
`generate` from its row's request; `batch.json` records what became of it. A take that fails
never blocks the others (unless `fail_fast`); a spending cap stops every take not yet sent."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seedance.domain.errors import BudgetError, SeedanceError, Suggestion, TaskFailedError
from seedance.services.account.gate import Allowance
from seedance.services.batches.manifest import BatchFile, TakeState
from seedance.services.batches.plan import Action, BatchPlan, TakePlan
from seedance.services.runs.engine import FAILED_BEFORE, Listener, Outcome, Unit
from seedance.services.runs.reruns import RerunMark
from seedance.services.runs.states import State
from seedance.services.runtime import Runtime
from seedance.services.videos.prepare import Prepared, prepare_for
from seedance.services.videos.steps import Generated


class BatchWork:
    """The takes of one batch run, for the engine."""

    kind = "batch"
    noun = "take"

    def __init__(
        self,
        rt: Runtime,
        plan: BatchPlan,
        manifest: BatchFile,
        allowance: Allowance | None = None,
    ) -> None:
        self.rt = rt
        self.plan = plan
        self.manifest = manifest
        self.allowance = allowance  # the run's cap: reference videos by URL measured under it
        self.label = plan.label  # the batch's name, not its folder: the same on every machine
        self._takes = {take.key: take for take in plan.takes}

    def units(self) -> tuple[list[Unit], dict[str, Outcome]]:
        """The takes to make, in the file's order, and those an earlier run ended."""
        units: list[Unit] = []
        settled: dict[str, Outcome] = {}
        for take in self.plan.takes:
            if take.action is Action.SKIP:
                settled[take.key] = Outcome(State.DONE)
            elif take.action is Action.KEEP:
                settled[take.key] = Outcome(State.FAILED, self._failed_before(take))
            else:
                units.append(
                    Unit(
                        take.key,
                        self.plan.directory / take.clip,
                        take.prepared.request.model,
                        fresh=take.fresh,
                    )
                )
        return units, settled

    def _take(self, unit: Unit) -> TakePlan:
        return self._takes[unit.key]

    def _record(self, unit: Unit, **changes: Any) -> None:
        take = self._take(unit)
        self.manifest.update(take.job.id, take.take, self.rt.clock.time(), **changes)

    def _failed_before(self, take: TakePlan) -> TaskFailedError:
        record = self.manifest.take(take.job.id, take.take)
        error = (record.error if record is not None else None) or {}
        text = ": ".join(v for v in (error.get("code"), error.get("message")) if v)
        return TaskFailedError(
            f"{FAILED_BEFORE} ({text or 'no reason recorded'})",
            reason="take_failed_kept",
            suggestion=Suggestion.again(retry_failed=True),
        )

    # -- the engine's questions ------------------------------------------------------------

    def request(self, unit: Unit, say: Listener) -> Prepared:
        take = self._take(unit)
        if take.ready:
            return take.prepared
        jobs = self.plan.jobs
        return prepare_for(  # uploads
            self.rt,
            take.params,
            base_dir=jobs.base_dir,
            confine=jobs.confine,
            allowance=self.allowance,
            validate=self.plan.validate,
        )

    def identity(self, unit: Unit) -> str:
        """The hash the journal knows the take's creates by: its definition, or the request
        hash an earlier seedance recorded for it (it named creates by their body)."""
        take = self._take(unit)
        record = self.manifest.take(take.job.id, take.take)
        earlier = record.request_hash if record is not None else None
        if earlier and earlier != take.definition:
            journal, profile = self.rt.state, self.rt.profile.name
            if journal.latest_for(profile, earlier, str(unit.output.resolve())) is not None:
                return earlier
        return take.definition

    def again(self, unit: Unit) -> Suggestion:
        return Suggestion.again(rerun=[self._take(unit).job.id])

    def resume(self) -> Suggestion:
        return Suggestion.again()

    def made_from(self, unit: Unit) -> str | None:
        return None

    def rerun(self, unit: Unit) -> RerunMark | None:
        take = self._take(unit)
        record = self.manifest.take(take.job.id, take.take)
        return record.rerun if record is not None else None

    def mark_rerun(self, unit: Unit, mark: RerunMark) -> None:
        self._record(unit, rerun=mark)

    # -- what the engine tells -------------------------------------------------------------

    def submitted(self, unit: Unit, task_id: str, prepared: Prepared | None) -> None:
        estimate = prepared.estimate if prepared is not None else None
        self._record(
            unit,
            state=TakeState.SUBMITTED,
            task_id=task_id,
            request_hash=prepared.request_hash if prepared is not None else None,
            model=prepared.request.model if prepared is not None else unit.model,
            estimated_cost=estimate.cost if estimate else None,
            currency=estimate.currency if estimate else None,
            error=None,
        )

    def failed(self, unit: Unit, code: str, message: str) -> None:
        self._record(unit, state=TakeState.FAILED, error={"code": code, "message": message})

    def errored(self, unit: Unit, error: SeedanceError) -> None:
        self._record(unit, state=TakeState.ERROR, error=error.record())

    def capped(self, unit: Unit, error: BudgetError) -> State:
        self._record(unit, state=TakeState.STOPPED, error=error.record())
        return State.STOPPED

    def done(self, unit: Unit, prepared: Prepared | None, made: Generated) -> None:
        take = self._take(unit)
        task, clip = made.task, made.download
        tokens = task.usage.completion_tokens if task.usage else None
        estimate = prepared.estimate if prepared is not None else take.estimate
        cost = None
        if tokens is not None and estimate is not None and estimate.price_per_million is not None:
            cost = tokens / 1_000_000 * estimate.price_per_million
        self._record(
            unit,
            state=TakeState.DONE,
            task_id=task.id,
            model=task.model or unit.model,
            clip=clip_name(made),
            sha256=clip.sha256,
            bytes=clip.bytes,
            tokens=tokens,
            cost=cost,
            seed=task.seed if task.seed is not None else take.seed,
            revised_prompt=task.revised_prompt,
            error=None,
        )

    def blocked(self, keys: Sequence[str]) -> None:
        return None  # a take follows no other

    def settle(self) -> None:
        self.manifest.settle_reruns(self.rt.clock.time())


def clip_name(made: Generated) -> str:
    return Path(made.download.path).name
