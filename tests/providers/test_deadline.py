"""Issue 23, finding 10, at the HTTP layer: deadlines over whole answers (providers/deadline.py),
against a loopback server that trickles and moves the test's fake clock as it does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from loopback import Scripted, http_answer, trickle
from seedance.domain.clock import FakeClock
from seedance.domain.errors import DeadlinePassedError, OutcomeUnknownError
from seedance.providers.deadline import ANSWER_DEADLINE, within
from seedance.providers.http import HttpClient, Retry, SlowAnswerError

ENDLESS = b" " * 60_000


def body_trickles(clock: FakeClock) -> object:
    def script(method: str, path: str) -> Iterator[bytes]:
        yield http_answer(b"", length=1_000_000)
        yield from trickle(b'{"id": "cgt-1"' + ENDLESS, clock)

    return script


def head_trickles(clock: FakeClock) -> object:
    def script(method: str, path: str) -> Iterator[bytes]:
        yield from trickle(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 12_000, clock)

    return script


@pytest.mark.parametrize("part", ["head", "body"])
def test_a_read_slower_than_the_answer_deadline_is_given_up_once(part: str) -> None:
    clock = FakeClock()
    script = head_trickles(clock) if part == "head" else body_trickles(clock)
    with Scripted(script) as server, HttpClient(clock=clock) as http:
        started = clock.monotonic()
        with pytest.raises(SlowAnswerError, match=f"within {ANSWER_DEADLINE:.0f} s"):
            http.request("GET", f"{server.url}/tasks/cgt-1")
    assert len(server.requests) == 1
    assert clock.monotonic() - started >= ANSWER_DEADLINE


@pytest.mark.parametrize("caller", [False, True], ids=["own deadline", "caller's deadline"])
def test_a_create_whose_answer_trickles_has_an_unknown_outcome(caller: bool) -> None:
    clock = FakeClock()
    until = clock.monotonic() + 10 if caller else None
    with (
        Scripted(body_trickles(clock)) as server,
        HttpClient(clock=clock) as http,
        within(clock, until),
        pytest.raises(OutcomeUnknownError, match="may have been received"),
    ):
        http.request("POST", f"{server.url}/tasks", json={}, retry=Retry.UNSENT)
    assert len(server.requests) == 1  # never sent again: it may have been made


@pytest.mark.parametrize("part", ["head", "body"])
def test_a_callers_deadline_ends_a_read_at_once(part: str) -> None:
    clock = FakeClock()
    script = head_trickles(clock) if part == "head" else body_trickles(clock)
    with (
        Scripted(script) as server,
        HttpClient(clock=clock) as http,
        within(clock, clock.monotonic() + 10),
        pytest.raises(DeadlinePassedError),
    ):
        http.request("GET", f"{server.url}/tasks/cgt-1")
    assert len(server.requests) == 1


def test_an_earlier_deadline_in_force_stays() -> None:
    from seedance.providers.deadline import caller_deadline

    clock = FakeClock()
    with within(clock, 100.0 + clock.monotonic()):
        with within(clock, 500.0 + clock.monotonic()):
            limit = caller_deadline()
            assert limit is not None and limit.left() == 100.0
        with within(clock, 50.0 + clock.monotonic()):
            limit = caller_deadline()
            assert limit is not None and limit.left() == 50.0
    assert caller_deadline() is None
