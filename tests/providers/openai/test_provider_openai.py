"""The OpenAI-style `/v1/videos` dialect: kapon (docs/sources/kapon.txt) and ope.ai
(docs/sources/opeai.txt).

Every curl example of both documents is reproduced as a seedance command, with the exact JSON
body it must send, and every sample response is parsed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from pytest_httpx import HTTPXMock

if TYPE_CHECKING:
    from support import World

KAPON = "https://models.kapon.cloud"
KAPON_NATIVE = f"{KAPON}/volcark/api/v3/contents/generations/tasks"
KAPON_AUTH = {"Authorization": "Bearer oh-kapon-test-key"}
OPEAI = "https://api-platform.ope.ai"
OPEAI_AUTH = {"Authorization": "Bearer opeai-test-key"}
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64

# -- docs/sources/kapon.txt (kapon)
# -----------------------------------------------------------------------

KAPON_ID = "video_01HWXK7B9Y8N6V5J3M2Q4R8S0T"
KAPON_PROMPT = (
    "A cinematic close-up of a glass greenhouse at sunrise, soft camera movement, natural light."
)
# §4 典型响应
KAPON_CREATED = {
    "id": KAPON_ID,
    "object": "video",
    "status": "queued",
    "model": "seedance-2-0",
    "seconds": 8,
    "size": "1280x720",
}
KAPON_MULTIMODAL_PROMPT = (
    "Use Video 1 as the camera movement reference, Image 1 as the opening frame, "
    "and Audio 1 as background music."
)


def kapon_video(status: str, **extra: Any) -> dict[str, Any]:
    return {**KAPON_CREATED, "status": status, "created_at": 1780021218, **extra}


def test_kapon_openai_style_create(world: World, httpx_mock: HTTPXMock) -> None:
    """docs/sources/kapon.txt §4: the OpenAI-style create, and its typical response."""
    httpx_mock.add_response(
        method="POST",
        url=f"{KAPON}/v1/videos",
        match_headers=KAPON_AUTH,
        match_json={
            "model": "seedance-2-0",
            "prompt": KAPON_PROMPT,
            "duration": 8,
            "ratio": "16:9",
            "resolution": "720p",
            "generate_audio": True,
            "watermark": True,
        },
        json=KAPON_CREATED,
    )
    out = world.run(
        "-p",
        "kapon",
        "create",
        KAPON_PROMPT,
        "-d",
        "8",
        "--ratio",
        "16:9",
        "-r",
        "720p",
        "--generate-audio",
        "--watermark",
    )
    assert out.exit_code == 0, out.stderr
    assert out.stdout == f"{KAPON_ID}\n"


def test_kapon_create_response_is_parsed(world: World, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=f"{KAPON}/v1/videos", json=KAPON_CREATED)
    out = world.run("-p", "kapon", "--json", "create", KAPON_PROMPT, "-d", "8")
    assert out.exit_code == 0, out.stderr
    task = json.loads(out.stdout)
    assert task["id"] == KAPON_ID
    assert task["status"] == "queued"
    assert task["model"] == "seedance-2-0"
    assert task["profile"] == "kapon"
    assert (task["duration"], task["resolution"], task["ratio"]) == (8, "720p", "16:9")
    assert task["raw"] == KAPON_CREATED


def test_kapon_multimodal_references(world: World, httpx_mock: HTTPXMock) -> None:
    """docs/sources/kapon.txt §4.2: images as a flat `input_reference`, videos and audios in
    `references`."""
    httpx_mock.add_response(
        method="POST",
        url=f"{KAPON}/v1/videos",
        match_json={
            "model": "seedance-2-0",
            "prompt": KAPON_MULTIMODAL_PROMPT,
            "input_reference": ["asset://asset-image-1"],
            "references": {"video": ["asset://asset-video-1"], "audio": ["asset://asset-audio-1"]},
            "duration": 10,
            "ratio": "16:9",
            "resolution": "1080p",
            "generate_audio": True,
        },
        json={**KAPON_CREATED, "seconds": 10, "size": "1920x1080"},
    )
    out = world.run(
        "-p",
        "kapon",
        "create",
        KAPON_MULTIMODAL_PROMPT,
        "--image",
        "asset://asset-image-1",
        "--video",
        "asset://asset-video-1",
        "--audio",
        "asset://asset-audio-1",
        "-d",
        "10",
        "--ratio",
        "16:9",
        "-r",
        "1080p",
        "--generate-audio",
    )
    assert out.exit_code == 0, out.stderr
    assert out.stdout == f"{KAPON_ID}\n"


def test_kapon_references_only_lists_kinds_it_has(world: World) -> None:
    out = world.run(
        "-p",
        "kapon",
        "create",
        "Video 1 as motion",
        "--image",
        "asset://img",
        "--video",
        "asset://vid",
        "--dry-run",
    )
    assert out.exit_code == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["references"] == {"video": ["asset://vid"]}
    assert body["input_reference"] == ["asset://img"]


def test_kapon_size_is_sent_as_size(world: World) -> None:
    """docs/sources/kapon.txt §4.1: `size` is an extension field the platform turns into
    ratio+resolution."""
    out = world.run("-p", "kapon", "create", "a boat", "--size", "720x1280", "-d", "5", "--dry-run")
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout) == {
        "model": "seedance-2-0",
        "prompt": "a boat",
        "duration": 5,
        "size": "720x1280",
    }


def test_kapon_native_create_with_platform_id(world: World, httpx_mock: HTTPXMock) -> None:
    """docs/sources/kapon.txt §5: the VolcArk-native create on the same gateway; the answer adds
    platform_id."""
    prompt = "Use Image 1 as the opening frame and Audio 1 as background music."
    httpx_mock.add_response(
        method="POST",
        url=KAPON_NATIVE,
        match_headers=KAPON_AUTH,
        match_json={
            "model": "seedance-2-0",
            "content": [
                {"type": "text", "text": prompt},
                {
                    "type": "image_url",
                    "role": "reference_image",
                    "image_url": {"url": "asset://asset-image-1"},
                },
                {
                    "type": "audio_url",
                    "role": "reference_audio",
                    "audio_url": {"url": "asset://asset-audio-1"},
                },
            ],
            "duration": 8,
            "ratio": "16:9",
            "resolution": "720p",
            "generate_audio": True,
            "watermark": True,
        },
        json={"id": "cgt-xxxx", "platform_id": "video_<PlatformTaskID>"},
    )
    out = world.run(
        "-p",
        "kapon-native",
        "create",
        prompt,
        "--image",
        "asset://asset-image-1",
        "--audio",
        "asset://asset-audio-1",
        "-d",
        "8",
        "--ratio",
        "16:9",
        "-r",
        "720p",
        "--generate-audio",
        "--watermark",
    )
    assert out.exit_code == 0, out.stderr
    assert out.stdout == "cgt-xxxx\n"


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("queued", "queued"),
        ("in_progress", "running"),
        ("completed", "succeeded"),
        ("failed", "failed"),
        ("cancelled", "cancelled"),
        ("expired", "expired"),
        ("submitted", "queued"),
        ("not_start", "queued"),
        ("unknown", "unknown"),
        ("something-new", "unknown"),
    ],
)
def test_kapon_query_statuses(world: World, httpx_mock: HTTPXMock, word: str, status: str) -> None:
    """docs/sources/kapon.txt §7: the OpenAI-style query; OpenAI's status words
    (docs/sources/wire.md)."""
    httpx_mock.add_response(
        method="GET",
        url=f"{KAPON}/v1/videos/{KAPON_ID}",
        match_headers=KAPON_AUTH,
        json=kapon_video(word, progress=40),
    )
    out = world.run("-p", "kapon", "--json", "status", KAPON_ID)
    assert out.exit_code == 0, out.stderr
    task = json.loads(out.stdout)
    assert task["status"] == status
    assert task["progress"] == 40
    assert task["created_at"] == "2026-05-29T02:20:18Z"


def test_kapon_query_lenient_fields(world: World, httpx_mock: HTTPXMock) -> None:
    """Any field may be missing or mistyped; the error object becomes the task's error."""
    answer = {
        "id": KAPON_ID,
        "status": "failed",
        "progress": "100%",
        "seconds": "8",
        "size": 12,
        "created_at": "soon",
        "error": {"code": "OutputVideoSensitiveContentDetected", "message": "blocked"},
    }
    httpx_mock.add_response(url=f"{KAPON}/v1/videos/{KAPON_ID}", json=answer)
    out = world.run("-p", "kapon", "--json", "status", KAPON_ID)
    assert out.exit_code == 0, out.stderr
    task = json.loads(out.stdout)
    assert task["progress"] == 100
    assert task["duration"] == 8
    assert task["resolution"] is None and task["created_at"] is None
    assert task["error"] == {"code": "OutputVideoSensitiveContentDetected", "message": "blocked"}
    assert task["raw"] == answer


def test_kapon_native_query_accepts_platform_id(world: World, httpx_mock: HTTPXMock) -> None:
    """docs/sources/kapon.txt §7: the native query takes the platform id and adds platform_id to
    the task."""
    answer = {
        "id": "cgt-xxxx",
        "platform_id": KAPON_ID,
        "model": "seedance-2-0",
        "status": "succeeded",
        "content": {"video_url": "https://tos.example.com/out.mp4?X-Tos-Signature=s"},
        "usage": {"completion_tokens": 108900, "total_tokens": 108900},
        "duration": 5,
        "resolution": "720p",
        "ratio": "16:9",
        "created_at": 1780021218,
        "updated_at": 1780021318,
    }
    httpx_mock.add_response(url=f"{KAPON_NATIVE}/{KAPON_ID}", match_headers=KAPON_AUTH, json=answer)
    out = world.run("-p", "kapon-native", "--json", "status", KAPON_ID)
    assert out.exit_code == 0, out.stderr
    task = json.loads(out.stdout)
    assert (task["id"], task["status"]) == ("cgt-xxxx", "succeeded")
    assert task["raw"]["platform_id"] == KAPON_ID
    assert task["usage"] == {"completion_tokens": 108900}


def test_kapon_raw_url_not_allowed(world: World, httpx_mock: HTTPXMock) -> None:
    """docs/sources/kapon.txt §6: a bare public URL is refused with raw_url_not_allowed (exit 3)."""
    world.write_profiles({"profiles": {"k": {"preset": "kapon", "references": "any"}}})
    error = {
        "error": {
            "message": "input_reference must use asset://<Asset_Id>; raw public URLs are not "
            "allowed for seedance-2-0",
            "type": "invalid_arguments",
            "code": "raw_url_not_allowed",
        }
    }
    httpx_mock.add_response(
        method="POST",
        url=f"{KAPON}/v1/videos",
        match_json={
            "model": "seedance-2-0",
            "prompt": "Image 1 opens",
            "input_reference": ["https://example.com/a.png"],
        },
        status_code=400,
        json=error,
    )
    out = world.run("-p", "k", "create", "Image 1 opens", "--image", "https://example.com/a.png")
    assert out.exit_code == 3
    assert "400 raw_url_not_allowed: input_reference must use asset://" in out.stderr
    assert "seedance assets upload" in out.stderr  # the hint

    httpx_mock.add_response(method="POST", url=f"{KAPON}/v1/videos", status_code=400, json=error)
    out = world.run(
        "-p", "k", "--json", "create", "Image 1 opens", "--image", "https://example.com/a.png"
    )
    assert out.exit_code == 3
    assert json.loads(out.stdout)["error"]["code"] == "raw_url_not_allowed"


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--seed", "7"], "--seed"),
        (["--camera-fixed"], "--camera-fixed"),
        (["--draft"], "--draft"),
        (["--return-last-frame"], "no last frame"),
        (["--last-frame-output", "f.png"], "no last frame"),
        (["--callback-url", "https://hooks.example.com/x"], "--callback-url"),
        (["--service-tier", "flex"], "--service-tier"),
        (["--priority", "3"], "--priority"),
        (["--expires-after", "7200"], "--expires-after"),
        (["--safety-id", "u1"], "--safety-id"),
    ],
)
def test_kapon_refuses_undocumented_parameters(world: World, args: list[str], flag: str) -> None:
    out = world.run("-p", "kapon", "create", "a boat", *args)
    assert out.exit_code == 2
    assert flag in out.stderr
    assert "kapon-native" in out.stderr


@pytest.mark.parametrize("frame", ["--first-frame", "--last-frame"])
def test_kapon_cannot_express_frames(world: World, frame: str) -> None:
    args = ["--first-frame", "asset://a", "--last-frame", "asset://b"]
    if frame == "--first-frame":
        args = args[:2]
    out = world.run("-p", "kapon", "create", "a boat", *args)
    assert out.exit_code == 2
    assert "first or last frame" in out.stderr
    assert "-p kapon-native" in out.stderr


def test_kapon_refuses_automatic_duration(world: World) -> None:
    out = world.run("-p", "kapon", "create", "a boat", "-d", "-1")
    assert out.exit_code == 2
    assert "4-15 seconds" in out.stderr


def test_kapon_dry_run_prints_the_body(world: World) -> None:
    out = world.run(
        "-p",
        "kapon",
        "create",
        KAPON_PROMPT,
        "-d",
        "8",
        "--ratio",
        "16:9",
        "-r",
        "720p",
        "--generate-audio",
        "--watermark",
        "--dry-run",
    )
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout) == {
        "model": "seedance-2-0",
        "prompt": KAPON_PROMPT,
        "duration": 8,
        "ratio": "16:9",
        "resolution": "720p",
        "generate_audio": True,
        "watermark": True,
    }


def test_kapon_create_wait_download(world: World, httpx_mock: HTTPXMock) -> None:
    """Create, poll (honouring openai-poll-after-ms) and download through /content with the key."""
    httpx_mock.add_response(method="POST", url=f"{KAPON}/v1/videos", json=KAPON_CREATED)
    httpx_mock.add_response(
        url=f"{KAPON}/v1/videos/{KAPON_ID}",
        headers={"openai-poll-after-ms": "7000"},
        json=kapon_video("in_progress", progress=50),
    )
    httpx_mock.add_response(
        url=f"{KAPON}/v1/videos/{KAPON_ID}", json=kapon_video("completed", progress=100)
    )
    httpx_mock.add_response(
        url=f"{KAPON}/v1/videos/{KAPON_ID}/content",
        match_headers=KAPON_AUTH,
        content=MP4,
        headers={"content-type": "video/mp4"},
    )
    out = world.run("-p", "kapon", "create", KAPON_PROMPT, "-d", "8", "-o", "out.mp4")
    assert out.exit_code == 0, out.stderr
    assert out.stdout == f"{world.root / 'out.mp4'}\n"
    assert (world.root / "out.mp4").read_bytes() == MP4
    assert 7.0 in world.clock.sleeps  # the server's poll hint
    content = httpx_mock.get_request(url=f"{KAPON}/v1/videos/{KAPON_ID}/content")
    assert content is not None and content.headers["Authorization"] == "Bearer oh-kapon-test-key"


def test_kapon_failed_task_exits_5(world: World, httpx_mock: HTTPXMock) -> None:
    failed = kapon_video("failed", error={"code": "InternalServiceError", "message": "try again"})
    httpx_mock.add_response(url=f"{KAPON}/v1/videos/{KAPON_ID}", json=failed)
    out = world.run("-p", "kapon", "wait", KAPON_ID)
    assert out.exit_code == 5
    assert "InternalServiceError: try again" in out.stderr


@pytest.mark.httpx_mock(assert_all_responses_were_requested=False)
def test_kapon_last_frame_is_unsupported(world: World, httpx_mock: HTTPXMock) -> None:
    """Refused before or after the video is saved, depending on the command's order."""
    httpx_mock.add_response(url=f"{KAPON}/v1/videos/{KAPON_ID}", json=kapon_video("completed"))
    httpx_mock.add_response(url=f"{KAPON}/v1/videos/{KAPON_ID}/content", content=MP4)
    out = world.run("-p", "kapon", "download", KAPON_ID, "-o", "v.mp4", "--last-frame", "f.png")
    assert out.exit_code == 2
    assert "returns no last frame" in out.stderr


# -- no list, no cancel (both gateways) ------------------------------------------------------


@pytest.mark.parametrize("profile", ["kapon", "opeai"])
def test_no_task_list_endpoint(world: World, profile: str) -> None:
    out = world.run("-p", profile, "tasks", "list")
    assert out.exit_code == 2
    assert "has no task list endpoint" in out.stderr
    assert "--local" in out.stderr


@pytest.mark.httpx_mock(assert_all_responses_were_requested=False)
@pytest.mark.parametrize(("profile", "base"), [("kapon", KAPON), ("opeai", OPEAI)])
def test_no_cancel_endpoint(world: World, httpx_mock: HTTPXMock, profile: str, base: str) -> None:
    """No cancel endpoint; a read of the task first (if the client makes one) is harmless."""
    httpx_mock.add_response(url=f"{base}/v1/videos/video_1", json=kapon_video("queued"))
    out = world.run("-p", profile, "cancel", "video_1")
    assert out.exit_code == 2
    assert "has no cancel endpoint" in out.stderr


def test_local_task_list_still_works(world: World, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=f"{KAPON}/v1/videos", json=KAPON_CREATED)
    assert world.run("-p", "kapon", "create", "a boat").exit_code == 0
    out = world.run("-p", "kapon", "tasks", "list", "--local")
    assert out.exit_code == 0, out.stderr
    assert KAPON_ID in out.stdout


# -- docs/sources/opeai.txt (ope.ai)
# ----------------------------------------------------------------------

OPEAI_ID = "cgt-20260529102017-sjqj9"
CAT_PROMPT = "一只橘猫站在雨后的东京街头，霓虹倒影，电影感镜头运动。"
# §4.1 典型响应
OPEAI_CREATED = {
    "id": OPEAI_ID,
    "task_id": OPEAI_ID,
    "object": "video",
    "model": "seedance-2-0-fast",
    "status": "queued",
    "created_at": 1780021218,
}
# §5 典型返回示例
OPEAI_QUERIED = {
    "created_at": 1780021218,
    "id": OPEAI_ID,
    "model": "seedance-2-0-fast",
    "object": "video",
    "prompt": CAT_PROMPT,
    "size": "1280x720",
    "status": "SUCCESS",
}


def image(role: str, url: str) -> dict[str, Any]:
    return {"type": "image_url", "role": role, "image_url": {"url": url}}


OPEAI_EXAMPLES = {
    "4.1 text to video": (
        [CAT_PROMPT, "--size", "1280x720", "-d", "4", "--no-generate-audio"],
        {"prompt": CAT_PROMPT, "size": "1280x720", "seconds": "4", "generate_audio": False},
    ),
    "4.2 one first frame": (
        [
            "保持主体构图一致，镜头缓慢推进，风格写实。",
            "--size",
            "1280x720",
            "-d",
            "5",
            "--first-frame",
            "https://example.com/first-frame.png",
        ],
        {
            "prompt": "保持主体构图一致，镜头缓慢推进，风格写实。",
            "size": "1280x720",
            "seconds": "5",
            "input_reference": {
                "content": [image("first_frame", "https://example.com/first-frame.png")]
            },
        },
    ),
    "4.3 first and last frames": (
        [
            "从首帧自然过渡到尾帧，镜头运动连贯，人物表情稳定。",
            "--size",
            "1280x720",
            "-d",
            "5",
            "--first-frame",
            "https://example.com/first-frame.png",
            "--last-frame",
            "https://example.com/last-frame.png",
        ],
        {
            "prompt": "从首帧自然过渡到尾帧，镜头运动连贯，人物表情稳定。",
            "size": "1280x720",
            "seconds": "5",
            "input_reference": {
                "content": [
                    image("first_frame", "https://example.com/first-frame.png"),
                    image("last_frame", "https://example.com/last-frame.png"),
                ]
            },
        },
    ),
    "4.4 several reference images": (
        [
            "根据多张参考图生成一段产品展示视频，保持主体一致，镜头从左向右平滑移动。",
            "--size",
            "1280x720",
            "-d",
            "6",
            "--image",
            "https://example.com/reference-1.png",
            "--image",
            "https://example.com/reference-2.png",
            "--image",
            "https://example.com/reference-3.png",
        ],
        {
            "prompt": "根据多张参考图生成一段产品展示视频，保持主体一致，镜头从左向右平滑移动。",
            "size": "1280x720",
            "seconds": "6",
            "input_reference": {
                "content": [
                    image("reference_image", f"https://example.com/reference-{n}.png")
                    for n in (1, 2, 3)
                ]
            },
        },
    ),
    "4.5 image + video + audio": (
        [
            "第一人称视角果茶宣传广告。首帧采用图片1构图，成品定格采用图片2构图，全程参考视频1的"
            "运动方式，并参考音频1的节奏氛围。",
            "--size",
            "1280x720",
            "-d",
            "8",
            "--generate-audio",
            "--image",
            "https://example.com/tea-reference-1.jpg",
            "--image",
            "https://example.com/tea-reference-2.jpg",
            "--video",
            "https://example.com/tea-motion.mp4",
            "--audio",
            "https://example.com/tea-rhythm.mp3",
        ],
        {
            "prompt": "第一人称视角果茶宣传广告。首帧采用图片1构图，成品定格采用图片2构图，全程参考"
            "视频1的运动方式，并参考音频1的节奏氛围。",
            "size": "1280x720",
            "seconds": "8",
            "generate_audio": True,
            "input_reference": {
                "content": [
                    image("reference_image", "https://example.com/tea-reference-1.jpg"),
                    image("reference_image", "https://example.com/tea-reference-2.jpg"),
                    {
                        "type": "video_url",
                        "role": "reference_video",
                        "video_url": {"url": "https://example.com/tea-motion.mp4"},
                    },
                    {
                        "type": "audio_url",
                        "role": "reference_audio",
                        "audio_url": {"url": "https://example.com/tea-rhythm.mp3"},
                    },
                ]
            },
        },
    ),
    "4.6 resolution + ratio": (
        [
            "生成一段竖屏城市街拍视频，夜景霓虹，镜头缓慢前移。",
            "-r",
            "720p",
            "--ratio",
            "9:16",
            "-d",
            "4",
            "--no-generate-audio",
        ],
        {
            "prompt": "生成一段竖屏城市街拍视频，夜景霓虹，镜头缓慢前移。",
            "resolution": "720p",
            "ratio": "9:16",
            "seconds": "4",
            "generate_audio": False,
        },
    ),
}


@pytest.mark.parametrize("example", list(OPEAI_EXAMPLES))
def test_opeai_create_examples(world: World, httpx_mock: HTTPXMock, example: str) -> None:
    """docs/sources/opeai.txt §4.1-4.6, each with the exact body and the typical response."""
    args, body = OPEAI_EXAMPLES[example]
    httpx_mock.add_response(
        method="POST",
        url=f"{OPEAI}/v1/videos",
        match_headers=OPEAI_AUTH,
        match_json={"model": "seedance-2-0-fast", **body},
        json=OPEAI_CREATED,
    )
    out = world.run("-p", "opeai", "create", "-m", "seedance-2-0-fast", *args)
    assert out.exit_code == 0, out.stderr
    assert out.stdout == f"{OPEAI_ID}\n"


@pytest.mark.parametrize("example", list(OPEAI_EXAMPLES))
def test_opeai_dry_run_equals_the_body(world: World, example: str) -> None:
    args, body = OPEAI_EXAMPLES[example]
    out = world.run("-p", "opeai", "create", "-m", "seedance-2-0-fast", *args, "--dry-run")
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout) == {"model": "seedance-2-0-fast", **body}


def test_opeai_create_response_is_parsed(world: World, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=f"{OPEAI}/v1/videos", json=OPEAI_CREATED)
    out = world.run("-p", "opeai", "--json", "create", CAT_PROMPT, "--size", "1280x720")
    assert out.exit_code == 0, out.stderr
    task = json.loads(out.stdout)
    assert (task["id"], task["status"], task["model"]) == (OPEAI_ID, "queued", "seedance-2-0-fast")
    assert task["created_at"] == "2026-05-29T02:20:18Z"


def test_opeai_query(world: World, httpx_mock: HTTPXMock) -> None:
    """docs/sources/opeai.txt §5: the query and its sample answer (upper-case SUCCESS, a size)."""
    httpx_mock.add_response(
        method="GET",
        url=f"{OPEAI}/v1/videos/{OPEAI_ID}",
        match_headers=OPEAI_AUTH,
        json=OPEAI_QUERIED,
    )
    out = world.run("-p", "opeai", "--json", "status", OPEAI_ID)
    assert out.exit_code == 0, out.stderr
    task = json.loads(out.stdout)
    assert task["status"] == "succeeded"
    assert (task["resolution"], task["ratio"]) == ("720p", "16:9")
    assert task["model"] == "seedance-2-0-fast"
    assert task["created_at"] == "2026-05-29T02:20:18Z"
    assert task["last_frame_url"] is None
    assert task["raw"] == OPEAI_QUERIED


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("QUEUED", "queued"),
        ("IN_PROGRESS", "running"),
        ("SUCCESS", "succeeded"),
        ("FAILURE", "failed"),
        ("NOT_START", "queued"),
        ("SUBMITTED", "queued"),
        (None, "unknown"),
    ],
)
def test_opeai_statuses(world: World, httpx_mock: HTTPXMock, word: str | None, status: str) -> None:
    """docs/sources/opeai.txt §5 常见任务状态."""
    httpx_mock.add_response(
        url=f"{OPEAI}/v1/videos/{OPEAI_ID}", json={**OPEAI_QUERIED, "status": word}
    )
    out = world.run("-p", "opeai", "--json", "status", OPEAI_ID)
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout)["status"] == status


def test_opeai_download_through_content(world: World, httpx_mock: HTTPXMock) -> None:
    """docs/sources/opeai.txt §6: the video streams from /content, with the key (it is the API
    host)."""
    httpx_mock.add_response(url=f"{OPEAI}/v1/videos/{OPEAI_ID}", json=OPEAI_QUERIED)
    httpx_mock.add_response(
        url=f"{OPEAI}/v1/videos/{OPEAI_ID}/content",
        match_headers=OPEAI_AUTH,
        content=MP4,
        headers={"content-type": "video/mp4"},
    )
    out = world.run("-p", "opeai", "download", OPEAI_ID, "-o", "output.mp4")
    assert out.exit_code == 0, out.stderr
    assert out.stdout == f"{world.root / 'output.mp4'}\n"
    assert (world.root / "output.mp4").read_bytes() == MP4


def test_opeai_failure_exits_5(world: World, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{OPEAI}/v1/videos/{OPEAI_ID}",
        json={**OPEAI_QUERIED, "status": "FAILURE", "error": "moderation"},
    )
    out = world.run("-p", "opeai", "wait", OPEAI_ID)
    assert out.exit_code == 5
    assert "moderation" in out.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--size", "720x1280"], {"size": "720x1280"}),
        (["-r", "1080p", "--ratio", "21:9"], {"resolution": "1080p", "ratio": "21:9"}),
        (["-r", "480p"], {"resolution": "480p", "ratio": "16:9"}),
        (["--ratio", "1:1"], {"resolution": "720p", "ratio": "1:1"}),
        ([], {"resolution": "720p", "ratio": "16:9"}),
    ],
)
def test_opeai_size_or_resolution_and_ratio(
    world: World, args: list[str], expected: dict[str, str]
) -> None:
    """docs/sources/opeai.txt §1-2: `size` or `resolution` + `ratio`, never both, always a complete
    pair."""
    out = world.run("-p", "opeai", "create", "a boat", "-d", "4", *args, "--dry-run")
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout) == {
        "model": "seedance-2-0",
        "prompt": "a boat",
        "seconds": "4",
        **expected,
    }


def test_opeai_size_replaces_profile_resolution(world: World) -> None:
    world.write_profiles(
        {
            "profiles": {
                "o": {"preset": "opeai", "defaults": {"resolution": "1080p", "ratio": "4:3"}}
            }
        }
    )
    out = world.run("-p", "o", "create", "a boat", "--size", "720x1280", "--dry-run")
    assert out.exit_code == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["size"] == "720x1280"
    assert "resolution" not in body and "ratio" not in body
    out = world.run("-p", "o", "create", "a boat", "--dry-run")
    assert json.loads(out.stdout)["resolution"] == "1080p"
    assert "size" not in json.loads(out.stdout)


def test_opeai_refuses_size_with_resolution(world: World) -> None:
    out = world.run("-p", "opeai", "create", "a boat", "--size", "1280x720", "-r", "720p")
    assert out.exit_code == 2
    assert "not both" in out.stderr


def test_opeai_refuses_adaptive_ratio(world: World) -> None:
    out = world.run("-p", "opeai", "create", "a boat", "--ratio", "adaptive")
    assert out.exit_code == 2
    assert "no ratio adaptive" in out.stderr


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--watermark"], "--watermark"),
        (["--no-watermark"], "--watermark"),
        (["--camera-fixed"], "--camera-fixed"),
        (["--draft"], "--draft"),
        (["--return-last-frame"], "no last frame"),
        (["--callback-url", "https://hooks.example.com/x"], "--callback-url"),
        (["--service-tier", "default"], "--service-tier"),
        (["--priority", "1"], "--priority"),
        (["--expires-after", "3600"], "--expires-after"),
        (["--safety-id", "u1"], "--safety-id"),
    ],
)
def test_opeai_refuses_undocumented_parameters(world: World, args: list[str], flag: str) -> None:
    out = world.run("-p", "opeai", "create", "a boat", *args)
    assert out.exit_code == 2
    assert "ope.ai's /v1/videos" in out.stderr and flag in out.stderr


def test_opeai_sends_seed(world: World) -> None:
    out = world.run(
        "-p", "opeai", "create", "a boat", "--seed", "42", "--size", "1280x720", "--dry-run"
    )
    assert json.loads(out.stdout) == {
        "model": "seedance-2-0",
        "prompt": "a boat",
        "size": "1280x720",
        "seed": 42,
    }


def test_opeai_auth_error(world: World, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST",
        url=f"{OPEAI}/v1/videos",
        status_code=401,
        json={
            "error": {
                "message": "Incorrect API key provided",
                "type": "invalid_request_error",
                "code": "invalid_api_key",
            }
        },
    )
    out = world.run("-p", "opeai", "create", "a boat")
    assert out.exit_code == 3
    assert "401 invalid_api_key: Incorrect API key provided" in out.stderr
    assert "OPEAI_API_KEY" in out.stderr  # which key source was used, never the key
    assert "opeai-test-key" not in out.stderr


def test_unknown_flavor_is_a_config_error(world: World) -> None:
    world.write_profiles({"profiles": {"x": {"preset": "kapon", "flavor": "sora"}}})
    out = world.run("-p", "x", "create", "a boat", "--dry-run")
    assert out.exit_code == 2
    assert "unknown flavor 'sora'" in out.stderr


@pytest.mark.parametrize(
    ("profile", "args", "extra"),
    [
        ("kapon", ["--seed", "7", "--camera-fixed"], {"seed": 7, "camera_fixed": True}),
        ("kapon", ["--first-frame", "asset://f"], {"input_reference": ["asset://f"]}),
        ("opeai", ["--watermark", "--priority", "3"], {"watermark": True, "priority": 3}),
    ],
)
def test_no_validate_sends_rather_than_drops(
    world: World, profile: str, args: list[str], extra: dict[str, Any]
) -> None:
    """What `problems` refuses is sent as is with --no-validate, never silently dropped."""
    out = world.run(
        "-p", profile, "create", "a boat", "--size", "1280x720", *args, "--no-validate", "--dry-run"
    )
    assert out.exit_code == 0, out.stderr
    body = json.loads(out.stdout)
    assert {k: body.get(k) for k in extra} == extra
