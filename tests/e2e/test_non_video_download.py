"""A result host that answers 200 with something that is not a video (an empty body, a proxy's
or a CDN's HTML page) never has it saved, journaled or verified as the paid video: it is
fetched again, and refused when it stays so (services/download_check.py)."""

from __future__ import annotations

import json

import httpx
import pytest

from seedance.sim.app import STORE_ORIGIN

PAGES = {
    "empty": b"",
    "html": b"<html><body>Request blocked by your organisation's proxy</body></html>",
}


class Hostile(httpx.BaseTransport):
    """The simulator, but the result host's first `times` answers are a 200 of `body`."""

    def __init__(self, inner: httpx.BaseTransport, body: bytes, times: int = 1) -> None:
        self.inner, self.body, self.times = inner, body, times

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if str(request.url).startswith(STORE_ORIGIN) and self.times > 0:
            self.times -= 1
            headers = {"content-type": "text/html", "content-length": str(len(self.body))}
            return httpx.Response(200, headers=headers, stream=httpx.ByteStream(self.body))
        return self.inner.handle_request(request)


@pytest.mark.parametrize("kind", sorted(PAGES))
def test_non_video_download_never_kept_as_the_video(run, sim, world, kind):
    world.transport = Hostile(world.transport, PAGES[kind])
    done = run("create", "a boat", "-o", "boat.mp4")
    assert done.exit_code == 0, done.stderr
    assert "is not a video" in done.stderr and "downloading it again" in done.stderr
    assert (world.root / "boat.mp4").read_bytes()[4:8] == b"ftyp"
    assert len(sim.creates()) == 1


def test_non_video_download_that_stays_so_is_refused_and_fetched_again_later(run, sim, world):
    real = world.transport
    world.transport = Hostile(real, PAGES["html"], times=10)
    refused = run("create", "a boat", "-o", "boat.mp4")
    assert refused.exit_code == 3, refused.stderr
    error = refused.stderr.strip().splitlines()[-1]
    host = STORE_ORIGIN.split("//")[1]
    assert error.startswith(f"error: the download from {host} is not a video (it is an HTML")
    assert "?" not in error.split(" is not a video")[0]  # the host, never the signed query
    assert not list(world.root.glob("boat.mp4*"))  # nothing published, no .part kept
    [entry] = json.loads(run("tasks", "list", "--local", "--json").stdout)
    assert entry["sha256"] is None and entry["saved_path"] is None
    world.transport = real
    again = run("create", "a boat", "-o", "boat.mp4")
    assert again.exit_code == 0, again.stderr
    assert (world.root / "boat.mp4").read_bytes()[4:8] == b"ftyp"
    assert len(sim.creates()) == 1
