"""The one engine that makes many videos: storyboards and batches are two planners over it.

A run is a list of units (a storyboard's shots, a batch's takes), each one video, some starting
only after another is done (a shot after the one it continues from). The engine makes them, at
most `concurrency` at a time, each through `generate` (so a re-run pays for nothing already
made, after any crash): a unit waits for the unit it follows; a unit whose model is at the
profile's own limit for that model holds no place another model's unit could use; a spending
cap stops every unit not yet sent (the next would pass it too), and `fail_fast` the run at the
first failure. What is particular to a kind of run — how a unit's request is made (a storyboard
shot takes its parent's last frame), what its manifest records, how to run it again — is its
planner's `Work`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Protocol

from seedance.domain.errors import (
    APIError,
    BudgetError,
    NotFoundError,
    Reason,
    SeedanceError,
    Suggestion,
    TaskFailedError,
    UsageError,
)
from seedance.domain.models import Task
from seedance.services import crashpoints
from seedance.services.account.gate import Allowance
from seedance.services.locks import holding
from seedance.services.runs import identities, takes
from seedance.services.runs.identities import Decision
from seedance.services.runs.reruns import RerunMark
from seedance.services.runs.states import State
from seedance.services.runtime import Runtime
from seedance.services.state import Holder, Lock
from seedance.services.videos.generate import generate, with_hash
from seedance.services.videos.polling import Stopped, Watch
from seedance.services.videos.prepare import Prepared
from seedance.services.videos.saving import disk_failure
from seedance.services.videos.steps import Generated, Origin, Step

RESULT_EXPIRED = "result_expired"  # videos/downloads.py: a result URL refused for good
FOUND = "found the task of the interrupted create"
KEPT = "kept from an earlier run"  # a unit an earlier run made
FAILED_BEFORE = "failed in an earlier run"  # a unit an earlier run saw fail (kept failed)
TICK = 0.2  # seconds between looks for Ctrl-C while units run


class Stage(StrEnum):
    """What the engine is doing with a unit, between the states it records."""

    WAITING = "waiting"  # for a free slot, or for the unit it follows
    SUBMITTING = "submitting"
    UPLOADING = "uploading"  # a medium it needs, to the asset library
    DOWNLOADING = "downloading"


# unit key, what is happening (a State, a Stage, or a task's status), a detail
Listener = Callable[[str, str, str], None]


@dataclass(frozen=True)
class Outcome:
    state: State
    error: SeedanceError | None = None


@dataclass(frozen=True)
class Unit:
    """One video a run makes."""

    key: str  # its name in events and manifests: a shot id, `row#2`
    output: Path  # its clip
    model: str | None  # the model it will be sent with (for the profile's model limits)
    fresh: bool = False  # made anew on purpose (a rerun, a retry): earlier creates not reused
    after: str | None = None  # the unit whose end it waits for
    known_task: str | None = None  # a task an earlier run made: followed, never created again


class Work(Protocol):
    """What a planner supplies: the units' requests, what its manifest records, and how the
    user runs it again."""

    label: str  # the run, as every machine knows it: its creates' label ("batch:NAME")
    kind: str  # "chain" or "batch": the crash points' names (tests)
    noun: str  # what a unit is called in messages: "shot", "take"

    def request(self, unit: Unit, say: Listener) -> Prepared:
        """The request to send for `unit` now (its media uploaded, its parent's frame in)."""
        ...

    def identity(self, unit: Unit) -> str:
        """What the unit asks for (its request hash in the journal), the same on every run."""
        ...

    def again(self, unit: Unit) -> Suggestion:
        """Running the run again, making `unit` anew."""
        ...

    def resume(self) -> Suggestion:
        """Running the run again as it is."""
        ...

    def made_from(self, unit: Unit) -> str | None:
        """The task of the unit it continues from (None: it continues from none)."""
        ...

    def rerun(self, unit: Unit) -> RerunMark | None:
        """The mark of a rerun of `unit` under way, if any."""
        ...

    def mark_rerun(self, unit: Unit, mark: RerunMark) -> None:
        """Record, before its create, that a rerun of `unit` is under way."""
        ...

    def submitted(self, unit: Unit, task_id: str, prepared: Prepared | None) -> None: ...

    def failed(self, unit: Unit, code: str, message: str) -> None: ...

    def errored(self, unit: Unit, error: SeedanceError) -> None: ...

    def capped(self, unit: Unit, error: BudgetError) -> State:
        """Record a unit a spending cap stopped before its create; the state it ends in."""
        ...

    def done(self, unit: Unit, prepared: Prepared | None, made: Generated) -> None:
        """Save what the unit needs beside its clip (a last frame) and record it done."""
        ...

    def blocked(self, keys: Sequence[str]) -> None: ...

    def settle(self) -> None:
        """The run ended: settle the rerun marks of units made (one write)."""
        ...


class Engine:
    """Runs the units of one storyboard or batch."""

    def __init__(
        self,
        rt: Runtime,
        work: Work,
        *,
        concurrency: int,
        allowance: Allowance,
        fail_fast: bool = False,
        on_event: Listener | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.rt = rt
        self.work = work
        self.concurrency = max(1, concurrency)
        self.allowance = allowance
        self.fail_fast = fail_fast
        self.on_event = on_event or (lambda *_: None)
        self.stop = stop or threading.Event()
        self.outcomes: dict[str, Outcome] = {}
        self.halted: str | None = None  # why no new unit starts ("fail-fast", "budget")
        self.resumed: list[str] = []  # what this run resumed of another machine's, in words
        self._told: set[str] = set()  # units told they wait for their model's limit
        self._reruns: set[str] = set()  # units made by a rerun (their marks in the state)

    # -- scheduling --------------------------------------------------------------------------

    def run(self, units: Sequence[Unit], settled: dict[str, Outcome]) -> dict[str, Outcome]:
        """Make `units` (in their order, each once the unit it follows is done); `settled`:
        units an earlier run ended, as they stand. Returns every unit's outcome."""
        self.outcomes.update(settled)
        for key, outcome in settled.items():
            self.on_event(
                key, outcome.state, KEPT if outcome.state is State.DONE else FAILED_BEFORE
            )
        waiting = list(units)  # in order; a unit leaves when it starts or is blocked
        below = _followers(units)
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="unit") as pool:
            running: dict[Future[Outcome], Unit] = {}
            finished: queue.SimpleQueue[Future[Outcome]] = queue.SimpleQueue()

            def fill() -> None:
                while waiting and len(running) < self.concurrency and self.halted is None:
                    index = self._next(waiting, list(running.values()))
                    if index is None:
                        return
                    unit = waiting.pop(index)
                    future = pool.submit(self._unit, unit)
                    running[future] = unit
                    future.add_done_callback(finished.put)

            fill()
            try:
                while running:
                    future = next_finished(finished, TICK)
                    if future is None:
                        continue  # (a look for Ctrl-C; nothing changed: no walk of the queue)
                    unit = running.pop(future)
                    outcome = future.result()
                    self.outcomes[unit.key] = outcome
                    self._after(outcome)
                    if outcome.state is not State.DONE:
                        self._block(below, unit.key, waiting)
                    fill()
            except (KeyboardInterrupt, Stopped):
                self.stop.set()
                for future in running:
                    future.cancel()
                raise KeyboardInterrupt from None
        for unit in waiting:  # never started: a cap, or fail-fast
            self.outcomes[unit.key] = Outcome(State.PENDING)
        self.work.settle()
        self._settle()
        return self.outcomes

    def _settle(self) -> None:
        """Every rerun of the run done: their marks in the state go (one write), so a later
        rerun is a new one; else they stay, and the same command goes on with them."""
        reruns = sorted(self._reruns)
        if reruns and all(
            key in self.outcomes and self.outcomes[key].state is State.DONE for key in reruns
        ):
            self.rt.state.settle_reruns(self.rt.profile.name, self.work.label, reruns)

    def _ready(self, unit: Unit) -> bool:
        after = unit.after
        return after is None or (
            after in self.outcomes and self.outcomes[after].state is State.DONE
        )

    def _next(self, waiting: list[Unit], running: list[Unit]) -> int | None:
        """Where in `waiting` is the first unit (in order) that may start: the one it follows
        done, and its model with room beside the running ones, so a unit waiting for its
        model's own limit holds no place another model could use. With nothing running, the
        first ready unit (it waits for the account's slot itself). A unit passed over that a
        free place would have started is told so, once."""
        gate = self.rt.gate
        limited = bool(self.rt.profile.max_running_models)
        full: dict[str | None, str | None] = {}
        to_tell = self.concurrency - len(running)  # the units free places would start
        first_ready = None
        position = 0  # among the ready units
        for index, unit in enumerate(waiting):
            if not self._ready(unit):
                continue
            if first_ready is None:
                first_ready = index
            position += 1
            if not limited:
                return index
            model = unit.model
            if model not in full:
                limit = gate.model_cap(model)
                same = [u for u in running if gate.same_model(model, u.model)]
                full[model] = (
                    f"{len(same)} of {limit} tasks of {model} running in this run"
                    if limit is not None and len(same) >= limit
                    else None
                )
            why = full[model]
            if why is None:
                return index
            if position <= to_tell and unit.key not in self._told:
                self._told.add(unit.key)
                self.on_event(unit.key, Stage.WAITING, why)
        return None if running else first_ready

    def _after(self, outcome: Outcome) -> None:
        if isinstance(outcome.error, BudgetError):
            self.halted = "budget"
        elif self.fail_fast and outcome.state in (State.FAILED, State.ERROR):
            self.halted = "fail-fast"

    def _block(self, below: dict[str, list[Unit]], key: str, waiting: list[Unit]) -> None:
        """Every unit that follows `key`, directly or not, will not run: blocked."""
        blocked: list[str] = []
        stack = list(below.get(key, ()))
        while stack:
            unit = stack.pop()
            if unit in waiting:
                waiting.remove(unit)
                blocked.append(unit.key)
                stack.extend(below.get(unit.key, ()))
        if not blocked:
            return
        self.work.blocked(blocked)  # one write for all of them
        for child in blocked:
            self.outcomes[child] = Outcome(State.BLOCKED)
            self.on_event(child, State.BLOCKED, key)

    # -- one unit ----------------------------------------------------------------------------

    def _unit(self, unit: Unit) -> Outcome:
        if self.halted is not None:
            return Outcome(State.PENDING)
        try:
            return self._make(unit)
        except Stopped:
            return Outcome(State.ERROR)
        except OSError as exc:  # the disk, not the service: say which file
            return self._errored(unit, disk_failure(exc, self.work.resume()))
        except BudgetError as exc:
            state = self.work.capped(unit, exc)
            self.on_event(unit.key, state, exc.message)
            return Outcome(state, exc)
        except SeedanceError as exc:
            return self._errored(unit, exc)

    def _errored(self, unit: Unit, exc: SeedanceError) -> Outcome:
        self.work.errored(unit, exc)
        self.on_event(unit.key, State.ERROR, str(exc))
        return Outcome(State.ERROR, exc)

    def _make(self, unit: Unit) -> Outcome:
        """One unit through `generate`: its task made (or resumed, or found), waited for, its
        clip saved and verified; then what its planner saves beside it, and the manifest."""
        key, known, work = unit.key, unit.known_task, self.work
        self.on_event(key, Stage.SUBMITTING, "")
        prepared: Prepared | None = None

        def step(step: Step, detail: str) -> None:
            if step in (Step.CREATED, Step.RESUMING, Step.FOUND) and detail != known:
                work.submitted(unit, detail, prepared)
                crashpoints.reached(f"{work.kind}-submitted")
                said = FOUND if step is Step.FOUND else detail
                self.on_event(key, State.SUBMITTED, said)
            elif step is Step.WAITING_FOR_SLOT:
                self.on_event(key, Stage.WAITING, detail)
            elif step is Step.SENDING:
                self.on_event(key, Stage.SUBMITTING, "")
            elif step is Step.LOOKING:
                self.on_event(key, Stage.SUBMITTING, detail)
            elif step is Step.DOWNLOADING:
                takes.shelve(unit.output)  # an earlier take of this clip keeps its file
                self.on_event(key, Stage.DOWNLOADING, detail)

        def listen(watch: Watch) -> None:
            task = watch.task
            if task is not None and not task.status.is_terminal:
                progress = f"{task.progress}%" if task.progress is not None else ""
                self.on_event(key, task.status.value, progress)

        def check_stop(_done: int, _total: int | None) -> None:
            if self.stop.is_set():
                raise Stopped

        try:
            # what every generate of a unit shares; the run's own folder is overwritten: a
            # clip there is an earlier run's
            common = partial(
                generate,
                self.rt,
                output=unit.output,
                overwrite=True,
                again=work.again(unit),
                on_step=step,
                on_update=listen,
                on_progress=check_stop,
                stop=self.stop,
                label=work.label,
                allowance=self.allowance,
            )
            if known:
                made = common(None, task_id=known)
            else:
                with holding(self._unit_lock(unit)):
                    decision = self._decide(unit)
                    # media and frame URLs can change from run to run: the unit's definition
                    # identifies its creates, so a re-run finds them whatever its media became
                    prepared = with_hash(work.request(unit, self.on_event), work.identity(unit))
                    made = common(prepared, task_id=None, new=decision.new, unit=decision.key)
                self._tell_resumed(unit, decision, made)
        except TaskFailedError as exc:
            code, message = _failure(exc)
            work.failed(unit, code, message)
            self.on_event(key, State.FAILED, f"{code}: {message}")
            return Outcome(State.FAILED, exc)
        except NotFoundError:
            if not known:
                raise
            raise UsageError(
                f"the task {known} of {work.noun} '{key}' is gone from the server",
                code="task_gone",
                reason=Reason.of("remake_unit", noun=work.noun),
                suggestion=work.again(unit),
            ) from None
        except APIError as exc:
            if not known or exc.code != RESULT_EXPIRED:
                raise
            raise APIError(
                f"the clip of {work.noun} '{key}' must be saved again (the one on disk is not "
                f"its video), but the result of its task {known} has expired",
                code=RESULT_EXPIRED,
                reason="failed_not_remade",
                suggestion=work.again(unit),
            ) from None
        work.done(unit, prepared, made)
        self.on_event(key, State.DONE, "")
        return Outcome(State.DONE)

    def _decide(self, unit: Unit) -> Decision:
        """The generation of the unit to make now (runs/identities.py), read from the state
        (every machine's creates); a rerun is marked in the manifest too, for the record."""
        decision = identities.decide(
            self.rt.state,
            self.rt.profile.name,
            self.work.label,
            unit.key,
            fresh=unit.fresh,
            parent=unit.after,
        )
        if decision.key.rerun:
            self._reruns.add(unit.key)
        if unit.fresh and decision.new and self.work.rerun(unit) is None:
            newest = decision.newest
            mark = RerunMark(
                replaces=newest.task_id if newest is not None else None,
                row=newest.row if newest is not None else None,
                made_from=self.work.made_from(unit),
            )
            self.work.mark_rerun(unit, mark)
        return decision

    def _unit_lock(self, unit: Unit) -> Lock:
        """The unit's lock in the state, waited for while another process (another machine,
        on a shared state) makes it: then its create is found, not made twice."""
        lock = self.rt.state.unit_lock(self.work.kind, f"{self.work.label}\n{unit.key}")

        def waiting(holder: Holder) -> None:
            self.on_event(unit.key, Stage.WAITING, holder.working())

        lock.acquire(self.rt.clock, on_wait=waiting)
        return lock

    def _tell_resumed(self, unit: Unit, decision: Decision, made: Generated) -> None:
        """A unit whose task another machine created, resumed here: said once, in the run's
        notes."""
        newest, here = decision.newest, self.rt.state.who.machine
        if made.origin is Origin.CREATED or newest is None or newest.task_id != made.task.id:
            return
        if newest.machine is None or newest.machine == here:
            return
        self.resumed.append(
            f"{self.work.noun} '{unit.key}': resumed task {made.task.id}, created on "
            f"{newest.machine}; no new create"
        )


def next_finished(
    finished: queue.SimpleQueue[Future[Outcome]], timeout: float
) -> Future[Outcome] | None:
    """The next unit's future to finish, or None after `timeout` seconds (so that Ctrl-C is
    noticed): O(1) however many units are under way."""
    try:
        return finished.get(timeout=timeout)
    except queue.Empty:
        return None


def _followers(units: Sequence[Unit]) -> dict[str, list[Unit]]:
    """Each unit's key -> the units that start after it."""
    found: dict[str, list[Unit]] = {}
    for unit in units:
        if unit.after is not None:
            found.setdefault(unit.after, []).append(unit)
    return found


def _failure(exc: TaskFailedError) -> tuple[str, str]:
    """The code and message of a failed task (the task's own, else the error's)."""
    task: Task | None = exc.task
    if task is not None and task.error is not None:
        return task.error.code, task.error.message
    return exc.code, str(exc)
