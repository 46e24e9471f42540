"""kapon's OpenAI-style `/v1/videos` dialect (docs/sources/kapon.txt), and its Ark API on the
same gateway (the kapon-native preset).

Every curl example of the document is reproduced as a seedance command, with the exact JSON
body it must send, and every sample response is parsed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from pytest_httpx import HTTPXMock

from seedance.cli.wording import flag
from seedance.domain.errors import Reason, Suggestion
from seedance.domain.models import GenerationRequest, Reference, Role
from support import expect_ark_create

if TYPE_CHECKING:
    from conftest import ProblemsOf
    from support import World

KAPON = "https://models.kapon.cloud"
KAPON_NATIVE = f"{KAPON}/volcark/api/v3/contents/generations/tasks"
KAPON_AUTH = {"Authorization": "Bearer oh-kapon-test-key"}
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64

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
    expect_ark_create(
        httpx_mock,
        KAPON_NATIVE,
        {
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
        headers=KAPON_AUTH,
        answer_json={"id": "cgt-xxxx", "platform_id": "video_<PlatformTaskID>"},
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
    assert 'references = "assets"' in out.stderr  # the hint, and the command it leads to
    assert "upload the media first with: seedance -p k assets upload URL" in out.stderr

    httpx_mock.add_response(method="POST", url=f"{KAPON}/v1/videos", status_code=400, json=error)
    out = world.run(
        "-p", "k", "--json", "create", "Image 1 opens", "--image", "https://example.com/a.png"
    )
    assert out.exit_code == 3
    error = json.loads(out.stdout)["error"]
    assert error["code"] == "raw_url_not_allowed"
    assert error["suggestions"][0] == {"action": "assets.upload", "args": ["URL"], "options": {}}


@pytest.mark.parametrize(
    ("args", "refusal"),
    [
        (["--seed", "7"], "does not document seed: leave it out"),
        (["--camera-fixed"], "does not document camera_fixed: leave it out"),
        (["--return-last-frame"], "returns no last frame"),
        (["--last-frame-output", "f.png"], "returns no last frame"),
        (["--callback-url", "https://hooks.example.com/x"], "does not document callback_url"),
        (["--service-tier", "default"], "does not document service_tier"),
        (["--priority", "3"], "does not document priority"),
        (["--expires-after", "7200"], "does not document expires_after"),
        (["--safety-id", "u1"], "does not document safety_id"),
        (["--seed", "7", "--priority", "3"], "does not document seed, priority: leave them out"),
    ],
)
def test_kapon_refuses_undocumented_parameters(world: World, args: list[str], refusal: str) -> None:
    out = world.run("-p", "kapon", "create", "a boat", *args)
    assert out.exit_code == 2
    assert f"kapon's /v1/videos {refusal}" in out.stderr
    assert "profile kapon-native (the Ark API on the same gateway) accepts" in out.stderr


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seed", 7),
        ("camera_fixed", True),
        ("draft", True),
        ("return_last_frame", True),
        ("callback_url", "https://hooks.example.com/x"),
        ("service_tier", "flex"),
        ("priority", 3),
        ("expires_after", 7200),
        ("safety_id", "u1"),
    ],
)
def test_kapon_refusals_carry_the_field_and_the_native_profile(
    problems_of: ProblemsOf, field: str, value: Any
) -> None:
    """The library names the parameter (the CLI words it as the flag) and the way out."""
    [problem] = problems_of("kapon", GenerationRequest(model="seedance-2-0", **{field: value}))
    assert problem.field == field
    assert flag(field) == "--" + field.replace("_", "-")
    assert problem.reason == Reason.of("native_accepts", preset="kapon-native")
    assert problem.suggestion == Suggestion.of("profiles.show", "kapon-native")


@pytest.mark.parametrize("frame", ["--first-frame", "--last-frame"])
def test_kapon_cannot_express_frames(world: World, frame: str) -> None:
    args = ["--first-frame", "asset://a", "--last-frame", "asset://b"]
    if frame == "--first-frame":
        args = args[:2]
    out = world.run("-p", "kapon", "create", "a boat", *args)
    assert out.exit_code == 2
    assert "cannot express a first or last frame" in out.stderr
    assert "profile kapon-native" in out.stderr


def test_kapon_frames_refusal_names_the_frame(problems_of: ProblemsOf) -> None:
    ref = Reference(role=Role.LAST_FRAME, url="asset://b")
    [problem] = problems_of("kapon", GenerationRequest(model="seedance-2-0", references=[ref]))
    assert problem.field == "last_frame"


def test_kapon_refuses_automatic_duration(world: World, problems_of: ProblemsOf) -> None:
    out = world.run("-p", "kapon", "create", "a boat", "-d", "-1")
    assert out.exit_code == 2
    assert "4-15 seconds" in out.stderr
    assert "kapon-native" not in out.stderr  # the native API has no -1 either
    [problem] = problems_of("kapon", GenerationRequest(model="seedance-2-0", duration=-1))
    assert (problem.field, problem.reason) == ("duration", None)


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
