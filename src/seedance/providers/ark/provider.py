"""The Ark native task API (docs/sources/ark.txt, docs/sources/phanedge.txt §4-8): official
endpoints and /volcark gateways."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Literal

from seedance.domain.errors import BadResponseError, ConflictError, Suggestion
from seedance.domain.models import GenerationRequest, Task, TaskStatus
from seedance.providers.arkwire import (
    ARK_ADVICE,
    RUNNING_TASK_DELETION,
    ark_parameters,
    content_item,
    parse_ark_task,
)
from seedance.providers.base import (
    Advice,
    CancelOutcome,
    DownloadSource,
    Provider,
    TaskPage,
    as_int,
    no_last_frame,
    require_task_id,
)
from seedance.providers.http import Retry

TASKS = "/contents/generations/tasks"
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
    error_advice: ClassVar[Mapping[str, Advice]] = ARK_ADVICE

    def build_body(self, request: GenerationRequest) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if request.prompt:
            content.append({"type": "text", "text": request.prompt})
        content.extend(content_item(ref) for ref in request.references)
        return {"model": request.model, "content": content, **ark_parameters(request)}

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
        data = self.json_of(self.http.request("GET", self.url(TASKS), params=params))
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise BadResponseError("the task list answer has no items")
        tasks = [
            parse_ark_task(item, self.profile.name) for item in items if isinstance(item, dict)
        ]
        return TaskPage(tasks, as_int(data.get("total")))

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

    def download_source(self, task: Task, what: Literal["video", "last_frame"]) -> DownloadSource:
        url = task.video_url if what == "video" else task.last_frame_url
        if not url:
            if what == "last_frame":
                raise no_last_frame(task)
            raise BadResponseError(f"task {task.id} is {task.status} but has no video URL")
        return DownloadSource(url, authenticated=False)
