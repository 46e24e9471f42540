"""Machines sharing one state on PostgreSQL (issue 25), as real processes: each "machine" has
its own data directory, all share one database and one simulator (a loopback server). The
account's cap holds across machines and is reached; a budget edge raced from two machines is
never passed; the database stopped mid-wait and started again costs no extra create. Every
process runs on `SEEDANCE_CLOCK=fake`: nothing sleeps for real."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from seedance.domain.clock import FakeClock
from seedance.services.assets.cache import file_sha256
from seedance.sim import accounts
from seedance.sim.app import SimConfig, Simulator
from seedance.sim.server import SimServer
from seedance.sim.wire import SimRequest, SimResponse
from support import KEYS, Running, World, sim_profiles

VIDEO = 0.76  # about what one default video on sim-byteplus (5 s, 720p) is estimated at, USD


class TickingSimulator(Simulator):
    """Time on the server moves one second per API request (as in test_batch_processes.py):
    tasks take a number of requests, not real seconds, to finish."""

    def handle_api(self, request: SimRequest) -> SimResponse:
        assert isinstance(self.clock, FakeClock)
        self.clock.advance(1.0)
        return super().handle_api(request)


@pytest.fixture
def ticking() -> Any:
    config = SimConfig(queue_seconds=5, run_seconds=25, asset_seconds=0, generate_media=False)
    with SimServer(sim=TickingSimulator(config, clock=FakeClock(start=time.time()))) as server:
        yield server


@pytest.fixture
def instant() -> Any:
    with SimServer(SimConfig(queue_seconds=0, run_seconds=0, asset_seconds=0)) as server:
        yield server


def machine(root: Path, server: SimServer, url: str, **settings: Any) -> World:
    """A machine of its own (its own data and config directories, working folder) on the
    shared state `url` and the simulator `server`; `settings` go into its profile."""
    root.mkdir(parents=True)
    environ = {
        "SEEDANCE_CONFIG_DIR": str(root / "config"),
        "SEEDANCE_DATA_DIR": str(root / "data"),
        "SEEDANCE_STATE_URL": url,
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(root / "home"),
        **KEYS,
    }
    world = World(root, environ, FakeClock())
    document = sim_profiles(server.api_url)
    document["profiles"]["sim-byteplus"].update(settings)
    world.write_profiles(document)
    return world


def jobs(world: World, name: str, prompts: list[str]) -> None:
    rows = [{"id": f"r{n}", "prompt": p} for n, p in enumerate(prompts)]
    (world.root / name).write_text("".join(json.dumps(r) + "\n" for r in rows))


def go_on(running: Running) -> None:
    """Let a process held at one of several points go on: one byte each (stdin stays open
    for the next)."""
    assert running.proc.stdin is not None
    running.proc.stdin.write("g")
    running.proc.stdin.flush()


def test_two_machines_on_one_account_never_exceed_its_cap_and_reach_it(
    ticking, state_url, tmp_path
):
    ticking.sim.config.max_running = 2  # the account's own cap, measured at the simulator
    machines = [machine(tmp_path / m, ticking, state_url, max_running=2) for m in "ab"]
    for world, name in zip(machines, "ab", strict=True):  # two batches, each its own name
        jobs(world, f"jobs-{name}.jsonl", [f"{name} shot {n}" for n in range(4)])
    runs = [
        Running(w, "batch", f"jobs-{name}.jsonl", "--concurrency", "2")
        for w, name in zip(machines, "ab", strict=True)
    ]
    done = [r.finish(timeout=120) for r in runs]
    assert [d.exit_code for d in done] == [0, 0], [d.stderr[-2000:] for d in done]
    sim = ticking.sim
    assert len(sim.creates()) == 8
    assert accounts.peak_running(sim) == {accounts.account_of_key("sim-token"): 2}
    assert sim.crowded == 0  # never refused: the machines counted each other's tasks
    assert any("waiting for a slot" in d.stderr for d in done)


def test_two_machines_racing_a_budget_edge_never_pass_it(instant, postgres_server, tmp_path):
    """20 trials: a fresh state each, two machines each sending two creates at once against a
    daily budget that fits two. Trials are independent (a database each), so five run at a
    time: ten processes racing, which only sharpens each trial's race."""
    sim = instant.sim
    before = len(sim.creates())
    for first in range(0, 20, 5):
        trials = range(first, first + 5)
        urls = {trial: postgres_server.database() for trial in trials}
        runs: dict[int, list[Running]] = {}
        for trial in trials:
            machines = [
                machine(tmp_path / f"{trial}{m}", instant, urls[trial], budget_day=2.0)
                for m in "ab"
            ]
            for world, name in zip(machines, "ab", strict=True):  # two batches, two names
                jobs(world, f"jobs-{name}.jsonl", [f"{trial} {name} {n}" for n in range(2)])
            runs[trial] = [
                Running(w, "batch", f"jobs-{name}.jsonl", "--concurrency", "2")
                for w, name in zip(machines, "ab", strict=True)
            ]
        for trial in trials:
            done = [r.finish(timeout=300) for r in runs[trial]]
            assert all(d.exit_code in (0, 2) for d in done), [d.stderr[-1500:] for d in done]
            # each machine's batch ran into the budget, not into anything else
            assert all("budget_day" in d.stderr for d in done if d.exit_code == 2), [
                d.stderr[-1500:] for d in done
            ]
            with psycopg.connect(urls[trial]) as conn:
                [[made, estimated]] = conn.execute(
                    "SELECT COUNT(*) FILTER (WHERE task_id IS NOT NULL), "
                    "COALESCE(SUM(estimated_tokens * price) / 1e6, 0)::float8 "
                    "FROM seedance_creates WHERE state <> 'rejected'"
                ).fetchall()
            assert made == 2, (trial, made, [d.stderr[-1500:] for d in done])  # used, not passed
            assert estimated <= 2.0 and estimated == pytest.approx(2 * VIDEO, abs=0.05), trial
    assert len(sim.creates()) - before == 40  # two a trial, at the simulator too


def test_the_database_stopped_mid_wait_and_started_again_costs_no_extra_create(
    ticking, postgres_server, state_url, tmp_path
):
    world = machine(tmp_path / "a", ticking, state_url)
    running = Running(
        world, "create", "a boat", "-o", "boat.mp4", hold_at="wait-round#2,state-reconnect#1"
    )
    try:
        assert running.until("seedance-hold: wait-round"), "".join(running.seen)
        # (fast: a clean stop; immediate would drop the test server's unsynced commits)
        postgres_server.stop("fast")
        go_on(running)  # polls on; what it sees is kept on this machine
        assert running.until("seedance-hold: state-reconnect"), "".join(running.seen)
        [spool] = (world.data_dir).glob("state-pending-*.jsonl")
        kept = [json.loads(line)["op"] for line in spool.read_text().splitlines()]
        assert kept.count("observe") >= 2 and "downloaded" in kept, "".join(running.seen)
    finally:
        postgres_server.start()
    done = running.finish()
    assert done.exit_code == 0, done.stderr
    assert len(ticking.sim.creates()) == 1
    video = world.root / "boat.mp4"
    with psycopg.connect(state_url) as conn:
        [[task_id, status, sha256, saved, downloaded_at]] = conn.execute(
            "SELECT task_id, status, sha256, saved_path, downloaded_at FROM seedance_creates"
        ).fetchall()
    assert (status, sha256, saved) == ("succeeded", file_sha256(video), str(video))
    assert task_id == next(iter(ticking.sim.state.tasks)) and downloaded_at is not None
    assert spool.stat().st_size == 0
    again = Running(world, "create", "a boat", "-o", "boat.mp4").finish()
    assert again.exit_code == 0 and len(ticking.sim.creates()) == 1
