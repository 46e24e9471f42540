"""`status`, `wait`, `download`, `cancel` and `tasks list`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from seedance.cli.app import current_env, sub_app
from seedance.cli.follow import (
    Follower,
    check_stills,
    client_for_tasks,
    raise_for_watch,
    save_stills,
    stills_of,
    wait_many,
)
from seedance.cli.inputs import (
    STDOUT,
    Destination,
    check_timeout,
    destination,
    stream_to_stdout,
)
from seedance.cli.wording import error_document, said

if TYPE_CHECKING:
    from seedance.cli.environment import Environment
    from seedance.domain.errors import SeedanceError
    from seedance.domain.models import DownloadResult, Task
    from seedance.services.client import Client
    from seedance.services.videos.polling import Watch


def register(app: typer.Typer) -> None:
    from seedance.cli.options import command
    from seedance.domain import params

    for name, declared, body in (
        ("status", params.STATUS, status),
        ("wait", params.WAIT_TASKS, wait),
        ("download", params.DOWNLOAD, download),
        ("cancel", params.CANCEL, cancel),
    ):
        app.command(name)(command(declared, body, name=name, doc=body.__doc__ or ""))
    tasks_app = sub_app("Server-side task list, or the local journal.")
    tasks_app.command("list")(
        command(params.TASKS_LIST, tasks_list, name="list", doc=tasks_list.__doc__ or "")
    )
    app.add_typer(tasks_app, name="tasks")


def wait(task_ids: list[str], timeout: float | None, output: str | None) -> None:
    """Block with progress until every task ends."""
    from seedance.domain.errors import UsageError
    from seedance.domain.validation import check_task_id

    env = current_env()
    ids = list(dict.fromkeys(task_ids))
    for task_id in ids:
        check_task_id(task_id)
    check_timeout(timeout)
    target = None
    if output is not None:
        several = len(ids) > 1
        if several and output == STDOUT:
            raise UsageError("-o - takes one task's video", hint="give a folder for several")
        if several and not (output.endswith(("/", os.sep)) or env.path(output).is_dir()):
            raise UsageError(
                f"{env.path(output)} is not a directory",
                hint="with several tasks, -o names a directory (end it with /)",
            )
        target = destination(env, output)  # a folder is made now, before the wait
    client = client_for_tasks(env, ids)
    dest = target.path if target is not None else None
    watches = wait_many(env, client, ids, timeout=timeout, output=dest)
    documents: list[dict[str, Any]] = []
    lines: list[str] = []
    first_error: Exception | None = None
    for watch in watches:
        doc: dict[str, Any] = watch.task.to_json() if watch.task else {"id": watch.task_id}
        line = [watch.task_id, watch.task.status.value if watch.task else "unknown"]
        try:
            raise_for_watch(watch, dest)
            if target is not None and watch.task is not None:
                result = _saved(env, client, watch.task, target)
                doc["download"] = result.model_dump()
                line.append(result.path)
        except Exception as exc:
            if watch.error is not None:
                doc["error"] = {"code": watch.error.code, "message": said(watch.error)}
            first_error = first_error or exc
            if len(ids) > 1:
                env.output.warn(said(exc))
        documents.append(doc)
        lines.append("\t".join(line))
    if target is not None and target.stdout and first_error is None:
        stream_to_stdout(env, Path(documents[0]["download"]["path"]))
    elif not env.json:
        for text in lines:
            if env.output.board_is_the_summary:  # the board showed ids and states: paths only
                text = text.split("\t", 2)[2] if text.count("\t") >= 2 else ""
            if text:
                env.output.data(text)
    elif first_error is None:
        env.output.json(documents[0] if len(ids) == 1 else documents)
    if first_error is not None:
        error = _worst(watches, first_error)
        error.details = {"tasks": documents}
        raise error


def _saved(env: Environment, client: Client, task: Task, target: Destination) -> DownloadResult:
    """A finished task's video saved by `Client.generate` (locked, verified, journaled)."""
    dest = target.path
    if target.stdout:
        dest = dest.parent / f"{task.id}{task.video_suffix}"
    with Follower(env, client, board=False) as follow:  # the wait was shown already
        made = client.videos.generate(
            task_id=task.id,
            output=dest,
            overwrite=target.stdout,  # the data directory's own copy
            on_step=follow.step,
            on_update=follow.update,
            on_progress=follow.progress,
        )
    video = made.download
    from seedance.cli.saved import say_saved

    say_saved(env, client.profile, video)
    return video


def _worst(watches: list[Watch], fallback: Exception) -> SeedanceError:
    """Several tasks, one exit code: an API error, then a timeout, then a failed task."""
    from seedance.domain.errors import ExitStatus, SeedanceError

    order = [
        ExitStatus.API,
        ExitStatus.NETWORK,
        ExitStatus.LOCAL,
        ExitStatus.TIMEOUT,
        ExitStatus.TASK_FAILED,
    ]
    errors = [w.error for w in watches if w.error is not None]
    candidates = [e for e in [*errors, fallback] if isinstance(e, SeedanceError)]
    for status in order:
        for err in candidates:
            if err.exit_status is status:
                return _quiet_copy(err) if len(watches) > 1 else err
    if isinstance(fallback, SeedanceError):
        return fallback
    raise fallback


def _quiet_copy(err: SeedanceError) -> SeedanceError:
    """The error for the exit code; its message was already shown per task."""
    from seedance.domain.errors import SeedanceError

    return SeedanceError(
        "not every task succeeded (see above)", code=err.code, exit_status=err.exit_status
    )


# -- status, download, cancel, list ----------------------------------------------------------


def status(task_id: str) -> None:
    """One task, normalized."""
    from seedance.domain.errors import NotFoundError

    env = current_env()
    client = client_for_tasks(env, [task_id])
    try:
        task = client.videos.get(task_id)
    except NotFoundError:
        entry = client.videos.record(task_id)
        if entry is None:
            raise
        env.output.warn("the server no longer knows this task; showing the local journal")
        if env.json:
            env.output.json(_entry_json(entry))
        else:
            env.output.data(entry.status or entry.state)
        return
    if env.json:
        env.output.json(task.to_json())
    elif env.quiet:
        env.output.data(task.status.value)
    else:
        env.output.data(_describe(task, client))


def _describe(task: Task, client: Client) -> str:
    rows = [
        ("id", task.id),
        (
            "status",
            task.status.value
            + (
                f" ({task.progress}%)"
                if task.progress is not None and not task.status.is_terminal
                else ""
            ),
        ),
    ]
    for key in ("model", "profile", "resolution", "ratio", "duration", "seed"):
        value = getattr(task, key)
        if value is not None:
            rows.append((key, str(value)))
    if task.usage and task.usage.completion_tokens is not None:
        rows.append(("tokens", f"{task.usage.completion_tokens:,}"))
    if task.revised_prompt:
        rows.append(("revised prompt", task.revised_prompt))
    if task.error:
        rows.append(("error", f"{task.error.code}: {task.error.message}"))
    for key in ("video_url", "last_frame_url", "file_url"):
        value = getattr(task, key)
        if value:
            rows.append((key, value))
    if task.created_at:
        rows.append(("created", task.created_at.isoformat()))
    entry = client.videos.record(task.id)
    if entry is not None and entry.output_path:
        rows.append(("output", entry.output_path))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k + ':':<{width + 1}} {v}" for k, v in rows)


def download(
    task_id: str, output: str | None, last_frame: str | None, force: bool, sheet: bool
) -> None:
    """Save a finished task's video (and optionally its last frame)."""
    from seedance.cli.progress import download_progress
    from seedance.domain.errors import InterruptedByUser, Suggestion, UsageError
    from seedance.domain.validation import check_task_id
    from seedance.services.videos.outputs import check_distinct, check_file

    env = current_env()
    check_task_id(task_id)
    target = destination(env, output or f"{task_id}.mp4", stdout_name=task_id)
    dest = target.path / f"{task_id}.mp4" if target.folder else target.path
    if target.stdout and (last_frame is not None or sheet):
        raise UsageError("-o - sends the video alone to stdout", hint="give -o a file name")
    frame_dest = None
    if last_frame is not None:
        frame_dest = env.path(last_frame) if last_frame else dest.with_name(dest.stem + ".last.png")
    paths: dict[str, Path | None] = {"output": dest, "last_frame": frame_dest}
    if sheet:
        paths |= dict(zip(("poster", "sheet"), stills_of(dest), strict=True))
    check_distinct(paths)
    client = client_for_tasks(env, [task_id])
    kept = None if target.stdout or force else client.videos.saved_copy(task_id, dest)
    if kept is None:
        check_file(dest, overwrite=force or target.stdout, can_force=True)
    if frame_dest is not None:
        check_file(frame_dest, overwrite=force, field="last_frame", can_force=True)
    if sheet:
        check_stills(dest, force=force, clip_exists=kept is not None, can_force=True)
    try:
        with download_progress(env, dest.name) as progress:
            got = client.videos.download(
                task_id,
                dest,
                last_frame=frame_dest,
                force=force or target.stdout,
                on_progress=progress,
            )
    except KeyboardInterrupt:
        raise InterruptedByUser(
            "stopped the download; the part saved so far is kept",
            hint="resume with",
            suggestion=Suggestion.of("download", task_id, output=str(dest)),
        ) from None
    result = got.video
    if got.kept:
        env.output.info(f"{dest} is already this task's video (its SHA-256 is the one saved)")
    else:
        env.output.result(
            f"saved {result.path} ({result.bytes:,} bytes, sha256 {result.sha256[:12]}…)"
        )
    document = got.task.to_json()
    document["download"] = result.model_dump()
    saved_stills = save_stills(env, Path(result.path), force=force) if sheet else None
    if saved_stills:
        document["stills"] = saved_stills
    printed = [result.path]
    if got.last_frame is not None:
        frame = got.last_frame
        env.output.result(f"saved {frame.path} ({frame.bytes:,} bytes)")
        document["last_frame_download"] = frame.model_dump()
        printed.append(frame.path)
    if target.stdout:
        stream_to_stdout(env, Path(result.path))
    elif env.json:
        env.output.json(document)
    else:
        for path in printed:
            env.output.data(path)


def cancel(task_ids: list[str], force: bool) -> None:
    """Cancel queued tasks; delete finished ones."""
    from seedance.domain.errors import SeedanceError

    env = current_env()
    ids = list(dict.fromkeys(task_ids))
    client = client_for_tasks(env, ids)
    results: list[dict[str, Any]] = []
    first_error: SeedanceError | None = None
    for task_id in ids:
        try:
            outcome = client.videos.cancel(task_id, force=force)
        except SeedanceError as exc:
            if len(ids) == 1:
                raise
            env.output.warn(f"{task_id}: {said(exc)}")
            results.append({"id": task_id, "error": error_document(exc)})
            first_error = first_error or exc
            continue
        results.append({"id": task_id, "result": outcome})
        if not env.json:
            env.output.data(f"{task_id}\t{outcome}")
    if first_error is not None:
        error = _quiet_copy(first_error)
        error.details = {"results": results}
        raise error
    if env.json:
        env.output.json(results[0] if len(ids) == 1 else results)


def tasks_list(
    status: str | None,
    model: str | None,
    limit: int | None,
    page: int,
    page_size: int,
    local: bool,
    unsaved: bool,
) -> None:
    """Tasks on the server (Ark dialect), or in the local journal with --local."""
    status_ = status  # (the body's name for it)
    from seedance.domain.errors import UsageError
    from seedance.domain.models import TaskStatus

    env = current_env()
    if status_ is not None and status_ not in {s.value for s in TaskStatus} - {"unknown"}:
        raise UsageError(
            f"unknown status '{status_}'",
            hint="one of queued, running, succeeded, failed, expired, cancelled",
        )
    if not 1 <= page_size <= 500 or page < 1 or (limit is not None and limit < 1):
        raise UsageError("--page must be 1 or more and --page-size 1-500")
    if unsaved and not local:
        raise UsageError("--unsaved lists the local journal", hint="add --local")
    if unsaved:
        _list_unsaved(env, limit)
        return
    if local:
        _list_local(env, status_, model, limit)
        return
    client = env.client()
    size = min(limit, 500) if limit else page_size
    result = client.videos.list(status=status_, model=model, page=page, page_size=size)
    items = result.items[:limit] if limit else result.items
    if env.json:
        env.output.json({"items": [t.to_json() for t in items], "total": result.total})
        return
    env.output.table(
        ["ID", "STATUS", "MODEL", "CREATED", "RES", "SECONDS"],
        [
            [t.id, t.status.value, t.model, _when(t.created_at), t.resolution, t.duration]
            for t in items
        ],
    )
    if result.total is not None and result.total > len(items):
        env.output.info(f"{len(items)} of {result.total}; see more with --page {page + 1}")


def _list_local(
    env: Environment, status_: str | None, model: str | None, limit: int | None
) -> None:
    from seedance.domain.models import TaskStatus

    entries = env.state().entries(
        profile=env.profile or env.environ.get("SEEDANCE_PROFILE"),
        status=TaskStatus(status_) if status_ else None,
        model=model,
        limit=limit or 50,
    )
    if env.json:
        env.output.json([_entry_json(e) for e in entries])
        return
    env.output.table(
        ["TASK", "STATUS", "PROFILE", "MODEL", "CREATED", "OUTPUT"],
        [
            [
                e.task_id or f"({e.state})",
                e.status or e.state,
                e.profile,
                e.model,
                _when_unix(e.created_at),
                e.output_path,
            ]
            for e in entries
        ],
    )


RESULT_TTL = 24 * 3600  # result URLs last 24 h from the task's end (docs/sources/ark.txt)


def _list_unsaved(env: Environment, limit: int | None) -> None:
    from seedance.cli.output import human_duration

    entries = env.state().unsaved(
        env.profile or env.environ.get("SEEDANCE_PROFILE"), limit=limit or 50
    )
    now = env.clock.time()

    def left(entry: Any) -> float | None:
        return entry.finished_at + RESULT_TTL - now if entry.finished_at else None

    if env.json:
        env.output.json([{**_entry_json(e), "url_seconds_left": left(e)} for e in entries])
        return
    rows = []
    for e in entries:
        seconds = left(e)
        shown = (
            "unknown" if seconds is None else human_duration(seconds) if seconds > 0 else "expired"
        )
        rows.append(
            [e.task_id, e.profile, e.model, _when_unix(e.finished_at), shown, e.output_path]
        )
    env.output.table(["TASK", "PROFILE", "MODEL", "FINISHED", "URL LEFT", "OUTPUT"], rows)
    if entries:
        env.output.info(
            "save one with: seedance download ID -o FILE (or the create -o that made it)"
        )


def _entry_json(entry: Any) -> dict[str, Any]:
    from dataclasses import asdict

    data = asdict(entry)
    data["request"] = entry.body
    return data


def _when(value: Any) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else ""


def _when_unix(seconds: float | None) -> str:
    from seedance.domain.models import from_unix

    return _when(from_unix(seconds))
