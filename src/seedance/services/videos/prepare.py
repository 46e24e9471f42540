"""Preparing a request: the profile's defaults, the model, every check, the media in wire form,
the exact body and its cost estimate. Nothing is sent (on an assets-only profile, media are
uploaded to the asset library, once every check that can be made before has passed)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from seedance.domain.catalogue import Estimate, ModelSpec, UnknownModel, catalogue
from seedance.domain.errors import Reason, ValidationError
from seedance.domain.models import (
    GenerationParams,
    GenerationRequest,
    MediaKind,
    Reference,
    Role,
)
from seedance.domain.profiles import Profile
from seedance.domain.validation import (
    Problem,
    check_request_facts,
    overridden_notice,
    prompt_problems,
    request_notices,
    shape_problems,
    validation_error,
)
from seedance.providers.base import Provider
from seedance.services.account.gate import Allowance
from seedance.services.media import references, remote_media
from seedance.services.media.preflight import check_body, preflight
from seedance.services.media.references import AssetResolver, Publisher
from seedance.services.runtime import Runtime

LOWER_BOUND_NOTE = (
    "the estimate is a lower bound: the length of a reference video is not known (local "
    "files are measured when PyAV is installed, videos by URL under a spending cap), and "
    "input video seconds are billed too"
)


@dataclass
class Prepared:
    """A request ready to send: the exact body, its estimate and how it was derived.

    `notes` are what the user should be told (a translated model name, a model sent
    unchecked, a value the sources disagree on, prompt guidance); `Client.prepare` passes
    each to its notify callback once."""

    request: GenerationRequest
    body: dict[str, Any]
    spec: ModelSpec | None
    estimate: Estimate | None
    request_hash: str
    notes: list[str] = field(default_factory=list)
    # the catalogue's refusals sent anyway (validation off): if the server accepts the
    # request, the catalogue is stale there (services/stale_rules.py says so)
    overridden: list[Problem] = field(default_factory=list)

    @property
    def redactions(self) -> dict[str, str]:
        """The secret URLs of the body (presigned URLs of published media), each with what
        stands for it everywhere but on the wire (`s3://bucket/key`)."""
        return secret_urls(self.request)


def secret_urls(request: GenerationRequest) -> dict[str, str]:
    return {r.url: r.stands_for for r in request.references if r.stands_for}


def redact_body(value: Any, secrets: Mapping[str, str] | None = None) -> Any:
    """The body with inline media replaced by their hashes and each secret URL by what stands
    for it (for the journal, the manifests, messages and hashing)."""
    if isinstance(value, dict):
        return {k: redact_body(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_body(v, secrets) for v in value]
    if isinstance(value, str) and value.startswith("data:"):
        head = value.split(",", 1)[0]
        return f"{head},sha256:{hashlib.sha256(value.encode()).hexdigest()}"
    if isinstance(value, str) and secrets and value in secrets:
        return secrets[value]
    return value


def request_hash(body: dict[str, Any], secrets: Mapping[str, str] | None = None) -> str:
    """The request's identity: the same request made again, with its media published anew
    (a new presigned URL each time), is the same request."""
    canonical = json.dumps(redact_body(body, secrets), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def choose_model(
    profile: Profile, name: str | None, *, validate: bool = True, strict: bool = False
) -> tuple[ModelSpec | None, str | None]:
    """The model spec for `name` (or the profile's model) on the profile's provider, and the
    notice to give when the catalogue cannot check it (None spec: sent unchecked).

    An unknown model or endpoint id is sent with that notice unless `strict` (or the
    profile's `strict`) asks to refuse it."""
    chosen = name or profile.model
    if not chosen:
        raise ValidationError(
            f"profile '{profile.name}' names no model", reason="model_missing", field="model"
        )
    try:
        spec = catalogue().resolve(chosen, profile.vocabulary, model_family=profile.model_family)
    except UnknownModel as exc:
        if strict or profile.strict:
            raise
        return None, exc.notice
    except ValidationError:
        if validate:
            raise
        return None, None
    if spec.folded is not None:
        folded = spec.folded
        if strict or profile.strict:
            raise ValidationError(
                f"{spec.name} is folded into another model: {folded.reason}",
                reason=Reason.of("model_folded_strict", replacement=folded.replacement()),
                field="model",
                allowed=[folded.into],
            )
        return spec, (
            f"{spec.name}: {folded.reason}; it is sent as asked and the server decides whether "
            f"it still answers to it (its replacement is {folded.replacement()})"
        )
    return spec, None


def resolve_model(
    profile: Profile, name: str | None, *, validate: bool = True, strict: bool = False
) -> ModelSpec | None:
    """The model spec for `name` (or the profile's model); None when it is sent unchecked."""
    return choose_model(profile, name, validate=validate, strict=strict)[0]


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
    strict: bool = False,
    fit: bool = False,
    publisher: Callable[[], Publisher | None] = lambda: None,
    data_dir: Path | None = None,
    measure: Callable[[str], float | None] | None = None,
    confine: references.Confinement | None = None,
    made_here: frozenset[Path] = frozenset(),
) -> Prepared:
    """Apply the profile, choose the model, check everything, resolve media, build the body.

    `frame` is a storyboard's continuity, already in wire form: the parent's last frame as a
    first frame, or as one more reference image (after the shot's own). `measure` gives the
    length of a reference video by URL (under a spending cap: services/remote_media.py).
    Raises ValidationError (exit 2) for anything the model or provider cannot serve;
    nothing has been sent by then. Every local video and audio is measured against the
    API's bounds first (services/media/preflight.py; with `fit`, a video out of them is re-encoded
    into `data_dir`). On an assets profile, media are uploaded only after every check that
    does not need them, and `publisher` (the profile's bucket) publishes what must be a URL
    (a dry run uploads nothing). `made_here`: local videos the service itself made (a
    task's saved output, verified): measured, never refused for its own bounds.
    """
    defaults = dict(profile.defaults)
    if params.size:  # a size replaces the profile's resolution and ratio
        defaults.pop("resolution", None)
        defaults.pop("ratio", None)
    if params.draft:  # a draft is 480p: the profile's resolution is for finals
        defaults.pop("resolution", None)
    params = shaped_by_task_type(params.with_defaults(task_type_defaults(params, defaults)))
    _refuse(prompt_problems(params.prompt))  # whatever `validate` says: never sent
    spec, unchecked = choose_model(profile, params.model, validate=validate, strict=strict)
    model = spec.name if spec else (params.model or profile.model or "")
    notes = [unchecked] if unchecked else []
    if spec is not None and spec.translated:
        notes.insert(0, f"model {spec.requested} is {spec.name} on this profile")
    specs = references.plan(params, base_dir, confine)
    # Check what can be checked before any upload: roles, counts, the provider's own rules,
    # every local file (not the lengths of media that are still URLs).
    if validate:
        stubs = with_frame([references_stub(s) for s in specs], frame)
        stub = GenerationRequest(
            model=model, prompt=params.prompt, references=stubs, **params.settings()
        )
        _refuse(_problems(params, spec, stubs) + provider.problem_facts(stub))

    references.check_local(specs, check=validate)
    bounds = catalogue().media_bounds(profile.vocabulary)
    checked = preflight(
        specs,
        bounds,
        validate=validate,
        fit=fit,
        dry_run=dry_run,
        data_dir=data_dir,
        made_here=made_here,
    )
    notes += checked.notes
    resolved = with_frame(
        references.resolve(
            checked.specs,
            needs_assets=provider.capabilities.needs_assets,
            assets=assets,
            check=validate,
            dry_run=dry_run,
            publisher=publisher,
            bounds=bounds,
            seconds=checked.seconds,
            lifetime=params.expires_after,
            measure=measure,
        ),
        frame,
    )
    request = GenerationRequest(
        model=model, prompt=params.prompt, references=resolved, **params.settings()
    )
    overridden: list[Problem] = []
    if validate:
        _refuse(_problems(params, spec, resolved) + provider.problem_facts(request))
        notes += request_notices(params, spec, resolved)
    elif spec is not None:  # the catalogue's refusals, said: the server decides
        refusals = check_request_facts(params, spec, resolved, suggest=False)
        overridden = [p for p in refusals if p.rule is not None]
        notes += [overridden_notice(p) for p in overridden]
    body = provider.build_body(request)
    if validate:
        check_body(body, bounds)
    estimate = estimate_request(profile, spec, request) if spec is not None else None
    if estimate is not None and estimate.lower_bound:
        notes.append(LOWER_BOUND_NOTE)
    if spec is not None and spec.price_list and estimate and not estimate.priced:
        notes.append(unpriced_note(spec))
    return Prepared(
        request, body, spec, estimate, request_hash(body, secret_urls(request)), notes, overridden
    )


def unpriced_note(spec: ModelSpec | None) -> str:
    """A model the catalogue knows whose price no source gives: sent, with this said."""
    name = spec.name if spec is not None else "this model"
    return (
        f"no source gives the price of {name} at this setting: the estimate cannot say what "
        "it costs (a spending cap refuses it unless unpriced requests are allowed)"
    )


def task_type_defaults(params: GenerationParams, defaults: dict[str, Any]) -> dict[str, Any]:
    """The profile's defaults a task type leaves out: an edit or extension follows its
    video's shape (and an edit its length), whatever the profile's ratio and duration."""
    if params.task_type in ("edit", "extend"):
        defaults = {k: v for k, v in defaults.items() if k not in ("ratio", "size")}
    if params.task_type == "edit":
        defaults.pop("duration", None)
    return defaults


def shaped_by_task_type(params: GenerationParams) -> GenerationParams:
    """An edit is sent with ratio adaptive and duration -1, an extension with ratio adaptive,
    unless the request says otherwise (and is then refused, or sent unchecked)."""
    update: dict[str, Any] = {}
    if params.task_type in ("edit", "extend") and params.ratio is None and params.size is None:
        update["ratio"] = "adaptive"
    if params.task_type == "edit" and params.duration is None:
        update["duration"] = -1
    return params.model_copy(update=update) if update else params


def estimate_request(
    profile: Profile, spec: ModelSpec, request: GenerationRequest, *, draft: bool | None = None
) -> Estimate:
    """What `request` will cost: the video made, plus the input videos whose length is known
    (docs/sources/real-world.md "Billing"), at the profile's or the provider's price."""
    videos = request.refs_of(MediaKind.VIDEO)
    return catalogue().estimate(
        spec,
        resolution=request.resolution or _size_resolution(request.size),
        ratio=request.ratio or _size_ratio(request.size),
        duration=request.duration,
        video_reference=bool(videos),
        generate_audio=request.generate_audio,
        draft=bool(request.draft) if draft is None else draft,
        flex=request.service_tier == "flex",
        input_seconds=sum(r.seconds for r in videos if r.seconds is not None),
        unknown_inputs=any(r.seconds is None for r in videos),
        overrides=profile.price_overrides(),
    )


def with_frame(refs: list[Reference], frame: Reference | None) -> list[Reference]:
    """The references with a storyboard's continuity frame in its place: a first frame
    first, a reference image after the shot's own images (its prompt's "Image 1" stays its
    own)."""
    if frame is None:
        return list(refs)
    if frame.role is not Role.REFERENCE_IMAGE:
        return [frame, *refs]
    images = [i for i, r in enumerate(refs) if r.role in (Role.REFERENCE_IMAGE, *_FRAMES)]
    at = images[-1] + 1 if images else 0
    return [*refs[:at], frame, *refs[at:]]


_FRAMES = (Role.FIRST_FRAME, Role.LAST_FRAME)


def _problems(
    params: GenerationParams, spec: ModelSpec | None, refs: list[Reference]
) -> list[Problem]:
    """The model's limits when the catalogue knows it; the API's frame rules always."""
    return check_request_facts(params, spec, refs) if spec is not None else shape_problems(refs)


def _refuse(problems: list[Problem]) -> None:
    error = validation_error(problems)
    if error is not None:
        raise error


def references_stub(spec: references.RefSpec) -> Reference:
    """A reference placeholder with the right role (and a local medium's length, when it can
    be measured), to check counts and lengths before any upload."""
    seconds = None
    if spec.path is not None and spec.kind is not MediaKind.IMAGE:
        from seedance.domain import media

        seconds = media.media_seconds(spec.path)
    return Reference(role=spec.role, url=spec.source, source=spec.source, seconds=seconds)


def _size_resolution(size: str | None) -> str | None:
    parsed = catalogue().parse_size(size) if size else None
    return parsed[0] if parsed else None


def _size_ratio(size: str | None) -> str | None:
    parsed = catalogue().parse_size(size) if size else None
    return parsed[1] if parsed else None


def prepare_for(
    rt: Runtime,
    params: GenerationParams,
    *,
    validate: bool = True,
    dry_run: bool = False,
    base_dir: Path | None = None,
    frame: Reference | None = None,
    strict: bool = False,
    fit: bool = False,
    allowance: Allowance | None = None,
    confine: references.Confinement | None = None,
    made_here: frozenset[Path] = frozenset(),
) -> Prepared:
    """`prepare` with a client's collaborators (the profile's bucket publishes, `fit`'s
    copies are kept in the data directory); its notes (a model sent unchecked, prompt
    guidance...) go to the client's notices, each once. Under a spending cap (`allowance`'s,
    or the profile's budgets) a reference video by URL is measured (media/remote_media.py);
    `confine`: the folder local media must be in (OutsideError otherwise, before any of
    them is read)."""
    capped = rt.gate.capped(allowance or Allowance())
    prepared = prepare(
        rt.profile,
        rt.provider,
        rt.asset_resolver,
        params,
        validate=validate,
        dry_run=dry_run,
        base_dir=base_dir,
        frame=frame,
        strict=strict,
        fit=fit,
        publisher=rt.storage,
        data_dir=rt.data_dir,
        measure=partial(remote_media.measured, rt) if capped else None,
        confine=confine,
        made_here=made_here,
    )
    rt.tell(prepared.notes)
    return prepared
