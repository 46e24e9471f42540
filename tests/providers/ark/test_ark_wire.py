"""The Ark native task API on the wire: exact create bodies, parsed answers, list and cancel.

Bodies and answers are the seed documents' own examples (docs/sources/ark.txt,
docs/sources/phanedge.txt §4-8), sent and
read through the real CLI with pytest-httpx standing in for BytePlus, Volcengine and PhanEdge.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpx import HTTPXMock

from seedance.services.state.sqlite import SqliteState
from support import KEYS, Outcome, World, expect_ark_create, png

BYTEPLUS = "https://ark.ap-southeast.bytepluses.com/api/v3"
VOLCENGINE = "https://ark.cn-beijing.volces.com/api/v3"
PHANEDGE = "https://models.phanedge.cloud/volcark/api/v3"
TASKS = "/contents/generations/tasks"
BASES = {"byteplus": BYTEPLUS, "volcengine": VOLCENGINE, "phanedge": PHANEDGE}
TOKENS = {
    "byteplus": KEYS["ARK_API_KEY"],
    "volcengine": KEYS["ARK_API_KEY"],
    "phanedge": KEYS["PHANEDGE_API_KEY"],
}
TASK_ID = "cgt-20260611204121-462cw"

# docs/sources/ark.txt "返回（成功时）", with the comments taken out.
SEED003_SUCCESS: dict[str, Any] = {
    "id": "cgt-20250331175019-68d9t",
    "model": "seedance-1-5-pro-251215",
    "status": "succeeded",
    "content": {
        "video_url": "https://ark-content-generation-ap-southeast-1.tos-ap-southeast-1.volces.com/v.mp4",
        "last_frame_url": "https://ark-content-generation-ap-southeast-1.tos-ap-southeast-1.volces.com/f.png",
    },
    "error": None,
    "usage": {"completion_tokens": 108900, "total_tokens": 108900},
    "created_at": 1743414619,
    "updated_at": 1743414673,
    "seed": 10,
    "resolution": "720p",
    "ratio": "16:9",
    "duration": 5,
    "framespersecond": 24,
    "generate_audio": True,
    "draft": False,
    "draft_task_id": "",
    "service_tier": "default",
    "execution_expires_after": 172800,
}

# docs/sources/phanedge.txt §6 "成功响应示例".
SEED001_SUCCESS: dict[str, Any] = {
    "id": TASK_ID,
    "model": "dreamina-seedance-2-0",
    "status": "succeeded",
    "content": {
        "video_url": "https://cdn.example/v.mp4",
        "last_frame_url": "https://cdn.example/f.png",
    },
    "usage": {"completion_tokens": 40594, "total_tokens": 40594},
    "created_at": 1781181681,
    "updated_at": 1781181802,
    "seed": 74719,
    "resolution": "4k",
    "ratio": "16:9",
    "duration": 4,
    "framespersecond": 24,
    "service_tier": "default",
    "execution_expires_after": 3600,
    "generate_audio": False,
    "draft": False,
    "safety_identifier": "user-hash-001",
    "priority": 0,
}

# docs/sources/phanedge.txt §8: what a gateway answers to DELETE of a running task.
RUNNING_TASK_DELETION = {
    "error": {
        "code": "InvalidAction.RunningTaskDeletion",
        "message": "Cannot delete task because it is currently running.",
        "param": "",
        "type": "Conflict",
    }
}


def text(prompt: str) -> dict[str, Any]:
    return {"type": "text", "text": prompt}


def media(kind: str, url: str, role: str) -> dict[str, Any]:
    """A content item as our body writes it: explicit role always."""
    return {"type": kind, kind: {"url": url}, "role": role}


def expect_create(
    httpx_mock: HTTPXMock, profile: str, body: dict[str, Any], task_id: str = TASK_ID
) -> list[int]:
    """The one create this test allows: exactly `body` plus the identity nonce (what
    --dry-run shows, with `execution_expires_after` set within minutes of its value), with the
    profile's Bearer key. Returns the nonces sent."""
    return expect_ark_create(
        httpx_mock,
        BASES[profile] + TASKS,
        body,
        task_id=task_id,
        headers={"Authorization": f"Bearer {TOKENS[profile]}"},
    )


def serve_task(httpx_mock: HTTPXMock, profile: str, task: dict[str, Any]) -> None:
    """GET of one task, and the list endpoint a wait reads it through first."""
    base = BASES[profile]
    httpx_mock.add_response(  # a wait may not need it: the list can say everything
        method="GET",
        url=f"{base}{TASKS}/{task['id']}",
        json=task,
        is_reusable=True,
        is_optional=True,
    )
    httpx_mock.add_response(
        method="GET",
        url=re.compile(re.escape(base + TASKS) + r"\?.*"),
        json={"items": [task], "total": 1},
        is_reusable=True,
        is_optional=True,
    )


def run_json(world: World, *args: str) -> tuple[Outcome, Any]:
    outcome = world.run(*args, "--json")
    return outcome, json.loads(outcome.stdout) if outcome.stdout.strip() else None


def error_lines(outcome: Outcome) -> list[str]:
    return [line for line in outcome.stderr.splitlines() if line.startswith("error:")]


# -- create: the seeds' request bodies -------------------------------------------------------

SEED003_PROMPT = "写实风格，晴朗的蓝天之下..."
SEED001_EDIT = (
    "Edit Video 1: replace the red mug with a glass teapot while preserving the original camera "
    "movement. Use Image 1 as the style reference."
)
SEED001_EXTEND = (
    "Extend Video 1 backward with the same character, lighting, and handheld camera motion, "
    "then end with Video 1."
)
VIDEO_ASSET = "asset://asset-20260611210200-video1"
IMAGE_ASSET = "asset://asset-20260611210100-image1"
AUDIO_ASSET = "asset://asset-20260611210300-audio1"
BOAT = "A quiet cinematic shot of a paper boat floating on calm water, soft morning light."
SEED003_FLAGS = "--generate-audio --ratio 9:16 -d 5 -r 1080p --no-watermark --seed -1"
SEED003_TOP = {
    "generate_audio": True,
    "ratio": "9:16",
    "duration": 5,
    "resolution": "1080p",
    "watermark": False,
    "seed": -1,
}
EDIT_TOP = {"duration": 6, "ratio": "16:9", "resolution": "720p", "generate_audio": False}
EDIT_FLAGS = "-d 6 --ratio 16:9 -r 720p --no-generate-audio"


def cli(line: str) -> list[str]:
    """Command-line words, written as a shell would."""
    return shlex.split(line)


CREATE_CASES = [
    pytest.param(
        "volcengine",
        cli(f"{shlex.quote(SEED003_PROMPT)} {SEED003_FLAGS}"),
        # docs/sources/ark.txt Step 1 without the image; camera_fixed/draft false are the defaults
        # and,
        # like every unset parameter, are left out rather than sent.
        {
            "model": "doubao-seedance-1-5-pro-251215",
            "content": [text(SEED003_PROMPT)],
            **SEED003_TOP,
        },
        id="seed003-text-to-video",
    ),
    pytest.param(
        "volcengine",
        cli(
            f"{shlex.quote(SEED003_PROMPT)} {SEED003_FLAGS} "
            "--first-frame https://example.com/first-frame.png"
        ),
        {
            "model": "doubao-seedance-1-5-pro-251215",
            "content": [
                text(SEED003_PROMPT),
                media("image_url", "https://example.com/first-frame.png", "first_frame"),
            ],
            **SEED003_TOP,
        },
        id="seed003-first-frame",
    ),
    pytest.param(
        "volcengine",
        cli(
            "'你的 prompt' -m doubao-seedance-1-5-pro-251215 --ratio 9:16 -d 5 -r 1080p "
            "--no-generate-audio --no-watermark"
        ),
        {
            "model": "doubao-seedance-1-5-pro-251215",
            "content": [text("你的 prompt")],
            "ratio": "9:16",
            "duration": 5,
            "resolution": "1080p",
            "generate_audio": False,
            "watermark": False,
        },
        id="seed003-curl",
    ),
    pytest.param(
        "volcengine",
        cli(
            "prompt -m doubao-seedance-1-5-pro-251215 --first-frame https://example.com/first.png "
            "--last-frame https://example.com/last.png"
        ),
        {
            "model": "doubao-seedance-1-5-pro-251215",
            "content": [
                text("prompt"),
                media("image_url", "https://example.com/first.png", "first_frame"),
                media("image_url", "https://example.com/last.png", "last_frame"),
            ],
        },
        id="seed003-first-and-last-frame",
    ),
    pytest.param(
        "volcengine",
        cli(
            "'[Image 1]戴眼镜的男生和[Image 2]的柯基' -m doubao-seedance-1-0-lite-i2v-250428 "
            "--image https://example.com/boy.png --image https://example.com/dog.png"
        ),
        {
            "model": "doubao-seedance-1-0-lite-i2v-250428",
            "content": [
                text("[Image 1]戴眼镜的男生和[Image 2]的柯基"),
                media("image_url", "https://example.com/boy.png", "reference_image"),
                media("image_url", "https://example.com/dog.png", "reference_image"),
            ],
        },
        id="seed003-lite-i2v-reference-images",
    ),
    pytest.param(
        "volcengine",
        cli("'a still lake' -m doubao-seedance-1-5-pro-251215 -r 480p --camera-fixed --draft"),
        {
            "model": "doubao-seedance-1-5-pro-251215",
            "content": [text("a still lake")],
            "resolution": "480p",
            "camera_fixed": True,
            "draft": True,
        },
        id="flags-camera-fixed-draft",
    ),
    pytest.param(
        "volcengine",
        cli("'a still lake' -m 1.5 --service-tier flex"),
        {
            "model": "doubao-seedance-1-5-pro-251215",
            "content": [text("a still lake")],
            "service_tier": "flex",
        },
        id="flags-flex",
    ),
    pytest.param(
        "phanedge",
        cli(
            f"{shlex.quote(SEED001_EDIT)} --video {VIDEO_ASSET} --image {IMAGE_ASSET} {EDIT_FLAGS}"
        ),
        # docs/sources/phanedge.txt "视频编辑示例": the same items; ours lists images before videos.
        {
            "model": "dreamina-seedance-2-0",
            "content": [
                text(SEED001_EDIT),
                media("image_url", IMAGE_ASSET, "reference_image"),
                media("video_url", VIDEO_ASSET, "reference_video"),
            ],
            **EDIT_TOP,
        },
        id="seed001-video-edit",
    ),
    pytest.param(
        "phanedge",
        cli(f"{shlex.quote(SEED001_EXTEND)} --video {VIDEO_ASSET} {EDIT_FLAGS}"),
        # docs/sources/phanedge.txt "视频延展示例": text + one reference_video, exactly
        {
            "model": "dreamina-seedance-2-0",
            "content": [text(SEED001_EXTEND), media("video_url", VIDEO_ASSET, "reference_video")],
            **EDIT_TOP,
        },
        id="seed001-video-extend",
    ),
    pytest.param(
        "phanedge",
        cli(
            f"'Video 1 with Audio 1 as its soundtrack' --video {VIDEO_ASSET} "
            f"--image {IMAGE_ASSET} --audio {AUDIO_ASSET} {EDIT_FLAGS}"
        ),
        {
            "model": "dreamina-seedance-2-0",
            "content": [
                text("Video 1 with Audio 1 as its soundtrack"),
                media("image_url", IMAGE_ASSET, "reference_image"),
                media("video_url", VIDEO_ASSET, "reference_video"),
                media("audio_url", AUDIO_ASSET, "reference_audio"),
            ],
            **EDIT_TOP,
        },
        id="seed001-video-image-audio-references",
    ),
    pytest.param(
        "phanedge",
        cli(
            "'Use Image 1 as the opening frame.' -m dreamina-seedance-2-0-fast "
            "--image Asset://asset-20260611210100-efgh2 -d 4 --ratio 16:9 -r 480p "
            "--no-generate-audio"
        ),
        # docs/sources/phanedge.txt §10; `Asset://` is normalized to `asset://`.
        {
            "model": "dreamina-seedance-2-0-fast",
            "content": [
                text("Use Image 1 as the opening frame."),
                media("image_url", "asset://asset-20260611210100-efgh2", "reference_image"),
            ],
            "duration": 4,
            "ratio": "16:9",
            "resolution": "480p",
            "generate_audio": False,
        },
        id="seed001-asset-reference-image",
    ),
    pytest.param(
        "phanedge",
        cli(
            f"{shlex.quote(BOAT)} -d 4 --ratio 16:9 -r 4k --no-generate-audio --watermark "
            "--return-last-frame --expires-after 3600 --priority 0 --safety-id user-hash-001 "
            "--callback-url https://example.com/volcark/callback"
        ),
        # docs/sources/phanedge.txt §5: 4k on the standard model, with every optional parameter.
        {
            "model": "dreamina-seedance-2-0",
            "content": [text(BOAT)],
            "duration": 4,
            "ratio": "16:9",
            "resolution": "4k",
            "generate_audio": False,
            "watermark": True,
            "return_last_frame": True,
            "execution_expires_after": 3600,
            "priority": 0,
            "safety_identifier": "user-hash-001",
            "callback_url": "https://example.com/volcark/callback",
        },
        id="seed001-return-last-frame-4k",
    ),
    pytest.param(
        "phanedge",
        cli(
            "'A cinematic product shot with clean studio lighting.' "
            "-m dreamina-seedance-2-0-filter-off -d 4 --ratio 16:9 -r 720p"
        ),
        {
            "model": "dreamina-seedance-2-0-filter-off",
            "content": [text("A cinematic product shot with clean studio lighting.")],
            "duration": 4,
            "ratio": "16:9",
            "resolution": "720p",
        },
        id="seed001-filter-off",
    ),
    pytest.param(
        "byteplus",
        cli("x --size 1280x720"),
        {
            "model": "dreamina-seedance-2-0-260128",
            "content": [text("x")],
            "ratio": "16:9",
            "resolution": "720p",
        },
        id="size-becomes-resolution-and-ratio",
    ),
    pytest.param(
        "byteplus",
        cli("x -d -1"),
        {"model": "dreamina-seedance-2-0-260128", "content": [text("x")], "duration": -1},
        id="duration-chosen-by-the-model",
    ),
]


@pytest.mark.parametrize(("profile", "args", "body"), CREATE_CASES)
def test_create_sends_the_seed_body(
    world: World, httpx_mock: HTTPXMock, profile: str, args: list[str], body: dict[str, Any]
) -> None:
    nonces = expect_create(httpx_mock, profile, body)

    outcome = world.run("-p", profile, "create", *args)

    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stdout == f"{TASK_ID}\n"
    assert len(httpx_mock.get_requests()) == 1
    journal = SqliteState(world.data_dir)
    [entry] = journal.entries()
    journal.close()
    assert nonces == [entry.nonce]  # the nonce sent is the one journaled before sending


@pytest.mark.parametrize(("profile", "args", "body"), CREATE_CASES)
def test_dry_run_prints_exactly_the_body_and_sends_nothing(
    world: World, httpx_mock: HTTPXMock, profile: str, args: list[str], body: dict[str, Any]
) -> None:
    outcome = world.run("-p", profile, "create", *args, "--dry-run")

    assert outcome.exit_code == 0, outcome.stderr
    assert json.loads(outcome.stdout) == body
    assert not httpx_mock.get_requests()
    assert "expires-after" not in outcome.stderr  # the identity nonce is internal: not told


def test_create_json_prints_the_queued_task(world: World, httpx_mock: HTTPXMock) -> None:
    expect_create(
        httpx_mock, "byteplus", {"model": "dreamina-seedance-2-0-260128", "content": [text("x")]}
    )

    outcome, doc = run_json(world, "-p", "byteplus", "create", "x")

    assert outcome.exit_code == 0, outcome.stderr
    assert (doc["id"], doc["status"], doc["profile"]) == (TASK_ID, "queued", "byteplus")
    assert doc["model"] == "dreamina-seedance-2-0-260128"
    assert doc["raw"] == {"id": TASK_ID}


def test_a_request_the_model_cannot_serve_is_not_sent(world: World, httpx_mock: HTTPXMock) -> None:
    outcome = world.run(
        "-p", "byteplus", "create", "x", "-m", "dreamina-seedance-2-0-fast-260128", "-r", "1080p"
    )

    assert outcome.exit_code == 2
    [line] = error_lines(outcome)
    assert "1080p" in line
    assert not httpx_mock.get_requests()


def test_body_has_no_nulls_and_explicit_roles(world: World, httpx_mock: HTTPXMock) -> None:
    outcome = world.run(
        "-p", "byteplus", "create", "x", "--first-frame", "https://e.com/a.png", "--dry-run"
    )

    body = json.loads(outcome.stdout)
    assert body == {
        "model": "dreamina-seedance-2-0-260128",
        "content": [text("x"), media("image_url", "https://e.com/a.png", "first_frame")],
    }
    assert "null" not in outcome.stdout


def test_local_png_first_frame_is_sent_as_a_data_uri(
    world: World, httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    image = png(320, 320)
    (tmp_path / "boat.png").write_bytes(image)
    uri = "data:image/png;base64," + base64.b64encode(image).decode("ascii")
    expect_create(
        httpx_mock,
        "byteplus",
        {
            "model": "dreamina-seedance-2-0-260128",
            "content": [text("a paper boat"), media("image_url", uri, "first_frame")],
        },
    )

    outcome = world.run("-p", "byteplus", "create", "a paper boat", "--first-frame", "boat.png")

    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stdout == f"{TASK_ID}\n"


def test_local_video_on_byteplus_is_refused_before_sending(
    world: World, httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    from media_files import video

    video(tmp_path / "clip.mp4")  # a real one: within the API's bounds (issue 27's preflight)

    outcome = world.run("-p", "byteplus", "create", "edit it", "--video", "clip.mp4")

    assert outcome.exit_code == 2
    assert outcome.stdout == ""
    [line] = error_lines(outcome)
    assert "https:// URL" in line
    assert not httpx_mock.get_requests()


# -- answers: parsing the seeds' sample responses --------------------------------------------


def test_status_parses_the_seed003_success_sample(world: World, httpx_mock: HTTPXMock) -> None:
    serve_task(httpx_mock, "byteplus", SEED003_SUCCESS)

    outcome, doc = run_json(world, "-p", "byteplus", "status", SEED003_SUCCESS["id"])

    assert outcome.exit_code == 0, outcome.stderr
    assert doc["id"] == SEED003_SUCCESS["id"]
    assert doc["status"] == "succeeded"
    assert doc["model"] == "seedance-1-5-pro-251215"
    assert doc["profile"] == "byteplus"
    assert doc["video_url"] == SEED003_SUCCESS["content"]["video_url"]
    assert doc["last_frame_url"] == SEED003_SUCCESS["content"]["last_frame_url"]
    assert doc["error"] is None
    assert doc["usage"] == {"completion_tokens": 108900}
    assert datetime.fromisoformat(doc["created_at"]) == datetime.fromtimestamp(1743414619, UTC)
    assert datetime.fromisoformat(doc["updated_at"]) == datetime.fromtimestamp(1743414673, UTC)
    assert doc["seed"] == 10
    assert (doc["resolution"], doc["ratio"], doc["duration"]) == ("720p", "16:9", 5)
    assert doc["raw"] == SEED003_SUCCESS
    [request] = httpx_mock.get_requests()
    assert request.method == "GET"
    assert str(request.url) == f"{BYTEPLUS}{TASKS}/{SEED003_SUCCESS['id']}"


def test_status_parses_the_seed001_sample(world: World, httpx_mock: HTTPXMock) -> None:
    serve_task(httpx_mock, "phanedge", SEED001_SUCCESS)

    outcome, doc = run_json(world, "-p", "phanedge", "status", TASK_ID)

    assert outcome.exit_code == 0, outcome.stderr
    assert doc["status"] == "succeeded"
    assert doc["model"] == "dreamina-seedance-2-0"
    assert doc["usage"] == {"completion_tokens": 40594}
    assert (doc["resolution"], doc["duration"], doc["seed"]) == ("4k", 4, 74719)
    assert doc["video_url"] == "https://cdn.example/v.mp4"
    assert doc["last_frame_url"] == "https://cdn.example/f.png"
    assert datetime.fromisoformat(doc["created_at"]).timestamp() == 1781181681


def test_status_in_plain_text(world: World, httpx_mock: HTTPXMock) -> None:
    serve_task(httpx_mock, "byteplus", SEED003_SUCCESS)

    outcome = world.run("-p", "byteplus", "status", SEED003_SUCCESS["id"])

    assert outcome.exit_code == 0, outcome.stderr
    assert "succeeded" in outcome.stdout
    assert "108,900" in outcome.stdout


FAILED = {
    "id": TASK_ID,
    "model": "dreamina-seedance-2-0-260128",
    "status": "failed",
    "error": {
        "code": "OutputVideoSensitiveContentDetected",
        "message": "The request failed because the output video may contain sensitive information.",
    },
    "created_at": 1781181681,
    "updated_at": 1781181700,
}


def test_create_wait_reports_a_failed_task_with_exit_5(world: World, httpx_mock: HTTPXMock) -> None:
    expect_create(
        httpx_mock, "byteplus", {"model": "dreamina-seedance-2-0-260128", "content": [text("x")]}
    )
    serve_task(httpx_mock, "byteplus", FAILED)

    outcome = world.run("-p", "byteplus", "create", "x", "--wait")

    assert outcome.exit_code == 5
    [line] = error_lines(outcome)
    assert "OutputVideoSensitiveContentDetected" in line
    assert "may contain sensitive information" in line


def test_create_wait_json_error_document_has_exit_code_5(
    world: World, httpx_mock: HTTPXMock
) -> None:
    expect_create(
        httpx_mock, "byteplus", {"model": "dreamina-seedance-2-0-260128", "content": [text("x")]}
    )
    serve_task(httpx_mock, "byteplus", FAILED)

    outcome, doc = run_json(world, "-p", "byteplus", "create", "x", "--wait")

    assert outcome.exit_code == 5
    assert doc["error"]["exit_code"] == 5
    assert doc["error"]["code"] == "OutputVideoSensitiveContentDetected"
    assert "may contain sensitive information" in doc["error"]["message"]


@pytest.mark.parametrize("status", ["expired", "cancelled"])
def test_wait_on_an_expired_or_cancelled_task_exits_5(
    world: World, httpx_mock: HTTPXMock, status: str
) -> None:
    serve_task(httpx_mock, "byteplus", {"id": TASK_ID, "status": status})

    outcome = world.run("-p", "byteplus", "wait", TASK_ID)

    assert outcome.exit_code == 5
    [line] = error_lines(outcome)
    assert status in line


def test_an_unknown_status_word_is_unknown(world: World, httpx_mock: HTTPXMock) -> None:
    serve_task(httpx_mock, "byteplus", {"id": TASK_ID, "status": "paused_for_review"})

    outcome, doc = run_json(world, "-p", "byteplus", "status", TASK_ID)

    assert outcome.exit_code == 0, outcome.stderr
    assert doc["status"] == "unknown"


@pytest.mark.parametrize(
    "answer",
    [
        {"id": TASK_ID, "status": "exploded"},
        {"id": TASK_ID, "status": "exploded", "content": None, "usage": None, "error": None},
        {"id": TASK_ID, "status": "exploded", "content": "x", "usage": [], "created_at": "soon"},
    ],
    ids=["only-id", "nulls", "wrong-types"],
)
def test_missing_or_odd_fields_are_tolerated(
    world: World, httpx_mock: HTTPXMock, answer: dict[str, Any]
) -> None:
    serve_task(httpx_mock, "byteplus", answer)

    outcome, doc = run_json(world, "-p", "byteplus", "status", TASK_ID)

    assert outcome.exit_code == 0, outcome.stderr
    assert doc["id"] == TASK_ID
    assert doc["status"] == "unknown"
    for key in ("video_url", "last_frame_url", "error", "usage", "created_at", "duration"):
        assert doc[key] is None, key


@pytest.mark.parametrize(
    "answer",
    [{"id": TASK_ID}, {"id": TASK_ID, "status": None}, {"id": TASK_ID, "status": 3}],
    ids=["missing", "null", "number"],
)
def test_a_status_that_is_no_word_is_an_invalid_answer(
    world: World, httpx_mock: HTTPXMock, answer: dict[str, Any]
) -> None:
    """Issue 23 finding 11: an answer a wait cannot go on from is said, not read as unknown."""
    serve_task(httpx_mock, "byteplus", answer)

    outcome = world.run("-p", "byteplus", "status", TASK_ID)

    assert outcome.exit_code == 3, outcome.stderr
    assert "with a status that is no word" in outcome.stderr


# -- list and cancel -------------------------------------------------------------------------

LIST_SAMPLE = {  # docs/sources/phanedge.txt §7
    "items": [
        {
            "id": TASK_ID,
            "status": "succeeded",
            "model": "dreamina-seedance-2-0",
            "execution_expires_after": 3600,
            "service_tier": "default",
            "safety_identifier": "user-hash-001",
        }
    ],
    "total": 1,
}


def test_tasks_list_sends_the_filters_and_pages(world: World, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="GET",
        url=PHANEDGE + TASKS,
        match_params={
            "page_num": "2",
            "page_size": "50",
            "filter.status": "succeeded",
            "filter.model": "dreamina-seedance-2-0",
        },
        json=LIST_SAMPLE,
    )

    outcome, doc = run_json(
        world,
        "-p",
        "phanedge",
        "tasks",
        "list",
        "--status",
        "succeeded",
        "--model",
        "dreamina-seedance-2-0",
        "--page",
        "2",
        "--page-size",
        "50",
    )

    assert outcome.exit_code == 0, outcome.stderr
    assert doc["total"] == 1
    [item] = doc["items"]
    assert (item["id"], item["status"]) == (TASK_ID, "succeeded")
    assert item["model"] == "dreamina-seedance-2-0"
    [request] = httpx_mock.get_requests()
    assert request.url.query == (
        b"page_num=2&page_size=50&filter.status=succeeded&filter.model=dreamina-seedance-2-0"
    )


def expect_cancel(
    httpx_mock: HTTPXMock, status: str, *, answer: int = 200, body: Any = None
) -> None:
    httpx_mock.add_response(
        method="GET", url=f"{BYTEPLUS}{TASKS}/{TASK_ID}", json={"id": TASK_ID, "status": status}
    )
    httpx_mock.add_response(
        method="DELETE", url=f"{BYTEPLUS}{TASKS}/{TASK_ID}", status_code=answer, json=body or {}
    )


@pytest.mark.parametrize(
    ("status", "result"), [("queued", "cancelled"), ("succeeded", "deleted"), ("failed", "deleted")]
)
def test_cancel_a_queued_task_cancels_and_a_finished_one_deletes(
    world: World, httpx_mock: HTTPXMock, status: str, result: str
) -> None:
    expect_cancel(httpx_mock, status)

    outcome = world.run("-p", "byteplus", "cancel", TASK_ID)

    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stdout == f"{TASK_ID}\t{result}\n"
    assert [r.method for r in httpx_mock.get_requests()] == ["GET", "DELETE"]


def test_cancel_json(world: World, httpx_mock: HTTPXMock) -> None:
    expect_cancel(httpx_mock, "queued")

    outcome, doc = run_json(world, "-p", "byteplus", "cancel", TASK_ID)

    assert outcome.exit_code == 0, outcome.stderr
    assert doc == {"id": TASK_ID, "result": "cancelled"}


def test_cancel_of_a_running_task_is_refused_with_a_hint(
    world: World, httpx_mock: HTTPXMock
) -> None:
    expect_cancel(httpx_mock, "running", answer=409, body=RUNNING_TASK_DELETION)

    outcome = world.run("-p", "byteplus", "cancel", TASK_ID)

    assert outcome.exit_code == 3
    [line] = error_lines(outcome)
    assert "InvalidAction.RunningTaskDeletion" in line
    assert "a running task cannot be cancelled" in line
    assert line.endswith(f"wait for it first with: seedance -p byteplus wait {TASK_ID}")


def test_an_answer_that_is_not_json_points_at_the_profile(
    world: World, httpx_mock: HTTPXMock
) -> None:
    url = f"{BYTEPLUS}{TASKS}/{TASK_ID}"
    page = {"text": "<html>hello</html>", "headers": {"content-type": "text/html"}}
    httpx_mock.add_response(url=url, **page)
    [line] = error_lines(world.run("-p", "byteplus", "status", TASK_ID))
    assert "not JSON (text/html: <html>hello</html>)" in line
    assert line.endswith("check the profile with: seedance -p byteplus profiles show")

    httpx_mock.add_response(url=url, **page)
    outcome, doc = run_json(world, "-p", "byteplus", "status", TASK_ID)
    assert outcome.exit_code == 3
    assert doc["error"]["field"] == "base_url"
    assert doc["error"]["suggestions"][0] == {"action": "profiles.show", "args": [], "options": {}}


def test_a_redirect_is_not_followed_with_the_key(world: World, httpx_mock: HTTPXMock) -> None:
    moved = "https://elsewhere.example.com/api/v3"
    httpx_mock.add_response(status_code=301, headers={"location": moved})
    [line] = error_lines(world.run("-p", "byteplus", "status", TASK_ID))
    assert f"301, a redirect to {moved}" in line
    assert "API redirects are not followed with your key" in line
    assert len(httpx_mock.get_requests()) == 1
