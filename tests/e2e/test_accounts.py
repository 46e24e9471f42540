"""The account's limits across commands (issue 16): one concurrency cap counted from the
journal, lowered by a concurrency 429; spending caps reserved before each create; `spend`
from the journal's ledger. In process, on the world's fake clock."""

from __future__ import annotations

import itertools
import json
from typing import Any

from seedance.domain.catalogue import catalogue
from seedance.services.state.sqlite import JournalState, SqliteState
from seedance.sim import accounts
from seedance.sim.app import API_ORIGIN
from support import World, sim_profiles, version_3_journal

FAST = "dreamina-seedance-2-0-fast-260128"
STANDARD = "dreamina-seedance-2-0-260128"


def profile_settings(world: World, **settings: Any) -> None:
    document = sim_profiles(API_ORIGIN)
    document["profiles"]["sim-byteplus"].update(settings)
    world.write_profiles(document)


def price_of(model: str) -> float:
    spec = catalogue().resolve(model, "byteplus")
    estimate = catalogue().estimate(spec, resolution="720p", ratio="16:9", duration=5)
    assert estimate.price_per_million is not None
    return estimate.price_per_million


def jobs(world: World, name: str, rows: list[dict[str, Any]]) -> None:
    (world.root / name).write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_a_concurrency_429_lowers_the_cap_for_the_rest_of_the_run(run, sim, world):
    sim.config.max_running = 2  # the account allows 2; the profile says 10
    sim.config.run_seconds = 900  # longer than the HTTP layer's retries of a 429
    jobs(world, "jobs.jsonl", [{"id": f"r{n}", "prompt": f"shot {n}"} for n in range(6)])
    done = run("batch", "jobs.jsonl", "--concurrency", "4")
    assert done.exit_code == 0, done.stderr
    assert "at most 2 at a time for the rest of this run" in done.stderr
    assert len(sim.creates()) == 6
    assert accounts.peak_running(sim) == {accounts.account_of_key("sim-token"): 2}
    refused = [
        e
        for e in SqliteState(world.data_dir).entries(limit=None)
        if e.state is JournalState.REJECTED
    ]
    # only the two takes sent before the cap came down were refused; none after
    assert 1 <= len(refused) <= 2
    assert all("ConcurrencyLimitExceeded" in (e.error or "") for e in refused)


def test_a_create_without_wait_holds_its_slot_until_its_task_is_seen_finished(run, sim, world):
    profile_settings(world, max_running=1)
    first = run("create", "a boat")
    assert first.exit_code == 0, first.stderr
    second = run("create", "a lake", "-o", "lake.mp4")
    assert second.exit_code == 0, second.stderr
    assert "waiting for a slot: 1 of 1 tasks unfinished on this account" in second.stderr
    assert accounts.peak_running(sim) == {accounts.account_of_key("sim-token"): 1}
    first_task = sim.state.tasks[first.stdout.strip()]
    second_task = next(t for t in sim.state.tasks.values() if t.prompt == "a lake")
    assert second_task.created_at >= first_task.finished_at()


def test_a_daily_budget_stops_the_create_that_would_exceed_it(run, sim, world):
    profile_settings(world, budget_day=1.0)
    assert run("create", "a boat", "-o", "boat.mp4").exit_code == 0
    refused = run("create", "a lake", "-o", "lake.mp4")
    assert refused.exit_code == 2
    assert (
        "this create (≈ $0.76) would take today's spend on this account to $1.52, above the "
        "profile's budget_day of $1.00 ($0.76 spent today, UTC); nothing was sent"
    ) in refused.stderr
    assert len(sim.creates()) == 1
    world.clock.advance(86_400)  # the next (UTC) day
    assert run("create", "a lake", "-o", "lake.mp4").exit_code == 0
    assert len(sim.creates()) == 2


def test_an_unpriced_request_is_refused_under_any_cap_unless_allowed(run, sim, world):
    profile_settings(world, budget_month=50.0)
    unknown = ["create", "a boat", "-m", "ep-20260601-mine", "--no-validate", "-o", "boat.mp4"]
    refused = run(*unknown)
    assert refused.exit_code == 2
    assert "the price of this request is not known" in refused.stderr
    assert "--allow-unpriced" in refused.stderr
    assert sim.requests == []
    allowed = run(*unknown, "--allow-unpriced")
    assert allowed.exit_code == 3  # past the caps: the (simulated) server does not know it
    assert len(sim.requests) == 1
    capped = run("create", "a sea", "-o", "sea.mp4", "--max-cost", "0.5")
    assert capped.exit_code == 2
    assert "this create (≈ $0.76) would take this run's spend to $0.76, above its cap" in (
        capped.stderr
    )
    assert len(sim.requests) == 1


def test_spend_equals_the_simulators_billed_usage_per_model_and_per_day(run, sim, world):
    rows = [{"id": "a", "prompt": "one", "takes": 2}, {"id": "b", "prompt": "two", "model": FAST}]
    jobs(world, "day1.jsonl", rows)
    assert run("batch", "day1.jsonl").exit_code == 0
    world.clock.advance(86_400)
    rows = [{"id": "c", "prompt": "three", "model": FAST, "resolution": "480p", "takes": 3}]
    jobs(world, "day2.jsonl", [*rows, {"id": "d", "prompt": "four #fail"}])
    assert run("batch", "day2.jsonl").exit_code == 5
    assert run("create", "five", "-o", "five.mp4").exit_code == 0

    billed = accounts.billed(sim)
    by_model = json.loads(run("spend", "--by", "model", "--json").stdout)
    tokens = {g["model"]: g["tokens"] for g in by_model["groups"]}
    assert tokens == {m: sum(t for (model, _), t in billed.items() if model == m) for m in tokens}
    assert set(tokens) == {FAST, STANDARD}
    by_day = json.loads(run("spend", "--by", "day", "--json").stdout)
    days = {g["day"]: g["tokens"] for g in by_day["groups"]}
    assert len(days) == 2
    assert days == {d: sum(t for (_, day), t in billed.items() if day == d) for d in days}
    # money: the usage at the prices the creates were sent at
    [total] = by_model["totals"]
    assert total["currency"] == "USD"
    assert total["tokens"] == sum(billed.values())
    priced = sum(tokens * price_of(model) / 1e6 for (model, _), tokens in billed.items())
    assert total["billed"] == round(priced, 2)  # to the cent (issue 28: no float noise)
    assert total["estimated"] > total["billed"]  # the failed task was estimated, not billed
    by_batch = json.loads(run("spend", "--by", "batch", "--json").stdout)
    names = {g["batch"].rsplit("/", 1)[-1] if g["batch"] else None for g in by_batch["groups"]}
    assert names == {"day1", "day2", None}
    chart = run("spend", "--by", "model")
    assert chart.exit_code == 0 and FAST in chart.stdout
    assert run("spend", "--since", "yesterday").exit_code == 2


def test_a_model_with_a_limit_of_its_own_runs_within_it(run, sim, world):
    """The fast rows one at a time; the standard row after them in the file does not wait
    behind them (a row waiting for its model's limit holds no place in the batch)."""
    sim.config.run_seconds = 900  # long enough that the standard create is sent meanwhile
    profile_settings(world, max_running=3, max_running_models={"fast": 1})
    rows = [{"id": f"f{n}", "prompt": f"fast {n}", "model": "fast"} for n in range(3)]
    jobs(world, "jobs.jsonl", [*rows, {"id": "s", "prompt": "standard"}])
    done = run("batch", "jobs.jsonl")
    assert done.exit_code == 0, done.stderr
    assert "waiting for a slot: 1 of 1 tasks of dreamina-seedance-2-0-fast-260128 running" in (
        done.stderr
    )
    tasks = sim.state.tasks.values()
    fast = sorted((t.created_at, t.finished_at()) for t in tasks if t.model == FAST)
    assert len(fast) == 3
    assert all(later[0] >= earlier[1] for earlier, later in itertools.pairwise(fast))
    [standard] = [t for t in tasks if t.model == STANDARD]
    assert standard.created_at < fast[0][1]  # sent while the first fast task ran
    assert accounts.peak_running(sim) == {accounts.account_of_key("sim-token"): 2}


def test_a_journal_that_cannot_be_upgraded_warns_the_cap_is_off_until_there_is_room(
    run, sim, world
):
    """No budget: the create goes through, saying once that the cap on unfinished tasks is
    not enforced; with room made, the next run upgrades the journal and counts again."""
    from seedance.services.state.sqlite import JOURNAL_FILE

    profile_settings(world, max_running=3)
    world.data_dir.mkdir(parents=True)
    version_3_journal(world.data_dir)
    blocked = world.data_dir / f"{JOURNAL_FILE}.v3.bak.tmp"
    blocked.mkdir()  # no room for the backup
    done = run("create", "a boat", "-o", "boat.mp4")
    assert done.exit_code == 0, done.stderr
    assert done.stderr.count("the cap of 3 unfinished tasks (max_running) is not enforced") == 1
    blocked.rmdir()
    again = run("create", "a lake", "-o", "lake.mp4")
    assert again.exit_code == 0 and "not enforced" not in again.stderr, again.stderr
    assert SqliteState(world.data_dir).has_ledger()
