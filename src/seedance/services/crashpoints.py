"""Test seams for crash and concurrency tests, so they need no timing races:

- `SEEDANCE_CRASH_AT=<name>` kills the process at that point exactly as `kill -9` would (no
  cleanup, no flushing);
- `SEEDANCE_HOLD_AT=<name>` stops it there: it writes `seedance-hold: <name>` to stderr and
  goes on once a byte arrives on stdin (or stdin closes), so a test can run a second process
  while the first is held at a known step.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable

HELD = "seedance-hold:"


def reached(name: str, before: Callable[[], object] | None = None) -> None:
    """Die (or hold) here if asked to; `before` runs first (e.g. flushing what a real crash
    keeps)."""
    if os.environ.get("SEEDANCE_CRASH_AT") == name:
        if before is not None:
            before()
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get("SEEDANCE_HOLD_AT") == name:
        if before is not None:
            before()
        sys.stderr.write(f"{HELD} {name}\n")
        sys.stderr.flush()
        os.read(0, 1)
