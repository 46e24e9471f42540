"""No user action bills a task twice, and no file but seedance's own counts as a saved video.

Each test reproduces a way an earlier version did bill twice or lose a video (found in review).
"""

from __future__ import annotations

import json
import os

import pytest

from seedance.sim.app import FaultRule
from support import ServerClock, run_process

STORYBOARD = '[[shots]]\nid = "a"\nprompt = "first"\n[[shots]]\nid = "b"\nprompt = "second"\n'
LOST = {"error": {"code": "InternalServiceError", "message": "bad gateway", "type": "x"}}


def board(world) -> None:
    (world.root / "s.toml").write_text(STORYBOARD)


def test_chain_rerun_polls_a_shot_that_failed_after_it_was_submitted(run, sim, world):
    board(world)
    sim.inject(
        FaultRule("GET", "/tasks", 403, {"error": {"code": "AccessDenied", "message": "no"}})
    )
    first = run("chain", "s.toml")
    assert first.exit_code == 3
    record = json.loads((world.root / "s" / "chain.json").read_text())["shots"]["a"]
    assert record["state"] == "error" and record["task_id"]
    again = run("chain", "s.toml")
    assert again.exit_code == 0, again.stderr
    assert len(sim.creates()) == 2  # one per shot: the first was read, not made again


def test_chain_finds_a_create_whose_answer_was_lost_in_the_same_run(run, sim, world):
    board(world)
    sim.inject(FaultRule("POST", "/tasks$", 502, LOST, after_processing=True))
    first = run("chain", "s.toml")
    assert first.exit_code == 0, first.stderr
    assert "found the task of the interrupted create" in first.stderr
    assert len(sim.creates()) == 2
    assert run("chain", "s.toml").exit_code == 0
    assert len(sim.creates()) == 2


@pytest.mark.parametrize("step", ["create-sending", "create-sent", "create-created"])
def test_chain_killed_around_a_create_never_makes_it_twice(world, sim_server, step):
    board(world)
    killed = run_process(world, "-p", "sim-byteplus", "chain", "s.toml", crash_at=step)
    assert killed.exit_code == -9
    resumed = run_process(world, "-p", "sim-byteplus", "chain", "s.toml")
    assert resumed.exit_code == 0, resumed.stderr
    assert len(sim_server.sim.creates()) == 2


def test_an_unreadable_create_answer_is_an_unknown_outcome_found_by_its_nonce(run, sim, world):
    sim.inject(FaultRule("POST", "/tasks$", 200, {"unexpected": "shape"}, after_processing=True))
    first = run("create", "a boat", "-o", "boat.mp4")
    assert first.exit_code == 0, first.stderr
    [entry] = json.loads(run("tasks", "list", "--local", "--json").stdout)
    [task] = sim.state.tasks.values()
    assert (entry["state"], entry["task_id"]) == ("created", task.id)  # adopted, not re-sent
    assert entry["nonce"] == task.params["execution_expires_after"]
    assert entry["error"].startswith("the API accepted the request but its answer has no task id")
    assert len(sim.creates()) == 1


def test_a_lost_create_is_found_despite_clock_skew(run, sim, world):
    sim.clock = sim.store.clock = ServerClock(world.clock, behind=120)
    sim.inject(FaultRule("POST", "/tasks$", 502, LOST, after_processing=True))
    found = run("create", "a boat", "-o", "boat.mp4")
    assert found.exit_code == 0, found.stderr
    assert len(sim.creates()) == 1


def test_a_lost_create_is_told_from_another_machines_lookalike_by_its_nonce(run, sim, world):
    mine = world.environ["SEEDANCE_DATA_DIR"]
    world.environ["SEEDANCE_DATA_DIR"] = str(world.root / "elsewhere")  # another machine
    assert run("create", "another boat").exit_code == 0  # same model, same time, queued
    world.environ["SEEDANCE_DATA_DIR"] = mine
    sim.inject(FaultRule("POST", "/tasks$", 502, LOST, after_processing=True))
    found = run("create", "a boat", "-o", "boat.mp4", "--json")
    assert found.exit_code == 0, found.stderr
    made = json.loads(found.stdout)["id"]
    assert sim.state.tasks[made].prompt == "a boat"  # both could be it until they ended
    assert "looking on the server for the task" in found.stderr
    assert len(sim.creates()) == 2


def test_a_file_seedance_did_not_write_is_not_taken_for_the_video(run, sim, world):
    run("create", "a boat", "-o", "boat.mp4", stderr_tty=False)
    (world.root / "boat.mp4").write_text("NOT A VIDEO")
    result = run("create", "a boat", "-o", "boat.mp4")
    assert result.exit_code == 2 and "already exists" in result.stderr
    (world.root / "other").mkdir()
    (world.root / "other" / "boat.mp4").write_text("my holiday video")
    elsewhere = run("create", "a boat", "-o", "boat.mp4", cwd=world.root / "other")
    assert elsewhere.exit_code == 2 and "already exists" in elsewhere.stderr


def test_create_into_a_directory_resumes_too(run, sim, world):
    (world.root / "out").mkdir()
    assert run("create", "a boat", "-o", "out").exit_code == 0
    again = run("create", "a boat", "-o", "out")
    assert again.exit_code == 0 and "already made" in again.stderr
    assert len(sim.creates()) == 1


def test_the_video_just_saved_before_a_crash_is_recognised(world, sim_server):
    args = ["-p", "sim-byteplus", "create", "a boat", "-o", "boat.mp4"]
    assert run_process(world, *args, crash_at="download-renamed").exit_code == -9
    again = run_process(world, *args)
    assert again.exit_code == 0 and "already made" in again.stderr
    assert len(sim_server.sim.creates()) == 1


def test_a_forgotten_task_says_to_use_new(run, sim, world):
    sim.inject(FaultRule("GET", "/tasks", 403, {"error": {"code": "AccessDenied", "message": "x"}}))
    assert run("create", "a boat", "-o", "boat.mp4").exit_code == 3  # the wait was refused
    for task in sim.state.tasks.values():
        task.deleted = True
    result = run("create", "a boat", "-o", "boat.mp4")
    assert result.exit_code == 3 and "--new" in result.stderr


# -- bad input that once crashed (exit 1) -----------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ('preset = "demo"\ndefaults = "abc"', "defaults must be a table"),
        ('preset = ["demo"]', "preset must be a name"),
    ],
)
def test_wrongly_typed_profile_values(run, world, profile, message):
    world.config_dir.mkdir(parents=True)
    (world.config_dir / "profiles.toml").write_text(f"[profiles.x]\n{profile}\n")
    result = run("-p", "x", "models")
    assert result.exit_code == 2 and message in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        [
            "profiles",
            "add",
            "y",
            "--preset",
            "demo",
            "--set",
            "rate_limit=5",
            "--set",
            "rate_limit.x=1",
        ],
        ["profiles", "add", "y", "--preset", "demo", "--set", "defaults=3"],
        ["create", "x", "--wait", "--timeout", "nan"],
        ["create", "x", "--wait", "--timeout", "inf"],
        ["sim", "--port", "99999"],
        ["status", "cgt-1", "--profile"],
    ],
)
def test_bad_values_are_usage_errors(run, sim, args):
    result = run(*args)
    assert result.exit_code == 2, result
    assert "Traceback" not in result.stderr and sim.requests == []


def test_a_file_where_a_directory_belongs(run, sim, world):
    board(world)
    (world.root / "afile").write_text("x")
    result = run("chain", "s.toml", "-o", "afile")
    assert result.exit_code == 2 and "is a file" in result.stderr
    world.environ["SEEDANCE_DATA_DIR"] = str(world.root / "afile")
    result = run("-p", "demo", "create", "a boat")
    assert result.exit_code == 2 and "afile" in result.stderr
    assert sim.requests == []


def test_short_profile_option_joined_to_its_value(run, sim):
    assert run("status", "-psim-byteplus", "cgt-none").exit_code == 3  # reached the API: 404


def test_local_list_honours_seedance_profile(run, sim, world):
    run("create", "a boat")
    world.environ["SEEDANCE_PROFILE"] = "sim-phanedge"
    assert json.loads(run("tasks", "list", "--local", "--json").stdout) == []


def test_profiles_show_names_its_file_and_hides_key_commands(run, world):
    world.write_profiles({"profiles": {"x": {"preset": "byteplus", "api_key_cmd": "echo sk-123"}}})
    shown = run("profiles", "show", "x")
    assert str(world.config_dir / "profiles.toml") in shown.stdout
    assert "sk-123" not in shown.stdout + shown.stderr
    assert os.environ.get("SEEDANCE_NEVER") is None
