"""Running a storyboard: shots as a graph, each started the moment its parent's frame is ready,
at most `concurrency` at a time, every change written to the manifest first."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from seedance.domain.errors import NotFoundError, SeedanceError, StoryboardError, Suggestion
from seedance.domain.models import MediaKind, Reference, Role, Task
from seedance.services import crashpoints, references, video
from seedance.services.chain.manifest import Manifest
from seedance.services.chain.plan import Plan, ShotPlan
from seedance.services.client import Client
from seedance.services.polling import Stopped, Watch

Listener = Callable[[str, str, str], None]  # shot id, state, detail


@dataclass
class Outcome:
    state: str  # done | failed | error | blocked
    error: SeedanceError | None = None


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
        return self.out_dir / f"{plan.shot.stem}.mp4"

    def frame_path(self, plan: ShotPlan) -> Path:
        return self.out_dir / f"{plan.shot.stem}.last.png"

    # -- scheduling --------------------------------------------------------------------------

    def run(self) -> dict[str, Outcome]:
        board = self.plan.storyboard
        now = self.client.clock.time()
        for shot in board.shots:
            self.manifest.ensure(shot.id, shot.index, shot.parent)
        self.manifest.save(now)
        for shot_id, plan in self.plan.shots.items():
            if plan.action == "skip":
                self.outcomes[shot_id] = Outcome("done")
                self.on_event(shot_id, "done", "kept from an earlier run")
            else:
                parent = plan.shot.parent
                self.on_event(shot_id, "waiting", f"after {parent}" if parent else "")
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="shot") as pool:
            futures: dict[Future[Outcome], str] = {}

            def start(shot_id: str) -> None:
                futures[pool.submit(self._shot, self.plan.shots[shot_id])] = shot_id

            for shot_id, plan in self.plan.shots.items():
                parent = plan.shot.parent
                if plan.action != "skip" and (parent is None or self._done(parent)):
                    start(shot_id)
            try:
                while futures:
                    finished, _ = wait(futures, timeout=0.2, return_when=FIRST_COMPLETED)
                    for future in finished:
                        shot_id = futures.pop(future)
                        outcome = future.result()
                        self.outcomes[shot_id] = outcome
                        if outcome.state == "done":
                            for child in board.by_id[shot_id].children:
                                if self.plan.shots[child].action != "skip":
                                    start(child)
                        else:
                            self._block_descendants(shot_id)
            except (KeyboardInterrupt, Stopped):
                self.stop.set()
                for future in futures:
                    future.cancel()
                raise KeyboardInterrupt from None
        return self.outcomes

    def _done(self, shot_id: str) -> bool:
        return shot_id in self.outcomes and self.outcomes[shot_id].state == "done"

    def _block_descendants(self, shot_id: str) -> None:
        now = self.client.clock.time()
        for child in self.plan.storyboard.descendants(shot_id):
            self.outcomes[child] = Outcome("blocked")
            self.manifest.update(child, now, state="blocked")
            self.on_event(child, "blocked", shot_id)

    # -- one shot ----------------------------------------------------------------------------

    def _shot(self, plan: ShotPlan) -> Outcome:
        with self._lock:
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        try:
            return self._make(plan)
        except Stopped:
            return Outcome("error")
        except OSError as exc:  # the disk, not the service: say which file
            error = SeedanceError(
                f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
                code="os_error",
                hint="fix the path, then run the same command again",
            )
            return self._failed_with(plan, error)
        except SeedanceError as exc:
            return self._failed_with(plan, exc)
        finally:
            with self._lock:
                self.active -= 1

    def _failed_with(self, plan: ShotPlan, exc: SeedanceError) -> Outcome:
        self.manifest.update(
            plan.shot.id,
            self.client.clock.time(),
            state="error",
            error={"code": exc.code, "message": str(exc)},
        )
        self.on_event(plan.shot.id, "error", str(exc))
        return Outcome("error", exc)

    def _make(self, plan: ShotPlan) -> Outcome:
        shot_id = plan.shot.id
        record = self.manifest.record(shot_id)
        clock = self.client.clock
        if plan.action == "poll" and record.task_id:
            task_id, just_created = record.task_id, False
        else:
            frame = self._frame(plan) if plan.shot.parent else None
            self.on_event(shot_id, "submitting", "")
            prepared = self.client.prepare(
                plan.shot.params, base_dir=self.plan.storyboard.path.parent, frame=frame
            )
            prepared.request_hash = plan.definition_hash  # frame URLs change from run to run
            clip = str(self.clip_path(plan).resolve())
            earlier = None
            if not plan.fresh:  # a create of this shot that a crash or lost answer interrupted
                earlier = self.client.resumable(
                    prepared, clip, again=Suggestion.again(rerun=shot_id)
                )
            if earlier is not None and earlier.task_id:
                task_id, just_created = earlier.task_id, False
            else:
                task_id = self.client.create(prepared, output_path=clip).id
                just_created = True
            estimate = plan.estimate
            self.manifest.update(
                shot_id,
                clock.time(),
                state="submitted",
                task_id=task_id,
                request_hash=plan.definition_hash,
                model=prepared.request.model,
                estimated_tokens=estimate.tokens if estimate else None,
                estimated_cost=estimate.cost if estimate else None,
                currency=estimate.currency if estimate else None,
                submitted_at=clock.time(),
                error=None,
            )
            crashpoints.reached("chain-submitted")

        def listen(watch: Watch) -> None:
            if watch.task is not None:
                status = watch.task.status.value
                progress = f"{watch.task.progress}%" if watch.task.progress is not None else ""
                self.on_event(shot_id, status, progress)

        watch = self.client.wait(
            [task_id], on_update=listen, just_created=just_created, stop=self.stop
        )[0]
        if isinstance(watch.error, NotFoundError) and not just_created:
            raise StoryboardError(
                f"the task {task_id} of shot '{shot_id}' is gone from the server",
                hint=f"make the shot again with --rerun {shot_id}",
            )
        if watch.error is not None:
            raise watch.error
        task = watch.task
        assert task is not None
        if task.status.is_failure:
            error = {
                "code": task.error.code if task.error else task.status.value,
                "message": task.error.message if task.error else "",
            }
            self.manifest.update(
                shot_id, clock.time(), state="failed", error=error, finished_at=clock.time()
            )
            self.on_event(shot_id, "failed", f"{error['code']}: {error['message']}")
            return Outcome("failed")
        self._save(plan, task)
        return Outcome("done")

    def _save(self, plan: ShotPlan, task: Task) -> None:
        shot_id = plan.shot.id
        clock = self.client.clock
        self.on_event(shot_id, "downloading", "")
        clip = self.client.download(task, self.clip_path(plan), on_progress=self._check_stop)
        frame_name = frame_sha = None
        if plan.wants_frame:
            frame = self.frame_path(plan)
            if task.last_frame_url:
                frame_sha = self.client.download(task, frame, what="last_frame").sha256
            elif video.available():
                video.extract_last_frame(Path(clip.path), frame)
            frame_name = frame.name if frame.exists() else None
        tokens = task.usage.completion_tokens if task.usage else None
        estimate = plan.estimate
        cost = None
        if tokens is not None and estimate is not None and estimate.price_per_million is not None:
            cost = tokens / 1_000_000 * estimate.price_per_million
        self.manifest.update(
            shot_id,
            clock.time(),
            state="done",
            task_id=task.id,
            clip=Path(clip.path).name,
            sha256=clip.sha256,
            bytes=clip.bytes,
            frame=frame_name,
            frame_sha256=frame_sha,
            tokens=tokens,
            cost=cost,
            finished_at=clock.time(),
            error=None,
            request_hash=self.manifest.record(shot_id).request_hash or plan.definition_hash,
        )
        self.on_event(shot_id, "done", "")

    def _check_stop(self, _done: int, _total: int | None) -> None:
        if self.stop.is_set():
            raise Stopped

    def _frame(self, plan: ShotPlan) -> Reference:
        """The parent's last frame as this shot's first frame, in a form the provider takes."""
        parent_id = plan.shot.parent
        assert parent_id is not None
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
                    self.on_event(plan.shot.id, "uploading", source)
                    url = self._assets().asset_for_url(url, MediaKind.IMAGE)
                return Reference(role=Role.FIRST_FRAME, url=url, source=source)
        path = self.out_dir / parent.frame if parent.frame else None
        if path is None or not path.exists():
            raise StoryboardError(
                f"the last frame of shot '{parent_id}' is missing",
                hint=f"make that shot again with --rerun {parent_id}",
            )
        if needs_assets:
            self.on_event(plan.shot.id, "uploading", source)
            return Reference(
                role=Role.FIRST_FRAME,
                source=source,
                url=self._assets().asset_for_file(path, MediaKind.IMAGE),
            )
        return Reference(role=Role.FIRST_FRAME, url=references.local_image(path), source=source)

    def _assets(self) -> references.AssetResolver:
        library = self.client.asset_resolver()
        if library is None:
            raise StoryboardError(
                f"profile '{self.client.profile.name}' takes frames only as assets but has no "
                "asset library (assets_url)"
            )
        return library
