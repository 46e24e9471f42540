"""The Ark native task API (docs/sources/ark.txt, docs/sources/phanedge.txt §4-8): official
endpoints and /volcark gateways."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from seedance.domain.catalogue import catalogue
from seedance.domain.errors import BadResponseError, UnsupportedError
from seedance.domain.models import (
    GenerationRequest,
    MediaKind,
    Reference,
    Task,
    TaskError,
    TaskStatus,
    Usage,
    from_unix,
)
from seedance.providers.base import (
    CancelOutcome,
    DownloadSource,
    Provider,
    TaskPage,
    as_dict,
    as_int,
    as_str,
    normalize_status,
    require_task_id,
)
from seedance.providers.http import Retry

TASKS = "/contents/generations/tasks"
LIST_BATCH = 50  # task ids per list request when reading many tasks at once

ARK_STATUSES = {s.value: s for s in TaskStatus}

# The order top-level parameters appear in a body (as the seed documents write them).
_PARAMS: tuple[tuple[str, str], ...] = (
    ("generate_audio", "generate_audio"),
    ("ratio", "ratio"),
    ("duration", "duration"),
    ("resolution", "resolution"),
    ("watermark", "watermark"),
    ("seed", "seed"),
    ("camera_fixed", "camera_fixed"),
    ("draft", "draft"),
    ("return_last_frame", "return_last_frame"),
    ("service_tier", "service_tier"),
    ("expires_after", "execution_expires_after"),
    ("priority", "priority"),
    ("safety_id", "safety_identifier"),
    ("callback_url", "callback_url"),
)

_TYPES = {MediaKind.IMAGE: "image_url", MediaKind.VIDEO: "video_url", MediaKind.AUDIO: "audio_url"}


def content_item(ref: Reference) -> dict[str, Any]:
    """One Ark `content[]` item: `{"type": "image_url", "image_url": {"url": …}, "role": …}`."""
    kind = _TYPES[ref.kind]
    return {"type": kind, kind: {"url": ref.url}, "role": ref.role.value}


def ark_parameters(request: GenerationRequest) -> dict[str, Any]:
    """The Ark top-level parameters a request sets (unset ones are left out, not null)."""
    values = request.model_dump()
    if request.size and not (request.resolution and request.ratio):
        res_ratio = catalogue().parse_size(request.size)
        if res_ratio is not None:
            values["resolution"], values["ratio"] = res_ratio
    return {wire: values[name] for name, wire in _PARAMS if values.get(name) is not None}


def _complete(task: Task) -> bool:
    """Whether a listed task says all a read would: a finished one its video or its error."""
    if task.status is TaskStatus.SUCCEEDED:
        return bool(task.video_url) and task.usage is not None
    if task.status.is_failure:
        return task.error is not None or task.status is TaskStatus.CANCELLED
    return True


def parse_ark_task(data: Any, provider: Provider) -> Task:
    """An Ark task object, read leniently: any field may be missing or of the wrong type."""
    if not isinstance(data, dict) or not as_str(data.get("id")):
        raise BadResponseError("the API answered a task without an id")
    content = as_dict(data.get("content"))
    error = as_dict(data.get("error"))
    usage = as_dict(data.get("usage"))
    return provider.task(
        id=data["id"],
        status=normalize_status(data.get("status"), ARK_STATUSES),
        model=as_str(data.get("model")),
        video_url=as_str(content.get("video_url")),
        last_frame_url=as_str(content.get("last_frame_url")),
        error=TaskError(
            code=str(error.get("code") or "unknown"), message=str(error.get("message") or "")
        )
        if error
        else None,
        usage=Usage(
            completion_tokens=as_int(usage.get("completion_tokens")),
            total_tokens=as_int(usage.get("total_tokens")),
        )
        if usage
        else None,
        duration=as_int(data.get("duration")),
        resolution=as_str(data.get("resolution")),
        ratio=as_str(data.get("ratio")),
        seed=as_int(data.get("seed")),
        created_at=from_unix(data.get("created_at")),
        updated_at=from_unix(data.get("updated_at")),
        raw=data,
    )


class ArkProvider(Provider):
    """`POST/GET/DELETE {base}/contents/generations/tasks`."""

    dialect = "ark"

    can_list = True
    can_cancel = True
    returns_last_frame = True

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
        return parse_ark_task(self.json_of(response), self)

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
    ) -> TaskPage:
        params: list[tuple[str, str | int]] = [("page_num", page), ("page_size", page_size)]
        if status:
            params.append(("filter.status", status))
        if model:
            params.append(("filter.model", model))
        params.extend(("filter.task_ids", task_id) for task_id in task_ids or [])
        data = self.json_of(self.http.request("GET", self.url(TASKS), params=params))
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise BadResponseError("the task list answer has no items")
        tasks = [parse_ark_task(item, self) for item in items if isinstance(item, dict)]
        return TaskPage(tasks, as_int(data.get("total")))

    def cancel(self, task: Task) -> CancelOutcome:
        """DELETE: a queued task becomes cancelled, a finished one is deleted (running: 409)."""
        response = self.http.request("DELETE", self.url(f"{TASKS}/{task.id}"))
        if response.status_code >= 400:
            raise self.error_for(response)
        return "cancelled" if task.status is TaskStatus.QUEUED else "deleted"

    def download_source(self, task: Task, what: Literal["video", "last_frame"]) -> DownloadSource:
        url = task.video_url if what == "video" else task.last_frame_url
        if not url:
            if what == "last_frame":
                raise UnsupportedError(
                    f"task {task.id} has no last frame",
                    hint="ask for one at creation with --return-last-frame",
                )
            raise BadResponseError(f"task {task.id} is {task.status} but has no video URL")
        return DownloadSource(url, authenticated=False)
