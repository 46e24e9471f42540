"""The asset library: media (a public URL, or a local file published by the profile's
`upload_cmd`) made into Active assets referenced as `asset://ID`, each medium only once.

    service = AssetService.for_runtime(profile, provider, clock=..., environ=..., data_dir=...)
    asset = service.upload("https://example.com/product.png")   # waits until Active
    asset.ref                                                     # "asset://asset-…"
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import unquote, urlsplit

from seedance.domain import media
from seedance.domain.clock import Clock
from seedance.domain.errors import (
    AuthError,
    OutcomeUnknownError,
    Reason,
    Suggestion,
    TaskFailedError,
    UnsupportedError,
    UsageError,
    WaitTimeoutError,
)
from seedance.domain.models import Asset, AssetGroup, AssetStatus, MediaKind, Page, asset_id
from seedance.domain.redact import redact_url
from seedance.services.assets.cache import AssetCache, file_sha256
from seedance.services.locks import FileLock, Locks
from seedance.services.media.publish import publish

if TYPE_CHECKING:
    from seedance.domain.profiles import Profile, ProfileStore
    from seedance.providers.assets import AssetLibrary
    from seedance.providers.base import Provider
    from seedance.services.media.storage import Storage

DEFAULT_GROUP = "seedance"
# docs/sources/phanedge.txt §9.3: poll GetAsset after 2, 5, 10, 20 s (then 20 s)
BACKOFF = (2.0, 5.0, 10.0, 20.0)
DEFAULT_TIMEOUT = 600.0  # seconds to wait for Active when no timeout is given
ASSET_TYPES = {MediaKind.IMAGE: "Image", MediaKind.VIDEO: "Video", MediaKind.AUDIO: "Audio"}

T = TypeVar("T")
StatusListener = Callable[["Asset", float], None]


def kind_for(source: str, kind: MediaKind | None) -> MediaKind:
    """The explicit kind, else the one the extension names."""
    found = kind or media.kind_of(urlsplit(source).path if "://" in source else source)
    if found is None:
        raise UsageError(
            f"cannot tell whether {source} is an image, a video or audio",
            reason="asset_kind_ambiguous",
            field="type",
            allowed=("image", "video", "audio"),
        )
    return found


# -- the service -----------------------------------------------------------------------------


class AssetService:
    """A profile's asset library: uploads, waits, lists; the resolver `create` uses."""

    def __init__(
        self,
        library: AssetLibrary,
        profile: Profile,
        *,
        clock: Clock,
        cache: AssetCache,
        environ: Mapping[str, str],
        store: ProfileStore | None = None,
        notify: Callable[[str], None] | None = None,
        prepare: Callable[[], None] | None = None,
        storage: Storage | None = None,
    ) -> None:
        self.library = library
        self.profile = profile
        self.clock = clock
        self.cache = cache
        self.environ = environ
        self.store = store
        self.notify = notify or (lambda _text: None)
        self._prepare = prepare or (lambda: None)  # installs credentials before a request
        self.storage = storage  # the bucket local files are published to (else upload_cmd)
        self._published: dict[str, str] = {}  # asset id -> the object it was made from
        self._group: str | None = None
        self._lock = threading.RLock()
        self._locks = Locks(cache.path.parent).directory  # the data directory's locks

    @classmethod
    def for_runtime(
        cls,
        profile: Profile,
        provider: Provider,
        *,
        clock: Clock,
        environ: Mapping[str, str],
        data_dir: Path,
        store: ProfileStore | None = None,
        notify: Callable[[str], None] | None = None,
        storage: Storage | None = None,
    ) -> AssetService:
        """The asset library of a profile, over its provider's HTTP layer (a signed one gets
        its signer on first use); local files go through `storage` (the profile's bucket)
        when it has one."""
        from seedance.providers.assets import AssetLibrary, install_signer

        if not profile.assets_url:
            raise UnsupportedError(
                f"profile '{profile.name}' has no asset library",
                reason="no_asset_library",
            )
        http = provider.http
        signed = profile.assets_auth == "aksk"
        library = AssetLibrary(http, profile.assets_url, model=None if signed else profile.model)

        def prepare() -> None:
            if signed:
                install_signer(http, profile, environ, clock)

        return cls(
            library,
            profile,
            clock=clock,
            cache=AssetCache(data_dir, f"{profile.name} {profile.assets_url}"),
            environ=environ,
            store=store,
            notify=notify,
            prepare=prepare,
            storage=storage,
        )

    # -- the resolver protocol (core/references.py) ------------------------------------------

    def asset_for_url(self, url: str, kind: MediaKind) -> str:
        return self.upload(url, kind).ref

    def asset_for_file(self, path: Path, kind: MediaKind) -> str:
        return self.upload(path, kind).ref

    def cached(self, source: str | Path) -> str | None:
        """The Active asset made from this URL or file before; no request is made."""
        if isinstance(source, Path) or "://" not in source:
            path = Path(source)
            if not path.is_file():
                return None
            found = self.cache.get(self.cache.file_key(file_sha256(path)))
        else:
            found = self.cache.get(self.cache.url_key(source))
        return found.ref if found is not None and found.status is AssetStatus.ACTIVE else None

    def check_publishable(self, path: Path) -> None:
        """What would stop `asset_for_file` before any request (a dry run's check)."""
        from seedance.services.media.publish import check_publishable

        if self.storage is not None:
            self.storage.ready()
            return
        check_publishable(self.profile, path)

    # -- operations --------------------------------------------------------------------------

    def upload(
        self,
        source: str | Path,
        kind: MediaKind | None = None,
        *,
        group: str | None = None,
        name: str | None = None,
        wait: bool = True,
        timeout: float | None = None,
        on_status: StatusListener | None = None,
    ) -> Asset:
        """A URL, a local file or an asset:// id as an asset (Active unless `wait` is off)."""
        text = str(source)
        if isinstance(source, str) and text.lower().startswith("asset://"):
            found = asset_id(text)
            return self.wait_active(found, timeout, on_status) if wait else self.get(found)
        if isinstance(source, Path) or "://" not in text:
            path = Path(source)
            if not path.is_file():
                raise UsageError(f"{path} is not a file", reason="asset_source_unusable")
            kind = kind_for(path.name, kind)
            key = self.cache.file_key(file_sha256(path))
        else:
            path = None
            if urlsplit(text).scheme.lower() not in ("http", "https"):
                raise UsageError(
                    f"{redact_url(text)} is not an http:// or https:// URL",
                    reason="asset_source_not_public",
                )
            # http:// too: whether it can fetch a URL is the library's call (the simulator's
            # own result URLs are http://, on loopback)
            kind = kind_for(text, kind)
            key = self.cache.url_key(text)
        for attempt in range(2):  # again once when the asset it became earlier failed
            with self._making(key):  # one asset per medium, whichever thread or process asks
                asset = self.cache.get(key)
                made = asset is None
                if asset is None:
                    asset = self._make(key, path or text, kind, group, name)
            if asset.status is AssetStatus.ACTIVE or not wait:
                if not made:
                    self.notify(f"already in the asset library: {asset.ref}")
                return asset
            try:
                return self.wait_active(asset.id, timeout, on_status)
            except TaskFailedError:
                if made or attempt:
                    raise
                # dropped from the cache: the medium is made an asset again
        raise AssertionError("unreachable")

    def _make(
        self, key: str, source: str | Path, kind: MediaKind, group: str | None, name: str | None
    ) -> Asset:
        """Make a medium an asset (a file is published first) and cache it, Processing: the
        caller holds the medium's lock."""
        keys = [key]
        published = None
        if isinstance(source, Path) and self.storage is not None:
            # a presigned URL (a secret, new each time): the file's SHA-256 is its only key
            published = self.storage.publish(source)
            url, name = published.url, name or source.name
        elif isinstance(source, Path):
            url = publish(
                self.profile, source, self.environ, self.notify
            )  # its URL may have served other bytes before: not looked up
            name = name or source.name
            keys.append(self.cache.url_key(url))
        else:
            url = source
            name = name or _url_name(url)
        group_id = self.group_id(group)
        self.notify(f"adding {redact_url(url)} to the asset library")
        with self._explained("CreateAsset"):
            created = self.library.create_asset(group_id, url, ASSET_TYPES[kind], name)
        asset = Asset(
            id=created,
            group_id=group_id,
            type=ASSET_TYPES[kind],
            name=name,
            status=AssetStatus.PROCESSING,
        )
        if published is not None:
            self._published[created] = published.location
        self.cache.put(keys, asset)
        return asset

    def _making(self, key: str) -> FileLock:
        """The lock on making one medium (by its cache key) an asset: an OS lock, so threads
        and processes sharing the data directory wait for each other."""
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return FileLock(self._locks / f"asset-{digest}.lock", "an upload to the asset library")

    def wait_active(
        self, asset: str, timeout: float | None = None, on_status: StatusListener | None = None
    ) -> Asset:
        """Poll GetAsset (after 2, 5, 10, 20, 20… s) until Active; Failed and timeouts raise."""
        limit = DEFAULT_TIMEOUT if timeout is None else timeout
        started = self.clock.monotonic()
        polls = 0
        while True:
            current = self.get(asset)
            elapsed = self.clock.monotonic() - started
            if on_status is not None:
                on_status(current, elapsed)
            elif polls == 0 and current.status is not AssetStatus.ACTIVE:
                self.notify(f"waiting for {current.ref} to become Active")
            if current.status is AssetStatus.ACTIVE:
                self.cache.put(self.cache.keys_of(current.id), current)
                made_from = self._published.pop(current.id, None)
                if made_from is not None and self.storage is not None:
                    self.storage.release([made_from])  # the library has its own copy now
                return current
            if current.status is AssetStatus.FAILED:
                self.cache.drop(current.id)
                reason = current.error or "no reason given"
                raise TaskFailedError(
                    f"asset {current.ref} failed: {reason}",
                    code="asset_failed",
                    reason="asset_upload_failed",
                )
            left = limit - elapsed
            if left <= 0:
                raise WaitTimeoutError(
                    f"asset {current.ref} is still {current.status.value} after {elapsed:.0f}s",
                    reason="asset_not_active",
                    suggestion=Suggestion.of("assets.get", current.id),
                )
            self.clock.sleep(min(BACKOFF[min(polls, len(BACKOFF) - 1)], left))
            polls += 1

    def get(self, asset: str) -> Asset:
        with self._explained("GetAsset"):
            return self.library.get_asset(asset_id(asset))

    def list(
        self,
        *,
        group: str | None = None,
        status: str | None = None,
        name: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[Asset]:
        with self._explained("ListAssets"):
            return self.library.list_assets(
                group_ids=[group] if group else None,
                statuses=[status] if status else None,
                name=name,
                page=page,
                page_size=page_size,
            )

    def groups(self, *, page: int = 1, page_size: int = 20) -> Page[AssetGroup]:
        with self._explained("ListAssetGroups"):
            return self.library.list_groups(page=page, page_size=page_size)

    def get_group(self, group: str) -> AssetGroup:
        with self._explained("GetAssetGroup"):
            return self.library.get_group(group)

    def create_group(self, name: str, description: str | None = None) -> str:
        with self._explained("CreateAssetGroup"):
            return self.library.create_group(name, description)

    def group_id(self, explicit: str | None = None) -> str:
        """The group to upload into: explicit, the profile's, or a new "seedance" group."""
        if explicit:
            return explicit
        with self._lock:
            if self._group is None:
                self._group = self.profile.asset_group or self._new_group()
            return self._group

    def _new_group(self) -> str:
        created = self.create_group(DEFAULT_GROUP, "Media uploaded by seedance")
        self.notify(f"created asset group {created} ('{DEFAULT_GROUP}')")
        if self.store is not None:
            self.store.remember(self.profile.name, "asset_group", created)
        return created

    @contextmanager
    def _explained(self, action: str) -> Iterator[None]:
        """Credentials installed first; auth failures and lost creates explained."""
        self._prepare()
        try:
            yield
        except AuthError as exc:
            if exc.code != "InvalidAction":
                exc.because(self._credentials())
            raise
        except OutcomeUnknownError as exc:
            if action.startswith("Create"):
                exc.because("check_library_first")
                exc.suggestions = (Suggestion.of("assets.list"),)
            raise

    def _credentials(self) -> Reason:
        name = self.profile.name
        if self.profile.assets_auth == "aksk":
            ak = self.profile.access_key_env or "VOLC_ACCESSKEY"
            sk = self.profile.secret_key_env or "VOLC_SECRETKEY"
            return Reason.of("asset_keys_used", profile=name, ak=ak, sk=sk)
        return Reason.of(
            "asset_key_used", profile=name, source=self.profile.key_source(self.environ)
        )


def _url_name(url: str) -> str | None:
    name = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    return name[:100] or None
