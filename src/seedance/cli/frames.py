"""`seedance frames CLIP`: a frame, a poster or a contact sheet of any clip."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seedance.cli.app import current_env


def register(app: typer.Typer) -> None:
    app.command("frames")(frames_command)


def frames_command(
    clip: Annotated[Path, typer.Argument(metavar="CLIP", help="A video file.", show_default=False)],
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="TIME",
            help="The frame at TIME (1.5s, 1500ms, 0:01.5) [default: the middle].",
        ),
    ] = None,
    sheet: Annotated[
        bool,
        typer.Option("--sheet", help="A contact sheet: frames across the clip, time-stamped."),
    ] = False,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="Where to save the PNG (a file or folder) [default: CLIP.poster.png, "
            "CLIP.sheet.png or CLIP.at-TIME.png beside the clip].",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """A frame or a contact sheet of any clip (needs the video extra)."""
    from seedance.domain.errors import UsageError
    from seedance.services.media import frames
    from seedance.services.videos.downloads import check_destination

    env = current_env()
    if sheet and at is not None:
        raise UsageError("give --at for one frame or --sheet for a contact sheet, not both")
    seconds = frames.parse_time(at) if at is not None else None
    source = env.path(clip)
    kind = "sheet" if sheet else "poster" if seconds is None else f"at-{seconds:g}s"
    dest = env.path(output) if output else frames.still_path(source, kind)
    if dest.is_dir():
        dest = dest / frames.still_path(source, kind).name
    if dest.suffix.lower() != ".png":
        raise UsageError(f"{dest} is not a .png file name", hint="name the output NAME.png")
    check_destination(dest, force=force)
    info = frames.probe(source)
    document: dict[str, object]
    if sheet:
        frames.save_sheet(source, dest)
        document = {"path": str(dest), "kind": "sheet", "times": frames.sheet_times(info.seconds)}
    else:
        _path, time = frames.save_frame(source, dest, seconds)
        document = {"path": str(dest), "kind": "frame", "time": time}
    if env.json:
        env.output.json({**document, "clip": str(source), "seconds": info.seconds})
    else:
        env.output.data(str(dest))
