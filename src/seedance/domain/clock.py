"""Time as a dependency: everything that waits takes a Clock, so tests never sleep for real."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Protocol

CLOCK_ENV = "SEEDANCE_CLOCK"


class Clock(Protocol):
    def time(self) -> float:
        """Wall-clock seconds since the epoch."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""

    def sleep(self, seconds: float) -> None:
        """Block for `seconds`."""

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """Block for `seconds` or until `event` is set; True if it was set."""


class SystemClock:
    """The real clock."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def wait(self, event: threading.Event, seconds: float) -> bool:
        return event.wait(max(seconds, 0.0))


class FakeClock:
    """A clock that only moves when something sleeps on it (or `advance` is called).

    Thread-safe, so a simulator and a client in different threads can share it.
    """

    KEPT = 10_000  # sleeps remembered (for tests to read): a long wait loop stays bounded

    def __init__(self, start: float = 1_781_181_681.0, *, yields: bool = False) -> None:
        self._now = start
        self._mono = 1000.0
        self._lock = threading.Lock()
        self.sleeps: list[float] = []
        # in a process of its own (SEEDANCE_CLOCK=fake), each sleep gives the CPU away for a
        # moment: a loop polling another process (a lock it holds) lets that process run
        self._yields = yields

    def time(self) -> float:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if len(self.sleeps) > self.KEPT:
            del self.sleeps[: self.KEPT // 2]
        self.advance(max(seconds, 0.0))
        if self._yields and seconds > 0:
            time.sleep(0.001)

    def wait(self, event: threading.Event, seconds: float) -> bool:
        if not event.is_set():
            self.sleep(seconds)
        return event.is_set()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
            self._mono += seconds


def default_clock(environ: Mapping[str, str]) -> Clock:
    """The real clock; `SEEDANCE_CLOCK=fake` (a seam for tests that run seedance in another
    process) gives a clock whose sleeps take no time."""
    if environ.get(CLOCK_ENV) == "fake":
        return FakeClock(start=time.time(), yields=True)
    return SystemClock()
