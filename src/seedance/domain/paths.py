"""Where seedance keeps its files: the config folder (profiles) and the data folder (journal,
caches), each movable with an environment variable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

CONFIG_DIR_ENV = "SEEDANCE_CONFIG_DIR"
DATA_DIR_ENV = "SEEDANCE_DATA_DIR"


def default_config_dir(environ: Mapping[str, str]) -> Path:
    """`$SEEDANCE_CONFIG_DIR`, else the platform's user config folder for seedance."""
    if environ.get(CONFIG_DIR_ENV):
        return Path(environ[CONFIG_DIR_ENV]).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("seedance"))


def default_data_dir(environ: Mapping[str, str]) -> Path:
    """`$SEEDANCE_DATA_DIR`, else the platform's user data folder for seedance."""
    if environ.get(DATA_DIR_ENV):
        return Path(environ[DATA_DIR_ENV]).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("seedance"))


def is_inside(path: Path, root: Path) -> bool:
    """Whether `path` is `root` or lies under it once every symbolic link is followed and
    every `..` resolved (on both), so that neither a link nor `..` leads out of `root`. A path
    that does not exist yet is judged by its existing part."""
    real = Path(os.path.realpath(path))
    base = Path(os.path.realpath(root))
    return real == base or real.is_relative_to(base)
