"""The simulator as real loopback servers: one for the APIs, one for the object store."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from seedance.sim.app import SimConfig, Simulator
from seedance.sim.wire import SimRequest, SimResponse


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log is not None:
            self.server.log(f"{self.address_string()} {format % args}")

    def _handle(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        request = SimRequest(
            method=self.command,
            url=self.server.origin + self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        self._send(self.server.sim.handle(request))

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header from the simulator's clock (a skewed server, for `doctor`)."""
        return self.server.sim.http_date()

    def _send(self, answer: SimResponse) -> None:
        self.send_response(answer.status)  # sends Date (date_time_string)
        length = answer.content_length()
        for key, value in answer.headers.items():
            if key.lower() not in ("content-length", "date"):
                self.send_header(key, value)
        if length is not None:
            self.send_header("Content-Length", str(length))
        else:
            self.close_connection = True
        self.end_headers()
        if self.command == "HEAD":
            return
        chunks = [answer.body] if isinstance(answer.body, bytes) else answer.body
        sent = 0
        try:
            for chunk in chunks:
                if answer.cut_at is not None and sent + len(chunk) >= answer.cut_at:
                    self.wfile.write(chunk[: answer.cut_at - sent])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_DELETE = do_PUT = do_HEAD = do_PATCH = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sim: Simulator, log: Any) -> None:
        super().__init__(address, _Handler)
        self.sim = sim
        self.log = log
        host, port = self.server_address[:2]
        self.origin = f"http://{_url_host(str(host))}:{port}"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class SimServer:
    """API and object store servers around one Simulator, in background threads.

    with SimServer(SimConfig(run_seconds=1)) as server:
        base = server.api_url + "/api/v3"
    """

    def __init__(
        self,
        config: SimConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        store_port: int = 0,
        sim: Simulator | None = None,
        log: Any = None,
    ) -> None:
        self._store = _Server((host, store_port), None, log)  # type: ignore[arg-type]
        self.sim = sim or Simulator(config, store_origin=self._store.origin)
        self.sim.store.origin = self._store.origin
        self._store.sim = self.sim
        self._api = _Server((host, port), self.sim, log)
        self.sim.api_origin = self._api.origin
        self._threads: list[threading.Thread] = []

    @property
    def api_url(self) -> str:
        return self._api.origin

    @property
    def store_url(self) -> str:
        return self._store.origin

    def start(self) -> SimServer:
        for server in (self._api, self._store):
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in (self._api, self._store):
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["SimConfig", "SimServer", "Simulator"]
