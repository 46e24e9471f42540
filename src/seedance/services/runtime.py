"""What every service of one client works with: the collaborators, wired once.

A `Runtime` is the profile, its provider (with the one HTTP layer), the state (journal, ledger,
locks: services/state/), the clock, the environment, the data directory, where notices go,
the account's gate, and the profile's bucket (media/storage.py). The client's resources hand
it to the services they call; a service uses the parts it needs and never the client (gh's
options structs with injected collaborators are the model). Nothing here is an operation a
user calls: those are the resources' (services/client.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from seedance.domain.clock import Clock
from seedance.domain.errors import AuthError, Reason, Suggestion
from seedance.domain.profiles import Profile, ProfileStore
from seedance.providers.base import Capabilities, Provider
from seedance.services.account.gate import Gate, account_of
from seedance.services.state import Entry, State

if TYPE_CHECKING:
    from seedance.services.assets.library import AssetService
    from seedance.services.media.storage import Storage

Notify = Callable[[str], None]


def _quiet(_text: str) -> None:
    return None


@dataclass
class Runtime:
    """One client's collaborators. Shared by every thread of the client: the state, the
    provider's HTTP client and the gate are thread-safe."""

    profile: Profile
    provider: Provider
    state: State
    clock: Clock
    environ: Mapping[str, str]
    data_dir: Path
    store: ProfileStore | None = None
    notify: Notify = _quiet
    gate: Gate = field(init=False)
    _assets: AssetService | None = field(default=None, init=False, repr=False)
    _storage: Storage | None = field(default=None, init=False, repr=False)
    # one Storage per client, whatever its threads: its count of objects in use decides cleanup
    _storage_made: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _told: set[str] = field(default_factory=set, init=False, repr=False)
    # how long tasks like each one usually take, learned from the journal (videos/tasks.py)
    expected: dict[str, float | None] = field(default_factory=dict, init=False, repr=False)
    # reference videos by URL: their seconds, measured under a cap (media/remote_media.py)
    measured: dict[str, float | None] = field(default_factory=dict, init=False, repr=False)
    # each task's priced journal row, for the live cost (videos/tasks.py cost_of): read once,
    # since its estimate never changes, so a display's rounds need no state (nor its server)
    priced: dict[str, Entry] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.gate = Gate(
            self.profile,
            self.provider,
            self.state,
            self.clock,
            account=account_of(self.profile, self.provider),
            notify=self.notify,
            auth=self.explain_auth,
        )

    @property
    def capabilities(self) -> Capabilities:
        return self.provider.capabilities

    def tell(self, notes: Sequence[str]) -> None:
        """Pass each note to `notify`, once per client."""
        for note in notes:
            if note not in self._told:
                self._told.add(note)
                self.notify(note)

    def storage(self) -> Storage | None:
        """The profile's bucket (`storage`), where local media that must be URLs are
        published; None when the profile has none (made on first use)."""
        if not self.profile.storage:
            return None
        with self._storage_made:
            if self._storage is None:
                from seedance.domain.redact import register_secret
                from seedance.services.media.storage import Storage

                self._storage = Storage(
                    self.profile,
                    environ=self.environ,
                    clock=self.clock,
                    notify=self.notify,
                    on_secret=register_secret,  # its keys and presigned URLs: never shown
                )
            return self._storage

    def asset_resolver(self) -> AssetService | None:
        """The profile's asset library, when it has one (made on first use)."""
        if self._assets is None and self.profile.assets_url:
            from seedance.services.assets.library import AssetService

            self._assets = AssetService.for_runtime(
                self.profile,
                self.provider,
                clock=self.clock,
                environ=self.environ,
                data_dir=self.data_dir,
                store=self.store,
                notify=self.notify,
                storage=self.storage(),
            )
        return self._assets

    @contextmanager
    def explain_auth(self) -> Iterator[None]:
        """Auth failures say which profile and key source were used (never the key)."""
        try:
            yield
        except AuthError as exc:
            source = self.profile.key_source(self.environ)
            exc.because(Reason.of("key_used", profile=self.profile.name, source=source))
            exc.suggestions = (Suggestion.of("profiles.show", self.profile.name),)
            raise

    owns_state: bool = True  # closed with the client (not a state the caller shares)

    def close(self) -> None:
        self.provider.http.close()
        if self.owns_state:
            self.state.close()
