"""kapon's OpenAI-style `/v1/videos` dialect."""

from seedance.providers.kapon.provider import KaponProvider

__all__ = ["KaponProvider"]
