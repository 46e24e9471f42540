"""Never lose a paid video: faults, cut downloads, expired URLs and kill -9 at every step."""

from __future__ import annotations

import hashlib
import json
import os
import stat

import pytest

from seedance.sim.app import STORE_ORIGIN, SimConfig
from seedance.sim.objectstore import synthetic_bytes
from seedance.sim.server import SimServer
from support import run_process, sim_profiles

BIG = 3 * 1024 * 1024 + 17  # several chunks, so a download can really stop halfway


def served(size: int) -> str:
    digest = hashlib.sha256()
    for chunk in synthetic_bytes(size):
        digest.update(chunk)
    return digest.hexdigest()


@pytest.fixture
def big_server(world):
    config = SimConfig(queue_seconds=0, run_seconds=0, video_bytes=BIG)
    with SimServer(config) as server:
        world.write_profiles(sim_profiles(server.api_url))
        yield server


STEPS = [
    "create-sending",  # the journal has the request; the POST has not left
    "create-sent",  # the server made the task; its id is not on disk yet
    "create-created",  # the task id is in the journal
    "download-partial",  # part of the video is in boat.mp4.part
    "download-complete",  # all of it is in boat.mp4.part, not renamed yet
    "download-renamed",  # boat.mp4 is there; the journal does not know yet
]


@pytest.mark.parametrize("step", STEPS)
def test_kill_9_at_each_step_then_the_same_command_finishes(world, big_server, step):
    command = ["-p", "sim-byteplus", "create", "a paper boat", "-o", "boat.mp4"]
    killed = run_process(world, *command, crash_at=step)
    assert killed.exit_code == -9, killed.stderr
    resumed = run_process(world, *command)  # the documented resume: run it again
    assert resumed.exit_code == 0, resumed.stderr
    video = world.root / "boat.mp4"
    assert (world.root / resumed.stdout.strip()).resolve() == video.resolve()
    assert hashlib.sha256(video.read_bytes()).hexdigest() == served(BIG)
    assert len(big_server.sim.creates()) == 1  # never a second, billed, create
    assert not list(world.root.glob("boat.mp4.part*"))
    if step == "download-partial":
        ranges = [r for r in big_server.sim.requests if "range" in r.headers]
        assert ranges, "the download resumed where it stopped"


def test_the_wait_command_from_ctrl_c_also_resumes(world, big_server):
    created = run_process(world, "-p", "sim-byteplus", "create", "a boat")
    task_id = created.stdout.strip()
    killed = run_process(
        world, "-p", "sim-byteplus", "wait", task_id, "-o", "v.mp4", crash_at="download-partial"
    )
    assert killed.exit_code == -9
    resumed = run_process(world, "wait", task_id, "-o", "v.mp4")  # the journal knows the profile
    assert resumed.exit_code == 0, resumed.stderr
    assert hashlib.sha256((world.root / "v.mp4").read_bytes()).hexdigest() == served(BIG)


def test_under_429s_and_5xx_every_task_is_created_once(run, sim, world):
    sim.config.rate_429, sim.config.rate_5xx = 0.3, 0.2
    for n in range(4):
        result = run("create", f"shot {n}", "-o", f"shot{n}.mp4")
        assert result.exit_code == 0, result.stderr
        assert (world.root / f"shot{n}.mp4").read_bytes()[4:8] == b"ftyp"
    assert len(sim.creates()) == 4
    refused = [r for r in sim.requests if r.method == "POST"]
    assert len(refused) > 4  # some creates were refused with 429 and sent again


def test_a_download_cut_halfway_resumes_with_range(run, sim, world):
    sim.store.cut_once = True
    result = run("create", "a boat", "-o", "boat.mp4", "--json")
    assert result.exit_code == 0, result.stderr
    store = sim.requests_to(STORE_ORIGIN)
    assert len(store) == 2 and "range" in store[1].headers and "if-range" in store[1].headers
    data = (world.root / "boat.mp4").read_bytes()
    assert json.loads(result.stdout)["download"]["sha256"] == hashlib.sha256(data).hexdigest()
    task = next(iter(sim.state.tasks.values()))
    assert data == sim._object(f"videos/{task.id}.mp4").data


def test_files_holding_secrets_are_0600(run, sim, world):
    run("profiles", "add", "mine", "--preset", "byteplus", "--api-key", "sk-1")
    assert run("create", "a boat").exit_code == 0
    for path in (world.config_dir / "profiles.toml", world.data_dir / "journal.sqlite3"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_loose_journal_gets_a_warning(run, sim, world):
    assert run("create", "a boat").exit_code == 0
    os.chmod(world.data_dir / "journal.sqlite3", 0o644)
    result = run("tasks", "list", "--local")
    assert "chmod 600" in result.stderr
