"""The batch's queue is looked through again only when a take ends: with model limits each
look walks the queue (a 50,000-take file: ~20 ms), and the runner ticks every 0.2 s."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path
from types import SimpleNamespace

from seedance.services.accounts import Gate
from seedance.services.batch import runner as batch_runner
from seedance.services.batch.manifest import TakeState
from seedance.services.batch.runner import BatchRunner, Outcome

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


def test_ticks_with_nothing_ended_do_not_walk_the_queue_again(monkeypatch, tmp_path: Path):
    from seedance.services.batch.plan import Action

    ticks = {"left": 40}

    def wait(futures, timeout, return_when):  # type: ignore[no-untyped-def]
        if ticks["left"]:
            ticks["left"] -= 1
            return set(), set(futures)
        return concurrent.futures.wait(futures, return_when=return_when)

    monkeypatch.setattr(batch_runner, "wait", wait)
    profile = SimpleNamespace(max_running_models={"fast": 1}, max_running=10)
    client = SimpleNamespace(profile=profile, clock=SimpleNamespace(time=lambda: 0.0))
    client.gate = Gate(client)  # type: ignore[arg-type]
    takes = [
        Take(
            key=f"r{n}#1",
            action=Action.RUN,
            prepared=SimpleNamespace(request=SimpleNamespace(model=FAST)),
        )
        for n in range(3)
    ]
    plan = SimpleNamespace(directory=tmp_path, takes=takes)
    manifest = SimpleNamespace(save=lambda now: None, settle_reruns=lambda now: None)
    Counting.looks = 0
    outcomes = Counting(client, plan, manifest, concurrency=2).run()  # type: ignore[arg-type]
    assert [o.state for o in outcomes.values()] == [TakeState.DONE] * 3
    assert Counting.looks <= 2 * len(takes)  # one or two per take ended, none per idle tick
