"""`seedance review DIR`: review.html for a storyboard's or a batch's output folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seedance.cli.app import current_env


def register(app: typer.Typer) -> None:
    app.command("review")(review)


def review(
    directory: Annotated[
        Path,
        typer.Argument(
            metavar="DIR", help="The output folder of a chain or batch run.", show_default=False
        ),
    ],
    open_: Annotated[
        bool, typer.Option("--open", help="Open the page in the default browser.")
    ] = False,
) -> None:
    """review.html: posters, contact sheets, seams between shots, takes side by side."""
    from seedance.services.review.review import write_review

    env = current_env()
    page = write_review(env.path(directory), journal=env.state())
    for line in page.notices:
        env.output.warn(line)
    for line in page.skipped:
        env.output.warn(f"skipped {line}")
    totals = page.totals()
    env.output.info(
        f"{totals['shots']} {'shots' if page.kind == 'storyboard' else 'takes'}: "
        f"{totals['done']} done, {totals['failed']} failed"
        + (f", spent {totals['spent']}" if totals["spent"] else "")
    )
    if env.json:
        env.output.json(page.to_json())
    else:
        env.output.data(str(page.path))
    if open_ and page.path is not None:
        import webbrowser

        if not webbrowser.open(page.path.resolve().as_uri()):
            env.output.warn("no browser could be started; open the file yourself")
