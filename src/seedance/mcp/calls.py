"""What each tool does: a thin call into `seedance.Client`, run in a worker thread.

Every call gets its own client (its own spending allowance: a call is a run) and returns a
`Reply`; an error becomes an error reply, never an exception. Waits are bounded by the call's
timeout (tools.DEFAULT_WAIT) so a call returns before the host gives up on it; what still
runs keeps running on the server, and the journal lets the next call go on from there. A
video saved comes back with its poster and contact sheet as pictures (the `video` extra).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedance.domain import params as declared
from seedance.domain.clock import Clock
from seedance.domain.errors import (
    NotFoundError,
    SeedanceError,
    TaskFailedError,
    UsageError,
    WaitTimeoutError,
)
from seedance.domain.models import DownloadResult, GenerationParams, Task, TaskStatus
from seedance.domain.paths import default_config_dir, default_data_dir
from seedance.domain.profiles import Profile, ProfileStore
from seedance.mcp import policy
from seedance.mcp.replies import Picture, Reply, entry_json, error_reply, task_json
from seedance.mcp.tools import DEFAULT_WAIT
from seedance.mcp.turns import TurnClock
from seedance.services import crashpoints, frames
from seedance.services.client import Client, failure_text, task_outcome
from seedance.services.generate import Origin, Step
from seedance.services.polling import Stopped, Watch
from seedance.services.prepare import redact_body

log = logging.getLogger("seedance.mcp")

STORYBOARDS = "mcp-storyboards"  # in the data dir: storyboards given as text


@dataclass(frozen=True)
class Settings:
    """The server's: its profile, environment, folders and clock."""

    profile: str | None  # as given (-p, SEEDANCE_PROFILE); None: the default profile
    environ: Mapping[str, str]
    cwd: Path
    output_dir: Path  # where videos go when a call names no output
    clock: Clock


@dataclass(eq=False)
class Call:
    """One tool call's plumbing: progress to report, and a stop (the call was cancelled, or
    the server is going away)."""

    progress: Callable[[str], None] = lambda _text: None
    stop: threading.Event = field(default_factory=threading.Event)
    cancelled: bool = False  # the client cancelled it (or went away): `stop` is set too
    notes: list[str] = field(default_factory=list)  # the library's notices, said once
    default_cap: policy.DefaultCap | None = None  # the cap applied, when the server's own

    def cancel(self) -> None:
        self.cancelled = True
        self.stop.set()


class Calls:
    """The tools' work, one method per tool."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = ProfileStore(default_config_dir(settings.environ))

    @property
    def data_dir(self) -> Path:
        return default_data_dir(self.settings.environ)

    def profile(self) -> Profile:
        return self.store.select(self.settings.profile, self.settings.environ)

    def run(self, tool: str, call: Call, arguments: dict[str, Any]) -> Reply:
        """The tool's reply; every failure an error reply (with its facts)."""
        try:
            reply: Reply = getattr(self, tool)(call, arguments)
        except SeedanceError as exc:
            note = None
            if call.default_cap is not None and exc.field == "max_cost":
                note = f"a call without max_cost may spend {call.default_cap.describe()}"
            reply = error_reply(exc, tool, arguments, note)
        except Stopped:
            reply = Reply(
                {"error": {"code": "interrupted", "message": "the call was stopped"}},
                "stopped; whatever runs on the server keeps running",
                error=True,
            )
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            error = SeedanceError(f"{exc.strerror or exc}{where}", code="os_error")
            reply = error_reply(error, tool, arguments)
        except Exception as exc:
            log.exception("%s failed", tool)
            error = SeedanceError(f"internal error: {type(exc).__name__}: {exc}", code="internal")
            reply = error_reply(error, tool, arguments)
        if call.notes:
            reply.document.setdefault("notes", list(dict.fromkeys(call.notes)))
        return reply.safe()

    @contextmanager
    def client(
        self, call: Call, *, offline: bool = False, clock: Clock | None = None
    ) -> Iterator[Client]:
        client = Client.for_profile(
            self.profile(),
            environ=self.settings.environ,
            data_dir=self.data_dir,
            clock=clock or self.settings.clock,
            store=self.store,
            notify=call.notes.append,
            warn=call.notes.append,
            offline=offline,
        )
        try:
            yield client
        finally:
            client.close()

    def path(self, given: str) -> Path:
        """A path the agent gave, from the server's working directory."""
        path = Path(given).expanduser()
        return path if path.is_absolute() else self.settings.cwd / path

    def output_dir(self) -> Path:
        self.settings.output_dir.mkdir(parents=True, exist_ok=True)
        return self.settings.output_dir

    # -- making videos -----------------------------------------------------------------------

    def create_video(self, call: Call, args: dict[str, Any]) -> Reply:
        timeout = budget(args.get("timeout"))
        request = {p.name: args.get(p.name) for p in declared.REQUEST}
        for many in ("images", "videos", "audios"):
            request[many] = request[many] or []
        request["draft"] = request["draft"] or None
        frame = args.get("last_frame_output")
        request["return_last_frame"] = (request["return_last_frame"] or frame is not None) or None
        dry_run = bool(args.get("dry_run"))
        with self.client(call, offline=dry_run) as client:
            self.cap(client, call, args)
            prepared = client.prepare(
                GenerationParams(**request),
                validate=not args.get("no_validate"),
                dry_run=dry_run,
                base_dir=self.settings.cwd,
                strict=bool(args.get("strict")),
            )
            estimate = prepared.estimate.describe() if prepared.estimate else "price unknown"
            if dry_run:
                document = {"estimate": estimate, "request": redact_body(prepared.body)}
                return Reply(document, f"estimate: {estimate}; nothing was sent")
            request_id = args.get("request_id") or f"v-{uuid.uuid4().hex[:12]}"
            suffix = ".mov" if prepared.request.output_format == "mov" else ".mp4"
            given = args.get("output")
            dest = self.path(given) if given else self.output_dir() / f"{request_id}{suffix}"
            waits = bool(args.get("wait") or given or frame is not None)
            follow = Follow(call, stop_once_created=not waits)
            try:
                made = client.generate(
                    prepared,
                    output=dest,
                    last_frame_output=self.path(frame) if frame else None,
                    timeout=timeout,
                    request_id=request_id,
                    on_step=follow.step,
                    on_update=follow.update,
                    on_progress=follow.download,
                    stop=follow.stop,
                )
            except Stopped:
                if not follow.created or call.stop.is_set():
                    raise
                return self.running(client.get(follow.created), request_id=request_id)
            except WaitTimeoutError as exc:
                return self.running(exc.task, request_id=request_id, task_id=follow.created)
            reply = self.saved(made.task, made.video, origin=made.origin)
            reply.document.update(request_id=request_id, estimate=estimate)
            if made.last_frame is not None:
                reply.document["last_frame"] = made.last_frame.path
            return reply

    def cap(self, client: Client, call: Call, args: dict[str, Any]) -> float | None:
        """The call's spending cap (policy.py), applied to its client's creates."""
        cap, default = policy.cap_for(client.profile, args.get("max_cost"))
        if default:
            call.default_cap = policy.default_cap(client.profile)
        client.cap_spending(cap, allow_unpriced=bool(args.get("allow_unpriced")))
        return cap

    def running(
        self, task: Task | None, *, request_id: str | None = None, task_id: str | None = None
    ) -> Reply:
        """A task that has not finished yet: where it stands, and the call that goes on."""
        ident = task.id if task is not None else task_id or ""
        state = task.status.value if task is not None else "not seen yet"
        if task is not None and task.progress is not None and not task.status.is_terminal:
            state += f" ({task.progress}%)"
        step = {"tool": "wait_for_tasks", "arguments": {"task_ids": [ident]}}
        document: dict[str, Any] = {
            "task": task_json(task) if task is not None else {"id": ident},
            "next": step,
        }
        if request_id is not None:
            document["request_id"] = request_id
        text = (
            f"task {ident} is {state}; it keeps running on the server: call wait_for_tasks "
            f'with task_ids=["{ident}"] to wait for it and save its video'
        )
        return Reply(document, text)

    def saved(self, task: Task, video: DownloadResult, *, origin: Origin | None = None) -> Reply:
        """A saved video: its task, its file, and its poster and contact sheet to look at."""
        clip = Path(video.path)
        document: dict[str, Any] = {
            "task": task_json(task),
            "video": video.model_dump(),
        }
        if origin is not None:
            document["origin"] = origin.value
        pictures, stills = look_at(clip)
        document.update(stills)
        before = " (saved earlier for this request)" if origin is Origin.SAVED_BEFORE else ""
        text = f"task {task.id} succeeded; video saved at {clip}{before}"
        return Reply(document, text, pictures)

    def wait_for_tasks(self, call: Call, args: dict[str, Any]) -> Reply:
        ids = list(dict.fromkeys(args["task_ids"]))
        timeout = budget(args.get("timeout"))
        output = self.path(args["output"]) if args.get("output") else None
        if output is not None and len(ids) > 1 and not output.is_dir():
            raise UsageError(
                f"{output} is not a directory",
                hint="with several tasks, output names a directory",
                field="output",
            )
        replies: list[Reply] = []
        with self.client(call) as client:
            follow = Follow(call)
            watches = client.wait(ids, timeout=timeout, on_update=follow.update, stop=call.stop)
            for watch in watches:
                replies.append(self._delivered(client, call, watch, output, args))
        if len(replies) == 1:
            return replies[0]
        document = {"tasks": [r.document for r in replies]}
        text = "\n".join(r.text for r in replies)
        pictures = [p for r in replies for p in r.pictures]
        return Reply(document, text, pictures, error=any(r.error for r in replies))

    def _delivered(
        self, client: Client, call: Call, watch: Watch, output: Path | None, args: dict[str, Any]
    ) -> Reply:
        """A waited task: its video saved (where its create said), its state, or its error."""
        try:
            task = task_outcome(watch)
        except WaitTimeoutError as exc:
            return self.running(exc.task, task_id=watch.task_id)
        except SeedanceError as exc:
            reply = error_reply(exc, "wait_for_tasks", {**args, "task_ids": [watch.task_id]})
            reply.document["task"] = task_json(watch.task) if watch.task else watch.task_id
            return reply
        entry = client.journal.find(task.id)
        dest = output or (Path(entry.output_path) if entry and entry.output_path else None)
        follow = Follow(call)
        made = client.generate(
            task_id=task.id,
            output=dest or self.output_dir(),
            on_step=follow.step,
            on_progress=follow.download,
            stop=call.stop,
        )
        return self.saved(made.task, made.video, origin=made.origin)

    def download_video(self, call: Call, args: dict[str, Any]) -> Reply:
        task_id = args["task_id"]
        dest = self.path(args["output"]) if args.get("output") else self.output_dir()
        if dest.is_dir():
            dest = dest / f"{task_id}.mp4"
        frame = args.get("last_frame")
        frame_dest = None
        if frame is not None:
            frame_dest = self.path(frame) if frame else dest.with_name(dest.stem + ".last.png")
        with self.client(call) as client:
            task = client.get(task_id)
            if not task.status.is_terminal:
                return self.running(task)
            if task.status.is_failure:
                code = task.error.code if task.error else None
                raise TaskFailedError(failure_text(task), code=code, task=task)
            follow = Follow(call)
            made = client.generate(
                task_id=task_id,
                output=dest,
                last_frame_output=frame_dest,
                overwrite=bool(args.get("force")),
                on_step=follow.step,
                on_progress=follow.download,
                stop=call.stop,
            )
        reply = self.saved(made.task, made.video, origin=made.origin)
        if made.last_frame is not None:
            reply.document["last_frame"] = made.last_frame.path
        return reply

    # -- tasks -------------------------------------------------------------------------------

    def get_task(self, call: Call, args: dict[str, Any]) -> Reply:
        task_id = args["task_id"]
        with self.client(call) as client:
            entry = client.journal.find(task_id)
            try:
                task = client.get(task_id)
            except NotFoundError:
                if entry is None:
                    raise
                text = f"the server no longer knows task {task_id}; the local journal has it"
                return Reply({"journal": entry_json(entry)}, text)
        document: dict[str, Any] = {"task": task_json(task)}
        if entry is not None and (entry.saved_path or entry.output_path):
            document["output"] = entry.saved_path or entry.output_path
        state = task.status.value
        if task.progress is not None and not task.status.is_terminal:
            state += f" ({task.progress}%)"
        return Reply(document, f"task {task_id} is {state}")

    def cancel_task(self, call: Call, args: dict[str, Any]) -> Reply:
        results: list[dict[str, Any]] = []
        failed = False
        with self.client(call) as client:
            for task_id in dict.fromkeys(args["task_ids"]):
                try:
                    outcome = client.cancel(task_id, force=bool(args.get("force")))
                except SeedanceError as exc:
                    failed = True
                    reply = error_reply(exc, "cancel_task", {**args, "task_ids": [task_id]})
                    results.append({"id": task_id, **reply.document, "text": reply.text})
                    continue
                results.append({"id": task_id, "result": outcome})
        text = "; ".join(f"{r['id']}: {r.get('result') or r['text']}" for r in results)
        return Reply({"results": results}, text, error=failed)

    def list_tasks(self, call: Call, args: dict[str, Any]) -> Reply:
        status, model, limit = args.get("status"), args.get("model"), args.get("limit")
        if args.get("unsaved") or args.get("local"):
            with self.client(call, offline=True) as client:
                mine = self.settings.profile or self.settings.environ.get("SEEDANCE_PROFILE")
                if args.get("unsaved"):
                    entries = client.journal.unsaved(mine)[: limit or 50]
                else:
                    entries = client.journal.entries(
                        profile=mine,
                        status=TaskStatus(status) if status else None,
                        model=model,
                        limit=limit or 50,
                    )
            listed = [entry_json(e) for e in entries]
            return Reply({"entries": listed}, f"{len(listed)} creates in the local journal")
        page, size = args.get("page") or 1, args.get("page_size") or 20
        with self.client(call) as client:
            found = client.list_tasks(
                status=status, model=model, page=page, page_size=min(limit, 500) if limit else size
            )
        items = found.items[:limit] if limit else found.items
        document = {"items": [task_json(t) for t in items], "total": found.total}
        return Reply(
            document, f"{len(items)} tasks" + (f" of {found.total}" if found.total else "")
        )

    # -- storyboards -------------------------------------------------------------------------

    def storyboard(self, given: str) -> Path:
        """A storyboard's file: the path given, or the TOML text kept in the data dir (named
        by its content, so the same text runs into the same folder and resumes there)."""
        if "\n" not in given:
            return self.path(given)
        digest = hashlib.sha256(given.encode()).hexdigest()[:16]
        path = self.data_dir / STORYBOARDS / f"storyboard-{digest}.toml"
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_text(given, "utf-8")
            os.replace(tmp, path)
        return path

    def _chain_options(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "output": self.path(args["output"]) if args.get("output") else None,
            "restart": bool(args.get("restart")),
            "rerun": args.get("rerun") or [],
            "concat": bool(args.get("concat")),
            "draft": bool(args.get("draft")),
            "finalize": bool(args.get("finalize")),
            "allow_unpriced": bool(args.get("allow_unpriced")),
            "strict": bool(args.get("strict")),
        }

    def plan_storyboard(self, call: Call, args: dict[str, Any]) -> Reply:
        path = self.storyboard(args["storyboard"])
        with self.client(call, offline=not args.get("finalize")) as client:
            session = client.open_chain(
                path, max_cost=args.get("max_cost"), dry_run=True, **self._chain_options(args)
            )
            cap, _default = policy.cap_for(client.profile, args.get("max_cost"))
        plan = session.plan.to_json()
        for shot in plan["shots"]:
            shot["request"] = redact_body(shot["request"])
        plan["directory"] = str(session.directory)
        plan["spending_cap"] = cap
        text = f"{session.plan.describe_total()}; nothing was sent"
        return Reply(plan, text)

    def run_storyboard(self, call: Call, args: dict[str, Any]) -> Reply:
        from seedance.services.chain.session import ChainIncomplete, ChainResult

        path = self.storyboard(args["storyboard"])
        turn = TurnClock(self.settings.clock, budget(args.get("timeout")), call.stop)
        with self.client(call, clock=turn) as client:
            cap = self.cap(client, call, args)
            session = client.open_chain(path, max_cost=cap, **self._chain_options(args))

            def event(shot_id: str, state: str, detail: str) -> None:
                call.progress(f"{shot_id}: {state} {detail}".rstrip())

            incomplete: ChainIncomplete | None = None
            try:
                result: ChainResult = session.run(
                    concurrency=args.get("concurrency") or 2,
                    concat=bool(args.get("concat")),
                    on_event=event,
                    stop=call.stop,
                )
            except ChainIncomplete as exc:
                incomplete, result = exc, exc.result
        document = result.to_json()
        pictures: list[Picture] = []
        for shot_id, outcome in result.outcomes.items():
            clip = result.manifest.record(shot_id).clip
            if clip and outcome.state == "done":
                pictures += look_at(result.directory / clip, sheet=False)[0]
        if incomplete is not None and turn.over and not call.cancelled:
            done = len(result.outcomes) - len(result.attention)
            step = {"tool": "run_storyboard", "arguments": args}
            document["next"] = step
            text = (
                f"{done}/{len(result.outcomes)} shots done; the rest keep running on the server: "
                "call run_storyboard again with the same arguments to go on"
            )
            return Reply(document, text, pictures)
        if incomplete is not None:
            reply = error_reply(incomplete, "run_storyboard", args)
            reply.pictures = pictures
            return reply
        return Reply(document, f"every shot is done, in {result.directory}", pictures)

    # -- the catalogue, the ledger, the set-up -----------------------------------------------

    def list_models(self, call: Call, args: dict[str, Any]) -> Reply:
        from seedance.domain.catalogue import catalogue
        from seedance.services.catalogue_rows import model_rows

        if args.get("remote"):
            with self.client(call) as client:
                listing = client.remote_models().to_json()
            return Reply(listing, f"the live model list of profile '{listing['profile']}'")
        cat = catalogue()
        vocabularies = list(cat.vocabularies) if args.get("all") else [self.profile().vocabulary]
        rows = model_rows(cat, vocabularies)
        return Reply({"models": rows}, f"{len(rows)} models")

    def spend(self, call: Call, args: dict[str, Any]) -> Reply:
        mine = self.settings.profile or self.settings.environ.get("SEEDANCE_PROFILE")
        with self.client(call, offline=True) as client:
            report = client.spend(by=args.get("by") or "day", since=args.get("since"), profile=mine)
        document = report.to_json()
        return Reply(document, f"spend by {report.by}, from this machine's journal")

    def doctor(self, call: Call, args: dict[str, Any]) -> Reply:
        from seedance.mcp.replies import next_step

        with self.client(call, offline=True) as client:
            report = client.doctor(
                probe_models=bool(args.get("probe_models")), config_file=self.store.path
            )
        document = report.to_json()
        for check, found in zip(report.checks, document["checks"], strict=True):
            if check.suggestion is not None:
                found["suggestion"] = next_step(check.suggestion, "doctor", args)
        failed = [c.name for c in report.checks if c.status == "fail"]
        text = (
            f"profile '{report.profile}' is ready" if report.ok else "failed: " + ", ".join(failed)
        )
        return Reply(document, text, error=not report.ok)


def budget(timeout: float | None) -> float:
    """The seconds a call may wait: its timeout, by default DEFAULT_WAIT."""
    if timeout is None:
        return DEFAULT_WAIT
    if not 0 < timeout < math.inf:
        raise UsageError("the timeout must be a positive number of seconds", field="timeout")
    return float(timeout)


def look_at(clip: Path, *, sheet: bool = True) -> tuple[list[Picture], dict[str, Any]]:
    """A saved clip's poster and contact sheet (made beside it once) as pictures, and their
    paths; a note instead when the video extra is missing or the clip cannot be read."""
    if not frames.available():
        return [], {"stills": frames.unavailable_notice()}
    try:
        stills = frames.existing_stills(clip) or frames.make_stills(clip)
        shown = [("poster (a frame from the middle)", stills.poster)]
        if sheet:
            shown.append(("contact sheet (frames across the clip)", stills.sheet))
        pictures = [Picture(f"{what}: {path}", frames.preview(path)) for what, path in shown]
    except (SeedanceError, OSError) as exc:
        return [], {"stills": f"no poster or contact sheet: {exc}"}
    return pictures, {"poster": str(stills.poster), "sheet": str(stills.sheet)}


class Follow:
    """What one wait says: its steps and each task's state as progress messages."""

    def __init__(self, call: Call, *, stop_once_created: bool = False) -> None:
        self.call = call
        self.stop_once_created = stop_once_created
        self.created: str | None = None
        self.stop = threading.Event() if stop_once_created else call.stop
        self._seen: dict[str, str] = {}
        self._percent = -1

    def step(self, step: Step, detail: str) -> None:
        if step in (Step.CREATED, Step.RESUMING, Step.FOUND):
            self.created = detail
            self.call.progress(f"{step.value}: task {detail}")
            if self.stop_once_created:
                self.stop.set()
        elif step in (Step.WAITING_FOR_SLOT, Step.WAITING_FOR_LOCK, Step.LOOKING):
            self.call.progress(f"{step.value}: {detail}")
        elif step is Step.DOWNLOADING:
            self.call.progress(f"downloading {detail}")
        if self.call.stop.is_set():
            self.stop.set()

    def update(self, watch: Watch) -> None:
        task = watch.task
        if task is None:
            return
        state = task.status.value + (f" {task.progress}%" if task.progress is not None else "")
        if self._seen.get(watch.task_id) != state:
            self._seen[watch.task_id] = state
            self.call.progress(f"task {watch.task_id}: {state}")
        if not task.status.is_terminal:
            crashpoints.reached("mcp-waiting")  # tests: a server killed in the middle of a wait
        if self.call.stop.is_set():
            self.stop.set()

    def download(self, done: int, total: int | None) -> None:
        if self.call.stop.is_set():
            raise Stopped
        if total:
            percent = done * 100 // total
            if percent >= self._percent + 10 or percent == 100:
                self._percent = percent
                self.call.progress(f"downloaded {percent}%")
