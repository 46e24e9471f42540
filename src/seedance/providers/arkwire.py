"""The Ark wire shapes every dialect shares (docs/sources/ark.txt, docs/sources/wire.md): content
items, the top-level parameters, task statuses, the task object, usage, and the error codes of
the Ark API and of the gateways that relay it (docs/sources/phanedge.txt "错误码",
docs/sources/kapon.txt §1, §6).

The Ark provider speaks it whole; the gateways' own dialects embed parts of it (ope.ai's
`input_reference.content`, new-api's `metadata`, new-api's upstream task).
"""

from __future__ import annotations

from typing import Any

from seedance.domain.catalogue import catalogue
from seedance.domain.errors import BadResponseError, Suggestion
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
    TASK_NOT_FOUND,
    Advice,
    as_dict,
    as_int,
    as_str,
    normalize_status,
    status_word,
    usable_id,
)

ARK_STATUSES: dict[str, TaskStatus] = {s.value: s for s in TaskStatus}

# The order top-level parameters appear in a body (as the seed documents write them):
# (the library name, the Ark name).
ARK_PARAMETERS: tuple[tuple[str, str], ...] = (
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
    ("output_format", "output_format"),  # 2.5 only (docs/sources/real-world.md "Models")
    ("task_type", "omni_reference_task_type"),  # 2.5 (docs/sources/november-2026.md)
)

_TYPES = {MediaKind.IMAGE: "image_url", MediaKind.VIDEO: "video_url", MediaKind.AUDIO: "audio_url"}


def content_item(ref: Reference) -> dict[str, Any]:
    """One Ark `content[]` item: `{"type": "image_url", "image_url": {"url": …}, "role": …}`."""
    kind = _TYPES[ref.kind]
    return {"type": kind, kind: {"url": ref.url}, "role": ref.role.value}


def draft_task_item(task_id: str) -> dict[str, Any]:
    """The content item of a final made from a draft: `{"type": "draft_task", "draft_task":
    {"id": …}}` (docs/sources/real-world.md "Request rules", the SDK's content item type)."""
    return {"type": "draft_task", "draft_task": {"id": task_id}}


def ark_content(request: GenerationRequest) -> list[dict[str, Any]]:
    """A request's `content[]`: the prompt and its media, or the draft a final is made from
    (the final reuses the draft's prompt and media)."""
    if request.draft_task:
        return [draft_task_item(request.draft_task)]
    content: list[dict[str, Any]] = []
    if request.prompt:
        content.append({"type": "text", "text": request.prompt})
    content.extend(content_item(ref) for ref in request.references)
    return content


def ark_parameters(request: GenerationRequest) -> dict[str, Any]:
    """The Ark top-level parameters a request sets (unset ones are left out, not null)."""
    values = request.model_dump()
    if request.size and not (request.resolution and request.ratio):
        res_ratio = catalogue().parse_size(request.size)
        if res_ratio is not None:
            values["resolution"], values["ratio"] = res_ratio
    return {wire: values[name] for name, wire in ARK_PARAMETERS if values.get(name) is not None}


def parse_usage(value: Any) -> Usage | None:
    """An Ark `usage` object (`completion_tokens`, `total_tokens`); None when absent."""
    usage = as_dict(value)
    if not usage:
        return None
    return Usage(
        completion_tokens=as_int(usage.get("completion_tokens")),
        total_tokens=as_int(usage.get("total_tokens")),
    )


def parse_ark_task(data: Any, profile: str) -> Task:
    """An Ark task object, read leniently: any field may be missing or of the wrong type."""
    if not isinstance(data, dict) or not as_str(data.get("id")):
        raise BadResponseError("the API answered a task without an id")
    content = as_dict(data.get("content"))
    error = as_dict(data.get("error"))
    return Task(
        profile=profile,
        id=usable_id(data["id"], data),
        status=normalize_status(status_word(data), ARK_STATUSES),
        model=as_str(data.get("model")),
        video_url=as_str(content.get("video_url")),
        last_frame_url=as_str(content.get("last_frame_url")),
        file_url=as_str(content.get("file_url")),
        revised_prompt=as_str(data.get("revised_prompt")),
        error=TaskError(
            code=str(error.get("code") or "unknown"), message=str(error.get("message") or "")
        )
        if error
        else None,
        usage=parse_usage(data.get("usage")),
        duration=as_int(data.get("duration")),
        resolution=as_str(data.get("resolution")),
        ratio=as_str(data.get("ratio")),
        seed=as_int(data.get("seed")),
        created_at=from_unix(data.get("created_at")),
        updated_at=from_unix(data.get("updated_at")),
        expires_after=as_int(data.get("execution_expires_after")),
        safety_id=as_str(data.get("safety_identifier")),
        raw=data,
        output_format=as_str(data.get("output_format")),
        draft=data["draft"] if isinstance(data.get("draft"), bool) else None,
    )


# -- what the Ark API and its gateways answer, and what to do about it -----------------------

# The gateway's account, not the request (docs/sources/kapon.txt §1, docs/sources/phanedge.txt
# "错误码"): these come from any of its dialects and from its asset library.
ACCOUNT_ADVICE: dict[str, Advice] = {
    "feature_disabled": Advice("gateway_feature_disabled"),
    "channel_not_available": Advice(
        "gateway_no_channel",
        field="model",
    ),
    "model_mapping_required": Advice(
        "gateway_model_unmapped",
        field="model",
    ),
    "service_unavailable": Advice("account_not_enabled"),
}

# docs/sources/kapon.txt §6: a bare public URL where the gateway takes only asset:// ids.
RAW_URL_ADVICE = Advice(
    "gateway_assets_only",
    Suggestion.of("assets.upload", "URL"),
)

RUNNING_TASK_DELETION = "InvalidAction.RunningTaskDeletion"
ARK_ADVICE: dict[str, Advice] = {
    **ACCOUNT_ADVICE,
    "raw_url_not_allowed": RAW_URL_ADVICE,
    # The Ark provider adds the next step: waiting for that task.
    RUNNING_TASK_DELETION: Advice("running_task_not_cancellable"),
    "invalid_duration": Advice("duration_range", Suggestion.of("models"), "duration"),
    "task_not_found": TASK_NOT_FOUND,
    # docs/sources/real-world.md "Finding out what an account can use": the free probe's answers
    "ModelNotOpen": Advice(
        "model_not_open",
        Suggestion.of("doctor", probe_models=True),
        "model",
    ),
    "InvalidEndpointOrModel.NotFound": Advice(
        "no_such_model",
        Suggestion.of("models"),
        "model",
    ),
    # docs/sources/live-research.md §9: 2.5 video-edit tasks take only duration -1, ratio adaptive
    "InvalidParameter.TaskTypeConstraint": Advice(
        "task_type_constraint",
        field="duration",
    ),
    "InvalidParameter.TaskTypeMismatch": Advice(
        "task_type_mismatch",
        field="task_type",
    ),
    "InvalidResolutionParameter": Advice(
        "resolution_refused",
        Suggestion.of("models"),
        "resolution",
    ),
}
