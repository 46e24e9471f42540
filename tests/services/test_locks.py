"""One writer per thing: the OS locks between seedance processes (and threads)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from seedance.domain.clock import FakeClock
from seedance.domain.errors import BusyError, ExitStatus
from seedance.services.locks import Locks


def test_a_lock_is_exclusive_and_says_who_holds_it(tmp_path: Path):
    locks = Locks(tmp_path)
    first, second = locks.output(tmp_path / "clip.mp4"), locks.output(tmp_path / "clip.mp4")
    assert first.try_acquire()
    assert not second.try_acquire()
    assert json.loads(first.path.read_text()) == {"pid": os.getpid(), "what": "clip.mp4"}
    error = second.busy()
    assert f"another process (pid {os.getpid()}) is working on clip.mp4" in error.message
    assert error.exit_status is ExitStatus.USAGE
    first.release()
    assert not first.path.exists()  # nothing left behind
    assert second.try_acquire()
    second.release()


def test_a_bounded_wait_ends_with_busy_and_the_timeouts_exit_status(tmp_path: Path):
    locks = Locks(tmp_path)
    holder = locks.chain(tmp_path / "shots")
    assert holder.try_acquire()
    clock = FakeClock()
    heard = []
    with pytest.raises(BusyError) as caught:
        locks.chain(tmp_path / "shots").acquire(clock, timeout=5, on_wait=heard.append)
    assert caught.value.exit_status is ExitStatus.TIMEOUT
    assert heard[0].pid == os.getpid() and 4.9 <= sum(clock.sleeps) <= 5
    holder.release()


def test_an_unbounded_wait_is_woken_by_the_release(tmp_path: Path):
    locks = Locks(tmp_path)
    holder = locks.output(tmp_path / "a.mp4")
    assert holder.try_acquire()
    waiting = threading.Event()
    got: list[bool] = []

    def wait() -> None:
        lock = locks.output(tmp_path / "a.mp4")
        lock.acquire(FakeClock(), on_wait=lambda _holder: waiting.set())
        got.append(lock.held)
        lock.release()

    thread = threading.Thread(target=wait)
    thread.start()
    assert waiting.wait(timeout=30)
    holder.release()
    thread.join(timeout=30)
    assert got == [True]
