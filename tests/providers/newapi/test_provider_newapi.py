"""The new-api dialect: EasyRouter (docs/sources/easyrouter.txt) and docs/sources/wire.md "new-api
gateways".

Every curl example of the seed is reproduced as a seedance command with the exact JSON body it
must send, and every sample response is parsed.

Deviation from the seed, on purpose: the seed's examples send a top-level `"duration": 5`, but
new-api does not forward a top-level duration upstream (docs/sources/wire.md). seedance sends the
duration as
`"seconds": "5"` (a string: a JSON number fails to decode) and as `metadata.duration`.
Likewise references in `metadata.content` always carry an explicit Ark `role`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from pytest_httpx import HTTPXMock

if TYPE_CHECKING:
    from support import World

BASE = "https://easyrouter.io"
CREATE = f"{BASE}/v1/video/generations"
AUTH = {"Authorization": "Bearer sk-easyrouter-test-key"}
TASK_ID = "task_jEctEHDF1vefS2L3HND2JnzXPslnAYby"
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
RESULT_URL = "https://ark-acg-cn-beijing.volces.com/xxx.mp4?X-Tos-Signature=abc"
FRAME_URL = "https://ark-acg-cn-beijing.volces.com/xxx.png?X-Tos-Signature=def"

# §2.1 响应
CREATED = {
    "id": "task_xxxxxxxxxxxxx",
    "task_id": "task_xxxxxxxxxxxxx",
    "object": "video",
    "model": "dreamina-seedance-2-0",
    "status": "queued",
    "progress": 0,
    "created_at": 1730000000,
}

# §2.2 响应示例（成功）
QUERIED: dict[str, Any] = {
    "code": "success",
    "message": "",
    "data": {
        "id": 6,
        "task_id": TASK_ID,
        "platform": "45",
        "user_id": 1,
        "group": "default",
        "channel_id": 12,
        "quota": 818125,
        "action": "generate",
        "status": "SUCCESS",
        "fail_reason": "",
        "result_url": RESULT_URL,
        "submit_time": 1778236598,
        "start_time": 1778236601,
        "finish_time": 1778236698,
        "created_at": 1778236598,
        "updated_at": 1778236698,
        "progress": "100%",
        "properties": {
            "input": "",
            "upstream_model_name": "dreamina-seedance-2-0-260128",
            "origin_model_name": "dreamina-seedance-2-0",
        },
        "data": {
            "id": "cgt-20260508183637-m6gj8",
            "seed": 42,
            "draft": False,
            "model": "dreamina-seedance-2-0-260128",
            "ratio": "16:9",
            "usage": {"total_tokens": 108900, "completion_tokens": 108900},
            "status": "succeeded",
            "content": {"video_url": RESULT_URL},
            "duration": 5,
            "resolution": "720p",
            "service_tier": "default",
            "generate_audio": True,
            "framespersecond": 24,
            "execution_expires_after": 172800,
            "created_at": 1778236598,
            "updated_at": 1778236696,
        },
    },
}


def queried(
    word: str, progress: str = "50%", task_id: str = TASK_ID, **upstream: Any
) -> dict[str, Any]:
    """The §2.2 answer in another state (upstream fields merged into `data.data`)."""
    data = {**QUERIED["data"], "task_id": task_id, "status": word, "progress": progress}
    data["data"] = {**data["data"], **upstream}
    if word != "SUCCESS":
        data["result_url"] = ""
    return {**QUERIED, "data": data}


def video_item(url: str) -> dict[str, Any]:
    return {"type": "video_url", "video_url": {"url": url}, "role": "reference_video"}


# The seed's create examples: the command, and the body (see the module docstring for the
# `seconds` + `metadata.duration` and explicit-role deviations).
EXAMPLES: dict[str, tuple[list[str], dict[str, Any]]] = {
    "§4 step 1: text to video": (
        [
            "一只猫在月球表面漫步，背景是璀璨的星空",
            "-d",
            "5",
            "-r",
            "720p",
            "--ratio",
            "16:9",
            "--seed",
            "42",
        ],
        {
            "model": "dreamina-seedance-2-0",
            "prompt": "一只猫在月球表面漫步，背景是璀璨的星空",
            "seconds": "5",
            "metadata": {"resolution": "720p", "ratio": "16:9", "seed": 42, "duration": 5},
        },
    ),
    "§4: image to video": (
        [
            "让这只猫跳起来",
            "--first-frame",
            "https://example.com/cat.jpg",
            "-d",
            "5",
            "-r",
            "720p",
            "--ratio",
            "16:9",
        ],
        {
            "model": "dreamina-seedance-2-0",
            "prompt": "让这只猫跳起来",
            "image": "https://example.com/cat.jpg",
            "seconds": "5",
            "metadata": {"resolution": "720p", "ratio": "16:9", "duration": 5},
        },
    ),
    "§4: video continuation": (
        [
            "延长这段视频，让猫咪走到画面外",
            "--video",
            "https://example.com/cat-original.mp4",
            "-r",
            "720p",
            "-d",
            "5",
        ],
        {
            "model": "dreamina-seedance-2-0",
            "prompt": "延长这段视频，让猫咪走到画面外",
            "seconds": "5",
            "metadata": {
                "content": [video_item("https://example.com/cat-original.mp4")],
                "resolution": "720p",
                "duration": 5,
            },
        },
    ),
    "§3.4: metadata.content": (
        [
            "把这段视频延长，让猫咪走到画面外",
            "--video",
            "https://example.com/cat.mp4",
            "-r",
            "720p",
        ],
        {
            "model": "dreamina-seedance-2-0",
            "prompt": "把这段视频延长，让猫咪走到画面外",
            "metadata": {
                "content": [video_item("https://example.com/cat.mp4")],
                "resolution": "720p",
            },
        },
    ),
}


@pytest.mark.parametrize("example", list(EXAMPLES))
def test_create_examples(world: World, httpx_mock: HTTPXMock, example: str) -> None:
    args, body = EXAMPLES[example]
    httpx_mock.add_response(
        method="POST", url=CREATE, match_headers=AUTH, match_json=body, json=CREATED
    )
    out = world.run("-p", "easyrouter", "create", *args)
    assert out.exit_code == 0, out.stderr
    assert out.stdout == "task_xxxxxxxxxxxxx\n"


@pytest.mark.parametrize("example", list(EXAMPLES))
def test_dry_run_equals_the_body(world: World, example: str) -> None:
    args, body = EXAMPLES[example]
    out = world.run("-p", "easyrouter", "create", *args, "--dry-run")
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout) == body


def test_create_fast_example(world: World, httpx_mock: HTTPXMock) -> None:
    """§4, the Fast example: `camera_fixed: false` has no flag, so it comes from the profile."""
    world.write_profiles(
        {"profiles": {"er": {"preset": "easyrouter", "defaults": {"camera_fixed": False}}}}
    )
    prompt = "赛博朋克城市街景，霓虹灯闪烁，雨夜"
    httpx_mock.add_response(
        method="POST",
        url=CREATE,
        match_json={
            "model": "dreamina-seedance-2-0-fast",
            "prompt": prompt,
            "seconds": "5",
            "metadata": {
                "resolution": "720p",
                "ratio": "16:9",
                "camera_fixed": False,
                "generate_audio": True,
                "duration": 5,
            },
        },
        json={**CREATED, "model": "dreamina-seedance-2-0-fast"},
    )
    out = world.run(
        "-p",
        "er",
        "create",
        prompt,
        "-m",
        "dreamina-seedance-2-0-fast",
        "-d",
        "5",
        "-r",
        "720p",
        "--ratio",
        "16:9",
        "--generate-audio",
    )
    assert out.exit_code == 0, out.stderr
    assert out.stdout == "task_xxxxxxxxxxxxx\n"


def test_create_response_is_parsed(world: World, httpx_mock: HTTPXMock) -> None:
    """§2.1: the create answers unwrapped."""
    httpx_mock.add_response(method="POST", url=CREATE, json=CREATED)
    out = world.run("-p", "easyrouter", "--json", "create", "a cat on the moon", "-d", "5")
    assert out.exit_code == 0, out.stderr
    task = json.loads(out.stdout)
    assert (task["id"], task["status"], task["progress"]) == ("task_xxxxxxxxxxxxx", "queued", 0)
    assert task["model"] == "dreamina-seedance-2-0"
    assert task["created_at"] == "2024-10-27T03:33:20Z"


def test_every_parameter_goes_in_metadata(world: World) -> None:
    out = world.run(
        "-p",
        "easyrouter",
        "create",
        "a boat",
        "-d",
        "6",
        "--size",
        "1280x720",
        "--generate-audio",
        "--no-watermark",
        "--seed",
        "7",
        "--camera-fixed",
        "--return-last-frame",
        "--callback-url",
        "https://hooks.example.com/x",
        "--service-tier",
        "default",
        "--priority",
        "2",
        "--expires-after",
        "7200",
        "--safety-id",
        "user-1",
        "--image",
        "https://example.com/a.png",
        "--audio",
        "https://example.com/a.mp3",
        "--dry-run",
    )
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout) == {
        "model": "dreamina-seedance-2-0",
        "prompt": "a boat",
        "seconds": "6",
        "metadata": {
            "content": [
                {
                    "type": "image_url",
                    "image_url": {"url": "https://example.com/a.png"},
                    "role": "reference_image",
                },
                {
                    "type": "audio_url",
                    "audio_url": {"url": "https://example.com/a.mp3"},
                    "role": "reference_audio",
                },
            ],
            "generate_audio": True,
            "ratio": "16:9",
            "duration": 6,
            "resolution": "720p",
            "watermark": False,
            "seed": 7,
            "camera_fixed": True,
            "return_last_frame": True,
            "service_tier": "default",
            "execution_expires_after": 7200,
            "priority": 2,
            "safety_identifier": "user-1",
            "callback_url": "https://hooks.example.com/x",
        },
    }


def test_frames_go_in_metadata_content_with_roles(world: World) -> None:
    """Only a lone first frame is the top-level `image`; first + last need their roles."""
    out = world.run(
        "-p",
        "easyrouter",
        "create",
        "dawn to dusk",
        "--first-frame",
        "https://example.com/f.png",
        "--last-frame",
        "https://example.com/l.png",
        "--dry-run",
    )
    assert out.exit_code == 0, out.stderr
    body = json.loads(out.stdout)
    assert "image" not in body
    assert [item["role"] for item in body["metadata"]["content"]] == ["first_frame", "last_frame"]


def test_automatic_duration_only_in_metadata(world: World) -> None:
    """`seconds` must be plain digits, so -1 (the model chooses) goes as metadata.duration."""
    out = world.run("-p", "easyrouter", "create", "a boat", "-d", "-1", "--dry-run")
    assert out.exit_code == 0, out.stderr
    body = json.loads(out.stdout)
    assert "seconds" not in body and "duration" not in body
    assert body["metadata"] == {"duration": -1}


def test_prompt_is_required(world: World) -> None:
    """§5.1: the gateway answers 400 `prompt is required`; seedance refuses before sending."""
    out = world.run("-p", "easyrouter", "create", "--video", "https://example.com/cat.mp4")
    assert out.exit_code == 2
    assert "needs a prompt even with reference media" in out.stderr


def test_prompt_required_answer(world: World, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST",
        url=CREATE,
        status_code=400,
        json={"error": {"message": "prompt is required", "type": "new_api_error", "code": ""}},
    )
    out = world.run(
        "-p",
        "easyrouter",
        "--json",
        "create",
        "--no-validate",
        "--video",
        "https://example.com/cat.mp4",
    )
    assert out.exit_code == 3
    error = json.loads(out.stdout)["error"]
    assert error["code"] == "prompt_required"
    assert "prompt is required" in error["message"] and "give a prompt" in error["message"]
    assert error["field"] == "prompt"


# -- the query -------------------------------------------------------------------------------


def test_query_sample_response(world: World, httpx_mock: HTTPXMock) -> None:
    """§2.2: the wrapped answer; `data.data` is the upstream Ark task."""
    httpx_mock.add_response(
        method="GET", url=f"{CREATE}/{TASK_ID}", match_headers=AUTH, json=QUERIED
    )
    out = world.run("-p", "easyrouter", "--json", "status", TASK_ID)
    assert out.exit_code == 0, out.stderr
    task = json.loads(out.stdout)
    assert task["id"] == TASK_ID
    assert (task["status"], task["progress"]) == ("succeeded", 100)
    assert task["model"] == "dreamina-seedance-2-0"  # properties.origin_model_name
    assert task["video_url"] == RESULT_URL
    assert task["last_frame_url"] is None
    assert task["error"] is None
    assert task["usage"] == {"completion_tokens": 108900}
    assert (task["seed"], task["duration"]) == (42, 5)
    assert (task["resolution"], task["ratio"]) == ("720p", "16:9")
    assert task["created_at"] == "2026-05-08T10:36:38Z"
    assert task["updated_at"] == "2026-05-08T10:38:18Z"
    assert task["raw"] == QUERIED["data"]


def test_query_step_2_example(world: World, httpx_mock: HTTPXMock) -> None:
    """§4 step 2: `curl …/v1/video/generations/task_abc123`."""
    httpx_mock.add_response(
        url=f"{CREATE}/task_abc123", json=queried("IN_PROGRESS", "50%", task_id="task_abc123")
    )
    out = world.run("-p", "easyrouter", "status", "task_abc123")
    assert out.exit_code == 0, out.stderr
    assert "running (50%)" in out.stdout


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("NOT_START", "queued"),
        ("SUBMITTED", "queued"),
        ("QUEUED", "queued"),
        ("IN_PROGRESS", "running"),
        ("SUCCESS", "succeeded"),
        ("FAILURE", "failed"),
        ("UNKNOWN", "unknown"),
        ("SOMETHING_NEW", "unknown"),
    ],
)
def test_query_statuses(world: World, httpx_mock: HTTPXMock, word: str, status: str) -> None:
    httpx_mock.add_response(url=f"{CREATE}/{TASK_ID}", json=queried(word, "30%", status="running"))
    out = world.run("-p", "easyrouter", "--json", "status", TASK_ID)
    assert out.exit_code == 0, out.stderr
    task = json.loads(out.stdout)
    assert task["status"] == status
    assert task["progress"] == 30


@pytest.mark.parametrize("upstream", ["cancelled", "expired"])
def test_upstream_cancelled_or_expired_wins(
    world: World, httpx_mock: HTTPXMock, upstream: str
) -> None:
    """docs/sources/wire.md: the gateway shows IN_PROGRESS for these until a 24 h sweep; the task
    has ended."""
    httpx_mock.add_response(url=f"{CREATE}/{TASK_ID}", json=queried("IN_PROGRESS", status=upstream))
    out = world.run("-p", "easyrouter", "--json", "status", TASK_ID)
    assert json.loads(out.stdout)["status"] == upstream
    httpx_mock.add_response(url=f"{CREATE}/{TASK_ID}", json=queried("IN_PROGRESS", status=upstream))
    assert world.run("-p", "easyrouter", "wait", TASK_ID).exit_code == 5


def test_failure_reason(world: World, httpx_mock: HTTPXMock) -> None:
    """§2.2 `fail_reason`, coded with the upstream error code; waiting on it exits 5."""
    answer = queried(
        "FAILURE",
        "100%",
        status="failed",
        error={"code": "OutputVideoSensitiveContentDetected", "message": "sensitive"},
    )
    answer["data"]["fail_reason"] = "The request failed because the output video may be sensitive"
    httpx_mock.add_response(url=f"{CREATE}/{TASK_ID}", json=answer)
    out = world.run("-p", "easyrouter", "--json", "status", TASK_ID)
    assert json.loads(out.stdout)["error"] == {
        "code": "OutputVideoSensitiveContentDetected",
        "message": "The request failed because the output video may be sensitive",
    }
    httpx_mock.add_response(url=f"{CREATE}/{TASK_ID}", json=answer)
    out = world.run("-p", "easyrouter", "wait", TASK_ID)
    assert out.exit_code == 5
    assert "OutputVideoSensitiveContentDetected" in out.stderr


def test_failure_reason_without_upstream_error(world: World, httpx_mock: HTTPXMock) -> None:
    answer = queried("FAILURE", "100%")
    answer["data"]["fail_reason"] = "upstream timeout"
    answer["data"]["data"] = None
    httpx_mock.add_response(url=f"{CREATE}/{TASK_ID}", json=answer)
    out = world.run("-p", "easyrouter", "--json", "status", TASK_ID)
    task = json.loads(out.stdout)
    assert task["status"] == "failed"
    assert task["error"] == {"code": "FAILURE", "message": "upstream timeout"}


def test_task_not_exist_is_not_found(world: World, httpx_mock: HTTPXMock) -> None:
    """docs/sources/wire.md: an unknown id answers HTTP 400 `task_not_exist`: not found (exit 3)."""
    httpx_mock.add_response(
        url=f"{CREATE}/task_nope",
        status_code=400,
        json={"code": "task_not_exist", "message": "task_not_exist", "data": None},
    )
    out = world.run("-p", "easyrouter", "--json", "status", "task_nope")
    assert out.exit_code == 3
    error = json.loads(out.stdout)["error"]
    assert error["code"] == "task_not_exist"
    assert "check the task id" in error["message"]


def test_wrapped_error_on_http_200(world: World, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{CREATE}/task_nope",
        json={"code": "task_not_exist", "message": "task not exist", "data": None},
    )
    out = world.run("-p", "easyrouter", "--json", "status", "task_nope")
    assert out.exit_code == 3
    assert json.loads(out.stdout)["error"]["code"] == "task_not_exist"


@pytest.mark.parametrize(
    ("status", "message", "code", "hint"),
    [
        (401, "无效的令牌", "unauthorized", "EASYROUTER_API_KEY"),
        (402, "insufficient user quota", "insufficient_user_quota", "top up"),
        (
            400,
            "model not allowed",
            "model_not_allowed",
            "pick another from: seedance -p easyrouter models",
        ),
    ],
)
def test_error_answers(
    world: World, httpx_mock: HTTPXMock, status: int, message: str, code: str, hint: str
) -> None:
    """§5: auth, quota and model errors in new-api's `{"error": {…}}` shape: exit 3."""
    httpx_mock.add_response(
        method="POST",
        url=CREATE,
        status_code=status,
        json={"error": {"message": message, "type": "new_api_error", "code": ""}},
    )
    out = world.run("-p", "easyrouter", "--json", "create", "a boat")
    assert out.exit_code == 3
    error = json.loads(out.stdout)["error"]
    assert error["code"] == code
    assert message in error["message"] and hint in error["message"]


# -- downloads -------------------------------------------------------------------------------


def test_download_through_the_content_proxy(world: World, httpx_mock: HTTPXMock) -> None:
    """§4 step 3: `/v1/videos/{id}/content` with the key, never the temporary result_url."""
    httpx_mock.add_response(
        url=f"{CREATE}/task_abc123", json=queried("SUCCESS", "100%", task_id="task_abc123")
    )
    httpx_mock.add_response(
        url=f"{BASE}/v1/videos/task_abc123/content",
        match_headers=AUTH,
        content=MP4,
        headers={"content-type": "video/mp4"},
    )
    out = world.run("-p", "easyrouter", "download", "task_abc123", "-o", "cat_on_moon.mp4")
    assert out.exit_code == 0, out.stderr
    assert out.stdout == f"{world.root / 'cat_on_moon.mp4'}\n"
    assert (world.root / "cat_on_moon.mp4").read_bytes() == MP4


def test_create_wait_download(world: World, httpx_mock: HTTPXMock) -> None:
    """The whole §4 flow in one command, waiting on the FakeClock."""
    httpx_mock.add_response(
        method="POST", url=CREATE, json={**CREATED, "task_id": TASK_ID, "id": TASK_ID}
    )
    httpx_mock.add_response(url=f"{CREATE}/{TASK_ID}", json=queried("QUEUED", "10%"))
    httpx_mock.add_response(url=f"{CREATE}/{TASK_ID}", json=queried("IN_PROGRESS", "50%"))
    httpx_mock.add_response(url=f"{CREATE}/{TASK_ID}", json=QUERIED)
    httpx_mock.add_response(url=f"{BASE}/v1/videos/{TASK_ID}/content", content=MP4)
    out = world.run(
        "-p",
        "easyrouter",
        "create",
        "一只猫在月球表面漫步，背景是璀璨的星空",
        "-d",
        "5",
        "-o",
        "cat_on_moon.mp4",
    )
    assert out.exit_code == 0, out.stderr
    assert out.stdout == f"{world.root / 'cat_on_moon.mp4'}\n"
    assert (world.root / "cat_on_moon.mp4").read_bytes() == MP4
    content = httpx_mock.get_request(url=f"{BASE}/v1/videos/{TASK_ID}/content")
    assert content is not None
    assert content.headers["Authorization"] == AUTH["Authorization"]


def test_last_frame_download_is_presigned(world: World, httpx_mock: HTTPXMock) -> None:
    """`data.data.content.last_frame_url` is fetched without the key (another host)."""
    answer = queried(
        "SUCCESS", "100%", content={"video_url": RESULT_URL, "last_frame_url": FRAME_URL}
    )
    httpx_mock.add_response(url=f"{CREATE}/{TASK_ID}", json=answer)
    httpx_mock.add_response(url=f"{BASE}/v1/videos/{TASK_ID}/content", content=MP4)
    httpx_mock.add_response(url=FRAME_URL, content=PNG, headers={"content-type": "image/png"})
    out = world.run("-p", "easyrouter", "download", TASK_ID, "-o", "v.mp4", "--last-frame", "f.png")
    assert out.exit_code == 0, out.stderr
    assert (world.root / "f.png").read_bytes() == PNG
    frame = httpx_mock.get_request(url=FRAME_URL)
    assert frame is not None and "Authorization" not in frame.headers


@pytest.mark.httpx_mock(assert_all_responses_were_requested=False)
def test_no_last_frame_asked_for(world: World, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{CREATE}/{TASK_ID}", json=QUERIED)
    httpx_mock.add_response(url=f"{BASE}/v1/videos/{TASK_ID}/content", content=MP4)
    out = world.run("-p", "easyrouter", "download", TASK_ID, "-o", "v.mp4", "--last-frame")
    assert out.exit_code == 2
    assert "ask for one when creating the task (return_last_frame)" in out.stderr


# -- no list, no cancel ----------------------------------------------------------------------


def test_no_task_list_endpoint(world: World) -> None:
    out = world.run("-p", "easyrouter", "tasks", "list")
    assert out.exit_code == 2
    assert "has no task list endpoint" in out.stderr


@pytest.mark.httpx_mock(assert_all_responses_were_requested=False)
def test_no_cancel_endpoint(world: World, httpx_mock: HTTPXMock) -> None:
    """No cancel endpoint; a read of the task first (if the client makes one) is harmless."""
    httpx_mock.add_response(url=f"{CREATE}/{TASK_ID}", json=queried("QUEUED"))
    out = world.run("-p", "easyrouter", "cancel", TASK_ID)
    assert out.exit_code == 2
    assert "has no cancel endpoint" in out.stderr


def test_local_task_list_still_works(world: World, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=CREATE, json=CREATED)
    assert world.run("-p", "easyrouter", "create", "a boat").exit_code == 0
    out = world.run("-p", "easyrouter", "tasks", "list", "--local")
    assert out.exit_code == 0, out.stderr
    assert "task_xxxxxxxxxxxxx" in out.stdout
