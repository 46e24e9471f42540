"""Identity that travels (issue 25): two "machines" (real processes, each its own data
directory, folder and SEEDANCE_MACHINE) share one PostgreSQL state and one simulator. A batch
killed on one is finished by the other, in another folder with no manifest, without a create
twice; one request id from both at once makes one video; a rerun killed after its create is
retried elsewhere without a second rerun create; a video saved on the other machine whose URL
has expired is named, never made again silently. Every process runs on a fake clock."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import psycopg
import pytest

from seedance.sim.app import API_ORIGIN
from support import Running, World, run_process, sim_profiles


def machine(world: World, name: str, url: str) -> World:
    """Another machine beside `world`: its own folder and data directory, the same profiles,
    simulator and shared state."""
    root = world.root / name
    root.mkdir()
    environ = {
        **world.environ,
        "SEEDANCE_DATA_DIR": str(root / "data"),
        "SEEDANCE_MACHINE": name,
        "SEEDANCE_STATE_URL": url,
    }
    return World(root, environ, world.clock, world.transport)


def write_jobs(world: World, rows: list[dict[str, Any]]) -> None:
    (world.root / "jobs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def made(server: Any) -> Counter[tuple[str, int]]:
    return Counter(
        (json.loads(c.body)["content"][0]["text"], json.loads(c.body)["seed"])
        for c in server.sim.creates()
    )


def verified(world: World) -> dict[str, str]:
    """Every take of the machine's batch.json: done, its clip there with its SHA-256."""
    import hashlib

    data = json.loads((world.root / "jobs" / "batch.json").read_text())
    found = {}
    for row in data["rows"]:
        for take in row["takes"]:
            assert take["state"] == "done", take
            clip = world.root / "jobs" / take["clip"]
            assert hashlib.sha256(clip.read_bytes()).hexdigest() == take["sha256"]
            found[f"{row['id']}#{take['take']}"] = take["task_id"]
    return found


def test_a_batch_killed_on_one_machine_is_finished_on_another_paying_once(
    world, sim_server, state_url
):
    a, b = machine(world, "a", state_url), machine(world, "b", state_url)
    rows = [{"id": f"r{n}", "prompt": f"shot {n}", "takes": 2} for n in range(5)]
    write_jobs(a, rows)
    write_jobs(b, rows)
    # one take at a time: the state's locks are polled on each process's fake clock, and
    # threads polling for them would run that clock hours ahead of the other machine's
    args = ["-p", "sim-byteplus", "batch", "jobs.jsonl", "--concurrency", "1"]
    # killed right after the server made the 6th task, before the state heard its answer
    crashed = run_process(a, *args, crash_at="create-sent#6")
    assert crashed.exit_code == -9, crashed.stderr
    assert len(sim_server.sim.creates()) == 6
    again = run_process(b, *args)  # another folder, no batch.json, no local journal
    assert again.exit_code == 0, again.stderr
    creates = made(sim_server)
    assert len(creates) == 10 and set(creates.values()) == {1}
    tasks = verified(b)
    assert len(tasks) == 10
    assert "created on a; no new create" in again.stderr  # says what it resumed
    # the same batch on a third machine: every video downloaded there, nothing created
    c = machine(world, "c", state_url)
    write_jobs(c, rows)
    third = run_process(c, *args)
    assert third.exit_code == 0, third.stderr
    assert len(sim_server.sim.creates()) == 10 and verified(c) == tasks


def test_one_request_id_from_two_machines_at_once_makes_one_video(world, sim_server, state_url):
    a, b = machine(world, "a", state_url), machine(world, "b", state_url)
    args = ["-p", "sim-byteplus", "create", "a boat", "-o", "boat.mp4", "--request-id", "boat-1"]
    first = Running(a, *args, hold_at="create-created")  # its create made, the id held
    assert first.until("seedance-hold: create-created")
    second = Running(b, *args)
    assert second.until("a process on a is working on request boat-1")
    one, two = first.finish(), second.finish()
    assert (one.exit_code, two.exit_code) == (0, 0), one.stderr + two.stderr
    assert len(sim_server.sim.creates()) == 1
    assert (a.root / "boat.mp4").read_bytes() == (b.root / "boat.mp4").read_bytes()
    # the id names that one video everywhere: a repeat anywhere pays nothing
    assert run_process(b, *args).exit_code == 0
    assert len(sim_server.sim.creates()) == 1


def test_a_rerun_killed_after_its_create_is_retried_elsewhere_with_one_create(
    world, sim_server, state_url
):
    a, b = machine(world, "a", state_url), machine(world, "b", state_url)
    rows = [{"id": "r1", "prompt": "a lake"}, {"id": "r2", "prompt": "a field"}]
    write_jobs(a, rows)
    write_jobs(b, rows)
    args = ["-p", "sim-byteplus", "batch", "jobs.jsonl"]
    assert run_process(a, *args).exit_code == 0
    assert len(sim_server.sim.creates()) == 2
    killed = run_process(a, *args, "--rerun", "r1", crash_at="create-created")
    assert killed.exit_code == -9, killed.stderr
    assert len(sim_server.sim.creates()) == 3  # the rerun's create
    rerun_task = sim_server.sim.creates()[-1]
    retried = run_process(b, *args, "--rerun", "r1")  # the CI job, retried on a fresh runner
    assert retried.exit_code == 0, retried.stderr
    assert len(sim_server.sim.creates()) == 3  # neither skipped nor paid twice
    tasks = verified(b)
    rows_made = psycopg.connect(state_url).execute(
        'SELECT unit, generation, rerun, task_id FROM seedance_creates ORDER BY "row"'
    )
    by_unit = [(u, g, r) for u, g, r, _ in rows_made.fetchall()]
    assert sorted(by_unit[:2]) == [("r1#1", 0, None), ("r2#1", 0, None)]  # either first
    assert by_unit[2:] == [("r1#1", 1, None)]  # the rerun: settled
    assert tasks["r1#1"] != tasks["r2#1"] and rerun_task is not None
    # settled: asking again is a new rerun (billed anew, as asked), made once
    assert run_process(b, *args, "--rerun", "r1").exit_code == 0
    assert len(sim_server.sim.creates()) == 4
    assert run_process(a, *args).exit_code == 0  # and machine a, as it is: nothing more
    assert len(sim_server.sim.creates()) == 4


def test_a_changed_row_is_refused_on_another_machine_until_rerun(world, sim_server, state_url):
    a, b = machine(world, "a", state_url), machine(world, "b", state_url)
    write_jobs(a, [{"id": "r1", "prompt": "a lake"}])
    write_jobs(b, [{"id": "r1", "prompt": "a lake at dawn"}])
    args = ["-p", "sim-byteplus", "batch", "jobs.jsonl"]
    assert run_process(a, *args).exit_code == 0
    refused = run_process(b, *args)
    assert refused.exit_code == 2, refused.stderr
    assert "row r1 changed since it was made (as batch 'jobs')" in refused.stderr
    assert "--rerun r1" in refused.stderr and len(sim_server.sim.creates()) == 1
    named = run_process(b, *args, "--name", "dawn")  # another batch, by its name
    assert named.exit_code == 0 and len(sim_server.sim.creates()) == 2
    assert run_process(b, *args, "--rerun", "r1").exit_code == 0
    assert len(sim_server.sim.creates()) == 3


@pytest.fixture
def machines(world, sim, state_url) -> tuple[World, World, str]:
    """Two machines in this process (CliRunner), on the in-process simulator."""
    world.write_profiles(sim_profiles(API_ORIGIN))
    return machine(world, "a", state_url), machine(world, "b", state_url), state_url


def test_a_video_saved_on_another_machine_is_downloaded_again_or_its_expiry_named(machines, sim):
    a, b, url = machines
    args = ("create", "a boat", "-o", "boat.mp4", "--request-id", "boat-1")
    assert a.run(*args).exit_code == 0
    again = b.run(*args)  # its URL lives: downloaded here from its task
    assert again.exit_code == 0, again.stderr
    assert (b.root / "boat.mp4").read_bytes() == (a.root / "boat.mp4").read_bytes()
    args = ("create", "a lake", "-o", "lake.mp4", "--request-id", "lake-1")
    assert a.run(*args).exit_code == 0
    [[task]] = psycopg.connect(url).execute(
        "SELECT task_id FROM seedance_creates WHERE label = 'request:lake-1'"
    )
    sim.expire_next_urls(10)
    expired = b.run(*args)
    assert expired.exit_code == 3, expired.stderr
    assert f"the video of task {task} was saved on a (at {a.root / 'lake.mp4'})" in expired.stderr
    error = expired.stderr.partition("error: ")[2]
    assert error.rstrip().endswith("under a new request id") and "--new" not in error
    assert len(sim.creates()) == 2 and not (b.root / "lake.mp4").exists()
    # the choice it names: that file copied here, verified by its SHA-256
    (b.root / "lake.mp4").write_bytes((a.root / "lake.mp4").read_bytes())
    assert b.run(*args).exit_code == 0 and len(sim.creates()) == 2


def test_a_batch_killed_on_a_local_journal_resumes_elsewhere_once_the_journal_is_imported(
    world, sim_server, state_url
):
    """A user alone, then in a team: a batch killed on a laptop's local journal (the create
    of its third take on the wire), the journal exported and imported into the shared state,
    and the batch run on another machine into another folder: every take made once."""
    laptop = machine(world, "laptop", state_url)
    del laptop.environ["SEEDANCE_STATE_URL"]  # the local journal
    runner = machine(world, "runner", state_url)
    rows = [{"id": f"r{n}", "prompt": f"shot {n}"} for n in range(4)]
    write_jobs(laptop, rows)
    write_jobs(runner, rows)
    args = ["-p", "sim-byteplus", "batch", "jobs.jsonl", "--concurrency", "1"]
    crashed = run_process(laptop, *args, crash_at="create-sent#3")
    assert crashed.exit_code == -9, crashed.stderr
    assert len(sim_server.sim.creates()) == 3
    exported = run_process(laptop, "journal", "export", "mine.jsonl")
    assert exported.exit_code == 0, exported.stderr
    (runner.root / "mine.jsonl").write_bytes((laptop.root / "mine.jsonl").read_bytes())
    imported = run_process(runner, "journal", "import", "mine.jsonl")
    assert imported.exit_code == 0, imported.stderr
    again = run_process(runner, *args)
    assert again.exit_code == 0, again.stderr
    creates = made(sim_server)
    assert len(creates) == 4 and set(creates.values()) == {1}  # the 4th only was new
    assert len(verified(runner)) == 4
