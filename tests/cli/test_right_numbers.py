"""The numbers a newcomer reads (issue 28): each task's own estimate on the live board, failed
tasks at $0, money in JSON to the cent, spend totals never None, caps with their currency."""

from __future__ import annotations


def rows_of(stderr: str, task_state: str) -> list[str]:
    return [line for line in stderr.splitlines() if f"  {task_state}  " in line]


def test_the_live_cost_is_the_tasks_own_estimate(world, sim):
    result = world.run("create", "a boat", "-m", "fast", "-r", "480p", "-d", "4", "-o", "b.mp4")
    assert result.exit_code == 0, result.stderr
    assert "estimate: 40,594 tokens ≈ $0.23" in result.stderr
    running = rows_of(result.stderr, "running")
    assert running and all(line.endswith("~$0.23") for line in running), result.stderr
    assert rows_of(result.stderr, "succeeded")[-1].endswith("$0.23")


def test_wait_shows_the_estimate_the_create_recorded(world, sim):
    task_id = world.run("create", "a boat", "-m", "2.5", "-d", "12").stdout.strip()
    result = world.run("wait", task_id)
    assert result.exit_code == 0, result.stderr
    running = rows_of(result.stderr, "running")
    assert running and all(line.endswith("~$2.78") for line in running), result.stderr
    assert rows_of(result.stderr, "succeeded")[-1].endswith("$2.78")


def test_a_failed_task_costs_nothing_on_the_board(world, sim):
    result = world.run(
        "create", "a storm #fail", "-m", "fast", "-r", "480p", "-d", "4", "-o", "s.mp4"
    )
    assert result.exit_code == 5, result.stderr
    failed = rows_of(result.stderr, "failed")
    assert failed and "$0.00" in failed[-1] and "~" not in failed[-1], result.stderr


def test_money_in_json_documents_is_to_the_cent(world, sim):
    import json

    (world.root / "shots.toml").write_text('[[shots]]\nid = "a"\nprompt = "a boat"\n')
    (world.root / "jobs.jsonl").write_text('{"id": "b", "prompt": "a gull", "takes": 2}\n')
    amounts = []
    for args in (("chain", "shots.toml"), ("chain", "shots.toml", "--dry-run")):
        document = json.loads(world.run("--json", *args).stdout)
        shots = document["shots"]
        for shot in shots.values() if isinstance(shots, dict) else shots:
            amounts += [shot.get("cost"), shot.get("estimated_cost")]
        amounts += [document.get("total", {}).get("cost")]
    for args in (("batch", "jobs.jsonl"), ("batch", "jobs.jsonl", "--dry-run", "-o", "again")):
        document = json.loads(world.run("--json", *args).stdout)
        for row in document.get("rows", []):
            amounts += [t[k] for t in row["takes"] for k in ("cost", "estimated_cost")]
        amounts += [t.get("estimated_cost") for t in document.get("takes", [])]
        amounts += [document.get("totals", {}).get("spent"), document.get("total", {}).get("cost")]
    priced = [a for a in amounts if a is not None]
    assert len(priced) >= 8 and all(round(a, 2) == a for a in priced), priced
    assert (world.root / "shots" / "chain.json").read_text().count("0.7623") == 2  # kept exact


def test_the_accounts_spend_totals_with_an_unpriced_create_are_numbers(world, sim):
    """The README's `round(t["billed"], 2) for t in client.account.spend().totals()`, once a
    gateway's model with no price has made a video (issue 28: `round(None)` crashed)."""
    from seedance.domain.models import TaskStatus
    from support import runtime_of

    assert world.run("create", "a boat", "-m", "fast", "-r", "480p", "-d", "4").exit_code == 0
    client = world.environment().client()
    state, now = runtime_of(client).state, world.clock.time()
    row = state.begin(
        profile="gateway",
        dialect="ark",
        base_url="https://gateway.example/v1",
        body={"model": "m", "content": [{"type": "text", "text": "a gull"}]},
        request_hash="1" * 64,
        model="m",
        resolution="720p",
        duration=5,
        prompt="a gull",
        output_path=None,
        at=now,
        ledger={"account": "g" * 20, "estimated_tokens": 100_000, "price": None, "currency": None},
    )
    state.created(row, "cgt-unpriced", now)
    state.observe("cgt-unpriced", status=TaskStatus.SUCCEEDED, at=now, tokens=90_000, error=None)
    spent = client.account.spend()
    assert [(t["currency"], round(t["billed"], 2)) for t in spent.totals()] == [("USD", 0.0)]
    assert all(v is not None for t in spent.totals() for v in t.values())
    assert spent.unpriced() == {"creates": 1, "estimated_tokens": 100_000, "tokens": 90_000}
