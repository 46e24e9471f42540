"""The README's first screen, walked as a newcomer walks it (issue 28): a fresh venv, the
install line as written (`pip install .`, from this checkout), no key in the environment, no
network but the package index, and every command of the screen's sh blocks run in order as a
real process: the demo, the simulator in the background, the first real run's three commands
rehearsed against the simulator's `sim-byteplus` profile, as the README says to.

The first screen ends at the `<!-- first screen ends -->` line. Not run: the Install block,
which lists choices (pipx, pip, extras; the quick start's own line installs), and the test
command (`pytest`), which is this suite. Commands run with SEEDANCE_CLOCK=fake so that the
simulated tasks' waits take no time; everything else is as a user has it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
END = "<!-- first screen ends -->"
SIM_PROFILE = "sim-byteplus"
INSTALL_SECONDS = 600  # a fresh venv's `pip install .` from the package index


def first_screen() -> list[tuple[str, list[str]]]:
    """Each command line of the first screen's sh blocks: (its block's marker, the line)."""
    text = (ROOT / "README.md").read_text("utf-8")
    assert END in text, "README.md has no first-screen end marker"
    blocks: list[tuple[str, list[str]]] = []
    marker, lines, fence, previous = "", [], False, ""
    for line in text.split(END, 1)[0].splitlines():
        if line.startswith("```"):
            if not fence and line.strip() == "```sh":
                fence, lines = True, []
                marker = previous.strip()
            elif fence:  # a block of commands to run (the install block lists choices)
                if any("seedance" in shlex.split(line) for line in lines):
                    blocks.append((marker, lines))
                fence = False
            continue
        if fence:
            command = line.split("  #", 1)[0].strip()
            if command:
                lines.append(command)
        elif line.strip():
            previous = line
    return blocks


def newcomer_environ(home: Path, bin_dir: Path) -> dict[str, str]:
    """The machine's environment without any key or seedance setting: a newcomer's."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if k in ("PATH", "LANG", "LC_ALL", "TMPDIR") or k.startswith("PIP_")
    }
    return {
        **keep,
        "PATH": f"{bin_dir}:{keep.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "SEEDANCE_CONFIG_DIR": str(home / "config"),
        "SEEDANCE_DATA_DIR": str(home / "data"),
        "SEEDANCE_CLOCK": "fake",
        "NO_COLOR": "1",
    }


def test_the_readme_first_screen_works_in_a_fresh_venv(tmp_path: Path) -> None:
    blocks = first_screen()
    commands = [line for _marker, lines in blocks for line in lines]
    assert any("seedance -p demo create" in c for c in commands), commands
    assert any(c.startswith("seedance profiles add") for c in commands), commands
    assert any(c.startswith("seedance doctor") for c in commands), commands

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    environ = newcomer_environ(home, env_dir / "bin")
    background: list[subprocess.Popen[str]] = []
    ran: list[str] = []
    try:
        for marker, lines in blocks:
            for line in lines:
                if "pytest" in line:
                    continue  # the test command: this suite itself
                words = line.replace("pip install .", f"pip install {shlex.quote(str(ROOT))}")
                if marker == f"<!-- commands: profile {SIM_PROFILE} -->" and "seedance " in line:
                    words += f" -p {SIM_PROFILE}"  # rehearsed on the simulator
                if words.endswith("&"):
                    background.append(start_simulator(words[:-1], work, environ))
                    ran.append(line)
                    continue
                done = subprocess.run(
                    ["bash", "-c", words],
                    cwd=work,
                    env=environ,
                    capture_output=True,
                    text=True,
                    timeout=INSTALL_SECONDS,
                    check=False,
                )
                assert done.returncode == 0, (line, done.stdout[-2000:], done.stderr[-2000:])
                ran.append(line)
    finally:
        for child in background:
            child.terminate()
            child.wait(timeout=30)
    assert (work / "boat.mp4").read_bytes()[4:8] == b"ftyp"
    assert (work / "first.mp4").read_bytes()[4:8] == b"ftyp"
    assert len(ran) >= 5, ran
    assert sys.executable  # (the suite's own interpreter made the venv)


def start_simulator(command: str, cwd: Path, environ: dict[str, str]) -> subprocess.Popen[str]:
    """`seedance sim &`: started, and awaited until it says where it listens."""
    child = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        cwd=cwd,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stderr is not None
    for line in child.stderr:  # bounded: it says it listens, or it ends
        if "listening on" in line:
            return child
    raise AssertionError(f"seedance sim ended: {child.wait(timeout=30)}")
