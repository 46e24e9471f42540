"""OpenAI-style `/v1/videos` gateways: kapon (docs/sources/kapon.txt §3.1, §4) and ope.ai
(docs/sources/opeai.txt).

Both take `POST /v1/videos`, answer `GET /v1/videos/{id}` and stream the video from
`GET /v1/videos/{id}/content` with the API key; neither lists, cancels or returns a last frame.
Their create bodies differ, so the profile's `flavor` picks one:

- kapon: `duration` (int), `ratio` + `resolution` or `size`, `generate_audio`, `watermark`,
  images as a flat `input_reference: ["asset://…"]` (no roles) and
  `references: {"video": [...], "audio": [...]}`;
- opeai: `seconds` as a string, `size` or `resolution` + `ratio` (never both),
  `generate_audio`, `seed`, and `input_reference: {"content": [Ark content items with roles]}`.

A parameter a flavor does not document is refused before sending, never silently dropped.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import quote

import httpx

from seedance.domain.catalogue import DEFAULT_RATIO, DEFAULT_RESOLUTION, catalogue
from seedance.domain.errors import BadResponseError, ConfigError, UnsupportedError
from seedance.domain.models import (
    GenerationRequest,
    MediaKind,
    Role,
    Task,
    TaskError,
    TaskStatus,
    Usage,
    from_unix,
)
from seedance.providers.ark import ark_parameters, content_item
from seedance.providers.base import (
    DownloadSource,
    Provider,
    as_dict,
    as_int,
    as_str,
    normalize_status,
    require_task_id,
)
from seedance.providers.http import Retry

VIDEOS = "/v1/videos"
POLL_AFTER_HEADER = "openai-poll-after-ms"
FLAVORS = ("kapon", "opeai")
# docs/sources/opeai.txt §2: no "adaptive"
OPEAI_RATIOS = ("16:9", "4:3", "1:1", "3:4", "9:16", "21:9")

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

# Request fields each flavor's document does not show, as the CLI flag that sets them.
_FLAGS: dict[str, str] = {
    "watermark": "--watermark",
    "seed": "--seed",
    "camera_fixed": "--camera-fixed",
    "draft": "--draft",
    "return_last_frame": "--return-last-frame",
    "callback_url": "--callback-url",
    "service_tier": "--service-tier",
    "priority": "--priority",
    "expires_after": "--expires-after",
    "safety_id": "--safety-id",
}
_UNDOCUMENTED: dict[str, tuple[str, ...]] = {
    "kapon": tuple(k for k in _FLAGS if k != "watermark"),
    "opeai": tuple(k for k in _FLAGS if k != "seed"),
}
_ARK_EXTRAS = frozenset(
    {
        "watermark",
        "seed",
        "camera_fixed",
        "draft",
        "return_last_frame",
        "callback_url",
        "service_tier",
        "priority",
        "execution_expires_after",
        "safety_identifier",
    }
)
_TITLES = {"kapon": "kapon's /v1/videos", "opeai": "ope.ai's /v1/videos"}
_NATIVE = "-p kapon-native (the Ark API on the same gateway) accepts all of these"


class OpenAIProvider(Provider):
    """`POST/GET {base}/v1/videos`, body shape per `profile.flavor`."""

    dialect = "openai"

    content_endpoint = True
    reports_progress = True

    @property
    def flavor(self) -> Literal["kapon", "opeai"]:
        """The body shape; a profile without one gets ope.ai's (OpenAI's own `seconds`/`size`)."""
        flavor = self.profile.flavor or "opeai"
        if flavor == "kapon":
            return "kapon"
        if flavor == "opeai":
            return "opeai"
        raise ConfigError(
            f"profile '{self.profile.name}': unknown flavor '{flavor}' for the openai API",
            hint=f"set flavor to one of: {', '.join(FLAVORS)}",
        )

    # -- create ------------------------------------------------------------------------------

    def problems(self, request: GenerationRequest) -> list[str]:
        flavor = self.flavor
        title = _TITLES[flavor]
        problems: list[str] = []
        given = request.model_dump()
        refused = [_FLAGS[k] for k in _UNDOCUMENTED[flavor] if given.get(k) is not None]
        if "--return-last-frame" in refused:
            refused.remove("--return-last-frame")
            problems.append(
                f"{title} returns no last frame (--return-last-frame, --last-frame-output)"
            )
        if refused:
            them = "it" if len(refused) == 1 else "them"
            problems.append(f"{title} does not document {', '.join(refused)}: leave {them} out")
        if flavor == "kapon":
            if any(r.role in (Role.FIRST_FRAME, Role.LAST_FRAME) for r in request.references):
                problems.append(
                    f"{title} cannot express a first or last frame: its reference images carry "
                    "no roles (--image sends one as a plain reference)"
                )
            if problems:
                problems.append(_NATIVE)
        elif request.ratio is not None and request.ratio not in OPEAI_RATIOS:
            choices = ", ".join(OPEAI_RATIOS)
            problems.append(f"{title} has no ratio {request.ratio}: choose one of {choices}")
        if request.duration is not None and request.duration < 0:
            problems.append(f"{title} takes 4-15 seconds; it has no automatic duration (-1)")
        return problems

    def build_body(self, request: GenerationRequest) -> dict[str, Any]:
        body: dict[str, Any] = {"model": request.model}
        if request.prompt:
            body["prompt"] = request.prompt
        if self.flavor == "kapon":
            body.update(_kapon_fields(request))
        else:
            body.update(_opeai_fields(request))
        # Only with --no-validate can a request carry what `problems` refuses: send it under
        # its Ark name rather than drop it, and let the gateway decide.
        extras = ark_parameters(request)
        body.update({k: v for k, v in extras.items() if k in _ARK_EXTRAS and k not in body})
        return body

    def create(self, body: dict[str, Any]) -> Task:
        response = self.http.request("POST", self.url(VIDEOS), json=body, retry=Retry.UNSENT)
        return parse_created(self.json_of(response), self, body, poll_after=poll_hint(response))

    # -- read --------------------------------------------------------------------------------

    def get(self, task_id: str) -> Task:
        response = self.http.request("GET", self.url(f"{VIDEOS}/{quote(task_id, safe='')}"))
        return parse_video(self.json_of(response), self, poll_after=poll_hint(response))

    def download_source(self, task: Task, what: Literal["video", "last_frame"]) -> DownloadSource:
        if what == "last_frame":
            raise UnsupportedError(
                f"profile '{self.profile.name}' ({self.dialect} API) returns no last frame",
                hint="extract one from the video, or use an Ark profile with --return-last-frame",
            )
        return DownloadSource(self.url(f"{VIDEOS}/{quote(task.id, safe='')}/content"), True)


def _kapon_fields(request: GenerationRequest) -> dict[str, Any]:
    """kapon (docs/sources/kapon.txt §4, §4.1, §4.2): flat image list, references by kind, int
    duration."""
    fields: dict[str, Any] = {}
    images = [r.url for r in request.refs_of(MediaKind.IMAGE)]  # frames only with --no-validate
    if images:
        fields["input_reference"] = images
    media = {
        "video": [r.url for r in request.refs_of(MediaKind.VIDEO)],
        "audio": [r.url for r in request.refs_of(MediaKind.AUDIO)],
    }
    if any(media.values()):
        fields["references"] = {kind: urls for kind, urls in media.items() if urls}
    if request.duration is not None:
        fields["duration"] = request.duration
    fields.update(_present(ratio=request.ratio, resolution=request.resolution, size=request.size))
    fields.update(_present(generate_audio=request.generate_audio, watermark=request.watermark))
    return fields


def _opeai_fields(request: GenerationRequest) -> dict[str, Any]:
    """ope.ai (docs/sources/opeai.txt §1-4): `size` or `resolution` + `ratio`, `seconds` as a
    string."""
    fields: dict[str, Any] = {}
    if request.size:
        fields["size"] = request.size
    else:  # "conditionally required": always send a complete pair
        fields["resolution"] = request.resolution or DEFAULT_RESOLUTION
        fields["ratio"] = request.ratio or DEFAULT_RATIO
    if request.duration is not None:
        fields["seconds"] = str(request.duration)
    fields.update(_present(generate_audio=request.generate_audio, seed=request.seed))
    if request.references:
        fields["input_reference"] = {"content": [content_item(r) for r in request.references]}
    return fields


def _present(**values: Any) -> dict[str, Any]:
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
    data: Any, provider: Provider, body: dict[str, Any], *, poll_after: float | None = None
) -> Task:
    """A create answer: at least an id; queued unless it says otherwise."""
    task_id = require_task_id(data, "id", "task_id")
    task = parse_video(data, provider, poll_after=poll_after, task_id=task_id)
    if task.status is TaskStatus.UNKNOWN and "status" not in data:
        task.status = TaskStatus.QUEUED
    task.model = task.model or body.get("model")
    return task


def parse_video(
    data: Any, provider: Provider, *, poll_after: float | None = None, task_id: str | None = None
) -> Task:
    """An OpenAI-style video object, read leniently: any field may be missing or mistyped."""
    if not isinstance(data, dict):
        raise BadResponseError("the API answered a video task that is not a JSON object")
    found = task_id or as_str(data.get("id")) or as_str(data.get("task_id"))
    if not found:
        raise BadResponseError("the API answered a task without an id")
    resolution, ratio = as_str(data.get("resolution")), as_str(data.get("ratio"))
    size = as_str(data.get("size"))
    if size and not (resolution and ratio):
        parsed = catalogue().parse_size(size)
        if parsed is not None:
            resolution, ratio = resolution or parsed[0], ratio or parsed[1]
    duration = as_int(data.get("seconds"))
    usage = as_dict(data.get("usage"))
    return provider.task(
        id=found,
        status=normalize_status(data.get("status"), GATEWAY_STATUSES),
        progress=_percent(data.get("progress")),
        model=as_str(data.get("model")),
        video_url=as_str(data.get("video_url")) or as_str(as_dict(data.get("metadata")).get("url")),
        error=video_error(data.get("error")),
        usage=Usage(
            completion_tokens=as_int(usage.get("completion_tokens")),
            total_tokens=as_int(usage.get("total_tokens")),
        )
        if usage
        else None,
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
