"""`seedance completion bash|zsh|fish`: print the shell's completion script."""

from __future__ import annotations

from typing import Annotated

import typer

from seedance.cli.app import current_env

SHELLS = ("bash", "zsh", "fish")


def register(app: typer.Typer) -> None:
    app.command("completion")(completion)


def completion(
    shell: Annotated[
        str,
        typer.Argument(metavar="SHELL", help="bash, zsh or fish.", show_default=False),
    ],
) -> None:
    """Print the completion script for bash, zsh or fish.

    bash: eval "$(seedance completion bash)" in ~/.bashrc; zsh: seedance completion zsh >
    "${fpath[1]}/_seedance"; fish: seedance completion fish >
    ~/.config/fish/completions/seedance.fish
    """
    from seedance.cli.completion_scripts import script
    from seedance.domain.errors import UsageError

    env = current_env()
    name = shell.strip().lower()
    if name not in SHELLS:
        raise UsageError(
            f"no completion script for '{shell}'",
            allowed=SHELLS,
            hint="give bash, zsh or fish",
        )
    env.output.data(script(name).rstrip("\n"))
