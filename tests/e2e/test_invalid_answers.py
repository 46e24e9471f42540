"""Issue 23, finding 11: status answers that are not a task (too large, endless, malformed,
wrongly typed) are said at once, and after 3 in a row the wait stops: exit 3, the task named
with the command that resumes it. Before, `create -o` showed "waiting" for minutes and
`wait --timeout 20` ended "still not seen yet", the cause never shown."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock, IteratorStream

from support import World

BYTEPLUS = "https://ark.ap-southeast.bytepluses.com/api/v3/contents/generations/tasks"
TASK = "cgt-20261101-odd"


def endless() -> Iterator[bytes]:
    piece = b" " * (1024 * 1024)
    while True:  # the client stops reading at its cap
        yield piece


ANSWERS: dict[str, tuple[dict[str, Any], str]] = {
    "50 MB": (
        {"content": b"{}", "headers": {"content-length": str(50 * 2**20)}},
        "more than the 8,388,608 accepted",
    ),
    "endless": ({"stream": IteratorStream(endless())}, "exceeds 8,388,608 bytes"),
    "malformed": ({"text": '{"id": "cgt-20261101-odd", "sta'}, "not JSON"),
    "wrongly typed": (
        {"json": {"id": TASK, "status": ["running"], "items": [{"id": TASK, "status": 7}]}},
        "a status that is no word",
    ),
}


READS = re.compile(re.escape(BYTEPLUS) + r"(/.*|\?.*)")  # the task, and the list a wait reads


def serve(httpx_mock: HTTPXMock, answer: dict[str, Any]) -> None:
    """Every read gets `answer` (one body serves both: the list reads `items`, a read of the
    task its fields); a create works."""
    httpx_mock.add_response(method="POST", url=BYTEPLUS, json={"id": TASK}, is_optional=True)
    if "stream" in answer:  # a fresh endless body for each request

        def fresh(_request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, stream=IteratorStream(endless()))

        httpx_mock.add_callback(fresh, method="GET", url=READS, is_reusable=True)
    else:
        httpx_mock.add_response(method="GET", url=READS, is_reusable=True, **answer)


def reads(httpx_mock: HTTPXMock) -> int:
    return len([r for r in httpx_mock.get_requests() if r.method == "GET"])


@pytest.mark.parametrize("kind", list(ANSWERS))
def test_wait_says_the_answers_are_invalid_and_stops_after_three(
    world: World, httpx_mock: HTTPXMock, kind: str
) -> None:
    answer, why = ANSWERS[kind]
    serve(httpx_mock, answer)
    started = world.clock.monotonic()

    outcome = world.run("-p", "byteplus", "wait", TASK, "--timeout", "20")

    assert outcome.exit_code == 3, outcome.stderr
    assert f"{TASK}  waiting  invalid answer: " in outcome.stderr  # said while it waits
    [line] = [x for x in outcome.stderr.splitlines() if x.startswith("error:")]
    assert f"last 3 answers about task {TASK} were invalid" in line and why in line
    assert line.endswith(f"seedance -p byteplus wait {TASK}")
    assert world.clock.monotonic() - started < 20


@pytest.mark.parametrize("kind", ["malformed", "wrongly typed"])
def test_create_o_says_the_answers_are_invalid_and_stops_after_three(
    world: World, httpx_mock: HTTPXMock, kind: str
) -> None:
    answer, why = ANSWERS[kind]
    serve(httpx_mock, answer)
    started = world.clock.monotonic()

    outcome = world.run("-p", "byteplus", "create", "a boat", "-o", "boat.mp4")

    assert outcome.exit_code == 3, outcome.stderr
    assert "invalid answer: " in outcome.stderr
    [line] = [x for x in outcome.stderr.splitlines() if x.startswith("error:")]
    assert f"answers about task {TASK} were invalid" in line and why in line
    assert f"wait {TASK} -o " in line
    assert world.clock.monotonic() - started < 60  # not the minutes it took before
    assert len([r for r in httpx_mock.get_requests() if r.method == "POST"]) == 1


def test_an_invalid_answer_between_good_ones_does_not_stop_the_wait(
    world: World, httpx_mock: HTTPXMock
) -> None:
    running = {"id": TASK, "status": "running"}
    done = {
        "id": TASK,
        "status": "failed",
        "error": {"code": "OutputVideoSensitiveContentDetected", "message": "sensitive"},
    }
    url = READS
    for answer in (running, None, None, running, None, None, done):
        if answer is None:
            httpx_mock.add_response(method="GET", url=url, text="<html>proxy</html>")
        else:
            httpx_mock.add_response(
                method="GET", url=url, json={**answer, "items": [answer], "total": 1}
            )
    outcome = world.run("-p", "byteplus", "wait", TASK)
    assert outcome.exit_code == 5, outcome.stderr  # the task's own end, seen after all
