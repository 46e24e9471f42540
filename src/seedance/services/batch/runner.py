"""Running a batch: every take through `Client.generate` (so a re-run pays for nothing already
made, after any crash), `concurrency` at a time, each change written to `batch.json` first.

A take that fails never blocks the others (unless `fail_fast`); a spending cap stops every take
not yet sent, since the next would pass it too."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedance.domain.errors import (
    BudgetError,
    SeedanceError,
    Suggestion,
    TaskFailedError,
)
from seedance.services import crashpoints, reruns, takes
from seedance.services.batch.manifest import BatchFile, TakeState
from seedance.services.batch.plan import Action, BatchPlan, TakePlan
from seedance.services.client import Client, disk_failure
from seedance.services.generate import Generated, Step, with_hash
from seedance.services.polling import Stopped, Watch
from seedance.services.prepare import Prepared

# take key ("id#2"), what is happening (a TakeState, a task status, or one of STAGES), detail
Listener = Callable[[str, str, str], None]
WAITING = "waiting"  # for a slot of the account
SUBMITTING = "submitting"
DOWNLOADING = "downloading"


@dataclass(frozen=True)
class Outcome:
    state: str  # a TakeState
    error: SeedanceError | None = None


class BatchRunner:
    def __init__(
        self,
        client: Client,
        plan: BatchPlan,
        manifest: BatchFile,
        *,
        concurrency: int,
        fail_fast: bool = False,
        on_event: Listener | None = None,
    ) -> None:
        self.client = client
        self.plan = plan
        self.manifest = manifest
        self.directory = plan.directory
        self.concurrency = max(1, concurrency)
        self.fail_fast = fail_fast
        self.on_event = on_event or (lambda *_: None)
        self.stop = threading.Event()
        self.outcomes: dict[str, Outcome] = {}
        self.halted: str | None = None  # why no new take starts ("fail-fast", "budget")
        self.label = f"batch:{plan.directory.resolve()}"
        self._passed_over: set[str] = set()  # takes told they wait for their model's limit

    def run(self) -> dict[str, Outcome]:
        now = self.client.clock.time()
        queue: deque[TakePlan] = deque()  # in the file's order
        for take in self.plan.takes:
            if take.action is Action.SKIP:
                self.outcomes[take.key] = Outcome(TakeState.DONE)
                self.on_event(take.key, TakeState.DONE, "kept from an earlier run")
            elif take.action is Action.KEEP:
                self.outcomes[take.key] = Outcome(TakeState.FAILED, self._failed_before(take))
                self.on_event(take.key, TakeState.FAILED, "failed in an earlier run")
            else:
                queue.append(take)
        self.manifest.save(now)
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="take") as pool:
            running: dict[Future[Outcome], TakePlan] = {}

            def fill() -> None:
                while queue and len(running) < self.concurrency and self.halted is None:
                    index = self._next(queue, list(running.values()))
                    if index is None:
                        return
                    take = queue[index]
                    del queue[index]
                    running[pool.submit(self._take, take)] = take

            fill()
            try:
                while running:
                    finished, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
                    for future in finished:
                        take = running.pop(future)
                        outcome = future.result()
                        self.outcomes[take.key] = outcome
                        self._after(outcome)
                    if finished:  # else nothing changed: the queue is not walked again
                        fill()
            except (KeyboardInterrupt, Stopped):
                self.stop.set()
                for future in running:
                    future.cancel()
                raise KeyboardInterrupt from None
        for take in queue:  # never started: a cap, or fail-fast
            self.outcomes[take.key] = Outcome(TakeState.PENDING)
        self.manifest.settle_reruns(self.client.clock.time())
        return self.outcomes

    def _next(self, queue: deque[TakePlan], running: list[TakePlan]) -> int | None:
        """Where in the queue is the first take (in the file's order) whose model has room
        beside the running ones, so a take waiting for its model's own limit does not hold a
        place another model could use; with nothing running, the first take (it waits for the
        account's slot itself). A take passed over that a free place would have started is
        told so, once (the others wait their turn, as with no limit)."""
        gate = self.client.gate
        if not self.client.profile.max_running_models:
            return 0
        full: dict[str, str | None] = {}  # model name -> why a take of it may not start now
        to_tell = self.concurrency - len(running)
        for index, take in enumerate(queue):
            model = take.prepared.request.model
            if model not in full:
                limit = gate.model_cap(model)
                same = [t for t in running if gate.same_model(model, t.prepared.request.model)]
                full[model] = (
                    f"{len(same)} of {limit} tasks of {model} running in this batch"
                    if limit is not None and len(same) >= limit
                    else None
                )
            why = full[model]
            if why is None:
                return index
            if index < to_tell and take.key not in self._passed_over:
                self._passed_over.add(take.key)
                self.on_event(take.key, WAITING, why)
        return None if running else 0

    def _failed_before(self, take: TakePlan) -> TaskFailedError:
        record = self.manifest.take(take.job.id, take.take)
        error = (record.error if record is not None else None) or {}
        text = ": ".join(v for v in (error.get("code"), error.get("message")) if v)
        return TaskFailedError(
            f"failed in an earlier run ({text or 'no reason recorded'})",
            hint="it is kept failed; make it again (billed anew) with",
            suggestion=Suggestion.again(retry_failed=True),
        )

    def _after(self, outcome: Outcome) -> None:
        if isinstance(outcome.error, BudgetError):
            self.halted = "budget"
        elif self.fail_fast and outcome.state in (TakeState.FAILED, TakeState.ERROR):
            self.halted = "fail-fast"

    # -- one take --------------------------------------------------------------------------

    def _take(self, take: TakePlan) -> Outcome:
        if self.halted is not None:
            return Outcome(TakeState.PENDING)
        try:
            return self._make(take)
        except Stopped:
            return Outcome(TakeState.ERROR)
        except OSError as exc:  # the disk, not the service: say which file
            error = disk_failure(exc, Suggestion.again())
            return self._failed_with(take, error)
        except BudgetError as exc:
            self._record(
                take, state=TakeState.STOPPED, error={"code": exc.code, "message": str(exc)}
            )
            self.on_event(take.key, TakeState.STOPPED, exc.message)
            return Outcome(TakeState.STOPPED, exc)
        except SeedanceError as exc:
            return self._failed_with(take, exc)

    def _record(self, take: TakePlan, **changes: Any) -> None:
        self.manifest.update(take.job.id, take.take, self.client.clock.time(), **changes)

    def _failed_with(self, take: TakePlan, exc: SeedanceError) -> Outcome:
        self._record(take, state=TakeState.ERROR, error={"code": exc.code, "message": str(exc)})
        self.on_event(take.key, TakeState.ERROR, str(exc))
        return Outcome(TakeState.ERROR, exc)

    def _make(self, take: TakePlan) -> Outcome:
        """One take: its task made (or resumed, or found), waited for, its clip saved and
        verified; then the manifest."""
        key, client = take.key, self.client
        self.on_event(key, SUBMITTING, "")
        prepared = take.prepared
        if not take.ready:  # media to upload to the asset library first
            prepared = client.prepare(take.params, base_dir=self.plan.jobs.base_dir)
        output = self.directory / take.clip
        # asset ids and URLs can change from run to run: the take's definition identifies
        # its creates, so a re-run finds them whatever its media became
        prepared = with_hash(prepared, self._known_as(take, output))

        def step(step: Step, detail: str) -> None:
            if step in (Step.CREATED, Step.RESUMING, Step.FOUND):
                self._record(
                    take,
                    state=TakeState.SUBMITTED,
                    task_id=detail,
                    request_hash=prepared.request_hash,
                    model=prepared.request.model,
                    estimated_cost=prepared.estimate.cost if prepared.estimate else None,
                    currency=prepared.estimate.currency if prepared.estimate else None,
                    error=None,
                )
                crashpoints.reached("batch-submitted")
                self.on_event(key, TakeState.SUBMITTED, detail)
            elif step is Step.WAITING_FOR_SLOT:
                self.on_event(key, WAITING, detail)
            elif step is Step.SENDING:
                self.on_event(key, SUBMITTING, "")
            elif step is Step.DOWNLOADING:
                takes.shelve(output)  # an earlier take of this clip keeps its file
                self.on_event(key, DOWNLOADING, detail)

        def listen(watch: Watch) -> None:
            if watch.task is not None and not watch.task.status.is_terminal:
                progress = f"{watch.task.progress}%" if watch.task.progress is not None else ""
                self.on_event(key, watch.task.status.value, progress)

        try:
            made = client.generate(
                prepared,
                output=output,
                new=self._anew(take, prepared, output),
                overwrite=True,  # the batch's own folder: a clip there is an earlier run's
                again=Suggestion.again(rerun=[take.job.id]),
                on_step=step,
                on_update=listen,
                on_progress=self._check_stop,
                stop=self.stop,
                label=self.label,
            )
        except TaskFailedError as exc:
            task = exc.task
            code = task.error.code if task and task.error else exc.code
            message = task.error.message if task and task.error else str(exc)
            self._record(take, state=TakeState.FAILED, error={"code": code, "message": message})
            self.on_event(key, TakeState.FAILED, f"{code}: {message}")
            return Outcome(TakeState.FAILED, exc)
        self._done(take, prepared, made)
        return Outcome(TakeState.DONE)

    def _known_as(self, take: TakePlan, output: Path) -> str:
        """The hash the journal knows the take's creates by: its definition, or the request
        hash an earlier seedance recorded for it (it named creates by their body)."""
        record = self.manifest.take(take.job.id, take.take)
        earlier = record.request_hash if record is not None else None
        if earlier and earlier != take.definition:
            journal, profile = self.client.journal, self.client.profile.name
            if journal.latest_for(profile, earlier, str(output.resolve())) is not None:
                return earlier
        return take.definition

    def _anew(self, take: TakePlan, prepared: Prepared, output: Path) -> bool:
        """Whether to make the take anew: it is a rerun or a retry whose create has not been
        made yet. The rerun is marked in batch.json (with the create it replaces) before it
        is sent, so the same command run again after an interruption follows the task it
        made (services/reruns.py)."""
        if not take.fresh:
            return False
        journal, profile = self.client.journal, self.client.profile.name
        record = self.manifest.take(take.job.id, take.take)
        rerun = record.rerun if record is not None else None
        if rerun is None:
            rerun = reruns.mark(journal, profile, prepared.request_hash, output)
            self._record(take, rerun=rerun)
        return reruns.makes_anew(journal, profile, prepared.request_hash, output, rerun)

    def _done(self, take: TakePlan, prepared: Prepared, made: Generated) -> None:
        task, clip = made.task, made.download
        tokens = task.usage.completion_tokens if task.usage else None
        estimate = prepared.estimate
        cost = None
        if tokens is not None and estimate is not None and estimate.price_per_million is not None:
            cost = tokens / 1_000_000 * estimate.price_per_million
        self._record(
            take,
            state=TakeState.DONE,
            task_id=task.id,
            model=task.model or prepared.request.model,
            clip=Path(clip.path).name,
            sha256=clip.sha256,
            bytes=clip.bytes,
            tokens=tokens,
            cost=cost,
            seed=task.seed if task.seed is not None else take.seed,
            error=None,
        )
        self.on_event(take.key, TakeState.DONE, "")

    def _check_stop(self, _done: int, _total: int | None) -> None:
        if self.stop.is_set():
            raise Stopped
