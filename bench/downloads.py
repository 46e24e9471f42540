"""4. Downloads: a 512 MiB result over loopback, `seedance download` against `curl` followed by
an fsync of the file (seedance hashes every byte as it arrives and fsyncs once before the
rename), and a resume after kill -9 that must fetch only the missing bytes."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from harness import (
    SEEDANCE,
    VENV_BIN,
    Check,
    Hit,
    MiB,
    Run,
    Section,
    Sim,
    World,
    kill_group,
    median,
    run,
    table,
)

from seedance.services.videos.downloads import MAX_CHECKPOINT
from seedance.sim.app import SimConfig
from seedance.sim.objectstore import synthetic_bytes

SIZE = 512 * 1024 * 1024
ROUNDS = 7  # each client once per round, in a rotating order
TARGET = 0.9  # of curl + fsync's throughput (medians)
MAX_RSS = 64 * MiB
KILL_AT = SIZE // 2
PYTHON = str(VENV_BIN / "python")
# Reference clients on the same libraries as seedance: httpx streaming the body into the file
# (`iter_raw()`, the pieces httpcore reads); optionally hashing it (in the loop, or in a helper
# thread) and fsyncing it at the end, as seedance did before it read bodies from the socket.
BARE_LOOP = """
import hashlib, os, queue, sys, threading, httpx
url, dest, hashing = sys.argv[1], sys.argv[2], sys.argv[3]
sha, chunks = hashlib.sha256(), queue.Queue(64)
def drain():
    while (chunk := chunks.get()) is not None:
        sha.update(chunk)
helper = threading.Thread(target=drain)
if hashing == "thread":
    helper.start()
with httpx.Client() as client, client.stream("GET", url) as response:
    with open(dest, "wb") as fh:
        for chunk in response.iter_raw():
            fh.write(chunk)
            if hashing == "inline":
                sha.update(chunk)
            elif hashing == "thread":
                chunks.put(chunk)
        if hashing != "none":
            fh.flush()
            os.fsync(fh.fileno())
if hashing == "thread":
    chunks.put(None)
    helper.join()
"""


def _mbps(run_: Run) -> float:
    return SIZE / run_.wall / 1e6


def _clean(*paths: Path) -> None:
    for path in paths:
        for p in (
            path,
            path.with_name(path.name + ".part"),
            path.with_name(path.name + ".part.json"),
        ):
            p.unlink(missing_ok=True)


def _store_hit(sim: Sim, after: float) -> Hit:
    """The object store's last GET since `after` (its log entry is written when the answer
    ends: for a client killed mid-body, a moment after the kill)."""
    deadline = time.monotonic() + 10
    while True:
        found = [h for h in sim.store_log.all() if h.at >= after and h.method == "GET"]
        if found or time.monotonic() > deadline:
            return found[-1]
        time.sleep(0.05)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(MiB):
            digest.update(chunk)
    return digest.hexdigest()


def _kill_when_half(dest: Path) -> Any:
    part = dest.with_name(dest.name + ".part")

    def watch(proc: Any) -> None:  # no proc.poll(): `run` reaps the child itself (wait4)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not dest.exists():
            if part.exists() and part.stat().st_size >= KILL_AT:
                kill_group(proc)  # seedance (and `time` around it)
                return
            time.sleep(0.002)

    return watch


def benchmark() -> Section:
    section = Section("4. Downloads")
    config = SimConfig(queue_seconds=0, run_seconds=0, video_bytes=SIZE, generate_media=False)
    with Sim(config) as sim:
        world = World("downloads", sim.origin)
        task_id = world.seedance("create", "a paper boat").check("create").stdout.strip()
        status = world.seedance("--json", "status", task_id).check("status")
        url = json.loads(status.stdout)["video_url"]
        curl_file, mine = world.root / "curl.mp4", world.root / "seedance.mp4"
        clients = {
            "curl": ["curl", "-s", "-o", str(curl_file), url],
            "curl + fsync": [  # coreutils' `sync FILE` fsyncs that file
                "sh",
                "-c",
                'curl -s -o "$1" "$2" && sync "$1"',
                "sh",
                str(curl_file),
                url,
            ],
            "seedance": [SEEDANCE, "download", task_id, "-o", str(mine)],
            "httpx loop": [PYTHON, "-c", BARE_LOOP, url, str(curl_file), "none"],
            "httpx loop + SHA-256 + fsync": [
                PYTHON,
                "-c",
                BARE_LOOP,
                url,
                str(curl_file),
                "inline",
            ],
        }
        # Warm up: the first file written after a while costs the kernel far more than later ones.
        run(clients["curl"], env=world.env, timeout=120).check("curl")
        _clean(curl_file)
        runs: dict[str, list[Run]] = {name: [] for name in clients}
        hits: list[Hit] = []
        sha_pass = 0.0
        for i in range(ROUNDS):
            order = list(clients)[i % len(clients) :] + list(clients)[: i % len(clients)]
            for name in order:
                os.sync()
                done = run(clients[name], env=world.env, cwd=world.root, timeout=120).check(name)
                runs[name].append(done)
                if name == "seedance":
                    hits.append(_store_hit(sim, done.started))
                    if i == 0:
                        t0 = time.perf_counter()
                        _sha256(mine)
                        sha_pass = time.perf_counter() - t0
                _clean(curl_file, mine)

        # Resume: kill -9 at about half, then run the same command again.
        resumed = world.root / "resumed.mp4"
        killed = world.seedance(
            "download", task_id, "-o", str(resumed), timeout=120, on_start=_kill_when_half(resumed)
        )
        part = resumed.with_name(resumed.name + ".part")
        kept = part.stat().st_size if part.exists() else 0
        first = _store_hit(sim, killed.started)
        again = world.seedance("--json", "download", task_id, "-o", str(resumed), timeout=120)
        second = _store_hit(sim, again.started)
        final_size = resumed.stat().st_size if resumed.exists() else -1
        reported = json.loads(again.stdout or "{}").get("download", {})
        digest = hashlib.sha256()
        for chunk in synthetic_bytes(SIZE):
            digest.update(chunk)
        sha_ok = reported.get("sha256") == digest.hexdigest() == _sha256(resumed)
        _clean(resumed)

    mbps = {name: median([_mbps(r) for r in done]) for name, done in runs.items()}
    best = {name: max(_mbps(r) for r in done) for name, done in runs.items()}
    mine_runs = runs["seedance"]
    ratio = mbps["seedance"] / mbps["curl + fsync"]
    paired = median(
        [
            a.wall / b.wall
            for a, b in zip(runs["curl + fsync"], mine_runs, strict=True)  # same round
        ]
    )
    plain = mbps["seedance"] / mbps["curl"]
    rss = max(r.max_rss for r in mine_runs)
    before = median([h.at - r.started for r, h in zip(mine_runs, hits, strict=True)])
    transfer = median([h.done - h.at for h in hits])
    after = median([r.ended - h.done for r, h in zip(mine_runs, hits, strict=True)])
    asked = second.headers.get("range", "")
    start = int(asked[6:].rstrip("-")) if asked.startswith("bytes=") else -1
    # the re-run resumes from the last checkpoint the sidecar vouches for (every 1-16 MiB):
    # what was written after it, it truncates and fetches again
    resume_ok = (
        killed.rc != 0
        and 0 < kept < SIZE
        and 0 < start <= kept
        and kept - start <= MAX_CHECKPOINT
        and second.status == 206
        and second.body_bytes == SIZE - start
        and final_size == SIZE
        and sha_ok
    )
    section.checks += [
        Check(
            "downloads",
            f"512 MiB at ≥ {TARGET:.1f}× the throughput of curl + fsync",
            f"{mbps['seedance']:.0f} MB/s vs {mbps['curl + fsync']:.0f} MB/s = {ratio:.2f}× "
            f"(medians of {ROUNDS}; paired per round {paired:.2f}×)",
            ratio >= TARGET,
            miss=f"{ratio:.2f}×",
            why=_why_slow(before, transfer, after, sha_pass, mbps),
        ),
        Check(
            "downloads",
            "512 MiB at ≥ 90 % of plain curl's throughput (no hash, no fsync)",
            f"{mbps['seedance']:.0f} MB/s vs curl {mbps['curl']:.0f} MB/s = {plain:.0%} (medians)",
            plain >= 0.9,
            miss=f"{plain:.0%} of curl",
            why=(
                "curl neither hashes the file nor makes it durable before publishing it; "
                "seedance does both (see DECISIONS below). Against curl followed by an fsync of "
                f"the file, seedance is at {ratio:.2f}×."
            ),
        ),
        Check(
            "downloads",
            "peak memory ≤ 64 MiB (512 MiB file)",
            f"{rss / MiB:.1f} MiB",
            rss <= MAX_RSS,
            miss=f"+{(rss - MAX_RSS) / MiB:.1f} MiB",
            why="the download streams; the baseline is the interpreter and its imports",
        ),
        Check(
            "downloads",
            "resume transfers only the missing bytes",
            f"killed with {kept:,} B on disk; re-run asked `{asked}` (the last checkpoint, "
            f"{kept - start:,} B before), got {second.status} with {second.body_bytes:,} B = "
            f"{SIZE:,} − {start:,}",
            resume_ok,
            miss="see the resume table",
            why="the re-run did not ask for the rest only",
        ),
    ]
    rows = []
    for name, done in runs.items():
        for i, r in enumerate(done):
            split = ""
            if name == "seedance":
                h = hits[i]
                split = f"{h.at - r.started:.2f} + {h.done - h.at:.2f} + {r.ended - h.done:.2f}"
            rows.append(
                [
                    name,
                    i + 1,
                    f"{r.wall:.2f}",
                    f"{_mbps(r):.0f}",
                    f"{r.cpu:.2f}",
                    f"{r.max_rss / MiB:.1f}",
                    split,
                ]
            )
    section.body += [
        "One 512 MiB synthetic result (`SimConfig(video_bytes=512 MiB)`) from the simulator's "
        "object store on 127.0.0.1, fetched with `curl -s -o FILE URL` (the pre-signed URL "
        "`status` shows), with `curl` followed by `sync FILE` (coreutils: an fsync of that "
        "file, the durability seedance gives before its rename), with `seedance download ID "
        "-o FILE` (which also reads the task first), and with reference loops on httpx "
        "(`iter_raw()` into the file; then also hashing it and fsyncing it). "
        f"{ROUNDS} rounds, the order rotating, after one untimed curl; the page cache is synced "
        f"before each run and each file deleted after it. Throughput = {SIZE // MiB} MiB / the "
        "process's wall time; CPU = user + system; peak memory from GNU time. For seedance, "
        "the simulator's log splits its time into before the first byte is asked for "
        "(interpreter, imports, the status read), the transfer (the object store's first to "
        "last byte), and after (fsync, rename, journal); its fsync before the rename comes "
        "after syncs of the written bytes that a helper thread makes during the transfer "
        "(src/seedance/services/downloads.py `_Flushing`), so little is left for it to write. "
        "Writes to fresh page-cache pages on "
        "this VM are erratic (the same program takes 1 s or 3 s), so results swing between "
        f"runs: hence medians of {ROUNDS}, the best run, and the ratio of each round's pair.",
        "",
        *table(
            [
                "client",
                "round",
                "wall s",
                "MB/s",
                "CPU s",
                "peak RSS MiB",
                "before + transfer + after (s)",
            ],
            rows,
        ),
        "",
        *table(
            ["client", "median MB/s", "best MB/s", "median vs curl + fsync", "median vs curl"],
            [
                [
                    name,
                    f"{mbps[name]:.0f}",
                    f"{best[name]:.0f}",
                    f"{mbps[name] / mbps['curl + fsync']:.2f}×",
                    f"{mbps[name] / mbps['curl']:.0%}",
                ]
                for name in runs
            ],
        ),
        "",
        f"seedance during the transfer alone: {SIZE / transfer / 1e6:.0f} MB/s (median). "
        f"For scale: hashing the finished file in a second pass (reading it back) took "
        f"{sha_pass:.2f} s in the bench process.",
        "",
        "Resume after `kill -9`:",
        "",
        *table(
            ["step", "value"],
            [
                [
                    "first run",
                    f"killed (exit {killed.rc}) with {kept:,} bytes in `.part` "
                    f"(the server had written {first.body_bytes:,} bytes into the socket)",
                ],
                [
                    "second run: request",
                    f"`Range: {asked}`, `If-Range: {second.headers.get('if-range')}`",
                ],
                [
                    "second run: answer",
                    f"{second.status}, {second.body_bytes:,} body bytes (missing from the "
                    f"checkpoint: {SIZE - start:,})",
                ],
                [
                    "result",
                    f"{final_size:,} bytes, exit {again.rc}; SHA-256 (reported and of the "
                    f"file) {'matches' if sha_ok else 'does NOT match'} the served object",
                ],
            ],
        ),
    ]
    section.raw = {
        "mbps": mbps,
        "best": best,
        "ratio": ratio,
        "paired": paired,
        "plain": plain,
        "rss": rss,
        "before": before,
        "transfer": transfer,
        "after": after,
        "sha_pass": sha_pass,
        "kept": kept,
        "resume_start": start,
        "resume_bytes": second.body_bytes,
        "sha_ok": sha_ok,
    }
    return section


def _why_slow(
    before: float, transfer: float, after: float, sha_pass: float, mbps: dict[str, float]
) -> str:
    secs = {name: SIZE / rate / 1e6 for name, rate in mbps.items()}
    return (
        "Median seconds for the file: "
        + ", ".join(f"{name} {value:.2f}" for name, value in secs.items())
        + f" (seedance = {before:.2f} before the first byte, which curl does not spend: "
        "the interpreter, its imports (Typer, pydantic, httpx) and the task's status read; + "
        f"{transfer:.2f} transfer + {after:.2f} after the last byte: the end of the fsync, "
        "the rename, the journal). The transfer reads the body from the socket a MiB at a "
        "time (src/seedance/providers/http.py `body_pieces`) and writes it; a helper thread "
        "hashes it and another syncs the written bytes meanwhile "
        "(src/seedance/services/downloads.py `_Hashing`, `_Flushing`). What is left beyond "
        "curl + fsync is start-up and the CPU the SHA-256 takes from a machine whose other "
        f"core serves the file (hashing the file again took {sha_pass:.2f} s here)."
    )
