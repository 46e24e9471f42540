"""4. Downloads: a 1 GiB result over loopback, `seedance download` against `curl`, and a resume
after kill -9 that must fetch only the missing bytes."""

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

from seedance.sim.app import SimConfig
from seedance.sim.objectstore import synthetic_bytes

SIZE = 1 << 30
ROUNDS = 7  # each client once per round, in a rotating order
MAX_RSS = 64 * MiB
KILL_AT = SIZE // 2
PYTHON = str(VENV_BIN / "python")
# Reference clients on the same libraries as seedance: httpx streaming the body into the file;
# optionally hashing it (in the loop, or in a helper thread) and fsyncing it at the end.
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
    found = [h for h in sim.store_log.all() if h.at >= after and h.method == "GET"]
    return found[-1]


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
            "curl + sync": [
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
            "httpx loop + SHA-256 in a thread + fsync": [
                PYTHON,
                "-c",
                BARE_LOOP,
                url,
                str(curl_file),
                "thread",
            ],
        }
        # Warm up: the first GiB written after a while costs the kernel far more than later ones.
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
    ratio = mbps["seedance"] / mbps["curl"]
    rss = max(r.max_rss for r in mine_runs)
    before = median([h.at - r.started for r, h in zip(mine_runs, hits, strict=True)])
    transfer = median([h.done - h.at for h in hits])
    after = median([r.ended - h.done for r, h in zip(mine_runs, hits, strict=True)])
    resume_ok = (
        killed.rc != 0
        and 0 < kept < SIZE
        and second.headers.get("range") == f"bytes={kept}-"
        and second.status == 206
        and second.body_bytes == SIZE - kept
        and final_size == SIZE
        and sha_ok
    )
    section.checks += [
        Check(
            "downloads",
            "1 GiB at ≥ 90 % of curl's throughput",
            f"{mbps['seedance']:.0f} MB/s vs curl {mbps['curl']:.0f} MB/s = {ratio:.0%} (medians)",
            ratio >= 0.9,
            miss=f"{ratio:.0%} of curl: {0.9 - ratio:.0%} short of 90 %",
            why=_why_slow(before, transfer, after, sha_pass, mbps),
        ),
        Check(
            "downloads",
            "peak memory ≤ 64 MiB (1 GiB file)",
            f"{rss / MiB:.1f} MiB",
            rss <= MAX_RSS,
            miss=f"+{(rss - MAX_RSS) / MiB:.1f} MiB",
            why="the download streams; the baseline is the interpreter and its imports",
        ),
        Check(
            "downloads",
            "resume transfers only the missing bytes",
            f"killed at {kept:,} B on disk; re-run asked `{second.headers.get('range')}`, got "
            f"{second.status} with {second.body_bytes:,} B = {SIZE:,} − {kept:,}",
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
        "One 1 GiB synthetic result (`SimConfig(video_bytes=1 GiB)`), fetched with `curl -s -o "
        "FILE URL` (the pre-signed URL `status` shows), with `curl` followed by `sync FILE` (the "
        "same bytes made durable, as seedance does before its rename), with `seedance "
        "download ID -o FILE`, and with reference loops on the same libraries (httpx "
        "`iter_raw()` into the file; then also hashing it, in the loop or in a helper thread, "
        "and fsyncing it, as seedance must), "
        f"{ROUNDS} rounds, the order rotating, after one untimed curl; the "
        "page cache is synced before each run and each file deleted after it. Throughput = "
        "1 GiB / the process's wall time. For seedance, the simulator's log splits that time "
        "into before the first byte is asked for (interpreter, imports, the status read), the "
        "transfer (the object store's first to last byte), and after (what follows the last "
        "byte: fsync, rename, journal). Writes to fresh page-cache pages on this VM are "
        "erratic (the same program takes 1 s or 3 s), so results swing between runs: hence "
        f"medians of {ROUNDS}, and the best run too.",
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
            ["client", "median MB/s", "best MB/s", "median vs curl"],
            [
                [name, f"{mbps[name]:.0f}", f"{best[name]:.0f}", f"{mbps[name] / mbps['curl']:.0%}"]
                for name in runs
            ],
        ),
        "",
        f"seedance during the transfer alone: {SIZE / transfer / 1e6:.0f} MB/s (median). "
        f"For scale: hashing the finished 1 GiB file in a second pass (reading it back) took "
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
                    f"`Range: {second.headers.get('range')}`, "
                    f"`If-Range: {second.headers.get('if-range')}`",
                ],
                [
                    "second run: answer",
                    f"{second.status}, {second.body_bytes:,} body bytes (missing: {SIZE - kept:,})",
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
        "rss": rss,
        "before": before,
        "transfer": transfer,
        "after": after,
        "sha_pass": sha_pass,
        "kept": kept,
        "resume_bytes": second.body_bytes,
        "sha_ok": sha_ok,
    }
    return section


def _why_slow(
    before: float, transfer: float, after: float, sha_pass: float, mbps: dict[str, float]
) -> str:
    secs = {name: SIZE / rate / 1e6 for name, rate in mbps.items()}
    total = before + transfer + after
    refs = {k: v for k, v in secs.items() if "SHA-256" in k}
    ref_name = min(refs, key=lambda k: refs[k])
    ref = refs[ref_name]
    text = (
        "Median seconds for the GiB: "
        + ", ".join(f"{name} {value:.2f}" for name, value in secs.items())
        + f" (seedance = {before:.2f} before the first byte + {transfer:.2f} transfer + "
        f"{after:.2f} after the last byte). seedance must hash the file (it reports the "
        "SHA-256) and fsync it (before the rename that publishes it); with both, the fastest "
        f"reference loop is `{ref_name}`: {ref:.2f} s, {secs['curl'] / ref:.0%} of curl. "
    )
    fixes = []
    if after > 0.5 * sha_pass:
        text += (
            f"After the last byte seedance spends {after:.2f} s: "
            "src/seedance/services/downloads.py "
            "fsyncs the `.part`, then `_sha256` reads the whole file back to hash it "
            f"({sha_pass:.2f} s per GiB here). "
        )
        fixes.append("hash the bytes as they arrive instead of reading the file back")
    gap = total - ref
    if gap > 0.1 * ref:
        text += (
            f"seedance takes {gap:.2f} s more than that reference: {before:.2f} s of start-up "
            "and status read; the rest is in `_attempt`'s loop: whatever it does per 64 KiB "
            "chunk beyond the reference's write + hash (the progress callback, the crash "
            "point, any hand-off to helper threads or periodic syncs). "
        )
        inline = secs.get("httpx loop + SHA-256 + fsync", 0.0)
        threaded = secs.get("httpx loop + SHA-256 in a thread + fsync", 0.0)
        if inline and threaded:
            better = "inline" if inline <= threaded else "in a helper thread"
            fixes.append(
                f"hash {better} (the references: inline {inline:.2f} s, in a thread "
                f"{threaded:.2f} s — on 2 cores, with the simulator's server on one, a helper "
                "thread has no core to overlap on)"
            )
        fixes.append(
            "drop whatever else the loop does per chunk beyond write + hash (a periodic "
            "`fdatasync` makes the writer wait on the disk; fsync once at the end, as the "
            f"references do) — up to −{max(gap - before, 0):.1f} s"
        )
    if fixes:
        text += "Proposed in core/downloads.py: " + "; ".join(fixes) + ". "
    share = secs["curl"] / ref
    if share >= 0.9:
        text += (
            f"The reference shows {share:.0%} of curl is reachable in Python with the hash "
            "and the fsync: matching its loop meets the target."
        )
    else:
        text += (
            f"Even the reference reaches only {share:.0%} of curl: 90 % of a curl that "
            "neither hashes nor syncs is out of reach for a client that does both; the fair bar "
            f"is the reference, of which seedance reaches {ref / total:.0%}."
        )
    return text
