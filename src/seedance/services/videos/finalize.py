"""Draft, then final: the request that makes a final video from a draft task.

A draft is a cheap 480p preview (`draft: true`, on the models that offer it); its final is a
new task whose content is the one item `{"type": "draft_task", "draft_task": {"id": …}}`. The
final reuses the draft's prompt, media and settings and may set its resolution and delivery;
a draft's id stays valid 7 days (docs/sources/real-world.md "Request rules";
docs/sources/live-research.md §7). The request is prepared here and then sent exactly like any
other create (journaled, resumable).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from seedance.domain.catalogue import ModelSpec
from seedance.domain.errors import (
    NotFoundError,
    Suggestion,
    UnsupportedError,
    ValidationError,
)
from seedance.domain.models import CreateSettings, GenerationRequest, TaskStatus
from seedance.domain.validation import Problem, cell_problem, overridden_notice, validation_error
from seedance.services.videos import tasks
from seedance.services.videos.prepare import Prepared, choose_model, estimate_request, request_hash

if TYPE_CHECKING:
    from seedance.services.runtime import Runtime

DRAFT_DAYS = 7
DAY = 86400.0


@dataclass(frozen=True)
class FinalOptions:
    """What a final may set; everything else is its draft's. The names are the create
    parameters' (GenerationRequest's)."""

    resolution: str | None = None
    watermark: bool | None = None
    return_last_frame: bool | None = None
    output_format: str | None = None
    service_tier: str | None = None
    callback_url: str | None = None
    expires_after: int | None = None
    safety_id: str | None = None

    @classmethod
    def of(cls, settings: CreateSettings) -> FinalOptions:
        """The final's part of a shot's create parameters."""
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class Draft:
    """A draft task as far as seedance knows it."""

    task_id: str
    model: str
    made_at: float | None
    duration: int | None
    ratio: str | None


def prepare_final(
    rt: Runtime,
    draft_id: str,
    options: FinalOptions,
    *,
    strict: bool = False,
    validate: bool = True,
) -> Prepared:
    """The final of `draft_id`, ready to send (nothing is sent; the draft is read).

    Refuses (ValidationError, exit 2) a draft older than 7 days, one that has not finished, a
    task that is no draft, and a resolution its model's finals do not take."""
    if not rt.capabilities.can_finalize:
        raise UnsupportedError(
            f"profile '{rt.profile.name}' ({rt.provider.dialect} API) cannot make a "
            "final from a draft",
            reason="drafts_need_ark",
        )
    draft = find_draft(rt, draft_id)
    spec, unchecked = choose_model(rt.profile, draft.model, strict=strict)
    if spec is not None and not spec.family.draft:
        raise ValidationError(
            f"task {draft_id} is a {spec.name} task, and {spec.name} has no draft mode",
            field="draft_id",
        )
    options = _with_default_resolution(options, spec, rt.profile.defaults)
    problems = final_problems(options, spec) if spec is not None else []
    overridden = [p for p in problems if p.rule is not None] if not validate else []
    error = validation_error(problems) if validate else None
    if error is not None:
        raise error
    request = GenerationRequest(model=draft.model, draft_task=draft_id, **asdict(options))
    body = rt.provider.build_body(request)
    estimate = None
    if spec is not None:  # the final is made at its own resolution, for the draft's length
        sized = request.model_copy(update={"duration": draft.duration, "ratio": draft.ratio})
        estimate = estimate_request(rt.profile, spec, sized, draft=False)
    notes = [unchecked] if unchecked else []
    made = f", made {_age(draft.made_at, rt.clock.time())} ago" if draft.made_at else ""
    notes.insert(0, f"the final of draft {draft_id} ({draft.model}{made})")
    if spec is not None:
        notes += final_notices(options, spec)
    notes += [overridden_notice(p) for p in overridden]
    return Prepared(request, body, spec, estimate, request_hash(body), notes, overridden)


def find_draft(rt: Runtime, draft_id: str) -> Draft:
    """The draft's model, length and age: the journal knows when it was made; otherwise the
    server's `created_at` says. Its state comes from the server (a free read)."""
    entry = rt.state.find(draft_id)
    now = rt.clock.time()
    made_at = entry.created_at if entry is not None else None
    if made_at is not None:
        _check_age(draft_id, made_at, now)
    try:
        task = tasks.get(rt, draft_id)
    except NotFoundError:
        raise ValidationError(
            f"draft {draft_id} is not on the server (a draft is kept {DRAFT_DAYS} days)",
            reason="draft_expired",
            field="draft_id",
        ) from None
    if made_at is None and task.created_at is not None:
        made_at = task.created_at.timestamp()
        _check_age(draft_id, made_at, now)
    is_draft = task.draft if task.draft is not None else bool(entry and entry.body.get("draft"))
    if not is_draft:
        raise ValidationError(f"task {draft_id} is not a draft", field="draft_id")
    if task.status is not TaskStatus.SUCCEEDED:
        waiting = not task.status.is_terminal
        raise ValidationError(
            f"draft {draft_id} is {task.status.value}"
            + ("; its final can be made once it has succeeded" if waiting else ""),
            reason="wait_for_it" if waiting else "draft_expired",
            field="draft_id",
            suggestion=Suggestion.of("wait", draft_id) if waiting else None,
        )
    model = task.model or (entry.model if entry is not None else None)
    if not model:
        raise ValidationError(f"the server does not say which model made {draft_id}")
    return Draft(draft_id, model, made_at, task.duration, task.ratio)


def final_problems(options: FinalOptions, spec: ModelSpec) -> list[Problem]:
    """What a final of this model cannot take (each from a catalogue cell)."""
    fam = spec.family
    finals = fam.all_final_resolutions
    problems = []
    if options.resolution is not None and options.resolution not in finals:
        problems.append(
            cell_problem(
                spec,
                "final_resolutions",
                f"a final of {spec.name} is made at {', '.join(finals)}, not {options.resolution}",
                "resolution",
                (*fam.final_resolutions, options.resolution),
                allowed=finals,
            )
        )
    if options.output_format is not None and options.output_format not in fam.output_formats:
        problems.append(
            cell_problem(
                spec,
                "output_formats",
                f"{spec.name} has no output format {options.output_format}",
                "output_format",
                (*fam.output_formats, options.output_format),
            )
        )
    if options.service_tier == "flex" and not fam.flex:
        problems.append(
            cell_problem(
                spec, "flex", f"{spec.name} has no flex service tier", "service_tier", True
            )
        )
    return problems


def final_notices(options: FinalOptions, spec: ModelSpec) -> list[str]:
    """A final resolution only some sources confirm: sent, the server decides."""
    fam = spec.family
    wanted = options.resolution
    if wanted in fam.final_resolutions_unconfirmed and wanted not in fam.final_resolutions:
        return [
            f"a final of {spec.name} at {wanted}: the sources disagree whether it is offered "
            f"({', '.join(fam.final_resolutions)} is confirmed); it is sent and the server decides"
        ]
    return []


def _with_default_resolution(
    options: FinalOptions, spec: ModelSpec | None, defaults: dict[str, object]
) -> FinalOptions:
    """A final's resolution when none is given: the profile's, where the model's finals take
    it; else the only one they take (2.5: 1080p); else the server's choice."""
    if options.resolution is not None or spec is None:
        return options
    finals = spec.family.final_resolutions
    default = defaults.get("resolution")
    chosen = default if default in finals else (finals[0] if len(finals) == 1 else None)
    if not isinstance(chosen, str):
        return options
    return replace(options, resolution=chosen)


def _check_age(draft_id: str, made_at: float, now: float) -> None:
    if now - made_at > DRAFT_DAYS * DAY:
        when = datetime.fromtimestamp(made_at, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
        raise ValidationError(
            f"draft {draft_id} was made {_age(made_at, now)} ago ({when}); the service keeps a "
            f"draft {DRAFT_DAYS} days, so its final can no longer be made",
            reason="draft_expired",
            field="draft_id",
        )


def _age(made_at: float | None, now: float) -> str:
    seconds = max(now - (made_at or now), 0.0)
    if seconds >= DAY:
        return f"{seconds / DAY:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{int(seconds // 60)} minutes"
