"""A create whose answer was lost (processed, then a 502) is found on the server, never sent
again, whatever the task list, the clocks or the model name say (services/identity.py)."""

from __future__ import annotations

import json

import httpx

from seedance.sim.app import API_ORIGIN, FaultRule
from support import ServerClock

LOST = {"error": {"code": "InternalServiceError", "message": "bad gateway", "type": "x"}}
LAGGING = {"items": [], "total": 0}  # the task list before it shows the new task


def lose_the_next_create(sim) -> None:
    sim.inject(FaultRule("POST", "/tasks$", 502, LOST, after_processing=True))


def test_lost_create_not_sent_again_while_the_task_list_lags(run, sim, world):
    lose_the_next_create(sim)
    sim.inject(FaultRule("GET", "/tasks$", 200, LAGGING, times=4))  # 4 looks show nothing
    done = run("create", "a boat", "-o", "boat.mp4")
    assert done.exit_code == 0, done.stderr
    assert len(sim.creates()) == 1, f"{len(sim.creates())} tasks paid for one video"


def test_lost_create_not_sent_again_when_the_deadline_comes_before_the_list_is_current(
    run, sim, world
):
    lose_the_next_create(sim)
    sim.inject(FaultRule("GET", "/tasks$", 200, LAGGING, times=100))
    stopped = run("create", "a boat", "-o", "boat.mp4", "--timeout", "30")
    assert stopped.exit_code == 3, stopped.stderr
    assert "the task list shows none yet" in stopped.stderr
    assert "arrived): seedance create 'a boat' -o boat.mp4 --timeout 30; or " in stopped.stderr
    assert len(sim.creates()) == 1
    sim.rules.clear()
    world.clock.advance(60)
    found = run("create", "a boat", "-o", "boat.mp4")  # the same command, a minute later
    assert found.exit_code == 0, found.stderr
    assert len(sim.creates()) == 1


def test_lost_create_found_when_the_local_clock_is_two_hours_fast(run, sim, world):
    sim.clock = sim.store.clock = ServerClock(world.clock, behind=2 * 3600)  # a TZ taken as UTC
    lose_the_next_create(sim)
    done = run("create", "a boat", "-o", "boat.mp4")
    assert done.exit_code == 0, done.stderr
    assert len(sim.creates()) == 1, f"{len(sim.creates())} tasks paid for one video"


EP, SERVED = "ep-20260101-abc", "dreamina-seedance-2-0-260128"


class ServedModelNames(httpx.BaseTransport):
    """The simulator, answering as a server that names an endpoint's tasks by the model the
    endpoint serves (in task reads and list items)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if not (str(request.url).startswith(API_ORIGIN) and request.method == "GET"):
            return response
        data = json.loads(response.read())
        for task in data.get("items", [data]) if isinstance(data, dict) else []:
            if isinstance(task, dict) and task.get("model") == EP:
                task["model"] = SERVED
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return httpx.Response(response.status_code, headers=headers, content=json.dumps(data))


def test_lost_create_sent_to_an_endpoint_id_found_by_its_nonce(run, sim, world):
    sim.config.endpoints[EP] = SERVED
    world.transport = ServedModelNames(world.transport)
    lose_the_next_create(sim)
    done = run("create", "a boat", "-m", EP, "-o", "boat.mp4")
    assert done.exit_code == 0, done.stderr
    assert len(sim.creates()) == 1, f"{len(sim.creates())} tasks paid for one video"
