"""The asset cache: which media already became which asset, so nothing is uploaded twice."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seedance.domain.models import Asset
from seedance.domain.redact import is_presigned, redact_url

CACHE_FILE = "assets.json"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class AssetCache:
    """`assets.json` in the data directory: source (URL or file SHA-256) -> asset, per library.

    Entries are Active assets, or ones still Processing (so the medium is not sent again).
    """

    def __init__(self, data_dir: Path, scope: str) -> None:
        """`scope` separates libraries (and the accounts using them) sharing one data dir."""
        self.path = data_dir / CACHE_FILE
        self.scope = scope
        self._lock = threading.Lock()

    def url_key(self, url: str) -> str:
        return f"{self.scope} url {url}"

    def file_key(self, sha256: str) -> str:
        return f"{self.scope} sha256 {sha256}"

    def get(self, key: str) -> Asset | None:
        entry = self._read().get(key)
        try:
            return Asset.model_validate(entry) if isinstance(entry, dict) else None
        except ValueError:
            return None

    def put(self, keys: list[str], asset: Asset) -> None:
        """Map each key to the asset (its record, without the raw answer)."""
        if not keys:
            return
        record = asset.model_dump(mode="json", exclude={"raw"})
        if asset.url and is_presigned(asset.url):  # a secret: kept without its signature
            record["url"] = redact_url(asset.url)
        self._update(lambda entries: entries.update(dict.fromkeys(keys, record)))

    def drop(self, asset: str) -> None:
        """Forget every source that became this asset."""

        def forget(entries: dict[str, Any]) -> None:
            for key in self.keys_of(asset, entries):
                del entries[key]

        self._update(forget)

    def keys_of(self, asset: str, entries: dict[str, Any] | None = None) -> list[str]:
        """The cache keys that map to this asset id."""
        entries = self._read() if entries is None else entries
        return [k for k, v in entries.items() if isinstance(v, dict) and v.get("id") == asset]

    def _read(self) -> dict[str, Any]:
        try:
            doc = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        entries = doc.get("entries") if isinstance(doc, dict) else None
        return entries if isinstance(entries, dict) else {}

    def _update(self, change: Callable[[dict[str, Any]], object]) -> None:
        with self._lock:
            entries = self._read()
            change(entries)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".assets-", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump({"version": 1, "entries": entries}, fh, indent=1, sort_keys=True)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
