"""`seedance models --remote`: the provider's live list against the catalogue, cached with its
date for when the provider cannot be reached."""

from __future__ import annotations

import json

import httpx


def test_the_live_list_against_the_catalogue(run, sim):
    sim.config.open_models = ("dreamina-seedance-2-0-260128",)
    out = run("-p", "sim-byteplus", "--json", "models", "--remote")
    assert out.exit_code == 0, out.stderr
    listing = json.loads(out.stdout)
    standing = {m["name"]: m for m in listing["models"]}
    assert standing["dreamina-seedance-2-0-260128"]["standing"] == "known"
    assert standing["dreamina-seedance-2-0-260128"]["family"] == "seedance-2.0"
    assert standing["dreamina-seedance-2-5-260628"]["status"] == "NotActivated"
    assert standing["seedance-1-5-pro-251215"]["standing"] == "retired"
    assert standing["doubao-seedance-2-0-260128"]["standing"] == "new"  # not a BytePlus name
    assert listing["cached"] is False and "the live list of profile" in out.stderr
    table = run("-p", "sim-byteplus", "models", "--remote")
    assert "dreamina-seedance-2-0-260128\tknown\tActive\tseedance-2.0" in table.stdout
    assert sim.creates() == []


def test_a_model_the_provider_no_longer_lists_is_gone(run, sim, monkeypatch):
    from seedance.sim.limits import table

    services = table().services["ark"]
    monkeypatch.delitem(services.models, "dreamina-seedance-2-0-mini-260615")
    listing = json.loads(run("-p", "sim-byteplus", "--json", "models", "--remote").stdout)
    gone = [m for m in listing["models"] if m["standing"] == "gone"]
    assert [m["name"] for m in gone] == ["dreamina-seedance-2-0-mini-260615"]


class Unreachable(httpx.BaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route to host", request=request)


def test_the_cached_list_is_shown_with_its_date_when_the_provider_is_unreachable(run, sim, world):
    first = json.loads(run("-p", "sim-byteplus", "--json", "models", "--remote").stdout)
    world.transport = Unreachable()
    world.clock.advance(3600)
    out = run("-p", "sim-byteplus", "--json", "models", "--remote")
    assert out.exit_code == 0, out.stderr
    cached = json.loads(out.stdout)
    assert cached["cached"] is True and cached["fetched_at"] == first["fetched_at"]
    assert "could not be reached: its list as of" in out.stderr
    assert cached["models"] == first["models"]


def test_without_a_cache_an_unreachable_provider_is_a_network_error(run, sim, world):
    world.transport = Unreachable()
    out = run("-p", "sim-byteplus", "models", "--remote")
    assert out.exit_code == 4


def test_a_gateway_lists_its_models_at_v1_models(run, sim):
    out = run("-p", "sim-easyrouter", "--json", "models", "--remote")
    assert out.exit_code == 0, out.stderr
    standing = {m["name"]: m["standing"] for m in json.loads(out.stdout)["models"]}
    assert standing["dreamina-seedance-2-0"] == "known"


def test_a_gateway_without_a_model_list_says_so(run, sim):
    from seedance.sim.app import FaultRule

    sim.inject(FaultRule("GET", "/v1/models$", 404, {"error": {"message": "no such path"}}))
    out = run("-p", "sim-easyrouter", "models", "--remote")
    assert out.exit_code == 2 and "answered 404 for its model list" in out.stderr
