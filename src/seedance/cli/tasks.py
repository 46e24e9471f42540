"""`create`, `status`, `wait`, `download`, `cancel` and `tasks list`."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from seedance.cli.app import sub_app

if TYPE_CHECKING:
    from seedance.cli.environment import Environment
    from seedance.core.client import Client
    from seedance.core.models import DownloadResult, Task
    from seedance.core.polling import Watch
    from seedance.errors import SeedanceError

REF_HELP = "an https:// URL, asset://ID or a local file"


def register(app: typer.Typer) -> None:
    app.command("create", no_args_is_help=False)(create)
    app.command("status")(status)
    app.command("wait")(wait)
    app.command("download")(download)
    app.command("cancel")(cancel)
    tasks_app = sub_app("Server-side task list, or the local journal.")
    tasks_app.command("list")(tasks_list)
    app.add_typer(tasks_app, name="tasks")


def _env() -> Environment:
    from seedance.cli.app import current_env

    return current_env()


# -- create ----------------------------------------------------------------------------------


def create(
    prompt: Annotated[
        str | None, typer.Argument(metavar="PROMPT", help="What to make.", show_default=False)
    ] = None,
    prompt_file: Annotated[
        str | None,
        typer.Option(
            "--prompt-file", metavar="FILE", help="Read the prompt from FILE (- = stdin)."
        ),
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", "-m", metavar="NAME", help="Model name or alias.")
    ] = None,
    duration: Annotated[
        int | None,
        typer.Option(
            "--duration", "-d", metavar="SECONDS", help="Seconds (-1: the model chooses)."
        ),
    ] = None,
    ratio: Annotated[
        str | None, typer.Option(metavar="W:H", help="16:9, 9:16, 1:1, 4:3, 3:4, 21:9, adaptive.")
    ] = None,
    resolution: Annotated[
        str | None,
        typer.Option(
            "--resolution", "-r", metavar="RES", help="480p, 720p, 1080p (4k where offered)."
        ),
    ] = None,
    size: Annotated[
        str | None, typer.Option(metavar="WxH", help="WxH instead of --resolution/--ratio.")
    ] = None,
    image: Annotated[
        list[str] | None,
        typer.Option("--image", metavar="REF", help=f"Reference image: {REF_HELP}. Repeatable."),
    ] = None,
    first_frame: Annotated[
        str | None, typer.Option(metavar="REF", help=f"First frame: {REF_HELP}.")
    ] = None,
    last_frame: Annotated[
        str | None, typer.Option(metavar="REF", help=f"Last frame: {REF_HELP}.")
    ] = None,
    video: Annotated[
        list[str] | None,
        typer.Option("--video", metavar="REF", help=f"Reference video: {REF_HELP}. Repeatable."),
    ] = None,
    audio: Annotated[
        list[str] | None,
        typer.Option("--audio", metavar="REF", help=f"Reference audio: {REF_HELP}. Repeatable."),
    ] = None,
    generate_audio: Annotated[
        bool | None, typer.Option("--generate-audio/--no-generate-audio", help="Make sound.")
    ] = None,
    watermark: Annotated[
        bool | None, typer.Option("--watermark/--no-watermark", help="Keep the provider's mark.")
    ] = None,
    seed: Annotated[int | None, typer.Option(metavar="N", help="-1 for random.")] = None,
    camera_fixed: Annotated[
        bool | None,
        typer.Option("--camera-fixed/--no-camera-fixed", help="Keep the camera still."),
    ] = None,
    draft: Annotated[
        bool, typer.Option("--draft", help="A cheaper low-resolution preview.")
    ] = False,
    return_last_frame: Annotated[
        bool, typer.Option("--return-last-frame", help="Also make the last frame (a PNG).")
    ] = False,
    callback_url: Annotated[
        str | None, typer.Option(metavar="URL", help="https URL told of status changes.")
    ] = None,
    service_tier: Annotated[
        str | None, typer.Option(metavar="TIER", help="default or flex (cheaper, slower).")
    ] = None,
    priority: Annotated[int | None, typer.Option(metavar="0-9", help="Queue priority 0-9.")] = None,
    expires_after: Annotated[
        int | None,
        typer.Option(metavar="SECONDS", help="Give up after SECONDS in the queue (3600-259200)."),
    ] = None,
    safety_id: Annotated[
        str | None, typer.Option(metavar="ID", help="A stable hashed end-user id.")
    ] = None,
    wait_: Annotated[bool, typer.Option("--wait", help="Wait until the task ends.")] = False,
    output: Annotated[
        str | None,
        typer.Option(
            "--output", "-o", metavar="PATH", help="Save the video here (implies --wait)."
        ),
    ] = None,
    last_frame_output: Annotated[
        str | None,
        typer.Option(
            metavar="PATH", help="Save the last frame here (implies --return-last-frame)."
        ),
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(metavar="SECONDS", help="Stop waiting after SECONDS (exit 6).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the request body; send nothing.")
    ] = False,
    no_validate: Annotated[
        bool, typer.Option("--no-validate", help="Skip client-side capability checks.")
    ] = False,
    new: Annotated[
        bool, typer.Option("--new", help="Create a new task even if this one was started before.")
    ] = False,
) -> None:
    """Create a task from a prompt and reference media; --wait / -o to block and download."""
    from seedance.core.models import GenerationParams
    from seedance.errors import UsageError

    env = _env()
    out = env.output
    text = _read_prompt(env, prompt, prompt_file)
    params = GenerationParams(
        prompt=text,
        model=model,
        duration=duration,
        ratio=ratio,
        resolution=resolution,
        size=size,
        images=image or [],
        first_frame=first_frame,
        last_frame=last_frame,
        videos=video or [],
        audios=audio or [],
        generate_audio=generate_audio,
        watermark=watermark,
        seed=seed,
        camera_fixed=camera_fixed,
        draft=draft or None,
        return_last_frame=(return_last_frame or last_frame_output is not None) or None,
        callback_url=callback_url,
        service_tier=service_tier,
        priority=priority,
        expires_after=expires_after,
        safety_id=safety_id,
    )
    if timeout is not None and timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    client = env.client(offline=dry_run)
    prepared = client.prepare(params, validate=not no_validate, dry_run=dry_run, base_dir=env.cwd)
    for note in prepared.notes:
        out.info(note)
    if prepared.estimate is not None:
        out.info(f"estimate: {prepared.estimate.describe()}")
    if dry_run:
        out.json(prepared.body)
        return

    dest = _video_destination(env, output, check=False) if output else None
    if dest is not None and not new and (done := client.finished(prepared, dest)) is not None:
        out.info(f"{dest} was already made by task {done.task_id} for this request")
        if env.json:
            document = client.get(done.task_id or "").to_json()
            document["download"] = {
                "path": done.output_path,
                "bytes": done.bytes,
                "sha256": done.sha256,
            }
            out.json(document)
        else:
            out.data(str(dest))
        return
    if dest is not None and not dest.is_dir():
        _check_free(dest)
    frame_dest = env.path(last_frame_output) if last_frame_output else None
    if frame_dest is not None:
        _check_free(frame_dest)
    resumed = None if new or dest is None else client.resumable(prepared, str(dest))
    if resumed is not None and resumed.task_id:
        task_id = resumed.task_id
        out.info(
            f"resuming {task_id}, created earlier for this request and output "
            "(--new creates another)"
        )
    else:
        task = client.create(prepared, output_path=str(dest) if dest else None)
        task_id = task.id
        out.info(f"created {task_id} on profile {client.profile.name}")
    if not (wait_ or dest or frame_dest):
        if env.json:
            out.json(task.to_json())
        else:
            out.data(task_id)
        out.info(f"follow it with: {_cmd(client, 'wait', task_id)}")
        return

    final = _wait_one(
        env, client, task_id, timeout=timeout, dest=dest, just_created=resumed is None
    )
    document = final.to_json()
    if dest is not None:
        result = _save(env, client, final, _named(dest, final), "video")
        document["download"] = result.model_dump()
    if frame_dest is not None:
        frame = _save(env, client, final, frame_dest, "last_frame")
        document["last_frame_download"] = frame.model_dump()
    if env.json:
        out.json(document)
    elif dest is not None:
        out.data(document["download"]["path"])
    else:
        out.data(final.id)
        out.info(f"save it with: {_cmd(client, 'download', final.id)}")


def _read_prompt(env: Environment, prompt: str | None, prompt_file: str | None) -> str | None:
    from seedance.errors import UsageError

    if prompt is not None and prompt_file is not None:
        raise UsageError("give the prompt as an argument or with --prompt-file, not both")
    if prompt_file is None:
        return prompt
    if prompt_file == "-":
        return env.stdin.read().strip() or None
    path = env.path(prompt_file)
    try:
        return path.read_text("utf-8").strip() or None
    except FileNotFoundError:
        raise UsageError(f"prompt file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read prompt file {path}: {exc}") from None


def _video_destination(env: Environment, output: str, *, check: bool = True) -> Path:
    """A file path for the video; a directory means `<task id>.mp4` inside it (decided later)."""
    dest = env.path(output)
    if dest.is_dir():
        return dest
    if dest.suffix == "":
        dest = dest.with_suffix(".mp4")
    if check:
        _check_free(dest)
    return dest


def _check_free(dest: Path) -> None:
    from seedance.core.downloads import check_destination

    check_destination(dest, force=False)


def _named(dest: Path, task: Task) -> Path:
    return dest / f"{task.id}.mp4" if dest.is_dir() else dest


def _cmd(client: Client, *words: str) -> str:
    return " ".join(["seedance", "-p", shlex.quote(client.profile.name), *map(shlex.quote, words)])


# -- waiting ---------------------------------------------------------------------------------


def _wait_one(
    env: Environment,
    client: Client,
    task_id: str,
    *,
    timeout: float | None,
    dest: Path | None,
    just_created: bool,
) -> Task:
    watches = _wait_many(
        env, client, [task_id], timeout=timeout, output=dest, just_created=just_created
    )
    watch = watches[0]
    _raise_for_watch(client, watch, dest)
    assert watch.task is not None
    return watch.task


def _wait_many(
    env: Environment,
    client: Client,
    task_ids: list[str],
    *,
    timeout: float | None,
    output: Path | None,
    just_created: bool = False,
) -> list[Watch]:
    from seedance.cli.progress import TaskBoard
    from seedance.errors import InterruptedByUser

    board = TaskBoard(env, client, task_ids)
    try:
        with board:
            return client.wait(
                task_ids, timeout=timeout, on_update=board.update, just_created=just_created
            )
    except KeyboardInterrupt:
        words = ["wait", *task_ids] + (["-o", str(output)] if output else [])
        raise InterruptedByUser(
            f"stopped waiting; {'the task keeps' if len(task_ids) == 1 else 'the tasks keep'} "
            "running on the server",
            hint=f"resume with: {_cmd(client, *words)}",
        ) from None


def _raise_for_watch(client: Client, watch: Watch, dest: Path | None) -> None:
    from seedance.errors import TaskFailedError, WaitTimeoutError

    if watch.error is not None:
        raise watch.error
    task = watch.task
    if task is None or not task.status.is_terminal:
        words = ["wait", watch.task_id] + (["-o", str(dest)] if dest else [])
        state = task.status.value if task else "not seen yet"
        raise WaitTimeoutError(
            f"task {watch.task_id} is still {state}",
            hint=f"it keeps running; continue with: {_cmd(client, *words)}",
        )
    if task.status.is_failure:
        raise TaskFailedError(_failure_text(task), code=task.error.code if task.error else None)


def _failure_text(task: Task) -> str:
    if task.error is not None:
        return f"task {task.id} {task.status.value}: {task.error.code}: {task.error.message}"
    return f"task {task.id} {task.status.value}"


def _save(env: Environment, client: Client, task: Task, dest: Path, what: str) -> DownloadResult:
    from seedance.cli.progress import download_progress
    from seedance.errors import InterruptedByUser

    try:
        with download_progress(env, dest.name) as progress:
            result = client.download(task, dest, what=what, on_progress=progress)  # type: ignore[arg-type]
    except KeyboardInterrupt:
        words = (
            ["download", task.id, "-o", str(dest)]
            if what == "video"
            else ["download", task.id, "--last-frame", str(dest)]
        )
        raise InterruptedByUser(
            "stopped the download; the part saved so far is kept",
            hint=f"resume with: {_cmd(client, *words)}",
        ) from None
    env.output.info(f"saved {result.path} ({result.bytes:,} bytes, sha256 {result.sha256[:12]}…)")
    return result


def _client_for_tasks(env: Environment, task_ids: list[str]) -> Client:
    """The profile the tasks were created with (the journal knows), unless -p says otherwise."""
    from seedance.core.journal import Journal
    from seedance.errors import UsageError

    if env.profile:
        return env.client()
    journal = Journal(env.data_dir)
    try:
        profiles = {e.profile for t in task_ids if (e := journal.find(t)) is not None}
    finally:
        journal.close()
    if len(profiles) > 1:
        raise UsageError(
            f"these tasks belong to different profiles ({', '.join(sorted(profiles))})",
            hint="wait on each profile's tasks separately, with -p",
        )
    return env.client(profiles.pop() if profiles else None)


def wait(
    task_ids: Annotated[list[str], typer.Argument(help="Task ids.", show_default=False)],
    timeout: Annotated[
        float | None, typer.Option(metavar="SECONDS", help="Stop waiting after SECONDS (exit 6).")
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output", "-o", help="Save each finished video: a file (one task) or a directory."
        ),
    ] = None,
) -> None:
    """Block with progress until every task ends."""
    from seedance.errors import UsageError

    env = _env()
    ids = list(dict.fromkeys(task_ids))
    client = _client_for_tasks(env, ids)
    dest = env.path(output) if output else None
    if dest is not None and len(ids) > 1 and not dest.is_dir():
        raise UsageError(
            f"{dest} is not a directory", hint="with several tasks, -o names a directory"
        )
    if dest is not None and not dest.is_dir():
        dest = _video_destination(env, output or "")
    if timeout is not None and timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    watches = _wait_many(env, client, ids, timeout=timeout, output=dest)
    documents: list[dict[str, Any]] = []
    lines: list[str] = []
    first_error: Exception | None = None
    for watch in watches:
        doc: dict[str, Any] = watch.task.to_json() if watch.task else {"id": watch.task_id}
        line = [watch.task_id, watch.task.status.value if watch.task else "unknown"]
        try:
            _raise_for_watch(client, watch, dest)
            if dest is not None and watch.task is not None:
                result = _save(env, client, watch.task, _named(dest, watch.task), "video")
                doc["download"] = result.model_dump()
                line.append(result.path)
        except Exception as exc:
            if watch.error is not None:
                doc["error"] = {"code": watch.error.code, "message": str(watch.error)}
            first_error = first_error or exc
            if len(ids) > 1:
                env.output.warn(str(exc))
        documents.append(doc)
        lines.append("\t".join(line))
    if not env.json:
        for line in lines:
            env.output.data(line)
    elif first_error is None:
        env.output.json(documents[0] if len(ids) == 1 else documents)
    if first_error is not None:
        error = _worst(watches, first_error)
        error.details = {"tasks": documents}
        raise error


def _worst(watches: list[Watch], fallback: Exception) -> SeedanceError:
    """Several tasks, one exit code: an API error, then a timeout, then a failed task."""
    from seedance.errors import ExitStatus, SeedanceError

    order = [ExitStatus.API, ExitStatus.NETWORK, ExitStatus.TIMEOUT, ExitStatus.TASK_FAILED]
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
    from seedance.errors import SeedanceError

    return SeedanceError(
        "not every task succeeded (see above)", code=err.code, exit_status=err.exit_status
    )


# -- status, download, cancel, list ----------------------------------------------------------


def status(
    task_id: Annotated[
        str, typer.Argument(metavar="TASK_ID", help="The task id.", show_default=False)
    ],
) -> None:
    """One task, normalized."""
    from seedance.errors import NotFoundError

    env = _env()
    client = _client_for_tasks(env, [task_id])
    try:
        task = client.get(task_id)
    except NotFoundError:
        entry = client.journal.find(task_id)
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
    if task.error:
        rows.append(("error", f"{task.error.code}: {task.error.message}"))
    for key in ("video_url", "last_frame_url"):
        value = getattr(task, key)
        if value:
            rows.append((key, value))
    if task.created_at:
        rows.append(("created", task.created_at.isoformat()))
    entry = client.journal.find(task.id)
    if entry is not None and entry.output_path:
        rows.append(("output", entry.output_path))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k + ':':<{width + 1}} {v}" for k, v in rows)


def download(
    task_id: Annotated[
        str, typer.Argument(metavar="TASK_ID", help="The task id.", show_default=False)
    ],
    output: Annotated[
        str | None,
        typer.Option(
            "--output", "-o", metavar="PATH", help="Where to save the video [default: ID.mp4]."
        ),
    ] = None,
    last_frame: Annotated[
        str | None,
        typer.Option(
            "--last-frame",
            metavar="[PATH]",
            help="Also save the last frame [default: NAME.last.png].",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
) -> None:
    """Save a finished task's video (and optionally its last frame)."""
    from seedance.core.downloads import check_destination
    from seedance.errors import TaskFailedError, WaitTimeoutError

    env = _env()
    client = _client_for_tasks(env, [task_id])
    dest = env.path(output) if output else env.path(f"{task_id}.mp4")
    if dest.is_dir():
        dest = dest / f"{task_id}.mp4"
    check_destination(dest, force=force)
    frame_dest = None
    if last_frame is not None:
        frame_dest = env.path(last_frame) if last_frame else dest.with_name(dest.stem + ".last.png")
        check_destination(frame_dest, force=force)
    task = client.get(task_id)
    if not task.status.is_terminal:
        raise WaitTimeoutError(
            f"task {task_id} is still {task.status.value}",
            hint=f"wait for it: {_cmd(client, 'wait', task_id, '-o', str(dest))}",
        )
    if task.status.is_failure:
        raise TaskFailedError(_failure_text(task), code=task.error.code if task.error else None)
    if frame_dest is not None:
        client.provider.download_source(task, "last_frame")  # refuses now if there is none
    document = task.to_json()
    result = _save(env, client, task, dest, "video")
    document["download"] = result.model_dump()
    paths = [result.path]
    if frame_dest is not None:
        frame = _save(env, client, task, frame_dest, "last_frame")
        document["last_frame_download"] = frame.model_dump()
        paths.append(frame.path)
    if env.json:
        env.output.json(document)
    else:
        for path in paths:
            env.output.data(path)


def cancel(
    task_ids: Annotated[list[str], typer.Argument(help="Task ids.", show_default=False)],
) -> None:
    """Cancel queued tasks; delete finished ones."""
    from seedance.errors import SeedanceError

    env = _env()
    ids = list(dict.fromkeys(task_ids))
    client = _client_for_tasks(env, ids)
    results: list[dict[str, Any]] = []
    first_error: SeedanceError | None = None
    for task_id in ids:
        try:
            outcome = client.cancel(task_id)
        except SeedanceError as exc:
            if len(ids) == 1:
                raise
            env.output.warn(f"{task_id}: {exc}")
            results.append({"id": task_id, "error": exc.to_json()["error"]})
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
    status_: Annotated[
        str | None,
        typer.Option(
            "--status",
            metavar="STATUS",
            help="queued, running, succeeded, failed, expired, cancelled.",
        ),
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", "-m", metavar="NAME", help="Only this model.")
    ] = None,
    limit: Annotated[int | None, typer.Option(metavar="N", help="At most N tasks.")] = None,
    page: Annotated[int, typer.Option(metavar="N", help="Page number (from 1).")] = 1,
    page_size: Annotated[int, typer.Option(metavar="N", help="Tasks per page (1-500).")] = 20,
    local: Annotated[bool, typer.Option("--local", help="List the local journal instead.")] = False,
) -> None:
    """Tasks on the server (Ark dialect), or in the local journal with --local."""
    from seedance.core.models import TaskStatus
    from seedance.errors import UsageError

    env = _env()
    if status_ is not None and status_ not in {s.value for s in TaskStatus} - {"unknown"}:
        raise UsageError(
            f"unknown status '{status_}'",
            hint="one of queued, running, succeeded, failed, expired, cancelled",
        )
    if not 1 <= page_size <= 500 or page < 1 or (limit is not None and limit < 1):
        raise UsageError("--page must be 1 or more and --page-size 1-500")
    if local:
        _list_local(env, status_, model, limit)
        return
    client = env.client()
    size = min(limit, 500) if limit else page_size
    result = client.list_tasks(status=status_, model=model, page=page, page_size=size)
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
    from seedance.core.journal import Journal

    journal = Journal(env.data_dir, warn=env.output.warn)
    try:
        entries = journal.entries(
            profile=env.profile, status=status_, model=model, limit=limit or 50
        )
    finally:
        journal.close()
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


def _entry_json(entry: Any) -> dict[str, Any]:
    from dataclasses import asdict

    data = asdict(entry)
    data["request"] = entry.body
    return data


def _when(value: Any) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else ""


def _when_unix(seconds: float | None) -> str:
    from seedance.core.models import from_unix

    return _when(from_unix(seconds))
