"""The length of a reference video given by URL, measured without downloading it.

Input video seconds are billed (domain/pricing.py), so an estimate is only a lower bound
while a reference video's length is unknown. Under a spending cap, seedance measures it: PyAV
(the `video` extra) reads the container's header through the one HTTP layer, a block at a
time with Range requests (a file whose index sits at its end costs a few blocks from each
end), and never more than MAX_BYTES. The URL is vetted as a result URL is
(providers/addresses.py: http(s), a public address). Whatever goes wrong leaves the length
unknown (None) and says why; the cap then refuses the request unless unpriced ones are let
through.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

from seedance.domain.errors import SeedanceError
from seedance.domain.redact import redact_url
from seedance.providers.addresses import PublicOnly
from seedance.providers.http import HttpClient

if TYPE_CHECKING:
    from seedance.services.runtime import Runtime

BLOCK = 256 * 1024
MAX_BYTES = 8 * 1024 * 1024  # read at most this much of one video to find its length
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class TooMuch(Exception):
    """Measuring would read more of the video than MAX_BYTES."""


class RangeReader:
    """A remote file as a seekable, readable file object for PyAV, fetched block by block
    with Range requests (a server that ignores Range: its whole answer, up to MAX_BYTES)."""

    def __init__(self, http: HttpClient, url: str, check_url: Callable[[httpx.URL], None]) -> None:
        self.http, self.url, self.check_url = http, url, check_url
        self.size: int | None = None
        self.position = 0
        self.blocks: dict[int, bytes] = {}
        self.fetched = 0
        self.whole: bytes | None = None  # the server sent everything at once

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_CUR:
            offset += self.position
        elif whence == os.SEEK_END:
            if self.size is None:
                self._block(0)
            offset += self.size or 0
        self.position = max(offset, 0)
        return self.position

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = BLOCK
        if self.size is not None:
            size = min(size, max(self.size - self.position, 0))
        out = bytearray()
        while size > 0:
            index, skip = divmod(self.position, BLOCK)
            block = self._block(index)[skip : skip + size]
            if not block:
                break
            out += block
            self.position += len(block)
            size -= len(block)
        return bytes(out)

    def _block(self, index: int) -> bytes:
        if self.whole is not None:
            return self.whole[index * BLOCK : (index + 1) * BLOCK]
        if index not in self.blocks:
            self.blocks[index] = self._fetch(index)
        return self.blocks[index]

    def _fetch(self, index: int) -> bytes:
        start = index * BLOCK
        if self.size is not None and start >= self.size:
            return b""
        if self.fetched + BLOCK > MAX_BYTES:
            raise TooMuch
        headers = {"Range": f"bytes={start}-{start + BLOCK - 1}", "Accept-Encoding": "identity"}
        with self.http.stream(
            "GET",
            self.url,
            headers=headers,
            authenticate=False,
            follow_redirects=True,
            check_url=self.check_url,
        ) as response:
            if response.status_code == 416:
                return b""
            if response.status_code == 200:  # Range ignored: the whole file, if it is small
                self.whole = self._body(response, MAX_BYTES - self.fetched)
                self.size = len(self.whole)
                return self.whole[start : start + BLOCK]
            if response.status_code != 206:
                raise OSError(f"the server answered HTTP {response.status_code}")
            found = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
            if found is None or int(found[1]) != start:
                raise OSError("the server answered another range than the one asked for")
            if found[3] != "*":
                self.size = int(found[3])
            return self._body(response, BLOCK)

    def _body(self, response: httpx.Response, limit: int) -> bytes:
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise TooMuch
            chunks.append(chunk)
        self.fetched += size
        return b"".join(chunks)


def video_seconds(
    http: HttpClient, url: str, check_url: Callable[[httpx.URL], None]
) -> tuple[float | None, str | None]:
    """The length of the video at `url` in seconds, or None and why it is not known."""
    try:
        import av
    except ImportError:
        return None, "measuring it needs PyAV (the video extra)"
    reader = RangeReader(http, url, check_url)
    try:
        check_url(httpx.URL(url))
        with av.open(reader, mode="r") as container:
            if container.duration is not None and container.duration > 0:
                return container.duration / 1_000_000, None
            stream = container.streams.video[0] if container.streams.video else None
            if stream is not None and stream.duration and stream.time_base:
                return float(stream.duration * stream.time_base), None
    except TooMuch:
        return None, f"its header was not found in its first {MAX_BYTES // 2**20} MiB"
    except SeedanceError as exc:
        return None, exc.message
    except Exception as exc:  # anything PyAV or the network met: the length stays unknown
        return None, f"it could not be read ({type(exc).__name__}: {exc})"
    return None, "it does not say how long it is"


def measured(rt: Runtime, url: str) -> float | None:
    """The length of a reference video by URL, read from its header (once per client); None,
    and a notice saying why, when it cannot be told."""
    if url not in rt.measured:
        check = PublicOnly(rt.profile.base_url, "the reference video")
        seconds, why = video_seconds(rt.provider.http, url, check)
        rt.measured[url] = seconds
        if why is not None:
            rt.notify(f"the length of reference video {redact_url(url)} is not known: {why}")
    return rt.measured[url]
