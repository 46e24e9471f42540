"""The one HTTP layer: timeouts, retries, rate limiting, redaction and where credentials may go.

Rules it enforces for every request any provider or download makes:

- credentials (Authorization, request signatures) reach only the profile's API and asset
  origins (scheme, host and port); a request anywhere else (a result URL, a redirect) has them
  stripped;
- reads (GET, DELETE, read-only actions) retry on connection errors, timeouts, 408, 429 and 5xx
  with capped exponential backoff and full jitter, honouring Retry-After / retry-after-ms;
- a create is retried only when it provably did not arrive (connect error) or was refused
  unprocessed (429); once it may have reached the server, the outcome is reported as unknown;
- a JSON answer larger than `max_body` is refused rather than read into memory;
- proxies (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY) and CA certificates (SSL_CERT_FILE,
  SSL_CERT_DIR) come from the environment given, as httpx reads them (`providers/network.py`).
"""

from __future__ import annotations

import hashlib
import json
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from enum import Enum
from typing import Any, Protocol, cast

import httpx

from seedance import __version__
from seedance.domain.clock import Clock, SystemClock
from seedance.domain.errors import (
    BadResponseError,
    DeadlinePassedError,
    NetworkError,
    OutcomeUnknownError,
)
from seedance.domain.redact import redact_url, register_secret
from seedance.domain.server_text import clean_text, clean_value
from seedance.providers import deadline
from seedance.providers.network import EnvProxyTransport

MAX_BODY = 8 * 1024 * 1024
MIN_SECRET = 4  # shorter credentials are not scrubbed from messages (they would garble them)
SECRET_HEADERS = frozenset({"authorization", "x-security-token", "x-api-key", "api-key"})
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
# Refused by the HTTP library itself, before a byte went out (h11 checks the request line and
# headers before writing them: an illegal header value, say a key ending in CR or LF); sending
# it again would be refused the same way.
_REFUSED_HERE = (httpx.LocalProtocolError,)
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
CHECK_URL = "seedance.check_url"  # a request's extension: the check of where it may go


class Retry(Enum):
    """How a request may be retried."""

    SAFE = "safe"  # reads: retry every transient failure
    UNSENT = "unsent"  # creates: only when it never arrived or was refused unprocessed (429)
    NEVER = "never"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # tries in all, the first included
    base_delay: float = 0.5
    max_delay: float = 20.0
    budget: float = 120.0  # seconds of waiting in all, across the retries of one request
    retry_after_cap: float = 60.0


class Credentials(Protocol):
    def apply(self, request: httpx.Request) -> None:
        """Add authentication to a request bound for an allowed host."""


def secrets_of(credentials: Credentials) -> tuple[str, ...]:
    """The values credentials hold that no message may show (their `secrets()`, if any)."""
    secrets = getattr(credentials, "secrets", None)
    return tuple(secrets()) if callable(secrets) else ()


class BearerAuth:
    def __init__(self, token: str) -> None:
        self._token = token
        register_secret(token)

    def apply(self, request: httpx.Request) -> None:
        request.headers["Authorization"] = f"Bearer {self._token}"

    def digest(self) -> str:
        """A SHA-256 of the key: tells accounts apart without keeping the key anywhere."""
        return hashlib.sha256(self._token.encode()).hexdigest()

    def secrets(self) -> tuple[str, ...]:
        """What no message may show (`HttpClient.scrub`)."""
        return (self._token,)

    def __repr__(self) -> str:
        return "BearerAuth(***)"


class RateLimiter:
    """A token bucket: at most `per_minute` requests a minute, small bursts allowed.

    A caller takes its token at once, going into debt if there is none, and sleeps the debt
    off: no loop, so no float rounding can make it spin, and threads queue up fairly.
    """

    def __init__(self, per_minute: int, clock: Clock) -> None:
        per_minute = max(per_minute, 1)
        self.capacity = max(1.0, min(per_minute / 60.0, 10.0))  # a burst of up to 10
        # the sustained rate leaves room for the burst: never more than per_minute in any minute
        self.rate = (per_minute - (self.capacity - 1)) / 60.0
        self._tokens = self.capacity
        self._clock = clock
        self._stamp = clock.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = self._clock.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1
            debt = -self._tokens
        if debt > 0:
            self._clock.sleep(debt / self.rate)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str | httpx.URL) -> str:
    """scheme://host:port — what decides whether a request may carry credentials."""
    parsed = httpx.URL(str(url))
    port = parsed.port or _DEFAULT_PORTS.get(parsed.scheme, 0)
    return f"{parsed.scheme}://{parsed.host}:{port}"


def redact_headers(headers: httpx.Headers) -> dict[str, str]:
    out = {}
    for key, value in headers.items():
        low = key.lower()
        if low in SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            out[key] = f"{scheme} ***".strip()
        elif low == "x-content-sha256":
            out[key] = value[:12] + "…"
        else:
            out[key] = value
    return out


class HttpClient:
    """An httpx client that knows which hosts may see credentials and how to retry."""

    def __init__(
        self,
        *,
        credentials: Mapping[str, Credentials] | None = None,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        environ: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        rate_limit: int | None = None,
        timeout: httpx.Timeout | None = None,
        log: Callable[[str], None] | None = None,
        jitter: Callable[[], float] = random.random,
        answer_deadline: float | None = deadline.ANSWER_DEADLINE,
    ) -> None:
        self.credentials = dict(credentials or {})
        for held in self.credentials.values():
            for secret in secrets_of(held):
                register_secret(secret)
        self.clock = clock or SystemClock()
        self.retry = retry or RetryPolicy()
        self.answer_deadline = answer_deadline  # seconds for a whole answer (deadline.py)
        self.log = log
        self._jitter = jitter
        self._limiter = RateLimiter(rate_limit, self.clock) if rate_limit else None
        self._client = httpx.Client(
            # proxies and CAs from `environ` (os.environ when None), built when first needed
            transport=transport or EnvProxyTransport(environ),
            trust_env=False,  # httpx itself reads nothing from the environment
            timeout=timeout or httpx.Timeout(60.0, connect=15.0),
            follow_redirects=False,
            headers={"User-Agent": f"seedance/{__version__}"},
            event_hooks={"request": [self._guard]},
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the credential rule -----------------------------------------------------------------

    def _guard(self, request: httpx.Request) -> None:
        """Runs for every request, redirects included: strip credentials bound elsewhere, and
        apply the request's own check of where it goes (`check_url`), if it has one."""
        check = request.extensions.get(CHECK_URL)
        if check is not None:
            check(request.url)
        if origin_of(request.url) not in self.credentials:
            for name in list(request.headers):
                if name.lower() in SECRET_HEADERS or name.lower().startswith("x-tos-"):
                    del request.headers[name]
        if self.log is not None:
            headers = redact_headers(request.headers)
            shown = {k: v for k, v in headers.items() if k.lower() not in _BORING}
            self.log(f"→ {request.method} {redact_url(request.url)} {shown}")

    # -- sending -----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
        retry: Retry = Retry.SAFE,
        authenticate: bool = True,
        max_body: int = MAX_BODY,
    ) -> httpx.Response:
        """Send with retries and return the answer, fully read (at most `max_body` bytes).

        An answer cut off mid-body is retried like any transient failure of a read; for a
        create it means the server got the request, so the outcome is unknown and it is not
        sent again.
        """
        attempt = 0
        while True:
            attempt += 1
            with deadline.answer_scope():  # this attempt's deadline covers its body too
                response = self._send_with_retries(
                    method,
                    url,
                    json=json,
                    params=params,
                    headers=headers,
                    retry=retry,
                    authenticate=authenticate,
                    follow_redirects=False,
                )
                try:
                    read_capped(response, max_body)
                except SlowAnswerError as exc:
                    raise self._late(response.request, exc, retry=retry) from None
                except NetworkError as exc:
                    if retry is Retry.UNSENT:
                        raise OutcomeUnknownError(
                            f"the request to {response.request.url.host} was received, but its "
                            f"answer was cut off ({exc.message})",
                            reason="create_not_repeated",
                        ) from None
                    if retry is Retry.NEVER or attempt >= self.retry.attempts:
                        raise
                    delay = self._backoff(attempt, None)
                    self._note(f"  answer cut off; retrying in {delay:.1f}s")
                else:
                    clean_answer(response)
                    return response
                finally:
                    response.close()
            self._pause(delay)

    @contextmanager
    def stream(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
        retry: Retry = Retry.SAFE,
        authenticate: bool = True,
        follow_redirects: bool = False,
        check_url: Callable[[httpx.URL], None] | None = None,
    ) -> Iterator[httpx.Response]:
        """Like `request`, but the body is left to the caller to stream: its head arrives
        within ANSWER_DEADLINE, its body by the caller's deadline (`deadline.within`) only.
        `check_url` is called with the URL of every request made (each redirect too) before
        it is sent; what it raises ends the request, unretried."""
        with deadline.answer_scope():
            response = self._send_with_retries(
                method,
                url,
                json=json,
                params=params,
                headers=headers,
                retry=retry,
                authenticate=authenticate,
                follow_redirects=follow_redirects,
                extensions={CHECK_URL: check_url} if check_url is not None else None,
            )
        try:
            with deadline.body_scope():
                yield response
        finally:
            response.close()

    def _send_with_retries(
        self,
        method: str,
        url: str,
        *,
        retry: Retry,
        authenticate: bool,
        follow_redirects: bool,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send until an answer's head comes back (or retrying must stop). Each attempt has
        ANSWER_DEADLINE for its whole answer, which the caller's `answer_scope` keeps in
        force while it reads the body."""
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            request = self._client.build_request(method, url, **kwargs)
            credentials = self.credentials.get(origin_of(request.url))
            if authenticate and credentials is not None:
                credentials.apply(request)
            if self._limiter is not None:
                self._limiter.acquire()
            late = deadline.start_attempt(self.clock, self.answer_deadline)
            if late is not None:  # the caller's deadline passed before this attempt began
                raise self._late(request, late, retry=retry)
            started = time.perf_counter()
            try:
                response = self._client.send(
                    request, stream=True, follow_redirects=follow_redirects
                )
            except httpx.HTTPError as exc:
                refused = isinstance(exc, _REFUSED_HERE)
                sent = not refused and not isinstance(exc, _NOT_SENT)
                slow = deadline.overdue(exc)
                if slow is not None:
                    raise self._late(request, slow, retry=retry, sent=sent) from None
                if refused or retry is Retry.NEVER or (sent and retry is Retry.UNSENT):
                    raise self._network_error(request, exc, sent=sent, retry=retry) from None
                delay = self._backoff(attempt, None)
                if attempt >= self.retry.attempts or waited + delay > self.retry.budget:
                    raise self._network_error(request, exc, sent=sent, retry=retry) from None
                self._note(f"  {type(exc).__name__}; retrying in {delay:.1f}s")
            else:
                clean_headers(response)
                if self.log is not None:
                    ms = (time.perf_counter() - started) * 1000
                    self.log(f"← {response.status_code} {redact_url(request.url)} ({ms:.0f} ms)")
                if not self._should_retry(response, retry):
                    return response
                delay = self._backoff(attempt, response)
                if attempt >= self.retry.attempts or waited + delay > self.retry.budget:
                    return response
                response.close()
                self._note(f"  HTTP {response.status_code}; retrying in {delay:.1f}s")
            self._pause(delay)
            waited += delay

    def _pause(self, seconds: float) -> None:
        """Sleep between attempts, but not past the caller's deadline (the next attempt then
        stops at once: DeadlinePassedError)."""
        outer = deadline.caller_deadline()
        if outer is not None:
            seconds = min(seconds, max(outer.left(), 0.0))
        self.clock.sleep(seconds)

    def _late(
        self,
        request: httpx.Request,
        late: SlowAnswerError | deadline.Deadline,
        *,
        retry: Retry,
        sent: bool = True,
    ) -> NetworkError:
        """The error for an answer its deadline passed on: the caller's (DeadlinePassedError,
        the caller words it), or this layer's own (the server answers too slowly)."""
        host = request.url.host
        limit = late.deadline if isinstance(late, SlowAnswerError) else late
        if sent and retry is Retry.UNSENT:  # whoever's deadline it was: a create may be made
            return OutcomeUnknownError(
                f"the request to {host} may have been received, but its answer did not arrive "
                "whole in the time it had",
                reason="create_not_repeated",
            )
        if limit.caller:
            return DeadlinePassedError(
                f"the time given ran out while the answer from {host} was still arriving"
            )
        seconds = f"{self.answer_deadline or 0:.0f} s"
        return SlowAnswerError(
            f"{host} did not answer in full within {seconds}: its answer came too slowly",
            reason="slow_answer",
            deadline=limit,
        )

    def _should_retry(self, response: httpx.Response, retry: Retry) -> bool:
        status = response.status_code
        if retry is Retry.NEVER or status not in _RETRY_STATUSES:
            return False
        return retry is Retry.SAFE or status == 429

    def _backoff(self, attempt: int, response: httpx.Response | None) -> float:
        hinted = retry_after(response, now=self.clock.time()) if response is not None else None
        if hinted is not None:
            return min(hinted, self.retry.retry_after_cap)
        ceiling = min(self.retry.max_delay, self.retry.base_delay * 2.0 ** (attempt - 1))
        return ceiling * self._jitter()

    def _network_error(
        self, request: httpx.Request, exc: httpx.HTTPError, *, sent: bool, retry: Retry
    ) -> NetworkError:
        host = request.url.host
        reason = self.scrub(str(exc) or type(exc).__name__)
        if isinstance(exc, _REFUSED_HERE):
            return NetworkError(
                f"the request to {host} was not sent: the HTTP library refused it ({reason})",
                reason="nothing_sent_check_profile",
            )
        if sent and retry is Retry.UNSENT:
            return OutcomeUnknownError(
                f"the request to {host} may have been received, but its answer was lost ({reason})",
                reason="create_not_repeated",
            )
        return NetworkError(
            f"could not reach {host}: {reason}",
            reason="check_connection",
        )

    def scrub(self, text: str) -> str:
        """`text` without any credential this client holds, as it is or as a header's repr
        quotes it (an error of the transport may quote the header it refused), nor any other
        secret the process knows, nor a terminal control."""
        shown = set()
        for credentials in self.credentials.values():
            for secret in secrets_of(credentials):
                for form in (secret, secret.strip(), repr(secret.encode())[2:-1]):
                    if len(form) >= MIN_SECRET:
                        shown.add(form)
        for secret in sorted(shown, key=len, reverse=True):
            text = text.replace(secret, "***")
        return clean_text(text)

    def _note(self, text: str) -> None:
        if self.log is not None:
            self.log(text)


_BORING = frozenset({"accept", "accept-encoding", "connection", "user-agent", "content-length"})


def http_date(value: str | None) -> float | None:
    """An HTTP date (a `Date` or `Retry-After` header, RFC 9110 §5.6.7) as a Unix time, or
    None when absent or unreadable."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def server_time(response: httpx.Response) -> float | None:
    """The server's clock when it answered: its `Date` header (RFC 9110 §6.6.1)."""
    return http_date(response.headers.get("date"))


def retry_after(response: httpx.Response, now: float | None = None) -> float | None:
    """Seconds the server asks us to wait: retry-after-ms, Retry-After (seconds or a date)."""
    ms = response.headers.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    when = http_date(value)
    if when is None:
        return None
    return max(when - (time.time() if now is None else now), 0.0)


class SlowAnswerError(NetworkError):
    """An answer its deadline passed on (`providers/deadline.py`): ANSWER_DEADLINE, or the
    caller's (then the HTTP layer raises DeadlinePassedError instead)."""

    code = "too_slow"

    def __init__(self, message: str, *, deadline: deadline.Deadline, **facts: Any) -> None:
        super().__init__(message, **facts)
        self.deadline = deadline


def read_capped(response: httpx.Response, limit: int) -> bytes:
    """Read a streamed answer, refusing one larger than `limit` bytes, or one whose deadline
    passes while it arrives (SlowAnswerError)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BadResponseError(
            f"the server's answer is {int(declared):,} bytes, more than the {limit:,} accepted",
            status_code=response.status_code,
        )
    chunks, size = [], 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise BadResponseError(
                    f"the server's answer exceeds {limit:,} bytes", status_code=response.status_code
                )
            chunks.append(chunk)
            late = deadline.current()
            if late is not None and late.passed:
                raise SlowAnswerError("the answer came too slowly", deadline=late)
    except httpx.HTTPError as exc:
        late = deadline.overdue(exc)
        if late is not None:
            raise SlowAnswerError("the answer came too slowly", deadline=late) from None
        raise NetworkError(
            f"the answer from {response.request.url.host} was cut off: {clean_text(str(exc))}",
            reason="try_again",
        ) from None
    body = b"".join(chunks)
    response._content = body  # what Response.read() does: .json() and .text now work
    return body


def clean_answer(response: httpx.Response) -> None:
    """Make a read answer's body what everything above may hold (`domain/server_text.py`):
    a JSON body with every string cleaned (re-encoded as UTF-8 JSON), any other text cleaned
    as text (bytes that are no text in its encoding are left as they are). Answers are parsed
    from here on, so no secret or terminal control a server put in one reaches a task, an
    error, the journal or a person."""
    body = response.content
    if not body:
        return
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # not JSON (or nested beyond the parser's reach)
        document = _NOT_JSON
    if document is not _NOT_JSON:
        cleaned = clean_value(document)
        if cleaned != document:
            try:
                response._content = json.dumps(cleaned, ensure_ascii=False).encode("utf-8")
                return
            except (ValueError, RecursionError):
                pass  # cleaned as text below
        else:
            return
    encoding = response.encoding or "utf-8"
    try:
        text = body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return  # bytes, not text: shown only as `describe_non_json` cleans them
    cleaned_text = clean_text(text)
    if cleaned_text != text:
        response._content = cleaned_text.encode(encoding, errors="replace")


_NOT_JSON = object()


def clean_headers(response: httpx.Response) -> None:
    """A server's header values as `domain/server_text.py` makes them (a redirect's Location
    or a request id is shown in messages; an ETag is stored beside a download)."""
    for name, value in response.headers.multi_items():
        cleaned = clean_text(value)
        if cleaned != value:
            response.headers[name] = cleaned


# -- a large body, straight from the connection ----------------------------------------------

BODY_READ = 1024 * 1024  # bytes asked of the socket at a time by `body_pieces`


def body_pieces(
    response: httpx.Response,
    size: int = BODY_READ,
    *,
    buffers: int = 1,
    on_read: Callable[[int], None] | None = None,
) -> Iterator[bytes | memoryview]:
    """A streamed response's body as it arrives, in pieces of up to `size` bytes.

    httpx hands a body over in the pieces httpcore reads: 64 KiB over http, one TLS record
    (16 KiB) over https, each through httpcore, h11 and httpx, which costs a download more
    CPU than hashing it does (bench/RESULTS.md, downloads). So once httpx has sent the request
    and parsed the head, and h11 has handed over what it read past the head (the first piece
    of `iter_raw()`: h11 gives all it holds of a body of known length at once), the rest of a
    Content-Length body is read from the connection's own socket (httpcore's documented
    `network_stream` extension) into one reused buffer. Everything else about the request
    (retries, credentials, redirects, proxies, TLS) is httpx's as before.

    It falls back to `iter_raw()` unless that is known to be exact: HTTP/1.1, a
    Content-Length, no Transfer-Encoding or Content-Encoding, and a socket carrying the
    response's bytes as they are (over https, the TLS socket of the URL's own host: not a
    tunnel inside another TLS connection; a mocked transport has none). The connection is not
    reused afterwards: h11 did not see the body end, so httpcore closes it.

    The pieces read from the socket go into `buffers` buffers in turn: a yielded memoryview is
    overwritten `buffers` pieces later, so whatever uses it (a write, a hash in another thread)
    must be done with it by then. Errors are httpx's (ReadTimeout, ReadError,
    RemoteProtocolError), as from `iter_raw()`, or what `on_read` raises: it hears of every
    read as it happens (its size), not only of whole pieces, so a body that trickles in can be
    judged while a piece is still filling.
    """
    heard = on_read or (lambda _size: None)
    # kept until the end: dropping it would close the connection
    raw = cast(Generator[bytes, None, None], response.iter_raw())
    try:
        sock = _body_socket(response)
        if sock is None:
            for piece in raw:
                heard(len(piece))
                yield piece
            return
        total = int(response.headers["content-length"])
        received = 0
        for first in raw:  # what h11 read past the head (or one read of the socket)
            received += len(first)
            heard(len(first))
            yield first
            break
        timeout = response.request.extensions.get("timeout", {}).get("read")
        yield from _socket_body(sock, received, total, size, buffers, timeout, heard)
    finally:
        raw.close()


def _body_socket(response: httpx.Response) -> socket.socket | None:
    """The socket whose bytes are exactly the rest of this response's body, or None."""
    headers = response.headers
    if response.http_version != "HTTP/1.1" or "transfer-encoding" in headers:
        return None
    if headers.get("content-encoding", "identity").lower() != "identity":
        return None
    if not headers.get("content-length", "").isdigit():
        return None
    if response.is_stream_consumed or response.num_bytes_downloaded:
        return None
    stream = response.extensions.get("network_stream")
    found = stream.get_extra_info("socket") if stream is not None else None
    if not isinstance(found, socket.socket):
        return None
    url = response.request.url
    if url.scheme == "https":  # its TLS must be this socket's own, with the URL's host
        if not isinstance(found, ssl.SSLSocket) or found.server_hostname != url.host:
            return None
    elif url.scheme != "http":
        return None
    return found


def _socket_body(
    sock: socket.socket,
    received: int,
    total: int,
    size: int,
    buffers: int,
    timeout: float | None,
    heard: Callable[[int], None],
) -> Iterator[memoryview]:
    size = min(size, max(total - received, 0)) or 1
    views = [memoryview(bytearray(size)) for _ in range(max(buffers, 1))]
    turn = 0
    try:
        sock.settimeout(timeout)
        while received < total:
            view = views[turn % len(views)]
            turn += 1
            want, filled = min(len(view), total - received), 0
            while filled < want:
                got = sock.recv_into(view[filled:want])
                if got == 0:
                    raise httpx.RemoteProtocolError(
                        "peer closed connection without sending complete message body "
                        f"(received {received + filled} bytes, expected {total})"
                    )
                filled += got
                heard(got)
            received += filled
            yield view[:filled]
    except TimeoutError as exc:  # socket.timeout
        raise httpx.ReadTimeout(str(exc) or "timed out") from None
    except OSError as exc:  # ssl.SSLError included
        raise httpx.ReadError(str(exc) or type(exc).__name__) from None
