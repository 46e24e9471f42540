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

from seedance.domain.catalogue import Estimate, format_money, total_of
from seedance.domain.errors import StoryboardError, UsageError
from seedance.domain.models import Reference, Role
from seedance.services import video
from seedance.services.chain.manifest import Manifest, ShotState
from seedance.services.chain.storyboard import Shot, Storyboard
from seedance.services.client import Client
from seedance.services.prepare import Prepared


class Action(StrEnum):
    """What a run does with a shot."""

    RUN = "run"  # create it (again)
    POLL = "poll"  # its task exists: read it, never create it again
    SKIP = "skip"  # done in an earlier run: keep it


@dataclass(frozen=True)
class ShotPlan:
    shot: Shot  # as it is sent (asking for its last frame when a shot starts from it)
    prepared: Prepared  # the request with a placeholder for the parent's frame
    definition_hash: str
    action: Action = Action.RUN
    wants_frame: bool = False
    fresh: bool = False  # made anew on purpose (rerun, restart): earlier creates not reused

    @property
    def estimate(self) -> Estimate | None:
        return self.prepared.estimate


@dataclass(frozen=True)
class Plan:
    storyboard: Storyboard
    profile: str
    shots: Mapping[str, ShotPlan]
    frames_from_api: bool  # last frames come from the API (else extracted with PyAV)

    def to_run(self) -> list[ShotPlan]:
        return [p for p in self.shots.values() if p.action is not Action.SKIP]

    def total(self) -> tuple[int, float | None, str | None]:
        """Tokens and cost of the shots still to pay for (not those already submitted), the
        cost None when a price is unknown."""
        return total_of([p.estimate for p in self.shots.values() if p.action is Action.RUN])

    def describe_total(self) -> str:
        tokens, cost, currency = self.total()
        count = len([p for p in self.shots.values() if p.action is Action.RUN])
        if not self.to_run():
            return "nothing to make: every shot is done"
        money = f" ≈ {format_money(cost, currency)}" if cost is not None else " (price unknown)"
        return f"{count} shot{'s' if count != 1 else ''} to make: {tokens:,} tokens{money}"

    def to_json(self) -> dict[str, Any]:
        tokens, cost, currency = self.total()
        return {
            "storyboard": str(self.storyboard.path),
            "profile": self.profile,
            "shots": [
                {
                    "index": p.shot.index,
                    "id": p.shot.id,
                    "after": p.shot.parent,
                    "action": p.action,
                    "model": p.prepared.request.model,
                    "request": p.prepared.body,
                    "estimated_tokens": p.estimate.tokens if p.estimate else None,
                    "estimated_cost": p.estimate.cost if p.estimate else None,
                }
                for p in self.shots.values()
            ],
            "total": {"tokens": tokens, "cost": cost, "currency": currency},
        }


def frame_placeholder(parent: str) -> Reference:
    return Reference(role=Role.FIRST_FRAME, url=f"<last frame of '{parent}'>", source=parent)


def definition_hash(shot: Shot, model: str, files: dict[str, str]) -> str:
    """What a shot asks for, independent of URLs that change between runs."""
    document = {
        "model": model,
        "params": shot.params.model_dump(),
        "after": shot.parent,
        "files": files,
    }
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


def make_plan(client: Client, board: Storyboard) -> Plan:
    """Check every shot against the profile's model and API; estimate each."""
    caps = client.capabilities
    followed = any(shot.parent for shot in board.shots)
    if followed and not caps.returns_last_frame and not video.available():
        raise StoryboardError(
            f"profile '{client.profile.name}' cannot chain shots: its API returns no last frame, "
            "and extracting one needs PyAV",
            hint=f"{video.INSTALL_HINT}, or use a profile whose API returns last frames",
        )
    base = board.path.parent
    shots: dict[str, ShotPlan] = {}
    for shot in board.shots:
        params = shot.params
        wants_frame = bool(shot.children) or bool(params.return_last_frame)
        if shot.children and caps.returns_last_frame:
            params = params.model_copy(update={"return_last_frame": True})
        frame = frame_placeholder(shot.parent) if shot.parent else None
        where = f"{board.path}: shot '{shot.id}'"
        try:
            prepared = client.prepare(params, dry_run=True, base_dir=base, frame=frame)
        except UsageError as exc:
            raise StoryboardError(
                f"{where}: {exc.message}",
                hint=exc.hint,
                field=exc.field,
                allowed=exc.allowed,
                suggestion=exc.suggestion,
            ) from None
        files = _file_hashes(shot, base)
        shot = replace(shot, params=params)
        digest = definition_hash(shot, prepared.request.model, files)
        shots[shot.id] = ShotPlan(shot, prepared, digest, wants_frame=wants_frame)
    return Plan(board, client.profile.name, shots, caps.returns_last_frame)


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
    again = set(rerun)
    for shot_id in rerun:
        again.update(board.descendants(shot_id))
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
    if changed:
        many = len(changed) > 1
        names = ", ".join(f"'{n}'" for n in changed)
        raise StoryboardError(
            f"{board.path}: shot{'s' if many else ''} {names} changed since "
            f"{'they' if many else 'it'} ran",
            hint=f"start over with a restart, or make {'them' if many else 'it'} again (and "
            "what follows)",
            suggestion=board.again(out_dir, rerun=changed),
        )
    # a shot to make again makes every shot that follows it again too
    for shot_id, action in list(actions.items()):
        if action is Action.RUN:
            for child in board.descendants(shot_id):
                if actions[child] is Action.SKIP:
                    actions[child] = Action.RUN
    shots = {
        shot_id: replace(shot_plan, action=actions[shot_id], fresh=shot_id in fresh)
        for shot_id, shot_plan in plan.shots.items()
    }
    return replace(plan, shots=shots)
