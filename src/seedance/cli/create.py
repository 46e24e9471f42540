"""`seedance create`: a task from a prompt and reference media; --wait / -o to block and save."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from seedance.cli.app import current_env
from seedance.cli.follow import (
    Follower,
    check_stills,
    command_line,
    save,
    save_stills,
    stills_of,
    stills_paths,
    video_destination,
    wait_one,
)

if TYPE_CHECKING:
    from pathlib import Path

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
    sheet: bool,
    max_cost: float | None = None,
    allow_unpriced: bool = False,
) -> None:
    """Create a task from a prompt and reference media; --wait / -o to block and download."""
    from seedance.domain.errors import UsageError
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
    if sheet and output is None:
        raise UsageError("--sheet needs --output: the video to take the frames from")
    client = env.client(offline=dry_run)
    client.cap_spending(max_cost, allow_unpriced=allow_unpriced)
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
        sheet=sheet,
    )


def check_timeout(timeout: float | None) -> None:
    from seedance.domain.errors import UsageError

    if timeout is not None and not (0 < timeout < float("inf")):  # also refuses nan
        raise UsageError("--timeout must be a positive number of seconds")


IDENTITY_DEFAULT = 172800  # the API's default --expires-after, which the nonce stands for


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
    sheet: bool = False,
) -> None:
    """Everything after a request is prepared, for `create` and `finalize` alike: the estimate,
    the dry run, and then with an output `Client.generate` (resume, create, wait, save, verify),
    without one a create (waited for with --wait)."""
    from seedance.domain.models import video_suffix

    out = env.output
    out.info(f"estimate: {describe_estimate(prepared)}")
    if dry_run:
        out.json(prepared.body)
        if client.capabilities.finds_lost_creates:
            around = prepared.request.expires_after or IDENTITY_DEFAULT
            out.info(
                f"sent for real, the body also carries --expires-after a few minutes off "
                f"{around}: seedance's identity for this create, by which a lost answer is "
                "found again exactly (see the README, 'Nothing lost')"
            )
        return
    chosen_format = prepared.request.output_format
    suffix = video_suffix(chosen_format) if chosen_format else None
    dest = video_destination(env, output, check=False, suffix=suffix) if output else None
    frame_dest = env.path(last_frame_output) if last_frame_output else None
    if dest is not None:
        _generate(env, client, prepared, dest, frame_dest, timeout=timeout, new=new, sheet=sheet)
        return
    task = client.create(prepared)
    out.info(f"created {task.id} on profile {client.profile.name}")
    if not (wait or frame_dest):
        if env.json:
            out.json(task.to_json())
        else:
            out.data(task.id)
        out.info(f"follow it with: {command_line(client, 'wait', task.id)}")
        return
    final = wait_one(env, client, task.id, timeout=timeout, dest=None, just_created=True)
    document = final.to_json()
    if frame_dest is not None:
        frame = save(env, client, final, frame_dest, "last_frame")
        document["last_frame_download"] = frame.model_dump()
    if env.json:
        out.json(document)
    else:
        out.data(final.id)
        out.info(f"save it with: {command_line(client, 'download', final.id)}")


def _generate(
    env: Environment,
    client: Client,
    prepared: Prepared,
    dest: Path,
    frame_dest: Path | None,
    *,
    timeout: float | None,
    new: bool,
    sheet: bool,
) -> None:
    """The request made into a saved, verified video by `Client.generate`; with `sheet`, its
    poster and contact sheet (their paths checked before anything is paid)."""
    from pathlib import Path

    from seedance.services.generate import Origin

    out = env.output
    if sheet and not dest.is_dir():
        check_stills(dest)
    with Follower(env, client) as follow:
        made = client.generate(
            prepared,
            output=dest,
            last_frame_output=frame_dest,
            timeout=timeout,
            new=new,
            on_step=follow.step,
            on_update=follow.update,
            on_progress=follow.progress,
        )
    video = made.video
    if made.origin is Origin.SAVED_BEFORE:
        out.info(f"{video.path} was already made by task {made.task.id} for this request")
    else:
        out.info(f"saved {video.path} ({video.bytes:,} bytes, sha256 {video.sha256[:12]}…)")
    document = made.task.to_json()
    document["download"] = video.model_dump()
    if sheet:
        clip = Path(video.path)
        again = made.origin is Origin.SAVED_BEFORE and all(p.is_file() for p in stills_of(clip))
        stills = stills_paths(clip) if again else save_stills(env, clip)
        if stills:
            document["stills"] = stills
    if made.last_frame is not None:
        document["last_frame_download"] = made.last_frame.model_dump()
    if env.json:
        out.json(document)
    else:
        out.data(video.path if dest.is_dir() else str(dest))  # the path as the user gave it


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
