"""Every command's success path and every exit code, through Typer's CliRunner."""

from __future__ import annotations

import json

import httpx
import pytest

from seedance.domain.clock import FakeClock
from seedance.sim.app import FaultRule
from support import serve_a_queued_lookalike

ARK = "https://ark.ap-southeast.bytepluses.com/api/v3/contents/generations/tasks"


def one_line(text: str) -> bool:
    """An error is one line on stderr, and never a traceback."""
    lines = [line for line in text.splitlines() if line.startswith("error:")]
    return len(lines) == 1 and "Traceback" not in text


# -- 0: success ------------------------------------------------------------------------------


def test_every_command_succeeds(run, sim, world):
    task_id = run("create", "a paper boat").stdout.strip()
    assert task_id.startswith("cgt-")
    assert run("status", task_id).exit_code == 0
    assert run("status", task_id, "-q").stdout.strip() == "queued"
    assert run("wait", task_id).stdout.strip() == f"{task_id}\tsucceeded"
    assert run("download", task_id).stdout.strip().endswith(f"{task_id}.mp4")
    assert run("tasks", "list").exit_code == 0
    assert run("tasks", "list", "--local").exit_code == 0
    assert run("cancel", task_id).exit_code == 0
    assert run("models").exit_code == 0
    assert run("models", "--all", "--json").exit_code == 0
    assert run("profiles", "list").exit_code == 0
    assert run("profiles", "show").exit_code == 0
    assert run("--version").stdout.startswith("seedance ")


def test_global_options_work_after_the_command(run, sim):
    result = run("create", "a boat", "--json", "-p", "sim-byteplus", "-q")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["id"].startswith("cgt-")
    assert result.stderr == ""  # --quiet


def test_wait_on_several_tasks(run, sim, world):
    ids = [run("create", f"shot {n}").stdout.strip() for n in range(3)]
    out = world.root / "clips"
    out.mkdir()
    result = run("wait", *ids, "-o", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    documents = json.loads(result.stdout)
    assert [d["id"] for d in documents] == ids
    assert all((out / f"{i}.mp4").exists() for i in ids)


def test_create_reads_the_prompt_from_stdin(run, sim):
    result = run("create", "--prompt-file", "-", input="a boat from stdin\n")
    assert result.exit_code == 0
    assert sim.creates()[0].json()["content"][0]["text"] == "a boat from stdin"


# -- 1: a bug --------------------------------------------------------------------------------


def test_an_internal_error_is_one_line_exit_1(run, sim, monkeypatch):
    from seedance.services.videos import resource

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(resource.Videos, "prepare", broken)
    result = run("create", "a boat")
    assert result.exit_code == 1
    assert (
        one_line(result.stderr)
        and "internal error" in result.stderr
        and "SEEDANCE_DEBUG" in result.stderr
    )


def test_seedance_debug_shows_the_traceback(run, sim, monkeypatch, world):
    from seedance.services.videos import resource

    monkeypatch.setattr(resource.Videos, "prepare", lambda *a, **k: 1 / 0)
    world.environ["SEEDANCE_DEBUG"] = "1"
    result = run("create", "a boat")
    assert isinstance(result.exception, ZeroDivisionError)


# -- 2: usage and validation (nothing sent) --------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "x", "-m", "seedance-9000", "--strict"], "unknown model 'seedance-9000'"),
        (["create", "x", "-d", "20"], "duration 20 is out of range"),
        (
            ["create", "x", "-m", "fast", "-r", "1080p"],
            "models that can: dreamina-seedance-2-0-260128",
        ),
        (
            ["create", "x", "--video", "https://a/1.mp4"] * 1
            + [
                "--video",
                "https://a/2.mp4",
                "--video",
                "https://a/3.mp4",
                "--video",
                "https://a/4.mp4",
            ],
            "4 reference videos given",
        ),
        (["create", "x", "--audio", "https://a/a.mp3"], "visual anchor"),
        (["create", "x", "--callback-url", "http://example.com/cb"], "must be an https:// URL"),
        (["create", "x", "--image", "missing.png"], "does not exist"),
        (["create", "x", "--image", "https://a/clip.mp4"], "reference video (--video)"),
        (["create", "x", "--size", "1280x720", "-r", "720p"], "not both"),
        (["create", "x", "--priority", "12"], "priority 12 is out of range"),
        (["create"], "nothing to generate"),
        (["create", "x", "--bogus"], "No such option"),
        (["status"], "Missing argument"),
        (["create", "x", "-o", "a-directory-that-is-missing/x.mp4"], "does not exist"),
        (["tasks", "list", "--status", "done"], "unknown status"),
    ],
)
def test_bad_input_exits_2_and_sends_nothing(run, sim, args, message):
    result = run(*args)
    assert result.exit_code == 2, result
    assert one_line(result.stderr), result.stderr
    assert message in result.stderr
    assert sim.requests == []


def test_malformed_profiles_toml(run, world):
    (world.config_dir).mkdir(parents=True)
    (world.config_dir / "profiles.toml").write_text("[profiles.x\napi = 'ark'")
    result = run("-p", "x", "create", "a boat", "--json")
    assert result.exit_code == 2
    assert one_line(result.stderr) and "not valid TOML" in result.stderr
    assert json.loads(result.stdout)["error"]["exit_code"] == 2


def test_no_profile_selected_suggests_the_demo(run):
    result = run("create", "a boat")
    assert result.exit_code == 2
    assert "seedance create 'a paper boat' --profile demo" in result.stderr


def test_missing_key_names_the_variable(run, world):
    del world.environ["ARK_API_KEY"]
    result = run("-p", "byteplus", "create", "a boat")
    assert result.exit_code == 2 and "ARK_API_KEY" in result.stderr


def test_dry_run_needs_no_key_and_sends_nothing(run, world, httpx_mock):
    del world.environ["ARK_API_KEY"]
    result = run("-p", "byteplus", "create", "a boat", "--dry-run")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["content"] == [{"type": "text", "text": "a boat"}]
    assert not httpx_mock.get_requests()


def test_output_that_exists_is_refused_before_creating(run, sim, world):
    (world.root / "taken.mp4").write_bytes(b"mine")
    result = run("create", "a boat", "-o", "taken.mp4")
    assert result.exit_code == 2 and "taken.mp4 already exists" in result.stderr
    assert "--force" not in result.stderr  # create has none: it says what to do instead
    assert sim.requests == [] and (world.root / "taken.mp4").read_bytes() == b"mine"


# -- 3: the API refused ----------------------------------------------------------------------


def test_api_error_exit_3_with_code(run, sim):
    sim.inject(
        FaultRule(
            "POST", "/tasks$", 400, {"error": {"code": "InvalidParameter", "message": "bad thing"}}
        )
    )
    result = run("create", "a boat")
    assert result.exit_code == 3
    assert one_line(result.stderr) and "InvalidParameter: bad thing" in result.stderr


def test_auth_error_names_profile_and_key_source_never_the_key(run, httpx_mock):
    httpx_mock.add_response(
        method="POST",
        url=ARK,
        status_code=401,
        json={"error": {"code": "AuthenticationError", "message": "the API key is invalid"}},
    )
    result = run("-p", "byteplus", "create", "a boat", "--json")
    assert result.exit_code == 3
    assert "profile 'byteplus'" in result.stderr and "ARK_API_KEY" in result.stderr
    assert "ark-test-key-0001" not in result.stderr + result.stdout


# -- 4: the network --------------------------------------------------------------------------


def test_network_failure_exit_4(run, httpx_mock, world):
    for _ in range(6):
        httpx_mock.add_exception(httpx.ConnectError("connection refused"), url=ARK + "/cgt-1")
    result = run("-p", "byteplus", "status", "cgt-1")
    assert result.exit_code == 4
    assert one_line(result.stderr) and "could not reach" in result.stderr


def test_create_answer_lost_is_not_repeated(run, httpx_mock):
    """A queued task that could be it: seedance cannot tell yet, so it stops and names it."""
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"), method="POST", url=ARK)
    serve_a_queued_lookalike(httpx_mock, ARK)
    result = run("-p", "byteplus", "create", "a boat")
    assert result.exit_code == 3
    assert "not sent again" in result.stderr and "cgt-lookalike" in result.stderr
    assert "timed out" in result.stderr
    assert len([r for r in httpx_mock.get_requests() if r.method == "POST"]) == 1
    local = json.loads(run("tasks", "list", "--local", "--json").stdout)
    assert local[0]["state"] == "unknown"


# -- 5, 6, 130 -------------------------------------------------------------------------------


def test_failed_task_exit_5(run, sim):
    result = run("create", "rain #fail", "--wait")
    assert result.exit_code == 5 and one_line(result.stderr)


def test_timeout_exit_6_says_how_to_continue(run, sim):
    task_id = run("create", "a boat").stdout.strip()
    result = run("wait", task_id, "--timeout", "5")
    assert result.exit_code == 6
    assert f"seedance -p sim-byteplus wait {task_id}" in result.stderr


class InterruptingClock(FakeClock):
    def sleep(self, seconds: float) -> None:
        raise KeyboardInterrupt


def test_ctrl_c_exit_130_with_the_resume_command(sim, world):
    world.clock = InterruptingClock(world.clock.time())
    sim.clock = world.clock
    task_id = world.run("create", "a boat").stdout.strip()
    result = world.run("wait", task_id, "-o", "out.mp4")
    assert result.exit_code == 130
    assert f"resume with: seedance -p sim-byteplus wait {task_id} -o" in result.stderr
    assert "keeps running" in result.stderr
