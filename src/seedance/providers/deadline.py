"""Deadlines over whole requests, not only over each read of the socket.

httpx's timeouts bound each read of the socket: an answer that trickles in (a byte every few
seconds) never trips them and can hold a command for hours. Two deadlines bound a request as
a whole, on the HTTP layer's injected clock:

- ANSWER_DEADLINE: every answer the HTTP layer reads whole (the API's and the asset
  library's) arrives within it, head and body, or the attempt is given up
  (`providers/http.py`);
- the caller's own (`within`): a wait with a timeout gives its deadline to every request it
  makes meanwhile, polls and downloads; when it passes, the request stops at once with
  `DeadlinePassedError` and the caller says what was still going on (exit 6, naming the task).

Both are enforced on every read and write of the connection (`DeadlineBackend`, under
httpcore, so a head that trickles is bounded too, not only a body), between the pieces of an
answer read whole, and on every read of a download (`check`: it reads its socket itself), on
the clock given (a test's fake clock moves as its server trickles).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from seedance.domain.clock import Clock
from seedance.domain.errors import DeadlinePassedError

ANSWER_DEADLINE = 90.0  # seconds for a whole answer of the API or the asset library


@dataclass(frozen=True)
class Deadline:
    """A moment on `clock.monotonic()`; `caller` says whose it is: the caller's (a wait's
    timeout), or the HTTP layer's own for one answer."""

    clock: Clock
    at: float
    caller: bool

    def left(self) -> float:
        return self.at - self.clock.monotonic()

    @property
    def passed(self) -> bool:
        return self.left() <= 0


_CALLER: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "seedance_caller_deadline", default=None
)
_NOW: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "seedance_request_deadline", default=None
)


@contextmanager
def within(clock: Clock, at: float | None) -> Iterator[None]:
    """Every request made inside ends by `at` (on `clock.monotonic()`; None: no deadline),
    or raises DeadlinePassedError. An earlier deadline already in force stays."""
    earlier = _CALLER.get()
    if at is None or (earlier is not None and earlier.at <= at):
        yield
        return
    token = _CALLER.set(Deadline(clock, at, caller=True))
    try:
        yield
    finally:
        _CALLER.reset(token)


def caller_deadline() -> Deadline | None:
    """The deadline `within` put in force, if any."""
    return _CALLER.get()


@contextmanager
def answer_scope() -> Iterator[None]:
    """The deadlines attempts set inside (`start_attempt`) end with the scope."""
    token = _NOW.set(_NOW.get())
    try:
        yield
    finally:
        _NOW.reset(token)


@contextmanager
def body_scope() -> Iterator[None]:
    """A streamed body: bounded by the caller's deadline only (a video may take long)."""
    token = _NOW.set(_CALLER.get())
    try:
        yield
    finally:
        _NOW.reset(token)


def start_attempt(clock: Clock, seconds: float | None) -> Deadline | None:
    """Put one attempt's deadline in force: `seconds` from now (None: none of its own), or
    the caller's when that comes first. Returns the caller's deadline if it has passed
    already (the attempt must not begin)."""
    outer = _CALLER.get()
    if outer is not None and outer.passed:
        return outer
    own = Deadline(clock, clock.monotonic() + seconds, caller=False) if seconds else None
    found = [d for d in (own, outer) if d is not None]
    _NOW.set(min(found, key=lambda d: d.at) if found else None)
    return None


def current() -> Deadline | None:
    """The deadline in force for the request under way."""
    return _NOW.get()


def overdue(exc: BaseException) -> Deadline | None:
    """The deadline that made `exc` (a timeout) happen, if one has passed."""
    now = _NOW.get()
    outer = _CALLER.get()
    for limit in (outer, now):
        if limit is not None and limit.passed and isinstance(exc, _TIMEOUTS):
            return limit
    return None


_TIMEOUTS = (httpx.TimeoutException, httpcore.TimeoutException, TimeoutError)


def check(what: str = "the answer") -> None:
    """Raise DeadlinePassedError when the caller's deadline has passed (between the pieces of
    a body the connection is not asked for)."""
    outer = _CALLER.get()
    if outer is not None and outer.passed:
        raise passed(what)


def passed(what: str) -> DeadlinePassedError:
    return DeadlinePassedError(f"the time given ran out while {what} was still arriving")


def _bounded(timeout: float | None, kind: type[Exception]) -> float | None:
    """`timeout` shortened to what is left of the deadline in force; raises `kind` (httpcore's
    timeout, which httpx turns into its own) once nothing is left."""
    now = _NOW.get()
    if now is None:
        return timeout
    left = now.left()
    if left <= 0:
        raise kind("the deadline for the whole answer passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the deadline in force."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend, its connections bounded by the deadline in force."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, bounded, local_address, socket_options)
        return DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._inner.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def bound_connections(transport: Any) -> None:
    """Put a transport's connections under the deadlines (httpx builds httpcore's pool
    itself, with no way to name its network backend: it is swapped in before the first
    connection). A transport of another shape is left as it is: its bodies are still checked
    between pieces."""
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore.NetworkBackend) and not isinstance(backend, DeadlineBackend):
        pool._network_backend = DeadlineBackend(backend)  # type: ignore[union-attr]
