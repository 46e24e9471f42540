"""Malformed input of every kind: flags, TOML files, server answers.

Each gives a one-line error naming the problem, the right exit code and never a traceback;
bad flags and files send nothing at all.
"""

from __future__ import annotations

import pytest

from support import serve_a_queued_lookalike

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
]


@pytest.mark.parametrize(("args", "message"), FLAGS, ids=[" ".join(a[:3]) for a, _ in FLAGS])
def test_bad_flags(world, httpx_mock, args, message):
    (world.root / "p.txt").write_text("a prompt")
    result = world.run("-p", "byteplus", *args)
    assert result.exit_code == 2, result
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
    ("\x00\x01", "not valid TOML"),
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
