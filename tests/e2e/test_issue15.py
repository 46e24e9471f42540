"""Issue 15: every edge a user can reach. One test per line the issue reproduced, named after
it, through the command line (whose contract did not change), so each also runs against the
code before the issue's work and fails there (see the report of that work).

Only the fixtures every version has (`world`, `run`, `sim`, `sim_server`) are used, and
nothing from tests/support.py."""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from support import png

ESC = "\x1b["
SEEDANCE = (sys.executable, "-m", "seedance")
INSTANT = ("--queue-seconds", "0", "--run-seconds", "0", "--asset-seconds", "0")
COLOUR = re.compile(r"\x1b\[[0-9;]*m")
CURSOR = re.compile(r"\x1b\[(\d*[ABCDK]|\?25[lh])")


def creates(sim) -> int:
    return len([r for r in sim.requests if r.method == "POST" and "tasks" in r.path])


def unwritable_folder(tmp: Path) -> Path:
    """A folder nothing can be written in: permission bits for a user, /sys for root (which
    permission bits do not stop)."""
    if os.geteuid() == 0:
        return Path("/sys")
    folder = tmp / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


def child_env(world, **more: str) -> dict[str, str]:
    """The environment of a `python -m seedance` child: the world's, and the import path this
    test runs with (so a child imports the same seedance)."""
    path = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}
    return {**world.environ, **path, "NO_COLOR": "1", **more}


def task_id(run, *args: str) -> str:
    result = run("create", "a paper boat", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout.strip()


# -- money -----------------------------------------------------------------------------------


def test_issue15_last_frame_on_the_videos_own_path_never_overwrites_it(run, sim, world):
    made = run("create", "a boat", "-o", "same.png", "--last-frame-output", "same.png")
    assert made.exit_code == 2 and "would be written twice" in made.stderr
    assert creates(sim) == 0 and not (world.root / "same.png").exists()
    task = task_id(run)
    world.clock.advance(30)
    saved = run("download", task, "-o", "s.png", "--last-frame", "s.png")
    assert saved.exit_code == 2 and "would be written twice" in saved.stderr
    assert not (world.root / "s.png").exists()


def test_issue15_chain_max_cost_nan_turns_the_cost_guard_off(run, sim, world):
    (world.root / "b.toml").write_text('[[shots]]\nid = "a"\nprompt = "x"\n')
    for cap in ("nan", "inf", "-1"):
        result = run("chain", "b.toml", "--max-cost", cap)
        assert result.exit_code == 2, (cap, result.stderr)
        assert "--max-cost" in result.stderr
    assert creates(sim) == 0


def test_issue15_create_into_an_unwritable_folder_is_refused_before_paying(
    run, sim, world, tmp_path
):
    folder = unwritable_folder(tmp_path)
    for target in (f"{folder}/", f"{folder}/boat.mp4", f"{folder}/new/"):
        result = run("create", "a boat", "-o", target)
        assert result.exit_code == 2, (target, result.stderr)
        assert "cannot" in result.stderr
    assert creates(sim) == 0


def test_issue15_chain_restart_and_rerun_keep_the_paid_clips(run, sim, world):
    (world.root / "b.toml").write_text(
        '[[shots]]\nid = "dawn"\nprompt = "x"\n[[shots]]\nid = "noon"\nprompt = "y"\n'
    )
    out = world.root / "b"
    assert run("chain", "b.toml").exit_code == 0
    first = (out / "02-noon.mp4").read_bytes()
    assert run("chain", "b.toml", "--rerun", "noon").exit_code == 0
    assert (out / "02-noon.1.mp4").read_bytes() == first  # the earlier take, kept
    second = (out / "02-noon.mp4").read_bytes()
    assert run("chain", "b.toml", "--restart").exit_code == 0
    assert (out / "02-noon.2.mp4").read_bytes() == second
    assert (out / "01-dawn.1.mp4").exists() and (out / "01-dawn.1.last.png").exists()
    assert creates(sim) == 5  # 2 + 1 + 2: every take paid once, every file kept


def test_issue15_a_whitespace_only_prompt_is_refused_before_anything_is_sent(run, sim, world):
    for prompt in ("   ", "\t\n", ""):
        result = run("create", prompt)
        assert result.exit_code == 2, repr(prompt)
        assert "blank" in result.stderr or "nothing to generate" in result.stderr
    (world.root / "b.toml").write_text('[[shots]]\nid = "a"\nprompt = "  "\n')
    assert run("chain", "b.toml").exit_code == 2
    assert creates(sim) == 0


# -- security --------------------------------------------------------------------------------


def test_issue15_download_never_replaces_a_device_fifo_or_symlink(run, sim, world):
    task = task_id(run)
    world.clock.advance(30)
    fifo = world.root / "pipe.mp4"
    os.mkfifo(fifo)
    target = world.root / "precious.txt"
    target.write_text("keep me")
    link = world.root / "link.mp4"
    link.symlink_to(target)
    for name, kind in (("pipe.mp4", "named pipe"), ("link.mp4", "symbolic link")):
        result = run("download", task, "-o", name, "--force")
        assert result.exit_code == 2, result.stderr
        assert kind in result.stderr
    assert fifo.exists() and not fifo.is_file()
    assert link.is_symlink() and target.read_text() == "keep me"


# -- wrong -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["cancel", "../../x"],
        ["status", "a b"],
        ["status", "x?y=1"],
        ["status", "x#frag"],
        ["status", "%2e%2e"],
        ["wait", "cgt-1", "../cgt-2"],
        ["download", "cgt\n1"],
        ["finalize", "../x"],
    ],
)
def test_issue15_task_ids_are_checked_before_anything_is_sent(run, sim, args):
    result = run(*args)
    assert result.exit_code == 2, result.stderr
    assert "is not a" in result.stderr and "task id" in result.stderr
    assert sim.requests == []


def test_issue15_create_output_with_a_trailing_slash_is_a_folder(run, sim, world):
    result = run("create", "a boat", "-o", "outdir/")
    assert result.exit_code == 0, result.stderr
    saved = Path(result.stdout.strip())
    assert saved.parent == world.root / "outdir" and saved.suffix == ".mp4"
    assert not (world.root / "outdir.mp4").exists()


def test_issue15_wait_into_a_folder_that_does_not_exist_yet(run, sim, world):
    ids = [task_id(run) for _ in range(3)]
    result = run("wait", *ids, "-o", "clips/")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (world.root / "clips").glob("*.mp4")) == sorted(
        f"{i}.mp4" for i in ids
    )


def kapon_without_upload(world) -> None:
    """sim-kapon as a user would have it: no upload_cmd."""
    from seedance.cli.sim import profile_document
    from seedance.sim.app import API_ORIGIN

    kapon = profile_document(API_ORIGIN, "sim-token")["sim-kapon"]
    kapon.pop("upload_cmd", None)
    world.write_profiles({"profiles": {"k": kapon}})


def test_issue15_dry_run_succeeds_where_the_real_run_fails(run, sim, world):
    kapon_without_upload(world)
    (world.root / "boat.png").write_bytes(png())
    for args in (["--image", "boat.png"], ["--first-frame", "https://example.com/a.png"]):
        real = run("-p", "k", "create", "a boat", *args)
        dry = run("-p", "k", "create", "a boat", *args, "--dry-run")
        assert real.exit_code == dry.exit_code == 2, (args, dry.stderr)
        assert real.stderr.splitlines()[-1] == dry.stderr.splitlines()[-1]


def test_issue15_dry_run_prints_no_base64_for_people(run, sim, world):
    (world.root / "boat.png").write_bytes(png())
    human = run("create", "a boat", "--first-frame", "boat.png", "--dry-run")
    assert human.exit_code == 0, human.stderr
    assert "base64" not in human.stdout and len(human.stdout) < 2000
    assert re.search(r"<boat\.png, \d+ KB, sha256 [0-9a-f]{12}…>", human.stdout)
    exact = run("--json", "create", "a boat", "--first-frame", "boat.png", "--dry-run")
    assert "data:image/png;base64," in exact.stdout  # --json: the exact body


def test_issue15_media_are_uploaded_only_after_the_request_is_checked(run, sim, world):
    kapon_without_upload(world)
    result = run("-p", "k", "create", "a boat", "--first-frame", "https://example.com/a.png")
    assert result.exit_code == 2 and "first or last frame" in result.stderr
    assert sim.requests == []  # not one asset made for a request that is refused


def test_issue15_a_second_first_frame_is_not_dropped_silently(run, sim, world):
    (world.root / "a.png").write_bytes(png())
    (world.root / "b.png").write_bytes(png())
    result = run("create", "x", "--first-frame", "a.png", "--first-frame", "b.png", "--dry-run")
    assert result.exit_code == 2 and "given twice" in result.stderr
    assert run("create", "x", "-m", "fast", "--model", "2.0", "--dry-run").exit_code == 2


def test_issue15_a_truncated_png_is_not_sent(run, sim, world):
    whole = png()
    (world.root / "cut.png").write_bytes(whole[: len(whole) // 2])
    for flag in ("--first-frame", "--image"):
        result = run("create", "a boat", flag, "cut.png")
        assert result.exit_code == 2, result.stderr
        assert "cut.png" in result.stderr and "not a whole PNG" in result.stderr
    assert sim.requests == []


def test_issue15_a_prompt_that_is_not_utf8_exits_2_not_1(world, sim):
    (world.root / "latin1.txt").write_bytes("un bateau à l'aube".encode("latin-1"))
    env = child_env(world, SEEDANCE_CLOCK="fake")
    cases = [
        ([b"create", b"\xff\xfe a boat", b"--dry-run"], None),
        ([b"create", b"--prompt-file", b"latin1.txt", b"--dry-run"], None),
        ([b"create", b"--prompt-file", b"-", b"--dry-run"], b"\xe0 la plage\n"),
    ]
    for argv, stdin in cases:
        done = subprocess.run(
            [sys.executable.encode(), b"-m", b"seedance", b"-p", b"byteplus", *argv],
            cwd=world.root,
            env=env,
            input=stdin or b"",
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2, (argv, done.stderr)
        assert b"UTF-8" in done.stderr and b"bug" not in done.stderr


def test_issue15_download_last_frame_is_taken_from_the_video(world):
    from seedance.cli.sim import profile_document
    from seedance.sim.app import API_ORIGIN, SimConfig, Simulator

    simulator = Simulator(SimConfig(queue_seconds=2, run_seconds=10), clock=world.clock)
    world.transport = simulator.transport()
    world.write_profiles(
        {"default_profile": "sim-byteplus", "profiles": profile_document(API_ORIGIN, "t")}
    )
    task = task_id(world.run)  # made without return_last_frame: the API has no frame
    world.clock.advance(30)
    result = world.run("download", task, "-o", "clip.mp4", "--last-frame")
    assert result.exit_code == 0, result.stderr
    frame = world.root / "clip.last.png"
    assert frame.read_bytes().startswith(b"\x89PNG")
    import av

    with av.open(str(world.root / "clip.mp4")) as clip:
        last = list(clip.decode(video=0))[-1]
    width, height = struct.unpack(">II", frame.read_bytes()[16:24])
    assert (width, height) == (last.width, last.height)


def test_issue15_piping_into_head_exits_0(world):
    """`seedance models | head -0`: the reader is gone before the first line is written."""
    for args in (["models", "--all"], ["profiles", "list"], ["--help"]):
        read_end, write_end = os.pipe()
        os.close(read_end)  # no reader: every write fails with EPIPE
        try:
            done = subprocess.run(
                [sys.executable, "-m", "seedance", *args],
                cwd=world.root,
                env=child_env(world),
                stdout=write_end,
                stderr=subprocess.PIPE,
                timeout=60,
                check=False,
            )
        finally:
            os.close(write_end)
        assert done.returncode == 0, (args, done.returncode, done.stderr)
        assert b"Error" not in done.stderr and b"Traceback" not in done.stderr


# -- confusing -------------------------------------------------------------------------------


def test_issue15_seedance_sim_profiles_are_usable_as_printed(world):
    env = child_env(world)
    server = subprocess.Popen(
        [*SEEDANCE, "sim", "--port", "0", *INSTANT],
        cwd=world.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        for line in server.stderr:  # bounded: the server says it listens, or ends
            if "listening on" in line:
                break
        made = subprocess.run(
            [*SEEDANCE, "-p", "sim-byteplus", "create", "a test shot", "-o", "test.mp4"],
            cwd=world.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert made.returncode == 0, made.stderr
        assert (world.root / "test.mp4").stat().st_size > 0
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_issue15_suggestions_name_only_models_that_can_serve_the_request(run, sim):
    result = run("create", "x", "-m", "fast", "-r", "1080p", "-d", "30", "--dry-run")
    assert result.exit_code == 2
    suggested = re.search(r"models that can: ([^)]*)\)", result.stderr)
    assert suggested is not None, result.stderr
    names = suggested.group(1).split(", ")
    assert "dreamina-seedance-2-5-260628" in names
    assert "dreamina-seedance-2-0-260128" not in names  # 1080p, but not 30 s


def test_issue15_a_rerun_prints_no_estimate_for_money_it_will_not_spend(run, sim, world):
    first = run("create", "a boat", "-o", "boat.mp4")
    assert first.exit_code == 0 and "estimate:" in first.stderr
    again = run("create", "a boat", "-o", "boat.mp4")
    assert again.exit_code == 0 and "already made" in again.stderr
    assert "estimate" not in again.stderr


def test_issue15_a_failed_task_is_not_resumed_forever(run, sim, world):
    failed = run("create", "a storm #fail", "-o", "storm.mp4")
    assert failed.exit_code == 5 and "--new" in failed.stderr.splitlines()[-1]
    world.clock.advance(60)
    again = run("create", "a storm #fail", "-o", "storm.mp4")
    assert again.exit_code == 5 and "--new" in again.stderr.splitlines()[-1]
    assert "resuming" not in again.stderr and creates(sim) == 1
    (world.root / "b.toml").write_text('[[shots]]\nid = "a"\nprompt = "x #fail"\n')
    assert run("chain", "b.toml").exit_code == 5
    assert run("chain", "b.toml").exit_code == 5
    assert creates(sim) == 3  # "retry by running the same command again" makes it again


def test_issue15_download_of_the_file_seedance_saved_does_not_ask_for_force(run, sim, world):
    made = run("--json", "create", "a boat", "-o", "boat.mp4")
    task = json.loads(made.stdout)["id"]
    again = run("download", task, "-o", "boat.mp4")
    assert again.exit_code == 0, again.stderr
    assert "--force" not in again.stderr and "already" in again.stderr


def test_issue15_chain_concat_does_not_join_parallel_branches(run, sim, world):
    (world.root / "b.toml").write_text(
        '[[shots]]\nid = "dawn"\nprompt = "x"\n[[shots]]\nid = "left"\nprompt = "y"\n'
        '[[shots]]\nid = "right"\nafter = "dawn"\nprompt = "z"\n'
    )
    result = run("chain", "b.toml", "--concat")
    assert result.exit_code == 2 and "branch" in result.stderr
    assert creates(sim) == 0


def test_issue15_chain_concat_keeps_the_sound(world):
    import av

    from seedance.cli.sim import profile_document
    from seedance.sim.app import API_ORIGIN, SimConfig, Simulator

    simulator = Simulator(SimConfig(queue_seconds=2, run_seconds=10), clock=world.clock)
    world.transport = simulator.transport()
    world.write_profiles(
        {"default_profile": "sim-byteplus", "profiles": profile_document(API_ORIGIN, "t")}
    )
    (world.root / "b.toml").write_text(
        '[[shots]]\nid = "dawn"\nprompt = "x"\n[[shots]]\nid = "noon"\nprompt = "y"\n'
    )
    assert world.run("chain", "b.toml", "--concat").exit_code == 0
    with av.open(str(world.root / "b" / "film.mp4")) as film:
        assert film.streams.audio, "the clips have sound; the film lost it"
        seconds = float(film.streams.audio[0].duration * film.streams.audio[0].time_base)
    assert seconds > 1.5  # both clips' sound


def test_issue15_models_fits_80_columns_with_an_alias_column(run, sim, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = run("-p", "byteplus", "models", stdout_tty=True)
    lines = result.stdout.splitlines()
    assert "ALIAS" in lines[0] and all(len(COLOUR.sub("", line)) <= 80 for line in lines)
    assert any(line.split()[:2] == ["dreamina-seedance-2-0-fast-260128", "fast"] for line in lines)


COMMANDS = [
    ["create"],
    ["status"],
    ["wait"],
    ["download"],
    ["cancel"],
    ["tasks", "list"],
    ["chain"],
    ["finalize"],
    ["assets", "upload"],
    ["assets", "get"],
    ["profiles", "show"],
    ["sim"],
]


def test_issue15_help_shows_plain_metavars(run):
    for command in COMMANDS:
        result = run(*command, "--help")
        assert result.exit_code == 0, command
        assert not re.search(r"<\w+(\[\w+\])?>|\{[A-Z_.]+\}", result.stdout), (
            command,
            result.stdout,
        )


def test_issue15_a_failed_task_shows_no_full_green_bar(run, sim, world):
    world.environ["CLICOLOR_FORCE"] = "1"
    task = task_id(run, "-p", "sim-easyrouter")  # new-api reports progress
    world.clock.advance(1)
    run("-p", "sim-easyrouter", "create", "x #fail")  # another, failing
    failing = next(t for t in sim.state.tasks if t != task)
    world.clock.advance(30)
    result = run("-p", "sim-easyrouter", "wait", failing, stderr_tty=True)
    assert result.exit_code == 5
    lines = result.stderr.replace("\r", "\n").splitlines()
    rows = [line for line in lines if re.search(r"\bfailed\b", COLOUR.sub("", line))]
    assert rows, result.stderr
    for line in rows:
        assert "█" * 20 not in line and "\x1b[32m" not in line, line


def test_issue15_results_are_not_printed_twice_on_a_terminal(run, sim, world):
    result = run("create", "a boat", "-o", "boat.mp4", stdout_tty=True, stderr_tty=True)
    assert result.exit_code == 0
    assert result.stdout.strip().endswith("boat.mp4")  # the result, once: on stdout
    assert "saved " not in result.stderr, result.stderr
    ids = [task_id(run) for _ in range(3)]
    world.clock.advance(30)
    waited = run("wait", *ids, stdout_tty=True, stderr_tty=True)
    assert waited.exit_code == 0
    final = waited.stderr.rsplit("\x1b[2K", 1)[-1]  # the board's last frame
    for task in ids:  # said once: by the board's last frame, not again on stdout
        assert final.count(task) == 1 and task not in waited.stdout
    logged = run("wait", *ids)  # in a log (no terminal): the lines on stdout
    assert all(task in logged.stdout for task in ids)


def test_issue15_the_live_table_has_cost_and_stays_on_under_no_color(run, sim, world):
    world.environ["NO_COLOR"] = "1"
    result = run("create", "a boat", "--wait", stderr_tty=True)
    assert result.exit_code == 0, result.stderr
    assert CURSOR.search(result.stderr), "no live display under NO_COLOR"
    assert not COLOUR.search(result.stderr)
    assert "COST" in result.stderr and "$0.76" in result.stderr


def test_issue15_create_does_not_suggest_a_force_it_does_not_have(run, sim, world):
    (world.root / "taken.mp4").write_bytes(b"mine")
    result = run("create", "a boat", "-o", "taken.mp4")
    assert result.exit_code == 2 and "already exists" in result.stderr
    assert "--force" not in result.stderr
    assert creates(sim) == 0
