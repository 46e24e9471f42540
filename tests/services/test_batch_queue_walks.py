"""The engine looks through its queue again only when a unit ends: with model limits each
look walks the queue (a 50,000-take file: ~20 ms), and the engine ticks every 0.2 s."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from seedance.services.account.gate import Allowance, Gate
from seedance.services.runs import engine as run_engine
from seedance.services.runs.engine import Engine, Outcome, Unit
from seedance.services.runs.states import State

FAST = "dreamina-seedance-2-0-fast-260128"


class Counting(Engine):
    looks = 0

    def _next(self, waiting, running):  # type: ignore[no-untyped-def]
        Counting.looks += 1
        return super()._next(waiting, running)

    def _unit(self, unit):  # type: ignore[no-untyped-def]
        return Outcome(State.DONE)


def limited_to_one(tmp_path: Path, count: int) -> tuple[Any, list[Unit]]:
    """Collaborators whose profile runs one fast task at a time, and `count` fast units."""
    profile = SimpleNamespace(max_running_models={"fast": 1}, max_running=10, base_url="")
    gate = Gate(
        profile,  # type: ignore[arg-type]
        SimpleNamespace(),  # type: ignore[arg-type]
        SimpleNamespace(),  # type: ignore[arg-type]
        SimpleNamespace(time=lambda: 0.0),  # type: ignore[arg-type]
        account="a",
        notify=lambda _text: None,
        auth=lambda: None,  # type: ignore[arg-type,return-value]
    )
    rt = SimpleNamespace(profile=profile, gate=gate)
    units = [Unit(f"r{n}#1", tmp_path / f"r{n}.mp4", FAST) for n in range(count)]
    return rt, units


def work() -> Any:
    return SimpleNamespace(settle=lambda: None, blocked=lambda keys: None)


def test_ticks_with_nothing_ended_do_not_walk_the_queue_again(monkeypatch, tmp_path: Path):
    ticks = {"left": 40}
    real = run_engine.next_finished

    def next_finished(finished, timeout):  # type: ignore[no-untyped-def]
        if ticks["left"]:
            ticks["left"] -= 1
            return None
        return real(finished, 5.0)

    monkeypatch.setattr(run_engine, "next_finished", next_finished)
    rt, units = limited_to_one(tmp_path, 3)
    Counting.looks = 0
    engine = Counting(rt, work(), concurrency=2, allowance=Allowance())
    outcomes = engine.run(units, {})
    assert [o.state for o in outcomes.values()] == [State.DONE] * 3
    assert Counting.looks <= 2 * len(units)  # one or two per unit ended, none per idle tick


def test_only_the_units_a_free_place_would_have_started_are_told_they_wait(tmp_path: Path):
    """A thousand takes of a model limited to one at a time, 4 places: the 3 that free places
    would have started wait for the model's limit; the rest wait their turn, untold (each was
    told at once, a line each in a log: 25,000 lines for a file of 25,000)."""
    rt, units = limited_to_one(tmp_path, 1000)
    told: list[str] = []
    engine = Engine(
        rt,
        work(),
        concurrency=4,
        allowance=Allowance(),
        on_event=lambda key, state, detail: told.append(key) if state == "waiting" else None,
    )
    waiting = units[1:]
    assert engine._next(waiting, [units[0]]) is None
    assert told == ["r1#1", "r2#1", "r3#1"]
    assert engine._next(waiting, [units[0]]) is None
    assert told == ["r1#1", "r2#1", "r3#1"]  # once each
