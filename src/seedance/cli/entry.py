"""The console-script entry point: `seedance --version` answers before anything heavy loads."""

from __future__ import annotations

import gc
import os
import sys

POSIX_ONLY = (
    "error: seedance runs on POSIX systems only (Linux, macOS; on Windows, inside WSL): "
    "it guards every paid step with the OS's file locks (fcntl), which this system lacks\n"
)


def main() -> None:
    if os.name != "posix":  # one clear line instead of an ImportError of fcntl, later
        sys.stderr.write(POSIX_ONLY)
        sys.exit(2)
    if sys.argv[1:] == ["--version"]:
        from seedance import __version__

        sys.stdout.write(f"seedance {__version__}\n")
        return
    if sys.argv[1:2] == ["__complete"]:  # shell completion: fast, no Typer
        from seedance.cli.complete import main as complete

        complete(sys.argv[2:])
        return
    # Start-up: httpx imports its own command line (click, rich, pygments) when click is
    # installed, and pydantic scans every distribution for plugins; seedance needs neither.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from seedance.cli.app import cli

    try:
        cli.main(prog_name="seedance")
    finally:
        # Exit: the interpreter's teardown collects garbage over every object the imports
        # made (Typer, pydantic, httpx: ~50-80 ms, bench/RESULTS.md); frozen, they are left
        # to the end of the process. Teardown still runs (threads joined, atexit, files
        # flushed); only cycles of objects are not collected.
        gc.freeze()
