"""Issue 23, findings 4 and 5: a server that echoes the secrets this process knows, wrapped in
terminal escapes, into every text field of every answer (tests/hostile.py). No output, no
file and no MCP reply may show a secret, and none may carry a terminal control.

Each secret the process knows is a row of SECRETS: how the world gets it, and its value. A
new kind of secret (a database password from a state URL, object-storage keys) is one more
row, and the sweep covers it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hostile import CONTROL_BYTES, ESCAPES, Hostile
from seedance.sim.app import SimConfig
from seedance.sim.server import SimServer
from support import Outcome, World, png, run_process, sim_profiles

# (what it is, the environment variable the world sets it in, its value)
SECRETS: list[tuple[str, str, str]] = [
    ("API key", "HOSTILE_KEY", "sk-hostile-api-key-0123456789abcdef"),
    ("asset library secret key", "VOLC_SECRETKEY", "hostile-secret-key-ZmVkY2JhOTg3NjU0"),
    ("asset library access key", "VOLC_ACCESSKEY", "AKLThostileaccesskey0042"),
    # the shared state's password (the server trusts loopback: any password connects)
    ("database password", "PGPASSWORD", "hostile-db-password-5f3e9a"),
    # the bucket local media are published to (nothing listens there: no upload is made)
    ("storage secret key", "AWS_SECRET_ACCESS_KEY", "hostile-aws-secret-9c1d77e2"),
]
VALUES = [value for _what, _env, value in SECRETS]
PLANTED = f"[{'|'.join(VALUES)}] {ESCAPES}"
PROFILE = "hostile"

STORYBOARD = """\
[[shots]]
id = "dawn"
prompt = "A paper boat at dawn"

[[shots]]
id = "dusk"
prompt = "The boat at dusk #fail"
continue = false
"""


@pytest.fixture
def hostile(world: World, state_url: str) -> Iterator[tuple[SimServer, Hostile]]:
    """A loopback simulator whose every answer echoes PLANTED; a `hostile` profile on it
    whose secrets come from the environment (profiles.toml holds none of them), its state
    shared on PostgreSQL."""
    world.environ["SEEDANCE_STATE_URL"] = state_url
    server = SimServer(
        SimConfig(queue_seconds=0, run_seconds=0, asset_seconds=0, generate_media=False)
    )
    with server:
        entry = dict(sim_profiles(server.api_url)["profiles"]["sim-byteplus"])
        entry.pop("api_key")
        entry["api_key_env"] = "HOSTILE_KEY"
        entry["storage"] = "s3://hostile-bucket/media"
        entry["storage_endpoint"] = "http://127.0.0.1:9"
        world.environ["AWS_ACCESS_KEY_ID"] = "AKIAHOSTILE0000"
        world.write_profiles({"default_profile": PROFILE, "profiles": {PROFILE: entry}})
        for _what, env, value in SECRETS:
            world.environ[env] = value
        yield server, Hostile(server.sim, PLANTED)


def leaks(text: str) -> list[str]:
    """What of the planted text `text` still shows: a secret, or a terminal control."""
    found = [what for what, _env, value in SECRETS if value in text]
    return found + [repr(c) for c in CONTROL_BYTES if c in text]


def files_with_leaks(root: Path) -> dict[str, list[str]]:
    found = {}
    for path in root.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            problems = [what for what, _env, value in SECRETS if value in text]
            if path.suffix in (".json", ".html", ".jsonl", ".txt", ".toml"):
                problems += [repr(c) for c in CONTROL_BYTES if c in text]
            if problems:
                found[str(path.relative_to(root))] = problems
    return found


def test_no_secret_or_terminal_control_a_server_sends_reaches_an_output_a_file_or_a_reply(
    world: World, hostile: tuple[SimServer, Hostile]
) -> None:
    server, _hostile = hostile
    outcomes: dict[str, Outcome] = {}

    def run(name: str, *args: str, expect: int | None = 0) -> Outcome:
        outcome = world.run("-p", PROFILE, *args)
        outcomes[name] = outcome
        if expect is not None:
            assert outcome.exit_code == expect, (name, outcome.exit_code, outcome.stderr)
        return outcome

    # creates: the answer, the wait, the download, the journal, the record beside the video
    made = run("create", "create", "a boat", "--json")
    task_id = json.loads(made.stdout)["id"]
    run("create -o", "create", "a boat at dawn", "-o", "boat.mp4", "-v")
    run("create -o --json", "--json", "create", "a boat at dusk", "-o", "dusk.mp4")
    run("status", "status", task_id, expect=None)
    run("status --json -v", "--json", "-v", "status", task_id, expect=None)
    run("wait", "wait", task_id, expect=None)
    server.sim.fail_next()
    failed = json.loads(run("create failing", "--json", "create", "a storm").stdout)["id"]
    run("wait failed", "wait", failed, expect=5)
    run("wait failed --json", "--json", "wait", failed, "-o", "storm.mp4", expect=5)
    server.sim.fail_next()
    run("create -o failing", "create", "a storm again", "-o", "storm2.mp4", expect=5)
    run("tasks list", "tasks", "list")
    run("tasks list --json", "--json", "tasks", "list")
    run("tasks list --local", "tasks", "list", "--local", "--json")
    # a batch and a storyboard with a failing row, and their review pages
    (world.root / "jobs.jsonl").write_text(
        '{"id": "calm", "prompt": "calm water"}\n{"id": "rough", "prompt": "rough water #fail"}\n'
    )
    run("batch", "batch", "jobs.jsonl", "-o", "jobs", expect=None)
    run("review batch", "review", "jobs", expect=None)
    (world.root / "shots.toml").write_text(STORYBOARD)
    run("chain", "chain", "shots.toml", "-o", "film", expect=None)
    run("review chain", "review", "film", expect=None)
    # the asset library (signed with the access key pair)
    (world.root / "lamp.png").write_bytes(png())
    uploaded = run("assets upload", "--json", "assets", "upload", "https://example.com/a.png")
    asset_id = json.loads(uploaded.stdout)["id"]
    run("assets get", "assets", "get", asset_id)
    run("assets list", "assets", "list")
    run("assets list --json", "--json", "assets", "list")
    run("assets groups", "assets", "groups")
    # the free reads: the model list and the probe
    run("doctor --probe-models", "doctor", "--probe-models", expect=None)
    # a 401 whose message quotes the key, on a create and on a read
    refusal = {"error": {"code": "AuthenticationError", "message": f"bad key {VALUES[0]}"}}
    for method, path in (("POST", "/tasks$"), ("GET", "/tasks/")):
        server.sim.inject(_fault(method, path, 401, refusal))
    run("create 401", "create", "a boat", expect=3)
    run("status 401 --json", "--json", "status", task_id, expect=3)
    # the same in a process of its own, with its traceback (SEEDANCE_DEBUG) and HTTP log on
    server.sim.inject(_fault("GET", "/tasks/", 401, refusal))
    debug = run_process(world, "-p", PROFILE, "-v", "status", task_id, debug="1")
    assert "Traceback" in debug.stderr and "AuthError" in debug.stderr, debug.stderr
    outcomes["status 401, SEEDANCE_DEBUG=1, -v"] = debug

    for name, outcome in outcomes.items():
        assert outcome.exception is None, (name, outcome.exception)
        assert not leaks(outcome.stdout + outcome.stderr), (name, outcome.stdout, outcome.stderr)
    # the texts did come through, cleaned: a forged line stays on the line it came on
    assert "forged line" in outcomes["wait failed"].stderr
    assert not any(
        line.startswith("error: forged") for line in outcomes["wait failed"].stderr.splitlines()
    ), outcomes["wait failed"].stderr

    replies = mcp_replies(world, server, task_id, failed)
    for tool, reply in replies.items():
        assert not leaks(reply), (tool, reply)

    assert files_with_leaks(world.root) == {}
    assert (world.root / "jobs" / "review.html").exists()
    assert (world.root / "film" / "review.html").exists()


def _fault(method: str, path: str, status: int, body: dict[str, Any]) -> Any:
    from seedance.sim.app import FaultRule

    return FaultRule(method, path, status, body)


def mcp_replies(world: World, server: SimServer, task_id: str, failed: str) -> dict[str, str]:
    """Every MCP tool that reads an answer, in process, each reply as the agent sees it."""
    from seedance.mcp.calls import Call, Calls, Settings

    (world.root / "mcp").mkdir(exist_ok=True)
    calls = Calls(Settings(PROFILE, world.environ, world.root, world.root / "mcp", world.clock))
    server.sim.fail_next()
    asks: list[tuple[str, dict[str, Any]]] = [
        ("create_video", {"prompt": "a lantern", "wait": True, "output": "mcp/lantern.mp4"}),
        ("create_video", {"prompt": "a storm at sea", "wait": True}),
        ("get_task", {"task_id": task_id}),
        ("get_task", {"task_id": failed}),
        ("wait_for_tasks", {"task_ids": [task_id, failed]}),
        ("download_video", {"task_id": task_id, "output": "mcp/again.mp4"}),
        ("list_tasks", {}),
        ("list_tasks", {"remote": True}),
        ("list_models", {"remote": True}),
        ("doctor", {"probe_models": True}),
    ]
    said: dict[str, str] = {}
    for n, (tool, arguments) in enumerate(asks):
        reply: Callable[..., Any] = calls.run
        answer = reply(tool, Call(), arguments)
        said[f"{n} {tool}"] = answer.worded() + "".join(p.caption for p in answer.pictures)
    return said
