"""A test seam for crash tests: `SEEDANCE_CRASH_AT=<name>` kills the process at that point
exactly as `kill -9` would (no cleanup, no flushing), so tests need no timing races."""

from __future__ import annotations

import os
import signal


def reached(name: str) -> None:
    if os.environ.get("SEEDANCE_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
