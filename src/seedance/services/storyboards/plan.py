"""Planning a storyboard run: every shot checked, estimated and given an action, before
anything is sent."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from seedance.domain.catalogue import Estimate, format_money
from seedance.domain.errors import BudgetError, Reason, StoryboardError, Suggestion, UsageError
from seedance.domain.models import GenerationParams, Reference, Role
from seedance.domain.pricing import money
from seedance.providers.base import Capabilities
from seedance.services.account.gate import Allowance
from seedance.services.media import video
from seedance.services.runs import identities
from seedance.services.runtime import Runtime
from seedance.services.storyboards.manifest import Manifest, ManifestData, ShotState
from seedance.services.storyboards.storyboard import Shot, Storyboard, chain_again
from seedance.services.videos.finalize import FinalOptions, prepare_final
from seedance.services.videos.prepare import Prepared, prepare_for, resolve_model


class Action(StrEnum):
    """What a run does with a shot."""

    RUN = "run"  # create it (again)
    POLL = "poll"  # its task exists: read it, never create it again
    SKIP = "skip"  # done in an earlier run: keep it


class Continuity(StrEnum):
    """How a shot that follows another takes its parent's last frame."""

    FRAME = "frame"  # as its first frame
    REFERENCE = "reference"  # as one more reference image, after its own
    NONE = "none"  # not at all: it only runs after its parent
    EXTEND = "extend"  # it extends its parent's video (task type extend): no frame taken


class Mode(StrEnum):
    """What a storyboard run makes."""

    NORMAL = "normal"
    DRAFT = "draft"  # every shot as a 480p draft (docs/sources/real-world.md "Request rules")
    FINALIZE = "finalize"  # shots that start fresh from their drafts; the others made anew


DRAFTS = "drafts"  # the subdirectory a draft run writes to, beside the finals


@dataclass(frozen=True)
class ShotPlan:
    shot: Shot  # as it is sent (asking for its last frame when a shot starts from it)
    prepared: Prepared  # the request with a placeholder for the parent's frame
    definition_hash: str
    action: Action = Action.RUN
    wants_frame: bool = False
    fresh: bool = False  # made anew on purpose (rerun, restart): earlier creates not reused
    continuity: Continuity | None = None  # None: it starts fresh
    final_of: str | None = None  # finalize: the draft task it is the final of

    @property
    def estimate(self) -> Estimate | None:
        return self.prepared.estimate

    @property
    def frame_role(self) -> Role | None:
        """The role its parent's last frame takes in its request (None: no frame)."""
        return _ROLES.get(self.continuity) if self.continuity is not None else None

    def start(self) -> str:
        """Where the shot starts, in words (for the plan)."""
        if self.final_of is not None:
            return f"final of draft {self.final_of}"
        parent = self.shot.parent
        if parent is None:
            return "start"
        how = {
            Continuity.FRAME: "its last frame as the first frame",
            Continuity.REFERENCE: "its last frame as a reference image",
            Continuity.NONE: "no frame taken",
            Continuity.EXTEND: "extends its video",
        }[self.continuity or Continuity.NONE]
        return f"after {parent}: {how}"


_ROLES = {
    Continuity.FRAME: Role.FIRST_FRAME,
    Continuity.REFERENCE: Role.REFERENCE_IMAGE,
    Continuity.EXTEND: Role.REFERENCE_VIDEO,  # the parent's video, not its last frame
}
_FRAME_TAKING = (Continuity.FRAME, Continuity.REFERENCE)


@dataclass(frozen=True)
class Plan:
    storyboard: Storyboard
    profile: str
    shots: Mapping[str, ShotPlan]
    frames_from_api: bool  # last frames come from the API (else extracted with PyAV)
    mode: Mode = Mode.NORMAL
    validate: bool = True  # the catalogue's checks (off: its refusals are sent, said)
    name: str = ""  # the storyboard's identity on every machine (default: the file's stem)

    @property
    def label(self) -> str:
        """What its creates are made for: `storyboard:NAME` (its drafts: `NAME/drafts`)."""
        name = self.name or self.storyboard.path.stem
        return identities.label("storyboard", name + ("/drafts" if self.mode is Mode.DRAFT else ""))

    def to_run(self) -> list[ShotPlan]:
        return [p for p in self.shots.values() if p.action is not Action.SKIP]

    def again(self, out_dir: Path, **options: object) -> Suggestion:
        """Running this storyboard again in this mode (a draft run writes to `drafts/` of
        the directory the user named), with `options` (`rerun`, `restart`...), under the
        name it was given."""
        if self.name and self.name != self.storyboard.path.stem:
            options = {"name": self.name, **options}
        if self.mode is Mode.DRAFT:
            return chain_again(self.storyboard.path, out_dir.parent, draft=True, **options)
        if self.mode is Mode.FINALIZE:
            return chain_again(self.storyboard.path, out_dir, finalize=True, **options)
        return chain_again(self.storyboard.path, out_dir, **options)

    def _paying(self) -> list[ShotPlan]:
        return [p for p in self.shots.values() if p.action is Action.RUN]

    def unpriced(self) -> list[str]:
        """The shots still to pay for whose price is not known."""
        return [p.shot.id for p in self._paying() if p.estimate is None or p.estimate.cost is None]

    def unknown_models(self) -> list[str]:
        """Models of shots still to make that the catalogue does not know (probed first)."""
        found = [p.prepared.request.model for p in self._paying() if p.prepared.spec is None]
        return list(dict.fromkeys(found))

    def total(self) -> tuple[int, float | None, str | None]:
        """Tokens and cost of the shots still to pay for (not those already submitted), the
        cost None when a price is unknown."""
        plans = self._paying()
        known = [p.estimate for p in plans if p.estimate is not None]
        tokens = sum(e.tokens for e in known)
        cost = None if self.unpriced() else sum(e.cost or 0.0 for e in known)
        currency = next((e.currency for e in known if e.currency), None)
        return tokens, cost, currency

    def priced_cost(self) -> float:
        """What the shots with a known price will cost."""
        return sum(p.estimate.cost or 0.0 for p in self._paying() if p.estimate is not None)

    def describe_total(self) -> str:
        tokens, cost, currency = self.total()
        count = len(self._paying())
        if not self.to_run():
            return "nothing to make: every shot is done"
        if cost is not None:
            money = f" ≈ {format_money(cost, currency)}"
        elif len(self.unpriced()) < count:
            priced = format_money(self.priced_cost(), currency)
            money = f" ≈ {priced} + {len(self.unpriced())} shot(s) at an unknown price"
        else:
            money = " (price unknown)"
        lower = any(p.estimate is not None and p.estimate.lower_bound for p in self._paying())
        return (
            f"{count} shot{'s' if count != 1 else ''} to make: "
            f"{'at least ' if lower else ''}{tokens:,} tokens{money}"
        )

    def check_cost(
        self, max_cost: float | None, *, allow_unpriced: bool = False, budgets: bool = False
    ) -> None:
        """Refuse, before anything is sent, a run whose estimate is above `max_cost`, or
        whose price is unknown (unless `allow_unpriced`: those shots then count as nothing);
        under any cap (`max_cost`, or the profile's `budgets`), one whose estimate is only a
        lower bound (unless `allow_unpriced`: those shots then count at their lower bound)."""
        if max_cost is None and not budgets:
            return
        lower = [p.shot.id for p in self._paying() if p.estimate and p.estimate.lower_bound]
        if lower and not allow_unpriced:
            raise BudgetError(
                f"the estimate of shot{'s' if len(lower) > 1 else ''} {', '.join(lower)} is "
                "only a lower bound: the length of a reference video is not known, and input "
                "video seconds are billed, so the spending caps cannot be checked; nothing "
                "was sent",
                code="lower_bound",
                reason="price_lower_bound",
                field="allow_unpriced",
                suggestion=Suggestion.again(allow_unpriced=True),
            )
        if max_cost is None:
            return
        unpriced = self.unpriced()
        if unpriced and not allow_unpriced:
            raise UsageError(
                f"the cost cap cannot be checked: no price is known for shot"
                f"{'s' if len(unpriced) > 1 else ''} {', '.join(unpriced)}",
                reason="storyboard_price_unknown",
                field="max_cost",
                suggestion=Suggestion.again(allow_unpriced=True),
            )
        _tokens, _cost, currency = self.total()
        cost = self.priced_cost()
        if cost > max_cost:
            raise BudgetError(
                f"the estimate {format_money(cost, currency)} is above the cap of "
                f"{format_money(max_cost, currency)}; nothing was sent",
                reason="storyboard_over_cap",
                field="max_cost",
            )

    def to_json(self) -> dict[str, Any]:
        tokens, cost, currency = self.total()
        return {
            "storyboard": str(self.storyboard.path),
            "profile": self.profile,
            "mode": self.mode.value,
            "shots": [
                {
                    "index": p.shot.index,
                    "id": p.shot.id,
                    "after": p.shot.parent,
                    "continuity": p.continuity.value if p.continuity else None,
                    "final_of": p.final_of,
                    "action": p.action,
                    "model": p.prepared.request.model,
                    "request": p.prepared.body,
                    "estimated_tokens": p.estimate.tokens if p.estimate else None,
                    "estimated_cost": money(p.estimate.cost) if p.estimate else None,
                }
                for p in self.shots.values()
            ],
            "total": {"tokens": tokens, "cost": money(cost), "currency": currency},
        }


def frame_placeholder(parent: str, role: Role = Role.FIRST_FRAME) -> Reference:
    what = "video" if role is Role.REFERENCE_VIDEO else "last frame"
    return Reference(role=role, url=f"<{what} of '{parent}'>", source=parent)


# Parameters added after version 1: left out of a shot's definition while unset, so a run a
# version-1 seedance recorded still matches its storyboard.
_LATER_PARAMS = ("output_format", "task_type")


def definition_hash(
    shot: Shot, model: str, files: dict[str, str], *, final_of: str | None = None
) -> str:
    """What a shot asks for, independent of URLs that change between runs."""
    params = shot.params.model_dump()
    for name in _LATER_PARAMS:
        if params.get(name) is None:
            params.pop(name, None)
    document: dict[str, Any] = {
        "model": model,
        "params": params,
        "after": shot.parent,
        "files": files,
    }
    if shot.continuity is not None:  # said in the storyboard: part of what it asks for
        document["continuity"] = shot.continuity
    if final_of is not None:
        document["final_of"] = final_of
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def _file_hashes(shot: Shot, base: Path) -> dict[str, str]:
    refs = [
        shot.params.first_frame,
        shot.params.last_frame,
        *shot.params.images,
        *shot.params.videos,
        *shot.params.audios,
    ]
    hashes = {}
    for ref in refs:
        if ref and "://" not in ref and not ref.startswith("data:"):
            path = base / ref
            if path.is_file():
                hashes[ref] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


@dataclass(frozen=True)
class Drafts:
    """The draft run a finalize run finishes: its manifest, where it is, and the finals'
    directory it sits in."""

    data: ManifestData
    storyboard: Path
    finals: Path

    @property
    def directory(self) -> Path:
        return self.finals / DRAFTS

    def again(self, **options: object) -> Suggestion:
        """The draft run of this storyboard, with `options`."""
        return chain_again(self.storyboard, self.finals, draft=True, **options)


def continuity_of(shot: Shot, caps: Capabilities, where: str) -> Continuity | None:
    """How the shot takes its parent's frame: as the storyboard says, else as a first frame,
    unless the shot has reference media (the API refuses a frame beside them,
    docs/sources/real-world.md "Request rules") or the API cannot send a frame (kapon's
    /v1/videos): then as a reference image."""
    if shot.parent is None:
        return None
    if shot.continuity == Continuity.EXTEND:
        return Continuity.EXTEND
    if shot.continuity is not None:
        chosen = Continuity(shot.continuity)
        if chosen is Continuity.FRAME and not caps.takes_frames:
            raise StoryboardError(
                f'{where}: continuity = "frame", but this profile\'s API cannot send a first frame',
                reason="continuity_first_frame_unsupported",
            )
        return chosen
    params = shot.params
    if params.images or params.videos or params.audios or not caps.takes_frames:
        return Continuity.REFERENCE
    return Continuity.FRAME


def make_plan(
    rt: Runtime,
    board: Storyboard,
    *,
    mode: Mode = Mode.NORMAL,
    drafts: Drafts | None = None,
    strict: bool = False,
    validate: bool = True,
    allowance: Allowance | None = None,
) -> Plan:
    """Check every shot against the profile's model and API; decide how each continues from
    its parent; estimate each (under `allowance`'s cap, reference videos by URL measured).
    Nothing is sent (a finalize run reads its drafts)."""
    caps = rt.capabilities
    where_of = {shot.id: f"{board.path}: shot '{shot.id}'" for shot in board.shots}
    continuity = {s.id: continuity_of(s, caps, where_of[s.id]) for s in board.shots}
    taking = {s.id for s in board.shots if continuity[s.id] in _FRAME_TAKING}
    if taking and not caps.returns_last_frame and not video.available():
        raise StoryboardError(
            f"profile '{rt.profile.name}' cannot chain shots: its API returns no last frame, "
            "and extracting one needs PyAV",
            reason=[Reason.of("install_extra", extra="video"), Reason("profile_with_frames")],
        )
    if taking and caps.needs_assets and not caps.returns_last_frame:
        _check_frame_upload(rt, board, taking, where_of)
    base = board.path.parent
    shots: dict[str, ShotPlan] = {}
    for shot in board.shots:
        where = where_of[shot.id]
        params = draft_params(shot.params) if mode is Mode.DRAFT else shot.params
        wants_frame = any(c in taking for c in shot.children) or bool(params.return_last_frame)
        if wants_frame and caps.returns_last_frame:
            params = params.model_copy(update={"return_last_frame": True})
        how = continuity[shot.id]
        files = _file_hashes(shot, base)
        final_of = None
        try:
            if mode is Mode.FINALIZE and how in (None, Continuity.NONE):  # it takes no frame
                drafted = replace(shot, params=_with_frame_flag(draft_params(shot.params), params))
                asked = definition_hash(drafted, _sent_model(rt, drafted.params), files)
                final_of = _draft_of(shot, drafts, where, asked)
                prepared = _final(rt, final_of, params, strict=strict, validate=validate)
            else:
                frame = _placeholder(rt, shot, params, how, where)
                prepared = prepare_for(
                    rt,
                    params,
                    dry_run=True,
                    base_dir=base,
                    frame=frame,
                    strict=strict,
                    validate=validate,
                    confine=board.confine,
                    allowance=allowance,
                )
        except UsageError as exc:
            raise _in_shot(exc, where) from None
        shot = replace(shot, params=params)
        digest = definition_hash(shot, prepared.request.model, files, final_of=final_of)
        shots[shot.id] = ShotPlan(
            shot,
            prepared,
            digest,
            wants_frame=wants_frame,
            continuity=how,
            final_of=final_of,
        )
    return Plan(board, rt.profile.name, shots, caps.returns_last_frame, mode, validate)


def _check_frame_upload(
    rt: Runtime, board: Storyboard, taking: set[str], where_of: dict[str, str]
) -> None:
    """A frame extracted locally reaches an assets-only API only through the profile's
    upload_cmd or its bucket (storage): without one, the run would stop after its first shots
    were paid for."""
    if rt.profile.upload_cmd or rt.profile.storage:
        return
    first = next(s for s in board.shots if s.id in taking)
    other = rt.provider.alternative
    raise StoryboardError(
        f"{where_of[first.id]}: it continues from the last frame of '{first.parent}', which "
        f"profile '{rt.profile.name}' would have to upload to its asset library (its API "
        "returns no last frame and takes media only as assets), but it has no upload_cmd",
        reason=Reason.of("frame_upload_needed", alternative=other or ""),
        suggestion=Suggestion.of("profiles.show", other) if other else None,
    )


def _placeholder(
    rt: Runtime, shot: Shot, params: GenerationParams, how: Continuity | None, where: str
) -> Reference | None:
    """What stands for the parent's last frame in the plan, in the role it will take."""
    if how not in _ROLES or shot.parent is None:
        return None
    if how is Continuity.REFERENCE:
        _check_room(rt, shot, params, where)
    return frame_placeholder(shot.parent, _ROLES[how])


def _in_shot(exc: UsageError, where: str) -> StoryboardError:
    """A refusal of one shot's request, as the storyboard's error naming the shot."""
    if isinstance(exc, StoryboardError):
        return exc
    error = StoryboardError(
        f"{where}: {exc.message}",
        reason=exc.reasons,
        field=exc.field,
        allowed=exc.allowed,
        suggestion=exc.suggestion,
    )
    error.rule = exc.rule  # a refusal from the catalogue stays one
    return error


def draft_params(params: GenerationParams) -> GenerationParams:
    """A shot's parameters for its draft: 480p, so no resolution or size of its own."""
    return params.model_copy(update={"draft": True, "resolution": None, "size": None})


def _check_room(rt: Runtime, shot: Shot, params: GenerationParams, where: str) -> None:
    """A shot continuing with its parent's frame as a reference image needs room for it."""
    name = params.model or rt.profile.defaults.get("model")
    spec = resolve_model(rt.profile, name if isinstance(name, str) else None, validate=False)
    if spec is None:
        return
    most = spec.family.max_reference_images
    if len(params.images) >= most:
        raise StoryboardError(
            f"{where}: its {len(params.images)} reference images already fill {spec.name}'s "
            f"limit of {most}, so the last frame of '{shot.parent}' cannot be added as one more",
            reason="continuity_too_many_images",
            field="images",
        )


def _draft_of(shot: Shot, drafts: Drafts | None, where: str, asked: str) -> str:
    """The finished draft of a shot, made from what the storyboard still asks for."""
    record = drafts.data.shots.get(shot.id) if drafts is not None else None
    if drafts is None or record is None or record.state is not ShotState.DONE:
        place = f" in {drafts.directory}" if drafts is not None else ""
        raise StoryboardError(
            f"{where}: there is no finished draft of it{place}",
            reason="drafts_missing",
            suggestion=drafts.again() if drafts is not None else None,
        )
    if record.request_hash not in (None, asked) or not record.task_id:
        raise StoryboardError(
            f"{where}: it changed since its draft was made, and a final reuses its draft's "
            "prompt and media",
            reason="draft_missing",
            suggestion=drafts.again(rerun=[shot.id]),
        )
    return record.task_id


def _with_frame_flag(params: GenerationParams, planned: GenerationParams) -> GenerationParams:
    """`params` asking for its last frame exactly when the planned shot does."""
    return params.model_copy(update={"return_last_frame": planned.return_last_frame})


def _sent_model(rt: Runtime, params: GenerationParams) -> str:
    """The model name a request of these parameters is sent with."""
    named = params.model or rt.profile.defaults.get("model") or rt.profile.model
    name = named if isinstance(named, str) else ""
    spec = resolve_model(rt.profile, name or None, validate=False)
    return spec.name if spec is not None else name


def _final(
    rt: Runtime, draft_id: str, params: GenerationParams, *, strict: bool, validate: bool
) -> Prepared:
    """The final of a shot's draft, with the shot's resolution and delivery."""
    options = FinalOptions.of(params)
    prepared = prepare_final(rt, draft_id, options, strict=strict, validate=validate)
    rt.tell(prepared.notes)
    return prepared


def with_actions(
    plan: Plan, manifest: Manifest, rerun: set[str], out_dir: Path, *, restart: bool = False
) -> Plan:
    """The plan with each shot's action decided from what an earlier run did; refuses
    silent re-runs.

    A shot whose task is known is read, never created again, unless that task failed."""
    board = plan.storyboard
    unknown = rerun - set(plan.shots)
    if unknown:
        raise StoryboardError(
            f"{board.path}: no shot named {', '.join(sorted(unknown))} to make again "
            f"(its shots: {', '.join(plan.shots)})",
            field="rerun",
            allowed=list(plan.shots),
        )
    again = set(rerun) | set(board.descendants_of(sorted(rerun)))
    actions: dict[str, Action] = {}
    fresh: set[str] = set()  # made anew on purpose: earlier creates of it are not reused
    changed: list[str] = []
    for shot_id, shot_plan in plan.shots.items():
        record = manifest.data.shots.get(shot_id)
        if record is None or shot_id in again:
            actions[shot_id] = Action.RUN
            if restart or shot_id in again:
                fresh.add(shot_id)
            continue
        known = bool(record.task_id) and record.state is not ShotState.FAILED
        if known and record.request_hash not in (None, shot_plan.definition_hash):
            changed.append(shot_id)
        if record.state is ShotState.DONE and record.clip and (out_dir / record.clip).exists():
            actions[shot_id] = Action.SKIP
        elif known:
            actions[shot_id] = Action.POLL  # a known task: read it, never create it again
        else:
            actions[shot_id] = Action.RUN
            if record.state is ShotState.FAILED:  # its task failed: retried by a new create
                fresh.add(shot_id)
    if changed:
        many = len(changed) > 1
        names = ", ".join(f"'{n}'" for n in changed)
        raise StoryboardError(
            f"{board.path}: shot{'s' if many else ''} {names} changed since "
            f"{'they' if many else 'it'} ran",
            reason=Reason.of("shots_changed", many=many),
            suggestion=plan.again(out_dir, rerun=changed),
        )
    # a shot to make again makes every shot that follows it again too (one walk from all of
    # them: a walk per shot would be quadratic on a long chain)
    making = [shot_id for shot_id, action in actions.items() if action is Action.RUN]
    for child in board.descendants_of(making):
        if actions[child] is Action.SKIP:
            actions[child] = Action.RUN
    shots = {
        shot_id: replace(shot_plan, action=actions[shot_id], fresh=shot_id in fresh)
        for shot_id, shot_plan in plan.shots.items()
    }
    return replace(plan, shots=shots)
