"""`client.assets`: the profile's asset library (media referenced as `asset://ID`).

asset = client.assets.upload("product.png")     # published, made Active, cached
asset.ref                                       # "asset://asset-..."
"""

from __future__ import annotations

from pathlib import Path

from seedance.domain.errors import Suggestion, UnsupportedError
from seedance.domain.models import Asset, AssetGroup, MediaKind, Page
from seedance.services.assets.library import AssetService, StatusListener
from seedance.services.runtime import Runtime


class Assets:
    """Upload, read and list the assets of the client's profile."""

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt

    def _library(self) -> AssetService:
        library = self._rt.asset_resolver()
        if library is None:
            profile = self._rt.profile
            raise UnsupportedError(
                f"profile '{profile.name}' has no asset library (no assets_url)",
                field="assets_url",
                suggestion=Suggestion.of("profiles.show", profile.name),
            )
        return library

    def upload(
        self,
        source: str | Path,
        *,
        kind: MediaKind | None = None,
        group: str | None = None,
        name: str | None = None,
        wait: bool = True,
        timeout: float | None = None,
        on_status: StatusListener | None = None,
    ) -> Asset:
        """A URL or a local file (published by the profile's `upload_cmd`) made an asset,
        once per medium (a second upload of the same bytes answers the first asset); waits
        until it is Active unless `wait` is False."""
        return self._library().upload(
            source,
            kind,
            group=group,
            name=name,
            wait=wait,
            timeout=timeout,
            on_status=on_status,
        )

    def get(self, asset_id: str) -> Asset:
        """One asset and its status."""
        return self._library().get(asset_id)

    def list(
        self,
        *,
        group: str | None = None,
        status: str | None = None,
        name: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[Asset]:
        """The library's assets (of a group, a status, a name)."""
        return self._library().list(
            group=group, status=status, name=name, page=page, page_size=page_size
        )

    def groups(self, *, page: int = 1, page_size: int = 20) -> Page[AssetGroup]:
        """The library's asset groups."""
        return self._library().groups(page=page, page_size=page_size)

    def create_group(self, name: str, description: str | None = None) -> str:
        """A new asset group; returns its id."""
        return self._library().create_group(name, description)

    @property
    def default_group(self) -> str | None:
        """The group the profile uploads into (None: one is made on the first upload)."""
        return self._rt.profile.asset_group
