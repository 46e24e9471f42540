"""The real CLI on a state shared on PostgreSQL (issue 25): a database that cannot be reached
at start stops the command before anything is paid; the whole path from a request to a
verified video keeps its journal there; a local journal moved into it keeps every total of
`spend`; a schema of another version is refused until `journal migrate`."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import psycopg

from seedance.sim.app import API_ORIGIN
from support import World, sim_profiles

TOTALS = ("currency", "creates", "estimated_tokens", "tokens", "estimated", "billed")


def shared(world: World, url: str) -> None:
    world.environ["SEEDANCE_STATE_URL"] = url


def totals(world: World, *args: str) -> list[dict[str, object]]:
    done = world.run("spend", "--json", *args)
    assert done.exit_code == 0, done.stderr
    return [{k: t[k] for k in TOTALS} for t in json.loads(done.stdout)["totals"]]


def test_a_database_that_cannot_be_reached_at_start_exits_4_and_sends_nothing(
    run, sim, world, tmp_path: Path
):
    shared(world, f"postgresql://ana:hunter22@/films?host={tmp_path / 'no-server-here'}")
    for args in (("create", "a boat", "-o", "boat.mp4"), ("create", "a lake"), ("spend",)):
        done = run(*args)
        assert done.exit_code == 4, done.stderr
        assert "cannot reach the shared state at postgresql:///films" in done.stderr
        assert "hunter22" not in done.stderr + done.stdout
    assert sim.creates() == []
    assert not (world.data_dir / "journal.sqlite3").exists()  # never the local file instead
    failed = run("create", "a boat", "-o", "boat.mp4", "--json")
    error = json.loads(failed.stdout)["error"]
    assert (error["code"], error["exit_code"]) == ("state_unreachable", 4)
    # the same from state_url at the top of profiles.toml
    del world.environ["SEEDANCE_STATE_URL"]
    document = sim_profiles(API_ORIGIN)
    world.write_profiles({"state_url": f"postgresql:///films?host={tmp_path}", **document})
    done = run("create", "a boat", "-o", "boat.mp4")
    assert done.exit_code == 4 and "cannot reach the shared state" in done.stderr
    world.environ["SEEDANCE_STATE_URL"] = ""  # set empty: the local journal after all
    assert run("create", "a boat", "-o", "boat.mp4").exit_code == 0
    assert len(sim.creates()) == 1


def test_a_video_made_on_the_shared_state_is_found_there_again(run, sim, world, state_url):
    shared(world, state_url)
    made = run("create", "a boat", "-o", "boat.mp4")
    assert made.exit_code == 0, made.stderr
    assert not (world.data_dir / "journal.sqlite3").exists()
    again = run("create", "a boat", "-o", "boat.mp4")
    assert again.exit_code == 0, again.stderr
    assert len(sim.creates()) == 1
    [[machine, login, sha]] = (
        psycopg.connect(state_url)
        .execute("SELECT machine, login, sha256 FROM seedance_creates")
        .fetchall()
    )
    assert machine == socket.gethostname() and login and sha
    checked = run("journal", "check", "--json")
    assert checked.exit_code == 0, checked.stderr
    report = json.loads(checked.stdout)
    assert (report["store"], report["rows"], report["schema_version"]) == ("postgres", 1, 7)
    repaired = run("journal", "repair")
    assert repaired.exit_code == 0 and "is sound: nothing to repair" in repaired.stderr
    assert "from the shared state" in run("spend").stderr
    by = json.loads(run("spend", "--by", "machine", "--json").stdout)
    assert [g["machine"] for g in by["groups"]] == [socket.gethostname()]
    by = json.loads(run("spend", "--by", "user", "--json").stdout)
    assert [g["user"] for g in by["groups"]] == [login]
    doctor = json.loads(run("doctor", "--json").stdout or "{}")
    state = next(c for c in doctor.get("checks", []) if c["check"] == "state")
    assert state["status"] == "ok" and "schema version 7" in state["detail"]


def test_a_local_journal_moved_into_the_shared_state_keeps_spend_and_its_work(
    run, sim, world, state_url
):
    assert run("create", "a boat", "-o", "boat.mp4").exit_code == 0
    assert run("create", "a lake", "-o", "lake.mp4", "--timeout", "1").exit_code == 6  # running
    assert run("create", "a field").exit_code == 0  # no output: its task only
    local = totals(world)
    exported = run("journal", "export", "mine.jsonl")
    assert exported.exit_code == 0, exported.stderr
    assert (world.root / "mine.jsonl").stat().st_mode & 0o777 == 0o600

    shared(world, state_url)
    assert totals(world) == []  # a new shared state: empty
    imported = run("journal", "import", "mine.jsonl", "--json")
    assert imported.exit_code == 0, imported.stderr
    assert json.loads(imported.stdout)["imported"] == 3
    assert totals(world) == local
    twice = run("journal", "import", "mine.jsonl", "--json")
    assert json.loads(twice.stdout)["imported"] == 0 and totals(world) == local

    # the work in progress goes on from the shared state: no create
    resumed = run("create", "a lake", "-o", "lake.mp4")
    assert resumed.exit_code == 0, resumed.stderr
    assert len(sim.creates()) == 3
    # and the shared state exports too, back to a file
    back = run("journal", "export", "team.jsonl")
    assert back.exit_code == 0, back.stderr
    assert len((world.root / "team.jsonl").read_text().splitlines()) == 1 + 3


def test_an_older_schema_is_refused_until_journal_migrate(run, sim, world, state_url):
    shared(world, state_url)
    assert run("journal", "migrate").exit_code == 0  # sets up the empty database
    with psycopg.connect(state_url, autocommit=True) as conn:
        conn.execute("UPDATE seedance_meta SET value = '5'")
    refused = run("create", "a boat", "-o", "boat.mp4")
    assert refused.exit_code == 2, refused.stderr
    assert "older than this seedance's (7); nothing was sent" in refused.stderr
    assert refused.stderr.rstrip().endswith("journal migrate")
    assert sim.creates() == []
    migrated = run("journal", "migrate")
    assert migrated.exit_code == 0, migrated.stderr
    assert "from schema version 5 to 7" in migrated.stderr
    assert run("create", "a boat", "-o", "boat.mp4").exit_code == 0
    assert len(sim.creates()) == 1
