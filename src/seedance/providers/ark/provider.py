"""The Ark native task API (docs/sources/ark.txt, docs/sources/phanedge.txt §4-8): official
endpoints and /volcark gateways."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Literal

from seedance.domain.errors import AuthError, BadResponseError, ConflictError, Suggestion
from seedance.domain.models import GenerationRequest, Task, TaskStatus
from seedance.providers.arkwire import (
    ARK_ADVICE,
    RUNNING_TASK_DELETION,
    ark_content,
    ark_parameters,
    parse_ark_task,
)
from seedance.providers.base import (
    Advice,
    CancelOutcome,
    DownloadSource,
    ModelProbe,
    ProbeOutcome,
    Provider,
    TaskPage,
    as_int,
    no_last_frame,
    require_task_id,
    usable_items,
)
from seedance.providers.http import Retry, server_time

TASKS = "/contents/generations/tasks"
PROBE_OUTCOMES: dict[tuple[int, str], ProbeOutcome] = {
    (400, "MissingParameter"): "usable",
    (404, "ModelNotOpen"): "not_activated",
    (404, "InvalidEndpointOrModel.NotFound"): "not_found",
}
LIST_BATCH = 50  # task ids per list request when reading many tasks at once


def _complete(task: Task) -> bool:
    """Whether a listed task says all a read would: a finished one its video or its error."""
    if task.status is TaskStatus.SUCCEEDED:
        return bool(task.video_url) and task.usage is not None
    if task.status.is_failure:
        return task.error is not None or task.status is TaskStatus.CANCELLED
    return True


class ArkProvider(Provider):
    """`POST/GET/DELETE {base}/contents/generations/tasks`."""

    dialect = "ark"

    can_list = True
    can_cancel = True
    returns_last_frame = True
    # ended tasks echo execution_expires_after (docs/sources/ark.txt, docs/sources/phanedge.txt
    # §6-7), and the list and GET find any task of the last 7 days
    finds_lost_creates = True
    can_finalize = True
    can_probe = True
    models_path = "/models"  # docs/sources/real-world.md "Finding out what an account can use"
    error_advice: ClassVar[Mapping[str, Advice]] = ARK_ADVICE

    def build_body(self, request: GenerationRequest) -> dict[str, Any]:
        return {"model": request.model, "content": ark_content(request), **ark_parameters(request)}

    def create(self, body: dict[str, Any]) -> Task:
        response = self.http.request("POST", self.url(TASKS), json=body, retry=Retry.UNSENT)
        data = self.json_of(response)
        return self.task(
            id=require_task_id(data, "id"),
            status=TaskStatus.QUEUED,
            model=body.get("model"),
            raw=data,
        )

    def get(self, task_id: str) -> Task:
        response = self.http.request("GET", self.url(f"{TASKS}/{task_id}"))
        return parse_ark_task(self.json_of(response), self.profile.name)

    def get_many(self, task_ids: Iterable[str]) -> dict[str, Task]:
        """Read many tasks with few requests: the list endpoint filtered by id.

        The list shows only recent tasks and gateways may trim its items
        (docs/sources/phanedge.txt shows a reduced item), so a task it does not show, or shows
        finished without what a finished task must carry, is read again on its own.
        """
        wanted = list(task_ids)
        found: dict[str, Task] = {}
        for start in range(0, len(wanted), LIST_BATCH):
            batch = wanted[start : start + LIST_BATCH]
            page = self.list(task_ids=batch, page_size=len(batch))
            found.update({t.id: t for t in page.items if t.id in batch})
        for task_id in wanted:
            seen = found.get(task_id)
            if seen is None or not _complete(seen):
                found[task_id] = self.get(task_id)
        return found

    def list(
        self,
        *,
        status: str | None = None,
        model: str | None = None,
        page: int = 1,
        page_size: int = 20,
        task_ids: list[str] | None = None,
        service_tier: str | None = None,
    ) -> TaskPage:
        """A page of the task list. An unfiltered list leaves flex tasks out; they are listed
        when asked for by their tier (https://github.com/TanStack/ai, docs/adapters/byteplus.md)."""
        params: list[tuple[str, str | int]] = [("page_num", page), ("page_size", page_size)]
        if status:
            params.append(("filter.status", status))
        if model:
            params.append(("filter.model", model))
        if service_tier:
            params.append(("filter.service_tier", service_tier))
        params.extend(("filter.task_ids", task_id) for task_id in task_ids or [])
        response = self.http.request("GET", self.url(TASKS), params=params)
        data = self.json_of(response)
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise BadResponseError("the task list answer has no items")
        tasks = [parse_ark_task(item, self.profile.name) for item in usable_items(items, "id")]
        return TaskPage(tasks, as_int(data.get("total")), server_time(response))

    def cancel(self, task: Task) -> CancelOutcome:
        """DELETE: a queued task becomes cancelled, a finished one is deleted (running: 409)."""
        response = self.http.request("DELETE", self.url(f"{TASKS}/{task.id}"))
        if response.status_code >= 400:
            error = self.error_for(response)
            # docs/sources/wire.md: a running task answers 409 RunningTaskDeletion
            if isinstance(error, ConflictError) or error.code == RUNNING_TASK_DELETION:
                error.suggestion = Suggestion.of("wait", task.id)
            raise error
        return "cancelled" if task.status is TaskStatus.QUEUED else "deleted"

    def auth_path(self) -> str:
        return f"{TASKS}?page_num=1&page_size=1"

    def probe_model(self, model: str) -> ModelProbe:
        """POST a body with only `model`: it creates nothing, and the answer says whether the
        model is live for this key (400 MissingParameter), real but not activated (404
        ModelNotOpen) or unknown (404 InvalidEndpointOrModel.NotFound): docs/sources/
        real-world.md "Finding out what an account can use", live-research.md §6."""
        response = self.http.request(
            "POST", self.url(TASKS), json={"model": model}, retry=Retry.NEVER
        )
        if response.status_code < 400:
            data = self.json_of(response)
            made = data.get("id") if isinstance(data, dict) else None
            return ModelProbe(
                model, "unknown", response.status_code, None, f"the server made task {made}"
            )
        error = self.error_for(response)
        if isinstance(error, AuthError):
            raise error
        code = error.code if error.code != type(error).code else None
        outcome = PROBE_OUTCOMES.get((response.status_code, code or ""), "unknown")
        return ModelProbe(model, outcome, response.status_code, code, error.message)

    def download_source(self, task: Task, what: Literal["video", "last_frame"]) -> DownloadSource:
        url = task.video_url if what == "video" else task.last_frame_url
        if not url:
            if what == "last_frame":
                raise no_last_frame(task)
            raise BadResponseError(f"task {task.id} is {task.status} but has no video URL")
        return DownloadSource(url, authenticated=False)
