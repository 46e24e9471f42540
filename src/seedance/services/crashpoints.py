"""Test seams for crash and concurrency tests, so they need no timing races:

- `SEEDANCE_CRASH_AT=<name>` kills the process at that point exactly as `kill -9` would (no
  cleanup, no flushing); `<name>#<n>` the n-th time any thread reaches it (mid-batch);
- `SEEDANCE_HOLD_AT=<name>` stops it there: it writes `seedance-hold: <name>` to stderr and
  goes on once a byte arrives on stdin (or stdin closes), so a test can run a second process
  while the first is held at a known step; `<name>#<n>` holds the n-th time only, and
  several points, comma-separated, hold in turn (one byte each).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable

HELD = "seedance-hold:"
_reached: Counter[str] = Counter()
_count = threading.Lock()


def _crash_here(name: str) -> bool:
    wanted = os.environ.get("SEEDANCE_CRASH_AT")
    if not wanted:
        return False
    point, _, nth = wanted.partition("#")
    if point != name:
        return False
    with _count:
        _reached[name] += 1
        return _reached[name] == int(nth or 1)


def _hold_here(name: str) -> bool:
    wanted = os.environ.get("SEEDANCE_HOLD_AT")
    if not wanted:
        return False
    for point in wanted.split(","):
        point, _, nth = point.partition("#")
        if point != name:
            continue
        if not nth:
            return True
        with _count:
            _reached[f"hold:{name}"] += 1
            return _reached[f"hold:{name}"] == int(nth)
    return False


def reached(name: str, before: Callable[[], object] | None = None) -> None:
    """Die (or hold) here if asked to; `before` runs first (e.g. flushing what a real crash
    keeps)."""
    if _crash_here(name):
        if before is not None:
            before()
        os.kill(os.getpid(), signal.SIGKILL)
    if _hold_here(name):
        if before is not None:
            before()
        sys.stderr.write(f"{HELD} {name}\n")
        sys.stderr.flush()
        os.read(0, 1)
