"""The console-script entry point: `seedance --version` answers before anything heavy loads."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from seedance import __version__

        sys.stdout.write(f"seedance {__version__}\n")
        return
    if sys.argv[1:2] == ["__complete"]:  # shell completion: fast, no Typer
        from seedance.cli.complete import main as complete

        complete(sys.argv[2:])
        return
    from seedance.cli.app import cli

    cli.main(prog_name="seedance")
