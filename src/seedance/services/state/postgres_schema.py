"""The shared state's tables on PostgreSQL, derived from `Entry`'s declared columns, and their
versions.

Two tables: `seedance_creates` (a column per field of `Entry`, translated by
`postgres_declaration`) and `seedance_meta` (the schema version). An empty database is set up
by the first process that connects; after that only `migrate` changes the schema (`journal
migrate`), and every other process refuses a schema of another version (`verify`). Both run
in one transaction under a transaction-level advisory lock, so two processes never set up or
migrate at once, and a failure leaves nothing half made (PostgreSQL's DDL is transactional).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seedance.domain.errors import ConfigError, Reason, Suggestion
from seedance.services.state.entries import (
    COLUMNS,
    DECLARATIONS,
    SCHEMA_VERSION,
    postgres_declaration,
)

if TYPE_CHECKING:
    import psycopg

TABLE = "seedance_creates"
META = "seedance_meta"
OPEN = "finished_at IS NULL AND state <> 'rejected'"
# The indexes of the reads (as the SQLite store's, state/sqlite.py): each read walks only
# the rows it returns, however large the shared state grows.
INDEXES = (
    f"CREATE INDEX IF NOT EXISTS {TABLE}_task ON {TABLE} (task_id)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_request ON {TABLE} (request_hash, profile)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_profile ON {TABLE} (profile)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_status ON {TABLE} (status)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_model ON {TABLE} (model)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_kind ON {TABLE} "
    "(base_url, model, resolution, duration, status)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_unsaved ON {TABLE} (status, downloaded_at) "
    "WHERE status = 'succeeded' AND downloaded_at IS NULL AND task_id IS NOT NULL",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_open_nonce ON {TABLE} (created_at) "
    "WHERE nonce IS NOT NULL AND task_id IS NULL",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_open ON {TABLE} (account, created_at) WHERE {OPEN}",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_ledger ON {TABLE} (account, currency, created_at)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_time ON {TABLE} (created_at)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_label ON {TABLE} (profile, label) WHERE label IS NOT NULL",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_unit ON {TABLE} (profile, label, unit) "
    "WHERE unit IS NOT NULL",
)
# what a role needs on each table to use the state (not to migrate it: that is its owner's)
PRIVILEGES = {TABLE: ("SELECT", "INSERT", "UPDATE"), META: ("SELECT",)}


def quoted(name: str) -> str:
    """A column's name as PostgreSQL reads it whatever it is (`row` is a keyword there)."""
    return f'"{name}"'


def create_table() -> str:
    columns = ",\n    ".join(
        f"{quoted(name)} {postgres_declaration(sql)}" for name, sql in DECLARATIONS.items()
    )
    return f"CREATE TABLE IF NOT EXISTS {TABLE} (\n    {columns}\n)"


def add_column(name: str) -> str:
    """An older table's missing column (never NOT NULL: its old rows have no value)."""
    declaration = postgres_declaration(DECLARATIONS[name]).replace(" NOT NULL", "")
    return f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS {quoted(name)} {declaration}"


@dataclass(frozen=True)
class Found:
    """What a database holds of the state, read in one round trip."""

    tables: bool  # both tables exist
    version: int | None
    columns: tuple[str, ...]
    read_only: bool
    role: str
    missing: tuple[str, ...]  # "INSERT on seedance_creates", ...
    namespace: str = ""  # the schema the tables are (or would be) in

    @property
    def empty(self) -> bool:
        return not self.tables

    @property
    def missing_columns(self) -> list[str]:
        return [name for name in COLUMNS if name not in self.columns]

    @property
    def current(self) -> bool:
        return self.version == SCHEMA_VERSION and not self.missing_columns


def look(cur: psycopg.Cursor[Any]) -> Found:
    """The schema, its version, the columns, the role's privileges and whether the server
    takes writes; one round trip."""
    cur.execute(
        f"SELECT to_regclass('{TABLE}') IS NOT NULL AND to_regclass('{META}') IS NOT NULL, "
        "current_setting('transaction_read_only'), current_user, "
        f"COALESCE((SELECT relnamespace::regnamespace::text FROM pg_class "
        f"WHERE oid = to_regclass('{TABLE}')), current_schema(), '')"
    )
    row = cur.fetchone()
    assert row is not None
    tables, read_only, role = bool(row[0]), row[1] == "on", str(row[2])
    namespace = str(row[3])
    if not tables:
        return Found(False, None, (), read_only, role, (), namespace)
    checks = [(table, what) for table, whats in PRIVILEGES.items() for what in whats]
    privileges = ", ".join(f"has_table_privilege('{t}', '{w}')" for t, w in checks)
    cur.execute(
        f"SELECT (SELECT value FROM {META} WHERE key = 'schema_version'), "
        "array(SELECT attname::text FROM pg_attribute WHERE "
        f"attrelid = '{TABLE}'::regclass AND attnum > 0 AND NOT attisdropped), {privileges}"
    )
    row = cur.fetchone()
    assert row is not None
    held = row[2:]
    missing = tuple(f"{w} on {t}" for (t, w), ok in zip(checks, held, strict=True) if not ok)
    version = int(row[0]) if row[0] is not None and str(row[0]).isdigit() else None
    return Found(True, version, tuple(row[1]), read_only, role, missing, namespace)


def set_up(cur: psycopg.Cursor[Any]) -> None:
    """The tables, their indexes and the version, in the caller's transaction; an older
    table gets the columns it lacks (rows are never dropped)."""
    cur.execute(f"CREATE TABLE IF NOT EXISTS {META} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    cur.execute(create_table())
    for name in COLUMNS[1:]:  # all but the row, which every table has
        cur.execute(add_column(name))
    for index in INDEXES:
        cur.execute(index)
    cur.execute(
        f"INSERT INTO {META} (key, value) VALUES ('schema_version', %s) "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        (str(SCHEMA_VERSION),),
    )


def refusal(found: Found, where: str) -> ConfigError | None:
    """Why this process may not use the state as it is, or None."""
    if found.read_only:
        return read_only(where)
    if found.version is not None and found.version > SCHEMA_VERSION:
        return ConfigError(
            f"the shared state at {where} has schema version {found.version}, newer than "
            f"this seedance's ({SCHEMA_VERSION}); nothing was sent",
            code="state_schema_newer",
            field="state_url",
            reason="state_schema_newer",
        )
    if not found.current:
        return ConfigError(
            f"the shared state at {where} has schema version {found.version or 'unknown'}, "
            f"older than this seedance's ({SCHEMA_VERSION}); nothing was sent",
            code="state_schema_older",
            field="state_url",
            reason="state_schema_older",
            suggestion=Suggestion.of("journal.migrate"),
        )
    if found.missing:
        return missing_privileges(where, found.role, list(found.missing))
    return None


def read_only(where: str) -> ConfigError:
    return ConfigError(
        f"the shared state at {where} is read-only (a standby, or "
        "default_transaction_read_only is on); nothing was sent",
        code="state_read_only",
        field="state_url",
        reason="state_read_only",
    )


def missing_privileges(where: str, role: str, missing: list[str]) -> ConfigError:
    grants = "; ".join(
        f"GRANT {', '.join(whats)} ON {table} TO {role}" for table, whats in PRIVILEGES.items()
    )
    return ConfigError(
        f"the role {role} may not use the shared state at {where} (it lacks "
        f"{', '.join(missing)}); nothing was sent",
        code="state_privileges",
        field="state_url",
        reason=Reason.of("state_grant", grants=grants),
    )


def no_create(where: str, role: str, namespace: str) -> ConfigError:
    return ConfigError(
        f"the role {role} may not create the shared state's tables at {where}; nothing was sent",
        code="state_privileges",
        field="state_url",
        reason=Reason.of("state_grant_create", schema=namespace or "public", role=role),
        suggestion=Suggestion.of("journal.migrate"),
    )
