"""Batches as real processes (issue 16): a kill -9 mid-batch and a re-run pay once per take;
three batches on one account never run more than its cap, and reach it; a daily budget holds
across two processes. Every process runs on `SEEDANCE_CLOCK=fake`: nothing sleeps for real."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from seedance.domain.clock import FakeClock
from seedance.sim import accounts
from seedance.sim.app import SimConfig
from seedance.sim.server import SimServer
from support import Running, TickingSimulator, World, run_process, sim_profiles


@pytest.fixture
def ticking_server(world: World) -> Any:
    config = SimConfig(queue_seconds=5, run_seconds=25, asset_seconds=0, generate_media=False)
    sim = TickingSimulator(config, clock=FakeClock(start=time.time()))
    with SimServer(sim=sim) as server:
        world.write_profiles(sim_profiles(server.api_url))
        yield server


def write_jobs(world: World, name: str, rows: list[dict[str, Any]]) -> None:
    (world.root / name).write_text("".join(json.dumps(r) + "\n" for r in rows))


def profile_settings(world: World, server: SimServer, **settings: Any) -> None:
    document = sim_profiles(server.api_url)
    document["profiles"]["sim-byteplus"].update(settings)
    world.write_profiles(document)


def test_a_kill_mid_batch_and_a_rerun_make_exactly_one_task_per_take(world, sim_server):
    rows = [{"id": f"r{n}", "prompt": f"shot {n}", "takes": 2} for n in range(6)]
    write_jobs(world, "jobs.jsonl", rows)
    args = ["-p", "sim-byteplus", "batch", "jobs.jsonl", "--concurrency", "3"]
    # killed right after the server made the 5th task, before the journal heard its answer
    crashed = run_process(world, *args, crash_at="create-sent#5")
    assert crashed.exit_code == -9, crashed.stderr
    again = run_process(world, *args)
    assert again.exit_code == 0, again.stderr
    creates = Counter(
        (json.loads(c.body)["content"][0]["text"], json.loads(c.body)["seed"])
        for c in sim_server.sim.creates()
    )
    assert len(creates) == 12 and set(creates.values()) == {1}
    data = json.loads((world.root / "jobs" / "batch.json").read_text())
    for row in data["rows"]:
        for take in row["takes"]:
            assert take["state"] == "done"
            clip = world.root / "jobs" / take["clip"]
            assert take["sha256"] and clip.read_bytes()[4:8] == b"ftyp"


def test_three_batches_on_one_account_never_exceed_its_cap_and_reach_it(world, ticking_server):
    profile_settings(world, ticking_server, max_running=3)
    for name in ("a", "b", "c"):
        write_jobs(
            world,
            f"{name}.jsonl",
            [{"id": f"{name}{n}", "prompt": f"{name} {n}"} for n in range(5)],
        )
    runs = [
        Running(world, "-p", "sim-byteplus", "batch", f"{name}.jsonl") for name in ("a", "b", "c")
    ]
    done = [r.finish(timeout=120) for r in runs]
    assert [d.exit_code for d in done] == [0, 0, 0], [d.stderr[-2000:] for d in done]
    sim = ticking_server.sim
    assert len(sim.creates()) == 15
    assert accounts.peak_running(sim) == {accounts.account_of_key("sim-token"): 3}
    assert sim.crowded == 0
    assert any("waiting for a slot" in d.stderr for d in done)


def test_a_daily_budget_holds_across_two_processes(world, sim_server):
    profile_settings(world, sim_server, budget_day=1.0)  # one $0.76 video fits, two do not
    first = Running(
        world, "-p", "sim-byteplus", "create", "a boat", "-o", "boat.mp4", hold_at="create-sending"
    )
    assert first.until("seedance-hold: create-sending")  # its estimate is in the ledger
    second = run_process(world, "-p", "sim-byteplus", "create", "a lake", "-o", "lake.mp4")
    done = first.finish()
    assert done.exit_code == 0, done.stderr
    assert second.exit_code == 2, second.stderr
    assert "above the profile's budget_day of $1.00 ($0.76 spent today, UTC)" in second.stderr
    assert len(sim_server.sim.creates()) == 1
    assert not Path(world.root / "lake.mp4").exists()
