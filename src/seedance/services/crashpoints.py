"""A test seam for crash tests: `SEEDANCE_CRASH_AT=<name>` kills the process at that point
exactly as `kill -9` would (no cleanup, no flushing), so tests need no timing races."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable


def reached(name: str, before: Callable[[], object] | None = None) -> None:
    """Die here if asked to; `before` runs first (e.g. flushing what a real crash keeps)."""
    if os.environ.get("SEEDANCE_CRASH_AT") == name:
        if before is not None:
            before()
        os.kill(os.getpid(), signal.SIGKILL)
