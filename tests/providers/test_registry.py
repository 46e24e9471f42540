"""The registry: a profile's `api` and `flavor` pick the provider class; no provider imports
another (they share only the wire modules)."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from seedance.domain.errors import ConfigError
from seedance.domain.profiles import build_profile
from seedance.providers.ark import ArkProvider
from seedance.providers.kapon import KaponProvider
from seedance.providers.newapi import NewAPIProvider
from seedance.providers.opeai import OpeAIProvider
from seedance.providers.registry import PROVIDERS, capabilities, provider_class

if TYPE_CHECKING:
    from support import World

PROVIDERS_DIR = Path(__file__).resolve().parents[2] / "src" / "seedance" / "providers"
DIALECT_PACKAGES = ("ark", "kapon", "opeai", "newapi")


@pytest.mark.parametrize(
    ("preset", "cls"),
    [
        ("byteplus", ArkProvider),
        ("phanedge", ArkProvider),
        ("kapon-native", ArkProvider),
        ("kapon", KaponProvider),
        ("opeai", OpeAIProvider),
        ("easyrouter", NewAPIProvider),
    ],
)
def test_each_preset_gets_its_class(preset: str, cls: type) -> None:
    assert provider_class(build_profile(preset, {})) is cls


def test_a_version_1_openai_profile_still_loads() -> None:
    """Version 1 wrote `api = "openai"` with a flavor, or without one (ope.ai's shape)."""
    base = {"api": "openai", "base_url": "https://models.kapon.cloud", "api_key_env": "K"}
    assert provider_class(build_profile("x", {**base, "flavor": "kapon"})) is KaponProvider
    assert provider_class(build_profile("x", {**base, "flavor": "opeai"})) is OpeAIProvider
    assert provider_class(build_profile("x", base)) is OpeAIProvider
    assert KaponProvider.dialect == OpeAIProvider.dialect == "openai"  # as the journal has it


def test_an_unknown_flavor_carries_the_field_and_the_choices() -> None:
    profile = build_profile("x", {"preset": "kapon", "flavor": "sora"})
    with pytest.raises(ConfigError) as caught:
        capabilities(profile)
    assert caught.value.field == "flavor"
    assert caught.value.allowed == ("kapon", "opeai")
    assert "unknown flavor 'sora'" in caught.value.message


def test_unknown_flavor_is_a_config_error(world: World) -> None:
    world.write_profiles({"profiles": {"x": {"preset": "kapon", "flavor": "sora"}}})
    out = world.run("-p", "x", "create", "a boat", "--dry-run")
    assert out.exit_code == 2
    assert "unknown flavor 'sora'" in out.stderr
    out = world.run("-p", "x", "--json", "create", "a boat", "--dry-run")
    error = json.loads(out.stdout)["error"]
    assert (error["field"], error["allowed"]) == ("flavor", ["kapon", "opeai"])


def test_every_registered_class_can_be_imported() -> None:
    for api, flavor in PROVIDERS:
        values = {"api": api, "base_url": "https://example.com", "flavor": flavor}
        assert provider_class(build_profile("x", values)).dialect == api


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("package", DIALECT_PACKAGES)
def test_no_provider_imports_another(package: str) -> None:
    others = {f"seedance.providers.{p}" for p in DIALECT_PACKAGES if p != package}
    for path in (PROVIDERS_DIR / package).rglob("*.py"):
        bad = {m for m in imported(path) if any(m == o or m.startswith(o + ".") for o in others)}
        assert not bad, f"{path.name} imports {bad}"
