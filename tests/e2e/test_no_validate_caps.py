"""--no-validate never lifts a cap or a budget (issue 26), on every command that takes it."""

from __future__ import annotations

import json

import pytest

import media_files
from seedance.sim.app import API_ORIGIN
from support import sim_profiles

BOAT = "a paper boat at dawn"


def posts(sim) -> list:
    return [r for r in sim.requests if r.method == "POST" and r.path.endswith("/tasks")]


@pytest.mark.parametrize(
    "command",
    [
        ("create", BOAT, "-m", "fast", "-r", "1080p"),
        ("edit", "clip.mp4", "night", "-m", "2.0"),  # no task types
        ("extend", "clip.mp4", "on", "-m", "2.5", "-d", "31"),
        ("chain", "s.toml"),
        ("batch", "jobs.jsonl"),
    ],
)
def test_no_validate_keeps_max_cost(run, sim, world, command):
    media_files.video(world.root / "clip.mp4", seconds=4)  # measured: the estimate is whole
    (world.root / "jobs.jsonl").write_text(
        json.dumps({"id": "a", "prompt": BOAT, "model": "fast", "resolution": "1080p"}) + "\n"
    )
    (world.root / "s.toml").write_text(
        f'[[shots]]\nid = "a"\nprompt = "{BOAT}"\nmodel = "fast"\nresolution = "1080p"\n'
    )
    out = run("--json", *command, "--no-validate", "--max-cost", "0.01")
    assert out.exit_code == 2, out.stderr
    error = json.loads(out.stdout)["error"]
    assert error["field"] == "max_cost" and "cap of $0.01" in error["message"], error
    assert posts(sim) == [] and sim.creates() == []


@pytest.mark.parametrize(
    "command",
    [
        ("create", BOAT, "-m", "fast", "-r", "1080p", "-o", "b.mp4"),
        ("edit", "clip.mp4", "night", "-m", "2.0", "-o", "e"),
        ("chain", "s.toml"),
        ("batch", "jobs.jsonl"),
    ],
)
def test_no_validate_keeps_the_daily_budget(run, sim, world, command):
    media_files.video(world.root / "clip.mp4", seconds=4)
    document = sim_profiles(API_ORIGIN)
    document["profiles"]["sim-byteplus"].update(budget_day=0.05)
    world.write_profiles(document)
    (world.root / "jobs.jsonl").write_text(
        json.dumps({"id": "a", "prompt": BOAT, "model": "fast", "resolution": "1080p"}) + "\n"
    )
    (world.root / "s.toml").write_text(
        f'[[shots]]\nid = "a"\nprompt = "{BOAT}"\nmodel = "fast"\nresolution = "1080p"\n'
    )
    out = run(*command, "--no-validate")
    assert out.exit_code != 0, out.stderr
    assert "budget_day" in out.stderr, out.stderr
    assert posts(sim) == [] and sim.creates() == []
