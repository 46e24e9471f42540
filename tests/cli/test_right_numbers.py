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
