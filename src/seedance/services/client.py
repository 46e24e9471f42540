"""The seedance client: one profile's resources.

    from seedance import Client

    with Client.from_profile("demo") as client:
        made = client.videos.generate(prompt="a paper boat at dawn", output="boat.mp4")
        print(made.task.id, made.download.path, made.download.sha256)

A client is safe to share between threads: its state, its HTTP connections and the account's
gate are, and every call keeps its own options (`max_cost`, `timeout`, ...). Close it (or use
it as a context manager) to let its connections go.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

import httpx

from seedance.domain.catalogue import use_overlay
from seedance.domain.clock import Clock, default_clock
from seedance.domain.paths import default_config_dir, default_data_dir
from seedance.domain.profiles import Profile, ProfileStore
from seedance.providers.registry import connect
from seedance.services.account.resource import Account
from seedance.services.assets.resource import Assets
from seedance.services.batches.resource import Batches
from seedance.services.options import CallOptions
from seedance.services.profile_lookup import select_profile
from seedance.services.runtime import Runtime
from seedance.services.state import State, state_for
from seedance.services.storyboards.resource import Storyboards
from seedance.services.videos.resource import Videos

Notify = Callable[[str], None]


def _quiet(_text: str) -> None:
    return None


class Client:
    """One profile's provider, state and clock, as resources: `videos`, `assets`,
    `storyboards`, `batches` and `account`."""

    def __init__(self, runtime: Runtime, options: CallOptions | None = None) -> None:
        """A client over wired collaborators; `from_profile` and `for_profile` make them."""
        self._runtime = runtime
        self._options = options or CallOptions()
        self.videos = Videos(runtime, self._options)
        self.assets = Assets(runtime)
        self.storyboards = Storyboards(runtime, self._options)
        self.batches = Batches(runtime, self._options)
        self.account = Account(runtime)

    @property
    def profile(self) -> Profile:
        """The profile this client works for."""
        return self._runtime.profile

    @classmethod
    def from_profile(
        cls,
        name: str | None = None,
        *,
        config_dir: Path | None = None,
        data_dir: Path | None = None,
        environ: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        notify: Notify | None = None,
    ) -> Client:
        """A client for a named profile, with the same lookup rules as the command line: the
        name, else `$SEEDANCE_PROFILE`, else the default profile (a preset's name works too,
        and `sim-<preset>` is the profile of a `seedance sim` running now)."""
        environ = os.environ if environ is None else environ
        store = ProfileStore(config_dir or default_config_dir(environ))
        data_dir = data_dir or default_data_dir(environ)
        return cls.for_profile(
            select_profile(store, name, environ, data_dir),
            environ=environ,
            data_dir=data_dir,
            clock=clock,
            transport=transport,
            store=store,
            notify=notify,
        )

    @classmethod
    def for_profile(
        cls,
        profile: Profile,
        *,
        environ: Mapping[str, str] | None = None,
        data_dir: Path | None = None,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        store: ProfileStore | None = None,
        notify: Notify | None = None,
        warn: Notify | None = None,
        log: Notify | None = None,
        offline: bool = False,
        state: State | None = None,
    ) -> Client:
        """The one wiring of a profile into a client: its provider (with the HTTP layer's
        credentials, retries and rate limit), the state (journal, ledger, locks) and the
        clock. `notify` hears the client's notices, `warn` its warnings, `log` each HTTP
        exchange.

        `offline` (a dry run) works without an API key: nothing will be sent. The `demo`
        profile gets the in-process simulator as its transport. `state` shares one the
        caller opened (and closes); by default the client opens the configured one
        (`SEEDANCE_STATE_URL`, `state_url` in profiles.toml, else the data directory's
        journal) and closes it with itself.
        """
        environ = os.environ if environ is None else environ
        data_dir = data_dir or default_data_dir(environ)
        clock = clock or default_clock(environ)
        # the user's catalogue overlay (domain/catalogue_overlay.py), beside the profiles
        use_overlay(store.path.parent if store is not None else default_config_dir(environ))
        if profile.simulator == "inprocess" and transport is None:
            from seedance.sim.transport import demo_transport

            transport = demo_transport(data_dir, clock)
        provider = connect(
            profile, environ=environ, clock=clock, transport=transport, log=log, offline=offline
        )
        owns_state = state is None
        if state is None:
            config = store or ProfileStore(default_config_dir(environ))
            state = state_for(data_dir, environ, config, clock=clock, warn=warn)
        runtime = Runtime(
            profile,
            provider,
            state,
            clock,
            environ,
            data_dir,
            store,
            notify=notify or _quiet,
        )
        runtime.owns_state = owns_state
        return cls(runtime)

    def with_options(
        self,
        *,
        max_cost: float | None = None,
        timeout: float | None = None,
        strict: bool | None = None,
        validate: bool | None = None,
        allow_unpriced: bool | None = None,
    ) -> Client:
        """A copy of this client whose calls take these defaults (each call may still give its
        own). The copy shares the connections and the state; `max_cost` caps each call or
        run on its own, never their sum."""
        options = self._options.given(
            max_cost=max_cost,
            timeout=timeout,
            strict=strict,
            validate=validate,
            allow_unpriced=allow_unpriced,
        )
        return Client(self._runtime, replace(options))

    def close(self) -> None:
        """Let the client's connections and the state go."""
        self._runtime.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
