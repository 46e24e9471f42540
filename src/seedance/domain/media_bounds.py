"""The bounds of reference media (catalogue `[media]`): what the API takes as a reference video
or audio, and how large a request body may be. Each bound carries the catalogue cell it comes
from (`Rule`: its name and source), so a refusal can say which rule refused it and where that
rule comes from; a provider's vocabulary may replace single bounds (`[vocabularies.NAME.media]`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from seedance.domain.errors import Rule

MEDIA = "media"


@dataclass(frozen=True)
class MediaBounds:
    """The reference media rules of one provider, each value beside its rule."""

    values: Mapping[str, Any]
    rules: Mapping[str, Rule]

    def rule(self, name: str) -> Rule:
        return self.rules.get(name) or Rule(f"{MEDIA}.{name}")

    def _range(self, name: str) -> tuple[float, float] | None:
        value = self.values.get(name)
        if isinstance(value, list | tuple) and len(value) == 2:
            return float(value[0]), float(value[1])
        return None

    def _number(self, name: str) -> float | None:
        value = self.values.get(name)
        return (
            float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        )

    def _names(self, name: str) -> tuple[str, ...]:
        value = self.values.get(name)
        return tuple(str(v).lower() for v in value) if isinstance(value, list | tuple) else ()

    @property
    def video_formats(self) -> tuple[str, ...]:
        return self._names("video_formats")

    @property
    def video_codecs(self) -> tuple[str, ...]:
        return self._names("video_codecs")

    @property
    def video_pixels(self) -> tuple[float, float] | None:
        return self._range("video_pixels")

    @property
    def video_fps(self) -> tuple[float, float] | None:
        return self._range("video_fps")

    @property
    def video_max_bytes(self) -> float | None:
        return self._number("video_max_bytes")

    @property
    def video_min_seconds(self) -> float | None:
        return self._number("video_min_seconds")

    @property
    def audio_formats(self) -> tuple[str, ...]:
        return self._names("audio_formats")

    @property
    def audio_max_bytes(self) -> float | None:
        return self._number("audio_max_bytes")

    @property
    def audio_min_seconds(self) -> float | None:
        return self._number("audio_min_seconds")

    @property
    def body_max_bytes(self) -> float | None:
        return self._number("body_max_bytes")

    @property
    def audio_inline(self) -> bool:
        return self.values.get("audio_inline") is True


def load_bounds(
    base: Mapping[str, Any],
    own: Mapping[str, Any] | None,
    vocabulary: str | None,
    sources: Mapping[str, str],
) -> MediaBounds:
    """The bounds for a provider: the catalogue's `[media]`, with its vocabulary's own `media`
    cells over them; each rule named by its cell and cited by its source's text."""
    values: dict[str, Any] = {}
    rules: dict[str, Rule] = {}
    layers = [(MEDIA, base)]
    if own and vocabulary:
        layers.append((f"vocabularies.{vocabulary}.{MEDIA}", own))
    for prefix, layer in layers:
        cited = layer.get("sources", {})
        for name, value in layer.items():
            if name == "sources":
                continue
            values[name] = value
            key = cited.get(name) if isinstance(cited, Mapping) else None
            source = sources.get(key, key) if isinstance(key, str) else None
            rules[name] = Rule(f"{prefix}.{name}", source)
    return MediaBounds(values, rules)
