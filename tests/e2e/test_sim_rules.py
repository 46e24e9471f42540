"""The simulator keeps its own rules (sim/data/services.toml), written from the documents, so a
wrong entry in the client's catalogue fails against it; and it answers what the live services
answer (docs/sources/live-research.md §5-§9)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest

from seedance.domain.catalogue import catalogue
from seedance.domain.clock import FakeClock
from seedance.sim.app import API_ORIGIN, SimConfig, Simulator

TASKS = API_ORIGIN + "/api/v3/contents/generations/tasks"
TEXT = {"type": "text", "text": "a paper boat"}


def image(role: str | None, url: str = "https://example.com/a.png") -> dict[str, Any]:
    item: dict[str, Any] = {"type": "image_url", "image_url": {"url": url}}
    if role:
        item["role"] = role
    return item


def audio(url: str = "https://example.com/a.mp3") -> dict[str, Any]:
    return {"type": "audio_url", "audio_url": {"url": url}, "role": "reference_audio"}


@pytest.fixture
def api() -> Any:
    clock = FakeClock()
    sim = Simulator(SimConfig(queue_seconds=1, run_seconds=1, generate_media=False), clock=clock)
    client = httpx.Client(transport=sim.transport(), headers={"Authorization": "Bearer k"})
    client.sim = sim  # type: ignore[attr-defined]
    client.clock = clock  # type: ignore[attr-defined]
    yield client
    client.close()


def post(api: Any, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = api.post(TASKS, json=body)
    return response.status_code, response.json()


# -- its limits are its own ------------------------------------------------------------------


def test_a_wrong_client_duration_is_refused_by_the_simulator(run, sim, monkeypatch):
    """Widen 2.0's duration in the client's catalogue: the client lets 20 s through, and the
    simulator, whose table is its own, refuses it."""
    cat = catalogue()
    wrong = replace(cat.families["seedance-2.0"], duration_max=20)
    monkeypatch.setitem(cat.families, "seedance-2.0", wrong)
    result = run("create", "a boat", "-d", "20")
    assert result.exit_code == 3, result
    assert "duration 20 is out of range [4, 15]" in result.stderr
    assert sim.creates() == []


def test_a_model_only_the_client_knows_is_not_found_by_the_simulator(run, sim, monkeypatch):
    vocab = catalogue().vocabularies["byteplus"]
    monkeypatch.setitem(vocab.models, "dreamina-seedance-2-0-991231", "seedance-2.0")
    result = run("create", "a boat", "-m", "dreamina-seedance-2-0-991231")
    assert result.exit_code == 3
    assert "InvalidEndpointOrModel.NotFound" in result.stderr
    assert "check its name" in result.stderr  # the advice for that code


def test_a_wrong_client_4k_cell_is_refused_by_the_simulator(run, sim, monkeypatch):
    cat = catalogue()
    fast = cat.families["seedance-2.0-fast"]
    monkeypatch.setitem(cat.families, "seedance-2.0-fast", replace(fast, resolutions=("4k",)))
    result = run("create", "a boat", "-m", "fast", "-r", "4k")
    assert result.exit_code == 3 and "InvalidResolutionParameter" in result.stderr


# -- the free probe, GET /models -------------------------------------------------------------


def test_the_probe_answers_as_recorded(api):
    """live-research.md §6: the three answers to a body with only `model`."""
    api.sim.config.open_models = ("dreamina-seedance-2-0-260128",)
    status, usable = post(api, {"model": "dreamina-seedance-2-0-260128"})
    assert status == 400
    assert usable["error"]["code"] == "MissingParameter"
    assert usable["error"]["param"] == "content" and usable["error"]["type"] == "BadRequest"
    assert usable["error"]["message"].startswith(
        "The request failed because it is missing `content` parameter. Request id: "
    )
    status, closed = post(api, {"model": "dreamina-seedance-2-5-260628"})
    assert status == 404 and closed["error"]["code"] == "ModelNotOpen"
    assert closed["error"]["type"] == "Not Found"
    assert "has not activated the model dreamina-seedance-2-5-260628" in closed["error"]["message"]
    status, missing = post(api, {"model": "dreamina-seedance-9-9"})
    assert status == 404 and missing["error"] == {
        "code": "InvalidEndpointOrModel.NotFound",
        "message": "The model or endpoint dreamina-seedance-9-9 does not exist or you do not "
        "have access to it.",
        "param": "",
        "type": "Not Found",
    }
    assert api.sim.creates() == []  # nothing was made


def test_an_endpoint_id_serves_its_model(api):
    api.sim.config.endpoints["ep-20260101-abc"] = "doubao-seedance-2-0-260128"
    assert post(api, {"model": "ep-20260101-abc"})[1]["error"]["code"] == "MissingParameter"
    status, made = post(api, {"model": "ep-20260101-abc", "content": [TEXT], "duration": 15})
    assert status == 200 and made["id"].startswith("cgt-")
    status, refused = post(api, {"model": "ep-20260101-abc", "content": [TEXT], "duration": 30})
    assert status == 400 and refused["error"]["code"] == "invalid_duration"


def test_the_model_list(api):
    api.sim.config.open_models = ("dreamina-seedance-2-0-260128",)
    listed = api.get(API_ORIGIN + "/api/v3/models").json()
    by_id = {m["id"]: m for m in listed["data"]}
    assert by_id["dreamina-seedance-2-0-260128"]["status"] == "Active"
    assert by_id["dreamina-seedance-2-5-260628"]["status"] == "NotActivated"
    assert by_id["seedance-1-5-pro-251215"]["status"] == "Shutdown"


# -- the rules the live API enforces ---------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ([TEXT, image("first_frame"), image("reference_image")], "cannot be mixed with reference"),
        ([TEXT, image(None), audio()], "cannot be mixed with reference media"),  # no role: frame
        ([TEXT, image("last_frame")], "last frame image content cannot be mixed"),
        ([TEXT, audio()], "reference_audio cannot be the only reference input"),
    ],
)
def test_refusals_of_the_official_api(api, content, message):
    status, body = post(api, {"model": "dreamina-seedance-2-0-260128", "content": content})
    assert status == 400 and message in body["error"]["message"]


@pytest.mark.parametrize(
    ("model", "extra", "code"),
    [
        ("dreamina-seedance-2-0-260128", {"draft": True}, "InvalidParameter"),
        ("dreamina-seedance-2-0-260128", {"service_tier": "flex"}, "InvalidParameter"),
        ("dreamina-seedance-2-0-260128", {"output_format": "mov"}, "InvalidParameter"),
        (
            "dreamina-seedance-2-5-flash-261115",
            {"resolution": "1080p"},
            "InvalidResolutionParameter",
        ),
        ("dreamina-seedance-2-5-flash-261115", {"draft": True}, "InvalidParameter"),
        ("dreamina-seedance-2-0-260128", {"omni_reference_task_type": "edit"}, "InvalidParameter"),
        (
            "dreamina-seedance-2-5-260628",
            {"omni_reference_task_type": "extend"},
            "InvalidParameter.TaskTypeMismatch",
        ),
        (
            "dreamina-seedance-2-5-260628",
            {"draft": True, "resolution": "720p"},
            "InvalidResolutionParameter",
        ),
        ("doubao-seedance-1-5-pro-251215", {"priority": 3}, "InvalidParameter"),
        ("seedance-1-5-pro-251215", {}, "InvalidEndpointOrModel.NotFound"),  # shut down
    ],
)
def test_what_each_model_refuses(api, model, extra, code):
    status, body = post(api, {"model": model, "content": [TEXT], **extra})
    assert status in (400, 404) and body["error"]["code"] == code


@pytest.mark.parametrize(
    ("model", "extra"),
    [
        ("dreamina-seedance-2-5-260628", {"duration": 30, "output_format": "mov"}),
        ("dreamina-seedance-2-0-260128", {"resolution": "4k"}),
        ("doubao-seedance-2-5-260628", {"resolution": "4k"}),
        ("dreamina-seedance-2-5-260628", {"draft": True}),
        ("dreamina-seedance-2-5-260628", {"resolution": "4k"}),  # November: BPSA v0.9.0
        ("dreamina-seedance-2-5-flash-261115", {"resolution": "720p", "duration": 30}),
        ("dreamina-seedance-2-5-premium-260915", {"resolution": "4k"}),  # folded, still served
    ],
)
def test_what_the_live_models_take(api, model, extra):
    assert post(api, {"model": model, "content": [TEXT], **extra})[0] == 200
    status, _ = post(api, {"model": "dreamina-seedance-2-5-260628", "content": [TEXT, audio()]})
    assert status == 200  # 2.5 takes audio alone


def test_a_final_is_made_from_a_succeeded_draft(api):
    model = "dreamina-seedance-2-5-260628"
    draft = post(api, {"model": model, "content": [TEXT], "draft": True, "duration": 6})[1]["id"]
    final = {"model": model, "content": [{"type": "draft_task", "draft_task": {"id": draft}}]}
    status, early = post(api, final)
    assert status == 400 and "has not succeeded" in early["error"]["message"]
    api.clock.advance(5)
    status, bad = post(api, {**final, "resolution": "720p"})
    assert status == 400 and bad["error"]["code"] == "InvalidResolutionParameter"
    status, kept = post(api, {**final, "duration": 10})
    assert status == 400 and "duration is the draft's" in kept["error"]["message"]
    status, made = post(api, {**final, "output_format": "mov"})
    assert status == 200
    api.clock.advance(5)
    task = api.get(f"{TASKS}/{made['id']}").json()
    assert task["draft_task_id"] == draft and task["output_format"] == "mov"
    assert (task["resolution"], task["duration"]) == ("1080p", 6)
    assert task["content"]["video_url"].split("?")[0].endswith(".mov")
    plain = post(api, {"model": model, "content": [TEXT]})[1]["id"]
    api.clock.advance(5)
    status, not_draft = post(
        api, {**final, "content": [{"type": "draft_task", "draft_task": {"id": plain}}]}
    )
    assert status == 400 and "is not a draft" in not_draft["error"]["message"]
    api.clock.advance(8 * 86400)
    status, old = post(api, final)
    assert status == 400 and "expired" in old["error"]["message"]


def test_task_types_are_checked_when_the_request_is_made(api):
    """real-world.md "November 2026": edit and extend need a reference video and ratio
    adaptive, an edit duration -1 (InvalidParameter.TaskTypeConstraint); a first frame on 2.5
    with a concrete ratio is not refused (one source says so, none confirms it)."""
    video = {
        "type": "video_url",
        "video_url": {"url": "https://a/v.mp4"},
        "role": "reference_video",
    }
    edit = {
        "model": "dreamina-seedance-2-5-260628",
        "content": [TEXT, video],
        "omni_reference_task_type": "edit",
    }
    assert post(api, {**edit, "ratio": "adaptive", "duration": -1})[0] == 200
    assert post(api, edit)[0] == 200  # ratio and duration left to the server
    status, wide = post(api, {**edit, "ratio": "16:9"})
    assert status == 400 and wide["error"]["code"] == "InvalidParameter.TaskTypeConstraint"
    status, long = post(api, {**edit, "duration": 8})
    assert status == 400 and long["error"]["code"] == "InvalidParameter.TaskTypeConstraint"
    extend = {**edit, "omni_reference_task_type": "extend", "duration": 8, "ratio": "adaptive"}
    assert post(api, extend)[0] == 200
    first = {"type": "image_url", "image_url": {"url": "https://a/f.png"}, "role": "first_frame"}
    framed = {"model": "dreamina-seedance-2-5-260628", "content": [TEXT, first], "ratio": "16:9"}
    assert post(api, framed)[0] == 200


def test_a_refusal_seedance_cannot_judge_locally_names_the_fix(run, sim):
    """2.5 video-edit tasks take only duration -1 (live-research.md §9): not checked before
    sending, but the server's refusal says what to change."""
    from seedance.sim.app import FaultRule

    refusal = {
        "error": {
            "code": "InvalidParameter.TaskTypeConstraint",
            "message": "the task is determined as video editing; duration must be -1",
            "param": "duration",
            "type": "BadRequest",
        }
    }
    sim.inject(FaultRule("POST", "/tasks$", 400, refusal))
    out = run("create", "edit it", "-m", "2.5", "-d", "8", "--video", "https://a/v.mp4")
    assert out.exit_code == 3
    assert "automatic duration (-1)" in out.stderr and "(--duration)" in out.stderr


def test_seedance_sim_takes_open_models_endpoints_and_a_clock_offset(run, monkeypatch):
    from seedance.cli import sim as sim_command
    from seedance.sim import server

    seen = {}

    class Captured(server.SimServer):
        def __init__(self, config, **kwargs):
            seen["config"] = config
            super().__init__(config, **kwargs)

    monkeypatch.setattr(server, "SimServer", Captured)
    monkeypatch.setattr(sim_command, "_block", lambda: None)
    out = run(
        "sim",
        "--port",
        "0",
        "--open-model",
        "dreamina-seedance-2-0-260128",
        "--endpoint",
        "ep-1=doubao-seedance-2-0-260128",
        "--clock-offset",
        "600",
    )
    assert out.exit_code == 0, out.stderr
    config = seen["config"]
    assert config.open_models == ("dreamina-seedance-2-0-260128",)
    assert config.endpoints == {"ep-1": "doubao-seedance-2-0-260128"}
    assert config.clock_offset == 600
    bad = run("sim", "--port", "0", "--endpoint", "ep-1")
    assert bad.exit_code == 2 and "is not EP=MODEL" in bad.stderr
