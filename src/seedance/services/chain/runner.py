"""Running a storyboard: shots as a graph, each started the moment its parent's frame is ready,
at most `concurrency` at a time, every change written to the manifest first."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from seedance.domain.errors import (
    APIError,
    NotFoundError,
    SeedanceError,
    StoryboardError,
    Suggestion,
    TaskFailedError,
)
from seedance.domain.models import MediaKind, Reference, TaskStatus, video_suffix
from seedance.services import crashpoints, references, reruns, takes, video
from seedance.services.chain.manifest import Manifest, ShotState
from seedance.services.chain.plan import Action, Plan, ShotPlan
from seedance.services.client import Client, disk_failure
from seedance.services.generate import Generated, Origin, Step, with_hash
from seedance.services.polling import Stopped, Watch


class Stage(StrEnum):
    """What the runner is doing with a shot, between the states it records."""

    WAITING = "waiting"  # for a free slot, or for the shot it starts from
    SUBMITTING = "submitting"
    UPLOADING = "uploading"  # the last frame it starts from, to the asset library
    DOWNLOADING = "downloading"


FOUND = "found the task of the interrupted create"
RESULT_EXPIRED = "result_expired"  # services/downloads.py: a result URL refused for good

# shot id, what is happening to it (its state, its task's status, or a stage), a detail
Listener = Callable[[str, ShotState | TaskStatus | Stage, str], None]


@dataclass(frozen=True)
class Outcome:
    state: ShotState  # DONE, FAILED, ERROR or BLOCKED
    error: SeedanceError | None = None


def next_finished(
    finished: queue.SimpleQueue[Future[Outcome]], timeout: float
) -> Future[Outcome] | None:
    """The next shot's future to finish, or None after `timeout` seconds (so that Ctrl-C is
    noticed): O(1) however many shots are under way, where `wait()` on every pending future
    is O(pending) at each finish."""
    try:
        return finished.get(timeout=timeout)
    except queue.Empty:
        return None


class ChainRunner:
    def __init__(
        self,
        client: Client,
        plan: Plan,
        manifest: Manifest,
        out_dir: Path,
        *,
        concurrency: int,
        on_event: Listener | None = None,
    ) -> None:
        self.client = client
        self.plan = plan
        self.manifest = manifest
        self.out_dir = out_dir
        self.concurrency = max(1, concurrency)
        self.on_event = on_event or (lambda *_: None)
        self.stop = threading.Event()
        self.outcomes: dict[str, Outcome] = {}
        self.active = 0
        self.most_active = 0
        self._lock = threading.Lock()

    def clip_path(self, plan: ShotPlan) -> Path:
        return self.out_dir / f"{plan.shot.stem}{video_suffix(plan.shot.params.output_format)}"

    def frame_path(self, plan: ShotPlan) -> Path:
        return self.out_dir / f"{plan.shot.stem}.last.png"

    # -- scheduling --------------------------------------------------------------------------

    def run(self) -> dict[str, Outcome]:
        """Every shot to make, each started once its parent is done; the manifest is whole on
        disk when it returns, however it ends."""
        try:
            return self._run()
        finally:
            self._flush()

    def _flush(self) -> None:
        with contextlib.suppress(OSError):  # the log still holds every change: readers replay it
            self.manifest.flush()

    def _run(self) -> dict[str, Outcome]:
        board = self.plan.storyboard
        now = self.client.clock.time()
        self.manifest.ensure_all(board.shots)
        self.manifest.save(now)
        for shot_id, plan in self.plan.shots.items():
            if plan.action is Action.SKIP:
                self.outcomes[shot_id] = Outcome(ShotState.DONE)
                self.on_event(shot_id, ShotState.DONE, "kept from an earlier run")
            else:
                parent = plan.shot.parent
                self.on_event(shot_id, Stage.WAITING, f"after {parent}" if parent else "")
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="shot") as pool:
            futures: dict[Future[Outcome], str] = {}
            finished: queue.SimpleQueue[Future[Outcome]] = queue.SimpleQueue()

            def start(shot_id: str) -> None:
                future = pool.submit(self._shot, self.plan.shots[shot_id])
                futures[future] = shot_id
                future.add_done_callback(finished.put)

            for shot_id, plan in self.plan.shots.items():
                parent = plan.shot.parent
                if plan.action is not Action.SKIP and (parent is None or self._done(parent)):
                    start(shot_id)
            try:
                while futures:
                    future = next_finished(finished, timeout=0.2)
                    if future is None:
                        continue
                    shot_id = futures.pop(future)
                    outcome = future.result()
                    self.outcomes[shot_id] = outcome
                    if outcome.state is ShotState.DONE:
                        for child in board.by_id[shot_id].children:
                            if self.plan.shots[child].action is not Action.SKIP:
                                start(child)
                    else:
                        self._block_descendants(shot_id)
            except (KeyboardInterrupt, Stopped):
                self.stop.set()
                for future in futures:
                    future.cancel()
                raise KeyboardInterrupt from None
        self.manifest.settle_reruns(self.client.clock.time())
        return self.outcomes

    def _done(self, shot_id: str) -> bool:
        return shot_id in self.outcomes and self.outcomes[shot_id].state is ShotState.DONE

    def _block_descendants(self, shot_id: str) -> None:
        now = self.client.clock.time()
        below = self.plan.storyboard.descendants(shot_id)
        self.manifest.blocked_many(below, now)  # one write for all of them
        for child in below:
            self.outcomes[child] = Outcome(ShotState.BLOCKED)
            self.on_event(child, ShotState.BLOCKED, shot_id)

    # -- one shot ----------------------------------------------------------------------------

    def _shot(self, plan: ShotPlan) -> Outcome:
        with self._lock:
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        try:
            return self._make(plan)
        except Stopped:
            return Outcome(ShotState.ERROR)
        except OSError as exc:  # the disk, not the service: say which file
            error = disk_failure(exc, self._resume())
            return self._failed_with(plan, error)
        except SeedanceError as exc:
            return self._failed_with(plan, exc)
        finally:
            with self._lock:
                self.active -= 1

    def _failed_with(self, plan: ShotPlan, exc: SeedanceError) -> Outcome:
        self.manifest.error(plan.shot.id, self.client.clock.time(), code=exc.code, message=str(exc))
        self.on_event(plan.shot.id, ShotState.ERROR, str(exc))
        return Outcome(ShotState.ERROR, exc)

    def _make(self, plan: ShotPlan) -> Outcome:
        """One shot through `Client.generate`: its task made (or resumed, or found), waited
        for, its clip saved and verified; then its last frame and the manifest."""
        shot_id = plan.shot.id
        record = self.manifest.record(shot_id)
        known = record.task_id if plan.action is Action.POLL else None
        model = record.model or plan.prepared.request.model

        def listen(watch: Watch) -> None:
            if watch.task is not None:
                progress = f"{watch.task.progress}%" if watch.task.progress is not None else ""
                self.on_event(shot_id, watch.task.status, progress)

        def step(step: Step, detail: str) -> None:
            if step in (Step.CREATED, Step.RESUMING, Step.FOUND) and detail != known:
                self.manifest.submitted(
                    shot_id,
                    self.client.clock.time(),
                    task_id=detail,
                    request_hash=plan.definition_hash,
                    model=model,
                    estimate=plan.estimate,
                )
                crashpoints.reached("chain-submitted")
                if step is Step.FOUND:
                    self.on_event(shot_id, Stage.SUBMITTING, FOUND)
            elif step is Step.DOWNLOADING:
                takes.shelve(self.clip_path(plan))  # an earlier take keeps its file
                self.on_event(shot_id, Stage.DOWNLOADING, "")
            elif step is Step.LOOKING:
                self.on_event(shot_id, Stage.SUBMITTING, detail)

        settings: dict[str, Any] = {
            "output": self.clip_path(plan),
            "overwrite": True,  # the run's own folder: a clip there is an earlier run's
            "again": self._again(shot_id),
            "on_step": step,
            "on_update": listen,
            "on_progress": self._check_stop,
            "stop": self.stop,
            "label": f"storyboard:{self.out_dir.resolve()}",  # the ledger's group
        }
        try:
            if known:
                made = self.client.generate(task_id=known, **settings)
            else:
                self.on_event(shot_id, Stage.SUBMITTING, "")
                if plan.final_of:  # a final is complete at plan time: its content is its draft
                    prepared = plan.prepared
                else:
                    frame = self._frame(plan) if plan.shot.parent else None
                    prepared = self.client.prepare(
                        plan.shot.params, base_dir=self.plan.storyboard.path.parent, frame=frame
                    )
                model = prepared.request.model
                # frame URLs change from run to run: the shot's definition identifies its create
                prepared = with_hash(prepared, plan.definition_hash)
                output = self.clip_path(plan)
                new = plan.fresh and self._anew(plan, output)
                made = self.client.generate(prepared, new=new, **settings)
        except TaskFailedError as exc:
            task = exc.task
            code = task.error.code if task and task.error else exc.code
            message = task.error.message if task and task.error else ""
            self.manifest.failed(shot_id, self.client.clock.time(), code=code, message=message)
            self.on_event(shot_id, ShotState.FAILED, f"{code}: {message}")
            return Outcome(ShotState.FAILED)
        except NotFoundError:
            if not known:
                raise
            raise StoryboardError(
                f"the task {known} of shot '{shot_id}' is gone from the server",
                hint="make the shot again",
                suggestion=self._again(shot_id),
            ) from None
        except APIError as exc:
            if not known or exc.code != RESULT_EXPIRED:
                raise
            raise APIError(
                f"the clip of shot '{shot_id}' must be saved again (the one on disk is not its "
                f"video), but the result of its task {known} has expired",
                code=RESULT_EXPIRED,
                hint="it is not made again unless you ask: that is billed anew; make it with",
                suggestion=self._again(shot_id),
            ) from None
        self._save(plan, made)
        return Outcome(ShotState.DONE)

    def _anew(self, plan: ShotPlan, output: Path) -> bool:
        """Whether a shot made again on purpose still needs its create: the rerun is marked
        in the manifest (with the create it replaces, and the parent's take it continues
        from) before it is sent, so the same command run again after an interruption follows
        the task it made (services/reruns.py). A mark made while the parent was another take
        (an interrupted rerun of this shot, before its parent was made anew) is replaced."""
        shot_id, request_hash = plan.shot.id, plan.definition_hash
        journal, profile = self.client.journal, self.client.profile.name
        parent = plan.shot.parent
        made_from = self.manifest.record(parent).task_id if parent else None
        rerun = self.manifest.record(shot_id).rerun
        if rerun is None or rerun.made_from_other(made_from):
            rerun = reruns.mark(journal, profile, request_hash, output, made_from=made_from)
            self.manifest.rerun_started(shot_id, self.client.clock.time(), rerun)
        return reruns.makes_anew(journal, profile, request_hash, output, rerun)

    def _again(self, shot_id: str) -> Suggestion:
        """Running the storyboard again, making this shot (and what follows) anew."""
        return self.plan.again(self.out_dir, rerun=[shot_id])

    def _resume(self) -> Suggestion:
        """Running the storyboard again as it is."""
        return self.plan.storyboard.again(self.out_dir)

    def _save(self, plan: ShotPlan, made: Generated) -> None:
        """The shot's last frame (from the API, or from its clip), then the manifest."""
        shot_id = plan.shot.id
        task, clip = made.task, made.download
        frame_name = frame_sha = None
        if plan.wants_frame:
            frame = self.frame_path(plan)
            kept = made.origin is Origin.SAVED_BEFORE and frame.is_file()
            if not kept and task.last_frame_url:
                frame_sha = self.client.download(task, frame, what="last_frame").sha256
            elif not kept and video.available():
                video.extract_last_frame(Path(clip.path), frame)
            frame_name = frame.name if frame.exists() else None
        tokens = task.usage.completion_tokens if task.usage else None
        estimate = plan.estimate
        cost = None
        if tokens is not None and estimate is not None and estimate.price_per_million is not None:
            cost = tokens / 1_000_000 * estimate.price_per_million
        self.manifest.done(
            shot_id,
            self.client.clock.time(),
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
        )
        self.on_event(shot_id, ShotState.DONE, "")

    def _check_stop(self, _done: int, _total: int | None) -> None:
        if self.stop.is_set():
            raise Stopped

    def _frame(self, plan: ShotPlan) -> Reference | None:
        """The parent's last frame in the role the plan chose (a first frame, or one more
        reference image), in a form the provider takes; None when the shot takes none."""
        parent_id = plan.shot.parent
        role = plan.frame_role
        if parent_id is None or role is None:
            return None
        parent = self.manifest.record(parent_id)
        source = f"last frame of '{parent_id}'"
        needs_assets = self.client.capabilities.needs_assets
        if self.plan.frames_from_api and parent.task_id:
            try:
                url = self.client.get(parent.task_id).last_frame_url
            except NotFoundError:  # the server let the task go; the local copy remains
                url = None
            if url:
                if needs_assets:
                    self.on_event(plan.shot.id, Stage.UPLOADING, source)
                    url = self._assets().asset_for_url(url, MediaKind.IMAGE)
                return Reference(role=role, url=url, source=source)
        path = self.out_dir / parent.frame if parent.frame else None
        if path is None or not path.exists():
            raise StoryboardError(
                f"the last frame of shot '{parent_id}' is missing",
                hint="make that shot again",
                suggestion=self._again(parent_id),
            )
        if needs_assets:
            self.on_event(plan.shot.id, Stage.UPLOADING, source)
            return Reference(
                role=role,
                source=source,
                url=self._assets().asset_for_file(path, MediaKind.IMAGE),
            )
        # the provider's own frame: its size is what the model made, so the upload rules for
        # people's images (a short side over 300 px) are not this client's to apply
        return Reference(role=role, url=references.local_image(path, check=False), source=source)

    def _assets(self) -> references.AssetResolver:
        library = self.client.asset_resolver()
        if library is None:
            raise StoryboardError(
                f"profile '{self.client.profile.name}' takes frames only as assets but has no "
                "asset library (assets_url)"
            )
        return library
