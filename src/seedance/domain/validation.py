"""Client-side checks: a request the model or provider cannot serve is refused before sending.

Every limit comes from the catalogue (`ModelSpec.family`); each message names the limit and,
where one exists, the models that could serve the request instead.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from seedance.domain.catalogue import ModelSpec, catalogue
from seedance.domain.models import GenerationParams, MediaKind, Reference, Role

SEED_RANGE = (-1, 2**32 - 1)
PRIORITY_RANGE = (0, 9)
EXPIRES_RANGE = (3600, 259200)
SERVICE_TIERS = ("default", "flex")
_CJK = re.compile(
    r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]"
)


def check_request(
    params: GenerationParams, spec: ModelSpec, references: list[Reference]
) -> list[str]:
    """Everything wrong with a request for this model; empty when it can be sent."""
    fam, name = spec.family, spec.name
    problems: list[str] = []

    def able(**needs: object) -> str:
        names = catalogue().models_able(spec.vocabulary, **needs)
        return f" (models that can: {', '.join(names)})" if names else ""

    if not params.prompt and not references:
        problems.append("nothing to generate: give a PROMPT (or --prompt-file) or a reference")

    if params.duration is not None:
        auto = fam.duration_auto and params.duration == -1
        if not auto and not fam.duration_min <= params.duration <= fam.duration_max:
            extra = " or -1 to let the model choose" if fam.duration_auto else ""
            problems.append(
                f"duration {params.duration} is out of range for {name}: "
                f"{fam.duration_min}-{fam.duration_max} seconds{extra}"
            )
    if params.resolution is not None and params.resolution not in fam.resolutions:
        problems.append(
            f"{name} supports {', '.join(fam.resolutions)}, not {params.resolution}"
            + able(resolutions=params.resolution)
        )
    if params.ratio is not None and params.ratio not in fam.ratios:
        problems.append(f"ratio {params.ratio} is not one of {', '.join(fam.ratios)}")
    if params.size is not None:
        problems += _size_problems(params, spec)

    problems += _reference_problems(references, spec)

    if params.generate_audio and not fam.generate_audio:
        problems.append(f"{name} cannot generate audio" + able(generate_audio=True))
    if params.draft and not fam.draft:
        problems.append(f"{name} has no draft mode" + able(draft=True))
    if params.service_tier is not None:
        if params.service_tier not in SERVICE_TIERS:
            problems.append(f"service tier must be one of {', '.join(SERVICE_TIERS)}")
        elif params.service_tier == "flex" and not fam.flex:
            problems.append(f"{name} has no flex service tier")
    problems += _range("seed", params.seed, SEED_RANGE)
    problems += _range("priority", params.priority, PRIORITY_RANGE)
    problems += _range("--expires-after", params.expires_after, EXPIRES_RANGE, unit=" seconds")
    if params.callback_url is not None:
        problems += callback_problems(params.callback_url)
    if params.prompt:
        problems += _prompt_problems(params.prompt, spec)
    return problems


def _range(what: str, value: int | None, bounds: tuple[int, int], unit: str = "") -> list[str]:
    low, high = bounds
    if value is not None and not low <= value <= high:
        return [f"{what} {value} is out of range: {low}-{high}{unit}"]
    return []


def _size_problems(params: GenerationParams, spec: ModelSpec) -> list[str]:
    if params.resolution or params.ratio:
        return ["give --size or --resolution/--ratio, not both"]
    parsed = catalogue().parse_size(params.size or "")
    if parsed is None:
        sizes = ", ".join(catalogue().known_sizes(spec.family.resolutions))
        return [f"size {params.size} is not a size {spec.name} makes (one of: {sizes})"]
    resolution, _ = parsed
    if resolution not in spec.family.resolutions:
        return [
            f"size {params.size} is {resolution}; {spec.name} supports "
            f"{', '.join(spec.family.resolutions)}"
        ]
    return []


def _reference_problems(references: list[Reference], spec: ModelSpec) -> list[str]:
    fam, name = spec.family, spec.name
    problems: list[str] = []
    roles = [r.role for r in references]
    if Role.FIRST_FRAME in roles and not fam.first_frame:
        problems.append(f"{name} takes no first frame")
    if Role.LAST_FRAME in roles and not fam.last_frame:
        problems.append(f"{name} takes no last frame")
    if Role.LAST_FRAME in roles and Role.FIRST_FRAME not in roles:
        problems.append("--last-frame needs a --first-frame too")
    for role in (Role.FIRST_FRAME, Role.LAST_FRAME):
        if roles.count(role) > 1:
            problems.append(f"only one {role.value.replace('_', ' ')} is allowed")

    limits = (
        (Role.REFERENCE_IMAGE, fam.max_reference_images, "reference images"),
        (Role.REFERENCE_VIDEO, fam.max_reference_videos, "reference videos"),
        (Role.REFERENCE_AUDIO, fam.max_reference_audios, "reference audios"),
    )
    for role, most, label in limits:
        count = roles.count(role)
        if count and most == 0:
            problems.append(f"{name} takes no {label}")
        elif count > most:
            problems.append(f"{count} {label} given; {name} takes at most {most}")

    totals = (
        (MediaKind.VIDEO, fam.reference_video_total_seconds, "reference videos"),
        (MediaKind.AUDIO, fam.reference_audio_total_seconds, "reference audios"),
    )
    for kind, most_seconds, label in totals:
        known = [r.seconds for r in references if r.kind is kind and r.seconds is not None]
        if most_seconds and sum(known) > most_seconds:
            problems.append(
                f"{label} last {sum(known):.1f} s in total; {name} takes at most {most_seconds:g} s"
            )

    has_audio = Role.REFERENCE_AUDIO in roles
    visual = Role.REFERENCE_IMAGE in roles or Role.REFERENCE_VIDEO in roles
    if has_audio and fam.audio_needs_visual and not visual:
        problems.append(
            "an audio reference needs a visual anchor: add a reference image (--image) "
            "or video (--video)"
        )
    return problems


def callback_problems(url: str) -> list[str]:
    """callback_url: a non-empty https URL of a public host (docs/sources/phanedge.txt
    "原生回调")."""
    parts = urlsplit(url.strip())
    if not url.strip() or parts.scheme != "https" or not parts.hostname:
        return [f"callback URL {url!r} must be an https:// URL"]
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost") or host.endswith(".local"):
        return [f"callback URL host {host} is not public"]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return []
    if not ip.is_global:
        return [f"callback URL host {host} is not a public address"]
    return []


def _prompt_problems(prompt: str, spec: ModelSpec) -> list[str]:
    fam = spec.family
    cjk = len(_CJK.findall(prompt))
    if fam.prompt_max_cjk_chars and cjk > fam.prompt_max_cjk_chars:
        return [
            f"the prompt has {cjk} Chinese characters; {spec.name} takes at most "
            f"{fam.prompt_max_cjk_chars}"
        ]
    words = len(_CJK.sub(" ", prompt).split())
    if fam.prompt_max_words and words > fam.prompt_max_words:
        return [f"the prompt has {words} words; {spec.name} takes at most {fam.prompt_max_words}"]
    return []
