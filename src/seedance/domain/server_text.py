"""What a text a server sent becomes before anything holds it: every secret this process knows
hidden by value (`redact.register_secret`), and no terminal control left in it (colours, a
screen clear, an OSC title or clipboard write, a carriage return that overwrites a line, a
bidirectional override that reorders it), and no line break or tab either: a server's text is
shown on one line (an error, a row of the progress board, a cell of a tab-separated table),
where a line break would forge a line of its own (`error: ...`). A prompt the server echoes
back (in a task's raw answer) is kept on one line too.

The HTTP layer applies it to every answer it reads (`providers/http.py`), so the tasks,
errors, journal rows, manifests, pages and replies made from answers never hold the raw text.
"""

from __future__ import annotations

import re
from typing import Any

from seedance.domain.redact import redact_secrets

# ESC and the 8-bit C1 introducers: a whole sequence goes, not only its first character (what
# follows `ESC [` would otherwise show as "[2J"). A string sequence (OSC, DCS, SOS, PM, APC)
# runs to its terminator (BEL or ST), or to the end of the text when it has none.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"  # CSI: parameters, intermediates, the final byte
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|$)"  # string sequences
    r"|\x1b[ -/]*[0-~]?",  # any other escape
    re.DOTALL,
)
# C0 controls but tab and line feed, DEL, C1, line/paragraph separators, bidi embeddings,
# overrides and isolates (U+202A-E, U+2066-9), and the invisible ones (zero-width spaces and
# joiners, direction marks, word joiners, BOM, soft hyphen): a secret split by any of them
# would be hidden by none of its forms, then joined again when they are taken out
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u200b-\u200f\u2028\u2029\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff]"
)
_BREAKS = re.compile("\r\n|[\n\t]")


def strip_controls(text: str) -> str:
    """`text` without terminal escape sequences or control characters (tab and line feed
    stay; a CR LF becomes a line feed)."""
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub("", _SEQUENCE.sub("", text.replace("\r\n", "\n")))


def clean_text(text: str) -> str:
    """A server's text, fit to hold, store and show: on one line (each line break or tab a
    space), controls gone, then secrets hidden (in that order: a secret a server splits with
    controls is whole again once they are gone)."""
    return redact_secrets(strip_controls(_BREAKS.sub(" ", text)))


def clean_value(value: Any) -> Any:
    """A JSON value (from a server) with every string in it, keys too, as `clean_text` makes
    it. Walks without recursion: an answer nested deep cannot exhaust the stack."""
    if not isinstance(value, dict | list):
        return clean_text(value) if isinstance(value, str) else value
    root: list[Any] = [value]
    stack: list[tuple[Any, Any]] = [(root, 0)]  # (a container, the key or index to clean)
    while stack:
        holder, at = stack.pop()
        item = holder[at]
        if isinstance(item, str):
            holder[at] = clean_text(item)
        elif isinstance(item, list):
            items = list(item)
            holder[at] = items
            stack.extend((items, i) for i in range(len(items)))
        elif isinstance(item, dict):
            fields = {clean_text(k) if isinstance(k, str) else k: v for k, v in item.items()}
            holder[at] = fields
            stack.extend((fields, k) for k in fields)
    return root[0]


def one_line(text: str) -> str:
    """`text` on one line: its line breaks and tabs as single spaces."""
    return " ".join(text.split()) if any(c in text for c in "\n\r\t") else text
