"""The one HTTP layer: retries and backoff, where credentials may go, redaction, size caps."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest
from pytest_httpx import HTTPXMock, IteratorStream

from seedance.domain.clock import FakeClock
from seedance.domain.errors import BadResponseError, NetworkError, OutcomeUnknownError
from seedance.providers.http import (
    BearerAuth,
    HttpClient,
    RateLimiter,
    Retry,
    RetryPolicy,
    origin_of,
    read_capped,
    redact_headers,
    redact_url,
)
from support import KEYS, World

API = "https://api.example.com"
URL = f"{API}/api/v3/contents/generations/tasks"
CDN = "https://bucket.tos-ap-southeast-1.example.net"
TOKEN = "sk-secret-token-42"


def client(
    retry: RetryPolicy | None = None, log: list[str] | None = None, rate_limit: int | None = None
) -> HttpClient:
    """An HttpClient whose API origin gets a Bearer key, with exact (jitter-free) delays."""
    return HttpClient(
        credentials={origin_of(API): BearerAuth(TOKEN)},
        clock=FakeClock(),
        retry=retry,
        rate_limit=rate_limit,
        jitter=lambda: 1.0,
        log=log.append if log is not None else None,
    )


def sleeps(http: HttpClient) -> list[float]:
    assert isinstance(http.clock, FakeClock)
    return http.clock.sleeps


def auth_of(request: httpx.Request) -> str | None:
    return request.headers.get("Authorization")


class CutOffStream(httpx.SyncByteStream):
    """A body that breaks after its first chunk, like a connection dropped mid-answer."""

    def __iter__(self) -> Iterator[bytes]:
        yield b'{"id": "cgt-'
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


# -- retries of reads ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.ReadTimeout("stalled")],
    ids=["connect-error", "connect-timeout", "read-timeout"],
)
def test_get_retries_network_failures_with_exponential_backoff(
    httpx_mock: HTTPXMock, failure: Exception
) -> None:
    for _ in range(3):
        httpx_mock.add_exception(failure)
    httpx_mock.add_response(json={"ok": True})
    http = client()

    response = http.request("GET", URL)

    assert response.json() == {"ok": True}
    assert sleeps(http) == [0.5, 1.0, 2.0]
    assert len(httpx_mock.get_requests()) == 4


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_get_retries_transient_statuses(httpx_mock: HTTPXMock, status: int) -> None:
    httpx_mock.add_response(status_code=status)
    httpx_mock.add_response(json={"ok": True})
    http = client()

    assert http.request("GET", URL).status_code == 200
    assert sleeps(http) == [0.5]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_get_does_not_retry_client_errors(httpx_mock: HTTPXMock, status: int) -> None:
    httpx_mock.add_response(status_code=status)
    http = client()

    assert http.request("GET", URL).status_code == status
    assert sleeps(http) == []


def test_backoff_doubles_up_to_max_delay(httpx_mock: HTTPXMock) -> None:
    for _ in range(5):
        httpx_mock.add_response(status_code=503)
    httpx_mock.add_response()
    http = client(RetryPolicy(attempts=6, base_delay=1.0, max_delay=3.0, budget=1000))

    assert http.request("GET", URL).status_code == 200
    assert sleeps(http) == [1.0, 2.0, 3.0, 3.0, 3.0]


def test_jitter_scales_each_delay(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response()
    clock = FakeClock()
    http = HttpClient(clock=clock, jitter=lambda: 0.25)

    http.request("GET", URL)

    assert clock.sleeps == [0.125, 0.25]


def test_retry_after_seconds_is_honoured(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "7"})
    httpx_mock.add_response()
    http = client()

    assert http.request("GET", URL).status_code == 200
    assert sleeps(http) == [7.0]


def test_retry_after_ms_is_honoured(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=503, headers={"retry-after-ms": "1500"})
    httpx_mock.add_response()
    http = client()

    http.request("GET", URL)

    assert sleeps(http) == [1.5]


def test_retry_after_http_date_is_measured_on_the_clients_clock(httpx_mock: HTTPXMock) -> None:
    http = client()
    when = datetime.fromtimestamp(http.clock.time() + 30, UTC)
    httpx_mock.add_response(status_code=503, headers={"Retry-After": format_datetime(when, True)})
    httpx_mock.add_response()

    http.request("GET", URL)

    assert sleeps(http) == [30.0]


@pytest.mark.parametrize(("cap", "expected"), [(60.0, 60.0), (5.0, 5.0)])
def test_retry_after_is_capped(httpx_mock: HTTPXMock, cap: float, expected: float) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "600"})
    httpx_mock.add_response()
    http = client(RetryPolicy(retry_after_cap=cap, budget=1000))

    http.request("GET", URL)

    assert sleeps(http) == [expected]


def test_retries_stop_at_attempts_and_return_the_last_answer(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=503, is_reusable=True)
    http = client(RetryPolicy(attempts=3))

    assert http.request("GET", URL).status_code == 503
    assert len(httpx_mock.get_requests()) == 3
    assert sleeps(http) == [0.5, 1.0]


def test_retries_stop_at_the_budget(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "7"}, is_reusable=True)
    http = client(RetryPolicy(budget=10))

    assert http.request("GET", URL).status_code == 429
    assert len(httpx_mock.get_requests()) == 2
    assert sleeps(http) == [7.0]


def test_get_whose_answer_is_cut_off_is_retried(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(stream=CutOffStream())
    httpx_mock.add_response(json={"id": "cgt-1"}, is_optional=True)
    http = client()

    assert http.request("GET", URL).json() == {"id": "cgt-1"}
    assert len(httpx_mock.get_requests()) == 2


def test_network_failure_after_every_attempt_is_a_network_error(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ConnectError("refused"), is_reusable=True)
    http = client(RetryPolicy(attempts=3))

    with pytest.raises(NetworkError) as caught:
        http.request("GET", URL)

    assert type(caught.value) is NetworkError
    assert caught.value.exit_status == 4
    assert len(httpx_mock.get_requests()) == 3


# -- retries of creates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure", [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow")], ids=str
)
def test_create_is_retried_when_it_never_left(httpx_mock: HTTPXMock, failure: Exception) -> None:
    httpx_mock.add_exception(failure)
    httpx_mock.add_response(json={"id": "cgt-1"})
    http = client()

    response = http.request("POST", URL, json={"model": "m"}, retry=Retry.UNSENT)

    assert response.json() == {"id": "cgt-1"}
    assert len(httpx_mock.get_requests()) == 2


def test_create_is_retried_after_429(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "2"})
    httpx_mock.add_response(json={"id": "cgt-1"})
    http = client()

    response = http.request("POST", URL, json={"model": "m"}, retry=Retry.UNSENT)

    assert response.status_code == 200
    assert sleeps(http) == [2.0]


def test_create_is_not_retried_after_a_read_timeout(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("no answer"))
    http = client()

    with pytest.raises(OutcomeUnknownError):
        http.request("POST", URL, json={"model": "m"}, retry=Retry.UNSENT)

    assert len(httpx_mock.get_requests()) == 1
    assert sleeps(http) == []


def test_create_is_not_retried_after_a_500(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=500, json={"error": {"code": "InternalServiceError"}})
    http = client()

    response = http.request("POST", URL, json={"model": "m"}, retry=Retry.UNSENT)

    assert response.status_code == 500
    assert response.json() == {"error": {"code": "InternalServiceError"}}
    assert len(httpx_mock.get_requests()) == 1


def test_create_whose_answer_is_cut_off_has_an_unknown_outcome(httpx_mock: HTTPXMock) -> None:
    """The server took the create; only its answer was lost. Retrying could bill twice."""
    httpx_mock.add_response(stream=CutOffStream())
    http = client()

    with pytest.raises(OutcomeUnknownError):
        http.request("POST", URL, json={"model": "m"}, retry=Retry.UNSENT)

    assert len(httpx_mock.get_requests()) == 1


def test_never_is_never_retried(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ConnectError("refused"))
    http = client()

    with pytest.raises(NetworkError):
        http.request("GET", URL, retry=Retry.NEVER)

    assert len(httpx_mock.get_requests()) == 1


# -- where credentials go --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "authorized"),
    [
        (URL, True),
        ("https://api.example.com:443/x", True),
        ("https://api.example.com:8443/x", False),
        ("http://api.example.com/x", False),
        ("https://other.example.com/x", False),
        (f"{CDN}/video.mp4?X-Tos-Signature=abc", False),
    ],
    ids=["api", "explicit-443", "other-port", "other-scheme", "other-host", "result-url"],
)
def test_credentials_go_only_to_their_origin(
    httpx_mock: HTTPXMock, url: str, authorized: bool
) -> None:
    httpx_mock.add_response()

    client().request("GET", url)

    [request] = httpx_mock.get_requests()
    assert auth_of(request) == (f"Bearer {TOKEN}" if authorized else None)


def test_unauthenticated_request_to_the_api_carries_no_key(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response()

    client().request("GET", URL, authenticate=False)

    assert auth_of(httpx_mock.get_requests()[0]) is None


def test_secret_headers_are_stripped_on_the_way_to_other_hosts(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response()
    headers = {"Authorization": "Bearer leaked", "X-Api-Key": "leaked", "X-Tos-Token": "leaked"}

    client().request("GET", f"{CDN}/v.mp4", headers=headers)

    [request] = httpx_mock.get_requests()
    assert "leaked" not in str(request.headers.raw)


def test_a_redirect_to_another_origin_drops_the_key(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=302, headers={"Location": f"{CDN}/v.mp4?sig=1"})
    httpx_mock.add_response(url=f"{CDN}/v.mp4?sig=1", content=b"video")
    http = client()

    with http.stream("GET", URL, follow_redirects=True) as response:
        assert response.read() == b"video"

    first, second = httpx_mock.get_requests()
    assert auth_of(first) == f"Bearer {TOKEN}"
    assert second.url.host == "bucket.tos-ap-southeast-1.example.net"
    assert auth_of(second) is None


def test_a_redirect_to_another_port_drops_the_key(httpx_mock: HTTPXMock) -> None:
    elsewhere = "https://api.example.com:8443/v.mp4"
    httpx_mock.add_response(url=URL, status_code=307, headers={"Location": elsewhere})
    httpx_mock.add_response(url=elsewhere)

    with client().stream("GET", URL, follow_redirects=True) as response:
        response.read()

    assert auth_of(httpx_mock.get_requests()[1]) is None


def test_a_header_the_http_library_refuses_is_not_sent_nor_retried_nor_shown() -> None:
    """h11 refuses a header value ending in CR before writing a byte (a key read from a CRLF
    file): nothing was sent, so a create's outcome is not unknown; it is not tried again (it
    would be refused again), and the message never shows the key."""
    from loopback import Origin
    from seedance.providers.network import EnvProxyTransport

    with Origin() as origin:
        http = HttpClient(
            credentials={origin_of(origin.url): BearerAuth(TOKEN + "\r")},
            clock=FakeClock(),
            transport=EnvProxyTransport({}),
        )
        with pytest.raises(NetworkError) as caught:
            http.request("POST", f"{origin.url}/tasks", json={"model": "m"}, retry=Retry.UNSENT)
        http.close()
    assert type(caught.value) is NetworkError  # not OutcomeUnknownError: it never left
    assert "was not sent" in str(caught.value) and TOKEN not in str(caught.value)
    assert sleeps(http) == []


def test_a_transport_error_never_shows_a_credential_the_client_holds(
    httpx_mock: HTTPXMock,
) -> None:
    from seedance.providers.assets.signing import CredentialsByPath, SignerV4

    access, secret = "AKLT-access-123", "secret/key+456"
    signer = SignerV4(access, secret, "ap-southeast-1")
    http = HttpClient(
        credentials={origin_of(API): CredentialsByPath({"/x": signer}, BearerAuth(TOKEN))},
        clock=FakeClock(),
        retry=RetryPolicy(attempts=1),
    )
    quoted = f"{TOKEN} {access} {secret} {(TOKEN + chr(13)).encode()!r}"
    httpx_mock.add_exception(httpx.ConnectError(f"Illegal header value {quoted}"))
    with pytest.raises(NetworkError) as caught:
        http.request("GET", URL)
    text = str(caught.value)
    assert text.count("***") == 4 and not any(s in text for s in (TOKEN, access, secret))


def test_bearer_auth_does_not_show_its_token() -> None:
    assert TOKEN not in repr(BearerAuth(TOKEN))


# -- redaction -------------------------------------------------------------------------------


def test_redact_headers_hides_secrets() -> None:
    headers = httpx.Headers(
        {
            "Authorization": f"Bearer {TOKEN}",
            "X-Api-Key": TOKEN,
            "X-Content-Sha256": "a" * 64,
            "Content-Type": "application/json",
        }
    )

    shown = redact_headers(headers)

    assert TOKEN not in str(shown)
    assert shown["authorization"] == "Bearer ***"
    assert shown["x-api-key"] == "***"
    assert shown["x-content-sha256"] == "a" * 12 + "…"
    assert shown["content-type"] == "application/json"


def test_redact_url_hides_presigned_queries() -> None:
    url = f"{CDN}/v.mp4?X-Tos-Algorithm=TOS4&X-Tos-Credential=AKLT%2F&X-Tos-Signature=deadbeef"

    assert redact_url(url) == f"{CDN}/v.mp4?…"
    assert redact_url(f"{API}/x") == f"{API}/x"


def test_redact_url_hides_userinfo() -> None:
    shown = redact_url("https://user:pa55word@proxy.example.com/api/v3?x=1")

    assert "pa55word" not in shown
    assert shown.endswith("proxy.example.com/api/v3?…")


def test_verbose_log_never_shows_the_key(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(url=URL, status_code=302, headers={"Location": f"{CDN}/v?sig=s3cr3t"})
    httpx_mock.add_response(url=f"{CDN}/v?sig=s3cr3t")
    lines: list[str] = []

    with client(log=lines).stream("GET", URL, follow_redirects=True) as response:
        response.read()

    log = "\n".join(lines)
    assert "→ GET https://api.example.com/api/v3/contents/generations/tasks" in log
    assert "Bearer ***" in log
    assert "retrying" in log
    assert TOKEN not in log
    assert "s3cr3t" not in log


def test_verbose_cli_shows_requests_but_not_the_key(world: World, httpx_mock: HTTPXMock) -> None:
    task_url = "https://ark.ap-southeast.bytepluses.com/api/v3/contents/generations/tasks/cgt-1"
    httpx_mock.add_response(url=task_url, json={"id": "cgt-1", "status": "running"})

    outcome = world.run("-v", "-p", "byteplus", "status", "cgt-1")

    assert outcome.exit_code == 0, outcome.stderr
    assert f"→ GET {task_url}" in outcome.stderr
    assert "← 200" in outcome.stderr
    assert KEYS["ARK_API_KEY"] not in outcome.stderr + outcome.stdout
    assert httpx_mock.get_requests()[0].headers["Authorization"] == f"Bearer {KEYS['ARK_API_KEY']}"


# -- body size caps --------------------------------------------------------------------------


def test_read_capped_refuses_a_declared_large_body() -> None:
    response = httpx.Response(200, headers={"Content-Length": "11"}, content=b"x" * 11)

    with pytest.raises(BadResponseError, match="11 bytes"):
        read_capped(response, 10)


def test_read_capped_refuses_a_large_streamed_body() -> None:
    response = httpx.Response(200, content=iter([b"x" * 6, b"y" * 6]))

    with pytest.raises(BadResponseError, match="exceeds 10 bytes"):
        read_capped(response, 10)


def test_read_capped_returns_a_body_within_the_limit() -> None:
    response = httpx.Response(200, content=iter([b'{"a":', b" 1}"]))

    assert read_capped(response, 10) == b'{"a": 1}'
    assert response.json() == {"a": 1}


def test_request_refuses_an_answer_over_max_body(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(stream=IteratorStream([b"x" * 64] * 4))

    with pytest.raises(BadResponseError):
        client().request("GET", URL, max_body=100)


# -- rate limiting ---------------------------------------------------------------------------


def most_in_a_minute(stamps: list[float]) -> int:
    """The most stamps in any 60-second window [t, t + 60)."""
    return max(bisect.bisect_left(stamps, t + 60 - 1e-9) - i for i, t in enumerate(stamps))


@pytest.mark.parametrize("per_minute", [1, 60, 600, 1200])
def test_rate_limiter_never_exceeds_its_rate(per_minute: int) -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_minute, clock)
    stamps = []
    for _ in range(per_minute * 2 + 5):
        limiter.acquire()
        stamps.append(clock.monotonic())

    assert most_in_a_minute(stamps) <= per_minute
    # and it does not throttle far below the rate
    assert stamps[-1] - stamps[0] <= 1.1 * 60 * len(stamps) / per_minute


def test_rate_limit_applies_to_the_client(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(is_reusable=True)
    http = client(rate_limit=60)

    for _ in range(3):
        http.request("GET", URL)

    assert sum(sleeps(http)) == pytest.approx(2.0)
