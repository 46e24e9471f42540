"""Hostile task answers (issue 23, finding 14), from a hostile Ark server (pytest-httpx):

- a create answered with a task id cannot be used (`../evil`): the create was made and
  may be billed, so it says so (exit 3), keeps the raw answer in the journal, frees the slot,
  counts the estimate as spent, and a second run neither pays again nor follows the id;
- a task read answering another, unusable id never becomes a file name;
- a result URL that is not http(s) is refused at once, not retried as a network failure;
- result URLs on non-public addresses (loopback, `localhost`, link-local, private, a name that
  resolves to one) are never fetched, unless the profile's own API host is non-public (the
  simulator, a self-hosted gateway) or the result is on that very host.
"""

from __future__ import annotations

import json
import re
import socket
from importlib import resources
from typing import Any

import httpx
import pytest

from seedance.services.state.sqlite import SqliteState

API = "https://ark.ap-southeast.bytepluses.com/api/v3"
TASKS = API + "/contents/generations/tasks"
CLIP = resources.files("seedance.sim.data").joinpath("sample.mp4").read_bytes()


def succeeded(video_url: str, task_id: str = "cgt-1") -> dict[str, Any]:
    return {
        "id": task_id,
        "status": "succeeded",
        "model": "dreamina-seedance-2-0-260128",
        "content": {"video_url": video_url},
        "usage": {"completion_tokens": 108900},
        "created_at": 1781181681,
        "updated_at": 1781181700,
    }


def serve_task(httpx_mock: Any, task: dict[str, Any], asked: str = "cgt-1") -> None:
    """The hostile server's answer to every read of task `asked` (alone or in the list)."""
    httpx_mock.add_response(
        method="GET", url=f"{TASKS}/{asked}", json=task, is_reusable=True, is_optional=True
    )
    httpx_mock.add_response(
        method="GET",
        url=re.compile(re.escape(TASKS) + r"\?.*"),
        json={"items": [task], "total": 1},
        is_reusable=True,
        is_optional=True,
    )


def fetched(httpx_mock: Any, host: str) -> list[str]:
    return [str(r.url) for r in httpx_mock.get_requests() if r.url.host == host]


# -- a create answered with an id cannot be used ---------------------------------------


def test_a_create_answered_with_an_unusable_id_says_so_keeps_the_answer_and_frees_the_slot(
    world, httpx_mock
):
    answer = {"id": "../evil", "note": "hostile"}
    httpx_mock.add_response(method="POST", url=TASKS, json=answer)
    first = world.run("-p", "byteplus", "create", "a boat", "-o", "boat.mp4")
    assert first.exit_code == 3, first.stderr
    assert "unusable task id" in first.stderr
    assert "'../evil'" in first.stderr
    assert "nothing was sent" not in first.stderr

    journal = SqliteState(world.data_dir)
    [entry] = journal.entries(limit=None)
    assert entry.task_id is None  # never a path, a URL or a command
    assert entry.finished_at is not None  # it holds no slot of the account
    assert json.dumps(answer) in (entry.error or "")  # the raw answer, kept
    assert journal.open_creates(entry.account or "", 0) == []
    assert journal.charged(entry.account or "", "USD", 0) > 0  # it may well be billed
    journal.close()

    again = world.run("-p", "byteplus", "create", "a boat", "-o", "boat.mp4")
    assert again.exit_code == 3, again.stderr
    assert "unusable task id" in again.stderr
    assert "--new" in again.stderr  # making it anew is a choice, billed anew
    posts = [r for r in httpx_mock.get_requests() if r.method == "POST"]
    assert len(posts) == 1
    assert not [r for r in httpx_mock.get_requests() if ".." in r.url.path]
    assert not (world.root.parent / "evil.mp4").exists()


def test_a_task_read_answering_another_unusable_id_never_names_a_file(world, httpx_mock):
    serve_task(httpx_mock, succeeded("https://cdn.example.com/x.mp4", task_id="../../evil"))
    (world.root / "out").mkdir()
    outcome = world.run("-p", "byteplus", "download", "cgt-1", "-o", "out/")
    assert outcome.exit_code == 3, outcome.stderr
    assert "unusable task id" in outcome.stderr
    assert not fetched(httpx_mock, "cdn.example.com")
    assert not list(world.root.parent.glob("evil*"))


# -- result URLs -------------------------------------------------------------------------------


def test_a_result_url_that_is_not_http_is_refused_at_once(world, httpx_mock):
    serve_task(httpx_mock, succeeded("file:///etc/passwd"))
    started = world.clock.monotonic()
    outcome = world.run("-p", "byteplus", "download", "cgt-1", "-o", "clip.mp4")
    assert outcome.exit_code == 3, outcome.stderr
    assert "file:///etc/passwd" in outcome.stderr and "http" in outcome.stderr
    assert "connection" not in outcome.stderr
    assert world.clock.monotonic() - started < 1  # no retries, no back-off
    assert not (world.root / "clip.mp4").exists()


def test_a_redirect_to_a_file_url_is_refused_at_once(world, httpx_mock):
    serve_task(httpx_mock, succeeded("https://cdn.example.com/x.mp4"))
    httpx_mock.add_response(
        url="https://cdn.example.com/x.mp4",
        status_code=302,
        headers={"location": "file:///etc/passwd"},
        is_reusable=True,
    )
    started = world.clock.monotonic()
    outcome = world.run("-p", "byteplus", "download", "cgt-1", "-o", "clip.mp4")
    assert outcome.exit_code == 3, outcome.stderr
    assert "file://" in outcome.stderr and "/etc/passwd" in outcome.stderr
    assert world.clock.monotonic() - started < 1
    assert len(fetched(httpx_mock, "cdn.example.com")) == 1


NON_PUBLIC = [
    "http://127.0.0.1:8080/x.mp4",
    "http://localhost/x.mp4",
    "http://169.254.169.254/latest/meta-data/x.mp4",
    "https://10.0.0.7/x.mp4",
    "https://[::1]/x.mp4",
    "https://[::ffff:127.0.0.1]/x.mp4",
    "https://0.0.0.0/x.mp4",
    "https://rebound.example.com/x.mp4",  # a name that resolves to 127.0.0.1
]


@pytest.fixture
def rebound(monkeypatch):
    """A resolver under which rebound.example.com is 127.0.0.1 (and cdn.example.com public)."""
    from seedance.providers import addresses

    table = {"rebound.example.com": ["127.0.0.1"], "cdn.example.com": ["93.184.215.14"]}

    def resolve(host: str) -> list[str]:
        if host in table:
            return table[host]
        raise socket.gaierror(socket.EAI_NONAME, "unknown")

    monkeypatch.setattr(addresses, "resolve", resolve)


@pytest.mark.parametrize("url", NON_PUBLIC)
def test_a_result_url_on_a_non_public_address_is_never_fetched(world, httpx_mock, rebound, url):
    serve_task(httpx_mock, succeeded(url))
    host = httpx.URL(url).host
    httpx_mock.add_response(url=url, content=CLIP, is_optional=True)
    outcome = world.run("-p", "byteplus", "download", "cgt-1", "-o", "clip.mp4")
    assert outcome.exit_code == 3, outcome.stderr
    assert "not a public address" in outcome.stderr
    assert fetched(httpx_mock, host) == []
    assert not (world.root / "clip.mp4").exists()


def test_a_redirect_to_a_non_public_address_is_not_followed(world, httpx_mock, rebound):
    serve_task(httpx_mock, succeeded("https://cdn.example.com/x.mp4"))
    httpx_mock.add_response(
        url="https://cdn.example.com/x.mp4",
        status_code=302,
        headers={"location": "http://169.254.169.254/latest/meta-data/"},
    )
    httpx_mock.add_response(url="http://169.254.169.254/latest/meta-data/", is_optional=True)
    outcome = world.run("-p", "byteplus", "download", "cgt-1", "-o", "clip.mp4")
    assert outcome.exit_code == 3, outcome.stderr
    assert "169.254.169.254" in outcome.stderr and "not a public address" in outcome.stderr
    assert fetched(httpx_mock, "169.254.169.254") == []


def test_a_public_result_url_is_fetched(world, httpx_mock, rebound):
    serve_task(httpx_mock, succeeded("https://cdn.example.com/x.mp4"))
    httpx_mock.add_response(url="https://cdn.example.com/x.mp4", content=CLIP)
    outcome = world.run("-p", "byteplus", "download", "cgt-1", "-o", "clip.mp4")
    assert outcome.exit_code == 0, outcome.stderr
    assert (world.root / "clip.mp4").read_bytes() == CLIP


def test_a_gateway_on_a_private_network_may_serve_results_there(world, httpx_mock, rebound):
    """A self-hosted gateway (its API on a private address) serves its results from its own
    network: trusted, as its API is."""
    base = "https://10.1.2.3:8443/api/v3"
    world.write_profiles(
        {"profiles": {"lan": {"preset": "byteplus", "base_url": base, "api_key": "k-lan-0001"}}}
    )
    task = succeeded("http://10.1.2.4/x.mp4")
    httpx_mock.add_response(
        method="GET", url=f"{base}/contents/generations/tasks/cgt-1", json=task, is_reusable=True
    )
    httpx_mock.add_response(url="http://10.1.2.4/x.mp4", content=CLIP)
    outcome = world.run("-p", "lan", "download", "cgt-1", "-o", "clip.mp4")
    assert outcome.exit_code == 0, outcome.stderr
