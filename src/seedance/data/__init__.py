"""Data shipped in the package: the model catalogue and the presets (TOML)."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any


@cache
def load(name: str) -> dict[str, Any]:
    """A data file of this package, parsed (once)."""
    return tomllib.loads(resources.files(__name__).joinpath(name).read_text("utf-8"))
