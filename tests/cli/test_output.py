"""Output discipline: stdout is data, --json is one document everywhere, no stray escapes."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

ESC = "\x1b["


def commands(world, run) -> list[list[str]]:
    """One successful invocation of every command, against the simulator."""
    task = run("create", "a boat").stdout.strip()
    world.clock.advance(30)
    (world.root / "clips").mkdir(exist_ok=True)
    (world.root / "board.toml").write_text('[[shots]]\nid = "a"\nprompt = "x"\n')
    return [
        ["create", "a boat"],
        ["create", "a boat", "-o", "a.mp4"],
        ["create", "a boat", "--dry-run"],
        ["status", task],
        ["wait", task],
        ["download", task, "-o", "d.mp4"],
        ["tasks", "list"],
        ["tasks", "list", "--local"],
        ["models"],
        ["profiles", "list"],
        ["profiles", "show"],
        ["profiles", "add", "extra", "--preset", "demo"],
        ["profiles", "use", "sim-byteplus"],
        ["assets", "upload", "https://example.com/a.png"],
        ["assets", "list"],
        ["assets", "groups"],
        ["assets", "groups", "create", "more"],
        ["chain", "board.toml"],
        ["chain", "board.toml", "--dry-run"],
        ["cancel", task],
        ["profiles", "remove", "extra"],
    ]


def test_json_on_every_command_parses(run, sim, world):
    for args in commands(world, run):
        result = run("--json", *args)
        assert result.exit_code == 0, (args, result.stderr)
        json.loads(result.stdout)  # exactly one document


@pytest.mark.parametrize(
    "args",
    [
        ["status", "cgt-missing"],
        ["create", "x", "-d", "99"],
        ["create", "x", "--bogus"],
        ["wait", "cgt-missing"],
        ["download", "cgt-missing"],
        ["cancel", "cgt-missing"],
        ["tasks", "list", "--status", "nope"],
        ["assets", "get", "asset-missing"],
        ["profiles", "show", "nope"],
        ["chain", "missing.toml"],
        ["-p", "nope", "models"],
    ],
)
def test_json_errors_parse_with_the_exit_code(run, sim, args):
    result = run("--json", *args)
    assert result.exit_code != 0
    error = json.loads(result.stdout)["error"]
    assert error["exit_code"] == result.exit_code and error["code"] and error["message"]


def test_sim_prints_json_too(world):
    child = subprocess.Popen(
        [sys.executable, "-m", "seedance", "--json", "sim", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=world.environ,
    )
    try:
        lines = []
        for line in child.stdout:  # the document is complete at the first closing brace
            lines.append(line)
            if line.startswith("}"):
                break
        document = json.loads("".join(lines))
        assert document["api_url"].startswith("http://127.0.0.1:")
        assert document["profiles"]["sim-byteplus"]["base_url"].endswith("/api/v3")
    finally:
        child.kill()
        child.wait(timeout=10)


COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # SGR: colours and styles; cursor movement is not one


@pytest.mark.parametrize(
    ("environ", "tty"),
    [({"NO_COLOR": "1"}, True), ({}, False), ({"NO_COLOR": "1"}, False), ({"TERM": "dumb"}, False)],
)
def test_no_colour_without_a_colour_terminal(run, sim, world, environ, tty):
    """No colour codes under NO_COLOR, even on a terminal (where the live display still moves
    the cursor); no escape codes at all where there is no terminal."""
    world.environ.update(environ)
    for args in (
        ["create", "a boat", "-o", "e.mp4"],
        ["models"],
        ["tasks", "list"],
        ["create", "x", "-d", "99"],
    ):
        (world.root / "e.mp4").unlink(missing_ok=True)
        result = run(*args, stdout_tty=tty, stderr_tty=tty)
        text = result.stdout + result.stderr
        assert not COLOUR.search(text), args
        if not tty:
            assert ESC not in text, args


def test_clicolor_force_colours_stderr(run, sim, world):
    world.environ["CLICOLOR_FORCE"] = "1"
    result = run("create", "x", "-d", "99")
    assert ESC in result.stderr


def test_a_live_display_on_a_terminal_and_plain_lines_in_a_log(run, sim, world):
    live = run("create", "a boat", "-o", "l.mp4", stderr_tty=True)
    assert live.exit_code == 0 and live.stdout.strip().endswith("l.mp4")
    assert ESC in live.stderr  # drawn and redrawn in place
    logged = run("create", "a boat", "-o", "p.mp4")
    assert ESC not in logged.stderr
    assert "running" in logged.stderr and "succeeded" in logged.stderr  # one line per change


def test_quiet_prints_only_the_essential_value(run, sim, world):
    result = run("-q", "create", "a boat", "-o", "q.mp4")
    assert result.stdout.strip().endswith("q.mp4") and result.stderr == ""
    assert run("-q", "models").stdout.splitlines()[0] == "dreamina-seedance-2-0-260128"
    task = run("-q", "create", "another").stdout.strip()
    assert run("status", task, "-q").stdout.strip() == "queued"
