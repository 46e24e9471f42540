"""`seedance create`: a task from a prompt and reference media; --wait / -o to block and save."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
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
    wait_one,
)
from seedance.cli.inputs import (
    STDOUT,
    Destination,
    check_timeout,
    destination,
    read_prompt,
    stream_to_stdout,
)

if TYPE_CHECKING:
    from seedance.cli.environment import Environment
    from seedance.services.client import Client
    from seedance.services.videos.prepare import Prepared


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
    task_type: str | None,
    wait: bool,
    output: str | None,
    last_frame_output: str | None,
    timeout: float | None,
    dry_run: bool,
    no_validate: bool,
    strict: bool,
    new: bool,
    sheet: bool,
    fit: bool = False,
    max_cost: float | None = None,
    allow_unpriced: bool = False,
) -> None:
    """Create a task from a prompt and reference media; --wait / -o to block and download."""
    from seedance.domain.models import GenerationParams, asks_last_frame

    env = current_env()
    text = read_prompt(env, prompt, prompt_file)
    check_timeout(timeout)
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
        return_last_frame=asks_last_frame(return_last_frame, last_frame_output),
        callback_url=callback_url,
        service_tier=service_tier,
        priority=priority,
        expires_after=expires_after,
        safety_id=safety_id,
        output_format=output_format,
        task_type=task_type,
    )
    outputs = plan_outputs(
        env,
        output=output,
        last_frame_output=last_frame_output,
        sheet=sheet,
        dry_run=dry_run,
        output_format=output_format,
    )
    client = env.client(offline=dry_run).with_options(
        max_cost=max_cost, allow_unpriced=allow_unpriced, validate=not no_validate, strict=strict
    )
    prepared = client.videos.prepare(params, dry_run=dry_run, base_dir=env.cwd, fit=fit)
    deliver(env, client, prepared, outputs, wait=wait, timeout=timeout, dry_run=dry_run, new=new)


@dataclass(frozen=True)
class Outputs:
    """Where a create's results go, checked before anything is sent."""

    video: Destination | None = None
    last_frame: Path | None = None
    sheet: bool = False


def plan_outputs(
    env: Environment,
    *,
    output: str | None,
    last_frame_output: str | None,
    sheet: bool,
    dry_run: bool,
    output_format: str | None,
) -> Outputs:
    """Every file a create will write, resolved and checked before anything is sent: a
    folder made (`-o clips/`), each file's folder writable, nothing but a regular file in the
    way, and no two outputs the same file (a last frame over its video)."""
    from seedance.domain.errors import UsageError
    from seedance.domain.models import video_suffix
    from seedance.services.videos.outputs import check_distinct, check_file

    if sheet and output is None:
        raise UsageError("--sheet needs --output: the video to take the frames from")
    suffix = video_suffix(output_format) if output_format else None
    video = destination(env, output, suffix=suffix, create=not dry_run) if output else None
    frame = None
    if last_frame_output is not None:
        if last_frame_output == STDOUT:
            raise UsageError(
                "the last frame cannot go to stdout", hint="give it a file name", field="output"
            )
        frame = env.path(last_frame_output)
        check_file(frame, overwrite=True, field="last_frame_output")
    if sheet and video is not None and video.stdout:
        raise UsageError("--sheet writes files beside the video: give -o a file or folder")
    paths: dict[str, Path | None] = {"last_frame_output": frame}
    if video is not None and not video.folder and not video.stdout:
        paths = {"output": video.path, **paths}
        if sheet:
            check_stills(video.path, clip_exists=video.path.exists())
            poster, contact = stills_of(video.path)
            paths |= {"poster": poster, "sheet": contact}
    check_distinct(paths)
    return Outputs(video, frame, sheet)


def deliver(
    env: Environment,
    client: Client,
    prepared: Prepared,
    outputs: Outputs,
    *,
    wait: bool,
    timeout: float | None,
    dry_run: bool,
    new: bool,
) -> None:
    """Everything after a request is prepared, for `create` and `finalize` alike: the dry run,
    and then with an output `Client.generate` (resume, create, wait, save, verify), without
    one a create (waited for with --wait). The estimate is shown only for money about to be
    spent: a run that finds its video saved, or resumes its task, spends none."""
    out = env.output
    if dry_run:
        out.info(f"estimate: {describe_estimate(prepared, client.profile.simulated)}")
        show_body(env, prepared)
        return
    if outputs.video is not None:
        _generate(env, client, prepared, outputs, timeout=timeout, new=new)
        return
    out.info(f"estimate: {describe_estimate(prepared, client.profile.simulated)}")
    task = client.videos.create(prepared)
    out.info(f"created {task.id} on profile {client.profile.name}")
    frame_dest = outputs.last_frame
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
        if not out.board_is_the_summary:  # (on a terminal, the board's last row has the id)
            out.data(final.id)
        out.info(f"save it with: {command_line(client, 'download', final.id)}")


def show_body(env: Environment, prepared: Prepared) -> None:
    """The request body: exact with --json; for people, inline media abbreviated to
    `<boat.png, 196 KB, sha256 9f2c…>` (the exact bytes are the file's)."""
    from seedance.cli.output import abbreviated

    if env.json:
        env.output.json(prepared.body)
        return
    names = {r.url: r.source or "" for r in prepared.request.references}
    env.output.json(abbreviated(prepared.body, names))


def _generate(
    env: Environment,
    client: Client,
    prepared: Prepared,
    outputs: Outputs,
    *,
    timeout: float | None,
    new: bool,
) -> None:
    """The request made into a saved, verified video by `Client.generate`; with `sheet`, its
    poster and contact sheet (their paths checked before anything is paid)."""
    from seedance.domain.models import video_suffix
    from seedance.services.videos.steps import Origin

    out = env.output
    target = outputs.video
    assert target is not None
    chosen = prepared.request.output_format
    suffix = video_suffix(chosen) if chosen else ".mp4"
    if target.stdout:  # the same request finds the same file, saved before
        dest = target.path.parent / f"{prepared.request_hash[:32]}{suffix}"
    elif chosen and not target.folder:  # a profile's default format: the name must follow
        dest = destination(env, target.given, suffix=suffix).path
    else:
        dest = target.path
    estimate = describe_estimate(prepared, client.profile.simulated)
    with Follower(env, client, estimate=estimate) as follow:
        made = client.videos.generate(
            prepared,
            output=dest,
            last_frame_output=outputs.last_frame,
            timeout=timeout,
            new=new,
            on_step=follow.step,
            on_update=follow.update,
            on_progress=follow.progress,
        )
    video = made.download
    if made.origin is Origin.SAVED_BEFORE:
        out.info(f"{video.path} was already made by task {made.task.id} for this request")
    else:
        from seedance.cli.saved import say_saved

        say_saved(env, client.profile, video)
    document = made.task.to_json()
    document["download"] = video.model_dump()
    if outputs.sheet:
        clip = Path(video.path)
        again = made.origin is Origin.SAVED_BEFORE and all(p.is_file() for p in stills_of(clip))
        stills = stills_paths(clip) if again else save_stills(env, clip)
        if stills:
            document["stills"] = stills
    if made.last_frame is not None:
        document["last_frame_download"] = made.last_frame.model_dump()
    if target.stdout:
        stream_to_stdout(env, Path(video.path))
    elif env.json:
        out.json(document)
    else:
        out.data(video.path if target.folder else str(dest))  # the path as the user gave it


def describe_estimate(prepared: Prepared, simulated: bool = False) -> str:
    """The estimate in words; on a simulator's profile, said to be what nothing is billed."""
    if prepared.estimate is None:
        return "unknown (seedance cannot price a model its catalogue does not know)"
    return prepared.estimate.describe() + (" (simulated: nothing is billed)" if simulated else "")
