"""The Ark native task API: official endpoints and the /volcark gateways."""

from seedance.providers.ark.provider import ArkProvider

__all__ = ["ArkProvider"]
