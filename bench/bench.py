"""Run the five benchmarks against the simulator on loopback and write bench/RESULTS.md.

    bench/run                # sets up bench/.venv, then runs this file with it

Start-up runs alone (it times milliseconds); then the polling cases run in the background
(their processes mostly sleep) while many-tasks and storyboards run side by side, and
downloads last (they saturate both cores, which start-up and storyboards must not see).
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime

import downloads
import many
import polling
import startup
import storyboard
from harness import BENCH, WORK, Check, Section, machine, table

RESULTS = BENCH / "RESULTS.md"
SOAK = BENCH / "SOAK.md"  # written by bench/soak.py, which bench/run does not run


def guarded(title: str, benchmark: Callable[[], Section]) -> Section:
    """A benchmark's section; a crash becomes a failed check instead of ending the run."""
    t0 = time.monotonic()
    sys.stderr.write(f"[bench] {title} ...\n")
    try:
        section = benchmark()
    except Exception as exc:
        section = Section(title)
        section.checks.append(
            Check(
                title,
                "the benchmark ran",
                f"crashed: {exc!r}",
                False,
                miss="did not run to the end",
                why="```\n" + traceback.format_exc()[-2000:] + "\n```",
            )
        )
    elapsed = time.monotonic() - t0
    sys.stderr.write(f"[bench] {title}: {elapsed:.0f} s\n")
    section.raw["seconds"] = elapsed
    return section


def in_thread(title: str, benchmark: Callable[[], Section]) -> Callable[[], Section]:
    box: list[Section] = []
    thread = threading.Thread(target=lambda: box.append(guarded(title, benchmark)), daemon=True)
    thread.start()

    def join() -> Section:
        thread.join()
        return box[0]

    return join


def main() -> int:
    WORK.mkdir(exist_ok=True)
    started = datetime.now(UTC)
    t0 = time.monotonic()
    first = guarded("1. Start-up", startup.benchmark)
    polls = in_thread("2. Polling", polling.benchmark)
    crowd = in_thread("3. Many tasks", many.benchmark)
    story = in_thread("5. Storyboards", storyboard.benchmark)
    sections = {"many": crowd(), "story": story()}
    sections["downloads"] = guarded("4. Downloads", downloads.benchmark)
    ordered = [first, polls(), sections["many"], sections["downloads"], sections["story"]]
    elapsed = time.monotonic() - t0
    RESULTS.write_text(render(ordered, started, elapsed))
    (WORK / "results.json").write_text(
        json.dumps({s.title: s.raw for s in ordered}, indent=2, default=str)
    )
    checks = [c for s in ordered for c in s.checks]
    missed = [c for c in checks if not c.ok]
    print(
        f"[bench] {len(checks) - len(missed)} of {len(checks)} targets met in {elapsed:.0f} s; "
        f"wrote {RESULTS.relative_to(BENCH.parent)}",
        file=sys.stderr,
    )
    return 0


DECISIONS = BENCH / "DECISIONS.md"


def render(sections: list[Section], started: datetime, elapsed: float) -> str:
    info = machine()
    checks = [c for s in sections for c in s.checks]
    missed = [c for c in checks if not c.ok]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `bench/run` on {started:%Y-%m-%d %H:%M} UTC; the whole run took "
        f"{elapsed / 60:.1f} min. Everything runs on this machine: the simulator "
        "(`seedance.sim.server.SimServer`, in the bench process) on 127.0.0.1, and `seedance` as "
        "a real child process from bench/.venv.",
        "",
        *table(["machine", ""], [[k, v] for k, v in info.items()]),
        "",
        "## Summary",
        "",
        f"{len(checks) - len(missed)} of {len(checks)} targets met.",
        "",
        *table(
            ["area", "target", "measured", "result"],
            [
                [c.area, c.target, c.measured, "PASS" if c.ok else f"**MISS** ({c.miss})"]
                for c in checks
            ],
        ),
        "",
    ]
    if missed:
        lines += ["## Misses: by how much, and why", ""]
        for c in missed:
            lines += [f"### {c.area}: {c.target}", "", f"Missed by {c.miss}.", "", c.why, ""]
        lines += [DECISIONS.read_text().rstrip(), ""]
    for section in sections:
        lines += [f"## {section.title}", "", *section.body, ""]
    if SOAK.exists():
        lines += [SOAK.read_text().rstrip(), ""]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    sys.exit(main())
