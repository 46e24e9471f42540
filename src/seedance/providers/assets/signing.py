"""Volcengine V4 request signing (HMAC-SHA256), for the official asset library endpoints.

The whole protocol (docs/sources/wire.md "Asset library"), written with hashlib and hmac:

    canonical request = METHOD \\n PATH \\n sorted-encoded-query \\n canonical-headers \\n
                        signed-headers \\n hex(sha256(body))
    string to sign    = "HMAC-SHA256" \\n X-Date \\n DATE/REGION/SERVICE/request \\n
                        hex(sha256(canonical request))
    key               = HMAC(HMAC(HMAC(HMAC(secret, DATE), REGION), SERVICE), "request")
    Authorization     = HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/request,
                        SignedHeaders=content-type;host;x-content-sha256;x-date, Signature=HEX
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

import httpx

from seedance.domain.clock import Clock, SystemClock
from seedance.domain.redact import register_secret
from seedance.providers.http import Credentials, secrets_of

ALGORITHM = "HMAC-SHA256"
SIGNED_HEADERS = ("content-type", "host", "x-content-sha256", "x-date")
DEFAULT_CONTENT_TYPE = "application/json"
_UNRESERVED = "-_.~"


@dataclass(frozen=True)
class Signature:
    """The result of signing one request: the headers to add, and how they were derived."""

    x_date: str
    body_hash: str
    authorization: str
    canonical_request: str = field(repr=False)
    string_to_sign: str = field(repr=False)

    @property
    def headers(self) -> dict[str, str]:
        return {
            "X-Date": self.x_date,
            "X-Content-Sha256": self.body_hash,
            "Authorization": self.authorization,
        }


def x_date(when: datetime) -> str:
    """`YYYYMMDDTHHMMSSZ` in UTC."""
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def canonical_query(query: str | Iterable[tuple[str, str]]) -> str:
    """`k=v&…`, each name and value percent-encoded (only A-Z a-z 0-9 - _ . ~ kept), sorted."""
    pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else list(query)
    encoded = sorted(
        (quote(k, safe=_UNRESERVED), quote(str(v), safe=_UNRESERVED)) for k, v in pairs
    )
    return "&".join(f"{k}={v}" for k, v in encoded)


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    """The HMAC chain over date, region, service and "request", from the secret key."""
    key = secret_key.encode("utf-8")
    for part in (date, region, service, "request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def _host_value(host: str) -> str:
    """The Host header as signed: a default port (80, 443) is left out."""
    name, sep, port = host.rpartition(":")
    return name if sep and port in ("80", "443") and not name.endswith("]") else host


def sign(
    *,
    method: str,
    path: str,
    query: str | Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
    access_key: str,
    secret_key: str,
    region: str,
    when: datetime,
    service: str = "ark",
) -> Signature:
    """Sign a request; `headers` must carry Host (and Content-Type, else JSON is assumed)."""
    lower = {k.lower(): v for k, v in headers.items()}
    stamp = x_date(when)
    body_hash = hashlib.sha256(body).hexdigest()
    values = {
        "content-type": lower.get("content-type", DEFAULT_CONTENT_TYPE),
        "host": _host_value(lower["host"]),
        "x-content-sha256": body_hash,
        "x-date": stamp,
    }
    canonical_headers = "".join(f"{name}:{values[name]}\n" for name in SIGNED_HEADERS)
    signed_headers = ";".join(SIGNED_HEADERS)
    canonical_request = "\n".join(
        [
            method.upper(),
            path or "/",
            canonical_query(query),
            canonical_headers,
            signed_headers,
            body_hash,
        ]
    )
    scope = f"{stamp[:8]}/{region}/{service}/request"
    string_to_sign = "\n".join(
        [ALGORITHM, stamp, scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()]
    )
    key = signing_key(secret_key, stamp[:8], region, service)
    signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    authorization = (
        f"{ALGORITHM} Credential={access_key}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    return Signature(stamp, body_hash, authorization, canonical_request, string_to_sign)


class SignerV4:
    """Credentials for an HttpClient host: signs each request (each retry afresh) when sent."""

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        region: str,
        service: str = "ark",
        clock: Clock | None = None,
    ) -> None:
        self.access_key = access_key
        self._secret_key = secret_key
        register_secret(access_key)
        register_secret(secret_key)
        self.region = region
        self.service = service
        self._clock = clock or SystemClock()

    def apply(self, request: httpx.Request) -> None:
        if "content-type" not in request.headers:
            request.headers["Content-Type"] = DEFAULT_CONTENT_TYPE
        raw_path = request.url.raw_path.split(b"?", 1)[0].decode("ascii") or "/"
        signature = sign(
            method=request.method,
            path=raw_path,
            query=request.url.query.decode("ascii"),
            headers=request.headers,
            body=request.content,
            access_key=self.access_key,
            secret_key=self._secret_key,
            region=self.region,
            service=self.service,
            when=datetime.fromtimestamp(self._clock.time(), UTC),
        )
        request.headers.update(signature.headers)

    def secrets(self) -> tuple[str, ...]:
        """What no message may show (`HttpClient.scrub`)."""
        return (self.access_key, self._secret_key)

    def __repr__(self) -> str:
        shown = self.access_key[:4] + "…" if len(self.access_key) > 4 else "…"
        return f"SignerV4(access_key={shown!r}, region={self.region!r}, service={self.service!r})"


class CredentialsByPath:
    """Credentials for one origin chosen by the exact request path (else `fallback`): for an
    asset library that shares its origin with the API."""

    def __init__(self, by_path: Mapping[str, Credentials], fallback: Credentials) -> None:
        self.by_path = dict(by_path)
        self.fallback = fallback

    def apply(self, request: httpx.Request) -> None:
        self.by_path.get(request.url.path, self.fallback).apply(request)

    def secrets(self) -> tuple[str, ...]:
        """What no message may show (`HttpClient.scrub`)."""
        every = (*self.by_path.values(), self.fallback)
        return tuple(secret for credentials in every for secret in secrets_of(credentials))

    def __repr__(self) -> str:
        return f"CredentialsByPath({self.by_path!r}, fallback={self.fallback!r})"
