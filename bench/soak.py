"""Soak: random kill -9 of `create -o` and `chain`, alone and in concurrent pairs, against the
simulator on loopback; then the same command again until it ends. Not a CI test.

    .venv/bin/python bench/soak.py [--trials 64] [--seed 14] [--write]

Each trial has a fresh world (config, data dir) and a fresh simulator (instant tasks, 4 MiB
synthetic videos; some creates answered 5xx before or after the task is made). It kills one
process at a random moment (a real timer) or at a random step (`SEEDANCE_CRASH_AT`), runs the
same command again until it exits 0 (at most 6 times), then counts the creates the simulator
accepted per video the trial meant to make, and verifies every file: its SHA-256 against the
bytes served, against the journal (and chain.json), and that it is its own task's video.
Prints the figures (`--write`: also into bench/SOAK.md, which bench/run puts at the end of
bench/RESULTS.md); exits 1 on any second create or bad file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w
from harness import _quiet  # the servers' error report, minus the clients killed on purpose

from seedance.cli.sim import profile_document
from seedance.sim.app import FaultRule, SimConfig
from seedance.sim.objectstore import synthetic_bytes
from seedance.sim.server import SimServer

VIDEO = 4 * 1024 * 1024
STEPS = [
    "create-sending",
    "create-sent",
    "create-created",
    "chain-submitted",
    "download-partial",
    "download-complete",
    "download-renamed",
]
STORYBOARD = (
    '[[shots]]\nid = "a"\nprompt = "dawn"\n'
    '[[shots]]\nid = "b"\nprompt = "noon"\n'
    '[[shots]]\nid = "c"\nprompt = "night"\ncontinue = false\n'
)
LOST = {"error": {"code": "InternalServiceError", "message": "bad gateway", "type": "x"}}
MAX_RUNS = 6


def served_sha() -> str:
    digest = hashlib.sha256()
    for chunk in synthetic_bytes(VIDEO):
        digest.update(chunk)
    return digest.hexdigest()


SERVED = served_sha()


@dataclass
class Trial:
    kind: str  # create | create-pair | chain | chain-pair
    kill: str  # what was done to it
    videos: int = 0  # videos it meant to make
    creates: int = 0  # creates the simulator accepted
    verified: int = 0  # files whose bytes, journal and task all check out
    runs: int = 0  # commands run, the killed ones included
    fault: str = ""  # a create answered 5xx: "before" or "after" the task was made
    refused: int = 0  # processes of a pair that found the other at work and said so
    problems: list[str] = field(default_factory=list)


class World:
    def __init__(self, root: Path, api_url: str) -> None:
        self.root = root
        (root / "config").mkdir(parents=True)
        document = {"default_profile": "sim-byteplus", "profiles": profile_document(api_url, "t")}
        (root / "config" / "profiles.toml").write_bytes(tomli_w.dumps(document).encode())
        self.environ = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(root),
            "SEEDANCE_CONFIG_DIR": str(root / "config"),
            "SEEDANCE_DATA_DIR": str(root / "data"),
            "SEEDANCE_CLOCK": "fake",  # waits take no time; the simulator's tasks are instant
            "NO_COLOR": "1",
        }

    def start(self, args: list[str], crash_at: str | None = None) -> subprocess.Popen[bytes]:
        environ = dict(self.environ)
        if crash_at:
            environ["SEEDANCE_CRASH_AT"] = crash_at
        return subprocess.Popen(
            [sys.executable, "-m", "seedance", *args],
            cwd=self.root,
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def journal(self) -> list[dict[str, object]]:
        done = subprocess.run(
            [sys.executable, "-m", "seedance", "tasks", "list", "--local", "--json"],
            cwd=self.root,
            env=self.environ,
            capture_output=True,
            timeout=60,
            check=True,
        )
        entries: list[dict[str, object]] = json.loads(done.stdout)
        return entries


def finish(proc: subprocess.Popen[bytes], timeout: float = 120) -> tuple[int, str]:
    _out, err = proc.communicate(timeout=timeout)
    return proc.returncode, err.decode(errors="replace")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_trial(rng: random.Random, kind: str, root: Path) -> Trial:
    config = SimConfig(queue_seconds=0, run_seconds=0, video_bytes=VIDEO, seed=rng.randrange(1000))
    server = SimServer(config)
    for http_server in (server._api, server._store):
        http_server.handle_error = _quiet(http_server.handle_error)  # type: ignore[method-assign]
    with server:
        world = World(root, server.api_url)
        fault = ""
        if rng.random() < 0.3:  # a create answered 5xx: before the task is made, or after
            fault = rng.choice(["before", "after"])
            server.sim.inject(
                FaultRule("POST", "/tasks$", 502, LOST, after_processing=fault == "after")
            )
        if kind.startswith("create"):
            args = ["create", "a paper boat", "-o", "boat.mp4"]
            videos = 1
        else:
            (root / "s.toml").write_text(STORYBOARD)
            args = ["chain", "s.toml"]
            videos = 3
        pair = kind.endswith("pair")
        seam = rng.random() < 0.4
        step = rng.choice([s for s in STEPS if kind.startswith("chain") or s != "chain-submitted"])
        delay = rng.uniform(0.05, 1.2)
        trial = Trial(kind, f"at {step}" if seam else f"after {delay:.2f}s", videos, fault=fault)
        procs = [world.start(args, crash_at=step if seam else None)]
        if pair:
            procs.append(world.start(args))
        if not seam:
            time.sleep(delay)  # a real timer: the kill lands wherever the process is
            victim = rng.choice(procs)
            if victim.poll() is None:
                victim.send_signal(signal.SIGKILL)
            else:
                trial.kill += " (had ended)"
        codes = [finish(p)[0] for p in procs]
        trial.runs = len(procs)
        trial.refused = codes.count(2)  # the second chain of a pair, refused
        for code, proc in zip(codes, procs, strict=True):
            if code not in (0, -9, 2):
                trial.problems.append(f"exit {code}: {proc.args}")
        for _ in range(MAX_RUNS):
            code, err = finish(world.start(args))
            trial.runs += 1
            if code == 0:
                break
        else:
            trial.problems.append(f"never ended well: exit {code}: {err.strip()[-300:]}")
        trial.creates = len(server.sim.creates())
        verify(trial, world, server, kind)
    return trial


def verify(trial: Trial, world: World, server: SimServer, kind: str) -> None:
    entries = world.journal()
    tasks = server.sim.state.tasks
    if kind.startswith("create"):
        video = world.root / "boat.mp4"
        saved = [e for e in entries if e.get("saved_path") == str(video.resolve())]
        if video.is_file() and sha(video) == SERVED and saved and saved[0]["sha256"] == SERVED:
            task = tasks.get(str(saved[0]["task_id"]))
            if task is not None and task.prompt == "a paper boat":
                trial.verified += 1
                return
        trial.problems.append("boat.mp4 does not check out")
        return
    manifest = json.loads((world.root / "s" / "chain.json").read_text())
    prompts = {"a": "dawn", "b": "noon", "c": "night"}
    for shot_id, record in manifest["shots"].items():
        clip = world.root / "s" / str(record.get("clip"))
        task = tasks.get(str(record.get("task_id")))
        if (
            record["state"] == "done"
            and clip.is_file()
            and sha(clip) == record["sha256"] == SERVED
            and task is not None
            and task.prompt == prompts[shot_id]
        ):
            trial.verified += 1
        else:
            trial.problems.append(f"shot {shot_id} does not check out")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=64)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--write", action="store_true", help="also write bench/SOAK.md")
    options = parser.parse_args()
    rng = random.Random(options.seed)
    kinds = ["create", "create-pair", "chain", "chain-pair"]
    trials: list[Trial] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="seedance-soak-") as tmp:
        for n in range(options.trials):
            kind = kinds[n % len(kinds)]
            trial = run_trial(rng, kind, Path(tmp) / f"t{n:03d}")
            trials.append(trial)
            mark = "ok" if not trial.problems and trial.creates == trial.videos else "BAD"
            fault = f"5xx {trial.fault}" if trial.fault else ""
            print(
                f"{n:3d} {kind:<12} {trial.kill:<24} {fault:<10} creates {trial.creates}/"
                f"{trial.videos} verified {trial.verified}/{trial.videos} runs {trial.runs} {mark}",
                flush=True,
            )
            for problem in trial.problems:
                print(f"      {problem}", flush=True)
    rows = figures(trials, time.monotonic() - started)
    print()
    for name, value in rows:
        print(f"{name}: {value}")
    if options.write:
        SOAK.write_text(render(rows, options))
        print(f"wrote {SOAK.relative_to(SOAK.parent.parent)}")
    bad = [t for t in trials if t.problems or t.creates != t.videos]
    return 1 if bad else 0


def figures(trials: list[Trial], seconds: float) -> list[tuple[str, str]]:
    videos = sum(t.videos for t in trials)
    creates = sum(t.creates for t in trials)
    extra = sum(max(t.creates - t.videos, 0) for t in trials)
    kinds = Counter(t.kind for t in trials)
    steps = Counter(t.kill[3:] for t in trials if t.kill.startswith("at "))
    timed = [t for t in trials if t.kill.startswith("after")]
    late = sum(1 for t in timed if t.kill.endswith("(had ended)"))
    faults = Counter(t.fault for t in trials if t.fault)
    bad = [t for t in trials if t.problems or t.creates != t.videos]
    return [
        ("trials", f"{len(trials)} ({', '.join(f'{k} {n}' for k, n in kinds.items())})"),
        (
            "kill -9 at a step",
            f"{sum(steps.values())} ({', '.join(f'{k} {n}' for k, n in sorted(steps.items()))})",
        ),
        (
            "kill -9 on a random timer (0.05-1.2 s)",
            f"{len(timed)} ({late} too late: the process had ended)",
        ),
        (
            "creates answered 5xx",
            f"{faults['before']} before the task was made, {faults['after']} after",
        ),
        ("second chains of a pair refused (exit 2)", str(sum(t.refused for t in trials))),
        ("videos meant", str(videos)),
        ("creates accepted", f"{creates}: {creates / videos:.3f} per video, {extra} extra"),
        ("files verified", f"{sum(t.verified for t in trials)}/{videos}"),
        ("commands run", str(sum(t.runs for t in trials))),
        ("trials with a problem", str(len(bad))),
        ("time", f"{seconds:.0f} s"),
    ]


def render(rows: list[tuple[str, str]], options: argparse.Namespace) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    lines = [
        "## 6. Soak: kill -9 of `create -o` and `chain`",
        "",
        f"Run on {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC at {commit or 'this tree'}: "
        f"`bench/soak.py --trials {options.trials} --seed {options.seed}` (not part of "
        "`bench/run`; it writes this section into bench/SOAK.md). Each trial: a fresh world and "
        "simulator (instant tasks, 4 MiB videos, 30 % of trials with one create answered 502 "
        "before or after the task is made); `create -o`, two at once, `chain` (3 shots, one "
        "branch), or two chains at once; one process killed at a random step "
        "(`SEEDANCE_CRASH_AT`) or on a random timer; then the same command again until it exits "
        "0. Verified: every file's SHA-256 against the bytes served and the journal (and "
        "chain.json), and that it is its own task's video. The processes run with "
        "`SEEDANCE_CLOCK=fake`, so their waits (and the looks, up to a minute apart, for a "
        "lost create) take no real time.",
        "",
        "| figure | value |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in rows),
    ]
    return "\n".join(lines) + "\n"


SOAK = Path(__file__).resolve().parent / "SOAK.md"


if __name__ == "__main__":
    sys.exit(main())
