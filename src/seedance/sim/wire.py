"""The simulator's own tiny HTTP model: a request in, a response out (no framework needed)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class SimRequest:
    method: str
    url: str
    headers: dict[str, str]  # lower-case names
    body: bytes = b""

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query, keep_blank_values=True)

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def bearer(self) -> str | None:
        value = self.headers.get("authorization", "")
        return value[7:] if value.lower().startswith("bearer ") else None


@dataclass
class SimResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""
    length: int | None = None  # for a streamed body: the bytes it will yield
    cut_at: int | None = None  # fault: stop sending after this many bytes

    def content_length(self) -> int | None:
        return len(self.body) if isinstance(self.body, bytes) else self.length


def json_response(status: int, document: Any, headers: dict[str, str] | None = None) -> SimResponse:
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return SimResponse(status, {"content-type": "application/json", **(headers or {})}, body)


def ark_error(
    status: int, code: str, message: str, type_: str = "BadRequest", param: str = ""
) -> SimResponse:
    """The Ark error body: {"error": {"code", "message", "param", "type"}}."""
    return json_response(
        status, {"error": {"code": code, "message": message, "param": param, "type": type_}}
    )


def openai_error(
    status: int, code: str, message: str, type_: str = "invalid_request_error"
) -> SimResponse:
    """The OpenAI-style error body: {"error": {"message", "type", "code"}}."""
    return json_response(status, {"error": {"message": message, "type": type_, "code": code}})
