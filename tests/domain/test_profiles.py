"""The profile store: presets, key sources, the profiles commands, file safety."""

from __future__ import annotations

import json
import os
import stat
import sys
import tomllib

import pytest

from seedance.domain.errors import ConfigError, Reason, Suggestion
from seedance.domain.profiles import ProfileStore, build_profile, presets
from seedance.wording.hints import explain


def test_every_design_preset_exists():
    assert set(presets()) == {
        "byteplus",
        "byteplus-eu",  # docs/sources/real-world.md "Network"
        "volcengine",
        "phanedge",
        "kapon",
        "kapon-native",
        "opeai",
        "easyrouter",
        "demo",
    }


def test_the_eu_preset_points_at_the_eu_region():
    profile = build_profile("byteplus-eu", {})
    assert profile.base_url == "https://ark.eu-west.bytepluses.com/api/v3"
    assert profile.assets_url == "https://ark.eu-west-1.byteplusapi.com/"
    assert (profile.assets_region, profile.vocabulary) == ("eu-west-1", "byteplus")


def test_profile_settings_for_the_open_catalogue_and_prices():
    profile = build_profile(
        "cn",
        {
            "preset": "volcengine",
            "model": "ep-20260101-abc",
            "model_family": "2.0",
            "strict": True,
            "prices": {"ep-20260101-abc": {"720p": 46, "720p+video": 28}},
        },
    )
    assert profile.strict and profile.model_family == "2.0"
    assert profile.price_overrides() is not None
    for bad, field in (
        ({"prices": {"x": "cheap"}}, "prices"),
        ({"model_family": "9"}, "model_family"),
    ):
        with pytest.raises(ConfigError) as refused:
            build_profile("cn", {"preset": "volcengine", **bad})
        assert field in str(refused.value)


def test_a_profile_overrides_its_preset():
    profile = build_profile(
        "intl", {"preset": "byteplus", "model": "fast", "defaults": {"duration": 8}}
    )
    assert profile.api == "ark" and profile.base_url.startswith("https://ark.ap-southeast")
    assert profile.model == "fast" and profile.defaults == {"duration": 8}


def test_a_preset_name_is_a_profile(world):
    assert ProfileStore(world.config_dir).get("phanedge").references == "assets"


def test_key_sources_in_order(world, tmp_path):
    env = {"ARK_API_KEY": "from-env"}
    profile = build_profile("p", {"preset": "byteplus"})
    assert profile.api_key_value(env) == "from-env"
    assert profile.api_key_value({**env, "SEEDANCE_API_KEY": "override"}) == "override"
    script = tmp_path / "key.py"
    script.write_text("print('from-command')")
    by_cmd = build_profile("p", {"preset": "byteplus", "api_key_cmd": f"{sys.executable} {script}"})
    assert by_cmd.api_key_value({}) == "from-command"
    assert by_cmd.api_key_env is None  # the profile's own key source replaces the preset's
    stored = build_profile("p", {"preset": "byteplus", "api_key": "in-file"})
    assert stored.api_key_value(env) == "in-file"
    assert "in-file" not in repr(stored)
    with pytest.raises(ConfigError) as refused:
        profile.api_key_value({})
    assert "set ARK_API_KEY" in explain(refused.value)
    assert refused.value.reasons == (
        Reason.of("no_key", env="ARK_API_KEY", override="SEEDANCE_API_KEY"),
    )


KEY = "ark-live-SECRET-7f3a9c"


def test_keys_are_read_without_the_whitespace_around_them(tmp_path):
    """A pasted key, a key file with CRLF: from every source, the key alone."""
    profile = build_profile("p", {"preset": "byteplus"})
    assert profile.api_key_value({"ARK_API_KEY": f"  {KEY}\r\n"}) == KEY
    assert profile.api_key_value({"ARK_API_KEY": "x", "SEEDANCE_API_KEY": f"{KEY} "}) == KEY
    blank = {"ARK_API_KEY": KEY, "SEEDANCE_API_KEY": " \n"}  # set but blank: not a key
    assert profile.api_key_value(blank) == KEY
    assert profile.key_source(blank) == "environment variable ARK_API_KEY (set)"
    assert (
        build_profile("p", {"preset": "byteplus", "api_key": f"{KEY}\n"}).api_key_value({}) == KEY
    )
    script = tmp_path / "key.py"
    script.write_text(f"print(' {KEY}\\r')")
    by_cmd = build_profile("p", {"preset": "byteplus", "api_key_cmd": f"{sys.executable} {script}"})
    assert by_cmd.api_key_value({}) == KEY
    signed = build_profile("p", {"preset": "byteplus", "assets_auth": "aksk"})
    pair = {"VOLC_ACCESSKEY": " AK-1\r\n", "VOLC_SECRETKEY": "SK-2 "}
    assert signed.access_keys(pair) == ("AK-1", "SK-2")


@pytest.mark.parametrize(
    ("environ", "source"),
    [
        ({"SEEDANCE_API_KEY": f"{KEY[:6]}\r\n{KEY[6:]}"}, "environment variable SEEDANCE_API_KEY"),
        ({"ARK_API_KEY": f"{KEY[:6]} {KEY[6:]}"}, "environment variable ARK_API_KEY"),
        ({"ARK_API_KEY": f"{KEY}\u00a0x"}, "environment variable ARK_API_KEY"),
        ({"ARK_API_KEY": f"{KEY}\x00"}, "environment variable ARK_API_KEY"),
    ],
)
def test_a_key_no_header_can_carry_is_refused_never_shown(environ, source):
    with pytest.raises(ConfigError) as refused:
        build_profile("p", {"preset": "byteplus"}).api_key_value(environ)
    text = str(refused.value)
    assert f"the key from {source} holds a space, a line break" in text
    assert KEY[:6] not in text and KEY[6:] not in text and refused.value.exit_status == 2


def test_access_keys_no_header_can_carry_are_refused_never_shown():
    signed = build_profile("p", {"preset": "byteplus", "assets_auth": "aksk"})
    with pytest.raises(ConfigError) as refused:
        signed.access_keys({"VOLC_ACCESSKEY": "AKLT 12345", "VOLC_SECRETKEY": "sk"})
    assert "VOLC_ACCESSKEY" in str(refused.value) and "AKLT" not in str(refused.value)


def test_failing_key_command_is_a_clear_error():
    profile = build_profile("p", {"preset": "byteplus", "api_key_cmd": "false"})
    with pytest.raises(ConfigError, match="gave no key"):
        profile.api_key_value({})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"preset": "nope"}, "unknown preset"),
        ({"api": "ark", "base_url": "http://example.com/api/v3"}, "only allowed for loopback"),
        ({"api": "grpc", "base_url": "https://x"}, "api"),
        ({"preset": "byteplus", "references": "some"}, "references"),
        ({"preset": "byteplus", "defaults": {"colour": "red"}}, "unknown default colour"),
        ({"preset": "byteplus", "vocabulary": "acme"}, "unknown vocabulary"),
    ],
)
def test_bad_profiles_are_refused(values, message):
    with pytest.raises(ConfigError, match=message):
        build_profile("p", values)


def test_profile_errors_carry_the_field_and_the_next_step(world):
    with pytest.raises(ConfigError) as broken:
        build_profile("p", {"preset": "byteplus", "references": "some"})
    assert broken.value.field == "references"
    assert broken.value.suggestion == Suggestion.of("profiles.add", "p")
    with pytest.raises(ConfigError) as preset:
        build_profile("p", {"preset": "nope"})
    assert preset.value.field == "preset" and "byteplus" in (preset.value.allowed or ())
    with pytest.raises(ConfigError) as no_key:
        build_profile("p", {"preset": "byteplus"}).api_key_value({})
    assert no_key.value.suggestion == Suggestion.of("profiles.show", "p")
    store = ProfileStore(world.config_dir)
    with pytest.raises(ConfigError) as missing:
        store.get("nope")
    assert missing.value.field == "profile" and "demo" in (missing.value.allowed or ())
    assert missing.value.suggestion == Suggestion.of("profiles.add", "nope")
    with pytest.raises(ConfigError) as unselected:
        store.select(None, {})
    assert unselected.value.suggestion == Suggestion.of("create", "a paper boat", profile="demo")


def test_loopback_http_is_allowed():
    assert build_profile("p", {"api": "ark", "base_url": "http://127.0.0.1:8787/api/v3"})


def test_add_with_flags_writes_0600_and_show_never_prints_the_key(run, world):
    result = run(
        "profiles",
        "add",
        "intl",
        "--preset",
        "byteplus",
        "--api-key",
        "sk-secret-123",
        "--set",
        "defaults.resolution=720p",
        "--set",
        "defaults.duration=8",
        "--default",
    )
    assert result.exit_code == 0, result.stderr
    path = world.config_dir / "profiles.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = tomllib.loads(path.read_text())
    assert document["default_profile"] == "intl"
    assert document["profiles"]["intl"]["defaults"] == {"resolution": "720p", "duration": 8}
    shown = run("profiles", "show", "intl")
    assert "sk-secret-123" not in shown.stdout + shown.stderr
    assert "api_key in profiles.toml" in shown.stdout
    as_json = run("profiles", "show", "intl", "--json")
    assert "sk-secret-123" not in as_json.stdout
    assert json.loads(as_json.stdout)["capabilities"]["can_list"] is True


def test_add_interactively(run, world):
    result = run("profiles", "add", "cn", input="volcengine\nMY_ARK_KEY\n\n", stdin_tty=True)
    assert result.exit_code == 0, result.stderr
    stored = tomllib.loads((world.config_dir / "profiles.toml").read_text())["profiles"]["cn"]
    assert stored == {"preset": "volcengine", "api_key_env": "MY_ARK_KEY"}


def test_list_use_remove(run, world):
    run("profiles", "add", "a", "--preset", "byteplus")
    run("profiles", "add", "b", "--preset", "phanedge")
    listed = json.loads(run("profiles", "list", "--json").stdout)
    names = [p["name"] for p in listed]
    assert names[:2] == ["a", "b"] and "demo" in names
    assert next(p for p in listed if p["name"] == "a")["default"] is True
    assert run("profiles", "use", "b").exit_code == 0
    assert run("profiles", "show", "--json").exit_code == 0
    assert json.loads(run("profiles", "show", "--json").stdout)["name"] == "b"
    assert run("profiles", "remove", "b").exit_code == 0
    assert run("profiles", "remove", "b").exit_code == 2
    assert run("profiles", "use", "nope").exit_code == 2


def test_a_loose_profiles_file_gets_a_warning(run, world):
    path = world.write_profiles({"profiles": {"x": {"preset": "demo"}}})
    os.chmod(path, 0o644)
    result = run("-p", "x", "models")
    assert result.exit_code == 0
    assert "chmod 600" in result.stderr


def test_profile_env_var_selects(run, world, sim):
    world.environ["SEEDANCE_PROFILE"] = "sim-phanedge"
    assert json.loads(run("profiles", "show", "--json").stdout)["name"] == "sim-phanedge"


def test_defaults_apply_to_create(run, sim, world):
    document = tomllib.loads((world.config_dir / "profiles.toml").read_text())
    document["profiles"]["sim-byteplus"]["defaults"] = {"resolution": "480p", "duration": 4}
    world.write_profiles(document)
    assert run("create", "a boat").exit_code == 0
    body = sim.creates()[0].json()
    assert body["resolution"] == "480p" and body["duration"] == 4
    assert run("create", "a boat", "--size", "1280x720").exit_code == 0
    assert sim.creates()[1].json()["resolution"] == "720p"  # a size replaces the defaults


def test_the_callback_alias_in_profile_defaults(run, sim, world):
    document = tomllib.loads((world.config_dir / "profiles.toml").read_text())
    document["profiles"]["sim-byteplus"]["defaults"] = {"CallbackURL": "http://example.com/cb"}
    world.write_profiles(document)
    result = run("create", "a boat")
    assert result.exit_code == 2 and "must be an https:// URL" in result.stderr
    assert sim.requests == []
