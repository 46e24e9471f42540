"""Request ids (`Client.generate(request_id=...)`): one video per id, however often, however
many processes ask."""

from __future__ import annotations

import subprocess
import sys

import pytest

from seedance import Client, GenerationParams
from seedance.domain.errors import BusyError, UsageError, WaitTimeoutError
from seedance.services.videos.steps import Origin
from support import World

BOAT = GenerationParams(prompt="a paper boat", duration=5)


def client_of(world: World) -> Client:
    return world.client()


def test_a_request_id_makes_one_video_however_often_it_is_asked_for(sim, world):
    out = world.root / "boat.mp4"
    with client_of(world) as client:
        with pytest.raises(WaitTimeoutError) as waited:  # created, not finished
            client.videos.generate(BOAT, output=out, request_id="boat-1", timeout=0)
        task_id = waited.value.task.id
        resumed = client.videos.generate(BOAT, output=out, request_id="boat-1")
        again = client.videos.generate(BOAT, output=out, request_id="boat-1")
        entry = client.videos.record(task_id)
    assert (resumed.task.id, resumed.origin) == (task_id, Origin.RESUMED)
    assert (again.task.id, again.origin) == (task_id, Origin.SAVED_BEFORE)
    assert len(sim.creates()) == 1
    assert entry is not None and entry.label == "request:boat-1"


def test_a_request_id_names_one_request_and_one_output(sim, world):
    out = world.root / "boat.mp4"
    with client_of(world) as client:
        client.videos.generate(BOAT, output=out, request_id="boat-1")
        with pytest.raises(UsageError) as other:
            client.videos.generate(
                BOAT.model_copy(update={"prompt": "a ship"}), output=out, request_id="boat-1"
            )
        with pytest.raises(UsageError) as moved:
            client.videos.generate(BOAT, output=world.root / "elsewhere.mp4", request_id="boat-1")
        with pytest.raises(UsageError) as bad:
            client.videos.generate(BOAT, output=out, request_id="not an id!")
        fresh = client.videos.generate(BOAT, output=world.root / "take2.mp4", request_id="boat-2")
    assert other.value.field == "request_id" and "another request" in other.value.message
    assert moved.value.field == "output" and str(out) in moved.value.message
    assert bad.value.field == "request_id"
    assert len(sim.creates()) == 2 and fresh.origin is Origin.CREATED  # a new id: a new take


CHILD = """
import sys
from seedance import Client, GenerationParams
with Client.from_profile("sim-byteplus") as client:
    made = client.videos.generate(GenerationParams(prompt="a paper boat", duration=5),
                           output=sys.argv[1], request_id="boat-1")
print(made.task.id)
"""


def test_a_request_id_another_process_is_sending_is_not_created_again(sim_server, world):
    """Process A is between the create reaching the server and its answer being recorded (the
    window where a second create would pay twice): B, with the same request id, waits for it
    and then gets A's task."""
    environ = {**world.environ, "SEEDANCE_CLOCK": "fake", "SEEDANCE_HOLD_AT": "create-sent"}
    first = world.root / "a.mp4"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(first)],
        env=environ,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stderr is not None and "seedance-hold: create-sent" in child.stderr.readline()
        with client_of(world) as client, pytest.raises(BusyError):
            client.videos.generate(
                BOAT, output=world.root / "b.mp4", request_id="boat-1", timeout=5
            )
        assert len(sim_server.sim.creates()) == 1
        out, err = child.communicate("go\n", timeout=60)
    finally:
        child.kill()
    assert child.returncode == 0, err
    with client_of(world) as client:
        made = client.videos.generate(BOAT, output=first, request_id="boat-1")
    assert made.task.id == out.strip() and made.origin is Origin.SAVED_BEFORE
    assert len(sim_server.sim.creates()) == 1
