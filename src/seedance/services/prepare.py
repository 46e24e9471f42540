"""Preparing a request: the profile's defaults, the model, every check, the media in wire form,
the exact body and its cost estimate. Nothing is sent (on an assets-only profile, media may be
uploaded to the asset library)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedance.domain.catalogue import Estimate, ModelSpec, catalogue
from seedance.domain.errors import ValidationError
from seedance.domain.models import GenerationParams, GenerationRequest, MediaKind, Reference
from seedance.domain.profiles import Profile
from seedance.domain.validation import check_request
from seedance.providers.base import Provider
from seedance.services import references
from seedance.services.references import AssetResolver


@dataclass
class Prepared:
    """A request ready to send: the exact body, its estimate and how it was derived."""

    request: GenerationRequest
    body: dict[str, Any]
    spec: ModelSpec | None
    estimate: Estimate | None
    request_hash: str
    notes: list[str] = field(default_factory=list)


def redact_body(value: Any) -> Any:
    """The body with inline media replaced by their hashes (for the journal and hashing)."""
    if isinstance(value, dict):
        return {k: redact_body(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_body(v) for v in value]
    if isinstance(value, str) and value.startswith("data:"):
        head = value.split(",", 1)[0]
        return f"{head},sha256:{hashlib.sha256(value.encode()).hexdigest()}"
    return value


def request_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps(redact_body(body), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def resolve_model(profile: Profile, name: str | None, *, validate: bool = True) -> ModelSpec | None:
    """The model spec for `name` (or the profile's model) on the profile's provider."""
    chosen = name or profile.model
    if not chosen:
        raise ValidationError(
            f"profile '{profile.name}' names no model", hint="name one", field="model"
        )
    try:
        return catalogue().resolve(chosen, profile.vocabulary)
    except ValidationError:
        if validate:
            raise
        return None


def prepare(
    profile: Profile,
    provider: Provider,
    assets: Callable[[], AssetResolver | None],
    params: GenerationParams,
    *,
    validate: bool = True,
    dry_run: bool = False,
    base_dir: Path | None = None,
    frame: Reference | None = None,
) -> Prepared:
    """Apply the profile, choose the model, check everything, resolve media, build the body.

    `frame` is a first frame already in wire form (a storyboard's continuity).
    Raises ValidationError (exit 2) for anything the model or provider cannot serve;
    nothing has been sent by then (on an assets profile, media may have been uploaded).
    """
    defaults = dict(profile.defaults)
    if params.size:  # a size replaces the profile's resolution and ratio
        defaults.pop("resolution", None)
        defaults.pop("ratio", None)
    params = params.with_defaults(defaults)
    spec = resolve_model(profile, params.model, validate=validate)
    model = spec.name if spec else (params.model or profile.model or "")
    notes = (
        [f"model {spec.requested} is {spec.name} on this profile"]
        if spec and spec.translated
        else []
    )
    specs = references.plan(params, base_dir)
    needs_assets = provider.capabilities.needs_assets
    given = [frame] if frame is not None else []
    # Check what can be checked before any upload: roles and counts, not lengths.
    draft = given + [references_stub(s) for s in specs]
    if validate and spec is not None:
        _raise_problems(check_request(params, spec, draft))
    resolved = given + references.resolve(
        specs,
        needs_assets=needs_assets,
        assets=assets,
        check=validate,
        dry_run=dry_run,
    )
    request = GenerationRequest(
        model=model, prompt=params.prompt, references=resolved, **params.settings()
    )
    if validate:
        problems = check_request(params, spec, resolved) if spec is not None else []
        _raise_problems(problems + provider.problems(request))
    body = provider.build_body(request)
    estimate = None
    if spec is not None:
        estimate = catalogue().estimate(
            spec,
            resolution=request.resolution or _size_resolution(request.size),
            ratio=request.ratio,
            duration=request.duration,
            video_reference=bool(request.refs_of(MediaKind.VIDEO)),
            generate_audio=request.generate_audio,
            draft=bool(request.draft),
            flex=request.service_tier == "flex",
        )
    return Prepared(request, body, spec, estimate, request_hash(body), notes)


def _raise_problems(problems: list[str]) -> None:
    if problems:
        raise ValidationError("; ".join(dict.fromkeys(problems)))


def references_stub(spec: references.RefSpec) -> Reference:
    """A reference placeholder with the right role, to check counts before any upload."""
    return Reference(role=spec.role, url=spec.source, source=spec.source)


def _size_resolution(size: str | None) -> str | None:
    parsed = catalogue().parse_size(size) if size else None
    return parsed[0] if parsed else None
