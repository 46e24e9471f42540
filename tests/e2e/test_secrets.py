"""Secrets never reach a message: a key command's arguments, a pre-signed URL's query string."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from seedance.domain import profiles
from support import World

SECRET = "sk-live-0123456789abcdef"
BYTEPLUS = "https://ark.ap-southeast.bytepluses.com/api/v3"
TASKS = f"{BYTEPLUS}/contents/generations/tasks"
SIGNATURE = "X-Tos-Signature=5f2c9e0d41b7aa"
SIGNED = (
    "https://ark-content-generation-ap-southeast-1.tos-ap-southeast-1.volces.com/cgt-1/"
    f"video.mp4?X-Tos-Algorithm=TOS4-HMAC-SHA256&X-Tos-Expires=86400&{SIGNATURE}"
)
SIGNED_IMAGE = f"https://media.example.com/ref.png?X-Amz-Expires=600&X-Amz-{SIGNATURE}"


def everything(outcome: Any) -> str:
    return outcome.stdout + outcome.stderr


# -- api_key_cmd: the program only ----------------------------------------------------------


def key_command_world(world: World, command: str) -> None:
    world.write_profiles({"profiles": {"x": {"preset": "byteplus", "api_key_cmd": command}}})


@pytest.mark.parametrize(
    "command",
    [
        f"{sys.executable} -c 'raise SystemExit(3)' --token {SECRET}",  # fails
        f"{sys.executable} -c 'pass' --token {SECRET}",  # prints nothing
        f"/nonexistent/keytool --password {SECRET}",  # cannot run
    ],
    ids=["exits-non-zero", "prints-no-key", "missing-program"],
)
@pytest.mark.parametrize("json_output", [False, True], ids=["text", "json"])
def test_issue14_line12_a_failing_api_key_cmd_shows_the_program_only(
    world: World, httpx_mock: HTTPXMock, command: str, json_output: bool
) -> None:
    key_command_world(world, command)

    outcome = world.run(*(["--json"] if json_output else []), "-p", "x", "status", "cgt-1")

    assert outcome.exit_code == 2
    assert SECRET not in everything(outcome)
    assert "--token" not in everything(outcome) and "--password" not in everything(outcome)
    assert f"api_key_cmd `{shlex.split(command)[0]} …`" in outcome.stderr
    assert not httpx_mock.get_requests()


def test_an_api_key_cmd_that_hangs_shows_the_program_only(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def hangs(argv: list[str], **kwargs: Any) -> Any:
        raise subprocess.TimeoutExpired(argv, 30)  # its text holds the whole command line

    monkeypatch.setattr(profiles.subprocess, "run", hangs)
    key_command_world(world, f"pass show --token {SECRET}")

    outcome = world.run("-p", "x", "status", "cgt-1")

    assert outcome.exit_code == 2
    assert SECRET not in everything(outcome)
    assert "api_key_cmd `pass …` did not finish in 30 s" in outcome.stderr


def test_an_api_key_cmd_that_cannot_be_split_shows_nothing_of_it(world: World) -> None:
    key_command_world(world, f"pass show '{SECRET}")

    outcome = world.run("-p", "x", "status", "cgt-1")

    assert outcome.exit_code == 2
    assert SECRET not in everything(outcome)


# -- pre-signed URLs: no query string in any message ---------------------------------------


def test_redact_urls_hides_queries_and_user_info_in_running_text() -> None:
    from seedance.domain.redact import redact_url, redact_urls

    text = f"could not fetch {SIGNED}; see (https://u:pw@h.example/x?a=1), or http://127.0.0.1:8/p."
    shown = redact_urls(text)
    assert shown == (
        f"could not fetch {redact_url(SIGNED)}; see (https://h.example/x?…), "
        "or http://127.0.0.1:8/p."
    )
    assert SIGNATURE not in shown and "pw" not in shown
    assert redact_urls("no URL here") == "no URL here"


def test_an_api_error_echoing_a_signed_reference_url_hides_its_query(
    world: World, httpx_mock: HTTPXMock
) -> None:
    refusal = {
        "error": {
            "code": "InvalidParameter",
            "message": f"the image at {SIGNED_IMAGE} could not be downloaded",
        }
    }
    httpx_mock.add_response(
        method="POST", url=TASKS, status_code=400, json=refusal, is_reusable=True
    )

    for flags in ([], ["--json"], ["--verbose"]):
        outcome = world.run(*flags, "-p", "byteplus", "create", "a boat", "--image", SIGNED_IMAGE)
        assert outcome.exit_code == 3, outcome.stderr
        assert SIGNATURE not in everything(outcome)
        assert "https://media.example.com/ref.png?…" in outcome.stderr
        if flags == ["--json"]:
            assert json.loads(outcome.stdout)["error"]["message"].count("?…") == 1


def test_a_failed_task_whose_error_holds_a_signed_url_hides_its_query(
    world: World, httpx_mock: HTTPXMock
) -> None:
    failed = {
        "id": "cgt-1",
        "status": "failed",
        "error": {"code": "InputImageError", "message": f"cannot read {SIGNED_IMAGE}"},
        "created_at": 1781181681,
    }
    listing = {"items": [failed], "total": 1}  # waits read the list, by id
    httpx_mock.add_response(url=re.compile(f"{TASKS}[?].*"), json=listing, is_reusable=True)

    for flags in ([], ["--json"]):
        outcome = world.run(*flags, "-p", "byteplus", "wait", "cgt-1", "-o", "clip.mp4")
        assert outcome.exit_code == 5
        assert SIGNATURE not in outcome.stderr
        if flags:  # the task document on stdout is data: its URLs are the user's to use
            assert "error" in json.loads(outcome.stdout)


def test_download_messages_and_verbose_logs_hide_the_result_urls_query(
    world: World, httpx_mock: HTTPXMock
) -> None:
    from seedance.providers.http import redact_url

    succeeded = {
        "id": "cgt-1",
        "status": "succeeded",
        "content": {"video_url": SIGNED},
        "created_at": 1781181681,
    }
    httpx_mock.add_response(url=f"{TASKS}/cgt-1", json=succeeded, is_reusable=True)
    httpx_mock.add_exception(
        httpx.ConnectError(f"cannot connect to {SIGNED}"), url=SIGNED, is_reusable=True
    )

    for flags in (["--verbose"], ["--json"]):
        outcome = world.run(*flags, "-p", "byteplus", "download", "cgt-1", "-o", "clip.mp4")
        assert outcome.exit_code == 4, outcome.stderr
        assert SIGNATURE not in outcome.stderr
        if flags == ["--json"]:
            assert SIGNATURE not in outcome.stdout
        else:
            assert f"GET {redact_url(SIGNED)}" in outcome.stderr


@pytest.mark.parametrize("broken", [f"{SECRET[:8]}\r\n{SECRET[8:]}", f"{SECRET} 2nd-key"])
def test_a_key_no_header_can_carry_exits_2_sends_nothing_and_shows_nothing_of_it(
    world: World, httpx_mock: HTTPXMock, broken: str
) -> None:
    world.environ["ARK_API_KEY"] = broken
    for args in (("status", "cgt-1"), ("create", "a boat", "--json")):
        outcome = world.run("-p", "byteplus", *args)
        assert outcome.exit_code == 2, outcome.stderr
        assert "the key from environment variable ARK_API_KEY holds" in everything(outcome)
        assert SECRET[:8] not in everything(outcome) and SECRET[8:] not in everything(outcome)
    assert httpx_mock.get_requests() == []
    assert json.loads(world.run("tasks", "list", "--local", "--json").stdout or "[]") == []
