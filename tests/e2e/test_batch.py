"""`seedance batch` end to end on the simulator (in process, on the world's fake clock)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from support import World

LANTERN = Path(__file__).resolve().parents[2] / "examples" / "media" / "lantern.png"


def manifest(world: World, folder: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((world.root / folder / "batch.json").read_text())
    return data


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_jsonl(world: World, name: str, rows: list[dict[str, Any]]) -> Path:
    path = world.root / name
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_thirty_rows_with_two_takes_each_finish_with_a_complete_manifest(run, sim, world):
    rows = [{"id": f"r{n:02d}", "prompt": f"shot number {n}", "takes": 2} for n in range(30)]
    write_jsonl(world, "jobs.jsonl", rows)
    done = run("batch", "jobs.jsonl", "--concurrency", "8")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.strip() == str(world.root / "jobs")
    assert len(sim.creates()) == 60
    data = manifest(world, "jobs")
    assert [r["id"] for r in data["rows"]] == [r["id"] for r in rows]
    seeds = set()
    for row in data["rows"]:
        assert [t["take"] for t in row["takes"]] == [1, 2]
        for take in row["takes"]:
            assert take["state"] == "done" and take["task_id"] and take["cost"] > 0
            clip = world.root / "jobs" / take["clip"]
            assert sha(clip) == take["sha256"]
            assert sim.state.tasks[take["task_id"]].seed == take["seed"]
            seeds.add(take["seed"])
        assert row["takes"][1]["clip"] == f"{row['id']}.take2.mp4"
    assert len(seeds) == 60  # every take its own seed
    again = run("batch", "jobs.jsonl")
    assert again.exit_code == 0, again.stderr
    assert len(sim.creates()) == 60  # nothing made twice
    assert "60 takes kept from an earlier run" in again.stderr
