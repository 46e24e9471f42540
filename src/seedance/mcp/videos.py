"""create_video, wait_for_tasks and download_video: videos made, waited for and saved."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seedance.domain import params as declared
from seedance.domain.errors import SeedanceError, UsageError, WaitTimeoutError
from seedance.domain.models import (
    DownloadResult,
    GenerationParams,
    Task,
    asks_last_frame,
    video_suffix,
)
from seedance.domain.paths import is_inside
from seedance.mcp.calls import Call, Calls, budget, capped
from seedance.mcp.replies import Picture, Reply, error_reply, task_json
from seedance.services import crashpoints
from seedance.services.client import Client
from seedance.services.media import companions, frames
from seedance.services.videos.polling import Stopped, Watch
from seedance.services.videos.prepare import Prepared, redact_body
from seedance.services.videos.steps import Origin, Step
from seedance.services.videos.tasks import failed, task_outcome


def create_video(calls: Calls, call: Call, args: dict[str, Any]) -> Reply:
    request = {p.name: args.get(p.name) for p in declared.REQUEST}
    for many in ("images", "videos", "audios"):
        request[many] = request[many] or []
    request["draft"] = request["draft"] or None
    frame = args.get("last_frame_output")
    request["return_last_frame"] = asks_last_frame(request["return_last_frame"], frame)
    return _make(
        calls,
        call,
        args,
        lambda client, dry_run: client.videos.prepare(
            GenerationParams(**request),
            dry_run=dry_run,
            base_dir=calls.settings.output_dir,
            confine=calls.confinement(),
            fit=bool(args.get("fit")),
        ),
    )


def edit_video(calls: Calls, call: Call, args: dict[str, Any]) -> Reply:
    """A new video: `video` edited as the prompt says (task type edit)."""
    return _of_video(calls, call, args, declared.EDIT, edit=True)


def extend_video(calls: Calls, call: Call, args: dict[str, Any]) -> Reply:
    """A new video continuing `video` (task type extend)."""
    return _of_video(calls, call, args, declared.EXTEND, edit=False)


def _of_video(
    calls: Calls, call: Call, args: dict[str, Any], declared_params: Any, *, edit: bool
) -> Reply:
    settings: dict[str, Any] = {
        p.name: args.get(p.name)
        for p in declared_params
        if p.name in GenerationParams.model_fields and p.name not in ("video", "prompt")
    }
    frame = args.get("last_frame_output")
    settings["return_last_frame"] = asks_last_frame(settings.get("return_last_frame"), frame)

    def prepare(client: Client, dry_run: bool) -> Prepared:
        make = client.videos.edit if edit else client.videos.extend
        return make(
            args["video"],
            args.get("prompt"),
            dry_run=dry_run,
            base_dir=calls.settings.output_dir,
            confine=calls.confinement(),
            **settings,
        )

    return _make(calls, call, args, prepare)


def _make(
    calls: Calls,
    call: Call,
    args: dict[str, Any],
    prepare: Callable[[Client, bool], Prepared],
) -> Reply:
    """A video made from the request `prepare` gives: capped, created under a request id,
    waited for within the call's budget and saved."""
    timeout = budget(args.get("timeout"))
    frame = args.get("last_frame_output")
    dry_run = bool(args.get("dry_run"))
    with calls.client(call, offline=dry_run) as opened:
        client = capped(opened, call, args).with_options(
            validate=not args.get("no_validate"), strict=bool(args.get("strict"))
        )
        prepared = prepare(client, dry_run)
        estimate = prepared.estimate.describe() if prepared.estimate else "price unknown"
        if dry_run:
            request = redact_body(prepared.body, prepared.redactions)
            document = {"estimate": estimate, "request": request}
            return Reply(document, f"estimate: {estimate}; nothing was sent")
        request_id = args.get("request_id") or f"v-{uuid.uuid4().hex[:12]}"
        suffix = video_suffix(prepared.request.output_format)
        given = args.get("output")
        dest = calls.path(given) if given else calls.output_dir() / f"{request_id}{suffix}"
        waits = bool(args.get("wait") or given or frame is not None)
        if frames.available() and not dest.is_dir():  # its poster and sheet, before it is paid
            companions.check(dest, field="output")
        follow = Follow(call, stop_once_created=not waits)
        try:
            made = client.videos.generate(
                prepared,
                output=dest,
                last_frame_output=calls.path(frame, "last_frame_output") if frame else None,
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
            reply = running(client.videos.get(follow.created), request_id=request_id)
        except WaitTimeoutError as exc:
            reply = running(exc.task, request_id=request_id, task_id=follow.created)
        else:
            reply = saved(made.task, made.download, origin=made.origin)
            reply.document["request_id"] = request_id
            if made.last_frame is not None:
                reply.document["last_frame"] = made.last_frame.path
        reply.document["estimate"] = estimate
        return reply


def running(
    task: Task | None, *, request_id: str | None = None, task_id: str | None = None
) -> Reply:
    """A task whose video is not saved yet: where it stands, and the call that goes on."""
    ident = task.id if task is not None else task_id or ""
    step = {"tool": "wait_for_tasks", "arguments": {"task_ids": [ident]}}
    document: dict[str, Any] = {
        "task": task_json(task) if task is not None else {"id": ident},
        "next": step,
    }
    if request_id is not None:
        document["request_id"] = request_id
    call = f'call wait_for_tasks with task_ids=["{ident}"]'
    if task is None or not task.status.is_terminal:
        state = task.status.value if task is not None else "not seen yet"
        if task is not None and task.progress is not None:
            state += f" ({task.progress}%)"
        text = f"task {ident} is {state}; it keeps running on the server: {call} to wait for it"
    elif task.status.is_failure:
        text = f"task {ident} {task.status.value}: {call} for the reason"
    else:
        text = f"task {ident} succeeded: {call} to save its video"
    return Reply(document, text)


def saved(task: Task, video: DownloadResult, *, origin: Origin | None = None) -> Reply:
    """A saved video: its task, its file, and its poster and contact sheet to look at."""
    clip = Path(video.path)
    document: dict[str, Any] = {
        "task": task_json(task),
        "download": video.model_dump(),  # the contract's name, as the command line's JSON
    }
    document["video"] = document["download"]  # the earlier name, kept for agents that read it
    if origin is not None:
        document["origin"] = origin.value
    pictures, stills = look_at(clip)
    document.update(stills)
    before = " (saved earlier for this request)" if origin is Origin.SAVED_BEFORE else ""
    text = f"task {task.id} succeeded; video saved at {clip}{before}"
    return Reply(document, text, pictures)


def wait_for_tasks(calls: Calls, call: Call, args: dict[str, Any]) -> Reply:
    ids = list(dict.fromkeys(args["task_ids"]))
    timeout = budget(args.get("timeout"))
    output = calls.path(args["output"]) if args.get("output") else None
    if output is not None and len(ids) > 1 and not output.is_dir():
        raise UsageError(
            f"{output} is not a directory",
            hint="with several tasks, output names a directory",
            field="output",
        )
    replies: list[Reply] = []
    with calls.client(call) as client:
        follow = Follow(call)
        watches = client.videos.wait_all(
            ids, timeout=timeout, on_update=follow.update, stop=call.stop
        )
        for watch in watches:
            replies.append(_delivered(calls, client, call, watch, output, args))
    if len(replies) == 1:
        return replies[0]
    document = {"tasks": [r.document for r in replies]}
    text = "\n".join(r.text for r in replies)
    pictures = [p for r in replies for p in r.pictures]
    return Reply(document, text, pictures, error=any(r.error for r in replies))


def _delivered(
    calls: Calls,
    client: Client,
    call: Call,
    watch: Watch,
    output: Path | None,
    args: dict[str, Any],
) -> Reply:
    """A waited task: its video saved (where its create said), its state, or its error."""
    try:
        task = task_outcome(watch)
    except WaitTimeoutError as exc:
        return running(exc.task, task_id=watch.task_id)
    except SeedanceError as exc:
        reply = error_reply(exc, "wait_for_tasks", {**args, "task_ids": [watch.task_id]})
        reply.document["task"] = task_json(watch.task) if watch.task else watch.task_id
        return reply
    entry = client.videos.record(task.id)
    dest = output or (Path(entry.output_path) if entry and entry.output_path else None)
    if dest is not None and not is_inside(dest, calls.settings.output_dir):
        dest = None  # where a create outside the server said (the command line's): not here
    follow = Follow(call)
    made = client.videos.generate(
        task_id=task.id,
        output=dest or calls.output_dir(),
        timeout=budget(args.get("timeout")),  # another call saving it: wait for it this long
        on_step=follow.step,
        on_progress=follow.download,
        stop=call.stop,
    )
    return saved(made.task, made.download, origin=made.origin)


def download_video(calls: Calls, call: Call, args: dict[str, Any]) -> Reply:
    task_id = args["task_id"]
    dest = calls.path(args["output"]) if args.get("output") else calls.output_dir()
    if dest.is_dir():
        dest = dest / f"{task_id}.mp4"
    frame = args.get("last_frame")
    frame_dest = None
    if frame is not None:
        beside = dest.with_name(dest.stem + ".last.png")
        frame_dest = calls.path(frame, "last_frame") if frame else beside
    force = bool(args.get("force"))
    with calls.client(call) as client:
        if force:
            refuse_to_replace(client, dest, frame_dest)
        task = client.videos.get(task_id)
        if not task.status.is_terminal:
            return running(task)
        if task.status.is_failure:
            raise failed(task)
        follow = Follow(call)
        made = client.videos.generate(
            task_id=task_id,
            output=dest,
            last_frame_output=frame_dest,
            overwrite=force,
            timeout=budget(None),  # another call saving it: wait for it this long
            on_step=follow.step,
            on_progress=follow.download,
            stop=call.stop,
        )
    reply = saved(made.task, made.download, origin=made.origin)
    if made.last_frame is not None:
        reply.document["last_frame"] = made.last_frame.path
    return reply


def refuse_to_replace(client: Client, dest: Path, frame: Path | None) -> None:
    """`force` replaces only a video seedance saved (output_record.vouched: its record beside
    it, confirmed by the journal), never a file it did not write; nor a last frame, which
    nothing vouches for."""
    if os.path.lexists(dest) and not dest.is_dir() and not client.videos.vouched(dest):
        raise UsageError(
            f"{dest} is not a video this server saved: force replaces only those",
            hint="choose another output, or move the file away",
            field="force",
        )
    if frame is not None and os.path.lexists(frame):
        raise UsageError(
            f"{frame} already exists: force replaces only a video this server saved, never "
            "a last frame",
            hint="choose another last_frame, or move the file away",
            field="last_frame",
        )


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
        from seedance.wording.hints import explain

        said = explain(exc) if isinstance(exc, SeedanceError) else str(exc)
        return [], {"stills": f"no poster or contact sheet: {said}"}
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
