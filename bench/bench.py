"""Run the benchmarks against the simulator on loopback and write bench/RESULTS.md.

    bench/run                       # sets up bench/.venv, then runs this file with it
    bench/run --only journal,scale  # those areas again; the others keep their last figures

Each area's figures are kept in bench/results/AREA.json (with the machine, the commit, the
date and the load they were measured at) and RESULTS.md is written from all of them, so a
part of the suite can be run again alone.

Order: what times milliseconds or CPU runs alone (start-up, the storyboard and batch dry runs,
the journal); then the cases that mostly wait run side by side (polling in the background,
many tasks, the wait on 1,000 tasks, storyboards); downloads last (they saturate both cores).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import downloads
import journal
import many
import polling
import scale
import shared_state
import startup
import storyboard
from harness import BENCH, WORK, Check, Section, machine, source_version, table

# Issue 17's "Done when" targets, by area and the start of the target's text: the Summary
# marks them and counts them apart.
ISSUE_17 = (
    ("storyboards", "2,000 shots"),
    ("storyboards", "10,000 shots"),
    ("batches", "5,000 rows"),
    ("batches", "50,000 rows"),
    ("journal", "`tasks list --local --limit 20`"),
    ("journal", "`create -o"),
    ("journal", "`spend --since 7d`"),
    ("wait 1,000", "≤ 600 requests"),
    ("wait 1,000", "peak memory"),
    ("downloads", "512 MiB at ≥ 0.9×"),
    ("downloads", "peak memory"),
)

RESULTS = BENCH / "RESULTS.md"
STORED = BENCH / "results"  # one AREA.json per area, committed with RESULTS.md
SOAK = BENCH / "SOAK.md"  # written by bench/soak.py, which bench/run does not run
DECISIONS = BENCH / "DECISIONS.md"

# area: (its benchmark, when it runs); in the order RESULTS.md shows them
AREAS: dict[str, tuple[Callable[[], Section], str]] = {
    "startup": (startup.benchmark, "alone"),
    "polling": (polling.benchmark, "background"),
    "many": (many.benchmark, "together"),
    "downloads": (downloads.benchmark, "last"),
    "storyboards": (storyboard.benchmark, "together"),
    "scale": (scale.benchmark, "alone"),
    "journal": (journal.benchmark, "alone"),
    "wait1000": (many.benchmark_1000, "together"),
    "state": (shared_state.benchmark, "alone"),
}


def guarded(area: str, benchmark: Callable[[], Section]) -> dict[str, Any]:
    """An area's stored record; a crash becomes a failed check instead of ending the run."""
    started = datetime.now(UTC)
    load = os.getloadavg()
    t0 = time.monotonic()
    sys.stderr.write(f"[bench] {area} ...\n")
    try:
        section = benchmark()
    except Exception as exc:
        section = Section(area)
        section.checks.append(
            Check(
                area,
                "the benchmark ran",
                f"crashed: {exc!r}",
                False,
                miss="did not run to the end",
                why="```\n" + traceback.format_exc()[-2000:] + "\n```",
            )
        )
    elapsed = time.monotonic() - t0
    sys.stderr.write(f"[bench] {area}: {elapsed:.0f} s\n")
    return {
        "area": area,
        "title": section.title,
        "checks": [asdict(c) for c in section.checks],
        "body": section.body,
        "raw": section.raw,
        "seconds": elapsed,
        "started": started.isoformat(timespec="minutes"),
        "load": [round(x, 2) for x in (*load, *os.getloadavg())],  # 1/5/15 min, before/after
        "machine": machine(),
        "commit": source_version(),
    }


def in_thread(area: str, benchmark: Callable[[], Section]) -> Callable[[], dict[str, Any]]:
    box: list[dict[str, Any]] = []
    thread = threading.Thread(target=lambda: box.append(guarded(area, benchmark)), daemon=True)
    thread.start()

    def join() -> dict[str, Any]:
        thread.join()
        return box[0]

    return join


def run_areas(chosen: list[str]) -> list[dict[str, Any]]:
    """Run the chosen areas in their groups: alone, then together (with the background ones
    beside them), then last."""
    done: list[dict[str, Any]] = []
    for area in chosen:
        if AREAS[area][1] == "alone":
            done.append(guarded(area, AREAS[area][0]))
    joins = [
        in_thread(area, AREAS[area][0])
        for area in chosen
        if AREAS[area][1] in ("background", "together")
    ]
    done += [join() for join in joins]
    for area in chosen:
        if AREAS[area][1] == "last":
            done.append(guarded(area, AREAS[area][0]))
    return done


def main() -> int:
    parser = argparse.ArgumentParser(description="seedance's benchmarks")
    parser.add_argument(
        "--only",
        help=f"comma-separated areas to run ({', '.join(AREAS)}); the others keep their "
        "stored figures",
    )
    args = parser.parse_args()
    chosen = list(AREAS) if not args.only else [a.strip() for a in args.only.split(",")]
    unknown = [a for a in chosen if a not in AREAS]
    if unknown:
        parser.error(f"no area {', '.join(unknown)}; the areas: {', '.join(AREAS)}")
    WORK.mkdir(exist_ok=True)
    STORED.mkdir(exist_ok=True)
    t0 = time.monotonic()
    for record in run_areas(chosen):
        (STORED / f"{record['area']}.json").write_text(
            json.dumps(record, indent=2, default=str, ensure_ascii=False) + "\n"
        )
    records = stored()
    RESULTS.write_text(render(records))
    checks = [c for r in records for c in r["checks"]]
    missed = [c for c in checks if not c["ok"]]
    print(
        f"[bench] ran {', '.join(chosen)} in {time.monotonic() - t0:.0f} s; "
        f"{len(checks) - len(missed)} of {len(checks)} targets met in all; "
        f"wrote {RESULTS.relative_to(BENCH.parent)}",
        file=sys.stderr,
    )
    return 0


def stored() -> list[dict[str, Any]]:
    """Every area's last record, in the order of AREAS."""
    found = []
    for area in AREAS:
        path = STORED / f"{area}.json"
        if path.exists():
            found.append(json.loads(path.read_text()))
    return found


def where(record: dict[str, Any]) -> str:
    """The line under an area's title: when, at which commit, on which machine, how loaded."""
    m = record["machine"]
    load = record["load"]
    return (
        f"_Measured {record['started'].replace('T', ' ')[:16]} UTC at {record['commit']}, "
        f"in {record['seconds']:.0f} s, on {m['CPU']} ({m['cores']} cores, {m['memory']}), "
        f"{m['OS']}, Python {m['Python']}; load average (1/5/15 min) {load[0]:.2f} / "
        f"{load[1]:.2f} / {load[2]:.2f} at the start, {load[3]:.2f} / {load[4]:.2f} / "
        f"{load[5]:.2f} at the end (the machine is shared)._"
    )


def in_issue_17(check: dict[str, Any]) -> bool:
    return any(
        check["area"] == area and check["target"].startswith(start) for area, start in ISSUE_17
    )


def render(records: list[dict[str, Any]]) -> str:
    checks = [(r, c) for r in records for c in r["checks"]]
    missed = [(r, c) for r, c in checks if not c["ok"]]
    issue = [c for _r, c in checks if in_issue_17(c)]
    machines = {  # the commit each area ran at is in its section, not the machine's table
        json.dumps({k: v for k, v in r["machine"].items() if k != "seedance"}, sort_keys=True)
        for r in records
    }
    lines = [
        "# Benchmark results",
        "",
        "Written by `bench/run` (`bench/run --only AREA` runs areas again; each keeps the "
        "figures of its last run in bench/results/). Everything runs on one machine: the "
        "simulator (`seedance.sim.server.SimServer`, in the bench process) on 127.0.0.1, and "
        "`seedance` as a real child process from bench/.venv. Each area says when, at which "
        "commit and on which machine it was measured.",
        "",
        "The machine is shared: other work (test suites, builds) runs on its 2 cores while the "
        "benchmarks do, and timings move with it (a process that needs more CPU than its "
        "reference, as seedance does against curl, loses more). Each area records the load "
        "average (1 min) at its start and end: in the Summary's last column and under each "
        "section's title.",
        "",
    ]
    for text in sorted(machines):
        info = json.loads(text)
        lines += [*table(["machine", ""], [[k, v] for k, v in info.items()])]
        lines.append("")
    lines += [
        "## Summary",
        "",
        f"{len(checks) - len(missed)} of {len(checks)} targets met; of issue 17's "
        f"{len(issue)} (marked 17), {sum(c['ok'] for c in issue)}.",
        "",
        *table(
            ["area", "target", "measured", "result", "issue", "measured at (load at start, end)"],
            [
                [
                    c["area"],
                    c["target"],
                    c["measured"],
                    "PASS" if c["ok"] else f"**MISS** ({c['miss']})",
                    "17" if in_issue_17(c) else "",
                    f"{r['started'][:10]} {r['commit'].split()[0]} "
                    f"({r['load'][0]:.1f}, {r['load'][3]:.1f})",
                ]
                for r, c in checks
            ],
        ),
        "",
    ]
    if missed:
        lines += ["## Misses: by how much, and why", ""]
        for _r, c in missed:
            lines += [f"### {c['area']}: {c['target']}", "", f"Missed by {c['miss']}.", ""]
            lines += [c["why"], ""]
        lines += [DECISIONS.read_text().rstrip(), ""]
    soak = [SOAK.read_text().rstrip(), ""] if SOAK.exists() else []
    for record in records:
        lines += [f"## {record['title']}", "", where(record), "", *record["body"], ""]
        if record["area"] == "storyboards":  # section 6 (bench/soak.py writes it)
            lines, soak = lines + soak, []
    return "\n".join(lines + soak).rstrip() + "\n"


if __name__ == "__main__":
    sys.exit(main())
