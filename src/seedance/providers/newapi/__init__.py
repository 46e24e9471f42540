"""new-api gateways (EasyRouter): `/v1/video/generations` with the Ark parameters in `metadata`."""

from seedance.providers.newapi.provider import NewAPIProvider

__all__ = ["NewAPIProvider"]
