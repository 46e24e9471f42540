"""`seedance finalize DRAFT_ID`: the final video of a draft (content item draft_task), made and
saved exactly as `create` makes and saves a video (journaled, resumable)."""

from __future__ import annotations

from typing import Any

import typer

from seedance.cli.app import current_env
from seedance.cli.create import deliver, plan_outputs
from seedance.cli.inputs import check_timeout

FINALIZE_HELP = "Make the final video of a draft task (from create --draft); -o to save it."


def register(app: typer.Typer) -> None:
    from seedance.cli.options import command
    from seedance.domain import params

    app.command("finalize", no_args_is_help=True)(
        command(params.FINALIZE, finalize, name="finalize", doc=FINALIZE_HELP)
    )


def finalize(
    draft_id: str | None,
    resolution: str | None,
    output_format: str | None,
    watermark: bool | None,
    return_last_frame: bool,
    service_tier: str | None,
    callback_url: str | None,
    expires_after: int | None,
    safety_id: str | None,
    strict: bool,
    no_validate: bool,
    **delivery: Any,
) -> None:
    """Make the final video of a draft task (from create --draft); -o to save it."""
    from seedance.domain.errors import UsageError
    from seedance.domain.models import asks_last_frame

    env = current_env()
    if not draft_id or not draft_id.strip():
        raise UsageError("give the draft's task id", hint="it is what create --draft printed")
    check_timeout(delivery["timeout"])
    frame_output = delivery.pop("last_frame_output")
    outputs = plan_outputs(
        env,
        output=delivery.pop("output"),
        last_frame_output=frame_output,
        sheet=False,
        dry_run=delivery["dry_run"],
        output_format=output_format,
    )
    client = env.client()  # the draft is read from the server, even in a dry run
    prepared = client.videos.finalize(
        draft_id.strip(),
        resolution=resolution,
        watermark=watermark,
        return_last_frame=asks_last_frame(return_last_frame, frame_output),
        output_format=output_format,
        service_tier=service_tier,
        callback_url=callback_url,
        expires_after=expires_after,
        safety_id=safety_id,
        strict=strict,
        validate=not no_validate,
    )
    deliver(env, client, prepared, outputs, **delivery)  # wait, timeout, dry run, new: as create
