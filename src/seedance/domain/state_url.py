"""Where the state lives: unset, the local journal; a `postgresql://` URL, a shared database.

`SEEDANCE_STATE_URL` (the environment) wins over `state_url` at the top of profiles.toml; set
but empty, it means the local journal even when profiles.toml names a database. Credentials
are libpq's: in the URL, or `PGPASSWORD`, `~/.pgpass`, `PGSSLMODE` and the other `PG*`
variables. A URL is never shown with its password (`shown`); `secrets` lists the values a
redaction of messages by value must hide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from seedance.domain.errors import ConfigError

if TYPE_CHECKING:
    from seedance.domain.profiles import ProfileStore

STATE_URL_ENV = "SEEDANCE_STATE_URL"
SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class StateUrl:
    """A shared state's address, as the user gave it (credentials included: connect only)."""

    url: str
    source: str  # where it was given, in words ("SEEDANCE_STATE_URL", "profiles.toml")

    @classmethod
    def parse(cls, text: str, source: str) -> StateUrl:
        """Refuses (ConfigError) anything but a `postgresql://` URL."""
        url = text.strip()
        scheme = url.partition("://")[0].lower() if "://" in url else ""
        if scheme not in SCHEMES:
            shown = _shown(url) if scheme else "a value that is not a URL"
            raise ConfigError(
                f"the state URL in {source} must be a postgresql:// URL, not {shown}",
                field="state_url",
                reason="state_url_form",
            )
        return cls(url, source)

    @property
    def shown(self) -> str:
        """The URL fit for a message: scheme, host, port and database, no user or password."""
        return _shown(self.url)

    @property
    def password(self) -> str | None:
        """The password the URL itself carries (in its user info or its query), if any."""
        parts = urlsplit(self.url)
        if parts.password:
            return parts.password
        given = parse_qs(parts.query).get("password")
        return given[0] if given else None

    def secrets(self, environ: Mapping[str, str]) -> list[str]:
        """Every value a message must never show: the URL's password, `PGPASSWORD`."""
        found = [self.password, environ.get("PGPASSWORD")]
        return [value for value in dict.fromkeys(found) if value]


def _shown(url: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    if not host:  # a unix socket, or libpq's default: postgresql:///db?host=/run/postgresql
        given = parse_qs(parts.query).get("host")
        return f"{parts.scheme}://{parts.path}" + (f"?host={given[0]}" if given else "")
    return f"{parts.scheme}://{host}{parts.path}"


def configured(environ: Mapping[str, str], store: ProfileStore | None) -> StateUrl | None:
    """The state URL in force, or None (the local journal)."""
    given = environ.get(STATE_URL_ENV)
    if given is not None:
        return StateUrl.parse(given, STATE_URL_ENV) if given.strip() else None
    if store is None:
        return None
    value = store.state_url()
    return StateUrl.parse(value, str(store.path)) if value else None
