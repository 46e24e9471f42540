"""Creates whose sender was killed before their answers arrived still hold the account's slots
(issue 23, finding 3: a cap of 2, a batch killed with two creates in flight, another batch
running: 4 tasks at once on the server). The other batch's gate finds those creates' tasks on
the server itself, waits for them to end, and the killed batch run again saves them without
paying again. Real processes, kill -9; the server's time moves one second per request."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import pytest

from seedance.domain.clock import FakeClock
from seedance.domain.state_url import StateUrl
from seedance.services.state import JournalState, State, open_state
from seedance.services.state.sqlite import SqliteState
from seedance.sim import accounts
from seedance.sim.app import SimConfig
from seedance.sim.server import SimServer
from support import Running, TickingSimulator, World, run_process, sim_profiles

ACCOUNT = accounts.account_of_key("sim-token")


@pytest.fixture
def server(world: World) -> Any:
    config = SimConfig(queue_seconds=5, run_seconds=25, asset_seconds=0, generate_media=False)
    sim = TickingSimulator(config, clock=FakeClock(start=time.time()))
    with SimServer(sim=sim) as running:
        document = sim_profiles(running.api_url)
        document["profiles"]["sim-byteplus"]["max_running"] = 2
        world.write_profiles(document)
        yield running


def jobs(world: World, name: str, count: int) -> list[str]:
    rows = [{"id": f"{name}{n}", "prompt": f"{name} {n}"} for n in range(count)]
    (world.root / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return ["-p", "sim-byteplus", "batch", f"{name}.jsonl", "--concurrency", "2"]


def opened(world: World) -> State:
    """The state the world's commands use: its journal, or the shared database."""
    url = world.environ.get("SEEDANCE_STATE_URL")
    return open_state(world.data_dir, StateUrl.parse(url, "test") if url else None)


def killed_in_flight(world: World, *commands: list[str]) -> None:
    """Run `commands` (each one process) until each has two creates (in all) answered and
    not yet journaled, then kill -9 them."""
    running = [Running(world, *command, hold_at="create-sent") for command in commands]
    for held in running * (2 // len(running)):
        assert held.until("seedance-hold: create-sent")
    for held in running:
        held.proc.kill()  # kill -9, with its creates in flight
        assert held.proc.wait(timeout=60) == -9


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_creates_in_flight_when_their_sender_is_killed_hold_their_slots(
    world, server, store, request, tmp_path
):
    """On a shared state the two creates are two machines' (two `create` processes) and the
    other batch runs on a third (its own data directory): the killed creates' rows, their
    leases and their nonces are the database's. (Not one batch of two: its two threads would
    wait for each other on the account's lock, polling a fake clock that then runs hours
    ahead of the server's, beyond what a search allows for a sender's clock.)"""
    sim = server.sim
    elsewhere = world
    first = [jobs(world, "a", 2)]
    if store == "postgres":
        world.environ["SEEDANCE_STATE_URL"] = request.getfixturevalue("state_url")
        elsewhere = replace(world, environ={**world.environ, "SEEDANCE_DATA_DIR": str(tmp_path)})
        first = [["-p", "sim-byteplus", "create", f"a {n}", "-o", f"a{n}.mp4"] for n in (0, 1)]
    killed_in_flight(world, *first)
    assert len(sim.creates()) == 2
    state = opened(world)
    assert [e.state for e in state.entries(limit=None)] == [JournalState.SENDING] * 2
    state.close()

    other = run_process(elsewhere, *jobs(world, "b", 3))
    assert other.exit_code == 0, other.stderr[-3000:]
    assert accounts.peak_running(sim) == {ACCOUNT: 2}, "the account ran more than its cap"
    assert "waiting for a slot: 2 of 2 tasks unfinished on this account" in other.stderr

    for command in first:  # the killed commands, run again: their tasks, not new ones
        again = run_process(world, *command)
        assert again.exit_code == 0, again.stderr[-3000:]
    assert len(sim.creates()) == 5
    assert accounts.peak_running(sim) == {ACCOUNT: 2}


def test_where_its_task_cannot_be_looked_for_a_killed_create_holds_its_slot_an_hour(
    world, sim_server
):
    """The gateway's own dialect lists no tasks: a create killed with its answer on the way
    holds its slot for an hour of the next command's clock (it may run meanwhile), then
    frees it."""
    document = sim_profiles(sim_server.api_url)
    document["profiles"]["sim-kapon"]["max_running"] = 1
    world.write_profiles(document)
    killed = run_process(
        world, "-p", "sim-kapon", "create", "a boat", "-o", "boat.mp4", crash_at="create-sent"
    )
    assert killed.exit_code == -9
    second = run_process(world, "-p", "sim-kapon", "create", "a lake", "-o", "lake.mp4")
    assert second.exit_code == 0, second.stderr[-2000:]
    assert "waiting for a slot: 1 of 1 tasks unfinished on this account" in second.stderr
    journal = SqliteState(world.data_dir)
    lost, lake = sorted(journal.entries(limit=None), key=lambda e: e.row)
    journal.close()
    assert lost.task_id is None and lake.created_at - lost.created_at >= 3600  # ORPHAN_HOLD


def test_a_create_that_never_arrived_frees_its_slot_once_the_gate_has_looked(run, sim, world):
    """A create that gave up on its answer (a `--timeout` before the task list could tell)
    holds its slot; the next create, finding the account full, looks for its task itself:
    there is none, so its slot is freed; only the same command, run again, decides it never
    arrived (on its own clock) and sends it."""
    from seedance.sim.app import API_ORIGIN, FaultRule

    document = sim_profiles(API_ORIGIN)
    document["profiles"]["sim-byteplus"]["max_running"] = 1
    world.write_profiles(document)
    lost = {"error": {"code": "InternalServiceError", "message": "bad gateway", "type": "x"}}
    sim.inject(FaultRule("POST", "/tasks$", 502, lost))  # refused before it made a task
    sim.inject(FaultRule("GET", "/tasks$", 200, {"items": [], "total": 0}, times=100))
    gave_up = run("create", "a boat", "-o", "boat.mp4", "--timeout", "30")
    assert gave_up.exit_code == 3, gave_up.stderr
    sim.rules.clear()
    world.clock.advance(60)
    lake = run("create", "a lake", "-o", "lake.mp4")
    assert lake.exit_code == 0, lake.stderr
    journal = SqliteState(world.data_dir)
    boat = min(journal.entries(limit=None), key=lambda e: e.row)
    journal.close()
    assert boat.finished_at is not None, "the gate did not resolve it before sending"
    assert boat.state is JournalState.UNKNOWN and boat.task_id is None  # its command's to say
    again = run("create", "a boat", "-o", "boat.mp4")
    assert again.exit_code == 0, again.stderr
    assert len(sim.creates()) == 2


def test_a_lost_create_whose_every_candidate_ended_frees_its_slot(run, sim, world):
    """Its task cannot be proven (a server ignoring seeds, the user's own safety identifier),
    and has ended: it runs no more, so the gate frees the slot; the create stays unknown for
    the command that sent it."""
    from seedance.sim.app import API_ORIGIN, FaultRule

    document = sim_profiles(API_ORIGIN)
    document["profiles"]["sim-byteplus"]["max_running"] = 1
    world.write_profiles(document)
    sim.config.honours_seed = False
    lost = {"error": {"code": "InternalServiceError", "message": "bad gateway", "type": "x"}}
    sim.inject(FaultRule("POST", "/tasks$", 502, lost, after_processing=True))
    boat = run("create", "a boat", "-o", "boat.mp4", "--safety-id", "user-hash-001")
    assert boat.exit_code == 3, boat.stderr
    lake = run("create", "a lake", "-o", "lake.mp4")
    assert lake.exit_code == 0, lake.stderr
    journal = SqliteState(world.data_dir)
    first = min(journal.entries(limit=None), key=lambda e: e.row)
    journal.close()
    assert first.state is JournalState.UNKNOWN and first.finished_at is not None
    assert len(sim.creates()) == 2
