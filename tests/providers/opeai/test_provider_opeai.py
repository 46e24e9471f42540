"""ope.ai's OpenAI-style `/v1/videos` dialect (docs/sources/opeai.txt).

Every curl example of the document is reproduced as a seedance command, with the exact JSON
body it must send, and every sample response is parsed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from pytest_httpx import HTTPXMock

from seedance.domain.models import GenerationRequest

if TYPE_CHECKING:
    from conftest import ProblemsOf
    from support import World

OPEAI = "https://api-platform.ope.ai"
OPEAI_AUTH = {"Authorization": "Bearer opeai-test-key"}
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64

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
    ("args", "refusal"),
    [
        (["--watermark"], "does not document watermark: leave it out"),
        (["--no-watermark"], "does not document watermark: leave it out"),
        (["--camera-fixed"], "does not document camera_fixed: leave it out"),
        (["--return-last-frame"], "returns no last frame"),
        (["--callback-url", "https://hooks.example.com/x"], "does not document callback_url"),
        (["--service-tier", "default"], "does not document service_tier"),
        (["--priority", "1"], "does not document priority"),
        (["--expires-after", "3600"], "does not document expires_after"),
        (["--safety-id", "u1"], "does not document safety_id"),
    ],
)
def test_opeai_refuses_undocumented_parameters(world: World, args: list[str], refusal: str) -> None:
    out = world.run("-p", "opeai", "create", "a boat", *args)
    assert out.exit_code == 2
    assert f"ope.ai's /v1/videos {refusal}" in out.stderr
    assert "kapon-native" not in out.stderr


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("watermark", False),
        ("camera_fixed", True),
        ("draft", True),
        ("return_last_frame", True),
        ("callback_url", "https://hooks.example.com/x"),
        ("service_tier", "default"),
        ("priority", 1),
        ("expires_after", 3600),
        ("safety_id", "u1"),
    ],
)
def test_opeai_refusals_carry_the_field(problems_of: ProblemsOf, field: str, value: Any) -> None:
    [problem] = problems_of("opeai", GenerationRequest(model="seedance-2-0", **{field: value}))
    assert (problem.field, problem.reason, problem.suggestion) == (field, None, None)


def test_opeai_ratio_refusal_lists_the_ratios(problems_of: ProblemsOf) -> None:
    [problem] = problems_of("opeai", GenerationRequest(model="seedance-2-0", ratio="adaptive"))
    assert problem.field == "ratio"
    assert problem.allowed == ("16:9", "4:3", "1:1", "3:4", "9:16", "21:9")


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
