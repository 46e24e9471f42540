"""A call's turn: a clock that ends the waits of a long run (a storyboard) once its time is up,
so the call returns within the host's limit while the work stays resumable.

Waits on a clock with an event (`clock.wait(stop, seconds)`: polling, slots) end at the
deadline with the event set; the run then stops between two steps, as it does when
interrupted, and running it again goes on from there. Time is the wrapped clock's, so a test's
fake clock ends turns without real waiting.
"""

from __future__ import annotations

import threading

from seedance.domain.clock import Clock


class TurnClock:
    """`clock`, whose waits end by `seconds` from now, setting `stop`."""

    def __init__(self, clock: Clock, seconds: float, stop: threading.Event) -> None:
        self.clock = clock
        self.stop = stop
        self.deadline = clock.monotonic() + seconds

    @property
    def over(self) -> bool:
        return self.clock.monotonic() >= self.deadline

    def time(self) -> float:
        return self.clock.time()

    def monotonic(self) -> float:
        return self.clock.monotonic()

    def sleep(self, seconds: float) -> None:
        self.clock.sleep(seconds)

    def wait(self, event: threading.Event, seconds: float) -> bool:
        left = self.deadline - self.clock.monotonic()
        if seconds < left:
            return self.clock.wait(event, seconds)
        if self.clock.wait(event, max(left, 0.0)):
            return True
        self.stop.set()
        return event.is_set()
