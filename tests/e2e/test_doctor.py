"""`seedance doctor` against the simulator's loopback server: each check, each probe outcome,
a wrong key, a dead host and a skewed clock, each with its exit code; nothing is made."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from seedance.domain.clock import SystemClock
from seedance.sim.app import SimConfig
from seedance.sim.server import SimServer
from support import World, sim_profiles

STANDARD = "dreamina-seedance-2-0-260128"


@pytest.fixture
def server(world: World) -> Iterator[SimServer]:
    """A loopback simulator on the real clock (the Date header is compared with it)."""
    world.clock = SystemClock()  # type: ignore[assignment]
    with SimServer(SimConfig(queue_seconds=0, run_seconds=0, token="sim-token")) as running:
        world.write_profiles(sim_profiles(running.api_url, "sim-token"))
        yield running


def doctor(world: World, *args: str) -> tuple[int, dict[str, Any]]:
    out = world.run("--json", "doctor", *args)
    document = json.loads(out.stdout)
    return out.exit_code, document


def checks(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["check"]: c for c in document["checks"]}


def test_every_check_passes_and_nothing_is_made(world, server):
    out = world.run("-p", "sim-byteplus", "doctor")
    assert out.exit_code == 0, out.stderr
    for name in ("config", "key", "proxy", "dns", "api", "clock", "assets"):
        assert name in out.stdout
    assert "ready: nothing was spent" in out.stderr
    code, document = doctor(world, "-p", "sim-byteplus", "--probe-models")
    assert code == 0 and document["ok"] is True
    found = checks(document)
    assert found["key"]["detail"] == "from api_key in profiles.toml"
    assert found["api"]["detail"].endswith("key accepted")
    assert found[f"model {STANDARD} (the profile's)"]["status"] == "ok"
    assert server.sim.creates() == []


def test_each_probe_outcome(world, server):
    server.sim.config.open_models = (STANDARD,)
    world.write_profiles(
        {
            "profiles": {
                **sim_profiles(server.api_url, "sim-token")["profiles"],
                "closed": {
                    "preset": "byteplus",
                    "base_url": server.api_url + "/api/v3",
                    "assets_url": "",
                    "api_key": "sim-token",
                    "model": "dreamina-seedance-2-5-260628",
                },
                "wrong-id": {
                    "preset": "byteplus",
                    "base_url": server.api_url + "/api/v3",
                    "assets_url": "",
                    "api_key": "sim-token",
                    "model": "dreamina-seedance-2-0-991231",
                },
            }
        }
    )
    code, document = doctor(world, "-p", "sim-byteplus", "--probe-models")
    found = checks(document)
    assert code == 0  # the profile's own model is open; the others only warn
    assert found[f"model {STANDARD} (the profile's)"]["status"] == "ok"
    closed = found["model dreamina-seedance-2-5-260628"]
    assert closed["status"] == "warn" and "not activated" in closed["detail"]
    code, document = doctor(world, "-p", "closed", "--probe-models")
    assert code == 3 and document["error"]["code"] == "doctor"
    own = checks(document)["model dreamina-seedance-2-5-260628 (the profile's)"]
    assert own["status"] == "fail" and "activate it in the provider's console" in own["hint"]
    code, document = doctor(world, "-p", "wrong-id", "--probe-models")
    own = checks(document)["model dreamina-seedance-2-0-991231 (the profile's)"]
    assert code == 3 and own["status"] == "fail" and "not found for this key" in own["detail"]
    assert server.sim.creates() == []


def test_a_wrong_key(world, server):
    world.environ["SEEDANCE_API_KEY"] = "not-the-key"
    code, document = doctor(world, "-p", "sim-byteplus")
    api = checks(document)["api"]
    assert code == 3 and api["status"] == "fail"
    assert "refused the key (401" in api["detail"]
    assert "environment variable SEEDANCE_API_KEY" in api["detail"]
    plain = world.run("-p", "sim-byteplus", "doctor")
    assert plain.exit_code == 3 and "error: 1 check failed: api" in plain.stderr


def test_no_key_at_all(world, server):
    world.write_profiles(
        {"profiles": {"x": {"preset": "byteplus", "base_url": server.api_url + "/api/v3"}}}
    )
    del world.environ["ARK_API_KEY"]
    code, document = doctor(world, "-p", "x")
    found = checks(document)
    assert code == 2 and found["key"]["status"] == "fail"
    assert "ARK_API_KEY" in found["key"]["hint"]
    assert found["api"]["status"] == "skip"


def test_a_dead_host(world):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    world.write_profiles(
        {
            "profiles": {
                "dead": {
                    "preset": "byteplus",
                    "base_url": f"http://127.0.0.1:{port}/api/v3",
                    "assets_url": "",
                }
            }
        }
    )
    code, document = doctor(world, "-p", "dead", "--probe-models")
    found = checks(document)
    assert code == 4 and found["api"]["status"] == "fail"
    assert "cannot reach 127.0.0.1" in found["api"]["detail"]
    assert found["clock"]["status"] == "skip" and found["models"]["status"] == "skip"


def test_a_host_that_does_not_resolve(world):
    world.write_profiles(
        {
            "profiles": {
                "typo": {"preset": "byteplus", "base_url": "https://ark.nowhere.invalid/api/v3"}
            }
        }
    )
    code, document = doctor(world, "-p", "typo")
    assert code == 4 and checks(document)["dns"]["status"] == "fail"
    assert checks(document)["api"]["status"] == "skip"


@pytest.mark.parametrize(
    ("offset", "status", "code"), [(3600, "fail", 2), (-120, "warn", 0), (0, "ok", 0)]
)
def test_a_skewed_clock(world, server, offset, status, code):
    server.sim.config.clock_offset = offset
    got, document = doctor(world, "-p", "sim-byteplus")
    clock = checks(document)["clock"]
    assert (got, clock["status"]) == (code, status)
    if offset:
        side = "behind" if offset > 0 else "ahead of"
        found = re.search(rf"this machine is (\d+) s {side} the server", clock["detail"])
        assert found and abs(int(found.group(1)) - abs(offset)) <= 1  # Date has whole seconds


def test_proxy_settings_are_shown_without_their_secrets(world, server):
    world.environ["HTTPS_PROXY"] = "http://user:secret@proxy.example.com:3128"
    world.environ["NO_PROXY"] = "localhost,127.0.0.1"
    _code, document = doctor(world, "-p", "sim-byteplus")
    proxy = checks(document)["proxy"]["detail"]
    assert "HTTPS_PROXY=http://proxy.example.com:3128" in proxy and "secret" not in proxy
    assert "NO_PROXY=localhost,127.0.0.1" in proxy


def test_the_probe_is_for_ark_apis_only(world, server):
    code, document = doctor(world, "-p", "sim-kapon", "--probe-models")
    assert code == 0, document
    models = checks(document)["models"]
    assert models["status"] == "skip" and "Ark API" in models["detail"]


def test_the_demo_profile_needs_no_network(world):
    out = world.run("-p", "demo", "doctor", "--probe-models")
    assert out.exit_code == 0, out.stdout + out.stderr
    assert "the in-process simulator" in out.stdout


def test_a_byteplus_profile_without_asset_keys_passes_with_a_warning(world, server):
    """Issue 28: a BytePlus profile sends media as URLs or inline; only asset:// media need the
    asset library's access keys, so their absence is a warning, not a failed doctor."""
    for name in ("VOLC_ACCESSKEY", "VOLC_SECRETKEY"):
        world.environ.pop(name)
    out = world.run("-p", "sim-byteplus", "doctor")
    assert out.exit_code == 0, out.stderr
    assert "ready: nothing was spent" in out.stderr
    code, document = doctor(world, "-p", "sim-byteplus")
    assets = checks(document)["assets"]
    assert code == 0 and document["ok"] is True
    assert assets["status"] == "warn" and "VOLC_ACCESSKEY" in assets["hint"]
    assert "needed only for asset:// media" in assets["detail"]


def test_a_profile_whose_media_must_be_assets_fails_without_asset_keys(world, server):
    for name in ("VOLC_ACCESSKEY", "VOLC_SECRETKEY"):
        world.environ.pop(name)
    profiles = sim_profiles(server.api_url, "sim-token")
    profiles["profiles"]["sim-byteplus"]["references"] = "assets"
    world.write_profiles(profiles)
    code, document = doctor(world, "-p", "sim-byteplus")
    assert code == 2 and checks(document)["assets"]["status"] == "fail"


def test_on_an_80_column_terminal_every_line_fits_and_no_word_is_cut(world, server, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    for name in ("VOLC_ACCESSKEY", "VOLC_SECRETKEY"):
        world.environ.pop(name)  # a long warning to wrap
    out = world.run("-p", "sim-byteplus", "doctor", "--probe-models", stdout_tty=True)
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["CHECK", "STATUS", "DETAIL"]
    too_long = [line for line in lines if len(line) > 80 and len(line.split()) > 1]
    assert too_long == [], "\n".join(lines)  # (one word longer than a line, a path, stays whole)
    words = " ".join(line.strip() for line in lines[1:]).split()
    assert "VOLC_ACCESSKEY" in words and "asset://" in words  # whole words, never cut
    assert f"model {STANDARD} (the profile's)" in lines  # a long name has its own line
