"""Which profile a name means: one in profiles.toml, a preset's, or a `sim-<preset>` profile of
a simulator running now (`seedance sim` with the same data directory announces its address and
profiles in `sim.json` there, and withdraws them when it stops)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from seedance.domain.errors import ConfigError, Reason, Suggestion
from seedance.domain.profiles import Profile, ProfileStore, build_profile

STATE = "sim.json"  # in the data directory, while a simulator runs
SIM_PREFIX = "sim-"


def select_profile(
    store: ProfileStore, name: str | None, environ: Mapping[str, str], data_dir: Path
) -> Profile:
    """The profile `name` means (else `$SEEDANCE_PROFILE`, else the default): from
    profiles.toml or a preset, else the running simulator's profile of that name."""
    try:
        return store.select(name, environ)
    except ConfigError:
        wanted = name or environ.get("SEEDANCE_PROFILE") or store.default_name()
        if not wanted:
            raise
        found = running_profile(data_dir, wanted)
        if found is None:
            if wanted.startswith(SIM_PREFIX) and wanted not in store.stored():
                raise missing_profile(data_dir, wanted) from None
            raise
        return build_profile(wanted, found)


def missing_profile(data_dir: Path, name: str) -> ConfigError:
    """Why there is no `sim-*` profile `name`: no simulator runs (start one), or the one that
    runs has no such profile (its names)."""
    running = running_simulator(data_dir)
    if running is None:
        return ConfigError(
            f"profile '{name}' is a simulator's, and no simulator is running",
            reason="simulator_not_running",
            suggestion=Suggestion.of("sim"),
            field="profile",
        )
    names = sorted(running.get("profiles", {}))
    return ConfigError(
        f"the simulator running (on {running.get('api_url')}) has no profile '{name}'",
        reason=Reason.of("simulator_profiles", names=", ".join(names)),
        field="profile",
        allowed=names,
    )


def state_path(data_dir: Path) -> Path:
    return data_dir / STATE


def announce(data_dir: Path, document: dict[str, Any]) -> Path:
    """Tell other seedance processes (same data directory) where a simulator listens and its
    profiles: `document` holds `pid`, `api_url`, `store_url` and `profiles`."""
    path = state_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=2)
    os.replace(tmp, path)
    return path


def withdraw(data_dir: Path) -> None:
    """Forget this process's simulator (only if the announcement is still its own)."""
    running = _read(state_path(data_dir))
    if running is not None and running.get("pid") == os.getpid():
        state_path(data_dir).unlink(missing_ok=True)


def running_simulator(data_dir: Path) -> dict[str, Any] | None:
    """The announcement of a simulator running now with this data directory, if any."""
    running = _read(state_path(data_dir))
    if running is None:
        return None
    try:
        os.kill(int(running["pid"]), 0)
    except (ProcessLookupError, KeyError, TypeError, ValueError):
        return None  # it stopped without saying so (kill -9)
    except PermissionError:
        pass  # alive, someone else's
    return running


def running_profile(data_dir: Path, name: str) -> dict[str, str] | None:
    """The settings of profile `name` (`sim-<preset>`) of a simulator running now with this
    data directory; None when none runs (or it has no such profile)."""
    if not name.startswith(SIM_PREFIX):
        return None
    running = running_simulator(data_dir)
    if running is None:
        return None
    found = running.get("profiles", {}).get(name)
    return found if isinstance(found, dict) else None


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
