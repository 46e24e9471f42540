"""The state: one interface (`State`, state/base.py), two stores: SQLite in the data directory
(state/sqlite.py, the default) and PostgreSQL shared by machines (state/postgres.py, with the
`postgres` extra, imported only when a state URL is set)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from seedance.services.state.base import Holder, Lock, State
from seedance.services.state.entries import (
    UNFINISHED,
    Entry,
    JournalState,
    LedgerLine,
    NoncePicker,
    Observation,
    Who,
)

if TYPE_CHECKING:
    from seedance.domain.clock import Clock
    from seedance.domain.profiles import ProfileStore
    from seedance.domain.state_url import StateUrl

__all__ = [
    "UNFINISHED",
    "Entry",
    "Holder",
    "JournalState",
    "LedgerLine",
    "Lock",
    "NoncePicker",
    "Observation",
    "State",
    "Who",
    "open_state",
    "state_for",
]


def open_state(
    data_dir: Path,
    url: StateUrl | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    warn: Callable[[str], None] | None = None,
    who: Who | None = None,
) -> State:
    """The state of `url` (a shared database), else the journal of `data_dir`. Nothing is
    opened yet: the first use connects (and a database that cannot be reached is an error
    then, never the local file instead)."""
    if url is None:
        from seedance.services.state.sqlite import SqliteState

        return SqliteState(data_dir, warn=warn, who=who)
    from seedance.domain.redact import register_secret
    from seedance.services.state.postgres import PostgresState

    for secret in url.secrets(environ or {}):  # hidden from every server text and output
        register_secret(secret)
    return PostgresState(url, environ=environ, clock=clock, who=who, data_dir=data_dir)


def state_for(
    data_dir: Path,
    environ: Mapping[str, str],
    store: ProfileStore | None,
    *,
    clock: Clock | None = None,
    warn: Callable[[str], None] | None = None,
) -> State:
    """The state configured for this environment and profile file (domain/state_url.py)."""
    from seedance.domain.state_url import configured

    return open_state(
        data_dir,
        configured(environ, store),
        environ=environ,
        clock=clock,
        warn=warn,
        who=Who.here(environ),
    )
