"""Issue 23, findings 4 and 5 at the one place answers are read: every secret the process
knows is hidden by value, and terminal controls are gone, from every text of an answer
before any provider parses it (providers/http.py `clean_answer`, domain/server_text.py)."""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx
import pytest
from pytest_httpx import HTTPXMock

from seedance.domain.clock import FakeClock
from seedance.domain.redact import MIN_SECRET, redact_secrets, register_secret
from seedance.domain.server_text import clean_text, clean_value, strip_controls
from seedance.providers.http import BearerAuth, HttpClient, Retry, origin_of

API = "https://api.example.com"
URL = f"{API}/api/v3/contents/generations/tasks/cgt-1"
KEY = "sk-answer-echo-0123456789"
PASSWORD = "db-password-4711"  # say, a state URL's: registered by one call


def client() -> HttpClient:
    return HttpClient(credentials={origin_of(API): BearerAuth(KEY)}, clock=FakeClock())


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("\x1b[31mred\x1b[0m", "red"),
        ("a\x1b[2Jb", "ab"),
        ("title\x1b]0;owned\x07 end", "title end"),
        ("clip\x1b]52;c;cm0gLXJmIH4=\x1b\\ board", "clip board"),
        ("unterminated \x1b]0;to the end", "unterminated "),
        ("8-bit \x9b2Jcsi \x9d0;t\x9c!", "8-bit csi !"),
        ("over\rwrite", "overwrite"),
        ("bell\x07 nul\x00 del\x7f", "bell nul del"),
        ("right\u202eleft \u2066iso\u2069", "rightleft iso"),
        ("two\nlines\tand\r\na tab", "two lines and a tab"),
        ("lone ESC\x1b", "lone ESC"),
        ("plain text, é 中文 ✓", "plain text, é 中文 ✓"),
    ],
)
def test_terminal_controls_leave_a_server_text(sent: str, shown: str) -> None:
    assert clean_text(sent) == shown


@pytest.mark.parametrize(
    "split",
    ["\x1b[0m", "\x1b]0;t\x07", "\u200b", "\u2060", "\ufeff", "\x00", "\u202e", "\xad"],
)
def test_a_secret_split_by_what_is_taken_out_is_hidden_once_whole(split: str) -> None:
    register_secret(KEY)
    shown = clean_text(f"key {KEY[:6]}{split}{KEY[6:]} refused")
    assert shown == "key *** refused"


def test_strip_controls_keeps_lines_and_tabs_of_our_own_messages() -> None:
    assert strip_controls("one\n\ttwo\x1b[1m") == "one\n\ttwo"


def test_a_registered_secret_is_hidden_in_every_form_a_text_quotes_it() -> None:
    secret = "p@ss/word+4711=="
    register_secret(secret)
    register_secret("short")  # below MIN_SECRET: would garble ordinary words
    assert len("short") < MIN_SECRET
    for form in (secret, quote(secret, safe=""), json.dumps(secret)[1:-1]):
        assert redact_secrets(f"it said {form}!") == "it said ***!"
    assert redact_secrets("short stays") == "short stays"


def test_clean_value_reaches_every_string_keys_too_without_recursion() -> None:
    register_secret(KEY)
    deep: list[object] = [f"in {KEY}"]
    for _ in range(5000):  # deeper than any recursion limit
        deep = [deep]
    value = {"a": [{"b": f"x {KEY}"}], f"{KEY}\x1b[2J": 1, "n": 2.5, "deep": deep}
    cleaned = clean_value(value)
    assert cleaned["a"] == [{"b": "x ***"}] and cleaned["n"] == 2.5 and cleaned["***"] == 1
    inner = cleaned["deep"]
    while isinstance(inner, list):
        inner = inner[0]
    assert inner == "in ***"


ANSWERS = [
    ({"json": {"error": {"code": f"E\x1b[2J{KEY}", "message": f"key {KEY}\x1b]0;t\x07"}}}),
    ({"text": f"<html>denied for {KEY}\x1b[31m</html>", "headers": {"content-type": "text/html"}}),
    ({"content": f'{{"escaped": "{KEY[:3]}\\u{ord(KEY[3]):04x}{KEY[4:]}"}}'.encode()}),
]


@pytest.mark.parametrize("answer", ANSWERS, ids=["json", "text", "json-escaped"])
def test_every_answer_is_clean_before_anyone_parses_it(
    httpx_mock: HTTPXMock, answer: dict[str, object]
) -> None:
    httpx_mock.add_response(url=URL, status_code=401, headers={"x-request-id": f"r {KEY}"})
    httpx_mock.add_response(url=URL, status_code=401, **answer)  # type: ignore[arg-type]
    with client() as http:
        for _ in range(2):
            response = http.request("GET", URL)
            text = response.text
            assert KEY not in text and "\x1b" not in text and "\\u001b" not in text
            assert KEY not in str(response.headers)
            assert "***" in text or "***" in response.headers.get("x-request-id", "")


def test_bytes_that_are_no_text_are_left_as_they_are(httpx_mock: HTTPXMock) -> None:
    body = bytes(range(256)) * 4
    httpx_mock.add_response(url=URL, content=body)
    with client() as http:
        assert http.request("GET", URL).content == body


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000, b'{"duration": ' + b"1" * 5001 + b"}", b'{"id": "cgt-1", "sta'],
    ids=["nested", "digits", "cut"],
)
def test_an_answer_no_parser_takes_is_an_error_not_a_crash(
    httpx_mock: HTTPXMock, body: bytes
) -> None:
    from seedance.domain.errors import BadResponseError
    from seedance.domain.profiles import build_profile
    from seedance.providers.ark import ArkProvider

    httpx_mock.add_response(url=URL, content=body, headers={"content-type": "application/json"})
    profile = build_profile("x", {"preset": "byteplus", "base_url": f"{API}/api/v3"})
    with client() as http, pytest.raises(BadResponseError, match="not JSON"):
        ArkProvider(profile, http).get("cgt-1")


def test_a_transport_error_is_clean_too(httpx_mock: HTTPXMock) -> None:
    from seedance.domain.errors import NetworkError

    register_secret(PASSWORD)
    httpx_mock.add_exception(httpx.ConnectError(f"proxy said {PASSWORD}\x1b[2J"), url=URL)
    with client() as http, pytest.raises(NetworkError) as caught:
        http.request("GET", URL, retry=Retry.NEVER)
    assert PASSWORD not in str(caught.value) and "\x1b" not in str(caught.value)
