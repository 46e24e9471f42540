"""The user's catalogue overlay: `catalogue.toml` in the config directory, in the bundled
catalogue's own format, merged over it (a rule that went stale can be corrected on the day,
without waiting for a release).

Checked whole on load: a malformed overlay is one error naming the file, the line and the key,
and nothing runs on a catalogue half merged.
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

from seedance.domain.errors import ConfigError

TOP = ("sources", "families", "vocabularies", "price_lists", "sizes", "conflicts")
VOCABULARY_KEYS = (
    "title",
    "models",
    "price_list",
    "limits",
    "overrides",
    "retired",
    "sources",
    "cite",
    "folded",
)
FAMILY_NAMES = ("title", "base", "price_as")  # strings
FAMILY_LISTS = ("aliases", "sources")  # lists of strings

Path_ = tuple[str, ...]


class OverlayProblem(Exception):
    """One thing wrong with the overlay: where (a key path) and what."""

    def __init__(self, where: Path_, what: str) -> None:
        super().__init__(what)
        self.where, self.what = where, what


def merged(bundled: dict[str, Any], path: Path) -> tuple[dict[str, Any], frozenset[Path_]]:
    """The bundled catalogue with the overlay at `path` merged over it, and the key paths the
    overlay set. ConfigError (exit 2), naming file, line and key, when it is malformed."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the catalogue overlay: {exc}") from None
    try:
        overlay = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML: {exc}",
            reason="overlay_broken",
        ) from None
    result = copy.deepcopy(bundled)
    try:
        _merge(result, overlay)
        check(result, overlay)
    except OverlayProblem as problem:
        line = line_of(text, problem.where)
        key = ".".join(_quoted(p) for p in problem.where) or "(top)"
        raise ConfigError(
            f"{path}, line {line}: {key}: {problem.what}",
            reason="overlay_broken",
        ) from None
    return result, frozenset(_paths(overlay))


def _merge(into: dict[str, Any], overlay: dict[str, Any], at: Path_ = ()) -> None:
    """Tables merge key by key; a price list's rules go first (the first match wins), the
    conflicts are added; any other value replaces the bundled one."""
    for key, value in overlay.items():
        here = (*at, key)
        if not isinstance(key, str):
            raise OverlayProblem(at, "keys are names")
        if len(here) == 1 and key not in TOP:
            raise OverlayProblem(here, f"unknown table (the catalogue has: {', '.join(TOP)})")
        current = into.get(key)
        if here[0] == "conflicts" and len(here) == 1:
            if not isinstance(value, list):
                raise OverlayProblem(here, "must be an array of tables ([[conflicts]])")
            into[key] = [*(current or []), *value]
        elif len(here) == 3 and here[0] == "price_lists" and key == "rules":
            if not isinstance(value, list):
                raise OverlayProblem(here, "must be an array of rules")
            into[key] = [*value, *(current or [])]
        elif isinstance(value, dict) and isinstance(current, dict):
            _merge(current, value, here)
        elif isinstance(value, dict) and current is None:
            into[key] = {}
            _merge(into[key], value, here)
        else:
            into[key] = value


def _paths(table: dict[str, Any], at: Path_ = ()) -> Iterator[Path_]:
    for key, value in table.items():
        here = (*at, key)
        yield here
        if isinstance(value, dict):
            yield from _paths(value, here)


# -- checks ----------------------------------------------------------------------------------


def check(result: dict[str, Any], overlay: dict[str, Any]) -> None:
    """Every table the overlay touched, checked in the merged catalogue."""
    sources = result.get("sources", {})
    for key, value in overlay.get("sources", {}).items():
        if not isinstance(value, str) or not value.strip():
            raise OverlayProblem(("sources", key), "a source is a text saying where a fact is")
    families = result.get("families", {})
    for key, entry in overlay.get("families", {}).items():
        _check_family(key, entry, families, sources)
    for key, entry in overlay.get("vocabularies", {}).items():
        _check_vocabulary(key, entry, families, sources)
    for key, plist in overlay.get("price_lists", {}).items():
        for number, rule in enumerate(plist.get("rules", []) if isinstance(plist, dict) else []):
            where = ("price_lists", key, "rules")
            if not isinstance(rule, dict) or not _number(rule.get("price")):
                raise OverlayProblem(where, f"rule {number + 1} needs a price (a number)")
    for res, table in overlay.get("sizes", {}).items():
        for ratio, size in table.items() if isinstance(table, dict) else ():
            if ratio != "cite" and not re.fullmatch(r"\d+x\d+", str(size)):
                raise OverlayProblem(("sizes", res, ratio), "a size is WIDTHxHEIGHT")


def _family_types() -> dict[str, str]:
    from seedance.domain.catalogue import Family

    skip = {"key", "origins", "cites", "overlaid"}
    return {f.name: str(f.type) for f in fields(Family) if f.name not in skip}


def _check_family(key: str, entry: Any, families: dict[str, Any], sources: dict[str, Any]) -> None:
    """The values the overlay set in one family (the bundled ones are known good)."""
    where: Path_ = ("families", key)
    if not isinstance(entry, dict):
        raise OverlayProblem(where, "a family is a table")
    base = entry.get("base")
    if base is not None and base not in families:
        raise OverlayProblem((*where, "base"), f"names no family ({base})")
    if "base" not in families[key] and "title" not in families[key]:
        raise OverlayProblem(where, "a new family needs a title, or a base to start from")
    types = _family_types()
    for name, value in entry.items():
        if name == "cite":
            _check_cite((*where, "cite"), value, sources)
        elif name in FAMILY_NAMES:
            if not isinstance(value, str):
                raise OverlayProblem((*where, name), "must be a text")
        elif name in FAMILY_LISTS:
            _expect_strings((*where, name), value)
        elif name in types:
            _check_value((*where, name), types[name], value)
        else:
            raise OverlayProblem((*where, name), "not a value a model has in the catalogue")


def _check_vocabulary(
    key: str, entry: Any, families: dict[str, Any], sources: dict[str, Any]
) -> None:
    where: Path_ = ("vocabularies", key)
    if not isinstance(entry, dict):
        raise OverlayProblem(where, "a vocabulary is a table")
    types = _family_types()
    for name, value in entry.items():
        here = (*where, name)
        if name not in VOCABULARY_KEYS:
            raise OverlayProblem(
                here, f"unknown key (a vocabulary has: {', '.join(VOCABULARY_KEYS)})"
            )
        if name == "models":
            for model, family in _table(here, value).items():
                if family not in families:
                    raise OverlayProblem((*here, model), f"names no family ({family})")
        elif name == "cite":
            _check_cite(here, value, sources)
        elif name == "limits":
            _check_values(here, _table(here, value), types, sources)
        elif name == "overrides":
            for family, values in _table(here, value).items():
                if family not in families:
                    raise OverlayProblem((*here, family), "names no family")
                _check_values((*here, family), _table((*here, family), values), types, sources)


def _check_values(
    where: Path_, values: dict[str, Any], types: dict[str, str], sources: dict[str, Any]
) -> None:
    for name, value in values.items():
        if name == "cite":
            _check_cite((*where, name), value, sources)
        elif name not in types:
            raise OverlayProblem((*where, name), "not a value a model has in the catalogue")
        else:
            _check_value((*where, name), types[name], value)


def _check_cite(where: Path_, value: Any, sources: dict[str, Any]) -> None:
    for name, keys in _table(where, value).items():
        named = keys.split() if isinstance(keys, str) else keys
        if not isinstance(named, list) or not named:
            raise OverlayProblem((*where, name), "cite the keys of [sources] it rests on")
        unknown = [k for k in named if k not in sources]
        if unknown:
            raise OverlayProblem((*where, name), f"no source '{unknown[0]}' in [sources]")


def _check_value(where: Path_, kind: str, value: Any) -> None:
    if kind.startswith("tuple[str"):
        _expect_strings(where, value)
    elif kind.startswith("bool"):
        if not isinstance(value, bool):
            raise OverlayProblem(where, "must be true or false")
    elif kind.startswith(("int", "float")):
        if not _number(value) or (kind.startswith("int") and not isinstance(value, int)):
            raise OverlayProblem(where, "must be a number" if "float" in kind else "a whole number")
    elif kind.startswith("str"):
        if not isinstance(value, str):
            raise OverlayProblem(where, "must be a text")
    elif kind.startswith("Mapping[str, Mapping"):  # sizes
        for res, cells in _table(where, value).items():
            for ratio, size in _table((*where, res), cells).items():
                if not re.fullmatch(r"\d+x\d+", str(size)):
                    raise OverlayProblem((*where, res, ratio), "a size is WIDTHxHEIGHT")


def _expect_strings(where: Path_, value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise OverlayProblem(where, 'must be a list of texts, e.g. ["480p", "720p"]')


def _table(where: Path_, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise OverlayProblem(where, "must be a table")
    return value


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# -- where in the file -----------------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[\[?\s*(.+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r'^\s*((?:"[^"]*"|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|[A-Za-z0-9_-]+))*)\s*=')


def _split(dotted: str) -> Path_:
    return tuple(
        m.group(1) or m.group(2) for m in re.finditer(r'"([^"]*)"|([A-Za-z0-9_-]+)', dotted)
    )


def line_of(text: str, where: Path_) -> int:
    """The line of the overlay that sets `where` (a key path), or the closest table above it."""
    best, best_len = 1, -1
    table: Path_ = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header and not _KEY.match(line):
            table = _split(header.group(1))
            candidate = table
        else:
            key = _KEY.match(line)
            if not key:
                continue
            candidate = (*table, *_split(key.group(1)))
        if where[: len(candidate)] == candidate and len(candidate) > best_len:
            best, best_len = number, len(candidate)
        elif candidate[: len(where)] == where and best_len < len(where):
            best, best_len = number, len(where)
    return best


def _quoted(part: str) -> str:
    return part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{part}"'
