"""new-api gateways such as EasyRouter (docs/sources/easyrouter.txt; docs/sources/wire.md "new-api
gateways").

- Create `POST {base}/v1/video/generations`: `model`, `prompt` (required by the gateway),
  `seconds` as a string, and every Seedance parameter inside `metadata` (the Ark names).
  A lone first frame goes as the top-level `image` (the seed's image-to-video example); any
  other references go as `metadata.content`, Ark content items with explicit roles (it replaces
  the images, and the gateway adds the prompt as the text item).
- Read `GET {base}/v1/video/generations/{task_id}`: `{"code": "success", "data": {…}}`, whose
  `data.data` is the raw upstream Ark task (usage, seed, last_frame_url…).
- Download `GET {base}/v1/videos/{task_id}/content` with the key; the last frame (when asked
  for) is a pre-signed upstream URL. No list, no cancel.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal
from urllib.parse import quote

import httpx

from seedance.domain.errors import (
    APIError,
    BadResponseError,
    NotFoundError,
    Suggestion,
    api_error_class,
)
from seedance.domain.models import GenerationRequest, Role, Task, TaskError, TaskStatus, from_unix
from seedance.domain.validation import Problem
from seedance.providers.arkwire import ark_parameters, content_item, parse_usage
from seedance.providers.base import (
    TASK_NOT_FOUND,
    Advice,
    DownloadSource,
    Provider,
    as_dict,
    as_int,
    as_str,
    make_api_error,
    no_last_frame,
    normalize_status,
    status_word,
    usable_id,
)
from seedance.providers.http import Retry
from seedance.providers.videowire import GATEWAY_STATUSES, content_url, parse_created, video_error

GENERATIONS = "/v1/video/generations"
NOT_FOUND_CODES = frozenset({"task_not_exist", "task_not_found"})
# The upstream states the gateway reports as IN_PROGRESS until a 24 h sweep (docs/sources/wire.md).
_UPSTREAM_FINAL = {"cancelled": TaskStatus.CANCELLED, "expired": TaskStatus.EXPIRED}

# Error messages the gateway sends without a code, as codes (docs/sources/easyrouter.txt §5).
_MESSAGE_CODES = {
    "insufficient user quota": "insufficient_user_quota",
    "model not allowed": "model_not_allowed",
    "prompt is required": "prompt_required",
}
NEWAPI_ADVICE: dict[str, Advice] = {
    "insufficient_user_quota": Advice("top_up"),
    "model_not_allowed": Advice(
        "model_not_allowed",
        Suggestion.of("models"),
        "model",
    ),
    "prompt_required": Advice("gateway_needs_prompt", field="prompt"),
    **dict.fromkeys(NOT_FOUND_CODES, TASK_NOT_FOUND),
}


class NewAPIProvider(Provider):
    """`POST/GET {base}/v1/video/generations`, `GET {base}/v1/videos/{id}/content`."""

    dialect = "newapi"

    returns_last_frame = True
    content_endpoint = True
    reports_progress = True
    models_path = "/v1/models"  # new-api's OpenAI-style model list
    error_advice: ClassVar[Mapping[str, Advice]] = NEWAPI_ADVICE

    # -- create ------------------------------------------------------------------------------

    def problem_facts(self, request: GenerationRequest) -> list[Problem]:
        if not request.prompt:
            return [
                Problem(
                    f"profile '{self.profile.name}' (a new-api gateway) needs a prompt even with "
                    "reference media: it answers 400 'prompt is required' without one",
                    "prompt",
                )
            ]
        return []

    def build_body(self, request: GenerationRequest) -> dict[str, Any]:
        body: dict[str, Any] = {"model": request.model}
        if request.prompt:
            body["prompt"] = request.prompt
        refs = request.references
        if len(refs) == 1 and refs[0].role is Role.FIRST_FRAME:
            body["image"] = refs[0].url
        # A top-level `duration` is not forwarded upstream (docs/sources/wire.md): `seconds` and
        # `metadata.duration` carry it. `seconds` must be plain digits, so not for -1.
        if request.duration is not None and request.duration > 0:
            body["seconds"] = str(request.duration)
        metadata = ark_parameters(request)
        if refs and "image" not in body:
            metadata = {"content": [content_item(r) for r in refs], **metadata}
        if metadata:
            body["metadata"] = metadata
        return body

    def create(self, body: dict[str, Any]) -> Task:
        url = self.url(GENERATIONS)
        response = self.http.request("POST", url, json=body, retry=Retry.UNSENT)
        return parse_created(self.unwrap(response, self.json_of(response)), self.profile.name, body)

    # -- read --------------------------------------------------------------------------------

    def auth_path(self) -> str:
        """A task that does not exist: a working key gets "task_not_exist", a wrong one 401."""
        return f"{GENERATIONS}/task_seedance_key_check"

    def get(self, task_id: str) -> Task:
        response = self.http.request("GET", self.url(f"{GENERATIONS}/{quote(task_id, safe='')}"))
        data = self.unwrap(response, self.json_of(response))
        return parse_generation(data, self.profile.name, task_id)

    def download_source(self, task: Task, what: Literal["video", "last_frame"]) -> DownloadSource:
        if what == "video":  # the gateway's proxy outlives the upstream's temporary result_url
            return DownloadSource(content_url(self.profile.base_url, task.id), authenticated=True)
        if not task.last_frame_url:  # as the Ark dialect: nothing to fetch, nothing sent (exit 2)
            raise no_last_frame(task)
        return DownloadSource(task.last_frame_url, authenticated=False)

    # -- the wrapped answers and their errors ------------------------------------------------

    def unwrap(self, response: httpx.Response, body: Any) -> Any:
        """`data` of `{"code": "success", "message": "", "data": {…}}`; an error for any other
        code (even on HTTP 200); an unwrapped answer as it is."""
        if not (isinstance(body, dict) and "code" in body and "data" in body):
            return body
        if body.get("code") in ("success", 0, 200) and isinstance(body.get("data"), dict):
            return body["data"]
        code, message = self.error_fields(body)
        raise make_api_error(
            response,
            code,
            message or "the gateway answered without data",
            self.error_advice,
            cls=self.error_class(response.status_code, code),
        )

    def error_class(self, status_code: int, code: str | None) -> type[APIError]:
        """Not found by its code (new-api answers 400 for an unknown id); a wrapped error on
        HTTP 200 is a bad request."""
        if code in NOT_FOUND_CODES:
            return NotFoundError
        return api_error_class(status_code if status_code >= 400 else 400)

    def error_fields(self, data: Any) -> tuple[str | None, str | None]:
        """`{"error": {"message", "type", "code"}}` or `{"code", "message", "data": null}`;
        a known message without a code gets one, so scripts can tell them apart."""
        code, message = super().error_fields(data)
        if code is None and message:
            low = message.lower()
            code = next((c for text, c in _MESSAGE_CODES.items() if text in low), None)
        return code, message


def parse_generation(data: Any, profile: str, task_id: str | None = None) -> Task:
    """new-api's task record, read leniently; `data.data` is the upstream Ark task."""
    if not isinstance(data, dict):
        raise BadResponseError("the API answered a task that is not a JSON object")
    found = as_str(data.get("task_id")) or as_str(data.get("id")) or task_id
    if not found:
        raise BadResponseError("the API answered a task without an id")
    found = usable_id(found, data)
    upstream = as_dict(data.get("data"))
    content = as_dict(upstream.get("content"))
    status = normalize_status(status_word(data, required=False), GATEWAY_STATUSES)
    upstream_word = upstream.get("status")
    if isinstance(upstream_word, str) and upstream_word.lower() in _UPSTREAM_FINAL:
        status = _UPSTREAM_FINAL[upstream_word.lower()]
    return Task(
        profile=profile,
        id=found,
        status=status,
        progress=as_int(data.get("progress")),
        model=as_str(as_dict(data.get("properties")).get("origin_model_name"))
        or as_str(upstream.get("model")),
        video_url=as_str(data.get("result_url")) or as_str(content.get("video_url")),
        last_frame_url=as_str(content.get("last_frame_url")),
        error=_generation_error(data, upstream, status),
        usage=parse_usage(upstream.get("usage")),
        duration=as_int(upstream.get("duration")),
        resolution=as_str(upstream.get("resolution")),
        ratio=as_str(upstream.get("ratio")),
        seed=as_int(upstream.get("seed")),
        created_at=from_unix(data.get("created_at") or data.get("submit_time")),
        updated_at=from_unix(data.get("updated_at") or data.get("finish_time")),
        raw=data,
    )


def _generation_error(
    data: dict[str, Any], upstream: dict[str, Any], status: TaskStatus
) -> TaskError | None:
    """`fail_reason`, coded with the upstream error code when there is one."""
    upstream_error = video_error(upstream.get("error"))
    reason = as_str(data.get("fail_reason"))
    if reason:
        code = upstream_error.code if upstream_error else "FAILURE"
        return TaskError(code=code, message=reason)
    if upstream_error is not None and status.is_failure:
        return upstream_error
    return None
