"""8. The journal at 100,000 rows: `tasks list --local --limit 20`, a `create -o` (which looks
for an earlier identical request before it sends, and journals the create) and `spend --since
7d` (the ledger of the last week), each against the same command with an empty journal."""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from harness import Check, Run, Section, Sim, World, median, table

from seedance.services.state.entries import COLUMNS
from seedance.services.state.sqlite import JOURNAL_FILE
from seedance.services.state.sqlite import SqliteState as Journal
from seedance.sim.app import SimConfig

ROWS = 100_000
YEAR = 365 * 86400.0
WEEK = 7 * 86400.0
ROUNDS = 7  # each command in each world once per round, the order alternating
LIMIT = 1.5  # the 100,000-row time may be at most this many times the empty one
PROFILES = ("sim-byteplus", "sim-easyrouter", "sim-kapon")


def fill(data_dir: Path, rows: int, now: float, origin: str) -> float:
    """`rows` plausible creates over the year before `now`, written into the journal the code
    under test makes (its own columns and indexes); returns the seconds it took. The newest
    tenth are all on one profile at 1080p, so that reads for another profile or kind would
    have to go deep into the table without an index."""
    t0 = time.perf_counter()
    made(data_dir)
    rng = random.Random(17)
    values: list[dict[str, object]] = []
    for i in range(rows):
        recent = i > rows * 0.9
        profile = PROFILES[0] if recent else rng.choice(PROFILES)
        model = rng.choice(["dreamina-seedance-2-0-260128", "seedance-1-0-pro-250528"])
        resolution = "1080p" if recent else rng.choice(["480p", "720p", "1080p"])
        duration = rng.choice([5, 8, 10])
        prompt = f"shot {i}: a paper boat drifts under a stone bridge at dawn {rng.random():.6f}"
        body = {"model": model, "content": [{"type": "text", "text": prompt}]}
        created = now - YEAR + i * (YEAR - 3600) / rows  # the last an hour ago
        roll = rng.random()
        if roll < 0.01:
            state, task_id, status = "unknown", None, None
        elif roll < 0.02:
            state, task_id, status = "rejected", None, None
        else:
            state, task_id = "created", f"cgt-bench-{i:08d}"
            status = rng.choices(["succeeded", "failed", "expired", "cancelled"], [85, 10, 3, 2])[0]
        saved = f"/films/{i}.mp4" if status == "succeeded" and rng.random() < 0.9 else None
        finished = created + rng.uniform(30, 300) if status else None
        row = {
            "state": state,
            "task_id": task_id,
            "profile": profile,
            "dialect": "ark",
            "base_url": f"{origin}/api/v3",
            "model": model,
            "resolution": resolution,
            "duration": duration,
            "request_hash": f"{rng.getrandbits(256):064x}",
            "request": json.dumps(body, sort_keys=True),
            "prompt": prompt,
            "output_path": saved,
            "created_at": created,
            "answered_at": created + 0.5,
            "status": status,
            "finished_at": finished,
            "tokens": 108900 if status == "succeeded" else None,
            "error": "OutputVideoSensitiveContentDetected: x" if status == "failed" else None,
            "sha256": f"{rng.getrandbits(256):064x}" if saved else None,
            "bytes": 12_345_678 if saved else None,
            "downloaded_at": finished + 5 if saved and finished else None,
            "saved_path": saved,
            "nonce": 172800 + rng.randrange(-1800, 1800) if task_id is None else None,
            # the ledger's columns, where this version has them
            "account": f"account-{profile}",
            "estimated_tokens": 108900,
            "price": 7.0,
            "currency": "USD",
        }
        values.append(row)
    insert(data_dir, values)
    return time.perf_counter() - t0


def insert(data_dir: Path, rows: list[dict[str, object]]) -> None:
    """Rows written straight into the journal's table, in one transaction (the columns this
    version has; those it lacks left out)."""
    names = [name for name in COLUMNS if name != "row"]
    with sqlite3.connect(data_dir / JOURNAL_FILE) as db:
        db.executemany(
            f"INSERT INTO creates ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [tuple(row.get(name) for name in names) for row in rows],
        )


def made(data_dir: Path) -> None:
    """A new journal file: its table and indexes, as the version under test makes them."""
    journal = Journal(data_dir)
    journal._connect()
    journal.close()


def as_previous_version(data_dir: Path) -> None:
    """The journal as version 4 left it: its indexes before the per-read ones, user_version 4."""
    with sqlite3.connect(data_dir / JOURNAL_FILE) as db:
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall():
            if not name.startswith("sqlite_"):
                db.execute(f"DROP INDEX {name}")
        db.execute("CREATE INDEX creates_task ON creates(task_id)")
        db.execute("CREATE INDEX creates_hash ON creates(request_hash)")
        db.execute("PRAGMA user_version = 4")


def benchmark() -> Section:
    section = Section("8. The journal at 100,000 rows")
    config = SimConfig(queue_seconds=0, run_seconds=0, generate_media=False, video_bytes=4096)
    with Sim(config) as sim:
        empty, full = World("journal-empty", sim.origin), World("journal-full", sim.origin)
        for world in (empty, full):
            world.env["SEEDANCE_CLOCK"] = "fake"  # waits take no time: the work is measured
            (world.root / "out").mkdir()
        made(empty.data_dir)  # empty, but there, as the full one is
        filled = fill(full.data_dir, ROWS, time.time(), sim.origin)
        size = (full.data_dir / JOURNAL_FILE).stat().st_size

        counter = iter(range(10**6))

        def create(world: World) -> Run:
            n = next(counter)
            out = world.root / "out" / f"{n}.mp4"
            return world.seedance("create", f"a paper boat, take {n}", "-o", str(out))

        commands: dict[str, Callable[[World], Run]] = {
            "tasks list --local --limit 20": lambda w: w.seedance(
                "tasks", "list", "--local", "--limit", "20"
            ),
            "-p sim-kapon tasks list --local --limit 20": lambda w: w.seedance(
                "-p", "sim-kapon", "tasks", "list", "--local", "--limit", "20"
            ),
            "create -o FILE (looks for an earlier identical request)": create,
            "spend --since 7d": lambda w: w.seedance("spend", "--since", "7d"),
            "-p sim-kapon spend --since 7d --by model": lambda w: w.seedance(
                "-p", "sim-kapon", "spend", "--since", "7d", "--by", "model"
            ),
        }
        targets = {
            "tasks list --local --limit 20",
            "create -o FILE (looks for an earlier identical request)",
            "spend --since 7d",
        }
        for name, command in commands.items():  # once untimed: caches warm alike
            command(empty).check(name)
            command(full).check(name)
        times: dict[str, dict[str, list[float]]] = {n: {"empty": [], "full": []} for n in commands}
        for i in range(ROUNDS):
            for name, command in commands.items():
                pair = [("empty", empty), ("full", full)]
                for label, world in pair if i % 2 == 0 else reversed(pair):
                    times[name][label].append(command(world).check(name).wall)

        upgrade = upgrade_time(full)

    rows = []
    for name, found in times.items():
        e, f = median(found["empty"]), median(found["full"])
        ratio = f / e
        rows.append([f"`{name}`", f"{e * 1000:.0f}", f"{f * 1000:.0f}", f"{ratio:.2f}×"])
        if name in targets:
            section.checks.append(
                Check(
                    "journal",
                    f"`{name}` with {ROWS:,} rows ≤ {LIMIT}× its time with an empty journal",
                    f"{f * 1000:.0f} ms vs {e * 1000:.0f} ms = {ratio:.2f}× (medians of {ROUNDS})",
                    ratio <= LIMIT,
                    miss=f"{ratio:.2f}×",
                    why="see the query plans below: a read that scans the table grows with it",
                )
            )
    section.body += [
        f"Two worlds on one simulator (instant tasks): an empty journal, and one with {ROWS:,} "
        f"creates over the year before (three profiles, 98 % with a task, {size / 1e6:.0f} MB; "
        f"written in {filled:.1f} s). Each command runs as a whole process with "
        "`SEEDANCE_CLOCK=fake` (its waits take no time, so what is measured is its work), "
        f"{ROUNDS} rounds, empty and full alternating first; wall times, medians. `create -o` "
        "looks for an earlier create of the same request to the same file, picks an identity "
        "nonce no open create uses, sends, waits, saves and journals every step. `spend "
        "--since 7d` sums the last week's creates (about 1,900 of the 100,000) per day.",
        "",
        *table(["command", "empty ms", f"{ROWS:,} rows ms", "ratio"], rows),
        "",
        f"A journal version 3 left (its two indexes) gets this version's indexes the first time "
        f"it is opened: {upgrade:.2f} s for {ROWS:,} rows, once (`tasks list --local` with the "
        "upgrade, less the same command after it).",
        "",
        "Every read's query plan (tests/services/test_journal_plans.py checks them):",
        "",
        *table(["read", "plan"], query_plans(full.data_dir)),
    ]
    section.raw = {"times": times, "upgrade": upgrade, "rows": ROWS, "fill": filled}
    return section


def upgrade_time(world: World) -> float:
    """The first open of a version-3 journal of ROWS rows, less a normal open."""
    as_previous_version(world.data_dir)
    first = world.seedance("tasks", "list", "--local", "--limit", "20").check("upgrade").wall
    normal = median(
        [world.seedance("tasks", "list", "--local", "--limit", "20").wall for _ in range(3)]
    )
    return first - normal


def query_plans(data_dir: Path) -> list[list[str]]:
    journal = Journal(data_dir)
    db = journal._connect()
    statements: list[str] = []
    reads: dict[str, Callable[[], object]] = {
        "find(task_id)": lambda: journal.find("cgt-bench-00000007"),
        "latest_for (create -o)": lambda: journal.latest_for("sim-byteplus", "0" * 64, "/x.mp4"),
        "made_for (chain)": lambda: journal.made_for("sim-byteplus", "0" * 64),
        "entries(limit=20)": lambda: journal.entries(limit=20),
        "entries(profile)": lambda: journal.entries(profile="sim-kapon", limit=20),
        "run_seconds (each waited task)": lambda: journal.run_seconds(
            base_url="x", model="m", resolution="720p", duration=5
        ),
        "open nonces (each create)": lambda: journal._open_nonces(db, time.time()),
        "unsaved": lambda: journal.unsaved(limit=20),
        "known (lost-create look)": lambda: journal.known(["cgt-bench-00000007"]),
        "ledger (spend --since 7d)": lambda: journal.ledger("day", since=time.time() - WEEK),
        "ledger (-p sim-kapon spend --by model)": lambda: journal.ledger(
            "model", since=time.time() - WEEK, profile="sim-kapon"
        ),
        "charged (a budget, each create)": lambda: journal.charged(
            "account-sim-byteplus", "USD", time.time() - WEEK
        ),
    }
    found = []
    try:
        for name, read in reads.items():
            statements.clear()
            db.set_trace_callback(statements.append)
            t0 = time.perf_counter()
            read()
            ms = (time.perf_counter() - t0) * 1000
            db.set_trace_callback(None)
            plan = [
                " / ".join(r[3] for r in db.execute(f"EXPLAIN QUERY PLAN {sql}"))
                for sql in statements
                if sql.lstrip().upper().startswith("SELECT")
            ]
            found.append([f"{name} ({ms:.2f} ms)", "; ".join(plan)])
    finally:
        journal.close()
    return found
