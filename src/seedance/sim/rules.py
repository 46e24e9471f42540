"""What the simulated services refuse, whatever dialect a request arrives in.

Each dialect turns its body into Ark `content[]` items and parameters, then asks `model_limits`
and `admit`. The limits come from the simulator's own table (`sim/limits.py`), the refusals'
codes and messages from what the live services answer (docs/sources/real-world.md "Request
rules", docs/sources/live-research.md §6, §9).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seedance.sim import fetching
from seedance.sim.limits import Limits, table

if TYPE_CHECKING:
    from seedance.sim.app import Simulator

ROLES = {
    "image_url": ("first_frame", "last_frame", "reference_image"),
    "video_url": ("reference_video",),
    "audio_url": ("reference_audio",),
}
FRAMES = ("first_frame", "last_frame")
REFERENCES = ("reference_image", "reference_video", "reference_audio")
DRAFT_RESOLUTION = "480p"
DRAFT_DAYS = 7  # real-world.md "Request rules": a draft's id stays valid 7 days
ACCOUNT = "2100000001"


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str
    type: str = "BadRequest"
    param: str = ""


def not_found(model: str) -> Refusal:
    """live-research.md §6: the answer for a model or endpoint that does not exist."""
    return Refusal(
        404,
        "InvalidEndpointOrModel.NotFound",
        f"The model or endpoint {model} does not exist or you do not have access to it.",
        "Not Found",
    )


def model_limits(sim: Simulator, service: str, model: Any) -> Limits | Refusal:
    """The limits of the model a request names (an endpoint id: the model it serves), or why
    the service refuses it: unknown (404 not found) or not activated (404 ModelNotOpen)."""
    if not isinstance(model, str) or not model:
        return Refusal(
            400,
            "MissingParameter",
            "The request failed because it is missing `model` parameter.",
            param="model",
        )
    target = sim.config.endpoints.get(model, model) if service == "ark" else model
    limits = table().limits(service, target)
    if limits is None:
        return not_found(model)
    if sim.config.open_models is not None and target not in sim.config.open_models:
        return Refusal(
            404,
            "ModelNotOpen",
            f"Your account {ACCOUNT} has not activated the model {target}. Please activate "
            "the model service in the Ark Console.",
            "Not Found",
        )
    return limits


def missing_content(sim: Simulator) -> Refusal:
    """live-research.md §6: what a body with only `model` gets when the model is usable."""
    return Refusal(
        400,
        "MissingParameter",
        "The request failed because it is missing `content` parameter. Request id: "
        f"{sim.ids.request_id()}",
        param="content",
    )


def media_items(content: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(type, role, url) of every media item; an image without a role is a first frame
    (docs/sources/real-world.md "Request rules")."""
    out = []
    for item in content:
        kind = item.get("type")
        if kind in ROLES:
            url = (item.get(kind) or {}).get("url", "")
            role = item.get("role") or ("first_frame" if kind == "image_url" else ROLES[kind][0])
            out.append((kind, role, url))
    return out


def admit(
    sim: Simulator,
    limits: Limits,
    model: str,
    content: list[dict[str, Any]],
    params: dict[str, Any],
    *,
    assets_only: bool,
) -> Refusal | None:
    """Why the service refuses this request for a model with these limits, or None."""
    if not content:
        return Refusal(400, "invalid_request", "content must hold a prompt text or reference media")
    for item in content:
        if not isinstance(item, dict) or item.get("type") not in (*ROLES, "text"):
            return Refusal(400, "invalid_request", f"unknown content item {item!r}")
    for check in (_duration, _resolution, _switches):
        refusal = check(limits, model, params)
        if refusal is not None:
            return refusal
    ratio = params.get("ratio")
    if ratio is not None and ratio not in limits.ratios:
        return Refusal(400, "InvalidParameter", f"ratio {ratio} is not supported")
    refusal = _media(sim, limits, model, media_items(content), assets_only)
    if refusal is not None:
        return refusal
    refusal = _task_type(limits, model, params, media_items(content))
    if refusal is not None:
        return refusal
    callback = params.get("callback_url")
    if callback is not None and (
        not isinstance(callback, str) or not callback.strip().startswith("https://")
    ):
        return Refusal(400, "invalid_request", "callback_url must be a non-empty https URL")
    return None


def _task_type(
    limits: Limits, model: str, params: dict[str, Any], items: list[tuple[str, str, str]]
) -> Refusal | None:
    """omni_reference_task_type (real-world.md "November 2026"): a type the model takes; edit
    and extend need a reference video and the adaptive ratio, an edit duration -1. Checked
    when the request is made (a type set explicitly is validated synchronously)."""
    kind = params.get("omni_reference_task_type")
    if kind is None:
        return None
    if kind not in limits.task_types:
        return Refusal(
            400,
            "InvalidParameter",
            "the specified parameter `omni_reference_task_type` is not supported for model "
            f"{model}",
            param="omni_reference_task_type",
        )
    if kind not in ("edit", "extend"):
        return None
    if not any(role == "reference_video" for _, role, _ in items):
        return Refusal(
            400,
            "InvalidParameter.TaskTypeMismatch",
            f"the task type {kind} needs a reference video",
            param="omni_reference_task_type",
        )
    what = "video editing" if kind == "edit" else "video extension"
    if params.get("ratio", "adaptive") != "adaptive":
        return Refusal(
            400,
            "InvalidParameter.TaskTypeConstraint",
            f"the task is determined as {what}, which supports only ratio adaptive",
            param="ratio",
        )
    if kind == "edit" and params.get("duration", -1) != -1:
        return Refusal(
            400,
            "InvalidParameter.TaskTypeConstraint",
            f"the task is determined as {what}, which supports only duration -1",
            param="duration",
        )
    return None


def _duration(limits: Limits, model: str, params: dict[str, Any]) -> Refusal | None:
    duration = params.get("duration")
    if duration is None:
        return None
    low, high = limits.durations
    auto = limits.auto_duration and duration == -1
    if not isinstance(duration, int) or not (auto or low <= duration <= high):
        return Refusal(
            400,
            "invalid_duration",
            f"duration {duration} is out of range [{low}, {high}] for {model}",
        )
    return None


def _resolution(limits: Limits, model: str, params: dict[str, Any]) -> Refusal | None:
    resolution = params.get("resolution")
    if params.get("draft") and resolution not in (None, DRAFT_RESOLUTION):
        return invalid_resolution()
    if resolution is not None and resolution not in limits.resolutions:
        return invalid_resolution()
    return None


def invalid_resolution() -> Refusal:
    """live-research.md §9 (bpsa): the code of a resolution the model does not take."""
    return Refusal(
        400,
        "InvalidResolutionParameter",
        "The parameter resolution specified in the request is not valid.",
        param="resolution",
    )


def _switches(limits: Limits, model: str, params: dict[str, Any]) -> Refusal | None:
    """The parameters a model takes or refuses outright ("the specified parameter `draft` is
    not supported for model …": live-research.md §9)."""
    unsupported = {
        "service_tier": params.get("service_tier") == "flex" and not limits.flex,
        "draft": bool(params.get("draft")) and not limits.draft,
        "generate_audio": bool(params.get("generate_audio")) and not limits.generate_audio,
        "priority": "priority" in params and not limits.priority,
        "output_format": "output_format" in params and not limits.output_formats,
    }
    for name, refused in unsupported.items():
        if refused:
            return Refusal(
                400,
                "InvalidParameter",
                f"the specified parameter `{name}` is not supported for model {model}",
                param=name,
            )
    fmt = params.get("output_format")
    if fmt is not None and fmt not in limits.output_formats:
        return Refusal(400, "InvalidParameter", f"output_format {fmt} is not valid")
    return None


def _media(
    sim: Simulator, limits: Limits, model: str, items: list[tuple[str, str, str]], assets_only: bool
) -> Refusal | None:
    counts = {role: 0 for role in (*FRAMES, *REFERENCES)}
    for kind, role, url in items:
        if role not in ROLES[kind]:
            return Refusal(400, "InvalidParameter", f"role {role} is not valid for {kind}")
        counts[role] += 1
        refusal = _medium_url(sim, model, url, assets_only)
        if refusal is not None:
            return refusal
    frames = counts["first_frame"] + counts["last_frame"]
    references = sum(counts[r] for r in REFERENCES)
    if frames and references:  # real-world.md "Request rules", probed
        return Refusal(
            400,
            "InvalidParameter",
            "first/last frame content cannot be mixed with reference media content",
        )
    if counts["last_frame"] and not counts["first_frame"]:
        return Refusal(
            400,
            "InvalidParameter",
            "last frame image content cannot be mixed with first frame or reference image content",
        )
    if frames and not limits.frames:
        return Refusal(400, "InvalidParameter", f"{model} takes no first or last frame")
    limit_of = {
        "reference_image": limits.images,
        "reference_video": limits.videos,
        "reference_audio": limits.audios,
    }
    for role, most in limit_of.items():
        if counts[role] > most:
            return Refusal(
                400, "InvalidParameter", f"{counts[role]} {role} items exceed the limit of {most}"
            )
    visual = counts["reference_image"] + counts["reference_video"]
    if counts["reference_audio"] and not visual and not limits.audio_alone:
        return Refusal(
            400, "InvalidParameter", "reference_audio cannot be the only reference input"
        )
    return _fetched(sim, items)


def _medium_url(sim: Simulator, model: str, url: str, assets_only: bool) -> Refusal | None:
    if url.lower().startswith("asset://"):
        asset = sim.state.assets.get(url[len("asset://") :])
        if asset is None or asset.status(sim.clock.time()) != "Active":
            return Refusal(400, "InvalidParameter", f"{url} is not an Active asset")
        return None
    if assets_only:
        return Refusal(
            400,
            "raw_url_not_allowed",
            "input_reference must use asset://<Asset_Id>; "
            f"raw public URLs are not allowed for {model}",
        )
    if not url.startswith(("https://", "http://", "data:")):
        return Refusal(400, "InvalidParameter", f"unsupported media URL {url[:40]}")
    return None


def _fetched(sim: Simulator, items: list[tuple[str, str, str]]) -> Refusal | None:
    """What the service finds when it fetches the reference media (sim/fetching.py)."""
    for kind, _role, url in items:
        if url.lower().startswith("asset://"):
            continue
        found = fetching.check(sim, kind, url)
        if found is not None:
            return Refusal(400, found[0], found[1])
    return None


def clean(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters with JSON nulls removed: a null means absent (the official SDK sends them)."""
    return {k: v for k, v in params.items() if v is not None}
