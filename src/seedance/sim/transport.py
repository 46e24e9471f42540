"""The simulator as an httpx transport: in process, no port, no network."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx

from seedance.domain.clock import Clock
from seedance.sim.app import SimConfig, Simulator
from seedance.sim.state import FileState
from seedance.sim.wire import SimRequest, SimResponse

DEMO_CONFIG = SimConfig(queue_seconds=1.0, run_seconds=3.0, asset_seconds=1.0, full_clips=True)
DEMO_API = "https://ark.demo.invalid"
DEMO_STORE = "https://tos.demo.invalid"
DEMO_STATE = "demo-sim.json"


class _Body(httpx.SyncByteStream):
    def __init__(self, response: SimResponse) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        body, cut = self._response.body, self._response.cut_at
        chunks = [body] if isinstance(body, bytes) else body
        sent = 0
        for chunk in chunks:
            if cut is not None and sent + len(chunk) >= cut:
                yield chunk[: cut - sent]
                raise httpx.RemoteProtocolError(
                    "peer closed connection without sending complete message body"
                )
            sent += len(chunk)
            yield chunk


class SimTransport(httpx.BaseTransport):
    """Hands every request to a Simulator and its answer back to httpx."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        sim_request = SimRequest(
            method=request.method,
            url=str(request.url),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=request.read(),
        )
        answer = self.sim.handle(sim_request)
        return httpx.Response(answer.status, headers=answer.headers, stream=_Body(answer))


_DEMOS: dict[Path, Simulator] = {}
_DEMO_LOCK = threading.Lock()


def demo_simulator(data_dir: Path, clock: Clock) -> Simulator:
    """The `demo` profile's simulator: short timings, state kept in the data dir."""
    path = (data_dir / DEMO_STATE).resolve()
    with _DEMO_LOCK:
        if path not in _DEMOS:
            seed = (int(clock.time() * 1000) ^ os.getpid()) & 0x7FFFFFFF
            config = SimConfig(**{**DEMO_CONFIG.__dict__, "seed": seed})
            _DEMOS[path] = Simulator(
                config,
                clock=clock,
                api_origin=DEMO_API,
                store_origin=DEMO_STORE,
                persist=FileState(path),
            )
        return _DEMOS[path]


def demo_transport(data_dir: Path, clock: Clock) -> SimTransport:
    return SimTransport(demo_simulator(data_dir, clock))
