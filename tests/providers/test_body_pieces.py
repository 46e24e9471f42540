"""A large body read straight from the connection (`body_pieces`): the same bytes as httpx's
own `iter_raw()` over http, https and proxies, in pieces of a MiB; httpx's errors on a cut or
a stall; the fallback wherever the socket is not known to carry the body as it is; and a
download that is cut off resumes with Range over it.

What it relies on in httpcore 1.x (pinned `httpcore>=1,<2` in pyproject.toml): the
`network_stream` extension and its `get_extra_info("socket")`, and that h11 hands over all it
holds of a Content-Length body as its first piece. These tests fail if either changes.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from loopback import LoopbackProxy, Origin, make_test_ca
from seedance.domain.clock import FakeClock
from seedance.domain.models import DownloadResult
from seedance.providers.base import DownloadSource
from seedance.providers.http import BODY_READ, HttpClient, _body_socket, body_pieces
from seedance.services.videos.downloads import download

BODY = os.urandom(5 * BODY_READ + 12_345)
ETAG = '"body-1"'


class Body(BaseHTTPRequestHandler):
    """GET /x: BODY (Range honoured); /cut: half of it, then the connection closes; /stall:
    half, then nothing until the test ends; /chunked: BODY without a length."""

    protocol_version = "HTTP/1.1"
    cut_first: ClassVar[list[bool]] = []  # /once-cut: the first answer is cut, the next whole
    stalled = threading.Event()

    def do_GET(self) -> None:
        path = self.path
        if path == "/once-cut":
            path = "/cut" if self.cut_first and self.cut_first.pop() else "/x"
        if path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for at in range(0, len(BODY), 1 << 20):
                piece = BODY[at : at + (1 << 20)]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        start = 0
        wanted = self.headers.get("Range", "")
        if wanted.startswith("bytes=") and self.headers.get("If-Range") == ETAG:
            start = int(wanted[6:].rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(BODY) - 1}/{len(BODY)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(BODY) - start))
        self.send_header("ETag", ETAG)
        self.end_headers()
        if path in ("/cut", "/stall"):
            self.wfile.write(BODY[start : len(BODY) // 2])
            self.wfile.flush()
            if path == "/stall":
                self.stalled.wait(10)
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(BODY[start:])

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return make_test_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def origins(test_ca: tuple[Path, Path, Path]) -> Iterator[dict[str, str]]:
    _ca, cert, key = test_ca
    with Origin(handler=Body) as plain, Origin((cert, key), handler=Body) as tls:
        yield {"http": plain.url, "https": tls.url, "ca": str(test_ca[0])}
    Body.stalled.set()


def fetch(http: HttpClient, url: str) -> tuple[bytes, list[int], bool]:
    """The body as `body_pieces` gives it, its piece sizes, and whether it read the socket."""
    with http.stream("GET", url, authenticate=False) as response:
        direct = _body_socket(response) is not None
        pieces = [bytes(p) for p in body_pieces(response)]
    return b"".join(pieces), [len(p) for p in pieces], direct


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_the_body_is_read_from_the_socket_a_mib_at_a_time(
    origins: dict[str, str], scheme: str
) -> None:
    with HttpClient(clock=FakeClock(), environ={"SSL_CERT_FILE": origins["ca"]}) as http:
        body, sizes, direct = fetch(http, f"{origins[scheme]}/x")

    assert direct and body == BODY
    assert max(sizes) == BODY_READ  # not httpcore's 64 KiB, nor one TLS record's 16 KiB
    assert len(sizes) <= len(BODY) // BODY_READ + 2


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_through_a_proxy_the_bytes_are_the_same(origins: dict[str, str], scheme: str) -> None:
    with LoopbackProxy() as proxy:
        environ = {"SSL_CERT_FILE": origins["ca"], "ALL_PROXY": proxy.url}
        with HttpClient(clock=FakeClock(), environ=environ) as http:
            body, _sizes, direct = fetch(http, f"{origins[scheme]}/x")
        assert proxy.log  # it went through the proxy (a CONNECT tunnel for https)

    assert direct and body == BODY


def test_a_body_without_a_length_is_left_to_httpx(origins: dict[str, str]) -> None:
    with HttpClient(clock=FakeClock()) as http:
        body, _sizes, direct = fetch(http, f"{origins['http']}/chunked")
    assert not direct and body == BODY


def test_a_mocked_transport_is_left_to_httpx() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=iter([BODY[:1000], BODY[1000:]]))

    with HttpClient(clock=FakeClock(), transport=httpx.MockTransport(handler)) as http:
        body, sizes, direct = fetch(http, "https://example.com/x")
    assert not direct and body == BODY and sizes == [1000, len(BODY) - 1000]


def test_a_cut_is_httpxs_error_and_the_connection_is_not_reused(origins: dict[str, str]) -> None:
    with HttpClient(clock=FakeClock()) as http:
        with pytest.raises(httpx.RemoteProtocolError, match="without sending complete"):
            fetch(http, f"{origins['http']}/cut")
        for _ in range(3):  # a body read from the socket: its connection is closed after it
            assert fetch(http, f"{origins['http']}/x")[0] == BODY
        assert http.request("GET", f"{origins['http']}/x", authenticate=False).content == BODY


def test_a_stall_is_a_read_timeout(origins: dict[str, str]) -> None:
    timeout = httpx.Timeout(5.0, read=0.2)  # a real wait of 0.2 s: the socket's own timeout
    with HttpClient(clock=FakeClock(), timeout=timeout) as http, pytest.raises(httpx.ReadTimeout):
        fetch(http, f"{origins['http']}/stall")


def test_a_download_cut_off_resumes_with_range_over_the_socket(
    origins: dict[str, str], tmp_path: Path
) -> None:
    Body.cut_first[:] = [True]
    url = f"{origins['http']}/once-cut"
    dest = tmp_path / "clip.mp4"
    seen: list[int] = []

    with HttpClient(clock=FakeClock()) as http:
        result = download(
            http,
            lambda expired: DownloadSource(url=url, authenticated=False),
            dest,
            identity="task:video",
            on_progress=lambda done, total: seen.append(done),
        )

    assert result == DownloadResult(
        path=str(dest), bytes=len(BODY), sha256=hashlib.sha256(BODY).hexdigest()
    )
    assert dest.read_bytes() == BODY
    assert seen[-1] == len(BODY) and len(seen) < len(BODY) // (64 * 1024)  # MiB pieces
