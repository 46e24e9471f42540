"""Client-side checks: a request the model or provider cannot serve is refused before sending.

Every limit comes from the catalogue (`ModelSpec.family`); each problem names the parameter at
fault (by its library name), the values it allows and, where one exists, the models that could
serve the request instead. The front ends word them; nothing here names a flag.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from seedance.domain.catalogue import DRAFT_RESOLUTION, ModelSpec, catalogue
from seedance.domain.errors import Reason, Rule, Suggestion, ValidationError
from seedance.domain.hosts import is_private_address, is_private_name
from seedance.domain.models import GenerationParams, MediaKind, Reference, Role

SEED_RANGE = (-1, 2**32 - 1)
# conflict (catalogue.toml [[conflicts]] "seed range"): BPSA takes seeds up to 2^31-1 only
SEED_CONFIRMED_MAX = 2**31 - 1
TASK_TYPES = ("auto", "reference", "edit", "extend")  # omni_reference_task_type
PRIORITY_RANGE = (0, 9)
EXPIRES_RANGE = (3600, 259200)
SERVICE_TIERS = ("default", "flex")
# Chinese, Japanese and Korean characters (and their punctuation): compiled when first used,
# as building this class's table takes ~8 ms, which every command would pay at start-up
_CJK_CLASS = r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]"
# The library parameter that carries references of each role.
ROLE_FIELDS: dict[Role, str] = {
    Role.FIRST_FRAME: "first_frame",
    Role.LAST_FRAME: "last_frame",
    Role.REFERENCE_IMAGE: "images",
    Role.REFERENCE_VIDEO: "videos",
    Role.REFERENCE_AUDIO: "audios",
}
REFERENCE_ROLES = (Role.REFERENCE_IMAGE, Role.REFERENCE_VIDEO, Role.REFERENCE_AUDIO)


@dataclass(frozen=True)
class Problem:
    """One reason a request cannot be sent, with the facts a front end words.

    `message` says what is wrong in plain words; `field` is the parameter at fault (its library
    name), `allowed` the values it takes; `reason` (by name, worded by the front ends) and
    `suggestion` say what to do instead.
    """

    message: str
    field: str | None = None
    allowed: tuple[Any, ...] | None = None
    reason: Reason | None = None
    suggestion: Suggestion | None = None
    rule: Rule | None = None  # the catalogue cell that refuses it (None: not the catalogue's)
    lift: Lift | None = None  # what the cell would say if the server proved it stale


@dataclass(frozen=True)
class Lift:
    """The catalogue cell value that would let a refused request through: what an overlay
    records when the server accepts what the catalogue refused."""

    vocabulary: str | None
    family: str
    field: str
    value: Any


def cell_problem(
    spec: ModelSpec, field_name: str, message: str, param: str | None, value: Any, **facts: Any
) -> Problem:
    """A refusal that comes from one catalogue cell of this model."""
    fam = spec.family
    return Problem(
        message,
        param,
        rule=fam.rule(field_name),
        lift=Lift(spec.vocabulary, fam.key, field_name, value),
        **facts,
    )


def messages(problems: Iterable[Problem]) -> list[str]:
    """The problems' messages, one a line."""
    return [p.message for p in problems]


def validation_error(problems: Sequence[Problem]) -> ValidationError | None:
    """One error for all the problems (None when there are none), with their facts: the field
    when they all concern one, its allowed values when there is one problem, the first
    suggestion."""
    if not problems:
        return None
    fields = {p.field for p in problems}
    reasons = list(dict.fromkeys(p.reason for p in problems if p.reason))
    return ValidationError(
        "; ".join(dict.fromkeys(p.message for p in problems)),
        reason=reasons,
        field=fields.pop() if len(fields) == 1 else None,
        allowed=problems[0].allowed if len(problems) == 1 else None,
        suggestion=next((p.suggestion for p in problems if p.suggestion), None),
        rule=next((p.rule for p in problems if p.rule), None),
    )


def check_request(
    params: GenerationParams, spec: ModelSpec, references: list[Reference]
) -> list[str]:
    """Everything wrong with a request for this model, as text; empty when it can be sent."""
    return messages(check_request_facts(params, spec, references))


def check_request_facts(
    params: GenerationParams,
    spec: ModelSpec,
    references: list[Reference],
    *,
    suggest: bool = True,
) -> list[Problem]:
    """Everything wrong with a request for this model; empty when it can be sent. With
    `suggest`, a limit names the models that could serve the whole request instead. A problem
    that comes from a catalogue cell names it (`rule`)."""
    fam, name = spec.family, spec.name
    problems: list[Problem] = []

    def able(**needs: object) -> str:
        names = serving(params, spec, references, **needs) if suggest else []
        return f" (models that can: {', '.join(names)})" if names else ""

    if not params.prompt and not references:
        problems.append(Problem("nothing to generate: give a prompt or a reference", "prompt"))

    if params.duration is not None:
        problems += _duration_problems(params.duration, spec)
    if params.resolution is not None and not fam.offers(params.resolution):
        problems.append(
            cell_problem(
                spec,
                "resolutions",
                f"{name} supports {', '.join(fam.all_resolutions)}, not {params.resolution}"
                + able(resolutions=params.resolution),
                "resolution",
                (*fam.resolutions, params.resolution),
                allowed=fam.all_resolutions,
            )
        )
    if params.ratio is not None and params.ratio not in fam.all_ratios:
        problems.append(
            cell_problem(
                spec,
                "ratios",
                f"ratio {params.ratio} is not one of {', '.join(fam.all_ratios)}",
                "ratio",
                (*fam.ratios, params.ratio),
                allowed=fam.all_ratios,
            )
        )
    if params.size is not None:
        problems += _size_problems(params, spec)

    problems += _reference_problems(references, spec)
    problems += task_type_problems(params, spec, references, able)

    if params.generate_audio and not fam.generate_audio:
        problems.append(
            cell_problem(
                spec,
                "generate_audio",
                f"{name} cannot generate audio" + able(generate_audio=True),
                "generate_audio",
                True,
            )
        )
    if params.draft:
        problems += _draft_problems(params, spec, references, able)
    if params.output_format is not None:
        problems += _format_problems(params.output_format, spec)
    if params.priority is not None and not fam.priority:
        problems.append(
            cell_problem(spec, "priority", f"{name} takes no priority", "priority", True)
        )
    if params.service_tier is not None:
        if params.service_tier not in SERVICE_TIERS:
            problems.append(
                Problem(
                    f"service tier must be one of {', '.join(SERVICE_TIERS)}",
                    "service_tier",
                    SERVICE_TIERS,
                )
            )
        elif params.service_tier == "flex" and not fam.flex:
            problems.append(
                cell_problem(
                    spec,
                    "flex",
                    f"{name} has no flex service tier",
                    "service_tier",
                    True,
                    allowed=("default",),
                )
            )
    problems += _range("seed", params.seed, SEED_RANGE)
    problems += _range("priority", params.priority, PRIORITY_RANGE)
    problems += _range("expires_after", params.expires_after, EXPIRES_RANGE, unit=" seconds")
    if params.callback_url is not None:
        problems += callback_problems(params.callback_url)
    return problems


def _duration_problems(duration: int, spec: ModelSpec) -> list[Problem]:
    fam, name = spec.family, spec.name
    auto = fam.duration_auto and duration == -1
    if auto or fam.duration_min <= duration <= fam.duration_max:
        return []
    extra = " or -1 to let the model choose" if fam.duration_auto else ""
    durations = tuple(range(fam.duration_min, fam.duration_max + 1))
    allowed = ((-1,) if fam.duration_auto else ()) + durations
    message = (
        f"duration {duration} is out of range for {name}: "
        f"{fam.duration_min}-{fam.duration_max} seconds{extra}"
    )
    if duration == -1:
        return [cell_problem(spec, "duration_auto", message, "duration", True, allowed=allowed)]
    if duration > fam.duration_max:
        return [cell_problem(spec, "duration_max", message, "duration", duration, allowed=allowed)]
    if duration > 0:
        return [cell_problem(spec, "duration_min", message, "duration", duration, allowed=allowed)]
    return [Problem(message, "duration", allowed)]


def task_type_problems(
    params: GenerationParams,
    spec: ModelSpec,
    references: list[Reference],
    able: Callable[..., str] = lambda **_: "",
) -> list[Problem]:
    """omni_reference_task_type: only on the models that take it, with what each type needs: a
    reference video to edit or extend, the adaptive ratio, an edit's automatic duration, an
    edit's source video long enough (the catalogue's task_types cells)."""
    kind = params.task_type
    if kind is None:
        return []
    fam, name = spec.family, spec.name
    if kind not in TASK_TYPES:
        return [Problem(f"task type {kind} is not one of {', '.join(TASK_TYPES)}", "task_type")]
    if kind not in fam.task_types:
        what = "takes no task type" if not fam.task_types else f"takes no task type {kind}"
        others = catalogue().models_able(spec.vocabulary, task_types=kind)
        return [
            cell_problem(
                spec,
                "task_types",
                f"{name} {what}" + (f" (models that do: {', '.join(others)})" if others else ""),
                "model",
                (*fam.task_types, kind),
                allowed=tuple(others) or None,
            )
        ]
    problems = []
    videos = [r for r in references if r.role is Role.REFERENCE_VIDEO]
    if kind in fam.task_types_need_video and not videos:
        verb = "edit" if kind == "edit" else "extend"
        problems.append(
            cell_problem(
                spec,
                "task_types_need_video",
                f"a task of type {kind} needs the video to {verb}: give a reference video",
                "videos",
                tuple(t for t in fam.task_types_need_video if t != kind),
            )
        )
    ratio = params.ratio
    if kind in fam.task_types_adaptive and ratio not in (None, "adaptive"):
        problems.append(
            cell_problem(
                spec,
                "task_types_adaptive",
                f"a task of type {kind} follows its video's shape: ratio adaptive, not {ratio}",
                "ratio",
                tuple(t for t in fam.task_types_adaptive if t != kind),
                allowed=("adaptive",),
            )
        )
    duration = params.duration
    if kind in fam.task_types_auto_duration and duration not in (None, -1):
        problems.append(
            cell_problem(
                spec,
                "task_types_auto_duration",
                f"a task of type {kind} is as long as its video: duration -1, not {duration}",
                "duration",
                tuple(t for t in fam.task_types_auto_duration if t != kind),
                allowed=(-1,),
            )
        )
    shortest = fam.edit_min_seconds
    if kind == "edit" and shortest:
        short = [r for r in videos if r.seconds is not None and r.seconds < shortest]
        if short:
            problems.append(
                cell_problem(
                    spec,
                    "edit_min_seconds",
                    f"{short[0].source or 'the video'} lasts {short[0].seconds:.1f} s; "
                    f"{name} edits videos of at least {shortest:g} s",
                    "videos",
                    short[0].seconds,
                )
            )
    return problems


def _draft_problems(
    params: GenerationParams,
    spec: ModelSpec,
    references: list[Reference],
    able: Callable[..., str],
) -> list[Problem]:
    """A draft is a 480p preview on models that offer one (docs/sources/real-world.md
    "Request rules"; docs/sources/live-research.md §7)."""
    fam, name = spec.family, spec.name
    if not fam.draft:
        return [
            cell_problem(
                spec, "draft", f"{name} has no draft mode" + able(draft=True), "draft", True
            )
        ]
    problems = []
    asked = params.resolution or (_size_resolution(params.size) if params.size else None)
    if (params.resolution or params.size) and asked != DRAFT_RESOLUTION:
        field = "resolution" if params.resolution else "size"
        problems.append(
            Problem(
                f"a draft is always {DRAFT_RESOLUTION}, not {params.resolution or params.size}",
                field,
                (DRAFT_RESOLUTION,) if field == "resolution" else None,
                reason=Reason.of("draft_fixed", field=field),
            )
        )
    if not fam.draft_last_frame and any(r.role is Role.LAST_FRAME for r in references):
        problems.append(
            cell_problem(
                spec,
                "draft_last_frame",
                f"a draft of {name} takes no last frame",
                "last_frame",
                True,
            )
        )
    if not fam.draft_flex and params.service_tier == "flex":
        problems.append(
            cell_problem(
                spec, "draft_flex", f"a draft of {name} has no flex tier", "service_tier", True
            )
        )
    return problems


def serving(
    params: GenerationParams, spec: ModelSpec, references: list[Reference], **needs: object
) -> list[str]:
    """The models of this provider that have `needs` and could serve the whole request as it
    is (a model that lifts one limit but trips another is no suggestion)."""
    cat = catalogue()
    return [
        name
        for name in cat.models_able(spec.vocabulary, **needs)
        if name != spec.name
        and not check_request_facts(
            params, cat.resolve(name, spec.vocabulary), references, suggest=False
        )
    ]


def _format_problems(output_format: str, spec: ModelSpec) -> list[Problem]:
    formats = spec.family.output_formats
    if not formats:
        able = catalogue().models_able(spec.vocabulary, output_formats=output_format)
        also = f" (models that can: {', '.join(able)})" if able else ""
        return [
            cell_problem(
                spec,
                "output_formats",
                f"{spec.name} has no choice of output format{also}",
                "output_format",
                (output_format,),
            )
        ]
    if output_format not in formats:
        return [
            cell_problem(
                spec,
                "output_formats",
                f"output format {output_format} is not one of {', '.join(formats)}",
                "output_format",
                (*formats, output_format),
                allowed=formats,
            )
        ]
    return []


def shape_problems(references: list[Reference]) -> list[Problem]:
    """The frame rules the API applies to every model: a last frame needs a first, and
    frames and reference media are not mixed."""
    roles = {r.role for r in references}
    problems = []
    if Role.LAST_FRAME in roles and Role.FIRST_FRAME not in roles:
        problems.append(Problem("a last frame needs a first frame too", "last_frame"))
    return problems + mix_problems(references)


def mix_problems(references: list[Reference]) -> list[Problem]:
    """The API refuses a first or last frame beside reference media (400 "first/last frame
    content cannot be mixed with reference media content"), and a last frame without a first
    (docs/sources/real-world.md "Request rules"; live-research.md §9). Whatever the model."""
    roles = {r.role for r in references}
    frames = [role for role in (Role.FIRST_FRAME, Role.LAST_FRAME) if role in roles]
    media = [role for role in REFERENCE_ROLES if role in roles]
    if not frames or not media:
        return []
    kinds = ", ".join(ROLE_FIELDS[role] for role in media)
    return [
        Problem(
            f"a {frames[0].value.replace('_', ' ')} cannot be sent with reference media "
            f"({kinds}): the API refuses the mix",
            ROLE_FIELDS[frames[0]],
            reason=Reason("frame_with_references"),
        )
    ]


def request_notices(
    params: GenerationParams, spec: ModelSpec | None, references: list[Reference]
) -> list[str]:
    """What is worth saying about a request that will be sent: values only some sources
    confirm (the server decides), and guidance the API recommends but does not enforce."""
    if spec is None:
        return []
    notices = []
    fam = spec.family
    wanted = params.resolution or (_size_resolution(params.size) if params.size else None)
    if wanted in fam.resolutions_unconfirmed and wanted not in fam.resolutions:
        notices.append(
            f"{spec.name} at {wanted}: the sources disagree whether it is offered; it is sent "
            "and the server decides"
        )
    if params.ratio in fam.ratios_unconfirmed and params.ratio not in fam.ratios:
        notices.append(
            f"ratio {params.ratio} on {spec.name}: the sources disagree whether it is offered "
            "(no source gives its size); it is sent and the server decides"
        )
    first_frame = any(r.role is Role.FIRST_FRAME for r in references)
    if fam.task_types and params.ratio not in (None, "adaptive") and first_frame:
        notices.append(
            f"one source says a first frame on {spec.name} takes only ratio adaptive (the "
            f"video follows the frame's shape); ratio {params.ratio} is sent as asked and "
            "the server decides"
        )
    disputed = [p for p in fam.disputed if getattr(params, p, None) not in (None, False)]
    if disputed:
        notices.append(
            f"the sources disagree whether {spec.name} honours {' and '.join(disputed)}; "
            "sent as asked"
        )
    if params.seed is not None and SEED_CONFIRMED_MAX < params.seed <= SEED_RANGE[1]:
        notices.append(
            f"seed {params.seed}: the sources disagree whether seeds above {SEED_CONFIRMED_MAX} "
            "are taken; it is sent and the server decides"
        )
    if params.prompt:
        notices += _prompt_notices(params.prompt, spec)
    return notices


def overridden_notice(problem: Problem) -> str:
    """What is said of a catalogue refusal sent anyway (validation off): the server decides."""
    rule = problem.rule
    where = ""
    if rule is not None:
        where = f" (rule {rule.name}" + (f", source {rule.source})" if rule.source else ")")
    return f"sent unchecked: the catalogue says {problem.message}{where}; the server decides"


def _size_resolution(size: str) -> str | None:
    parsed = catalogue().parse_size(size)
    return parsed[0] if parsed else None


def _range(field: str, value: int | None, bounds: tuple[int, int], unit: str = "") -> list[Problem]:
    low, high = bounds
    if value is not None and not low <= value <= high:
        return [Problem(f"{field} {value} is out of range: {low}-{high}{unit}", field)]
    return []


def _size_problems(params: GenerationParams, spec: ModelSpec) -> list[Problem]:
    if params.resolution or params.ratio:
        return [Problem("give a size or a resolution and ratio, not both", "size")]
    parsed = catalogue().parse_size(params.size or "")
    if parsed is None:
        sizes = catalogue().known_sizes(spec.family.resolutions)
        return [
            Problem(
                f"size {params.size} is not a size {spec.name} makes (one of: {', '.join(sizes)})",
                "size",
                tuple(sizes),
            )
        ]
    resolution, _ = parsed
    if not spec.family.offers(resolution):
        return [
            cell_problem(
                spec,
                "resolutions",
                f"size {params.size} is {resolution}; {spec.name} supports "
                f"{', '.join(spec.family.all_resolutions)}",
                "size",
                (*spec.family.resolutions, resolution),
                allowed=tuple(catalogue().known_sizes(spec.family.all_resolutions)),
            )
        ]
    return []


def _reference_problems(references: list[Reference], spec: ModelSpec) -> list[Problem]:
    fam, name = spec.family, spec.name
    problems: list[Problem] = []
    roles = [r.role for r in references]
    if Role.FIRST_FRAME in roles and not fam.first_frame:
        problems.append(
            cell_problem(spec, "first_frame", f"{name} takes no first frame", "first_frame", True)
        )
    if Role.LAST_FRAME in roles and not fam.last_frame:
        problems.append(
            cell_problem(spec, "last_frame", f"{name} takes no last frame", "last_frame", True)
        )
    problems += shape_problems(references)
    for role in (Role.FIRST_FRAME, Role.LAST_FRAME):
        if roles.count(role) > 1:
            problems.append(
                Problem(f"only one {role.value.replace('_', ' ')} is allowed", ROLE_FIELDS[role])
            )

    limits = (
        (Role.REFERENCE_IMAGE, "max_reference_images", "reference images"),
        (Role.REFERENCE_VIDEO, "max_reference_videos", "reference videos"),
        (Role.REFERENCE_AUDIO, "max_reference_audios", "reference audios"),
    )
    for role, cell, label in limits:
        count, most = roles.count(role), getattr(fam, cell)
        if count and most == 0:
            problems.append(
                cell_problem(spec, cell, f"{name} takes no {label}", ROLE_FIELDS[role], count)
            )
        elif count > most:
            problems.append(
                cell_problem(
                    spec,
                    cell,
                    f"{count} {label} given; {name} takes at most {most}",
                    ROLE_FIELDS[role],
                    count,
                )
            )

    totals = (
        (MediaKind.VIDEO, "reference_video_total_seconds", "videos", "reference videos"),
        (MediaKind.AUDIO, "reference_audio_total_seconds", "audios", "reference audios"),
    )
    for kind, cell, field, label in totals:
        most_seconds = getattr(fam, cell)
        known = [r.seconds for r in references if r.kind is kind and r.seconds is not None]
        if most_seconds and sum(known) > most_seconds:
            problems.append(
                cell_problem(
                    spec,
                    cell,
                    f"{label} last {sum(known):.1f} s in total; "
                    f"{name} takes at most {most_seconds:g} s",
                    field,
                    round(sum(known) + 0.5),
                )
            )

    has_audio = Role.REFERENCE_AUDIO in roles
    visual = Role.REFERENCE_IMAGE in roles or Role.REFERENCE_VIDEO in roles
    if has_audio and fam.audio_needs_visual and not visual:
        problems.append(
            cell_problem(
                spec,
                "audio_needs_visual",
                "an audio reference needs a visual anchor: add a reference image or video",
                "audios",
                False,
            )
        )
    return problems


def callback_problems(url: str) -> list[Problem]:
    """callback_url: a non-empty https URL of a public host (docs/sources/phanedge.txt
    "原生回调")."""
    parts = urlsplit(url.strip())
    if not url.strip() or parts.scheme != "https" or not parts.hostname:
        return [Problem(f"callback URL {url!r} must be an https:// URL", "callback_url")]
    host = parts.hostname
    if is_private_name(host):
        return [Problem(f"callback URL host {host} is not public", "callback_url")]
    if is_private_address(host):
        return [Problem(f"callback URL host {host} is not a public address", "callback_url")]
    return []


def _prompt_notices(prompt: str, spec: ModelSpec) -> list[str]:
    """Prompt length is a recommendation, not a limit (docs/sources/real-world.md "Request
    rules": "超限易导致细节丢失", details may be lost)."""
    fam = spec.family
    cjk_pattern = re.compile(_CJK_CLASS)  # re keeps it compiled after the first use
    cjk = len(cjk_pattern.findall(prompt))
    if fam.prompt_max_cjk_chars and cjk > fam.prompt_max_cjk_chars:
        return [
            f"the prompt has {cjk} Chinese characters; {spec.name} works best with at most "
            f"{fam.prompt_max_cjk_chars} (longer prompts may lose detail)"
        ]
    words = len(cjk_pattern.sub(" ", prompt).split())
    if fam.prompt_max_words and words > fam.prompt_max_words:
        return [
            f"the prompt has {words} words; {spec.name} works best with at most "
            f"{fam.prompt_max_words} (longer prompts may lose detail)"
        ]
    return []


# -- inputs that are not the model's business: ids and prompts -------------------------------

MAX_ID_LENGTH = 256
# A task id goes into a URL path: nothing that would change which path (`/`, `..`), end it (`?`,
# `#`), encode it (`%`) or hide in it (whitespace, control characters). Not a format: a new id
# style of a provider still passes.
_UNSAFE_ID = re.compile(r"[\s/\\?#%\x00-\x1f\x7f-\x9f]|\.\.|^\.$")


def check_task_id(value: str, *, field: str = "task_ids", what: str = "task id") -> str:
    """`value` when it is safe to send as a task id; ValidationError (exit 2) otherwise."""
    if not value or len(value) > MAX_ID_LENGTH or _UNSAFE_ID.search(value) or _invisible(value):
        shown = value if len(value) <= 60 else value[:57] + "..."
        raise ValidationError(
            f"{shown!r} is not a {what}: ids have no '/', '..', spaces, control characters, "
            "'?', '#' or '%'",
            reason=Reason("task_id_form"),
            field=field,
        )
    return value


def usable_task_id(value: object) -> bool:
    """Whether a task id (from the user or a server's answer) is safe to use in a URL path, a
    file name and a command line."""
    if not isinstance(value, str):
        return False
    try:
        check_task_id(value)
    except ValidationError:
        return False
    return True


def shown_id(value: str) -> str:
    """An id as a message quotes it: escaped, and cut short."""
    return repr(value if len(value) <= 60 else value[:57] + "...")


def _invisible(value: str) -> bool:
    """Format characters (zero-width, bidi overrides) or lone surrogates: never in an id."""
    import unicodedata

    return any(unicodedata.category(c) in ("Cf", "Cs", "Zl", "Zp") for c in value)


def prompt_problems(prompt: str | None) -> list[Problem]:
    """A prompt that is there but says nothing, or holds bytes that are not text (a file or
    argument that was not UTF-8): refused whatever the model."""
    if prompt is None:
        return []
    if not prompt.strip():
        return [Problem("the prompt is blank", "prompt", reason=Reason("prompt_blank"))]
    bad = next((i for i, c in enumerate(prompt) if "\ud800" <= c <= "\udfff"), None)
    if bad is not None:
        byte = ord(prompt[bad]) - 0xDC00 if "\udc80" <= prompt[bad] <= "\udcff" else None
        what = f"byte 0x{byte:02x}" if byte is not None else "a lone surrogate"
        return [
            Problem(
                f"the prompt is not valid UTF-8 text ({what} at character {bad + 1})",
                "prompt",
                reason=Reason("prompt_not_utf8"),
            )
        ]
    if "\x00" in prompt:
        return [Problem("the prompt holds a NUL character", "prompt", reason=Reason("prompt_nul"))]
    return []
