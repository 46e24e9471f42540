"""Malformed input of every kind: flags, TOML files, server answers.

Each gives a one-line error naming the problem, the right exit code and never a traceback;
bad flags and files send nothing at all.
"""

from __future__ import annotations

import json

import pytest

from support import png, serve_a_queued_lookalike

ARK = "https://ark.ap-southeast.bytepluses.com/api/v3/contents/generations/tasks"
TASK = ARK + "/cgt-1"


def one_error_line(result) -> bool:
    text = result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    return len(lines) == 1 and "Traceback" not in text and result.exception is None


# -- flags: exit 2, nothing sent --------------------------------------------------------------

FLAGS = [
    (["create", "x", "-d", "abc"], "Invalid value for '--duration'"),
    (["create", "x", "--seed", "1.5"], "Invalid value for '--seed'"),
    (["create", "x", "--ratio", "5:4"], "ratio 5:4 is not one of"),
    (["create", "x", "-r", "8k"], "not 8k"),
    (["create", "x", "--service-tier", "turbo"], "service tier must be one of"),
    (["create", "x", "--expires-after", "10"], "expires_after 10 is out of range"),
    (["create", "x", "--timeout", "-1"], "--timeout must be a positive"),
    (["create", "--prompt-file", "missing.txt"], "prompt file"),
    (["create", "x", "--prompt-file", "p.txt"], "not both"),
    (["create", "x", "--callback-url", "https://127.0.0.1/cb"], "not a public address"),
    (["create", "x", "--callback-url", "https://localhost/cb"], "is not public"),
    (["create", "x", "--size", "123x45"], "size 123x45 is not a size"),
    (
        ["create", "x", "-m", "1.0", "--audio", "https://a/x.mp3", "--image", "https://a/y.png"],
        "takes no reference audios",
    ),
    (["create", "x", "--last-frame", "https://a/b.png"], "a last frame needs a first frame too"),
    (["create", "x", "--draft", "-m", "mini"], "has no draft mode"),
    (["create", "x", "--image", "data:video/mp4;base64,AAAA"], "does not look like an image"),
    (["create", "x", "--video", "data:video/mp4;base64,AAAA"], "can only carry an image"),
    (["create", "x", "--image", "asset://"], "names no asset"),
    (["wait", "cgt-1", "cgt-2", "-o", "one-file.mp4"], "not a directory"),
    (["download", "cgt-1", "-o", "no-such-dir/x.mp4"], "does not exist"),
    (["tasks", "list", "--page-size", "0"], "--page-size 1-500"),
    (["chain", "missing.toml"], "no such file"),
    (["profiles", "add", "x", "--set", "oops"], "expected KEY=VALUE"),
    (["unknown-command"], "No such command"),
    (["create", "x", "-d", "5.5"], "'5.5' is not a whole number"),
    (["create", "x", "--priority", "high"], "'high' is not a whole number"),
    (["creat", "x"], "did you mean `seedance create`?"),
    (["tasks", "lst"], "did you mean `seedance tasks list`?"),
    (["completion", "tcsh"], "no completion script for 'tcsh'"),
]


@pytest.mark.parametrize(("args", "message"), FLAGS, ids=[" ".join(a[:3]) for a, _ in FLAGS])
def test_bad_flags(world, httpx_mock, args, message):
    (world.root / "p.txt").write_text("a prompt")
    result = world.run("-p", "byteplus", *args)
    assert result.exit_code == 2, result
    assert message in result.stderr, result.stderr
    assert one_error_line(result)
    assert not httpx_mock.get_requests()


# -- a newcomer's first mistakes (issue 28): each one line, the right exit code ----------------

FIRST_HOUR = [
    (["-p", "sim-byteplus", "create", "x"], 2, "no simulator is running"),
    (["-p", "sim-byteplus", "doctor"], 2, "start one in another terminal with: seedance sim"),
    (["creat", "a boat"], 2, "did you mean `seedance create`?"),
    (["tasks", "lst"], 2, "did you mean `seedance tasks list`?"),
    (["-p", "demo", "create", "x", "-d", "5.5"], 2, "'5.5' is not a whole number"),
    (["-p", "demo", "create", "x", "-r", "4K", "-m", "fast", "--dry-run"], 2, "not 4k"),
    (["completion", "powershell"], 2, "no completion script for 'powershell'"),
    (["completion"], 2, "Missing argument 'SHELL'"),
]


@pytest.mark.parametrize(
    ("args", "code", "message"), FIRST_HOUR, ids=[" ".join(a[:4]) for a, _, _ in FIRST_HOUR]
)
def test_first_hour_mistakes(world, httpx_mock, args, code, message):
    result = world.run(*args)
    assert result.exit_code == code, result
    assert message in result.stderr, result.stderr
    assert one_error_line(result)
    assert not httpx_mock.get_requests()


# -- files: exit 2, nothing sent --------------------------------------------------------------

PROFILES = [
    ('profiles = "nope"', "must be tables"),
    ("default_profile = 5\n[profiles.x]\npreset = 'demo'", "default_profile must be a string"),
    ("[profiles.x]\npreset = 'byteplus'\ncolour = 'red'", "colour"),
    ("[profiles.x]\napi = 'ark'", "base_url"),
    ("[profiles.x]\npreset = 'byteplus'\napi_key_cmd = 'false'", "gave no key"),
    ("[profiles.x]\npreset = 'byteplus'\nrate_limit = 'fast'", "rate_limit"),
    ("[profiles.x]\npreset = 'byteplus'\ndefaults = { duration = 'five' }", "duration"),
    (
        "[profiles.x]\npreset = 'byteplus'\ndefaults = { duration = 5.5 }",
        "duration: must be a whole number, not 5.5",
    ),
    ("\x00\x01", "not valid TOML"),
    # issue 23 finding 12: what Python's TOML parser fails on otherwise than TOMLDecodeError
    ("[profiles.x]\npreset = 'byteplus'\nrate_limit = " + "1" * 5001, "more digits than"),
    ("[profiles.x]\npreset = 'byteplus'\nmodel = " + "[" * 100_000, "nested too deeply"),
]


@pytest.mark.parametrize(("text", "message"), PROFILES)
def test_bad_profiles_toml(world, httpx_mock, text, message):
    world.config_dir.mkdir(parents=True, exist_ok=True)
    (world.config_dir / "profiles.toml").write_text(text)
    result = world.run("-p", "x", "create", "a boat")
    assert result.exit_code == 2, result
    assert message in result.stderr, result.stderr
    assert one_error_line(result)
    assert not httpx_mock.get_requests()


# -- server answers: the right exit code, a clear message -------------------------------------


def html(status: int = 200) -> dict:
    return {
        "status_code": status,
        "text": "<html><body><h1>Bad Gateway</h1></body></html>",
        "headers": {"content-type": "text/html"},
    }


ANSWERS = [
    # (what the server says to GET task, exit code, message)
    (html(200), 3, "not JSON"),
    (html(502), 3, "502"),
    (
        {"text": '{"id": "cgt-1", "sta', "headers": {"content-type": "application/json"}},
        3,
        "not JSON",
    ),
    ({"json": ["not", "a", "task"]}, 3, "without an id"),
    ({"json": {}}, 3, "without an id"),
    ({"text": ""}, 3, "not JSON"),
    ({"status_code": 200, "content": b"\xff\xfe\x00garbage"}, 3, "not JSON"),
    (
        {
            "status_code": 200,
            "headers": {"content-length": str(64 * 1024 * 1024)},
            "content": b"{}",
        },
        3,
        "more than",
    ),
    (
        {"status_code": 404, "text": "not found", "headers": {"content-type": "text/plain"}},
        3,
        "404",
    ),
    (
        {
            "status_code": 401,
            "text": "<html>denied</html>",
            "headers": {"content-type": "text/html"},
        },
        3,
        "ARK_API_KEY",
    ),
    ({"status_code": 400, "json": {"error": {"code": 123, "message": ["odd", "types"]}}}, 3, "123"),
    ({"status_code": 418, "json": {"unexpected": True}}, 3, "418"),
]


@pytest.mark.parametrize(("answer", "code", "message"), ANSWERS)
def test_hostile_answers_to_a_read(world, httpx_mock, answer, code, message):
    httpx_mock.add_response(method="GET", url=TASK, is_reusable=True, is_optional=True, **answer)
    result = world.run("-p", "byteplus", "status", "cgt-1")
    assert result.exit_code == code, result
    assert message in result.stderr, result.stderr
    assert one_error_line(result)


def test_unknown_status_words_and_missing_fields_are_tolerated(world, httpx_mock):
    httpx_mock.add_response(
        method="GET",
        url=TASK,
        json={"id": "cgt-1", "status": "exploded", "usage": {"completion_tokens": "many"}},
    )
    result = world.run("-p", "byteplus", "status", "cgt-1", "-q")
    assert result.exit_code == 0 and result.stdout.strip() == "unknown"


def test_a_create_answer_without_an_id_is_not_retried(world, httpx_mock):
    httpx_mock.add_response(method="POST", url=ARK, json={"ok": True})
    serve_a_queued_lookalike(httpx_mock, ARK)
    result = world.run("-p", "byteplus", "create", "a boat")
    assert result.exit_code == 3 and "no task id" in result.stderr
    assert len([r for r in httpx_mock.get_requests() if r.method == "POST"]) == 1


def test_a_succeeded_task_without_a_video_url(world, httpx_mock):
    httpx_mock.add_response(method="GET", url=TASK, json={"id": "cgt-1", "status": "succeeded"})
    result = world.run("-p", "byteplus", "download", "cgt-1")
    assert result.exit_code == 3 and "has no video URL" in result.stderr


def test_a_list_answer_without_items(world, httpx_mock):
    httpx_mock.add_response(method="GET", json={"total": 3})
    result = world.run("-p", "byteplus", "tasks", "list")
    assert result.exit_code == 3 and "no items" in result.stderr


def test_a_redirecting_api_is_reported_not_followed(world, httpx_mock):
    httpx_mock.add_response(
        method="GET",
        url=TASK,
        status_code=301,
        headers={"location": "https://elsewhere.example/api"},
    )
    result = world.run("-p", "byteplus", "status", "cgt-1")
    assert result.exit_code == 3 and "redirect" in result.stderr
    assert len(httpx_mock.get_requests()) == 1


# -- inputs of every kind against the simulator: exit 2, one line, nothing sent or written ----

LATIN1 = "un bateau à l'aube".encode("latin-1")
OK_BOARD = '[[shots]]\nid = "a"\nprompt = "x"\n'


def furnish(world) -> None:
    """The files the table's inputs name."""
    import os

    from seedance.cli.sim import profile_document
    from seedance.sim.app import API_ORIGIN

    root = world.root
    whole = png()
    (root / "a.png").write_bytes(whole)
    (root / "cut.png").write_bytes(whole[: len(whole) // 2])
    (root / "tiny.png").write_bytes(png(200, 200))
    (root / "wide.png").write_bytes(png(1500, 320))
    (root / "notimage.png").write_text("not an image")
    (root / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    (root / "latin1.txt").write_bytes(LATIN1)
    (root / "blank.txt").write_text("  \n\t\n")
    (root / "adir").mkdir()
    (root / "afile").write_text("a file")
    (root / "taken.mp4").write_bytes(b"mine")
    os.mkfifo(root / "pipe.mp4")
    (root / "link.mp4").symlink_to(root / "a.png")
    boards = {
        "ok.toml": OK_BOARD,
        "twice.toml": OK_BOARD + OK_BOARD,
        "blank.toml": '[[shots]]\nid = "a"\nprompt = "   "\n',
        "loop.toml": '[[shots]]\nid = "a"\nprompt = "x"\nafter = "b"\n'
        '[[shots]]\nid = "b"\nprompt = "y"\nafter = "a"\n',
        "branch.toml": OK_BOARD + '[[shots]]\nid = "b"\nprompt = "y"\n'
        '[[shots]]\nid = "c"\nprompt = "z"\nafter = "a"\n',
        "broken.toml": "[[shots]\nid = ",
        "nofield.toml": '[[shots]]\nid = "a"\nprompt = "x"\ncolour = "red"\n',
        "badid.toml": '[[shots]]\nid = "../up"\nprompt = "x"\n',
        "duration.toml": '[[shots]]\nid = "a"\nprompt = "x"\nduration = 99\n',
        "fraction.toml": '[[shots]]\nid = "a"\nprompt = "x"\nduration = 5.5\n',
        "maybe.toml": '[[shots]]\nid = "a"\nprompt = "x"\nwatermark = "maybe"\n',
    }
    digits = "1" * 5001  # more than Python reads as an integer (issue 23 finding 12)
    boards["digits.toml"] = OK_BOARD + f"duration = {digits}\n"
    boards["deep.toml"] = OK_BOARD + "duration = " + "[" * 100_000 + "\n"
    for name, text in boards.items():
        (root / name).write_text(text)
    inner = root / "inner"  # a jobs file and a storyboard that name files outside their folder
    inner.mkdir()
    (inner / "link.png").symlink_to(root / "a.png")
    outside = {
        "up.jsonl": {"prompt": "x", "images": ["../a.png"]},
        "home.jsonl": {"prompt": "x", "images": ["~/a.png"]},
        "abs.jsonl": {"prompt": "x", "first_frame": str(root / "a.png")},
        "link.jsonl": {"prompt": "x", "images": ["link.png"]},
    }
    for name, row in outside.items():
        (inner / name).write_text(json.dumps(row) + "\n")
    (inner / "up.toml").write_text('[[shots]]\nid = "a"\nprompt = "x"\nimages = ["../a.png"]\n')
    (inner / "link.toml").write_text(
        '[[shots]]\nid = "a"\nprompt = "x"\nfirst_frame = "link.png"\n'
    )
    (inner / "prompt.toml").write_text('[[shots]]\nid = "a"\nprompt_file = "../latin1.txt"\n')
    (root / "holiday.jsonl").write_text('{"id": "holiday", "prompt": "x"}\n')  # the user's
    (root / "holiday").mkdir()  # own poster where the batch's would go
    (root / "holiday" / "holiday.poster.png").write_bytes(whole)
    (root / "stilled.toml").write_text(OK_BOARD)
    (root / "stilled").mkdir()
    (root / "stilled" / "01-a.sheet.png").write_bytes(whole)
    (root / "ok.jsonl").write_text('{"prompt": "x"}\n')
    (root / "deep.jsonl").write_text("[" * 100_000 + "\n")
    (root / "deep-object.jsonl").write_text('{"prompt": ' * 100_000 + "\n")
    (root / "digits.jsonl").write_text(f'{{"prompt": "x", "duration": {digits}}}\n')
    (root / "huge.jsonl").write_text('{"prompt": "x", "duration": 1e999}\n')
    (root / "digits.csv").write_text(f"prompt,duration\nx,{digits}\n")
    (root / "seed.csv").write_text(f"prompt,seed\nx,{digits}\n")
    profiles = profile_document(API_ORIGIN, "sim-token")
    kapon = dict(profiles["sim-kapon"])
    kapon.pop("upload_cmd")
    world.write_profiles({"default_profile": "sim-byteplus", "profiles": {**profiles, "k": kapon}})


INPUTS = [
    # task ids: a safe character set, not a format
    (["status", "../x"], "is not a task id"),
    (["status", "a b"], "is not a task id"),
    (["status", "x/y"], "is not a task id"),
    (["status", "x?y=1"], "is not a task id"),
    (["status", "x#y"], "is not a task id"),
    (["status", "x%2F"], "is not a task id"),
    (["status", "x\ty"], "is not a task id"),
    (["status", "\u200bcgt-1"], "is not a task id"),
    (["status", ".."], "is not a task id"),
    (["status", "c" * 300], "is not a task id"),
    (["cancel", "a/b"], "is not a task id"),
    (["wait", "cgt-1", "x y"], "is not a task id"),
    (["download", "../x"], "is not a task id"),
    (["finalize", "a/b"], "is not a draft task id"),
    # prompts
    (["create", "   "], "the prompt is blank"),
    (["create", "\t\n"], "the prompt is blank"),
    (["create", "a\x00b"], "NUL"),
    (["create", "\udcff boat"], "not valid UTF-8"),
    (["create", "--prompt-file", "latin1.txt"], "is not UTF-8 text"),
    (["create", "--prompt-file", "blank.txt"], "nothing to generate"),
    (["create", "--prompt-file", "adir"], "cannot read prompt file"),
    # numbers
    (["create", "x", "--wait", "--timeout", "nan"], "--timeout must be a positive"),
    (["create", "x", "--wait", "--timeout", "inf"], "--timeout must be a positive"),
    (["create", "x", "--wait", "--timeout", "0"], "--timeout must be a positive"),
    (["wait", "cgt-1", "--timeout", "nan"], "--timeout must be a positive"),
    (["chain", "ok.toml", "--max-cost", "nan"], "--max-cost must be a number"),
    (["chain", "ok.toml", "--max-cost", "inf"], "--max-cost must be a number"),
    (["chain", "ok.toml", "--max-cost", "-5"], "--max-cost must be a number"),
    (["chain", "ok.toml", "--concurrency", "0"], "--concurrency must be 1 or more"),
    (["create", "x", "--priority", "10"], "priority 10"),
    (["create", "x", "--seed", "-2"], "seed -2"),
    (["create", "x", "-d", "0"], "duration 0 is out of range"),
    (["assets", "upload", "a.png", "--timeout", "nan"], "--timeout must be a positive"),
    # reference media, before anything is uploaded
    (["create", "x", "--first-frame", "cut.png"], "not a whole PNG image"),
    (["create", "x", "--image", "tiny.png"], "the short side must be over 300 px"),
    (["create", "x", "--image", "wide.png"], "aspect ratio"),
    (["create", "x", "--image", "notimage.png"], "not a known image format"),
    (["create", "x", "--image", "missing.png"], "does not exist"),
    (["create", "x", "--image", "adir"], "is a directory"),
    (["create", "x", "--image", "clip.mp4"], "looks like a video"),
    (["create", "x", "--first-frame", "a.png", "--first-frame", "a.png"], "given twice"),
    (["create", "x", "-m", "fast", "--model", "mini"], "given twice"),
    (["create", "x", "--first-frame", "a.png", "--image", "a.png"], "reference"),
    (["-p", "k", "create", "x", "--image", "a.png"], "it has no upload_cmd"),
    (["-p", "k", "create", "x", "--image", "a.png", "--dry-run"], "it has no upload_cmd"),
    (
        ["-p", "k", "create", "x", "--first-frame", "https://example.com/a.png"],
        "cannot express a first or last frame",
    ),
    # outputs, before anything is paid
    (["create", "x", "-o", "taken.mp4"], "already exists"),
    (["create", "x", "-o", "v.png", "--last-frame-output", "v.png"], "written twice"),
    (["create", "x", "-o", "v.mp4", "--sheet", "--last-frame-output", "v.poster.png"], "twice"),
    (["create", "x", "-o", "pipe.mp4"], "named pipe"),
    (["create", "x", "-o", "link.mp4"], "symbolic link"),
    (["create", "x", "-o", "nodir/x.mp4"], "does not exist"),
    (["create", "x", "-o", "afile/"], "is a file, not a folder"),
    (["create", "x", "--json", "-o", "-"], "writes the video to stdout"),
    (["create", "x", "-o", "-", "--sheet"], "--sheet writes files"),
    (["create", "x", "-m", "2.5", "--output-format", "mov", "-o", "x.mp4"], "ends in .mp4"),
    (["create", "x", "--sheet"], "--sheet needs --output"),
    (["download", "cgt-1", "-o", "pipe.mp4", "--force"], "named pipe"),
    (["download", "cgt-1", "-o", "taken.mp4"], "already exists"),
    (["wait", "cgt-1", "cgt-2", "-o", "-"], "-o - takes one task's video"),
    (["chain", "ok.toml", "-o", "afile"], "is a file, not a folder"),
    # profiles
    (["profiles", "add", "byteplus"], "is the name of a preset"),
    (["profiles", "add", "p", "--preset", "nope"], "nope"),
    (["-p", "nope", "create", "x"], "no profile named 'nope'"),
    (["profiles", "add", "p", "--api", "ark", "--base-url", "http://example.com"], "http://"),
    # storyboards
    (["chain", "twice.toml"], "used twice"),
    (["chain", "blank.toml"], "the prompt is blank"),
    (["chain", "loop.toml"], "loop"),
    # a newcomer's numbers in a storyboard, in plain words (issue 28)
    (["chain", "fraction.toml"], "field 'duration': must be a whole number, not 5.5"),
    (["chain", "maybe.toml"], "field 'watermark': must be true or false, not 'maybe'"),
    (["chain", "branch.toml", "--concat"], "needs a story without branches"),
    (["chain", "broken.toml"], "TOML"),
    (["chain", "nofield.toml"], "colour"),
    (["chain", "badid.toml"], "../up"),
    (["chain", "duration.toml"], "duration 99"),
    (["chain", "ok.toml", "--rerun", "zz"], "no shot named zz"),
    # local files outside a jobs file's or a storyboard's folder: nothing read of them
    (["batch", "inner/up.jsonl"], "is outside the jobs file's folder"),
    (["batch", "inner/home.jsonl"], "~/a.png"),
    (["batch", "inner/abs.jsonl"], "column first_frame"),
    (["batch", "inner/link.jsonl"], "link.png"),
    (["batch", "inner/up.jsonl", "--dry-run"], "--allow-outside"),
    (["chain", "inner/up.toml"], "is outside the storyboard's folder"),
    (["chain", "inner/link.toml"], "--allow-outside"),
    (["chain", "inner/prompt.toml", "--dry-run"], "field 'prompt_file'"),
    # the user's own stills where a run's would go, before anything is paid
    (["batch", "holiday.jsonl"], "holiday.poster.png already exists, and is not a still"),
    (["chain", "stilled.toml"], "01-a.sheet.png already exists, and is not a still"),
    # issue 23 finding 12: nested 100,000 deep, 5,001 digits, a time before 1970, and siblings
    (["batch", "deep.jsonl"], "nested too deeply"),
    (["batch", "deep-object.jsonl"], "nested too deeply"),
    (["batch", "digits.jsonl"], "more digits than can be read"),
    (["batch", "huge.jsonl"], "duration"),
    (["batch", "digits.csv"], "must be a whole number"),
    (["batch", "seed.csv"], "must be a whole number"),
    (["chain", "digits.toml"], "more digits than can be read"),
    (["chain", "deep.toml"], "nested too deeply"),
    (["spend", "--since", "99999999999d"], "reaches back before 1970"),
    (["spend", "--since", "9" * 5001 + "w"], "reaches back before 1970"),
    (
        ["profiles", "add", "p", "--preset", "byteplus", "--set", "rate_limit=" + "1" * 5001],
        "more digits than",
    ),
    (
        ["profiles", "add", "p", "--preset", "byteplus", "--set", "model=" + "[" * 100_000],
        "nested too deeply",
    ),
    (["batch", "ok.jsonl", "--max-cost", "1e999"], "the cost cap must be a number"),
    (["frames", "clip.mp4", "--at", "1" * 5001], "is not a time in the clip"),
]


def written(world) -> dict[str, tuple[int, int]]:
    """Every file under the world's folder (the journal's rows counted apart): what a refused
    command must leave as it was."""
    import sqlite3

    found = {}
    for path in world.root.rglob("*"):
        ours = path.name.startswith("journal.sqlite3") or "locks" in path.parts
        if path.is_file() and not ours:
            stat = path.stat()
            found[str(path)] = (stat.st_size, stat.st_mtime_ns)
    journal = world.data_dir / "journal.sqlite3"
    if journal.exists():
        with sqlite3.connect(journal) as db:
            found["journal rows"] = (db.execute("SELECT COUNT(*) FROM creates").fetchone()[0], 0)
    return found


@pytest.mark.parametrize(("args", "message"), INPUTS, ids=[" ".join(a)[:40] for a, _ in INPUTS])
def test_malformed_inputs_send_and_write_nothing(world, sim, args, message):
    furnish(world)
    before = written(world)
    result = world.run(*args)
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert message in result.stderr, result.stderr
    assert one_error_line(result), result.stderr
    assert sim.requests == []
    assert written(world) == before


@pytest.mark.parametrize(
    "args",
    [a for a, _ in INPUTS if any(len(word) > 5000 for word in a) or a[-1].startswith("digits")],
    ids=lambda a: " ".join(a)[:40],
)
def test_a_huge_value_is_quoted_short(world, sim, args):
    """A message quotes at most a few dozen characters of what it refuses, not 5,001."""
    furnish(world)
    result = world.run(*args)
    assert result.exit_code == 2 and max(map(len, result.stderr.splitlines())) < 400, result.stderr


def test_a_limit_beyond_any_journal_is_no_damaged_journal(world, sim):
    """`tasks list --local --limit 10**23` listed nothing and called the journal damaged."""
    assert world.run("create", "a boat").exit_code == 0
    listed = world.run("tasks", "list", "--local", "--limit", "9" * 23, "--json")
    assert listed.exit_code == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 1


def test_the_table_covers_sixty_inputs():
    assert len(FLAGS) + len(PROFILES) + len(INPUTS) >= 60 and len(INPUTS) >= 60
