"""Issue 14: each numbered line of the issue, reproduced, now paid once and delivered whole.

Every test here failed on the tree before the issue's first commit (020f7d7); the report of
the change says how each one failed there.
"""

from __future__ import annotations

import errno
import hashlib
import json
import signal
from pathlib import Path
from typing import Any

import pytest

from seedance.sim.app import FaultRule, Simulator
from support import Running, World, run_process

LOST = {"error": {"code": "InternalServiceError", "message": "bad gateway", "type": "x"}}
LINEAR = '[[shots]]\nid = "a"\nprompt = "first"\n[[shots]]\nid = "b"\nprompt = "second"\n'
# two shots alike in every setting, neither starting from the other
TWINS = (
    '[[shots]]\nid = "a"\nprompt = "a calm sea"\n'
    '[[shots]]\nid = "b"\nprompt = "a calm lake"\ncontinue = false\n'
)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def local(run: Any) -> list[dict[str, Any]]:
    listed = run("tasks", "list", "--local", "--json")
    assert listed.exit_code == 0, listed.stderr
    entries: list[dict[str, Any]] = json.loads(listed.stdout)
    return entries


def task_of(run: Any, output: Path) -> str:
    """The task the journal says made `output`."""
    [entry] = [e for e in local(run) if e["output_path"] == str(output) and e["task_id"]]
    task_id: str = entry["task_id"]
    return task_id


def interrupt_the_next_create(monkeypatch: Any, *, after_processing: bool) -> None:
    """Ctrl-C while the next create is on the wire: before the server took it, or after it
    made the task (the answer never comes back)."""
    original = Simulator.handle_api
    pending = [True]

    def handle(self: Simulator, request: Any) -> Any:
        if request.method == "POST" and request.path.endswith("/tasks") and pending:
            pending.clear()
            if after_processing:
                original(self, request)
            raise KeyboardInterrupt
        return original(self, request)

    monkeypatch.setattr(Simulator, "handle_api", handle)


def manifest(world: World, name: str = "s") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((world.root / name / "chain.json").read_text())
    return data


# -- line 1 ----------------------------------------------------------------------------------


def test_issue14_line1_lost_creates_with_the_same_settings_are_told_apart(
    run, sim, world, monkeypatch
):
    x, y = world.root / "x.mp4", world.root / "y.mp4"
    interrupt_the_next_create(monkeypatch, after_processing=False)  # X never arrives
    assert run("create", "boat X", "-o", "x.mp4").exit_code == 130
    interrupt_the_next_create(monkeypatch, after_processing=True)  # Y arrives, answer lost
    assert run("create", "boat Y", "-o", "y.mp4").exit_code == 130
    assert len(sim.creates()) == 1

    again_x = run("create", "boat X", "-o", "x.mp4")
    assert again_x.exit_code == 0, again_x.stderr
    assert sim.state.tasks[task_of(run, x)].prompt == "boat X"  # not Y's video

    again_y = run("create", "boat Y", "-o", "y.mp4")
    assert again_y.exit_code == 0, again_y.stderr
    assert sim.state.tasks[task_of(run, y)].prompt == "boat Y"
    assert "found the task of the interrupted create" in again_y.stderr
    assert len(sim.creates()) == 2  # X once (it never arrived before), Y once


# -- line 2 ----------------------------------------------------------------------------------


def test_issue14_line2_two_creates_of_one_output_make_one_task_and_one_intact_file(
    world, sim_server
):
    args = ["-p", "sim-byteplus", "create", "a boat", "-o", "same.mp4"]
    first = Running(world, *args, hold_at="create-sending")  # journaled, not sent yet
    assert first.until("seedance-hold: create-sending")
    second = Running(world, *args)
    second.until("waiting for another seedance run")  # or its end, when it does not wait
    done = first.finish(), second.finish()
    assert [d.exit_code for d in done] == [0, 0], [d.stderr for d in done]
    assert len(sim_server.sim.creates()) == 1
    video = world.root / "same.mp4"
    [entry] = [
        e for e in json.loads(run_process(world, "tasks", "list", "--local", "--json").stdout)
    ]
    assert entry["sha256"] == sha(video) and entry["bytes"] == video.stat().st_size
    assert video.read_bytes()[4:8] == b"ftyp"
    assert "waiting for another seedance run" in done[1].stderr
    assert "already made" in done[1].stderr


# -- line 3 ----------------------------------------------------------------------------------


def test_issue14_line3_similar_shots_lost_in_flight_are_each_found(run, sim, world):
    (world.root / "s.toml").write_text(TWINS)
    sim.inject(FaultRule("POST", "/tasks$", 502, LOST, times=2, after_processing=True))
    first = run("chain", "s.toml", "--concurrency", "2")
    assert first.exit_code == 0, first.stderr
    again = run("chain", "s.toml")
    assert again.exit_code == 0, again.stderr
    assert len(sim.creates()) == 2
    shots = manifest(world)["shots"]
    assert sim.state.tasks[shots["a"]["task_id"]].prompt == "a calm sea"
    assert sim.state.tasks[shots["b"]["task_id"]].prompt == "a calm lake"


# -- line 4 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["removed", "garbled"])
def test_issue14_line4_a_lost_or_damaged_manifest_pays_for_nothing_again(run, sim, world, damage):
    (world.root / "s.toml").write_text(LINEAR)
    assert run("chain", "s.toml").exit_code == 0
    clips = {p.name: sha(p) for p in (world.root / "s").glob("*.mp4")}
    path = world.root / "s" / "chain.json"
    if damage == "removed":
        path.unlink()
    else:
        path.write_text('{"shots": ')
    again = run("chain", "s.toml")
    assert again.exit_code == 0, again.stderr
    assert len(sim.creates()) == 2
    assert "rebuilt from the journal: a, b" in again.stderr
    assert {p.name: sha(p) for p in (world.root / "s").glob("*.mp4")} == clips
    assert {s["state"] for s in manifest(world)["shots"].values()} == {"done"}


# -- line 5 ----------------------------------------------------------------------------------


def test_issue14_line5_two_chain_runs_never_make_or_keep_a_bad_clip(world, sim_server):
    (world.root / "s.toml").write_text(LINEAR)
    args = ["-p", "sim-byteplus", "chain", "s.toml"]
    first = Running(world, *args, hold_at="chain-submitted")  # shot a's task exists
    assert first.until("seedance-hold: chain-submitted")
    second = run_process(world, *args)
    done = first.finish()
    assert done.exit_code == 0, done.stderr
    assert second.exit_code == 2, second.stderr
    assert "is working on the storyboard run in" in second.stderr
    assert len(sim_server.sim.creates()) == 2
    for record in manifest(world)["shots"].values():
        assert record["state"] == "done"
        assert sha(world.root / "s" / record["clip"]) == record["sha256"]


# -- line 9 ----------------------------------------------------------------------------------


def test_issue14_line9_ctrl_c_during_the_create_says_what_may_exist_and_how_to_resume(
    run, sim, world, monkeypatch
):
    interrupt_the_next_create(monkeypatch, after_processing=True)
    stopped = run("create", "a boat", "-o", "boat.mp4")
    assert stopped.exit_code == 130
    assert "stopped while the create was being sent: it may have reached the server" in (
        stopped.stderr
    )
    assert "seedance create 'a boat' -o boat.mp4" in stopped.stderr  # the exact command
    assert local(run)[0]["state"] == "unknown"
    monkeypatch.undo()
    again = run("create", "a boat", "-o", "boat.mp4")
    assert again.exit_code == 0, again.stderr
    assert len(sim.creates()) == 1


def test_sigterm_while_waiting_says_what_runs_and_how_to_resume(world, sim_server):
    args = ["-p", "sim-byteplus", "create", "a boat", "-o", "boat.mp4"]
    held = Running(world, *args, hold_at="create-created")
    assert held.until("seedance-hold: create-created")
    held.proc.send_signal(signal.SIGTERM)
    stopped = held.finish()
    assert stopped.exit_code == 130, stopped.stderr
    [task_id] = [t.id for t in sim_server.sim.state.tasks.values()]
    assert f"task {task_id} keeps running on the server" in stopped.stderr
    assert "resume with: seedance -p sim-byteplus create 'a boat' -o boat.mp4" in stopped.stderr
    again = run_process(world, *args)
    assert again.exit_code == 0, again.stderr
    assert len(sim_server.sim.creates()) == 1


# -- line 10 ---------------------------------------------------------------------------------


def test_issue14_line10_a_full_disk_stops_a_chain_with_exit_7_not_5(run, sim, world, monkeypatch):
    from seedance.services.videos import saving

    (world.root / "s.toml").write_text(LINEAR)
    original = saving.download
    full = [True]

    def no_room(http: Any, source: Any, dest: Path, **kwargs: Any) -> Any:
        if full:
            full.clear()
            raise OSError(errno.ENOSPC, "No space left on device", str(dest))
        return original(http, source, dest, **kwargs)

    monkeypatch.setattr(saving, "download", no_room)
    stopped = run("chain", "s.toml")
    assert stopped.exit_code == 7, stopped.stderr
    assert "No space left on device" in stopped.stderr and "01-a.mp4" in stopped.stderr
    again = run("chain", "s.toml")
    assert again.exit_code == 0, again.stderr
    assert len(sim.creates()) == 2


# -- line 11 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"this is not a database at all" * 100])
def test_issue14_line11_a_broken_journal_is_refused_naming_the_way_out(run, sim, world, content):
    world.data_dir.mkdir(parents=True)
    journal = world.data_dir / "journal.sqlite3"
    journal.write_bytes(content)
    refused = run("create", "a boat", "-o", "boat.mp4")
    assert refused.exit_code == 2, refused.stderr
    assert f"the journal {journal} is damaged" in refused.stderr
    assert "sim-byteplus journal check; or seedance -p sim-byteplus journal repair" in (
        refused.stderr
    )
    assert sim.requests == []
    assert run("journal", "check").exit_code == 2
    repaired = run("journal", "repair")
    assert repaired.exit_code == 0, repaired.stderr
    assert Path(repaired.stdout.strip()).read_bytes() == content  # kept
    assert run("journal", "check").exit_code == 0
    assert run("create", "a boat", "-o", "boat.mp4").exit_code == 0


def test_issue14_line11_an_emptied_journal_never_makes_a_create_twice(run, sim, world):
    sim.inject(FaultRule("GET", "/tasks", 403, {"error": {"code": "AccessDenied", "message": ""}}))
    assert run("create", "a boat", "-o", "boat.mp4").exit_code == 3  # made; the wait refused
    (world.data_dir / "journal.sqlite3").write_bytes(b"")
    assert run("create", "a boat", "-o", "boat.mp4").exit_code == 2
    assert run("journal", "repair").exit_code == 0
    again = run("create", "a boat", "-o", "boat.mp4")
    assert again.exit_code == 0, again.stderr
    assert "resuming" in again.stderr
    assert len(sim.creates()) == 1  # the record beside boat.mp4 named its task


# -- line 13 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("after", [False, True], ids=["before-the-task", "after-the-task"])
def test_issue14_line13_a_5xx_on_create_still_delivers_in_the_same_command(run, sim, world, after):
    sim.inject(FaultRule("POST", "/tasks$", 502, LOST, after_processing=after))
    made = run("create", "a boat", "-o", "boat.mp4")
    assert made.exit_code == 0, made.stderr
    assert (world.root / "boat.mp4").read_bytes()[4:8] == b"ftyp"
    assert len(sim.creates()) == 1
