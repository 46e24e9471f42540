"""10. The shared state (issue 25): a 1,000-row batch on the simulator (instant tasks) and one
`wait` on 200 tasks, each on the local journal (SQLite) and on PostgreSQL over loopback TCP
(a throwaway server: initdb in a temporary folder, 127.0.0.1 on a free port, as the `postgres`
user when run as root). Target: PostgreSQL within 2× SQLite, by wall time. Runs alternate
between the stores (SQLite, PostgreSQL, SQLite, ...) and the medians are compared."""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import tomli_w
from harness import Check, Section, Sim, World, median, table

from seedance.domain.state_url import StateUrl
from seedance.services.state import Entry, open_state
from seedance.services.state.entries import COLUMNS
from seedance.sim.app import SimConfig

ROWS = 1000
TASKS = 200
RUNS = 1  # of each case on each store, interleaved (a 1,000-row batch takes minutes)
MODEL = "dreamina-seedance-2-0-260128"
RATIO = 2.0
# rows at once (and the profile's cap): an instant task is still first read a few seconds
# after its create, so a narrow batch measures the poll schedule, not the state
CONCURRENCY = 100


@contextmanager
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server on 127.0.0.1 (TCP, password authentication): its URL."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if not found and not shutil.which("initdb"):
        raise RuntimeError("no PostgreSQL server binaries (apt-get install postgresql)")
    bindir = Path(found[-1]).parent if found else Path(str(shutil.which("initdb"))).parent
    root = Path(tempfile.mkdtemp(prefix="seedance-bench-pg-"))
    root.chmod(0o755)
    owner = "postgres" if os.geteuid() == 0 else None
    if owner:
        entry = pwd.getpwnam(owner)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    secret = root / "pw"
    secret.write_text("bench-secret\n")
    if owner:
        os.chown(secret, pwd.getpwnam(owner).pw_uid, -1)

    def pg(*argv: str) -> None:
        command = [str(bindir / argv[0]), *argv[1:]]
        if owner:
            command = ["runuser", "-u", owner, "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=root, timeout=120)

    data = str(root / "data")
    try:
        pg("initdb", "-D", data, "-U", "bench", "--pwfile", str(secret), "-A", "scram-sha-256")
        pg(
            "pg_ctl", "-D", data, "-l", str(root / "log"), "-w", "-o",
            f"-c listen_addresses=127.0.0.1 -p {port} -k {root}", "start",
        )  # fmt: skip
        yield f"postgresql://bench:bench-secret@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            (["runuser", "-u", owner, "--"] if owner else [])
            + [str(bindir / "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"],
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(root, ignore_errors=True)


def reset(url: str) -> None:
    """An empty shared state for the next run."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS seedance_creates, seedance_meta")


def world(name: str, origin: str, url: str | None) -> World:
    made = World(name, origin)
    if url is not None:
        made.env["SEEDANCE_STATE_URL"] = url
    return made


def batch_run(store: str, url: str | None, n: int) -> float:
    with Sim(SimConfig(queue_seconds=0, run_seconds=0, generate_media=False)) as sim:
        w = world(f"state-batch-{store}-{n}", sim.origin, url)
        profiles = w.root / "config" / "profiles.toml"
        document = tomllib.loads(profiles.read_text())
        document["profiles"]["sim-byteplus"]["max_running"] = CONCURRENCY
        profiles.write_bytes(tomli_w.dumps(document).encode())
        rows = [{"id": f"r{i}", "prompt": f"shot {i}"} for i in range(ROWS)]
        (w.root / "jobs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        done = w.seedance("batch", "jobs.jsonl", "--concurrency", str(CONCURRENCY), timeout=1200)
        done.check(f"batch of {ROWS} rows on {store}")
        if len(sim.sim.creates()) != ROWS:
            raise RuntimeError(f"{len(sim.sim.creates())} creates for {ROWS} rows")
        return done.wall


def wait_run(store: str, url: str | None, n: int) -> float:
    """One `wait` on TASKS tasks the state knows (as `create` left them), already ended: what
    the wait itself costs (reads, one observation round, the answer)."""
    with Sim(SimConfig(queue_seconds=0, run_seconds=0, generate_media=False)) as sim:
        w = world(f"state-wait-{store}-{n}", sim.origin, url)
        endpoint = f"{sim.origin}/api/v3/contents/generations/tasks"
        ids = []
        with httpx.Client(headers={"Authorization": "Bearer bench-token"}, timeout=30) as http:
            for i in range(TASKS):
                body = {"model": MODEL, "content": [{"type": "text", "text": f"shot {i}"}]}
                answer = http.post(endpoint, json=body)
                answer.raise_for_status()
                ids.append(answer.json()["id"])
        state = open_state(w.data_dir, StateUrl.parse(url, "bench") if url else None)
        now = time.time()
        entries = []
        for i, task_id in enumerate(ids):
            values = {
                "state": "created",
                "task_id": task_id,
                "profile": "sim-byteplus",
                "dialect": "ark",
                "base_url": f"{sim.origin}/api/v3",
                "model": MODEL,
                "request_hash": f"{i:064x}",
                "request": json.dumps({"model": MODEL}),
                "prompt": f"shot {i}",
                "created_at": now,
                "answered_at": now,
                "status": "queued",
            }
            entries.append(Entry.from_row(tuple(values.get(c) for c in COLUMNS)))
        state.record_many(entries)
        state.close()
        done = w.seedance("wait", *ids, timeout=600)
        done.check(f"wait on {TASKS} tasks on {store}")
        return done.wall


def benchmark() -> Section:
    section = Section("10. Shared state (PostgreSQL) against the local journal")
    walls: dict[tuple[str, str], list[float]] = {}
    with postgres() as url:
        for n in range(RUNS):
            for case, run in (("batch", batch_run), ("wait", wait_run)):
                for store in ("sqlite", "postgres"):
                    if store == "postgres":
                        reset(url)
                    wall = run(store, url if store == "postgres" else None, n)
                    walls.setdefault((case, store), []).append(wall)
    rows = []
    for case, what in (("batch", f"`batch` of {ROWS:,} rows"), ("wait", f"`wait` on {TASKS}")):
        lite, pg = median(walls[(case, "sqlite")]), median(walls[(case, "postgres")])
        ratio = pg / lite
        rows.append([what, f"{lite:.2f} s", f"{pg:.2f} s", f"{ratio:.2f}×"])
        section.checks.append(
            Check(
                "shared state",
                f"{what} on PostgreSQL (loopback TCP) ≤ {RATIO:g}× SQLite",
                f"{pg:.2f} s against {lite:.2f} s ({ratio:.2f}×)",
                ratio <= RATIO,
                miss=f"{ratio:.2f}×",
                why="round trips per create (state.md: ~12): pipeline `begin`, fold the lease "
                "into the INSERT",
            )
        )
        section.raw[case] = {s: walls[(case, s)] for s in ("sqlite", "postgres")}
    section.body += [
        f"Medians of {RUNS} run(s) each, interleaved; instant tasks, `--concurrency "
        f"{CONCURRENCY}` (and `max_running`) for the batch; the wait's tasks are journaled "
        "as `create` leaves them and already ended.",
        "",
        *table(["case", "SQLite", "PostgreSQL", "ratio"], rows),
    ]
    return section
