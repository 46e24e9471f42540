"""A storyboard run by version 1 resumes from its chain.json without paying for a shot twice.

tests/services/fixtures/v1 holds what version 1's `seedance chain` left (make_fixtures.py):
`complete/chain.json` after a run that finished, `interrupted/chain.json` after one whose first
shot failed (so the two after it were blocked) while the fourth, independent, finished; and the
one clip and last frame its simulator makes, which every shot's files hold.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parents[1] / "services" / "fixtures" / "v1"


def v1_run(root: Path, which: str) -> dict[str, Any]:
    """The storyboard and the output directory version 1 left; returns its chain.json."""
    shutil.copy(FIXTURES / "shots.toml", root / "shots.toml")
    out = root / "shots"
    out.mkdir()
    document: dict[str, Any] = json.loads((FIXTURES / which / "chain.json").read_text())
    for record in document["shots"].values():
        for name, source in ((record["clip"], "clip.mp4"), (record["frame"], "frame.png")):
            if name:
                shutil.copy(FIXTURES / source, out / name)
        if record["clip"]:
            clip = (out / record["clip"]).read_bytes()
            assert hashlib.sha256(clip).hexdigest() == record["sha256"]
    shutil.copy(FIXTURES / which / "chain.json", out / "chain.json")
    return document


def test_a_finished_v1_run_is_kept_whole(run, sim, world):
    before = v1_run(world.root, "complete")

    result = run("chain", "shots.toml")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(world.root / "shots")
    assert sim.requests == []  # nothing created, nothing even asked
    after = json.loads((world.root / "shots" / "chain.json").read_text())
    before.pop("updated_at"), after.pop("updated_at")
    assert after == before  # every record as version 1 wrote it, in its shape


def test_an_interrupted_v1_run_makes_only_what_is_missing(run, sim, world):
    before = v1_run(world.root, "interrupted")
    assert {k: r["state"] for k, r in before["shots"].items()} == {
        "dawn": "failed",
        "bridge": "blocked",
        "sea": "blocked",
        "city": "done",
    }

    dry = run("chain", "shots.toml", "--dry-run", "--json")
    result = run("chain", "shots.toml")

    assert dry.exit_code == 0, dry.stderr
    actions = {s["id"]: s["action"] for s in json.loads(dry.stdout)["shots"]}
    assert actions == {"dawn": "run", "bridge": "run", "sea": "run", "city": "skip"}
    assert result.exit_code == 0, result.stderr
    prompts = [r.json()["content"][0]["text"] for r in sim.creates()]
    assert len(prompts) == 3 and not any("skyline" in p for p in prompts)
    after = json.loads((world.root / "shots" / "chain.json").read_text())["shots"]
    assert {r["state"] for r in after.values()} == {"done"}
    assert after["city"] == before["shots"]["city"]
    # the same fields, in order; a shot made now also records the seed the provider used
    assert list(after["dawn"]) == [*before["shots"]["dawn"], "seed"]
