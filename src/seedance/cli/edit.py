"""`seedance edit VIDEO "prompt"` and `seedance extend VIDEO "prompt"`: a new video made from an
existing one (Seedance 2.5's task types edit and extend), checked, paid, saved and verified
exactly as `create` makes and saves a video."""

from __future__ import annotations

from typing import Any

import typer

from seedance.cli.app import current_env
from seedance.cli.create import deliver, plan_outputs
from seedance.cli.inputs import check_timeout, read_prompt

EDIT_HELP = "A new video: VIDEO changed as PROMPT says (task type edit; its length and shape)."
EXTEND_HELP = "A new video continuing VIDEO as PROMPT says (task type extend)."


def register(app: typer.Typer) -> None:
    from seedance.cli.options import command
    from seedance.domain import params

    app.command("edit", no_args_is_help=True)(
        command(params.EDIT, lambda **v: _run("edit", **v), name="edit", doc=EDIT_HELP)
    )
    app.command("extend", no_args_is_help=True)(
        command(params.EXTEND, lambda **v: _run("extend", **v), name="extend", doc=EXTEND_HELP)
    )


def _run(
    kind: str,
    *,
    video: str,
    prompt: str | None,
    prompt_file: str | None,
    return_last_frame: bool,
    wait: bool,
    output: str | None,
    last_frame_output: str | None,
    timeout: float | None,
    dry_run: bool,
    no_validate: bool,
    strict: bool,
    new: bool,
    max_cost: float | None,
    allow_unpriced: bool,
    **settings: Any,
) -> None:
    from seedance.domain.models import asks_last_frame

    env = current_env()
    text = read_prompt(env, prompt, prompt_file)
    check_timeout(timeout)
    outputs = plan_outputs(
        env,
        output=output,
        last_frame_output=last_frame_output,
        sheet=False,
        dry_run=dry_run,
        output_format=settings.get("output_format"),
    )
    client = env.client(offline=dry_run).with_options(
        max_cost=max_cost, allow_unpriced=allow_unpriced, validate=not no_validate, strict=strict
    )
    settings["return_last_frame"] = asks_last_frame(return_last_frame, last_frame_output)
    make = client.videos.edit if kind == "edit" else client.videos.extend
    prepared = make(video, text, dry_run=dry_run, base_dir=env.cwd, **settings)
    deliver(env, client, prepared, outputs, wait=wait, timeout=timeout, dry_run=dry_run, new=new)
