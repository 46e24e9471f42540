"""What every tool call works with: the server's settings, the call's progress and stop, a
client of its own, and the one place where its errors become error replies.

Each tool (videos.py, storyboards.py, lookups.py) is a thin call into `seedance.Client`, run
in a worker thread. Every call gets its own client (its own spending allowance: a call is a
run) and returns a `Reply`, never an exception. Waits are bounded by the call's timeout
(tools.DEFAULT_WAIT), so a call returns before the host gives up on it; what still runs keeps
running on the server, and the journal lets the next call go on from there.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedance.domain.clock import Clock
from seedance.domain.errors import SeedanceError, UsageError, unexpected
from seedance.domain.paths import default_config_dir, default_data_dir
from seedance.domain.profiles import Profile, ProfileStore
from seedance.mcp import policy
from seedance.mcp.replies import Reply, error_reply
from seedance.mcp.tools import DEFAULT_WAIT
from seedance.services.client import Client
from seedance.services.media.references import Confinement
from seedance.services.videos.polling import Stopped

log = logging.getLogger("seedance.mcp")

# What each path parameter is, in words.
WHAT = {
    "output": "the output",
    "last_frame_output": "the last frame",
    "last_frame": "the last frame",
    "storyboard": "the storyboard",
}


@dataclass(frozen=True)
class Settings:
    """The server's: its profile, environment, folders and clock."""

    profile: str | None  # as given (-p, SEEDANCE_PROFILE); None: the default profile
    environ: Mapping[str, str]
    cwd: Path
    output_dir: Path  # where videos go when a call names no output
    clock: Clock


@dataclass(eq=False)
class Call:
    """One tool call's plumbing: progress to report, and a stop (the call was cancelled, or
    the server is going away)."""

    progress: Callable[[str], None] = lambda _text: None
    stop: threading.Event = field(default_factory=threading.Event)
    cancelled: bool = False  # the client cancelled it (or went away): `stop` is set too
    notes: list[str] = field(default_factory=list)  # the library's notices, said once
    default_cap: policy.DefaultCap | None = None  # the cap applied, when the server's own

    def cancel(self) -> None:
        self.cancelled = True
        self.stop.set()


class Calls:
    """The tools' work, one method per tool."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = ProfileStore(default_config_dir(settings.environ))

    @property
    def data_dir(self) -> Path:
        return default_data_dir(self.settings.environ)

    def profile(self) -> Profile:
        return self.store.select(self.settings.profile, self.settings.environ)

    def run(self, tool: str, call: Call, arguments: dict[str, Any]) -> Reply:
        """The tool's reply; every failure an error reply (with its facts)."""
        from seedance.mcp.handlers import HANDLERS

        try:
            reply = HANDLERS[tool](self, call, arguments)
        except SeedanceError as exc:
            note = None
            if call.default_cap is not None and exc.field == "max_cost":
                note = f"a call without max_cost may spend {call.default_cap.describe()}"
            reply = error_reply(exc, tool, arguments, note)
        except Stopped:
            reply = Reply(
                {"error": {"code": "interrupted", "message": "the call was stopped"}},
                "stopped; whatever runs on the server keeps running",
                error=True,
            )
        except Exception as exc:  # a file the system refused, or a bug (domain/errors.py)
            if not isinstance(exc, OSError):
                log.exception("%s failed", tool)
            reply = error_reply(unexpected(exc), tool, arguments)
        if call.notes:
            reply.document.setdefault("notes", list(dict.fromkeys(call.notes)))
        return reply.safe()

    @contextmanager
    def client(
        self, call: Call, *, offline: bool = False, clock: Clock | None = None
    ) -> Iterator[Client]:
        client = Client.for_profile(
            self.profile(),
            environ=self.settings.environ,
            data_dir=self.data_dir,
            clock=clock or self.settings.clock,
            store=self.store,
            notify=call.notes.append,
            warn=call.notes.append,
            offline=offline,
        )
        try:
            yield client
        finally:
            client.close()

    def path(self, given: str, field: str = "output") -> Path:
        """A path the agent gave (to read or to write): relative to the server's output
        folder, and inside it once every link is followed and every `..` resolved
        (OutsideError otherwise)."""
        path = Path(given).expanduser()
        if not path.is_absolute():
            path = self.settings.output_dir / path
        self.confinement().check(path, given, what=WHAT.get(field, field), field=field)
        return path

    def confinement(self, folder: Path | None = None, name: str | None = None) -> Confinement:
        """Where an agent's files are: the server's output folder (or a folder in it)."""
        return Confinement(
            folder or self.settings.output_dir,
            name or "the server's output folder",
            can_allow=False,
            reason="agent_files_confined",
        )

    def output_dir(self) -> Path:
        self.settings.output_dir.mkdir(parents=True, exist_ok=True)
        return self.settings.output_dir


def budget(timeout: float | None) -> float:
    """The seconds a call may wait: its timeout, by default DEFAULT_WAIT."""
    if timeout is None:
        return DEFAULT_WAIT
    if not 0 < timeout < math.inf:
        raise UsageError("the timeout must be a positive number of seconds", field="timeout")
    return float(timeout)


def capped(client: Client, call: Call, args: dict[str, Any]) -> Client:
    """The client with the call's spending cap (policy.py) on its creates."""
    cap, default = policy.cap_for(client.profile, args.get("max_cost"))
    if default:
        call.default_cap = policy.default_cap(client.profile)
    return client.with_options(max_cost=cap, allow_unpriced=bool(args.get("allow_unpriced")))
