"""Issue 23, finding 10: an answer that trickles in (a byte every 5 s) cannot hold a command.

A loopback server (tests/loopback.py `Scripted`) sends its answers a byte at a time and moves
the world's fake clock 5 s before each byte: httpx's per-read timeout never trips, so only a
deadline over the whole answer ends it. With `--timeout`, the command ends when it passes,
exit 6, naming the task; without, every answer of the API has ANSWER_DEADLINE
(providers/deadline.py), exit 4 saying so. Nothing sleeps: the server drives the clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from loopback import Scripted, http_answer, trickle
from seedance.providers.deadline import ANSWER_DEADLINE
from support import World

TASK = "cgt-20261101-slow"
ENDLESS = b" " * 60_000  # more than the server's limit: it never ends on its own


def profile(world: World, server: Scripted) -> None:
    world.write_profiles(
        {"profiles": {"slow": {"preset": "byteplus", "base_url": f"{server.url}/api/v3"}}}
    )


def body_trickles(world: World) -> Any:
    """Every GET's head comes at once, its body a byte every 5 s; a create is answered."""

    def script(method: str, path: str) -> Iterator[bytes]:
        if method == "POST":
            yield http_answer(json.dumps({"id": TASK}).encode())
            return
        yield http_answer(b"", length=1_000_000)
        yield from trickle(
            b'{"id": "' + TASK.encode() + b'", "status": "running"' + ENDLESS, world.clock
        )

    return script


def head_trickles(world: World) -> Any:
    def script(method: str, path: str) -> Iterator[bytes]:
        yield from trickle(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 12_000, world.clock)

    return script


@pytest.mark.parametrize("part", ["body", "head"])
def test_status_gives_up_on_an_answer_slower_than_the_answer_deadline(
    world: World, part: str
) -> None:
    script = body_trickles(world) if part == "body" else head_trickles(world)
    with Scripted(script) as server:
        profile(world, server)
        started = world.clock.monotonic()
        outcome = world.run("-p", "slow", "status", TASK)

    assert outcome.exit_code == 4, outcome.stderr
    assert f"did not answer in full within {ANSWER_DEADLINE:.0f} s" in outcome.stderr
    assert "too slowly" in outcome.stderr
    assert len(server.requests) == 1  # a server that trickles is not asked again
    assert world.clock.monotonic() - started >= ANSWER_DEADLINE


def test_wait_with_a_timeout_ends_when_it_passes_while_an_answer_trickles(world: World) -> None:
    with Scripted(body_trickles(world)) as server:
        profile(world, server)
        outcome = world.run("-p", "slow", "wait", TASK, "--timeout", "10")

    assert outcome.exit_code == 6, outcome.stderr
    [line] = [x for x in outcome.stderr.splitlines() if x.startswith("error:")]
    assert TASK in line and "still arriving" in line
    assert f"wait {TASK}" in line
    assert len(server.requests) == 1


def test_create_o_with_a_timeout_ends_when_it_passes_while_a_status_answer_trickles(
    world: World,
) -> None:
    with Scripted(body_trickles(world)) as server:
        profile(world, server)
        outcome = world.run("-p", "slow", "create", "a boat", "-o", "boat.mp4", "--timeout", "20")

    assert outcome.exit_code == 6, outcome.stderr
    [line] = [x for x in outcome.stderr.splitlines() if x.startswith("error:")]
    assert TASK in line and "still arriving" in line
    assert f"wait {TASK} -o " in line and line.endswith("boat.mp4")
    assert [m for m, _path in server.requests].count("POST") == 1
    assert [m for m, _path in server.requests].count("GET") == 1


def video_trickles(world: World, server: list[Scripted]) -> Any:
    """A create, a finished task whose result is on this server, and its video a byte every
    5 s (a Range asked for is ignored: every answer starts again from the first byte)."""

    def script(method: str, path: str) -> Iterator[bytes]:
        if method == "POST":
            yield http_answer(json.dumps({"id": TASK}).encode())
        elif path.endswith(".mp4"):
            head = "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: 1000000\r\n"
            yield (head + "Connection: close\r\n\r\n").encode()
            yield from trickle(b"\x00\x00\x00\x18ftypmp42" + ENDLESS, world.clock)
        else:  # a read, or the list a wait reads
            done = {
                "id": TASK,
                "status": "succeeded",
                "content": {"video_url": f"{server[0].url}/videos/{TASK}.mp4"},
                "usage": {"completion_tokens": 108900},
            }
            answer = {"items": [done], "total": 1} if "?" in path else done
            yield http_answer(json.dumps(answer).encode())

    return script


def test_create_o_with_a_timeout_ends_when_it_passes_while_the_video_trickles(
    world: World,
) -> None:
    found: list[Scripted] = []
    with Scripted(video_trickles(world, found)) as server:
        found.append(server)
        profile(world, server)
        outcome = world.run("-p", "slow", "create", "a boat", "-o", "boat.mp4", "--timeout", "20")

    assert outcome.exit_code == 6, outcome.stderr
    [line] = [x for x in outcome.stderr.splitlines() if x.startswith("error:")]
    assert TASK in line and "while its result was downloading" in line
    assert f"download {TASK} -o" in line
    assert [path for _m, path in server.requests if path.endswith(".mp4")] == [
        f"/videos/{TASK}.mp4"
    ]
    assert not (world.root / "boat.mp4").exists()


def test_a_video_that_trickles_is_given_up_without_a_timeout_too(world: World) -> None:
    """No --timeout: each attempt ends when less than 1 KiB/s arrived over two minutes; the
    `.part` is kept for the next run."""
    from seedance.services.videos.downloads import MAX_ATTEMPTS

    found: list[Scripted] = []
    with Scripted(video_trickles(world, found)) as server:
        found.append(server)
        profile(world, server)
        outcome = world.run("-p", "slow", "create", "a boat", "-o", "boat.mp4")

    assert outcome.exit_code == 4, outcome.stderr
    [line] = [x for x in outcome.stderr.splitlines() if x.startswith("error:")]
    assert "came too slowly" in line and "resumes where it stopped" in line
    videos = [path for _m, path in server.requests if path.endswith(".mp4")]
    assert len(videos) == MAX_ATTEMPTS
    assert not (world.root / "boat.mp4").exists()
