"""On an assets-only profile (PhanEdge, kapon: references = "assets"), takes that share a
reference (the same image URL in several rows, or one row with several takes) upload it
concurrently: each thread misses the asset cache, each makes its own asset, and the cache
keeps only the last. Each take's request hash includes its asset id, so when the batch is
run again before those takes are done (a crash, a wait that failed, a Ctrl-C), the takes
whose asset is not the cached one are not recognised and are created and paid for again.

The transport holds the first CreateAsset until a second take asks for one too (as happens
whenever two uploads overlap), so the race is the same on every run of the test."""

from __future__ import annotations

import contextlib
import json
import threading

import httpx

from seedance.sim.app import FaultRule

DENIED = {"error": {"code": "AccessDenied", "message": "no"}}


class OverlappingUploads(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.barrier = threading.Barrier(2)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.params.get("Action") == "CreateAsset" and not self.barrier.broken:
            # both uploads are under way (without the fix they arrive within ms; with it
            # the second never comes, so the wait is short)
            with contextlib.suppress(threading.BrokenBarrierError):
                self.barrier.wait(timeout=2)  # real sleep ok: a bounded barrier wait
        return self.inner.handle_request(request)


def test_rerunning_a_batch_never_pays_again_for_takes_sharing_a_reference(run, sim, world):
    world.transport = OverlappingUploads(world.transport)
    shared = "https://example.com/lantern.png"
    rows = [{"id": f"r{n}", "prompt": f"shot {n}", "images": [shared]} for n in range(2)]
    (world.root / "jobs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    # both takes are created, then their waits fail: they stay submitted, not done
    sim.inject(FaultRule("GET", r"/tasks", 403, DENIED, times=10_000))
    first = run("-p", "sim-phanedge", "batch", "jobs.jsonl", "--concurrency", "2")
    assert first.exit_code != 0 and len(sim.creates()) == 2
    sim.rules.clear()
    again = run("-p", "sim-phanedge", "batch", "jobs.jsonl", "--concurrency", "2")
    assert again.exit_code == 0, again.stderr[-400:]
    assert len(sim.creates()) == 2, f"{len(sim.creates())} creates paid for 2 takes"
