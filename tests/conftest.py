"""Shared fixtures: an isolated seedance world (config, data, environment, clock) per test."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from seedance.domain.clock import FakeClock
from support import KEYS, Outcome, World, credential_leaks, result_requests, sim_profiles


@pytest.fixture(autouse=True)
def no_network_settings_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's or CI's proxy and CA settings never reach a test (nor its processes)."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def no_name_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    """Host names in tests resolve to nothing (no test asks a real DNS server): where a result
    host's address is checked (providers/addresses.py), only literal addresses count, unless a
    test says what a name resolves to."""
    import socket

    from seedance.providers import addresses

    def resolve(host: str) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, f"{host}: not resolved in tests")

    monkeypatch.setattr(addresses, "resolve", resolve)


@pytest.fixture(autouse=True)
def secrets_of_this_test_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with a process that knows no secret (domain/redact.py), as a run
    does: a key an earlier test registered does not hide words from this one's texts."""
    from seedance.domain import redact

    monkeypatch.setattr(redact, "SECRETS", redact.SecretRegistry())


@pytest.fixture(autouse=True)
def no_aws_settings_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's AWS credentials and files never reach a test, and boto3 never asks an
    instance metadata service (a link-local address) for credentials."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws/config")


@pytest.fixture(autouse=True)
def no_catalogue_overlay_from_another_test() -> Any:
    """The catalogue overlay a client or command chose (process-wide: domain/catalogue.py
    `use_overlay`) never outlives its test."""
    yield
    from seedance.domain.catalogue import use_overlay

    use_overlay(None)


@pytest.fixture
def world(tmp_path: Path) -> World:
    environ = {
        "SEEDANCE_CONFIG_DIR": str(tmp_path / "config"),
        "SEEDANCE_DATA_DIR": str(tmp_path / "data"),
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path / "home"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "home" / "no-aws-credentials"),
        "AWS_CONFIG_FILE": str(tmp_path / "home" / "no-aws-config"),
        **KEYS,
    }
    return World(tmp_path, environ, FakeClock())


@pytest.fixture
def run(world: World) -> Callable[..., Outcome]:
    return world.run


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
def media_sim(world: World) -> Any:
    """Like `sim`, but every task gets its own clip (PyAV): its seed's colours and motion, its
    ratio, and sound when it asks for it."""
    from seedance.sim.app import API_ORIGIN, SimConfig, Simulator

    simulator = Simulator(SimConfig(queue_seconds=2, run_seconds=10), clock=world.clock)
    world.transport = simulator.transport()
    world.write_profiles(sim_profiles(API_ORIGIN))
    return simulator


@pytest.fixture(scope="session")
def s3() -> Any:
    """moto's S3 server on loopback for the whole session (tests/s3server.py); each test makes
    its own bucket."""
    from s3server import S3Server

    with S3Server() as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Any:
    """One headless Chromium for the whole session (tests/browser.py). Missing Chromium is a
    failure, not a skip: .ci/run installs it."""
    from browser import Browser, BrowserError

    try:
        chromium = Browser.launch()
        chromium.send("Browser.getVersion")
    except (BrowserError, OSError) as exc:
        pytest.fail(str(exc), pytrace=False)
    yield chromium
    chromium.close()


@pytest.fixture
def sim_server(world: World) -> Any:
    """`seedance sim`'s loopback server (instant tasks), with `sim-<preset>` profiles."""
    from seedance.sim.app import SimConfig
    from seedance.sim.server import SimServer

    server = SimServer(SimConfig(queue_seconds=0, run_seconds=0, asset_seconds=0))
    with server:
        world.write_profiles(sim_profiles(server.api_url))
        yield server


# -- no credential ever reaches a result host (checked after every test) --------------------


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
    leaks = credential_leaks(result_requests(sims, mock))
    assert not leaks, f"a credential was sent to a result host: {leaks}"


# -- PostgreSQL, for the shared state (tests/postgres.py) ---------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Any:
    """One PostgreSQL server for the whole session. Missing binaries are a failure, not a
    skip: .ci/run installs them (and sets SEEDANCE_REQUIRE_POSTGRES=1)."""
    from postgres import PostgresMissing, start_server

    try:
        server = start_server()
    except PostgresMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.close()


@pytest.fixture
def state_url(postgres_server: Any) -> str:
    """A fresh, empty database on the session's server: its URL (the superuser's)."""
    return str(postgres_server.database())
