"""The manual's commands work as written: every `seedance …` line of the ```sh blocks of the
README and of each page of docs/ runs against the simulator, page by page in MANUAL's order,
and exits as its marker says.

A block's marker is the HTML comment just before it (invisible on GitHub):

    <!-- commands: profile sim-byteplus -->   each line runs with that profile: a line's own
                                             `-p NAME` names the account a reader would use,
                                             and the simulator's profile plays it
    <!-- commands: processes -->             each line is a real process (`&`: in the
                                             background, stopped when the block ends), with
                                             no profiles.toml: `seedance sim` provides them

A line exits 0 unless its comment says `(exits N)`. A line without a marker fails the test:
nothing is skipped silently. The files the lines name are made first (boat.png, style.png,
the README's own shots.toml, examples/), and the tasks they name (cgt-1…) exist in the
simulator.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from seedance.cli.app import app
from seedance.domain.clock import FakeClock
from support import World, sim_profiles

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"^<!-- commands: (.+?) -->$")
EXITS = re.compile(r"\(exits (\d+)\)")
DRAFT = "cgt-20260611204121-462cw"  # the README's example ids
TASKS = ("cgt-1", "cgt-2", "cgt-3")
# The manual's pages in the order their commands run (a page may use what an earlier made).
MANUAL = (
    "README.md",
    "docs/profiles.md",
    "docs/models.md",
    "docs/storyboards.md",
    "docs/videos.md",
    "docs/media.md",
    "docs/nothing-lost.md",
    "docs/ci.md",
    "docs/python.md",
    "docs/mcp.md",
    "docs/commands.md",
)


def manual() -> list[tuple[str, str]]:
    """Each page of the manual that exists (name, text), in MANUAL's order; every page of
    docs/ must be in MANUAL."""
    pages = {str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")}
    unlisted = pages - set(MANUAL)
    assert not unlisted, f"pages whose commands no test runs: {sorted(unlisted)}"
    return [(name, (ROOT / name).read_text("utf-8")) for name in MANUAL if (ROOT / name).exists()]


def whole_manual() -> str:
    return "\n".join(text for _name, text in manual())


@dataclass(frozen=True)
class Line:
    number: int
    text: str
    marker: str | None
    block: int = 0  # the line number of its block's opening fence

    @property
    def exit_code(self) -> int:
        found = EXITS.search(self.text)
        return int(found.group(1)) if found else 0


def readme_lines(text: str) -> list[Line]:
    """Every line of a ```sh block that runs seedance, with its block's marker."""
    lines: list[Line] = []
    marker: str | None = None
    fence: str | None = None  # the kind of the open code block
    opened = 0
    previous = ""
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            if fence is None:
                fence = line[3:].strip()
                opened = number
                found = MARKER.match(previous.strip())
                marker = found.group(1) if found else None
            else:
                fence = None
        elif fence == "sh" and "seedance" in segments_of(line).split():
            lines.append(Line(number, line, marker, opened))
        if line.strip():
            previous = line
    return lines


def segments_of(line: str) -> str:
    """The programs a shell line runs (`pip install . && seedance …` runs pip and seedance)."""
    words = shlex.split(line, comments=True)
    starts = [0] + [i + 1 for i, w in enumerate(words) if w in ("&&", ";", "|")]
    return " ".join(words[i] for i in starts if i < len(words))


def commands(line: Line) -> list[list[str]]:
    """The seedance commands of a line, each as its words (redirections kept)."""
    words = shlex.split(line.text, comments=True)
    found, current = [], []
    for word in [*words, "&&"]:
        if word in ("&&", ";"):
            if current and current[0] == "seedance":
                found.append(current)
            current = []
        else:
            current.append(word)
    return found


def test_every_readme_command_line_has_a_marker():
    lines = [(name, line) for name, text in manual() for line in readme_lines(text)]
    assert len(lines) >= 40  # the manual's lines, found
    unmarked = [f"{name}:{line.number}: {line.text}" for name, line in lines if line.marker is None]
    assert not unmarked, "a seedance line without a <!-- commands: ... --> marker:\n" + "\n".join(
        unmarked
    )
    kinds = {line.marker.split()[0] for _name, line in lines if line.marker}
    assert kinds <= {"profile", "processes"}, kinds


# -- running them ----------------------------------------------------------------------------


def furnish(world: World, readme: str) -> None:
    """The files the manual's lines name (`readme`: the whole manual's text)."""
    from seedance.sim.media import png_bytes

    image = png_bytes(640, 360, bytes([90, 140, 200]) * 640 * 360)
    (world.root / "boat.png").write_bytes(image)
    (world.root / "style.png").write_bytes(image)
    storyboard = readme.split("## Storyboards", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    (world.root / "shots.toml").write_text(storyboard)
    jobs = readme.split("## Batches", 1)[1].split("```jsonl\n", 1)[1].split("```", 1)[0]
    (world.root / "jobs.jsonl").write_text(jobs)
    shutil.copytree(ROOT / "examples", world.root / "examples")


def seed_tasks(server: Any) -> None:
    """The tasks the README names, made in the simulator under those ids."""
    headers = {"authorization": "Bearer sim-token"}
    url = f"{server.api_url}/api/v3/contents/generations/tasks"
    bodies = {name: {"model": "dreamina-seedance-2-0-260128"} for name in TASKS}
    bodies[DRAFT] = {"model": "dreamina-seedance-2-5-260628", "draft": True}
    for name, body in bodies.items():
        body["content"] = [{"type": "text", "text": f"a paper boat ({name})"}]
        made = httpx.post(url, json=body, headers=headers, timeout=30).json()["id"]
        tasks = server.sim.state.tasks
        task = tasks.pop(made)
        task.id = name
        tasks[name] = task


def profiled(words: list[str], profile: str) -> list[str]:
    """The command with its profile played by `profile` (the simulator's)."""
    out = list(words)
    for i, word in enumerate(out[:-1]):
        if word in ("-p", "--profile"):
            out[i + 1] = profile
    return out


def run_in_process(world: World, words: list[str], environ: dict[str, str]) -> tuple[int, str]:
    """One command in this process (fast); `> FILE` gets stdout's bytes, `< FILE` is stdin."""
    target = source = None
    if ">" in words:
        at = words.index(">")
        words, target = words[:at] + words[at + 2 :], words[at + 1]
    if "<" in words:
        at = words.index("<")
        words, source = words[:at] + words[at + 2 :], words[at + 1]
    stdin = (world.root / source).read_bytes() if source is not None else None
    result = CliRunner().invoke(
        app, words[1:], input=stdin, obj=world.environment(environ=environ), catch_exceptions=True
    )
    if target is not None:
        (world.root / target).write_bytes(result.stdout_bytes)
    return result.exit_code, result.stdout + result.stderr


def stop(background: list[subprocess.Popen[str]]) -> None:
    """End a block's background processes (its `seedance sim &`)."""
    for child in background:
        child.terminate()
        child.wait(timeout=30)
    background.clear()


def test_the_readme_commands_work_as_written(world, sim_server, monkeypatch):
    world.clock = FakeClock(time.time())  # the server's clock is real (doctor compares them)
    furnish(world, whole_manual())
    seed_tasks(sim_server)
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: opened.append(url) or True)
    background: list[subprocess.Popen[str]] = []
    problems: list[str] = []
    block: tuple[str, int] | None = None
    try:
        lines = [(name, line) for name, text in manual() for line in readme_lines(text)]
        for name, line in lines:
            assert line.marker is not None, line  # (the test above names them)
            if (name, line.block) != block:  # a new block: its own profiles and processes
                block = (name, line.block)
                stop(background)
                config = world.config_dir / "profiles.toml"
                config.unlink(missing_ok=True)
                if line.marker.startswith("profile"):
                    world.write_profiles(sim_profiles(sim_server.api_url))
            if not commands(line):  # seedance behind a pipe: this test cannot run it
                problems.append(f"{name}:{line.number}: cannot run: {line.text.strip()}")
            for words in commands(line):
                if line.marker == "processes":
                    code, output = run_process(world, words, background)
                else:
                    profile = line.marker.split()[1]
                    environ = {**world.environ, "SEEDANCE_PROFILE": profile, "NO_COLOR": "1"}
                    code, output = run_in_process(world, profiled(words, profile), environ)
                if code != line.exit_code:
                    problems.append(
                        f"{name}:{line.number}: {line.text.strip()}\n"
                        f"  exited {code}, expected {line.exit_code}:\n  {output.strip()[-600:]}"
                    )
    finally:
        stop(background)
    assert not problems, "\n".join(problems)
    assert opened and opened[0].endswith("review.html")


def run_process(world: World, words: list[str], background: list[Any]) -> tuple[int, str]:
    """A line as a real process; `&` runs in the background (its start is awaited: it says
    where it listens)."""
    path = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}
    # their sleeps take no time (SEEDANCE_CLOCK): tasks of `sim --instant` are done at once
    environ = {**world.environ, **path, "NO_COLOR": "1", "SEEDANCE_CLOCK": "fake"}
    argv = [sys.executable, "-m", "seedance", *words[1:]]
    if words[-1] == "&":
        child = subprocess.Popen(
            argv[:-1], cwd=world.root, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        background.append(child)
        assert child.stderr is not None
        for raw in child.stderr:  # bounded: the server says it listens, or ends
            if b"listening on" in raw:
                return 0, ""
        return child.wait(timeout=30), "it ended"
    done = subprocess.run(
        argv, cwd=world.root, env=environ, capture_output=True, text=True, timeout=120, check=False
    )
    return done.returncode, done.stdout + done.stderr
