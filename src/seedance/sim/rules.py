"""What the simulated services refuse, whatever dialect a request arrives in.

Each dialect turns its body into Ark `content[]` items and parameters, then asks `admit`.
The limits come from the same catalogue the client uses, as the seeds document them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seedance.domain.catalogue import Family, catalogue

if TYPE_CHECKING:
    from seedance.sim.app import Simulator

ROLES = {
    "image_url": ("first_frame", "last_frame", "reference_image"),
    "video_url": ("reference_video",),
    "audio_url": ("reference_audio",),
}
FOUR_K = ("seedance-2.0", "seedance-2.0-filter-off")


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str


def family_of(model: Any) -> Family | None:
    return catalogue().family_for_name(model) if isinstance(model, str) and model else None


def media_items(content: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(type, role, url) of every media item."""
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
    model: Any,
    content: list[dict[str, Any]],
    params: dict[str, Any],
    *,
    service: str,
    assets_only: bool,
) -> Refusal | None:
    """Why the service refuses this request, or None."""
    if not isinstance(model, str) or not model:
        return Refusal(400, "invalid_request", "model is required")
    fam = family_of(model)
    if fam is None:
        return Refusal(
            404,
            "InvalidEndpointOrModel.NotFound",
            f"The model or endpoint {model} does not exist or you do not have access to it.",
        )
    if not isinstance(content, list) or not content:
        return Refusal(400, "invalid_request", "content must hold a prompt text or reference media")
    for item in content:
        if not isinstance(item, dict) or item.get("type") not in (*ROLES, "text", "draft_task"):
            return Refusal(400, "invalid_request", f"unknown content item {item!r}")
    duration = params.get("duration")
    if duration is not None:
        auto = fam.duration_auto and duration == -1
        if not isinstance(duration, int) or not (
            auto or fam.duration_min <= duration <= fam.duration_max
        ):
            return Refusal(
                400,
                "invalid_duration",
                f"duration {duration} is out of range "
                f"[{fam.duration_min}, {fam.duration_max}] for {model}",
            )
    resolutions = fam.resolutions + (("4k",) if service == "volcark" and fam.key in FOUR_K else ())
    resolution = params.get("resolution")
    if resolution is not None and resolution not in resolutions:
        return Refusal(
            400, "InvalidParameter", f"resolution {resolution} is not supported by {model}"
        )
    ratio = params.get("ratio")
    if ratio is not None and ratio not in fam.ratios:
        return Refusal(400, "InvalidParameter", f"ratio {ratio} is not supported")
    refusal = _media(sim, fam, model, media_items(content), assets_only)
    if refusal is not None:
        return refusal
    callback = params.get("callback_url")
    if callback is not None and (
        not isinstance(callback, str) or not callback.strip().startswith("https://")
    ):
        return Refusal(400, "invalid_request", "callback_url must be a non-empty https URL")
    if params.get("service_tier") == "flex" and not fam.flex:
        return Refusal(400, "invalid_request", f"{model} does not support service_tier=flex")
    if params.get("draft") and not fam.draft:
        return Refusal(400, "invalid_request", f"{model} does not support draft")
    if params.get("generate_audio") and not fam.generate_audio:
        return Refusal(400, "InvalidParameter", f"{model} cannot generate audio")
    return None


def _media(
    sim: Simulator, fam: Family, model: str, items: list[tuple[str, str, str]], assets_only: bool
) -> Refusal | None:
    counts = {"reference_image": 0, "reference_video": 0, "reference_audio": 0}
    for kind, role, url in items:
        if role not in ROLES[kind]:
            return Refusal(400, "InvalidParameter", f"role {role} is not valid for {kind}")
        if role in counts:
            counts[role] += 1
        if url.lower().startswith("asset://"):
            asset = sim.state.assets.get(url[len("asset://") :])
            if asset is None or asset.status(sim.clock.time()) != "Active":
                return Refusal(400, "InvalidParameter", f"{url} is not an Active asset")
        elif assets_only:
            return Refusal(
                400,
                "raw_url_not_allowed",
                "input_reference must use asset://<Asset_Id>; "
                f"raw public URLs are not allowed for {model}",
            )
        elif not url.startswith(("https://", "http://", "data:")):
            return Refusal(400, "InvalidParameter", f"unsupported media URL {url[:40]}")
    limits = {
        "reference_image": fam.max_reference_images,
        "reference_video": fam.max_reference_videos,
        "reference_audio": fam.max_reference_audios,
    }
    for role, count in counts.items():
        if count > limits[role]:
            return Refusal(
                400, "InvalidParameter", f"{count} {role} items exceed the limit of {limits[role]}"
            )
    if counts["reference_audio"] and not (counts["reference_image"] or counts["reference_video"]):
        return Refusal(400, "InvalidParameter", "reference_audio needs at least one image or video")
    return None


def clean(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters with JSON nulls removed: a null means absent (the official SDK sends them)."""
    return {k: v for k, v in params.items() if v is not None}
