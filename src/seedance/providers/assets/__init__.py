"""The asset library's Action API and the V4 signing of its official endpoints."""

from seedance.providers.assets.library import AssetLibrary, install_signer

__all__ = ["AssetLibrary", "install_signer"]
