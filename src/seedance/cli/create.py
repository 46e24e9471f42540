"""`seedance create`: a task from a prompt and reference media; --wait / -o to block and save."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from seedance.cli.app import current_env
from seedance.cli.follow import check_free, command_line, named, save, video_destination, wait_one

if TYPE_CHECKING:
    from seedance.cli.environment import Environment
    from seedance.services.client import Client
    from seedance.services.prepare import Prepared


def register(app: typer.Typer) -> None:
    from seedance.cli.options import command
    from seedance.domain import params

    app.command("create", no_args_is_help=False)(
        command(params.CREATE, create, name="create", doc=CREATE_HELP)
    )


CREATE_HELP = "Create a task from a prompt and reference media; --wait / -o to block and download."


def create(
    prompt: str | None,
    prompt_file: str | None,
    model: str | None,
    duration: int | None,
    ratio: str | None,
    resolution: str | None,
    size: str | None,
    images: list[str] | None,
    first_frame: str | None,
    last_frame: str | None,
    videos: list[str] | None,
    audios: list[str] | None,
    generate_audio: bool | None,
    watermark: bool | None,
    seed: int | None,
    camera_fixed: bool | None,
    draft: bool,
    return_last_frame: bool,
    callback_url: str | None,
    service_tier: str | None,
    priority: int | None,
    expires_after: int | None,
    safety_id: str | None,
    output_format: str | None,
    wait: bool,
    output: str | None,
    last_frame_output: str | None,
    timeout: float | None,
    dry_run: bool,
    no_validate: bool,
    strict: bool,
    new: bool,
) -> None:
    """Create a task from a prompt and reference media; --wait / -o to block and download."""
    from seedance.domain.models import GenerationParams

    env = current_env()
    text = _read_prompt(env, prompt, prompt_file)
    params = GenerationParams(
        prompt=text,
        model=model,
        duration=duration,
        ratio=ratio,
        resolution=resolution,
        size=size,
        images=images or [],
        first_frame=first_frame,
        last_frame=last_frame,
        videos=videos or [],
        audios=audios or [],
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
        output_format=output_format,
    )
    check_timeout(timeout)
    client = env.client(offline=dry_run)
    prepared = client.prepare(
        params, validate=not no_validate, dry_run=dry_run, base_dir=env.cwd, strict=strict
    )
    deliver(
        env,
        client,
        prepared,
        wait=wait,
        output=output,
        last_frame_output=last_frame_output,
        timeout=timeout,
        dry_run=dry_run,
        new=new,
    )


def check_timeout(timeout: float | None) -> None:
    from seedance.domain.errors import UsageError

    if timeout is not None and not (0 < timeout < float("inf")):  # also refuses nan
        raise UsageError("--timeout must be a positive number of seconds")


def deliver(
    env: Environment,
    client: Client,
    prepared: Prepared,
    *,
    wait: bool,
    output: str | None,
    last_frame_output: str | None,
    timeout: float | None,
    dry_run: bool,
    new: bool,
) -> None:
    """Everything after a request is prepared, for `create` and `finalize` alike: the estimate,
    the dry run, resuming an interrupted create of the same request and output, sending it
    (journaled), waiting and saving."""
    from seedance.domain.errors import NotFoundError, Suggestion
    from seedance.domain.models import video_suffix

    out = env.output
    out.info(f"estimate: {describe_estimate(prepared)}")
    if dry_run:
        out.json(prepared.body)
        return

    chosen_format = prepared.request.output_format
    suffix = video_suffix(chosen_format) if chosen_format else None
    dest = video_destination(env, output, check=False, suffix=suffix) if output else None
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
    created = None
    if key is not None and not new:
        resumed = client.resumable(prepared, key, again=Suggestion.again(new=True))
    if resumed is not None and resumed.task_id:
        task_id = resumed.task_id
        out.info(
            f"resuming {task_id}, created earlier for this request and output "
            "(--new creates another)"
        )
    else:
        created = client.create(prepared, output_path=key)
        task_id = created.id
        out.info(f"created {task_id} on profile {client.profile.name}")
    if not (wait or dest or frame_dest):
        if env.json:
            out.json((created or client.get(task_id)).to_json())
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
        result = save(env, client, final, named(dest, final, suffix), "video")
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


def describe_estimate(prepared: Prepared) -> str:
    if prepared.estimate is None:
        return "unknown (seedance cannot price a model its catalogue does not know)"
    return prepared.estimate.describe()


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
