"""`seedance mcp` driven by the SDK's own client over stdio (a real subprocess), against the
simulator's loopback server, whose clock the test moves: tasks run only when it says so.

One server serves the whole module (each start costs seconds); a second one is killed in the
middle of a wait. Every reply is checked for secrets on its way in.
"""

from __future__ import annotations

import base64
import os
import re
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pytest
import tomli_w
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp.client.stdio import StdioServerParameters, stdio_client

from mcp import ClientSession, MCPError
from seedance.domain.clock import FakeClock
from seedance.mcp.tools import BY_NAME
from seedance.sim.app import SimConfig, Simulator
from seedance.sim.server import SimServer
from support import KEYS, credential_leaks, result_requests, sim_profiles

TOKEN = "sim-token-not-for-agents"
SECRETS = (TOKEN, *KEYS.values())
SIGNED = re.compile(r"https?://[^\s\"']*\?(?!…)")  # a URL with its query still on
LATER = 30.0  # sim seconds after which every task made so far has ended

STORYBOARD = """\
[defaults]
duration = 5

[[shots]]
id = "dawn"
prompt = "A paper boat on calm water at dawn"

[[shots]]
id = "bridge"
prompt = "The boat drifts under an old stone bridge"
"""


@dataclass
class Reply:
    document: dict[str, Any]
    text: str
    error: bool
    images: list[bytes]
    progress: list[str] = field(default_factory=list)


@dataclass
class Place:
    root: Path
    environ: dict[str, str]

    @property
    def data_dir(self) -> Path:
        return Path(self.environ["SEEDANCE_DATA_DIR"])


class Server:
    """A `seedance mcp` process and the session talking to it, from synchronous tests."""

    def __init__(self, portal: BlockingPortal, session: ClientSession) -> None:
        self.portal = portal
        self.session = session

    def tools(self) -> dict[str, Any]:
        return {t.name: t for t in self.portal.call(self.session.list_tools).tools}

    def call(self, name: str, arguments: dict[str, Any], *, timeout: float = 60) -> Reply:
        progress: list[str] = []

        async def heard(_done: float, _total: float | None, message: str | None) -> None:
            progress.append(message or "")

        async def call() -> Any:
            return await self.session.call_tool(
                name, arguments, read_timeout_seconds=timeout, progress_callback=heard
            )

        found = self.portal.call(call)
        texts = [c.text for c in found.content if c.type == "text"]
        images = [base64.b64decode(c.data) for c in found.content if c.type == "image"]
        everything = "\n".join([*texts, *progress, repr(found.structured_content)])
        assert not [s for s in SECRETS if s in everything], everything
        assert not SIGNED.search(everything), everything
        return Reply(found.structured_content or {}, texts[0], found.is_error, images, progress)


@contextmanager
def serving(place: Place, **extra: str) -> Iterator[Server]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "seedance", "-p", "sim-byteplus", "mcp"],
        cwd=str(place.root),
        env={**place.environ, **extra},
    )
    with tempfile.TemporaryFile("w+") as errlog:

        @asynccontextmanager
        async def connected() -> AsyncIterator[ClientSession]:
            async with (
                stdio_client(params, errlog=errlog) as (read, write),
                ClientSession(read, write, read_timeout_seconds=60) as session,
            ):
                with anyio.fail_after(60):
                    await session.initialize()
                yield session

        try:
            with (
                start_blocking_portal() as portal,
                portal.wrap_async_context_manager(connected()) as session,
            ):
                yield Server(portal, session)
        finally:
            errlog.seek(0)
            logged = errlog.read()
        assert "Traceback" not in logged, logged


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    simulator = Simulator(
        SimConfig(queue_seconds=1, run_seconds=4, generate_media=False), clock=FakeClock()
    )
    with SimServer(sim=simulator):
        yield simulator
    assert not credential_leaks(result_requests([simulator], None))


@pytest.fixture(scope="module")
def place(sim: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Place:
    root = tmp_path_factory.mktemp("mcp")
    environ = {
        "SEEDANCE_CONFIG_DIR": str(root / "config"),
        "SEEDANCE_DATA_DIR": str(root / "data"),
        "SEEDANCE_CLOCK": "fake",  # the server's waits take no time
        "HOME": str(root / "home"),
        "PATH": os.environ.get("PATH", ""),
        "NO_COLOR": "1",
        **KEYS,
    }
    profiles = root / "config" / "profiles.toml"
    profiles.parent.mkdir(parents=True)
    profiles.write_bytes(tomli_w.dumps(sim_profiles(sim.api_origin, TOKEN)).encode())
    profiles.chmod(0o600)
    return Place(root, environ)


@pytest.fixture(scope="module")
def server(place: Place) -> Iterator[Server]:
    with serving(place) as running:
        yield running


def test_the_tools_take_the_commands_parameters_and_state_the_cap(server):
    tools = server.tools()
    assert set(tools) == set(BY_NAME)
    assert tools["create_video"].input_schema == BY_NAME["create_video"].input_schema()
    description = tools["create_video"].description
    assert "at most $" in description and "one 10 s 1080p clip of" in description


def test_a_video_is_made_waited_for_in_turns_saved_and_never_paid_twice(server, sim, place):
    before = len(sim.creates())
    boat = {"prompt": "a paper boat", "duration": 5, "request_id": "boat"}
    made = server.call("create_video", boat)
    assert not made.error and made.document["task"]["status"] == "queued", made.text
    assert made.document["estimate"].endswith("≈ $0.76")  # 5 s of 720p
    task_id = made.document["task"]["id"]
    assert server.call("create_video", boat).document["task"]["id"] == task_id  # a retry

    waiting = server.call("wait_for_tasks", {"task_ids": [task_id], "timeout": 10})
    assert not waiting.error and "keeps running" in waiting.text
    assert waiting.document["next"] == {
        "tool": "wait_for_tasks",
        "arguments": {"task_ids": [task_id]},
    }
    assert f"task {task_id}: queued" in waiting.progress

    sim.clock.advance(LATER)
    saved = server.call("wait_for_tasks", {"task_ids": [task_id]})
    clip = place.data_dir / "videos" / "boat.mp4"  # where the create said
    assert not saved.error and saved.document["download"]["path"] == str(clip), saved.text
    assert saved.document["video"] == saved.document["download"]  # the earlier name, kept
    assert clip.read_bytes()[4:8] == b"ftyp"
    assert len(saved.images) == 2 and all(i.startswith(b"\xff\xd8") for i in saved.images)

    again = server.call("create_video", boat)
    assert again.document["origin"] == "saved-before" and again.document["task"]["id"] == task_id
    looked = server.call("get_task", {"task_id": task_id})
    assert looked.document["task"]["video_url"].endswith("?…")
    assert looked.document["output"] == str(clip)
    copied = server.call("download_video", {"task_id": task_id, "output": "copy.mp4"})
    copy = place.data_dir / "videos" / "copy.mp4"  # relative: in the server's output folder
    assert Path(copied.document["video"]["path"]) == copy
    assert copy.read_bytes() == clip.read_bytes()
    assert len(sim.creates()) == before + 1

    other = server.call("create_video", {**boat, "prompt": "a ship"})
    assert other.error and other.document["error"]["field"] == "request_id"
    moved = server.call("create_video", {**boat, "output": "elsewhere.mp4"})
    [step] = moved.document["error"]["suggestions"]  # the next step, as a tool call
    assert step == {"tool": "create_video", "arguments": {**boat, "output": str(clip)}}
    assert 'call create_video with prompt="a paper boat"' in moved.text
    assert len(sim.creates()) == before + 1


def test_a_failed_task_comes_back_as_an_error_with_its_reason(server, sim):
    made = server.call("create_video", {"prompt": "a storm #fail", "duration": 5, "wait": True})
    assert not made.error and made.document["next"]["tool"] == "wait_for_tasks"
    sim.clock.advance(LATER)
    failed = server.call("wait_for_tasks", made.document["next"]["arguments"])
    assert failed.error and "sensitive content" in failed.text
    assert failed.document["error"]["code"] == "OutputVideoSensitiveContentDetected"
    queued = server.call("create_video", {"prompt": "a calm sea", "duration": 5})
    cancelled = server.call("cancel_task", {"task_ids": [queued.document["task"]["id"]]})
    assert not cancelled.error and cancelled.document["results"][0]["result"] == "cancelled"


def test_a_create_above_the_cap_is_refused_and_nothing_is_sent(server, sim):
    before = len(sim.creates())
    big = server.call(
        "create_video", {"prompt": "a long film", "duration": 15, "resolution": "1080p"}
    )
    assert big.error and big.document["error"]["code"] == "over_budget"
    assert big.document["error"]["field"] == "max_cost"
    assert "without max_cost" in big.text
    small = server.call("create_video", {"prompt": "a clip", "duration": 5, "max_cost": 0.01})
    assert small.error and small.document["error"]["code"] == "over_budget"
    bad = server.call("create_video", {"prompt": "a clip", "duration": "long"})
    assert bad.error and bad.document["error"]["field"] == "duration"
    assert len(sim.creates()) == before


def test_a_storyboard_is_planned_for_free_then_run_in_turns(server, sim):
    before = len(sim.creates())
    plan = server.call("plan_storyboard", {"storyboard": STORYBOARD})
    assert not plan.error and [s["id"] for s in plan.document["shots"]] == ["dawn", "bridge"]
    assert plan.document["total"]["cost"] > 0 and "nothing was sent" in plan.text
    assert len(sim.creates()) == before
    run = {"storyboard": STORYBOARD, "timeout": 10}
    for _turn in range(4):  # dawn, then bridge from dawn's last frame: a turn each, and one
        turned = server.call("run_storyboard", run)
        assert not turned.error, turned.text
        if "next" not in turned.document:
            break
        assert turned.document["next"] == {"tool": "run_storyboard", "arguments": run}
        sim.clock.advance(LATER)
    assert "every shot is done" in turned.text
    assert len(turned.images) == 2 and len(sim.creates()) == before + 2


def test_the_catalogue_the_ledger_and_the_set_up(server):
    models = server.call("list_models", {})
    assert any(m["prices_per_million_tokens"] for m in models.document["models"])
    spent = server.call("spend", {"by": "model"})
    assert not spent.error and spent.document["groups"]
    local = server.call("list_tasks", {"local": True, "limit": 3})
    assert len(local.document["entries"]) == 3
    checked = server.call("doctor", {})
    failing = [c["check"] for c in checked.document["checks"] if c["status"] == "fail"]
    assert failing == ["clock"], checked.text  # the simulator's clock is the test's, months off
    assert checked.error and checked.text.startswith("failed: clock\n")


def test_a_server_killed_in_a_wait_leaves_a_task_the_next_one_delivers(server, sim, place):
    before = len(sim.creates())
    ask = {"prompt": "a lighthouse", "duration": 5, "wait": True, "request_id": "light"}
    with serving(place, SEEDANCE_CRASH_AT="mcp-waiting") as doomed, pytest.raises(MCPError):
        doomed.call("create_video", ask)  # killed (kill -9) at its first look at the task
    assert len(sim.creates()) == before + 1
    sim.clock.advance(LATER)
    journal = server.call("list_tasks", {"local": True})
    [entry] = [e for e in journal.document["entries"] if e["label"] == "request:light"]
    saved = server.call("wait_for_tasks", {"task_ids": [entry["task_id"]]})
    assert saved.document["video"]["path"] == str(place.data_dir / "videos" / "light.mp4")
    again = server.call("create_video", ask)
    assert again.document["origin"] == "saved-before"
    assert len(sim.creates()) == before + 1


def test_edit_and_extend_videos_as_tools(server, sim):
    """edit_video and extend_video (issue 26): the task type's body, checked before anything is
    paid; a refusal from the catalogue names its rule and how to send it anyway."""
    before = len(sim.creates())
    video = "https://example.com/clip.mp4"
    dry = server.call("edit_video", {"video": video, "prompt": "make it night", "dry_run": True})
    assert not dry.error, dry.text
    body = dry.document["request"]
    assert body["omni_reference_task_type"] == "edit" and body["ratio"] == "adaptive"
    assert body["duration"] == -1 and body["model"] == "dreamina-seedance-2-5-260628"
    assert body["content"][1]["video_url"]["url"] == video
    wrong = server.call("extend_video", {"video": video, "model": "2.0", "dry_run": True})
    assert wrong.error and wrong.document["error"]["rule"]["name"] == "seedance-2.0.task_types"
    assert "no_validate=true" in wrong.text
    # a video by URL the simulator cannot measure: under the call's cap its estimate is only
    # a lower bound, which the agent accepts (issue 23, finding 9)
    ask = {"video": video, "prompt": "and on", "duration": 5, "wait": True}
    refused = server.call("extend_video", ask)
    assert refused.error and refused.document["error"]["code"] == "lower_bound"
    made = server.call("extend_video", {**ask, "allow_unpriced": True})
    assert not made.error, made.text
    sent = sim.creates()[-1].json()
    assert sent["omni_reference_task_type"] == "extend" and sent["duration"] == 5
    assert len(sim.creates()) == before + 1
