"""ope.ai's OpenAI-style `/v1/videos` dialect."""

from seedance.providers.opeai.provider import OpeAIProvider

__all__ = ["OpeAIProvider"]
