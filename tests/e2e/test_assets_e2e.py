"""The asset library end to end: the real CLI against the simulator's Action API."""

from __future__ import annotations

import json


def actions(sim, name: str) -> list:
    return [r for r in sim.requests if r.arg("Action") == name]


def test_create_with_a_url_on_an_assets_profile_makes_and_uses_an_asset(run, sim, world):
    result = run(
        "-p",
        "sim-phanedge",
        "create",
        "a product shot",
        "--image",
        "https://example.com/product.png",
    )
    assert result.exit_code == 0, result.stderr
    body = sim.creates()[0].json()
    image = body["content"][1]
    assert image["role"] == "reference_image"
    asset_id = image["image_url"]["url"].removeprefix("asset://")
    asset = sim.state.assets[asset_id]
    assert asset.url == "https://example.com/product.png"
    assert asset.status(world.clock.time()) == "Active"
    assert "asset" not in body["content"][0]["text"]  # ids never go into the prompt
    assert len(actions(sim, "GetAsset")) >= 2  # it was Processing first, and waited for
    again = run(
        "-p", "sim-phanedge", "create", "another shot", "--image", "https://example.com/product.png"
    )
    assert again.exit_code == 0
    assert len(actions(sim, "CreateAsset")) == 1  # the second use made no asset call
    assert sim.creates()[1].json()["content"][1]["image_url"]["url"] == f"asset://{asset_id}"


def test_assets_commands(run, sim, world):
    uploaded = run("-p", "sim-phanedge", "assets", "upload", "https://example.com/a.mp4")
    assert uploaded.exit_code == 0, uploaded.stderr
    ref = uploaded.stdout.strip()
    assert ref.startswith("asset://asset-")
    got = json.loads(run("-p", "sim-phanedge", "assets", "get", ref, "--json").stdout)
    assert got["status"] == "Active" and got["type"] == "Video"
    listed = json.loads(run("-p", "sim-phanedge", "assets", "list", "--json").stdout)
    assert [a["id"] for a in listed["items"]] == [ref.removeprefix("asset://")]
    groups = run("-p", "sim-phanedge", "assets", "groups", "--json")
    assert json.loads(groups.stdout)["items"][0]["name"] == "seedance"
    created = run("-p", "sim-phanedge", "assets", "groups", "create", "campaign")
    assert created.stdout.strip().startswith("group-")


def test_a_bad_source_fails_with_exit_5(run, sim):
    result = run("-p", "sim-phanedge", "assets", "upload", "https://example.com/fail.png")
    assert result.exit_code == 5
    assert "Failed" in result.stderr or "failed" in result.stderr


def test_the_official_library_is_signed_not_given_the_api_key(run, sim):
    result = run("-p", "sim-byteplus", "assets", "upload", "https://example.com/cat.png")
    assert result.exit_code == 0, result.stderr
    calls = [r for r in sim.requests if r.arg("Action")]
    assert calls and all(
        r.headers["authorization"].startswith("HMAC-SHA256 Credential=") for r in calls
    )
    assert all("sim-token" not in r.headers["authorization"] for r in calls)
