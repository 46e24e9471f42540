"""What the state holds, declared once for every store: a create's row (`Entry`, each field a
column), a task's observation, a line of the ledger, and who made a create.

Each field of `Entry` declares its column in SQLite's words (`sql`); the SQLite store uses them
as they are, the PostgreSQL store translates them (`postgres_declaration`), so a column added
here reaches both stores (and both stores' migrations) with no other change.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, TypeVar

from seedance.domain.models import Task, TaskStatus

# The layout's version, the same number in both stores: SQLite keeps it in `user_version`,
# PostgreSQL in `seedance_meta`. SQLite's history: version 1 left it 0 (its early files also
# lack `saved_path`); version 2 had no `nonce`; version 3 no ledger (`account`,
# `estimated_tokens`, `price`, `currency`, `label`); version 4 lacked the indexes of the
# newest-first reads; version 5 lacked who made a create (`machine`, `login`); version 6 the
# work a create was made for (`unit`, `generation`, `rerun`) and where its video was saved
# (`saved_on`); version 7 the identity beside the nonce (`IDENTITY_COLUMNS`: how many values
# the nonce was drawn from, the seed and safety identifier seedance drew).
SCHEMA_VERSION = 8

# How long the server keeps a task (docs/sources/real-world.md: 7 days), so how long a nonce
# must stay distinct from those of the creates whose task is not known.
NONCE_MEMORY = 8 * 86400.0

# A create's identity (services/videos/identity.py): the nonces taken -> the values of a new
# create's `nonce` and IDENTITY_COLUMNS.
NoncePicker = Callable[[set[int]], Mapping[str, object]]

# Columns versions 3 to 7 added: an older file that cannot be upgraded (read-only, no room
# for its backup) still reads, these as None, and takes creates without them.
LEDGER_COLUMNS = ("account", "estimated_tokens", "price", "currency", "label")
WHO_COLUMNS = ("machine", "login")
IDENTITY_COLUMNS = ("nonce_space", "seed_nonce", "safety_nonce")
IDENTITY_FIELDS = ("nonce", *IDENTITY_COLUMNS)  # what a NoncePicker picks
# A unit of a storyboard or batch, as every machine knows it (runs/identities.py); `begin`
# takes them with the ledger's.
WORK_COLUMNS = ("unit", "generation", "rerun")
OPTIONAL_COLUMNS = (
    "nonce",
    "service_tier",
    *LEDGER_COLUMNS,
    *WHO_COLUMNS,
    *WORK_COLUMNS,
    "saved_on",
    *IDENTITY_COLUMNS,
)


class JournalState(StrEnum):
    """Where a create stands (stored as these words)."""

    SENDING = "sending"  # written before the request went out; its fate is not known yet
    CREATED = "created"  # the server answered with a task (or the lost task was found)
    UNKNOWN = "unknown"  # it may have arrived, but the answer was lost
    REJECTED = "rejected"  # refused, or provably never arrived: nothing was made


UNFINISHED = (JournalState.SENDING, JournalState.CREATED, JournalState.UNKNOWN)


def _sql(declaration: str) -> dict[str, str]:
    return {"sql": declaration}


@dataclass(frozen=True)
class Entry:
    """One journal row; each field is a column of that name, declared by its `sql`."""

    row: int = field(metadata=_sql("INTEGER PRIMARY KEY AUTOINCREMENT"))
    state: JournalState = field(metadata=_sql("TEXT NOT NULL"))
    task_id: str | None = field(metadata=_sql("TEXT"))
    profile: str = field(metadata=_sql("TEXT NOT NULL"))
    dialect: str = field(metadata=_sql("TEXT NOT NULL"))
    base_url: str = field(metadata=_sql("TEXT NOT NULL"))
    model: str | None = field(metadata=_sql("TEXT"))
    resolution: str | None = field(metadata=_sql("TEXT"))
    duration: int | None = field(metadata=_sql("INTEGER"))
    request_hash: str = field(metadata=_sql("TEXT NOT NULL"))
    # the body sent, with inline media replaced by their hashes
    request: str = field(metadata=_sql("TEXT NOT NULL"))
    prompt: str | None = field(metadata=_sql("TEXT"))
    output_path: str | None = field(metadata=_sql("TEXT"))
    created_at: float = field(metadata=_sql("REAL NOT NULL"))  # when the create began
    answered_at: float | None = field(metadata=_sql("REAL"))
    status: TaskStatus | None = field(metadata=_sql("TEXT"))  # the latest status seen
    finished_at: float | None = field(metadata=_sql("REAL"))
    tokens: int | None = field(metadata=_sql("INTEGER"))
    error: str | None = field(metadata=_sql("TEXT"))
    # of the saved video, recorded before it is renamed into place
    sha256: str | None = field(metadata=_sql("TEXT"))
    bytes: int | None = field(metadata=_sql("INTEGER"))
    downloaded_at: float | None = field(metadata=_sql("REAL"))
    # where the video was saved (output_path may be a directory)
    saved_path: str | None = field(metadata=_sql("TEXT"))
    # the identity nonce sent with the create (services/videos/identity.py), None when none was
    nonce: int | None = field(metadata=_sql("INTEGER"))
    service_tier: str | None = field(metadata=_sql("TEXT"))  # where to list it (flex apart)
    # The ledger (services/account/gate.py, services/account/spend.py): the account the create
    # went to (a digest of the API origin and key, never the key), its estimate and price when
    # it was sent, and what it was made for ("batch:DIR", "storyboard:DIR").
    account: str | None = field(default=None, metadata=_sql("TEXT"))
    estimated_tokens: int | None = field(default=None, metadata=_sql("INTEGER"))
    price: float | None = field(default=None, metadata=_sql("REAL"))  # per million tokens
    currency: str | None = field(default=None, metadata=_sql("TEXT"))
    label: str | None = field(default=None, metadata=_sql("TEXT"))
    # who sent it: the host name and the login name (spend by machine, by user)
    machine: str | None = field(default=None, metadata=_sql("TEXT"))
    login: str | None = field(default=None, metadata=_sql("TEXT"))
    # the unit of the run named by `label` it was made for ("row#2", a shot id), never a path:
    # the same on every machine; the unit's generation (0, then one more per rerun); 1 while
    # the rerun that made this generation is under way (settled: None)
    unit: str | None = field(default=None, metadata=_sql("TEXT"))
    generation: int | None = field(default=None, metadata=_sql("INTEGER"))
    rerun: int | None = field(default=None, metadata=_sql("INTEGER"))
    # the machine that saved and verified the video at `saved_path`
    saved_on: str | None = field(default=None, metadata=_sql("TEXT"))
    # The rest of the create's identity (services/videos/identity.py), None on rows written
    # before version 8: how many values `nonce` was drawn from, and the seed and safety
    # identifier seedance drew for it (None when the request carried its own, or none was sent).
    nonce_space: int | None = field(default=None, metadata=_sql("INTEGER"))
    seed_nonce: int | None = field(default=None, metadata=_sql("INTEGER"))
    safety_nonce: str | None = field(default=None, metadata=_sql("TEXT"))

    @property
    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self.request)
        return body

    @classmethod
    def from_row(cls, values: tuple[Any, ...]) -> Entry:
        """An entry from a row of COLUMNS. A word this version does not know (a newer
        version's) reads as unknown: the cautious reading, never a reason to fail."""
        found = dict(zip(COLUMNS, values, strict=True))
        state, status = found.pop("state"), found.pop("status")
        return cls(
            state=_word(JournalState, state, JournalState.UNKNOWN),
            status=None if status is None else _word(TaskStatus, status, TaskStatus.UNKNOWN),
            **found,
        )

    def values(self) -> tuple[Any, ...]:
        """The entry as the row it is stored as (words as their values)."""
        return tuple(_plain(getattr(self, name)) for name in COLUMNS)


Word = TypeVar("Word", bound=StrEnum)


def _word(kind: type[Word], value: str, otherwise: Word) -> Word:
    try:
        return kind(value)
    except ValueError:
        return otherwise


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, StrEnum) else value


COLUMNS = tuple(f.name for f in fields(Entry))
DECLARATIONS = {f.name: str(f.metadata["sql"]) for f in fields(Entry)}

# SQLite's words for a column's type, in PostgreSQL's (a REAL is a double there too).
_POSTGRES_TYPES = {"INTEGER": "BIGINT", "REAL": "DOUBLE PRECISION", "TEXT": "TEXT"}


def postgres_declaration(declaration: str) -> str:
    """A column's SQLite declaration in PostgreSQL's words: `INTEGER` is a BIGINT, `REAL` a
    DOUBLE PRECISION, the `INTEGER PRIMARY KEY AUTOINCREMENT` row an identity column.
    Raises ValueError for a declaration it cannot translate (a test checks every column)."""
    words = declaration.split()
    if words == ["INTEGER", "PRIMARY", "KEY", "AUTOINCREMENT"]:
        return "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    if not words or words[0] not in _POSTGRES_TYPES or words[1:] not in ([], ["NOT", "NULL"]):
        raise ValueError(f"no PostgreSQL translation for the column declaration {declaration!r}")
    return " ".join([_POSTGRES_TYPES[words[0]], *words[1:]])


def newest_per_unit(rows: list[Entry]) -> dict[str, Entry]:
    """Rows read newest first -> each unit's newest."""
    found: dict[str, Entry] = {}
    for entry in rows:
        if entry.unit is not None:
            found.setdefault(entry.unit, entry)
    return found


def widened(present: list[str], values: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row read from the columns `present` as a row of COLUMNS (None where missing)."""
    found = dict(zip(present, values, strict=True))
    return tuple(found.get(name) for name in COLUMNS)


@dataclass(frozen=True)
class Observation:
    """A task's status as a read saw it (see `State.observe`)."""

    task_id: str
    status: TaskStatus
    at: float
    tokens: int | None = None
    error: str | None = None
    ended: float | None = None  # the server's time of its end, when it says

    @classmethod
    def of(cls, task: Task, at: float) -> Observation:
        """What the state records of a task as read at `at`."""
        error = f"{task.error.code}: {task.error.message}" if task.error else None
        tokens = task.usage.completion_tokens if task.usage else None
        ended = task.updated_at.timestamp() if task.updated_at and task.status.is_terminal else None
        return cls(task.id, task.status, at, tokens, error, ended)


@dataclass(frozen=True)
class LedgerLine:
    """The creates of one group in one currency (None: unpriced), summed."""

    key: str | None
    currency: str | None
    creates: int
    estimated_tokens: int | None
    tokens: int | None  # the usage the API reported
    estimated: float | None  # estimated_tokens × price
    billed: float | None  # tokens × price
    unpriced: int  # creates without a price
    unfinished: int  # creates not seen finished yet


# What the ledger may be grouped by (each store says how in its own SQL).
LEDGER_GROUPS = ("day", "model", "profile", "storyboard", "batch", "machine", "user")


@dataclass(frozen=True)
class Who:
    """Who sends the creates of this process: the machine's host name and the login name."""

    machine: str
    login: str

    @classmethod
    def here(cls, environ: Mapping[str, str] | None = None) -> Who:
        """This process's: the machine's name is SEEDANCE_MACHINE when set (a CI runner's
        name), else the host name."""
        try:
            login = getpass.getuser()
        except (KeyError, OSError):  # no name for this uid (a container's bare user)
            login = str(os.getuid())
        machine = (os.environ if environ is None else environ).get("SEEDANCE_MACHINE", "")
        machine = machine.strip()
        return cls(machine or socket.gethostname() or "unknown", login)
