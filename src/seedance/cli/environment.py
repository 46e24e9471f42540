"""Everything a command touches of the outside world, in one object tests can swap.

Streams default to whatever `sys.stdout`/`sys.stderr` are when used (so Typer's CliRunner
captures them); the clock, the environment variables and the HTTP transport can be replaced.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from seedance.domain.clock import Clock, default_clock
from seedance.domain.paths import default_config_dir, default_data_dir

if TYPE_CHECKING:
    import httpx

    from seedance.cli.output import Output
    from seedance.domain.profiles import Profile, ProfileStore
    from seedance.services.client import Client
    from seedance.services.state import State


@dataclass
class Environment:
    """The world as a command sees it, plus the global options."""

    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    clock: Clock = field(default_factory=lambda: default_clock(os.environ))
    transport: httpx.BaseTransport | None = None
    stdout_stream: TextIO | None = None
    stderr_stream: TextIO | None = None
    stdin_stream: TextIO | None = None
    stdin_tty: bool | None = None
    stdout_tty: bool | None = None
    stderr_tty: bool | None = None
    cwd: Path | None = None
    # global options
    profile: str | None = None
    json: bool = False
    quiet: bool = False
    verbose: bool = False
    no_color: bool = False

    def __post_init__(self) -> None:
        self._store: ProfileStore | None = None
        self._clients: dict[str, Client] = {}
        self._output: Output | None = None
        self._state: State | None = None
        self.active_profile: str | None = None  # the profile of the last client made, for hints
        self.argv: list[str] | None = None  # the command's own words (to say "run it again")

    # -- streams -----------------------------------------------------------------------------

    @property
    def stdout(self) -> TextIO:
        return self.stdout_stream or sys.stdout

    @property
    def stderr(self) -> TextIO:
        return self.stderr_stream or sys.stderr

    @property
    def stdin(self) -> TextIO:
        return self.stdin_stream or sys.stdin

    def _isatty(self, stream: TextIO, forced: bool | None) -> bool:
        if forced is not None:
            return forced
        try:
            return stream.isatty()
        except (AttributeError, ValueError):
            return False

    @property
    def stdin_isatty(self) -> bool:
        return self._isatty(self.stdin, self.stdin_tty)

    @property
    def stdout_isatty(self) -> bool:
        return self._isatty(self.stdout, self.stdout_tty)

    @property
    def stderr_isatty(self) -> bool:
        return self._isatty(self.stderr, self.stderr_tty)

    @property
    def color(self) -> bool:
        """Colour on stderr: off with NO_COLOR or --no-color, forced with CLICOLOR_FORCE=1."""
        if self.no_color or "NO_COLOR" in self.environ:
            return False
        if self.environ.get("CLICOLOR_FORCE", "0") not in ("", "0"):
            return True
        return self.stderr_isatty and self.environ.get("TERM") != "dumb"

    @property
    def live(self) -> bool:
        """Live displays on a terminal that takes cursor movement (not TERM=dumb), with or
        without colour (NO_COLOR turns colour off, not the display); plain lines in logs."""
        return self.stderr_isatty and self.environ.get("TERM") != "dumb" and not self.quiet

    @property
    def debug(self) -> bool:
        return self.environ.get("SEEDANCE_DEBUG", "") not in ("", "0")

    @property
    def output(self) -> Output:
        if self._output is None:
            from seedance.cli.output import Output

            self._output = Output(self)
        return self._output

    # -- places ------------------------------------------------------------------------------

    @property
    def config_dir(self) -> Path:
        return default_config_dir(self.environ)

    @property
    def data_dir(self) -> Path:
        return default_data_dir(self.environ)

    def path(self, given: str | Path) -> Path:
        """A user-given path, relative to the command's working directory."""
        path = Path(given).expanduser()
        return path if path.is_absolute() or self.cwd is None else self.cwd / path

    # -- services ----------------------------------------------------------------------------

    @property
    def store(self) -> ProfileStore:
        if self._store is None:
            from seedance.domain.profiles import ProfileStore

            self._store = ProfileStore(self.config_dir, warn=self.output.warn)
        return self._store

    def selected_profile(self, name: str | None = None) -> Profile:
        """The profile asked for; a `sim-<preset>` name not in profiles.toml is the one of a
        simulator running now (`seedance sim`, same data directory)."""
        from seedance.services.profile_lookup import select_profile

        return select_profile(self.store, name or self.profile, self.environ, self.data_dir)

    def client(self, profile_name: str | None = None, *, offline: bool = False) -> Client:
        """A connected client for the selected (or named) profile, one per profile.

        `offline` (for --dry-run) works without an API key.
        """
        profile = self.selected_profile(profile_name)
        self.active_profile = profile.name
        if profile.name not in self._clients:
            from seedance.services.client import Client

            self._clients[profile.name] = Client.for_profile(
                profile,
                environ=self.environ,
                data_dir=self.data_dir,
                clock=self.clock,
                transport=self.transport,
                store=self.store,
                notify=self.output.info,
                warn=self.output.warn,
                log=self.output.debug_line if self.verbose else None,
                offline=offline,
                state=self.state(),
            )
        return self._clients[profile.name]

    def state(self) -> State:
        """The state every client of this command shares (one connection to a shared
        database): the configured one, opened on first use."""
        if self._state is None:
            from seedance.services.state import state_for

            self._state = state_for(
                self.data_dir, self.environ, self.store, clock=self.clock, warn=self.output.warn
            )
        return self._state

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        if self._state is not None:
            self._state.close()
            self._state = None
