"""A create whose answer was lost, on an account other clients share: thousands of their tasks
of the same model, made in the search's window, carry every queue-expiry nonce the create
could have drawn. It never takes one of them as its own; it takes its own when there is one;
when it cannot prove which is its own it stops and names them, sending nothing again (issue
23, finding 1: a lost create took another machine's task, by a 12-bit nonce, 5 times in 8).
The simulator's own rules: tasks echo their queue expiry once ended, their seed and safety
identifier once succeeded."""

from __future__ import annotations

import random
from typing import Any

import pytest

from seedance.services.state.sqlite import SqliteState
from seedance.services.videos.identity import SEED_SPACE, nonce_values
from seedance.sim.app import FaultRule
from support import World

MODEL = "dreamina-seedance-2-0-260128"  # the sim-byteplus profile's
LOST = {"error": {"code": "InternalServiceError", "message": "bad gateway", "type": "x"}}


def others(
    sim: Any, world: World, *, seedance: bool, expires: int | None = None, each: int = 1
) -> list[str]:
    """Another client's tasks on the account, made five minutes ago and ended since: `each`
    on every nonce a create of queue expiry `expires` (None: the default) may draw, with
    seeds of their own, and (`seedance`: made by other seedance machines) safety identifiers
    of their own. Returns their ids."""
    rng = random.Random(23)
    settings = []
    for nonce in nonce_values(expires, set()) * each:
        params: dict[str, Any] = {"execution_expires_after": nonce}
        params["seed"] = rng.randrange(SEED_SPACE)
        if seedance:
            params["safety_identifier"] = f"seedance-{rng.getrandbits(128):032x}"
        settings.append(params)
    made = sim.add_foreign_tasks(
        settings, model=MODEL, made_at=world.clock.time() - 300, key="sim-token"
    )
    assert len(made) >= 2000
    return [t.id for t in made]


def ours(sim: Any) -> list[str]:
    """The tasks this client's creates made (its prompt's)."""
    return [t.id for t in sim.state.tasks.values() if t.prompt == "a boat"]


def saved_task(world: World) -> str | None:
    journal = SqliteState(world.data_dir)
    try:
        [entry] = [e for e in journal.entries(limit=None) if e.downloaded_at is not None]
        return entry.task_id
    finally:
        journal.close()


@pytest.mark.parametrize("seedance", [False, True], ids=["other clients", "other seedance"])
def test_a_lost_create_that_made_its_task_takes_its_own_never_a_foreign_one(
    run, sim, world, seedance
):
    others(sim, world, seedance=seedance)
    sim.inject(FaultRule("POST", "/tasks$", 502, LOST, after_processing=True))
    done = run("create", "a boat", "-o", "boat.mp4")
    assert done.exit_code == 0, done.stderr
    [mine] = ours(sim)
    assert saved_task(world) == mine, "the lost create saved another client's video"
    assert len(sim.creates()) == 1


def test_a_lost_create_that_made_nothing_stops_before_a_foreign_task_naming_it(run, sim, world):
    """Other clients' tasks carry its nonce, and no safety identifier of seedance's: they
    cannot be told from its own task by chance, so it adopts none, and it does not take
    the create for one that never arrived either."""
    foreign = others(sim, world, seedance=False, expires=7200, each=3)  # 708 nonces
    sim.inject(FaultRule("POST", "/tasks$", 502, LOST))  # refused before it made a task
    stopped = run("create", "a boat", "-o", "boat.mp4", "--expires-after", "7200")
    assert stopped.exit_code == 3, stopped.stderr
    named = [task_id for task_id in foreign if task_id in stopped.stderr]
    assert len(named) == 3, "the tasks on this create's nonce are not named"
    assert "none proven its own" in stopped.stderr
    assert f"seedance -p sim-byteplus status {named[0]}" in stopped.stderr
    assert ours(sim) == [] and not (world.root / "boat.mp4").exists()
    assert len(sim.requests_to(sim.api_origin)) > 0 and len(sim.creates()) == 0


def test_a_lost_create_that_made_nothing_among_other_seedance_machines_tasks_is_sent_again(
    run, sim, world
):
    """Their safety identifiers are other creates' own: none is in doubt, so two looks that
    show no task of its own prove it never arrived, and it is sent again, once."""
    others(sim, world, seedance=True, expires=7200, each=3)
    sim.inject(FaultRule("POST", "/tasks$", 502, LOST))
    done = run("create", "a boat", "-o", "boat.mp4", "--expires-after", "7200")
    assert done.exit_code == 0, done.stderr
    [mine] = ours(sim)
    assert saved_task(world) == mine and len(sim.creates()) == 1


def test_a_server_that_ignores_the_seed_makes_a_lost_create_stop_not_create_again(run, sim, world):
    """The user's own safety identifier (no randomness of seedance's there) and a server that
    draws its own seed: the create's task shows its nonce and another seed. It is not proven
    the create's, nor taken to mean the create never arrived: seedance stops and names it."""
    sim.config.honours_seed = False
    sim.inject(FaultRule("POST", "/tasks$", 502, LOST, after_processing=True))
    stopped = run("create", "a boat", "-o", "boat.mp4", "--safety-id", "user-hash-001")
    assert stopped.exit_code == 3, stopped.stderr
    [mine] = ours(sim)
    assert mine in stopped.stderr and "another seed" in stopped.stderr
    assert len(sim.creates()) == 1 and not (world.root / "boat.mp4").exists()
    # the way on it names: the user looks, and saves it as theirs
    assert f"seedance -p sim-byteplus wait {mine} -o" in stopped.stderr


def test_a_server_that_ignores_the_seed_still_shows_the_lost_creates_own_task(run, sim, world):
    """Without a safety identifier of the user's, the drawn one proves the task the create's,
    whatever seed the server used instead of the one asked for."""
    others(sim, world, seedance=False)
    sim.config.honours_seed = False
    sim.inject(FaultRule("POST", "/tasks$", 502, LOST, after_processing=True))
    done = run("create", "a boat", "-o", "boat.mp4")
    assert done.exit_code == 0, done.stderr
    [mine] = ours(sim)
    assert saved_task(world) == mine and len(sim.creates()) == 1
