"""Tasks on the server: read, wait for, list, cancel; and what one costs and usually takes.

Every read is journaled (the latest status seen, once per poll however many tasks), so
`tasks list --local`, the account's slots and the ledger stay current.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from seedance.domain.catalogue import ModelSpec, catalogue
from seedance.domain.errors import (
    SeedanceError,
    Suggestion,
    TaskFailedError,
    UsageError,
    WaitTimeoutError,
)
from seedance.domain.models import Task, TaskStatus
from seedance.domain.pricing import Estimate
from seedance.domain.validation import check_task_id
from seedance.providers.base import CancelOutcome, TaskPage
from seedance.services import crashpoints
from seedance.services.runtime import Runtime
from seedance.services.state import Observation
from seedance.services.videos.polling import Listener, Waiter, Watch, typical_duration
from seedance.services.videos.task_cost import task_cost


def get(rt: Runtime, task_id: str) -> Task:
    """One task as the server has it now (journaled)."""
    check_task_id(task_id, field="task_id")
    with rt.explain_auth():
        task = rt.provider.get(task_id)
    rt.state.observe_many([Observation.of(task, rt.clock.time())])
    return task


def wait(
    rt: Runtime,
    task_ids: Sequence[str],
    *,
    timeout: float | None = None,
    on_update: Listener | None = None,
    just_created: bool = False,
    stop: threading.Event | None = None,
) -> list[Watch]:
    """Poll the tasks until each ends, `timeout` passes or `stop` is set (Stopped)."""
    for task_id in task_ids:
        check_task_id(task_id)

    def journal(watches: list[Watch]) -> None:  # once per poll, however many tasks
        crashpoints.reached("wait-round")
        now = rt.clock.time()
        rt.state.observe_many([Observation.of(w.task, now) for w in watches if w.task])

    waiter = Waiter(
        rt.provider,
        rt.clock,
        expected=lambda task: expected_run(rt, task),
        on_update=on_update,
        on_round=journal,
    )
    with rt.explain_auth():
        return waiter.wait(list(task_ids), timeout=timeout, just_created=just_created, stop=stop)


def wait_one(
    rt: Runtime,
    task_id: str,
    *,
    timeout: float | None = None,
    on_update: Listener | None = None,
    just_created: bool = False,
    stop: threading.Event | None = None,
) -> Task:
    """Wait for one task and return it finished successfully.

    Raises TaskFailedError (failed, expired or cancelled), WaitTimeoutError (still running
    after `timeout` seconds; it keeps running) or the error that stopped the wait.
    """
    watches = wait(
        rt, [task_id], timeout=timeout, on_update=on_update, just_created=just_created, stop=stop
    )
    return task_outcome(watches[0])


def task_outcome(watch: Watch) -> Task:
    """The task a wait ended with, when it succeeded; otherwise the error that says why not."""
    if watch.error is not None:
        raise watch.error
    task = watch.task
    if task is None or not task.status.is_terminal:
        state = task.status.value if task else "not seen yet"
        why = f" ({watch.trouble.message})" if watch.trouble is not None else ""
        raise WaitTimeoutError(
            f"task {watch.task_id} is still {state}{why}",
            reason="continue_waiting",
            suggestion=Suggestion.of("wait", watch.task_id),
            task=task,
        )
    if task.status.is_failure:
        raise failed(task)
    return task


def still_running(task: Task, *, output: str | None = None) -> WaitTimeoutError:
    """The error for a task that has not ended yet: wait for it (into `output`)."""
    return WaitTimeoutError(
        f"task {task.id} is still {task.status.value}",
        reason="wait_for_it",
        suggestion=Suggestion.of("wait", task.id, output=output),
        task=task,
    )


def failed(task: Task) -> TaskFailedError:
    """The error for a task that ended unsuccessfully."""
    return TaskFailedError(
        failure_text(task), code=task.error.code if task.error else None, task=task
    )


def failure_text(task: Task) -> str:
    """`task ID failed: CODE: message`."""
    if task.error is not None:
        return f"task {task.id} {task.status.value}: {task.error.code}: {task.error.message}"
    return f"task {task.id} {task.status.value}"


def listing(
    rt: Runtime,
    *,
    status: TaskStatus | str | None = None,
    model: str | None = None,
    page: int = 1,
    page_size: int = 20,
    task_ids: Sequence[str] | None = None,
) -> TaskPage:
    """The provider's task list (Ark dialects; others raise UnsupportedError)."""
    with rt.explain_auth():
        return rt.provider.list(
            status=TaskStatus(status).value if status is not None else None,
            model=model,
            page=page,
            page_size=page_size,
            task_ids=list(task_ids) if task_ids is not None else None,
        )


def cancel(rt: Runtime, task_id: str, *, force: bool = False) -> CancelOutcome:
    """Cancel a queued task, delete a finished one; the journal keeps its last state.

    A finished task whose video this machine made but never saved is not deleted unless
    `force`: it is a paid video, and deleting it loses it."""
    check_task_id(task_id)
    if not rt.capabilities.can_cancel:  # refuse without a request
        return rt.provider.cancel(Task(id=task_id, profile=rt.profile.name))
    task = get(rt, task_id)
    entry = rt.state.find(task_id)
    unsaved = entry is not None and entry.downloaded_at is None
    if task.status is TaskStatus.SUCCEEDED and unsaved and not force:
        raise UsageError(
            f"task {task_id} finished but its video was never saved; deleting it loses it",
            reason="save_first",
            suggestion=[Suggestion.of("download", task_id), Suggestion.again(force=True)],
        )
    with rt.explain_auth():
        outcome = rt.provider.cancel(task)
    if outcome == "cancelled":
        rt.state.observe(
            task_id, status=TaskStatus.CANCELLED, at=rt.clock.time(), tokens=None, error=None
        )
    return outcome


# -- what a task takes and costs -------------------------------------------------------------


def expected_run(rt: Runtime, task: Task) -> float | None:
    """How long a task like this one usually takes, learned from the journal."""
    if task.id not in rt.expected:
        entry = rt.state.find(task.id)
        samples = (
            rt.state.run_seconds(
                base_url=entry.base_url,
                model=entry.model,
                resolution=entry.resolution,
                duration=entry.duration,
            )
            if entry is not None
            else []
        )
        rt.expected[task.id] = typical_duration(samples)
    return rt.expected[task.id]


def typical_run(rt: Runtime, task: Task) -> float | None:
    """How long a task like this one usually takes: learned from the journal, else the
    model's typical time from the catalogue (a first guess, for a progress display)."""
    learned = expected_run(rt, task)
    if learned is not None:
        return learned
    spec = spec_of(rt, task)
    return spec.family.typical_seconds if spec is not None else None


def cost_of(rt: Runtime, task: Task) -> tuple[float, str | None, bool] | None:
    """What a task costs: (amount, currency, billed): billed from the tokens it reports
    once finished (nothing once it failed), else its own estimate (videos/task_cost.py);
    None when the price is unknown."""
    recorded = rt.priced.get(task.id)
    if recorded is None:
        recorded = rt.state.find(task.id)
        if recorded is not None and recorded.price is not None:
            rt.priced[task.id] = recorded
    return task_cost(task, recorded, lambda: _estimate_of(rt, task))


def _estimate_of(rt: Runtime, task: Task) -> Estimate | None:
    """The task priced from what its answer says (a task this machine did not create)."""
    spec = spec_of(rt, task)
    if spec is None:
        return None
    return catalogue().estimate(
        spec,
        resolution=task.resolution,
        ratio=task.ratio,
        duration=task.duration,
        draft=bool(task.draft),
        overrides=rt.profile.price_overrides(),
    )


def spec_of(rt: Runtime, task: Task) -> ModelSpec | None:
    """The catalogue's model of a task (by its model, else its journaled one), if known."""
    name = task.model
    if name is None:
        entry = rt.state.find(task.id)
        name = entry.model if entry is not None else None
    if not name:
        return None
    try:
        return catalogue().resolve(
            name, rt.profile.vocabulary, model_family=rt.profile.model_family
        )
    except (SeedanceError, LookupError):
        return None
