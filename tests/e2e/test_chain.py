"""Storyboards end to end against the simulator."""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
import threading
from pathlib import Path

import httpx
import pytest

from seedance.sim.app import API_ORIGIN, FaultRule
from support import run_process, sim_profiles

EXAMPLES = Path(__file__).parents[2] / "examples"


def storyboard(world, name: str, text: str | None = None) -> Path:
    """A storyboard in the world's directory: an example by name, or the text given."""
    path = world.root / f"{name}.toml"
    if text is None:
        shutil.copy(EXAMPLES / f"{name}.toml", path)
        if (EXAMPLES / "media").exists() and not (world.root / "media").exists():
            shutil.copytree(EXAMPLES / "media", world.root / "media")
    else:
        path.write_text(text)
    return path


def manifest(world, name: str) -> dict:
    return json.loads((world.root / name / "chain.json").read_text())


def frame_of(body: dict) -> str | None:
    for item in body["content"]:
        if item.get("role") == "first_frame":
            return item["image_url"]["url"]
    return None


def test_three_shots_each_starting_from_the_previous_last_frame(run, sim, world):
    storyboard(world, "linear")
    result = run("chain", "linear.toml")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(world.root / "linear")
    creates = [r.json() for r in sim.creates()]
    ids = [
        m["shots"][s]["task_id"]
        for m in [manifest(world, "linear")]
        for s in ("dawn", "bridge", "sea")
    ]
    assert frame_of(creates[0]) is None
    assert f"/frames/{ids[0]}.png?" in frame_of(creates[1])
    assert f"/frames/{ids[1]}.png?" in frame_of(creates[2])
    assert [c.get("return_last_frame") for c in creates] == [True, True, None]
    done = manifest(world, "linear")["shots"]
    for shot_id, stem in (("dawn", "01-dawn"), ("bridge", "02-bridge"), ("sea", "03-sea")):
        clip = world.root / "linear" / f"{stem}.mp4"
        assert done[shot_id]["state"] == "done"
        assert done[shot_id]["sha256"] == hashlib.sha256(clip.read_bytes()).hexdigest()
        assert done[shot_id]["tokens"] and done[shot_id]["cost"] > 0
    assert (world.root / "linear" / "01-dawn.last.png").exists()


class Pairs(httpx.BaseTransport):
    """The simulator, logging creates and the states reads saw; while an odd number of tasks
    exists, the newest one's reads wait (up to 10 s) for the next create. The client's
    threads share a fake clock that any of them moves by sleeping, so simulated times say
    little about what ran together: the order of requests does. A runner that starts shots
    together sends the second create while the first's reads are held; one that runs them one
    after the other sends it only after a read saw the first finished."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.created: list[str] = []
        self.log: list[tuple[str, str]] = []  # ("created", id) or (status read, id)
        self.changed = threading.Condition()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            with self.changed:
                self.changed.wait_for(lambda: not self._holds(request.url), timeout=10)
        response = self.inner.handle_request(request)
        if request.url.host != httpx.URL(API_ORIGIN).host or response.status_code != 200:
            return response
        response.read()
        with self.changed:
            if request.method == "POST":
                self.created.append(response.json()["id"])
                self.log.append(("created", self.created[-1]))
                self.changed.notify_all()
            elif request.method == "GET":  # a task, or a list of them
                answer = response.json()
                for item in answer.get("items", [answer]):
                    if item.get("id"):
                        self.log.append((item.get("status", ""), item["id"]))
        return response

    def _holds(self, url: httpx.URL) -> bool:
        """A read of the newest task (alone or in a list) while its partner is due."""
        newest = self.created[-1] if len(self.created) % 2 == 1 else None
        return newest is not None and (url.path.endswith("/" + newest) or newest in str(url))

    def before_an_end(self, later: str, *earlier: str) -> bool:
        """`later` was created before any read saw one of `earlier` succeeded."""
        made = self.log.index(("created", later))
        ends = [i for i, (what, task) in enumerate(self.log) if what == "succeeded"]
        return all(made < i for i in ends if self.log[i][1] in earlier)


def test_branches_run_concurrently(run, sim, world):
    storyboard(world, "branching")
    pairs = Pairs(world.transport)
    world.transport = pairs
    result = run("chain", "branching.toml", "--concurrency", "2")
    assert result.exit_code == 0, result.stderr

    def task(word: str) -> str:
        return next(t.id for t in sim.state.tasks.values() if word in (t.prompt or ""))

    dawn, city, bridge, harbor = task("dawn"), task("skyline"), task("bridge"), task("harbor")
    assert pairs.before_an_end(city, dawn)  # the two roots run together
    assert pairs.before_an_end(harbor, bridge) or pairs.before_an_end(bridge, harbor)
    assert pairs.log.index(("created", bridge)) > pairs.log.index(("succeeded", dawn))
    assert pairs.log.index(("created", harbor)) > pairs.log.index(("succeeded", dawn))


def test_concat_joins_a_linear_story(run, sim, world):
    storyboard(world, "linear")
    result = run("chain", "linear.toml", "--concat")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip().endswith("film.mp4")
    assert (world.root / "linear" / "film.mp4").stat().st_size > 0
    assert "(remux)" in result.stderr


def test_concurrency_one_runs_shots_one_at_a_time(run, sim, world):
    storyboard(world, "branching")
    assert run("chain", "branching.toml", "--concurrency", "1").exit_code == 0
    tasks = sorted(sim.state.tasks.values(), key=lambda t: t.created_at)
    for earlier, later in itertools.pairwise(tasks):
        assert later.created_at >= earlier.finished_at()


def test_interrupted_run_resumes_without_a_second_create(world, sim_server):
    storyboard(world, "linear")
    killed = run_process(
        world, "-p", "sim-byteplus", "chain", "linear.toml", crash_at="chain-submitted"
    )
    assert killed.exit_code == -9  # killed right after shot 1 was submitted
    first = manifest(world, "linear")["shots"]["dawn"]
    assert first["state"] == "submitted" and first["task_id"]
    assert len(sim_server.sim.creates()) == 1
    resumed = run_process(world, "-p", "sim-byteplus", "chain", "linear.toml")
    assert resumed.exit_code == 0, resumed.stderr
    creates = sim_server.sim.creates()
    assert len(creates) == 3  # shot 1 was polled, not created again
    assert manifest(world, "linear")["shots"]["dawn"]["task_id"] == first["task_id"]


def test_a_large_run_killed_after_a_submit_resumes_from_the_log(world, sim_server):
    """Past SMALL, a change goes to chain.json.log: kill -9 right after shot 1's task exists
    leaves chain.json older than the log, and the next run still polls that task."""
    from seedance.services.storyboards.manifest import read_data

    shots = "".join(f'[[shots]]\nid = "s{i:03d}"\nprompt = "shot {i}"\n' for i in range(150))
    storyboard(world, "long", "[defaults]\nduration = 5\n" + shots)
    killed = run_process(
        world, "-p", "sim-byteplus", "chain", "long.toml", crash_at="chain-submitted"
    )
    assert killed.exit_code == -9
    assert manifest(world, "long")["shots"]["s000"]["state"] == "pending"  # chain.json alone
    record = read_data(world.root / "long").shots["s000"]  # with its log
    assert record.state == "submitted" and record.task_id
    planned = run_process(world, "-p", "sim-byteplus", "--json", "chain", "long.toml", "--dry-run")
    assert planned.exit_code == 0, planned.stderr
    actions = {s["id"]: s["action"] for s in json.loads(planned.stdout)["shots"]}
    assert actions["s000"] == "poll" and actions["s001"] == "run"
    assert len(sim_server.sim.creates()) == 1


def test_a_failed_middle_shot_stops_its_followers_only(run, sim, world):
    path = storyboard(world, "branching")
    path.write_text(path.read_text().replace("old stone bridge", "old stone bridge #fail"))
    result = run("chain", "branching.toml")
    assert result.exit_code == 5
    shots = manifest(world, "branching")["shots"]
    assert shots["bridge"]["state"] == "failed"
    assert shots["bridge"]["error"]["code"] == "OutputVideoSensitiveContentDetected"
    assert {shots[s]["state"] for s in ("dawn", "city", "harbor")} == {"done"}
    assert "1 shot needs attention: bridge" in result.stderr
    path.write_text(path.read_text().replace(" #fail", ""))
    before = len(sim.creates())
    again = run("chain", "branching.toml")
    assert again.exit_code == 0, again.stderr
    assert len(sim.creates()) == before + 1  # only the failed shot is made again


def test_a_failed_shot_blocks_its_descendants(run, sim, world):
    path = storyboard(world, "linear")
    path.write_text(path.read_text().replace("at dawn", "at dawn #fail"))
    result = run("chain", "linear.toml", "--json")
    assert result.exit_code == 5
    states = {k: v["state"] for k, v in json.loads(result.stdout)["shots"].items()}
    assert states == {"dawn": "failed", "bridge": "blocked", "sea": "blocked"}
    assert len(sim.creates()) == 1


def test_frames_become_assets_on_an_assets_profile(run, sim, world):
    storyboard(world, "linear")
    result = run("-p", "sim-phanedge", "chain", "linear.toml")
    assert result.exit_code == 0, result.stderr
    creates = [r.json() for r in sim.creates()]
    frame = frame_of(creates[1])
    assert frame.startswith("asset://")
    asset = sim.state.assets[frame.removeprefix("asset://")]
    first_task = manifest(world, "linear")["shots"]["dawn"]["task_id"]
    assert f"/frames/{first_task}.png" in asset.url


def test_dry_run_sends_nothing_and_max_cost_refuses(run, sim, world):
    storyboard(world, "branching")
    plan = run("chain", "branching.toml", "--dry-run", "--json")
    assert plan.exit_code == 0
    document = json.loads(plan.stdout)
    assert [s["id"] for s in document["shots"]] == ["dawn", "bridge", "city", "harbor"]
    assert document["shots"][1]["after"] == "dawn"
    assert frame_of(document["shots"][1]["request"]) == "<last frame of 'dawn'>"
    assert document["total"]["tokens"] == 3 * 108_900 + 173_700
    assert sim.requests == []
    text = run("chain", "branching.toml", "--dry-run")
    assert "02 bridge" in text.stdout and "after dawn" in text.stdout and "total:" in text.stdout
    refused = run("chain", "branching.toml", "--max-cost", "1")
    assert refused.exit_code == 2 and "above the cap of $1.00" in refused.stderr
    assert "--max-cost" in refused.stderr
    assert sim.requests == []
    assert run("chain", "branching.toml", "--max-cost", "10", "--dry-run").exit_code == 0


@pytest.mark.parametrize(
    "profile",
    [
        "sim-byteplus",
        "sim-volcengine",
        "sim-phanedge",
        "sim-kapon-native",
        "sim-easyrouter",
        "sim-opeai",
    ],
)
def test_the_same_storyboard_runs_on_every_preset_that_can_chain(run, sim, world, profile):
    storyboard(world, "linear")
    result = run("-p", profile, "chain", "linear.toml")
    assert result.exit_code == 0, result.stderr
    assert len(sim.creates()) == 3
    assert all(
        (world.root / "linear" / f"{s}.mp4").exists() for s in ("01-dawn", "02-bridge", "03-sea")
    )


def test_a_profile_that_cannot_chain_says_so_before_sending(run, sim, world):
    storyboard(world, "linear")
    kapon = sim_profiles(API_ORIGIN)["profiles"]["sim-kapon"]
    del kapon["upload_cmd"]  # (the simulator's own profile stands in for one)
    world.write_profiles({"profiles": {"kapon-no-upload": kapon}})
    result = run("-p", "kapon-no-upload", "chain", "linear.toml")
    assert result.exit_code == 2
    assert "shot 'bridge'" in result.stderr and "kapon-native" in result.stderr
    assert sim.requests == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[shots]]\nid = "a"\nprompt = "x"\n[[shots]]\nid = "a"\nprompt = "y"',
            "shot 'a': the id is used twice",
        ),
        ('[[shots]]\nid = "a"\nprompt = "x"\nafter = "zz"', "after = 'zz' names no shot"),
        (
            '[[shots]]\nid = "a"\nprompt = "x"\nafter = "b"\n'
            '[[shots]]\nid = "b"\nprompt = "y"\nafter = "a"',
            "loop",
        ),
        (
            '[[shots]]\nid = "a"\nprompt = "x"\nduration = 20',
            "shot 'a': duration 20 is out of range",
        ),
        ('[[shots]]\nid = "a"\nprompt = "x"\nimages = ["nope.png"]', "shot 'a': image file"),
        ('[[shots]]\nid = "a"\nprompt = "x"\ncolour = "red"', "shot 'a': unknown field 'colour'"),
        ('[[shots]]\nid = "a"\nprompt = "x"\nduration = "long"', "shot 'a': field 'duration'"),
        (
            '[[shots]]\nid = "a"\nprompt = "x"\n'
            '[[shots]]\nid = "b"\nprompt = "y"\nfirst_frame = "f.png"',
            "continue = false",
        ),
        ('[[shots]]\nid = "a b"\nprompt = "x"', "ids use letters"),
        ("[[shots]\nid = 1", "not valid TOML"),
        ("shots = []", "shots"),
        ('[[shots]]\nid = "a"\nprompt_file = "missing.txt"', "field 'prompt_file'"),
    ],
)
def test_storyboard_errors_name_file_shot_and_field(run, sim, world, text, message):
    storyboard(world, "bad", text)
    result = run("chain", "bad.toml")
    assert result.exit_code == 2, result
    assert message in result.stderr and "bad.toml" in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("error:")]) == 1
    assert sim.requests == []


def test_a_changed_shot_is_remade_on_purpose_only(run, sim, world):
    path = storyboard(world, "linear")
    assert run("chain", "linear.toml").exit_code == 0
    assert run("chain", "linear.toml").exit_code == 0
    assert len(sim.creates()) == 3  # nothing to do the second time
    path.write_text(path.read_text().replace("duration = 8", "duration = 6"))
    refused = run("chain", "linear.toml")
    assert refused.exit_code == 2
    assert (
        "shot 'sea' changed since it ran; start over with a restart, or make it again (and what "
        "follows): seedance"
    ) in refused.stderr
    assert f"seedance -p sim-byteplus chain {path} --rerun sea\n" in refused.stderr
    assert len(sim.creates()) == 3
    assert run("chain", "linear.toml", "--rerun", "bridge").exit_code == 0
    assert len(sim.creates()) == 5  # bridge and what follows it
    assert run("chain", "linear.toml", "--restart").exit_code == 0
    assert len(sim.creates()) == 8


def test_ctrl_c_stops_and_says_how_to_resume(run, sim, world, monkeypatch):
    from seedance.services.runs import engine

    storyboard(world, "linear")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "next_finished", interrupted)
    result = run("chain", "linear.toml")
    assert result.exit_code == 130
    assert "resume with: seedance -p sim-byteplus chain" in result.stderr


def test_the_callback_alias_is_checked_like_callback_url(run, sim, world):
    storyboard(
        world, "cb", '[[shots]]\nid = "a"\nprompt = "x"\nCallbackURL = "http://example.com/cb"'
    )
    result = run("chain", "cb.toml")
    assert result.exit_code == 2 and "must be an https:// URL" in result.stderr
    storyboard(
        world, "cb", '[[shots]]\nid = "a"\nprompt = "x"\nCallbackURL = "https://example.com/cb"'
    )
    assert run("chain", "cb.toml").exit_code == 0
    assert sim.creates()[0].json()["callback_url"] == "https://example.com/cb"


# -- what to do next, as a command to type ---------------------------------------------------


def error_line(result) -> str:
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    return line


def test_a_rerun_of_no_such_shot_is_refused_before_sending(run, sim, world):
    path = storyboard(world, "linear")
    result = run("chain", "linear.toml", "--rerun", "zz")
    assert result.exit_code == 2
    assert error_line(result) == (
        f"error: {path}: no shot named zz to make again (its shots: dawn, bridge, sea)"
    )
    assert sim.requests == []


def test_a_damaged_manifest_is_kept_aside_and_the_run_goes_on(run, sim, world):
    storyboard(world, "linear")
    (world.root / "linear").mkdir()
    (world.root / "linear" / "chain.json").write_text("{")
    result = run("chain", "linear.toml")
    assert result.exit_code == 0, result.stderr
    assert "chain.json was damaged: kept it as chain.json.damaged-" in result.stderr
    [kept] = (world.root / "linear").glob("chain.json.damaged-*")
    assert kept.read_text() == "{"
    assert len(sim.creates()) == 3


def test_another_profiles_run_is_kept_and_another_directory_suggested(run, sim, world):
    path = storyboard(world, "linear")
    assert run("chain", "linear.toml").exit_code == 0
    result = run("-p", "sim-volcengine", "chain", "linear.toml", "-o", "linear")
    assert result.exit_code == 2
    assert "belongs to a run on profile 'sim-byteplus', not 'sim-volcengine'" in result.stderr
    elsewhere = world.root / "linear-sim-volcengine"
    assert error_line(result).endswith(
        "; start over with a restart, or keep that run and write this one to another directory: "
        f"seedance -p sim-volcengine chain {path} -o {elsewhere}"
    )
    assert len(sim.creates()) == 3
    moved = run("-p", "sim-volcengine", "chain", "linear.toml", "--output", str(elsewhere))
    assert moved.exit_code == 0, moved.stderr


def test_a_task_gone_from_the_server_says_how_to_make_the_shot_again(run, sim, world):
    path = storyboard(world, "one", '[[shots]]\nid = "a"\nprompt = "x"')
    sim.inject(FaultRule("GET", "/tasks", 403, {"error": {"code": "AccessDenied"}}))
    assert run("chain", "one.toml").exit_code == 3  # the task exists, but could not be read
    task = manifest(world, "one")["shots"]["a"]["task_id"]
    sim.state.tasks.clear()  # and then the server forgets it
    result = run("chain", "one.toml")
    assert result.exit_code == 5
    assert (
        f"warning: shot 'a' error: the task {task} of shot 'a' is gone from the server; "
        f"make the shot again: seedance -p sim-byteplus chain {path} --rerun a\n"
    ) in result.stderr
    assert len(sim.creates()) == 1


def test_a_missing_last_frame_says_which_shot_to_make_again(run, sim, world):
    path = storyboard(world, "linear")
    assert run("chain", "linear.toml").exit_code == 0
    (world.root / "linear" / "01-dawn.last.png").unlink()
    sim.state.tasks.clear()  # the server let the tasks go: only the local frame would do
    result = run("chain", "linear.toml", "--rerun", "bridge")
    assert result.exit_code == 5
    assert (
        "warning: shot 'bridge' error: the last frame of shot 'dawn' is missing; make that shot "
        f"again: seedance -p sim-byteplus chain {path} --rerun dawn\n"
    ) in result.stderr
    assert len(sim.creates()) == 3


def test_an_unknown_create_on_a_provider_without_a_task_list_names_the_rerun(run, sim, world):
    path = storyboard(world, "one", '[[shots]]\nid = "a"\nprompt = "x"')
    lost = {"error": {"code": "InternalServiceError", "message": "bad gateway"}}
    sim.inject(FaultRule("POST", "/v1/videos$", 502, lost, after_processing=True))
    first = run("-p", "sim-opeai", "chain", "one.toml")
    assert first.exit_code == 3 and "not sent again" in first.stderr
    again = run("-p", "sim-opeai", "chain", "one.toml")
    assert again.exit_code == 3
    assert "this provider lists no tasks" in again.stderr
    assert again.stderr.count(f"; or seedance -p sim-opeai chain {path} --rerun a\n") == 1
    assert len(sim.creates()) == 1  # never sent twice
    anew = run("-p", "sim-opeai", "chain", "one.toml", "--rerun", "a")
    assert anew.exit_code == 0, anew.stderr
    assert len(sim.creates()) == 2
