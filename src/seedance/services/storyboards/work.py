"""A storyboard as the engine's work (runs/engine.py): each shot is a unit that starts once
the shot it follows is done, from that shot's last frame; `chain.json` records every change
first, and a shot's last frame is saved beside its clip."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from seedance.domain import media
from seedance.domain.errors import (
    BudgetError,
    NotFoundError,
    SeedanceError,
    StoryboardError,
    Suggestion,
)
from seedance.domain.models import MediaKind, Reference, Role, video_suffix
from seedance.services.account.gate import Allowance
from seedance.services.media import references, video
from seedance.services.runs.engine import Listener, Outcome, Stage, Unit
from seedance.services.runs.reruns import RerunMark
from seedance.services.runs.states import State
from seedance.services.runtime import Runtime
from seedance.services.storyboards.manifest import Manifest
from seedance.services.storyboards.plan import Action, Plan, ShotPlan
from seedance.services.videos import saving, tasks
from seedance.services.videos.prepare import Prepared, prepare_for
from seedance.services.videos.steps import Generated, Origin


class ShotWork:
    """The shots of one storyboard run, for the engine."""

    kind = "chain"
    noun = "shot"

    def __init__(
        self,
        rt: Runtime,
        plan: Plan,
        manifest: Manifest,
        out_dir: Path,
        allowance: Allowance | None = None,
    ) -> None:
        self.rt = rt
        self.plan = plan
        self.manifest = manifest
        self.out_dir = out_dir
        self.allowance = allowance  # the run's cap: reference videos by URL measured under it
        self.label = plan.label  # its name, not its folder: the same on every machine

    def clip_path(self, plan: ShotPlan) -> Path:
        return self.out_dir / f"{plan.shot.stem}{video_suffix(plan.shot.params.output_format)}"

    def frame_path(self, plan: ShotPlan) -> Path:
        return self.out_dir / f"{plan.shot.stem}.last.png"

    def units(self) -> tuple[list[Unit], dict[str, Outcome]]:
        """The shots to make, in the storyboard's order, and those an earlier run made."""
        units: list[Unit] = []
        settled: dict[str, Outcome] = {}
        for shot_id, plan in self.plan.shots.items():
            if plan.action is Action.SKIP:
                settled[shot_id] = Outcome(State.DONE)
                continue
            record = self.manifest.record(shot_id)
            known = record.task_id if plan.action is Action.POLL else None
            units.append(
                Unit(
                    shot_id,
                    self.clip_path(plan),
                    record.model or plan.prepared.request.model,
                    fresh=plan.fresh,
                    after=plan.shot.parent,
                    known_task=known,
                )
            )
        return units, settled

    def _plan(self, unit: Unit) -> ShotPlan:
        return self.plan.shots[unit.key]

    # -- the engine's questions ------------------------------------------------------------

    def request(self, unit: Unit, say: Listener) -> Prepared:
        plan = self._plan(unit)
        if plan.final_of:  # a final is complete at plan time: its content is its draft
            return plan.prepared
        frame = self._frame(plan, say) if plan.shot.parent else None
        board = self.plan.storyboard
        return prepare_for(
            self.rt,
            plan.shot.params,
            base_dir=board.path.parent,
            frame=frame,
            confine=board.confine,
            allowance=self.allowance,
            validate=self.plan.validate,
        )

    def identity(self, unit: Unit) -> str:
        return self._plan(unit).definition_hash

    def again(self, unit: Unit) -> Suggestion:
        """Running the storyboard again, making this shot (and what follows) anew."""
        return self.plan.again(self.out_dir, rerun=[unit.key])

    def resume(self) -> Suggestion:
        return self.plan.storyboard.again(self.out_dir)

    def made_from(self, unit: Unit) -> str | None:
        parent = self._plan(unit).shot.parent
        return self.manifest.record(parent).task_id if parent else None

    def rerun(self, unit: Unit) -> RerunMark | None:
        return self.manifest.record(unit.key).rerun

    def mark_rerun(self, unit: Unit, mark: RerunMark) -> None:
        self.manifest.rerun_started(unit.key, self.rt.clock.time(), mark)

    # -- what the engine tells -------------------------------------------------------------

    def submitted(self, unit: Unit, task_id: str, prepared: Prepared | None) -> None:
        plan = self._plan(unit)
        self.manifest.submitted(
            unit.key,
            self.rt.clock.time(),
            task_id=task_id,
            request_hash=plan.definition_hash,
            model=prepared.request.model if prepared is not None else unit.model or "",
            estimate=plan.estimate,
        )

    def failed(self, unit: Unit, code: str, message: str) -> None:
        self.manifest.failed(unit.key, self.rt.clock.time(), code=code, message=message)

    def errored(self, unit: Unit, error: SeedanceError) -> None:
        self.manifest.error(unit.key, self.rt.clock.time(), **error.record())

    def capped(self, unit: Unit, error: BudgetError) -> State:
        self.errored(unit, error)
        return State.ERROR

    def done(self, unit: Unit, prepared: Prepared | None, made: Generated) -> None:
        """The shot's last frame (from the API, or from its clip), then the manifest."""
        plan = self._plan(unit)
        task, clip = made.task, made.download
        frame_name = frame_sha = None
        if plan.wants_frame:
            frame = self.frame_path(plan)
            kept = made.origin is Origin.SAVED_BEFORE and frame.is_file()
            if not kept and task.last_frame_url:
                frame_sha = saving.save(self.rt, task, frame, what="last_frame").sha256
            elif not kept and video.available():
                video.extract_last_frame(Path(clip.path), frame)
            frame_name = frame.name if frame.exists() else None
        tokens = task.usage.completion_tokens if task.usage else None
        estimate = plan.estimate
        cost = None
        if tokens is not None and estimate is not None and estimate.price_per_million is not None:
            cost = tokens / 1_000_000 * estimate.price_per_million
        self.manifest.done(
            unit.key,
            self.rt.clock.time(),
            task_id=task.id,
            request_hash=plan.definition_hash,
            clip=Path(clip.path).name,
            sha256=clip.sha256,
            size=clip.bytes,
            frame=frame_name,
            frame_sha256=frame_sha,
            tokens=tokens,
            cost=cost,
            seed=task.seed,
            revised_prompt=task.revised_prompt,
        )

    def blocked(self, keys: Sequence[str]) -> None:
        self.manifest.blocked_many(keys, self.rt.clock.time())  # one write for all of them

    def settle(self) -> None:
        self.manifest.settle_reruns(self.rt.clock.time())

    # -- continuity --------------------------------------------------------------------------

    def _frame(self, plan: ShotPlan, say: Listener) -> Reference | None:
        """The parent's last frame in the role the plan chose (a first frame, or one more
        reference image), in a form the provider takes; None when the shot takes none."""
        parent_id = plan.shot.parent
        role = plan.frame_role
        if parent_id is None or role is None:
            return None
        if role is Role.REFERENCE_VIDEO:
            return self._video(plan, parent_id, say)
        parent = self.manifest.record(parent_id)
        source = f"last frame of '{parent_id}'"
        needs_assets = self.rt.capabilities.needs_assets
        if self.plan.frames_from_api and parent.task_id:
            try:
                url = tasks.get(self.rt, parent.task_id).last_frame_url
            except NotFoundError:  # the server let the task go; the local copy remains
                url = None
            if url:
                if needs_assets:
                    say(plan.shot.id, Stage.UPLOADING, source)
                    url = self._assets().asset_for_url(url, MediaKind.IMAGE)
                return Reference(role=role, url=url, source=source)
        path = self.out_dir / parent.frame if parent.frame else None
        if path is None or not path.exists():
            raise StoryboardError(
                f"the last frame of shot '{parent_id}' is missing",
                reason="remake_shot",
                suggestion=self.plan.again(self.out_dir, rerun=[parent_id]),
            )
        if needs_assets:
            say(plan.shot.id, Stage.UPLOADING, source)
            return Reference(
                role=role,
                source=source,
                url=self._assets().asset_for_file(path, MediaKind.IMAGE),
            )
        # the provider's own frame: its size is what the model made, so the upload rules for
        # people's images (a short side over 300 px) are not this client's to apply
        return Reference(role=role, url=references.local_image(path, check=False), source=source)

    def _video(self, plan: ShotPlan, parent_id: str, say: Listener) -> Reference:
        """The parent's video, for a shot that extends it: its task's result URL while the
        server still serves it, else the clip saved here (through the asset library)."""
        parent = self.manifest.record(parent_id)
        source = f"video of '{parent_id}'"
        clip = self.out_dir / parent.clip if parent.clip else None
        seconds = media.media_seconds(clip) if clip is not None and clip.is_file() else None
        needs_assets = self.rt.capabilities.needs_assets
        url = None
        if parent.task_id:
            try:
                url = tasks.get(self.rt, parent.task_id).video_url
            except NotFoundError:  # the server let the task go; the local copy remains
                url = None
        if url:
            if needs_assets:
                say(plan.shot.id, Stage.UPLOADING, source)
                url = self._assets().asset_for_url(url, MediaKind.VIDEO)
            return Reference(role=Role.REFERENCE_VIDEO, url=url, source=source, seconds=seconds)
        if clip is None or not clip.is_file():
            raise StoryboardError(
                f"the video of shot '{parent_id}' is missing",
                reason="remake_shot",
                suggestion=self.plan.again(self.out_dir, rerun=[parent_id]),
            )
        say(plan.shot.id, Stage.UPLOADING, source)
        asset = self._assets().asset_for_file(clip, MediaKind.VIDEO)
        return Reference(role=Role.REFERENCE_VIDEO, url=asset, source=source, seconds=seconds)

    def _assets(self) -> references.AssetResolver:
        library = self.rt.asset_resolver()
        if library is None:
            raise StoryboardError(
                f"profile '{self.rt.profile.name}' takes frames only as assets but has no "
                "asset library (assets_url)"
            )
        return library
