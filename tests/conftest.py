"""Shared fixtures: an isolated seedance world (config, data, environment, clock) per test."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from typer.testing import CliRunner

from seedance.cli.app import app
from seedance.cli.environment import Environment
from seedance.core.clock import FakeClock

KEYS = {
    "ARK_API_KEY": "ark-test-key-0001",
    "KAPON_API_KEY": "oh-kapon-test-key",
    "PHANEDGE_API_KEY": "oh-phanedge-test-key",
    "OPEAI_API_KEY": "opeai-test-key",
    "EASYROUTER_API_KEY": "sk-easyrouter-test-key",
    "VOLC_ACCESSKEY": "AKLTtestaccesskey",
    "VOLC_SECRETKEY": "testsecretkey==",
}


@dataclass
class Outcome:
    """What a command did: exit code, stdout, stderr."""

    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()


@dataclass
class World:
    """One test's seedance world."""

    root: Path
    environ: dict[str, str]
    clock: FakeClock
    transport: Any = None

    @property
    def config_dir(self) -> Path:
        return Path(self.environ["SEEDANCE_CONFIG_DIR"])

    @property
    def data_dir(self) -> Path:
        return Path(self.environ["SEEDANCE_DATA_DIR"])

    def write_profiles(self, document: dict[str, Any]) -> Path:
        path = self.config_dir / "profiles.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(tomli_w.dumps(document).encode())
        os.chmod(path, 0o600)
        return path

    def environment(self, **overrides: Any) -> Environment:
        settings = {
            "environ": self.environ,
            "clock": self.clock,
            "transport": self.transport,
            "cwd": self.root,
            "stdout_tty": False,
            "stderr_tty": False,
            **overrides,
        }
        return Environment(**settings)

    def run(self, *args: str, input: str | None = None, **overrides: Any) -> Outcome:
        """Run the real CLI (through Typer's CliRunner) in this world."""
        result = CliRunner().invoke(
            app,
            list(args),
            input=input,
            obj=self.environment(**overrides),
            catch_exceptions=True,
        )
        exc = result.exception if not isinstance(result.exception, SystemExit) else None
        return Outcome(result.exit_code, result.stdout, result.stderr, exc)


@pytest.fixture
def world(tmp_path: Path) -> World:
    environ = {
        "SEEDANCE_CONFIG_DIR": str(tmp_path / "config"),
        "SEEDANCE_DATA_DIR": str(tmp_path / "data"),
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path / "home"),
        **KEYS,
    }
    return World(tmp_path, environ, FakeClock())


@pytest.fixture
def run(world: World) -> Callable[..., Outcome]:
    return world.run


def sim_profiles(origin: str, token: str = "sim-token") -> dict[str, Any]:
    """profiles.toml pointing a `sim-<preset>` profile at the simulator for every preset."""
    from seedance.cli.sim import profile_document

    return {"default_profile": "sim-byteplus", "profiles": profile_document(origin, token)}


@pytest.fixture
def sim(world: World) -> Any:
    """An in-process simulator sharing the world's FakeClock, with `sim-<preset>` profiles."""
    from seedance.sim.app import API_ORIGIN, SimConfig, Simulator

    simulator = Simulator(
        SimConfig(queue_seconds=2, run_seconds=10, asset_seconds=3, generate_media=False),
        clock=world.clock,
    )
    world.transport = simulator.transport()
    world.write_profiles(sim_profiles(API_ORIGIN))
    return simulator


@pytest.fixture
def sim_server(world: World) -> Any:
    """`seedance sim`'s loopback server (instant tasks), with `sim-<preset>` profiles."""
    from seedance.sim.app import SimConfig
    from seedance.sim.server import SimServer

    server = SimServer(SimConfig(queue_seconds=0, run_seconds=0, asset_seconds=0))
    with server:
        world.write_profiles(sim_profiles(server.api_url))
        yield server


def run_process(world: World, *args: str, crash_at: str | None = None) -> Outcome:
    """The real `seedance` in a child process (its sleeps take no time; see SEEDANCE_CLOCK)."""
    import subprocess
    import sys

    environ = {**world.environ, "SEEDANCE_CLOCK": "fake", "NO_COLOR": "1"}
    if crash_at:
        environ["SEEDANCE_CRASH_AT"] = crash_at
    done = subprocess.run(
        [sys.executable, "-m", "seedance", *args],
        cwd=world.root,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


# -- no credential ever reaches a result host (checked after every test) --------------------

SECRET_HEADERS = ("authorization", "x-api-key", "api-key", "x-security-token")
MEDIA_SUFFIXES = (".mp4", ".png", ".jpg", ".jpeg", ".webp", ".mov")


def credential_leaks(requests: list[tuple[str, str, dict[str, str]]]) -> list[str]:
    """(url, path, headers) of requests to result hosts -> those that carried a credential."""
    return [url for url, _path, headers in requests if any(h in headers for h in SECRET_HEADERS)]


def _result_requests(sims: list[Any], mock: Any) -> list[tuple[str, str, dict[str, str]]]:
    found = []
    for simulator in sims:
        for r in simulator.requests:
            if r.origin == simulator.store.origin:
                found.append((r.url, r.path, r.headers))
    if mock is not None:
        for r in mock.get_requests():
            path = r.url.path
            if path.lower().endswith(MEDIA_SUFFIXES) and "/v1/" not in path:
                headers = {k.lower(): v for k, v in r.headers.items()}
                found.append((str(r.url), path, headers))
    return found


@pytest.fixture(autouse=True)
def no_credentials_to_result_hosts(request: pytest.FixtureRequest, monkeypatch: Any) -> Any:
    from seedance.sim.app import Simulator

    sims: list[Any] = []
    original = Simulator.__init__

    def tracked(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        sims.append(self)

    monkeypatch.setattr(Simulator, "__init__", tracked)
    mock = request.getfixturevalue("httpx_mock") if "httpx_mock" in request.fixturenames else None
    yield
    leaks = credential_leaks(_result_requests(sims, mock))
    assert not leaks, f"a credential was sent to a result host: {leaks}"
