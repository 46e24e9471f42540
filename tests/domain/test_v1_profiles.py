"""A profiles.toml written for version 1 keeps working, and means what it meant.

tests/services/fixtures/v1/profiles.toml uses every kind of key version 1 read (presets,
defaults, key sources, upload_cmd, an openai profile by flavor, the CallbackURL alias...);
profiles.expected.json is what version 1's ProfileStore made of each profile
(fixtures/v1/make_fixtures.py).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from seedance.domain.profiles import ProfileStore
from support import World

FIXTURES = Path(__file__).parents[1] / "services" / "fixtures" / "v1"
EXPECTED: dict[str, Any] = json.loads((FIXTURES / "profiles.expected.json").read_text())
# Wording that may be reworded without changing what a profile does.
NOT_COMPARED = {"title"}


@pytest.fixture
def store(tmp_path: Path) -> ProfileStore:
    shutil.copy(FIXTURES / "profiles.toml", tmp_path / "profiles.toml")
    (tmp_path / "profiles.toml").chmod(0o600)
    return ProfileStore(tmp_path)


def test_every_v1_profile_loads(store: ProfileStore) -> None:
    assert sorted(store.stored()) == sorted(EXPECTED["profiles"])
    assert store.default_name() == EXPECTED["default_profile"] == "intl"
    for name in EXPECTED["profiles"]:
        assert store.get(name).name == name


@pytest.mark.parametrize("name", sorted(EXPECTED["profiles"]))
def test_a_v1_profile_means_what_it_meant(store: ProfileStore, name: str) -> None:
    loaded = store.get(name).model_dump(mode="json")
    expected = EXPECTED["profiles"][name]
    for key, value in expected.items():
        if key not in NOT_COMPARED:
            assert loaded.get(key, "(missing)") == value, f"{name}.{key}"


def test_the_callback_alias_and_key_sources_of_v1(store: ProfileStore) -> None:
    edge = store.get("edge")
    assert edge.defaults["callback_url"] == "https://hooks.example.com/seedance"
    assert edge.api_key_value({}) == "oh-phanedge-literal-key"
    intl = store.get("intl")
    assert intl.api_key_value({"ARK_API_KEY": "from-env"}) == "from-env"
    assert intl.upload_cmd is not None and "{path}" in intl.upload_cmd
    assert store.get("ope").flavor == "opeai"


def test_the_cli_lists_and_shows_v1_profiles(world: World) -> None:
    world.config_dir.mkdir(parents=True)
    shutil.copy(FIXTURES / "profiles.toml", world.config_dir / "profiles.toml")
    (world.config_dir / "profiles.toml").chmod(0o600)

    listed = world.run("profiles", "list", "--json")

    assert listed.exit_code == 0, listed.stderr
    names = [p["name"] for p in json.loads(listed.stdout)]
    assert set(EXPECTED["profiles"]) <= set(names)
    for name in EXPECTED["profiles"]:
        shown = world.run("profiles", "show", name, "--json")
        assert shown.exit_code == 0, (name, shown.stderr)
        assert "oh-phanedge-literal-key" not in shown.stdout
