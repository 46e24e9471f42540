"""The README's Python example, run as written in a real interpreter against the demo profile."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from support import World

README = Path(__file__).resolve().parents[2] / "README.md"


def python_example() -> str:
    section = README.read_text("utf-8").split("## From Python", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's 'From Python' section has no python block"
    return match.group(1)


def test_the_readme_python_example_runs(world: World) -> None:
    environ = {**world.environ, "SEEDANCE_CLOCK": "fake"}  # the demo's waits take no time
    done = subprocess.run(
        [sys.executable, "-c", python_example()],
        cwd=world.root,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("estimate: 108,900 tokens")
    assert (world.root / "boat.mp4").read_bytes()[4:8] == b"ftyp"
    assert any(line.startswith("failed as expected: ") for line in lines)
    assert "batch: ['gull.mp4', 'gull.take2.mp4']" in lines
    assert (world.root / "gulls" / "batch.json").is_file()
    assert any(line.startswith("spent: [('USD', ") for line in lines)
    assert lines[-2].endswith("['done', 'done']")
    assert (world.root / "two" / "chain.json").is_file()
    assert lines[-1] == "two/review.html" and (world.root / "two" / "review.html").is_file()
