"""Screen captures of the live display, taken in tmux: `create --wait`, `wait` on three tasks
and a branching `chain`, each in a 100- and an 80-column terminal, mid-run and at the end.

    python scripts/screens.py        (needs tmux; runs `seedance sim` on a free port)

Writes docs/screens/NAME-WIDTH.txt (`tmux capture-pane -p -e`: colours kept, `cat` shows
them) and docs/screens/index.html (the same, rendered). Real time: about two minutes.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screens"
HEIGHT = 16
SCENES = [
    (
        "create-wait",
        "a create, waited for (the simulator's Ark API: no progress reported, so no bar)",
        [],
        "seedance -p sim-byteplus create 'a paper boat at dawn' --wait",
        6,
    ),
    (
        "wait-three",
        "wait on three tasks (the new-api gateway reports progress: bars)",
        [f"seedance -p sim-easyrouter create 'shot {n}' >> ids" for n in (1, 2, 3)],
        "seedance -p sim-easyrouter wait $(cat ids)",
        7,
    ),
    (
        "chain-branching",
        "examples/branching.toml: two branches from 'dawn' and a fresh shot",
        [],
        "seedance -p sim-byteplus chain examples/branching.toml -o branching",
        8,
    ),
]


def tmux(*args: str) -> str:
    done = subprocess.run(["tmux", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"tmux {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    captures: list[tuple[str, str, int, str, str]] = []
    keep = f"seedance-screens-keep-{os.getpid()}"  # holds the tmux server between scenes
    tmux("new-session", "-d", "-s", keep)
    try:
        for width in (100, 80):
            captures += scenes(width)
    finally:
        tmux("kill-session", "-t", keep)
    (OUT / "index.html").write_text(render(captures))
    print(f"wrote {len(captures)} captures into {OUT}")


def scenes(width: int) -> list[tuple[str, str, int, str, str]]:
    """Every scene at one width, against a simulator of its own (fresh data, fresh ids)."""
    work = Path(tempfile.mkdtemp(prefix="seedance-screens-"))
    (work / "examples").mkdir()
    example = (ROOT / "examples" / "branching.toml").read_text()
    (work / "examples" / "branching.toml").write_text(example)
    environ = {
        **os.environ,
        "SEEDANCE_CONFIG_DIR": str(work / "config"),
        "SEEDANCE_DATA_DIR": str(work / "data"),
    }
    environ.pop("NO_COLOR", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "seedance", "sim", "--port", "0", "--run-seconds", "10"],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    found = []
    try:
        assert server.stderr is not None
        for line in server.stderr:
            if "listening on" in line:
                break
        for name, title, before, command, settle in SCENES:
            mid, end = capture(work, environ, width, before, command, settle)
            (OUT / f"{name}-{width}.txt").write_text(f"{mid}\n--- at the end ---\n{end}")
            found.append((name, title, width, mid, end))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return found


def capture(
    work: Path, environ: dict[str, str], width: int, before: list[str], command: str, settle: int
) -> tuple[str, str]:
    """One scene in a fresh tmux session of `width` columns: the screen `settle` seconds in,
    and when the command has ended."""
    session = f"seedance-screens-{os.getpid()}-{width}-{time.monotonic_ns() % 10**6}"
    names = ("SEEDANCE_CONFIG_DIR", "SEEDANCE_DATA_DIR")
    settings = [f"-e{name}={environ[name]}" for name in names]
    tmux("new-session", "-d", "-s", session, "-x", str(width), "-y", str(HEIGHT), *settings)
    try:
        seedance = shlex.quote(sys.executable)
        setup = [
            f"cd {shlex.quote(str(work))}",
            "rm -f ids",
            f'seedance() {{ {seedance} -m seedance "$@"; }}',
            "export PS1='$ '",
            *before,
            # each prompt tells this script the command before it has ended
            f"PROMPT_COMMAND='tmux wait-for -S {session}'",
            "clear",
        ]
        tmux("send-keys", "-t", session, "; ".join(setup), "Enter")
        tmux("wait-for", session)
        time.sleep(1)  # the prompt drawn before the command is typed
        tmux("send-keys", "-t", session, command, "Enter")
        time.sleep(settle)
        mid = tmux("capture-pane", "-p", "-e", "-t", session)
        tmux("wait-for", session)
        end = tmux("capture-pane", "-p", "-e", "-t", session)
    finally:
        tmux("kill-session", "-t", session)
    return trimmed(mid), trimmed(end)


def trimmed(screen: str) -> str:
    """The capture without its trailing empty lines (and the prompt after the end)."""
    import re

    lines = screen.splitlines()
    while lines and re.sub(r"\x1b\[[0-9;]*m", "", lines[-1]).strip() in ("", "$"):
        lines.pop()
    return "\n".join(lines) + "\n"


def render(captures: list[tuple[str, str, int, str, str]]) -> str:
    """The captures as one HTML page (terminal colours kept)."""
    from rich.console import Console
    from rich.text import Text

    sections = []
    for _name, title, width, mid, end in captures:
        for moment, screen in (("mid-run", mid), ("at the end", end)):
            console = Console(record=True, width=width, file=open(os.devnull, "w"))  # noqa: SIM115
            console.print(Text.from_ansi(screen), soft_wrap=True)
            html = console.export_html(inline_styles=True, code_format="<pre>{code}</pre>")
            sections.append(f"<h2>{title}, {width} columns, {moment}</h2>\n{html}")
    body = "\n".join(sections)
    return (
        "<!doctype html>\n<meta charset='utf-8'>\n<title>seedance: the live display</title>\n"
        "<style>body{font-family:sans-serif;background:#fff}pre{background:#111;color:#ddd;"
        "padding:1em;display:inline-block;font-family:monospace}</style>\n"
        f"<h1>seedance: the live display, captured in tmux</h1>\n{body}\n"
    )


if __name__ == "__main__":
    main()
