"""`seedance batch` end to end on the simulator (in process, on the world's fake clock)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

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


def test_a_csv_with_reference_media_finishes_with_a_complete_manifest(run, sim, world):
    (world.root / "media").mkdir()
    (world.root / "media" / "lantern.png").write_bytes(LANTERN.read_bytes())
    (world.root / "shots.csv").write_text(
        "id,prompt,first_frame,image,video,duration,ratio,generate_audio,takes\n"
        'lantern,"A lantern sways, slowly",media/lantern.png,,,5,16:9,false,2\n'
        "styled,A city like the references,,https://example.com/a.png;https://example.com/b.png,"
        "https://example.com/move.mp4,4,9:16,,1\n"
    )
    done = run("batch", "shots.csv", "--json")
    assert done.exit_code == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["totals"]["takes"] == 3 and document["totals"]["done"] == 3
    assert document["rows"][0]["params"]["first_frame"] == "media/lantern.png"
    bodies = {json.loads(c.body)["content"][0]["text"]: json.loads(c.body) for c in sim.creates()}
    lantern = bodies["A lantern sways, slowly"]
    [frame] = [c for c in lantern["content"] if c.get("role") == "first_frame"]
    assert frame["image_url"]["url"].startswith("data:image/png;base64,")
    assert lantern["generate_audio"] is False and lantern["duration"] == 5
    styled = bodies["A city like the references"]
    urls = [c.get("image_url", c.get("video_url", {})).get("url") for c in styled["content"][1:]]
    assert urls == [
        "https://example.com/a.png",
        "https://example.com/b.png",
        "https://example.com/move.mp4",
    ]
    for row in manifest(world, "shots")["rows"]:
        for take in row["takes"]:
            assert take["state"] == "done"
            assert sha(world.root / "shots" / take["clip"]) == take["sha256"]


def test_dry_run_prints_every_request_and_the_total_and_sends_nothing(run, sim, world):
    write_jsonl(world, "jobs.jsonl", [{"id": "a", "prompt": "one", "takes": 2}, {"prompt": "two"}])
    plain = run("batch", "jobs.jsonl", "--dry-run")
    assert plain.exit_code == 0, plain.stderr
    assert "a#1" in plain.stdout and "a#2" in plain.stdout
    assert "total: 3 takes to make: 326,700 tokens ≈ $2.29" in plain.stdout
    as_json = json.loads(run("batch", "jobs.jsonl", "--dry-run", "--json").stdout)
    assert [t["request"]["content"][0]["text"] for t in as_json["takes"]] == ["one", "one", "two"]
    assert as_json["total"]["takes"] == 3
    assert sim.requests == []
    assert not (world.root / "jobs").exists()


MALFORMED = {
    "bad JSON line": (
        "jobs.jsonl",
        '{"prompt": "fine"}\n{"prompt": "broken",}\n',
        "jobs.jsonl, line 2, column 21: not valid JSON",
    ),
    "unknown column": (
        "jobs.csv",
        "id,prompt,durration\na,fine,5\n",
        "jobs.csv, line 1, column durration: unknown column 'durration' (did you mean 'duration'?",
    ),
    "wrong type": (
        "jobs.jsonl",
        '{"prompt": "fine"}\n\n{"prompt": "boat", "duration": true}\n',
        "jobs.jsonl, line 3, column duration: must be a whole number, not true",
    ),
    "wrong type in a cell": (
        "jobs.csv",
        "prompt,duration\nfine,5\nboat,five\n",
        "jobs.csv, line 3, column duration: must be a whole number, not 'five'",
    ),
    "empty prompt": (
        "jobs.jsonl",
        '{"prompt": "fine"}\n{"id": "b", "prompt": "  "}\n',
        "jobs.jsonl, line 2, column prompt: the prompt is empty",
    ),
    "missing file reference": (
        "jobs.csv",
        "prompt,first_frame\nfine,\nboat,frames/missing.png\n",
        "jobs.csv, line 3, column first_frame: image file",
    ),
    "a row the model cannot serve": (
        "jobs.jsonl",
        '{"prompt": "fine"}\n{"prompt": "long", "duration": 99}\n',
        "jobs.jsonl, line 2, column duration: duration 99 is out of range",
    ),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_jobs_exit_2_naming_the_line_and_column_and_send_nothing(run, sim, world, case):
    name, text, expected = MALFORMED[case]
    (world.root / name).write_text(text)
    refused = run("batch", name, "--json")
    assert refused.exit_code == 2, refused.stderr
    assert expected in refused.stderr
    assert json.loads(refused.stdout)["error"]["exit_code"] == 2
    assert sim.requests == []
    assert not (world.root / Path(name).stem / "batch.json").exists()


def test_skip_invalid_runs_the_valid_rows_and_lists_the_others(run, sim, world):
    (world.root / "jobs.jsonl").write_text(
        '{"id": "good", "prompt": "fine"}\n{"id": "bad", "prompt": "x", "duration": 99}\n'
    )
    done = run("batch", "jobs.jsonl", "--skip-invalid", "--json")
    assert done.exit_code == 0, done.stderr
    assert "skipped jobs.jsonl, line 2, column duration" in done.stderr
    document = json.loads(done.stdout)
    assert [r["id"] for r in document["rows"]] == ["good"]
    assert document["skipped"] == [
        {"line": 2, "column": "duration", "id": "bad", "message": document["skipped"][0]["message"]}
    ]
    assert len(sim.creates()) == 1


def test_a_changed_row_is_refused_until_it_is_made_again_on_purpose(run, sim, world):
    write_jsonl(
        world, "jobs.jsonl", [{"id": "boat", "prompt": "a boat"}, {"id": "sea", "prompt": "a sea"}]
    )
    assert run("batch", "jobs.jsonl").exit_code == 0
    first = manifest(world, "jobs")["rows"][0]["takes"][0]
    write_jsonl(
        world,
        "jobs.jsonl",
        [{"id": "boat", "prompt": "a red boat"}, {"id": "sea", "prompt": "a sea"}],
    )
    refused = run("batch", "jobs.jsonl")
    assert refused.exit_code == 2
    assert "row boat changed since it was made" in refused.stderr
    assert "--rerun boat" in refused.stderr
    assert len(sim.creates()) == 2
    again = run("batch", "jobs.jsonl", "--rerun", "boat")
    assert again.exit_code == 0, again.stderr
    assert len(sim.creates()) == 3
    take = manifest(world, "jobs")["rows"][0]["takes"][0]
    assert take["task_id"] != first["task_id"]
    assert sim.state.tasks[take["task_id"]].prompt == "a red boat"
    assert run("batch", "jobs.jsonl").exit_code == 0  # the new content is the row now
    assert len(sim.creates()) == 3


def test_a_failing_row_never_blocks_the_others_and_is_retried_only_when_asked(run, sim, world):
    rows = [{"id": "storm", "prompt": "a storm #fail"}, {"id": "calm", "prompt": "a calm sea"}]
    write_jsonl(world, "jobs.jsonl", rows)
    first = run("batch", "jobs.jsonl", "--concurrency", "1")
    assert first.exit_code == 5, first.stderr
    assert (
        "storm#1 failed: task" in first.stderr
        and "OutputVideoSensitiveContentDetected" in first.stderr
    )
    assert "--retry-failed" in first.stderr
    takes = {r["id"]: r["takes"][0] for r in manifest(world, "jobs")["rows"]}
    assert takes["storm"]["state"] == "failed" and takes["calm"]["state"] == "done"
    kept = run("batch", "jobs.jsonl")
    assert kept.exit_code == 5 and len(sim.creates()) == 2  # kept failed, not paid again
    retried = run("batch", "jobs.jsonl", "--retry-failed")
    assert retried.exit_code == 5 and len(sim.creates()) == 3  # it fails again, once


def test_fail_fast_starts_nothing_after_the_first_failure(run, sim, world):
    rows = [{"id": "storm", "prompt": "a storm #fail"}] + [
        {"id": f"calm{n}", "prompt": f"calm sea {n}"} for n in range(3)
    ]
    write_jsonl(world, "jobs.jsonl", rows)
    stopped = run("batch", "jobs.jsonl", "--concurrency", "1", "--fail-fast")
    assert stopped.exit_code == 5, stopped.stderr
    assert len(sim.creates()) == 1
    assert "3 pending" in stopped.stderr
    resumed = run("batch", "jobs.jsonl")
    assert resumed.exit_code == 5 and len(sim.creates()) == 4  # the others, the failure kept


def test_max_cost_stops_before_the_create_that_would_exceed_it(run, sim, world):
    write_jsonl(world, "jobs.jsonl", [{"id": f"r{n}", "prompt": f"shot {n}"} for n in range(5)])
    stopped = run("batch", "jobs.jsonl", "--max-cost", "2", "--concurrency", "4", "--json")
    assert stopped.exit_code == 2, stopped.stderr
    assert len(sim.creates()) == 2  # 2 × $0.76 fit under $2, a third would not
    assert "would take this run's spend to $2.29, above its cap of $2.00 ($1.52 so far)" in (
        stopped.stderr
    )
    states = [r["takes"][0]["state"] for r in json.loads(stopped.stdout)["rows"]]
    assert states.count("done") == 2 and "stopped" in states


def test_jobs_on_stdin_as_json_lines_and_quiet_prints_the_folder_alone(run, sim, world):
    done = run("batch", "-", "-o", "out", input='{"id": "a", "prompt": "one"}\n')
    assert done.exit_code == 0, done.stderr
    assert (world.root / "out" / "a.mp4").is_file()
    assert manifest(world, "out")["jobs"] == "stdin"
    quiet = run("batch", "-", "-o", "out", "-q", input='{"id": "a", "prompt": "one"}\n')
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, f"{world.root / 'out'}\n", "")
    refused = run("batch", "-", input='{"id": "a", "prompt": "one"}\n')
    assert refused.exit_code == 2 and "--output DIR" in refused.stderr


def test_a_rerun_whose_media_became_new_assets_finds_the_takes_made(run, sim, world):
    """The asset cache is gone between two runs (another machine, a cleaned data dir): the
    media become new assets, so the bodies differ, yet each take's create is found by its
    definition, never paid again."""
    from seedance.services.assets.cache import CACHE_FILE
    from seedance.sim.app import FaultRule

    shared = "https://example.com/lantern.png"
    rows = [{"id": f"r{n}", "prompt": f"shot {n}", "images": [shared], "takes": 2} for n in (1, 2)]
    write_jsonl(world, "jobs.jsonl", rows)
    denied = {"error": {"code": "AccessDenied", "message": "no"}}
    sim.inject(FaultRule("GET", r"/tasks", 403, denied, times=10_000))  # waits fail
    first = run("-p", "sim-phanedge", "batch", "jobs.jsonl", "--concurrency", "4")
    assert first.exit_code != 0 and len(sim.creates()) == 4, first.stderr
    sim.rules.clear()
    (world.data_dir / CACHE_FILE).unlink()
    again = run("-p", "sim-phanedge", "batch", "jobs.jsonl", "--concurrency", "4")
    assert again.exit_code == 0, again.stderr[-400:]
    assert len(sim.creates()) == 4  # the same four tasks, followed and saved
    refs = {part["image_url"]["url"] for c in sim.creates() for part in _images(c.body)}
    assert len(refs) == 1 and refs.pop().startswith("asset://")  # one asset for one image


def _images(body: bytes) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = json.loads(body)["content"]
    return [part for part in content if part.get("type") == "image_url"]


def test_a_row_whose_clip_is_one_an_earlier_run_made_for_another_row_is_refused(run, sim, world):
    write_jsonl(world, "jobs.jsonl", [{"id": "Boat", "prompt": "a boat"}])
    assert run("batch", "jobs.jsonl").exit_code == 0
    write_jsonl(world, "jobs.jsonl", [{"id": "boat", "prompt": "a boat at dusk"}])
    done = run("batch", "jobs.jsonl")
    assert (done.exit_code, len(sim.creates())) == (2, 1), done.stderr
    assert "line 1, column id: its clip boat.mp4 would replace Boat.mp4" in done.stderr
    assert (
        sha(world.root / "jobs" / "Boat.mp4")
        == manifest(world, "jobs")["rows"][0]["takes"][0]["sha256"]
    )


def test_a_take_an_earlier_seedance_journaled_by_its_body_is_found_not_paid_again(run, sim, world):
    """Before takes were known by their definition, batch.json and the journal named a
    take's create by its body's hash: a re-run follows that create."""
    import sqlite3

    from seedance.services.state.sqlite import JOURNAL_FILE
    from seedance.sim.app import FaultRule

    write_jsonl(world, "jobs.jsonl", [{"id": "r1", "prompt": "a boat", "takes": 2}])
    denied = {"error": {"code": "AccessDenied", "message": "no"}}
    sim.inject(FaultRule("GET", r"/tasks", 403, denied, times=10_000))  # waits fail
    assert run("batch", "jobs.jsonl").exit_code != 0 and len(sim.creates()) == 2
    sim.rules.clear()
    path = world.root / "jobs" / "batch.json"
    data = json.loads(path.read_text())
    with sqlite3.connect(world.data_dir / JOURNAL_FILE) as db:
        for take in data["rows"][0]["takes"]:
            take["request_hash"] = f"body-{take['take']}"  # as the earlier seedance named it
            db.execute(
                "UPDATE creates SET request_hash = ? WHERE task_id = ?",
                (take["request_hash"], take["task_id"]),
            )
    path.write_text(json.dumps(data))
    again = run("batch", "jobs.jsonl")
    assert again.exit_code == 0, again.stderr
    assert len(sim.creates()) == 2


def test_issue15_a_batch_rerun_keeps_the_paid_clip_it_replaces(run, sim, world):
    """Issue 15: "a re-made shot or take keeps the earlier file". `batch --rerun` saved the new
    take over the earlier clip (and its poster and record) in place."""
    write_jsonl(world, "jobs.jsonl", [{"id": "boat", "prompt": "a boat", "takes": 2}])
    assert run("batch", "jobs.jsonl").exit_code == 0
    folder = world.root / "jobs"
    (folder / "boat.mp4").write_bytes(b"the first take, as paid for")  # tell the files apart
    (folder / "boat.take2.mp4").write_bytes(b"the second take, as paid for")
    before = {name: sha(folder / name) for name in ("boat.mp4", "boat.take2.mp4")}
    earlier_tasks = {t["task_id"] for t in manifest(world, "jobs")["rows"][0]["takes"]}
    again = run("batch", "jobs.jsonl", "--rerun", "boat")
    assert again.exit_code == 0, again.stderr
    assert len(sim.creates()) == 4
    for name, earlier in before.items():
        kept = folder / name.replace(".mp4", ".1.mp4")
        assert kept.is_file() and sha(kept) == earlier, f"the earlier {name} is lost"
    for take in manifest(world, "jobs")["rows"][0]["takes"]:  # the names hold the new takes
        assert take["task_id"] not in earlier_tasks
        assert sha(folder / take["clip"]) == take["sha256"]
