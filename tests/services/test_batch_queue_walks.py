"""The batch's queue is looked through again only when a take ends: with model limits each
look walks the queue (a 50,000-take file: ~20 ms), and the runner ticks every 0.2 s."""

from __future__ import annotations

import concurrent.futures
from collections import deque
from pathlib import Path
from types import SimpleNamespace

from seedance.services.account.gate import Gate
from seedance.services.batches import runner as batch_runner
from seedance.services.batches.manifest import TakeState
from seedance.services.batches.runner import BatchRunner, Outcome

FAST = "dreamina-seedance-2-0-fast-260128"


class Take(SimpleNamespace):
    pass


class Counting(BatchRunner):
    looks = 0

    def _next(self, queue, running):  # type: ignore[no-untyped-def]
        Counting.looks += 1
        return super()._next(queue, running)

    def _take(self, take):  # type: ignore[no-untyped-def]
        return Outcome(TakeState.DONE)


def limited_to_one(count: int) -> tuple[SimpleNamespace, list[Take]]:
    """A client whose profile runs one fast task at a time, and `count` fast takes."""
    from seedance.services.batches.plan import Action

    profile = SimpleNamespace(max_running_models={"fast": 1}, max_running=10)
    client = SimpleNamespace(profile=profile, clock=SimpleNamespace(time=lambda: 0.0))
    client.gate = Gate(client)  # type: ignore[arg-type]
    model = SimpleNamespace(request=SimpleNamespace(model=FAST))
    takes = [Take(key=f"r{n}#1", action=Action.RUN, prepared=model) for n in range(count)]
    return client, takes


def test_ticks_with_nothing_ended_do_not_walk_the_queue_again(monkeypatch, tmp_path: Path):
    ticks = {"left": 40}

    def wait(futures, timeout, return_when):  # type: ignore[no-untyped-def]
        if ticks["left"]:
            ticks["left"] -= 1
            return set(), set(futures)
        return concurrent.futures.wait(futures, return_when=return_when)

    monkeypatch.setattr(batch_runner, "wait", wait)
    client, takes = limited_to_one(3)
    plan = SimpleNamespace(directory=tmp_path, takes=takes)
    manifest = SimpleNamespace(save=lambda now: None, settle_reruns=lambda now: None)
    Counting.looks = 0
    outcomes = Counting(client, plan, manifest, concurrency=2).run()  # type: ignore[arg-type]
    assert [o.state for o in outcomes.values()] == [TakeState.DONE] * 3
    assert Counting.looks <= 2 * len(takes)  # one or two per take ended, none per idle tick


def test_only_the_takes_a_free_place_would_have_started_are_told_they_wait(tmp_path: Path):
    """A thousand takes of a model limited to one at a time, 4 places: the 3 that free places
    would have started wait for the model's limit; the rest wait their turn, untold (each was
    told at once, a line each in a log: 25,000 lines for a file of 25,000)."""
    client, takes = limited_to_one(1000)
    told: list[str] = []
    runner = BatchRunner(
        client,  # type: ignore[arg-type]
        SimpleNamespace(directory=tmp_path, takes=takes),  # type: ignore[arg-type]
        SimpleNamespace(),  # type: ignore[arg-type]
        concurrency=4,
        on_event=lambda key, state, detail: told.append(key) if state == "waiting" else None,
    )
    queue = deque(takes[1:])
    assert runner._next(queue, [takes[0]]) is None  # type: ignore[arg-type]
    assert told == ["r1#1", "r2#1", "r3#1"]
    assert runner._next(queue, [takes[0]]) is None  # type: ignore[arg-type]
    assert told == ["r1#1", "r2#1", "r3#1"]  # once each
