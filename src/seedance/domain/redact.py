"""Secrets kept out of messages: a pre-signed URL's query string and a URL's `user:password@`
are credentials (a state URL's, `postgresql://user:password@host/db?password=...`, too); so
may be the arguments of a configured command (`api_key_cmd`)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

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
