"""OpenAI-style `/v1/videos` reading, shared by the gateways that speak it: kapon
(docs/sources/kapon.txt §3.1, §4), ope.ai (docs/sources/opeai.txt) and new-api's content
endpoint (docs/sources/easyrouter.txt).

`POST /v1/videos` creates, `GET /v1/videos/{id}` reads a video object, and
`GET /v1/videos/{id}/content` streams the video with the API key; there is no list, no cancel
and no last frame. The create bodies differ per gateway: `VideosProvider` holds what is common
and each gateway's provider its body shape and the parameters its document does not show,
which are refused before sending, never silently dropped.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar, Literal
from urllib.parse import quote

import httpx

from seedance.domain.catalogue import catalogue
from seedance.domain.errors import BadResponseError, UnsupportedError
from seedance.domain.models import GenerationRequest, Task, TaskError, TaskStatus, from_unix
from seedance.domain.validation import Problem
from seedance.providers.arkwire import ARK_PARAMETERS, ark_parameters, parse_usage
from seedance.providers.base import (
    DownloadSource,
    Provider,
    as_dict,
    as_int,
    as_str,
    normalize_status,
    require_task_id,
    status_word,
    usable_id,
)
from seedance.providers.http import Retry

VIDEOS = "/v1/videos"
POLL_AFTER_HEADER = "openai-poll-after-ms"

# Status words of OpenAI's video API, of ope.ai and of new-api (whose own words these are),
# plus Ark's, for gateways that pass the upstream word through.
GATEWAY_STATUSES: dict[str, TaskStatus] = {
    "queued": TaskStatus.QUEUED,
    "submitted": TaskStatus.QUEUED,
    "not_start": TaskStatus.QUEUED,
    "pending": TaskStatus.QUEUED,
    "in_progress": TaskStatus.RUNNING,
    "running": TaskStatus.RUNNING,
    "processing": TaskStatus.RUNNING,
    "completed": TaskStatus.SUCCEEDED,
    "success": TaskStatus.SUCCEEDED,
    "succeeded": TaskStatus.SUCCEEDED,
    "failed": TaskStatus.FAILED,
    "failure": TaskStatus.FAILED,
    "cancelled": TaskStatus.CANCELLED,
    "canceled": TaskStatus.CANCELLED,
    "expired": TaskStatus.EXPIRED,
    "unknown": TaskStatus.UNKNOWN,
}

# The request fields a `/v1/videos` gateway may leave undocumented (library names).
ARK_ONLY_FIELDS: tuple[str, ...] = (
    "watermark",
    "seed",
    "camera_fixed",
    "draft",
    "return_last_frame",
    "callback_url",
    "service_tier",
    "priority",
    "expires_after",
    "safety_id",
    "output_format",
    "task_type",
)
# The same by their Ark names: what goes into a body only when validation was skipped.
_ARK_EXTRAS = frozenset(wire for name, wire in ARK_PARAMETERS if name in ARK_ONLY_FIELDS)


class VideosProvider(Provider):
    """`POST/GET {base}/v1/videos` and `GET {base}/v1/videos/{id}/content`; each gateway's
    subclass gives its body shape (`shape_fields`) and its rules."""

    dialect = "openai"

    content_endpoint = True
    reports_progress = True
    models_path = "/v1/models"  # OpenAI's model list, where the gateway has one

    title: ClassVar[str]  # the endpoint, for messages: "kapon's /v1/videos"
    undocumented: ClassVar[tuple[str, ...]]  # request fields the gateway's document lacks

    # -- create ------------------------------------------------------------------------------

    def problem_facts(self, request: GenerationRequest) -> list[Problem]:
        problems = self.undocumented_problems(request) + self.shape_problems(request)
        if request.duration is not None and request.duration < 0:
            problems.append(
                Problem(
                    f"{self.title} takes 4-15 seconds; it has no automatic duration (-1)",
                    "duration",
                )
            )
        return problems

    def undocumented_problems(self, request: GenerationRequest) -> list[Problem]:
        """The parameters the gateway's document does not show, refused before sending."""
        given = request.model_dump()
        refused = [k for k in self.undocumented if given.get(k) is not None]
        problems: list[Problem] = []
        if "return_last_frame" in refused:
            refused.remove("return_last_frame")
            problems.append(Problem(f"{self.title} returns no last frame", "return_last_frame"))
        if refused:
            them = "it" if len(refused) == 1 else "them"
            problems.append(
                Problem(
                    f"{self.title} does not document {', '.join(refused)}: leave {them} out",
                    refused[0] if len(refused) == 1 else None,
                )
            )
        return problems

    def shape_problems(self, request: GenerationRequest) -> list[Problem]:
        """What the gateway's body shape cannot express."""
        return []

    @abstractmethod
    def shape_fields(self, request: GenerationRequest) -> dict[str, Any]:
        """The gateway's own fields of a create body (all but `model` and `prompt`)."""

    def build_body(self, request: GenerationRequest) -> dict[str, Any]:
        body: dict[str, Any] = {"model": request.model}
        if request.prompt:
            body["prompt"] = request.prompt
        body.update(self.shape_fields(request))
        # Only with validation skipped can a request carry what `problem_facts` refuses: send
        # it under its Ark name rather than drop it, and let the gateway decide.
        extras = ark_parameters(request)
        body.update({k: v for k, v in extras.items() if k in _ARK_EXTRAS and k not in body})
        return body

    def create(self, body: dict[str, Any]) -> Task:
        response = self.http.request("POST", self.url(VIDEOS), json=body, retry=Retry.UNSENT)
        return parse_created(
            self.json_of(response), self.profile.name, body, poll_after=poll_hint(response)
        )

    # -- read --------------------------------------------------------------------------------

    def auth_path(self) -> str:
        """A video that does not exist: a working key gets 404, a wrong one 401."""
        return f"{VIDEOS}/video_seedance_key_check"

    def get(self, task_id: str) -> Task:
        response = self.http.request("GET", self.url(f"{VIDEOS}/{quote(task_id, safe='')}"))
        return parse_video(
            self.json_of(response), self.profile.name, poll_after=poll_hint(response)
        )

    def download_source(self, task: Task, what: Literal["video", "last_frame"]) -> DownloadSource:
        if what == "last_frame":
            raise UnsupportedError(
                f"profile '{self.profile.name}' ({self.dialect} API) returns no last frame",
                reason="gateway_no_last_frame",
                field="return_last_frame",
            )
        return DownloadSource(content_url(self.profile.base_url, task.id), authenticated=True)


def content_url(base_url: str, task_id: str) -> str:
    """Where a finished video streams from, with the API key."""
    return f"{base_url.rstrip('/')}{VIDEOS}/{quote(task_id, safe='')}/content"


def present(**values: Any) -> dict[str, Any]:
    """The given values that are set."""
    return {k: v for k, v in values.items() if v is not None}


# -- parsing ---------------------------------------------------------------------------------


def poll_hint(response: httpx.Response) -> float | None:
    """The server's poll interval hint (`openai-poll-after-ms`), in seconds."""
    value = response.headers.get(POLL_AFTER_HEADER)
    try:
        return max(float(value) / 1000.0, 0.0) if value else None
    except ValueError:
        return None


def parse_created(
    data: Any, profile: str, body: dict[str, Any], *, poll_after: float | None = None
) -> Task:
    """A create answer: at least an id; queued unless it says otherwise."""
    task_id = require_task_id(data, "id", "task_id")
    task = parse_video(data, profile, poll_after=poll_after, task_id=task_id)
    changes: dict[str, Any] = {"model": task.model or body.get("model")}
    if task.status is TaskStatus.UNKNOWN and "status" not in data:
        changes["status"] = TaskStatus.QUEUED
    return task.model_copy(update=changes)


def parse_video(
    data: Any, profile: str, *, poll_after: float | None = None, task_id: str | None = None
) -> Task:
    """An OpenAI-style video object, read leniently: any field may be missing or mistyped."""
    if not isinstance(data, dict):
        raise BadResponseError("the API answered a video task that is not a JSON object")
    found = task_id or as_str(data.get("id")) or as_str(data.get("task_id"))
    if not found:
        raise BadResponseError("the API answered a task without an id")
    found = usable_id(found, data)
    resolution, ratio = as_str(data.get("resolution")), as_str(data.get("ratio"))
    size = as_str(data.get("size"))
    if size and not (resolution and ratio):
        parsed = catalogue().parse_size(size)
        if parsed is not None:
            resolution, ratio = resolution or parsed[0], ratio or parsed[1]
    duration = as_int(data.get("seconds"))
    return Task(
        profile=profile,
        id=found,
        status=normalize_status(status_word(data, required=False), GATEWAY_STATUSES),
        progress=_percent(data.get("progress")),
        model=as_str(data.get("model")),
        video_url=as_str(data.get("video_url")) or as_str(as_dict(data.get("metadata")).get("url")),
        error=video_error(data.get("error")),
        usage=parse_usage(data.get("usage")),
        duration=duration if duration is not None else as_int(data.get("duration")),
        resolution=resolution,
        ratio=ratio,
        seed=as_int(data.get("seed")),
        created_at=from_unix(data.get("created_at")),
        updated_at=from_unix(data.get("updated_at") or data.get("completed_at")),
        raw=data,
        poll_after=poll_after,
    )


def video_error(value: Any) -> TaskError | None:
    """`{"code", "message"}` (or a bare message) as a TaskError; None when there is none."""
    if isinstance(value, str) and value:
        return TaskError(code="failed", message=value)
    error = as_dict(value)
    if not (error.get("code") or error.get("message")):
        return None
    code, message = error.get("code") or "failed", error.get("message") or ""
    return TaskError(code=str(code), message=str(message))


def _percent(value: Any) -> int | None:
    """A progress of 0-100 from an int, a float or a string like "50%"."""
    number = as_int(value)
    if number is None and isinstance(value, float):
        number = int(value)
    return None if number is None else min(max(number, 0), 100)
