"""Local media published to the user's own S3-compatible bucket (profile key `storage`): the
media the API takes only as URLs (reference videos on Ark, every local file on the asset-only
gateways) become presigned GET URLs.

- An object is named by the file's SHA-256 (`prefix/<sha256>.mp4`), so a file is uploaded once:
  a file already there is not sent again, by this process or any later one.
- Its URL is signed for the task's lifetime (`execution_expires_after`, 48 h by default) plus a
  margin; temporary credentials that end sooner make a warning, as the URL dies with them.
- A presigned URL is a secret: requests carry it, but the journal, manifests, review pages and
  messages show `s3://bucket/key` instead (`Published.location`, prepare.redact_body).
- With `storage_cleanup`, an object is deleted once the video that used it is made; otherwise
  it is left to the bucket's lifecycle rules.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from seedance.domain.clock import Clock
from seedance.domain.profiles import storage_location
from seedance.providers.bucket import Bucket
from seedance.services.assets.cache import file_sha256

if TYPE_CHECKING:
    from seedance.domain.profiles import Profile

DEFAULT_LIFETIME = 172_800  # the API's default execution_expires_after (docs/sources/real-world.md)
MARGIN = 6 * 3600  # between signing and sending, and the identity nonce's few minutes
MOST = 7 * 86_400  # a SigV4 presigned URL lives at most 7 days
PLACEHOLDER = "<"  # how a dry run shows a URL not made yet (references.is_placeholder)


@dataclass(frozen=True)
class Published:
    url: str  # the presigned GET URL: a secret
    location: str  # s3://bucket/key: what it is, without the secret
    key: str
    uploaded: bool  # False: it was in the bucket already


class Storage:
    """One profile's bucket as the place local media are published to."""

    def __init__(
        self,
        profile: Profile,
        *,
        environ: Mapping[str, str],
        clock: Clock,
        notify: Callable[[str], None] | None = None,
        on_secret: Callable[[str], None] | None = None,
    ) -> None:
        assert profile.storage is not None
        self.bucket_name, self.prefix = storage_location(profile.storage)
        self.cleanup = profile.storage_cleanup
        self.bucket = Bucket(
            self.bucket_name,
            environ=environ,
            endpoint=profile.storage_endpoint,
            region=profile.storage_region,
        )
        self.clock = clock
        self.notify = notify or (lambda _text: None)
        # every secret as it becomes known (the secret key, each presigned URL): one call to
        # register them with a per-process redaction of secrets by value
        self.on_secret = on_secret or (lambda _secret: None)
        self._present: set[str] = set()  # keys known to be in the bucket
        self._in_use: Counter[str] = Counter()  # keys of requests not made yet (cleanup)
        self._lock = threading.RLock()
        self._ready = False
        self._warned = False

    def location(self, key: str) -> str:
        return f"s3://{self.bucket_name}/{key}"

    def key_for(self, path: Path, sha256: str | None = None) -> str:
        digest = sha256 or file_sha256(path)
        name = f"{digest}{path.suffix.lower()}"
        return f"{self.prefix}/{name}" if self.prefix else name

    def ready(self) -> None:
        """What a publish needs before any request: boto3 and credentials (once)."""
        with self._lock:
            if self._ready:
                return
            from seedance.domain.errors import ConfigError

            identity = self.bucket.identity()
            if identity is None:
                raise ConfigError(
                    f"no credentials for bucket {self.bucket_name} (storage)",
                    reason="storage_credentials_missing",
                    field="storage",
                )
            for secret in self.bucket.secrets():
                self.on_secret(secret)
            self._ready = True

    def planned(self, path: Path) -> str:
        """What a dry run shows for `path`: where it would be published (nothing sent)."""
        self.ready()
        return f"{PLACEHOLDER}{self.location(self.key_for(path))}, presigned when sent>"

    def publish(self, path: Path, *, lifetime: int | None = None) -> Published:
        """`path` in the bucket (uploaded unless it is there already) and a GET URL for it
        valid for `lifetime` seconds (the task's) plus the margin."""
        self.ready()
        key = self.key_for(path)
        uploaded = False
        with self._lock:
            known = key in self._present
        if not known:
            size = path.stat().st_size
            if self.bucket.size_of(key) != size:
                self.notify(f"uploading {path.name} ({size:,} bytes) to {self.location(key)}")
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                self.bucket.upload(str(path), key, kind)
                uploaded = True
            else:
                self.notify(f"{path.name} is in {self.location(key)} already: not uploaded again")
            with self._lock:
                self._present.add(key)
        seconds = min(MOST, (lifetime or DEFAULT_LIFETIME) + MARGIN)
        self._check_expiry(seconds)
        url = self.bucket.presign(key, seconds)
        self.on_secret(url)
        with self._lock:
            self._in_use[key] += 1
        return Published(url, self.location(key), key, uploaded)

    def release(self, locations: list[str]) -> None:
        """The requests that used these objects are done: with `storage_cleanup`, an object
        no other request of this process still waits for is deleted."""
        keys = [loc.removeprefix(f"s3://{self.bucket_name}/") for loc in locations]
        for key in keys:
            with self._lock:
                if self._in_use[key] > 0:
                    self._in_use[key] -= 1
                if not self.cleanup or self._in_use[key] > 0:
                    continue
                self._present.discard(key)
            self.bucket.delete(key)
            self.notify(f"deleted {self.location(key)} (storage_cleanup)")

    def _check_expiry(self, seconds: int) -> None:
        """Warn (once) when the credentials end before a URL signed now would."""
        if self._warned:
            return
        identity = self.bucket.identity()
        if identity is None or identity.expires_at is None:
            return
        now = dt.datetime.fromtimestamp(self.clock.time(), dt.UTC)
        needed = now + dt.timedelta(seconds=seconds)
        if identity.expires_at < needed:
            self._warned = True
            left = max(0.0, (identity.expires_at - now).total_seconds()) / 3600
            self.notify(
                f"warning: the bucket's credentials expire in {left:.1f} h "
                f"({identity.expires_at:%Y-%m-%d %H:%M} UTC), before the task's lifetime "
                f"({seconds / 3600:.0f} h): a presigned URL stops working with them, so a task "
                "that starts later cannot fetch its media; use longer-lived credentials"
            )
