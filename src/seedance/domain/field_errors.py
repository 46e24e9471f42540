"""Pydantic's complaint about one field, in plain words ("must be a whole number, not 5.5").

Files a user writes (a storyboard, profiles.toml's defaults, a batch's jobs) are checked by
pydantic models; its messages ("Input should be a valid integer, got a number with a
fractional part") are worded for programmers. The common kinds are said here as the command
line says a bad flag; anything else keeps pydantic's own message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SHOWN = 40  # characters of the value given, at most (a table or a long text is cut)

# pydantic's error type -> what the value must be
KINDS: dict[str, str] = {
    "int_from_float": "a whole number",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text in quotes",
}


def plain_message(error: Mapping[str, Any]) -> str:
    """One pydantic error (an item of `ValidationError.errors()`) as a plain sentence."""
    kind = KINDS.get(str(error.get("type")))
    if kind is not None:
        given = repr(error.get("input"))
        if len(given) > SHOWN:
            given = given[: SHOWN - 1] + "…"
        return f"must be {kind}, not {given}"
    return str(error.get("msg", "")).removeprefix("Value error, ")
