"""A row `a` with two takes and a row `a.take2` write the same clip: one paid video is lost."""

from __future__ import annotations

import hashlib
import json


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_batch_row_ids_whose_clips_collide_are_refused_before_paying(run, sim, world):
    rows = [
        {"id": "a", "prompt": "a lighthouse at dusk", "takes": 2},
        {"id": "a.take2", "prompt": "a harbour at dawn"},
    ]
    (world.root / "jobs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    done = run("batch", "jobs.jsonl", "--concurrency", "1")
    creates = len(sim.creates())
    manifest = world.root / "jobs" / "batch.json"  # none when refused at plan time
    data = json.loads(manifest.read_text()) if manifest.exists() else {"rows": []}
    takes = [t for r in data["rows"] for t in r["takes"]]
    clips = [t["clip"] for t in takes if t.get("clip")]
    # what a user should get: either a refusal before anything is paid, or one file per take
    refused = done.exit_code == 2 and creates == 0
    distinct = len(set(clips)) == len(clips) == 3 and all(
        sha(world.root / "jobs" / t["clip"]) == t["sha256"] for t in takes
    )
    assert refused or distinct, (
        f"exit {done.exit_code}, {creates} creates paid, clips {clips}; {done.stderr[-400:]}"
    )
    if refused:  # the refusal names both rows and their lines
        assert "line 2" in done.stderr and "row 'a' (line 1)" in done.stderr, done.stderr
