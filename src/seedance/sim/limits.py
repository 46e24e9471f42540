"""The simulator's own table of what each service accepts (`sim/data/services.toml`).

Never the client's catalogue: the two are written separately from the same documents, so a
wrong client entry shows up as a refusal here (tests/e2e/test_sim_rules.py).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from functools import cache
from importlib import resources
from typing import Any

Size = tuple[int, int]


@dataclass(frozen=True)
class Limits:
    """What one model accepts on one service."""

    name: str
    durations: tuple[int, int]
    auto_duration: bool
    resolutions: tuple[str, ...]
    ratios: tuple[str, ...]
    images: int
    videos: int
    audios: int
    audio_alone: bool
    generate_audio: bool
    draft: bool
    final_resolutions: tuple[str, ...]
    flex: bool
    output_formats: tuple[str, ...]
    priority: bool
    frames: bool
    sizes: dict[str, dict[str, Size]] = field(default_factory=dict)
    task_types: tuple[str, ...] = ()  # omni_reference_task_type values (2.5)


@dataclass(frozen=True)
class ServiceTable:
    models: dict[str, Limits]
    shutdown: dict[str, str]


@dataclass(frozen=True)
class MediaRules:
    """What every service takes as reference media (`[media]`)."""

    video_pixels: tuple[int, int]
    video_fps: tuple[float, float]
    video_codecs: tuple[str, ...]
    video_max_bytes: int
    audio_max_bytes: int
    body_max_bytes: int
    fetch_seconds: float


@dataclass(frozen=True)
class Table:
    services: dict[str, ServiceTable]
    sizes: dict[str, dict[str, Size]]
    media: MediaRules

    def limits(self, service: str, model: str) -> Limits | None:
        table = self.services.get(service)
        return table.models.get(model) if table is not None else None

    def size(self, resolution: str, ratio: str, limits: Limits | None = None) -> Size:
        """Pixels of a resolution and ratio (adaptive as 16:9; 9:21 as 21:9 turned)."""
        if ratio == "adaptive":
            ratio = "16:9"
        turned = ratio == "9:21"
        cell = "21:9" if turned else ratio
        own = limits.sizes.get(resolution, {}) if limits is not None else {}
        found = own.get(cell) or self.sizes.get(resolution, {}).get(cell) or (1280, 720)
        return (found[1], found[0]) if turned else found

    def parse_size(self, size: str) -> tuple[str, str] | None:
        """`1280x720` -> ("720p", "16:9"), or None."""
        width, sep, height = size.lower().partition("x")
        if not sep or not width.isdigit() or not height.isdigit():
            return None
        wanted = (int(width), int(height))
        for res, cells in self.sizes.items():
            for ratio, dims in cells.items():
                if dims == wanted:
                    return res, ratio
        return None


def _limits(name: str, kind: dict[str, Any], changes: dict[str, Any]) -> Limits:
    values = {**kind, **{k: v for k, v in changes.items() if k != "kind"}}
    known = {f.name for f in fields(Limits)} - {"name"}
    frozen: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v
        for k, v in values.items()
        if k in known and k != "sizes"
    }
    sizes = {
        res: {ratio: (int(wh[0]), int(wh[1])) for ratio, wh in cells.items()}
        for res, cells in values.get("sizes", {}).items()
    }
    return Limits(name=name, sizes=sizes, **frozen)


@cache
def table() -> Table:
    raw = tomllib.loads(
        resources.files("seedance.sim.data").joinpath("services.toml").read_text("utf-8")
    )
    kinds = raw["kinds"]
    services = {
        service: ServiceTable(
            models={
                name: _limits(name, kinds[entry["kind"]], entry)
                for name, entry in body.get("models", {}).items()
            },
            shutdown=dict(body.get("shutdown", {})),
        )
        for service, body in raw["services"].items()
    }
    sizes = {
        res: {ratio: (int(wh[0]), int(wh[1])) for ratio, wh in cells.items()}
        for res, cells in raw["sizes"].items()
    }
    media = raw["media"]
    rules = MediaRules(
        video_pixels=(int(media["video_pixels"][0]), int(media["video_pixels"][1])),
        video_fps=(float(media["video_fps"][0]), float(media["video_fps"][1])),
        video_codecs=tuple(media["video_codecs"]),
        video_max_bytes=int(media["video_max_bytes"]),
        audio_max_bytes=int(media["audio_max_bytes"]),
        body_max_bytes=int(media["body_max_bytes"]),
        fetch_seconds=float(media["fetch_seconds"]),
    )
    return Table(services, sizes, rules)
