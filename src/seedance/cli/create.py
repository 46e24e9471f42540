"""`seedance create`: a task from a prompt and reference media; --wait / -o to block and save."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from seedance.cli.app import current_env
from seedance.cli.follow import check_free, command_line, named, save, video_destination, wait_one

if TYPE_CHECKING:
    from seedance.cli.environment import Environment

REF_HELP = "an https:// URL, asset://ID or a local file"


def register(app: typer.Typer) -> None:
    app.command("create", no_args_is_help=False)(create)


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
    from seedance.domain.errors import NotFoundError, UsageError
    from seedance.domain.models import GenerationParams

    env = current_env()
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
    if timeout is not None and not (0 < timeout < float("inf")):  # also refuses nan
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

    dest = video_destination(env, output, check=False) if output else None
    key = str(dest.resolve()) if dest is not None else None  # the journal's name for the output
    done = client.finished(prepared, dest.resolve()) if dest is not None and not new else None
    if done is not None:
        saved = done.saved_path or key or ""
        out.info(f"{saved} was already made by task {done.task_id} for this request")
        if env.json:
            document = client.get(done.task_id or "").to_json()
            document["download"] = {"path": saved, "bytes": done.bytes, "sha256": done.sha256}
            out.json(document)
        else:
            out.data(saved if dest is not None and dest.is_dir() else str(dest))
        return
    if dest is not None and not dest.is_dir():
        check_free(dest)
    frame_dest = env.path(last_frame_output) if last_frame_output else None
    if frame_dest is not None:
        check_free(frame_dest)
    resumed = None
    if key is not None and not new:
        resumed = client.resumable(prepared, key, again="pass --new to create another")
    if resumed is not None and resumed.task_id:
        task_id = resumed.task_id
        out.info(
            f"resuming {task_id}, created earlier for this request and output "
            "(--new creates another)"
        )
    else:
        task = client.create(prepared, output_path=key)
        task_id = task.id
        out.info(f"created {task_id} on profile {client.profile.name}")
    if not (wait_ or dest or frame_dest):
        if env.json:
            out.json(task.to_json())
        else:
            out.data(task_id)
        out.info(f"follow it with: {command_line(client, 'wait', task_id)}")
        return

    try:
        final = wait_one(
            env, client, task_id, timeout=timeout, dest=dest, just_created=resumed is None
        )
    except NotFoundError as exc:
        if resumed is None:
            raise
        exc.hint = "the server no longer has the task this create made earlier; pass --new"
        raise
    document = final.to_json()
    if dest is not None:
        result = save(env, client, final, named(dest, final), "video")
        document["download"] = result.model_dump()
    if frame_dest is not None:
        frame = save(env, client, final, frame_dest, "last_frame")
        document["last_frame_download"] = frame.model_dump()
    if env.json:
        out.json(document)
    elif dest is not None:
        out.data(document["download"]["path"])
    else:
        out.data(final.id)
        out.info(f"save it with: {command_line(client, 'download', final.id)}")


def _read_prompt(env: Environment, prompt: str | None, prompt_file: str | None) -> str | None:
    from seedance.domain.errors import UsageError

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
