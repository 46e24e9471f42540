"""`seedance __complete KIND`: live values for shell completion, printed one per line.

Called by the scripts in completions/ on every TAB, so it loads neither Typer nor httpx:
only the profile file, the catalogue and the journal, read directly.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable, Mapping

from seedance import data
from seedance.domain.documents import parse_toml
from seedance.domain.paths import default_config_dir, default_data_dir

STATIC: dict[str, list[str]] = {
    "statuses": ["queued", "running", "succeeded", "failed", "expired", "cancelled"],
    "asset-statuses": ["Processing", "Active", "Failed"],
    "asset-types": ["image", "video", "audio"],
    "ratios": ["16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "9:21", "adaptive"],
    "resolutions": ["480p", "720p", "1080p", "4k"],
    "service-tiers": ["default", "flex"],
    "output-formats": ["mp4", "mov"],
}


def profiles(environ: Mapping[str, str]) -> list[str]:
    path = default_config_dir(environ) / "profiles.toml"
    try:
        stored = list(parse_toml(path.read_text("utf-8")).get("profiles", {}))
    except (OSError, ValueError, AttributeError):
        stored = []
    return stored + [p for p in data.load("presets.toml") if p not in stored]


def models(environ: Mapping[str, str]) -> list[str]:
    from seedance.domain.catalogue import catalogue

    cat = catalogue()
    names = {n for v in cat.vocabularies.values() for n in v.models}
    names |= {a for f in cat.families.values() for a in (f.key, *f.aliases)}
    return sorted(names)


def presets(environ: Mapping[str, str]) -> list[str]:
    return list(data.load("presets.toml"))


def tasks(environ: Mapping[str, str]) -> list[str]:
    path = default_data_dir(environ) / "journal.sqlite3"
    if not path.exists():
        return []
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            rows = db.execute(
                "SELECT task_id FROM creates WHERE task_id IS NOT NULL ORDER BY row DESC LIMIT 50"
            ).fetchall()
    except sqlite3.Error:
        return []
    return [r[0] for r in rows]


DYNAMIC: dict[str, Callable[[Mapping[str, str]], list[str]]] = {
    "profiles": profiles,
    "models": models,
    "presets": presets,
    "tasks": tasks,
}


def candidates(kind: str, environ: Mapping[str, str]) -> list[str]:
    if kind in STATIC:
        return STATIC[kind]
    if kind in DYNAMIC:
        return DYNAMIC[kind](environ)
    return []


def main(argv: list[str]) -> None:
    """Print the candidates; completion never fails loudly."""
    try:
        values = candidates(argv[0] if argv else "", os.environ)
    except Exception:  # a broken config must not break the user's shell
        values = []
    sys.stdout.write("".join(f"{v}\n" for v in values))
