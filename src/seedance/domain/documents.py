"""JSON and TOML read from files people write (jobs files, storyboards, profiles.toml) or
that other processes leave (records, caches): every way a text can fail to parse is a
ValueError with a plain message. Python's parsers also raise RecursionError (a value nested
thousands deep) and a bare ValueError (a number of more than 4,300 digits, Python's limit on
integer strings): both would otherwise end a command as an internal error."""

from __future__ import annotations

import json
import tomllib
from typing import Any

SHOWN = 60  # characters of a value a message quotes at most


class DocumentError(ValueError):
    """A text that is no readable JSON or TOML, in plain words (`msg`, like the parsers')."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg


def parse_json(text: str | bytes) -> Any:
    """`json.loads`, its failures ValueErrors (json.JSONDecodeError with its position, or a
    DocumentError)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise DocumentError(NESTED) from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:
        raise DocumentError(plain(exc)) from None


def parse_toml(text: str) -> dict[str, Any]:
    """`tomllib.loads`, its failures ValueErrors (tomllib.TOMLDecodeError, or a
    DocumentError)."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise DocumentError(NESTED) from None
    except tomllib.TOMLDecodeError:
        raise
    except ValueError as exc:
        raise DocumentError(plain(exc)) from None


NESTED = "values are nested too deeply"


def plain(exc: ValueError) -> str:
    """A parser's odd ValueError in plain words."""
    text = str(exc)
    if "integer string conversion" in text:
        return "a number has more digits than can be read (4,300 at most)"
    return text


def shown(value: object, limit: int = SHOWN) -> str:
    """`value` for a message: at most `limit` characters, cut in the middle."""
    text = str(value)
    if len(text) <= limit:
        return text
    return f"{text[: limit // 2]}…{text[-(limit // 2 - 1) :]} ({len(text):,} characters)"
