"""A separate "object store" origin serving results through pre-signed, expiring URLs.

Like the real TOS links: query-string signature, expiry (403 with an XML body when expired or
tampered with), Range / If-Range, ETag, and no interest whatsoever in Authorization headers.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from seedance.domain.clock import Clock
from seedance.sim.wire import SimRequest, SimResponse

CHUNK = 1 << 20


@dataclass(frozen=True)
class StoredObject:
    content_type: str
    data: bytes | None = None  # small objects
    size: int = 0  # synthetic objects: `size` bytes of a repeating pattern
    etag_seed: str = ""

    @property
    def length(self) -> int:
        return len(self.data) if self.data is not None else self.size

    @property
    def etag(self) -> str:
        basis = self.data if self.data is not None else f"{self.etag_seed}:{self.size}".encode()
        return '"' + hashlib.sha256(basis).hexdigest()[:32] + '"'

    def stream(self, start: int, end: int) -> Iterator[bytes]:
        """Bytes [start, end) of the object."""
        if self.data is not None:
            for at in range(start, end, CHUNK):
                yield self.data[at : min(at + CHUNK, end)]
            return
        head = mp4_head(self.size)
        if start < len(head):  # a synthetic object is a video: it starts as an MP4 does
            yield head[start : min(len(head), end)]
            start = len(head)
        block = bytes(range(256)) * (CHUNK // 256)
        at = start
        while at < end:
            offset = at % CHUNK
            piece = block[offset : offset + min(CHUNK - offset, end - at)]
            yield piece
            at += len(piece)


def mp4_head(size: int) -> bytes:
    """The start of an MP4 file of `size` bytes: an `ftyp` box, then an `mdat` box holding
    the rest (ISO/IEC 14496-12); empty when `size` leaves no room for them."""
    ftyp = struct.pack(">I4s4sI4s4s", 24, b"ftyp", b"isom", 512, b"isom", b"mp41")
    rest = size - len(ftyp)
    if rest < 16:
        return b""
    if rest < 2**32:
        return ftyp + struct.pack(">I4s", rest, b"mdat")
    return ftyp + struct.pack(">I4sQ", 1, b"mdat", rest)


def synthetic_bytes(size: int) -> Iterator[bytes]:
    """What a synthetic object of `size` bytes contains (to check downloads against)."""
    return StoredObject("application/octet-stream", size=size).stream(0, size)


Lookup = Callable[[str], StoredObject | None]


def _xml_error(status: int, code: str, message: str) -> SimResponse:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>sim{int(time.time() * 1000)}</RequestId></Error>"
    ).encode()
    return SimResponse(status, {"content-type": "application/xml"}, body)


class ObjectStore:
    """Signs URLs for objects a lookup function provides, and serves them."""

    def __init__(
        self, origin: str, clock: Clock, ttl: float, secret: bytes, lookup: Lookup
    ) -> None:
        self.origin = origin.rstrip("/")
        self.clock = clock
        self.ttl = ttl
        self._secret = secret
        self._lookup = lookup
        self.cut_once = False
        self._cut_done: set[str] = set()
        self._expire_next = 0

    def _signature(self, key: str, date: str, expires: str) -> str:
        message = f"{key}\n{date}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def expire_next(self, count: int) -> None:
        """The next `count` URLs handed out are already expired (for tests)."""
        self._expire_next = count

    def sign(self, key: str) -> str:
        """A URL for `key` valid for the store's TTL from now."""
        signed_at = self.clock.time()
        if self._expire_next > 0:
            self._expire_next -= 1
            signed_at -= self.ttl + 60
        date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(signed_at))
        expires = str(int(self.ttl))
        query = urlencode(
            {
                "X-Tos-Algorithm": "TOS4-HMAC-SHA256",
                "X-Tos-Credential": f"sim/{date[:8]}/sim-region/tos/request",
                "X-Tos-Date": date,
                "X-Tos-Expires": expires,
                "X-Tos-SignedHeaders": "host",
                "X-Tos-Signature": self._signature(key, date, expires),
            }
        )
        return f"{self.origin}/{quote(key)}?{query}"

    def serve(self, request: SimRequest) -> SimResponse:
        if request.method not in ("GET", "HEAD"):
            return _xml_error(405, "MethodNotAllowed", "The specified method is not allowed")
        key = request.path.lstrip("/")
        date, expires = request.arg("X-Tos-Date") or "", request.arg("X-Tos-Expires") or ""
        given = request.arg("X-Tos-Signature") or ""
        if not hmac.compare_digest(given, self._signature(key, date, expires)):
            return _xml_error(403, "SignatureDoesNotMatch", "The request signature does not match")
        try:
            signed_at = calendar.timegm(time.strptime(date, "%Y%m%dT%H%M%SZ"))
            lifetime = float(expires)
        except ValueError:
            return _xml_error(403, "AccessDenied", "Request has malformed date or expiry")
        if self.clock.time() > signed_at + lifetime:
            return _xml_error(403, "AccessDenied", "Request has expired")
        obj = self._lookup(key)
        if obj is None:
            return _xml_error(404, "NoSuchKey", "The specified key does not exist.")
        return self.respond(request, key, obj)

    def respond(self, request: SimRequest, key: str, obj: StoredObject) -> SimResponse:
        """Serve an object (Range, If-Range, ETag), whoever signed for it."""
        size = obj.length
        headers = {
            "content-type": obj.content_type,
            "etag": obj.etag,
            "last-modified": "Mon, 15 Jun 2026 12:00:00 GMT",
            "accept-ranges": "bytes",
        }
        start, end = 0, size
        status = 200
        wanted = request.headers.get("range")
        if_range = request.headers.get("if-range")
        if wanted and (if_range is None or if_range in (obj.etag, headers["last-modified"])):
            parsed = _parse_range(wanted, size)
            if parsed is None:
                headers["content-range"] = f"bytes */{size}"
                return SimResponse(416, headers, b"")
            start, end = parsed
            status = 206
            headers["content-range"] = f"bytes {start}-{end - 1}/{size}"
        headers["content-length"] = str(end - start)
        if request.method == "HEAD":
            return SimResponse(status, headers, b"", length=0)
        response = SimResponse(status, headers, obj.stream(start, end), length=end - start)
        if self.cut_once and status == 200 and key not in self._cut_done and size > 1:
            self._cut_done.add(key)
            response.cut_at = size // 2
        return response


def _parse_range(value: str, size: int) -> tuple[int, int] | None:
    """`bytes=N-` or `bytes=N-M` -> [start, end); None when unsatisfiable."""
    unit, _, spec = value.partition("=")
    if unit.strip() != "bytes" or "," in spec:
        return None
    first, _, last = spec.strip().partition("-")
    try:
        if first == "":
            length = int(last)
            return (max(size - length, 0), size) if length > 0 and size else None
        start = int(first)
        end = min(int(last) + 1, size) if last else size
    except ValueError:
        return None
    return (start, end) if start < size and start < end else None
