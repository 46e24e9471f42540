"""A state written to a file and read back into another: how a local journal moves into a
shared state (a user who starts alone and later joins a team keeps their history, their
ledger and their resumable work).

The file is JSON Lines, mode 0600 (it holds prompts): a first line that says what it is and
the schema version that wrote it, then one object per create with every column but the row
number (the state it goes into numbers its rows anew). An import writes every create the
state does not hold yet (a create is known by its profile, request, start time and task), so
importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedance.domain.errors import LocalError, UsageError
from seedance.services.state.base import State
from seedance.services.state.entries import COLUMNS, SCHEMA_VERSION, Entry, widened

FORMAT = "seedance-journal"
# the columns without which a row says nothing usable (as a repair reads them)
REQUIRED = ("state", "profile", "dialect", "base_url", "request_hash", "request", "created_at")


@dataclass(frozen=True)
class Transfer:
    path: Path
    creates: int  # written into the file, or into the state
    skipped: int = 0  # already in the state (an import)


def export(state: State, path: Path) -> Transfer:
    """Every create of `state`, oldest first, into a new file at `path` (never over one)."""
    if path.exists():
        raise UsageError(f"{path} already exists", reason="export_file_exists", field="file")
    entries = list(reversed(state.entries(limit=None)))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            header = {
                "format": FORMAT,
                "schema_version": SCHEMA_VERSION,
                "from": state.where,
                "creates": len(entries),
            }
            out.write(json.dumps(header) + "\n")
            for entry in entries:
                row = dict(zip(COLUMNS, entry.values(), strict=True))
                row.pop("row")
                out.write(json.dumps(row, sort_keys=True) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.link(tmp, path)  # never over a file that appeared meanwhile
    except FileExistsError:
        raise UsageError(f"{path} already exists", reason="export_file_exists") from None
    except OSError as exc:
        raise LocalError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return Transfer(path, len(entries))


def import_into(state: State, path: Path) -> Transfer:
    """The creates of an exported file that `state` does not hold yet, written into it in
    one go; the file is read whole first (a damaged file changes nothing)."""
    entries = list(_read(path))
    have = {_identity(e) for e in state.entries(limit=None)}
    new = []
    for entry in entries:
        key = _identity(entry)
        if key not in have:
            have.add(key)
            new.append(entry)
    state.record_many(new)
    return Transfer(path, len(new), len(entries) - len(new))


def _identity(entry: Entry) -> tuple[Any, ...]:
    return (entry.profile, entry.request_hash, round(entry.created_at, 6), entry.task_id)


def _read(path: Path) -> Iterator[Entry]:
    try:
        lines = path.read_text("utf-8").splitlines()
    except FileNotFoundError:
        raise UsageError(f"{path} does not exist", field="file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}", field="file") from None
    header = _json(path, 1, lines[0] if lines else "")
    if header.get("format") != FORMAT:
        raise UsageError(f"{path} is not an exported journal", field="file")
    version = header.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise UsageError(
            f"{path} was exported by a newer version (schema version {version}, this one "
            f"reads up to {SCHEMA_VERSION})",
            reason="export_newer",
            field="file",
        )
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        row = _json(path, number, line)
        if any(row.get(name) is None for name in REQUIRED):
            raise UsageError(f"{path}, line {number}: a create without {', '.join(REQUIRED)}")
        names = [c for c in COLUMNS if c in row and c != "row"]
        values = widened(["row", *names], (0, *(row[n] for n in names)))
        try:
            yield Entry.from_row(values)
        except (TypeError, ValueError) as exc:
            raise UsageError(f"{path}, line {number}: {exc}", field="file") from None


def _json(path: Path, number: int, line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise UsageError(f"{path}, line {number} is not a JSON object", field="file")
    return value
