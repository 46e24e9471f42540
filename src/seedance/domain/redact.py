"""Secrets kept out of messages: a pre-signed URL's query string and a URL's `user:password@`
are credentials (a state URL's, `postgresql://user:password@host/db?password=...`, too); so
may be the arguments of a configured command (`api_key_cmd`); and every
secret this process knows (`register_secret`: the API key, the asset library's secret key, ...)
is hidden by value from every text a server sent (`domain/server_text.py`, applied where the
HTTP layer reads an answer)."""

from __future__ import annotations

import json
import re
import threading
from typing import Any
from urllib.parse import quote, urlsplit

MIN_SECRET = 8  # shorter values occur by chance in ordinary text: hiding them would garble it
HIDDEN = "***"


class SecretRegistry:
    """The secrets one process knows, and the forms a text may quote them in."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._forms: tuple[str, ...] = ()  # longest first: a longer form is hidden whole

    def register(self, value: str | None) -> None:
        if not value or len(value.strip()) < MIN_SECRET:
            return
        with self._lock:
            if value in self._secrets:
                return
            self._secrets.add(value)
            forms = set(self._forms)
            for secret in (value, value.strip()):
                # as it is, as a URL or a JSON string quotes it, as a bytes repr shows it
                for form in (
                    secret,
                    quote(secret, safe=""),
                    json.dumps(secret)[1:-1],
                    repr(secret.encode())[2:-1],
                ):
                    if len(form) >= MIN_SECRET:
                        forms.add(form)
            self._forms = tuple(sorted(forms, key=len, reverse=True))

    def hide(self, text: str) -> str:
        for form in self._forms:  # (a tuple replaced whole: safe to read without the lock)
            if form in text:
                text = text.replace(form, HIDDEN)
        return text

    def __bool__(self) -> bool:
        return bool(self._forms)


SECRETS = SecretRegistry()


def register_secret(value: str | None) -> None:
    """From now on, hide `value` (a key, a password) from every text a server sends this
    process. Values shorter than MIN_SECRET characters are not hidden: they would garble
    ordinary words."""
    SECRETS.register(value)


def redact_secrets(text: str) -> str:
    """`text` with every registered secret shown as `***`."""
    return SECRETS.hide(text) if SECRETS else text


# an http(s) or PostgreSQL URL in running text: its user info and its query, if any, are what
# we hide
_URL_IN_TEXT = re.compile(
    r"(?P<scheme>(?:https?|postgres(?:ql)?)://)(?P<user>[^\s/?#@'\"<>]*@)?(?P<rest>[^\s?#'\"<>]*)"
    r"(?P<query>\?[^\s#'\"<>]*)?",
    re.IGNORECASE,
)
_TRAILING = ".,;:)]}"  # punctuation that ends a sentence, not a query


def redact_url(url: object) -> str:
    """A URL fit for a message or a log: `https://host/path?…`, no `user:password@`."""
    parts = urlsplit(str(url))
    query = "?…" if parts.query else ""
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}{query}"


def redact_urls(text: str) -> str:
    """`text` with every http(s) or PostgreSQL URL in it shown as `redact_url` shows it."""
    if "://" not in text:
        return text

    def hide(match: re.Match[str]) -> str:
        query = match["query"] or ""
        tail = len(query) - len(query.rstrip(_TRAILING))
        kept = query[len(query) - tail :] if tail else ""
        shown = "?…" if query[: len(query) - tail] not in ("", "?") else ""
        return f"{match['scheme']}{match['rest']}{shown}{kept}"

    return _URL_IN_TEXT.sub(hide, text)


def redact_urls_in(value: Any) -> Any:
    """A JSON value with every URL in its strings shown as `redact_url` shows it."""
    if isinstance(value, str):
        return redact_urls(value)
    if isinstance(value, dict):
        return {key: redact_urls_in(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_urls_in(item) for item in value]
    return value


def program_of(command: str) -> str:
    """The program a configured command runs, without its arguments (they may hold secrets)."""
    import shlex

    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    return words[0] if words else ""


# The query parameters that sign a URL (AWS SigV4 and V2, TOS, Google): such a URL is a secret
_SIGNATURES = ("x-amz-signature=", "x-tos-signature=", "x-goog-signature=", "signature=")


def is_presigned(url: str) -> bool:
    """Whether `url` carries a signature in its query (a presigned URL: a secret)."""
    query = urlsplit(url).query.lower()
    return any(f"&{name}" in f"&{query}" for name in _SIGNATURES)
