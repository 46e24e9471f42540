"""What the live services take, as dry runs pin it: the exact body `create` would send.

Each case comes from docs/sources/live-research.md (with the public source of each fact) and
docs/sources/real-world.md: Seedance 2.5, 4k on BytePlus, the dated Volcengine ids, endpoint
ids, models the catalogue does not know, the frame/reference mix, drafts and prompt guidance.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from support import World

BOAT = "a paper boat at dawn"


def text(value: str = BOAT) -> dict[str, Any]:
    return {"type": "text", "text": value}


def dry_run(world: World, profile: str, *args: str) -> tuple[int, Any, str]:
    out = world.run("-p", profile, "create", BOAT, *args, "--dry-run", "--json")
    body = json.loads(out.stdout) if out.exit_code == 0 else None
    return out.exit_code, body, out.stderr


@pytest.mark.parametrize(
    ("profile", "args", "body"),
    [
        pytest.param(
            "byteplus",
            ["-m", "2.5", "-d", "30"],
            {"model": "dreamina-seedance-2-5-260628", "content": [text()], "duration": 30},
            id="2.5-30s",
        ),
        pytest.param(
            "byteplus",
            ["-m", "2.5", "-d", "-1"],
            {"model": "dreamina-seedance-2-5-260628", "content": [text()], "duration": -1},
            id="2.5-auto-duration",
        ),
        pytest.param(
            "byteplus",
            ["-m", "2.5", "--audio", "https://example.com/voice.mp3"],
            {
                "model": "dreamina-seedance-2-5-260628",
                "content": [
                    text(),
                    {
                        "type": "audio_url",
                        "audio_url": {"url": "https://example.com/voice.mp3"},
                        "role": "reference_audio",
                    },
                ],
            },
            id="2.5-audio-only",
        ),
        pytest.param(
            "byteplus",
            ["-m", "2.5", "--output-format", "mov", "-r", "1080p"],
            {
                "model": "dreamina-seedance-2-5-260628",
                "content": [text()],
                "resolution": "1080p",
                "output_format": "mov",
            },
            id="2.5-output-format",
        ),
        pytest.param(
            "volcengine",
            ["-m", "2.5", "-d", "12", "-r", "4k"],
            {
                "model": "doubao-seedance-2-5-260628",
                "content": [text()],
                "duration": 12,
                "resolution": "4k",
            },
            id="volcengine-2.5-4k",
        ),
        pytest.param(
            "byteplus",
            ["-r", "4k", "-d", "4"],
            {
                "model": "dreamina-seedance-2-0-260128",
                "content": [text()],
                "duration": 4,
                "resolution": "4k",
            },
            id="byteplus-2.0-4k",
        ),
        pytest.param(
            "volcengine",
            ["-m", "2.0"],
            {"model": "doubao-seedance-2-0-260128", "content": [text()]},
            id="volcengine-2.0-dated-id",
        ),
        pytest.param(
            "volcengine",
            ["-m", "doubao-seedance-2-0-fast"],
            {"model": "doubao-seedance-2-0-fast-260128", "content": [text()]},
            id="volcengine-undated-name",
        ),
        pytest.param(
            "byteplus",
            ["-m", "mini", "--image", "https://a/x.png", "--audio", "https://a/y.mp3"],
            {
                "model": "dreamina-seedance-2-0-mini-260615",
                "content": [
                    text(),
                    {
                        "type": "image_url",
                        "image_url": {"url": "https://a/x.png"},
                        "role": "reference_image",
                    },
                    {
                        "type": "audio_url",
                        "audio_url": {"url": "https://a/y.mp3"},
                        "role": "reference_audio",
                    },
                ],
            },
            id="mini-takes-audio-on-ark",
        ),
        pytest.param(
            "byteplus",
            ["--ratio", "9:21"],
            {"model": "dreamina-seedance-2-0-260128", "content": [text()], "ratio": "9:21"},
            id="ratio-9:21",
        ),
    ],
)
def test_dry_run_sends_what_the_live_service_takes(world, httpx_mock, profile, args, body):
    code, sent, stderr = dry_run(world, profile, *args)
    assert code == 0, stderr
    assert sent == body
    assert not httpx_mock.get_requests()


@pytest.mark.parametrize(
    ("profile", "model", "notice"),
    [
        ("volcengine", "ep-20260101123456-abcde", "is an endpoint id"),
        ("byteplus", "dreamina-seedance-2-6-270101", "not in seedance's catalogue"),
    ],
)
def test_a_model_the_catalogue_does_not_know_is_sent_with_a_notice(
    world, httpx_mock, profile, model, notice
):
    code, sent, stderr = dry_run(world, profile, "-m", model, "-d", "40", "-r", "8k")
    assert code == 0, stderr
    assert sent == {"model": model, "content": [text()], "duration": 40, "resolution": "8k"}
    [line] = [s for s in stderr.splitlines() if notice in s]
    assert "not checked" in line and "the server decides" in line and "--" not in line
    assert "estimate: unknown" in stderr
    strict = world.run("-p", profile, "create", BOAT, "-m", model, "--strict", "--dry-run")
    assert strict.exit_code == 2
    assert "strict mode sends only models the catalogue knows" in strict.stderr
    assert not httpx_mock.get_requests()


def test_a_profile_can_be_strict_and_can_say_what_an_endpoint_serves(world, httpx_mock):
    endpoint = "ep-20260101123456-abcde"
    world.write_profiles(
        {
            "profiles": {
                "cn": {
                    "preset": "volcengine",
                    "model": endpoint,
                    "model_family": "2.0",
                    "prices": {endpoint: {"720p": 40.0}},
                },
                "strict": {"preset": "byteplus", "strict": True},
            }
        }
    )
    code, sent, stderr = dry_run(world, "cn", "-d", "5", "-r", "720p")
    assert code == 0, stderr
    assert sent == {"model": endpoint, "content": [text()], "duration": 5, "resolution": "720p"}
    assert "endpoint id" not in stderr  # checked as the 2.0 family it declares
    assert "estimate: 108,900 tokens ≈ ¥4.36" in stderr  # the profile's own price
    refused = world.run("-p", "cn", "create", BOAT, "-d", "20", "--dry-run")
    assert refused.exit_code == 2 and "duration 20 is out of range" in refused.stderr
    strict = world.run("-p", "strict", "create", BOAT, "-m", "no-such-model", "--dry-run")
    assert strict.exit_code == 2 and "unknown model" in strict.stderr
    assert not httpx_mock.get_requests()


def test_volcengine_4k_on_2_0_is_sent_with_a_notice(world, httpx_mock):
    """Sources disagree (docs/sources/real-world.md): the server decides."""
    code, sent, stderr = dry_run(world, "volcengine", "-m", "2.0", "-r", "4k")
    assert code == 0 and sent["resolution"] == "4k"
    assert "the sources disagree whether it is offered" in stderr
    assert not httpx_mock.get_requests()


@pytest.mark.parametrize(
    ("args", "message", "flag"),
    [
        (
            ["--first-frame", "https://a/first.png", "--image", "https://a/ref.png"],
            "a first frame cannot be sent with reference media (images)",
            "--first-frame",
        ),
        (
            [
                "--first-frame",
                "https://a/f.png",
                "--last-frame",
                "https://a/l.png",
                "--video",
                "https://a/v.mp4",
            ],
            "cannot be sent with reference media (videos)",
            "--first-frame",
        ),
        (["--draft"], "has no draft mode", "--draft"),
        (["--service-tier", "flex"], "has no flex service tier", "--service-tier"),
        (["-r", "1080p", "-m", "flash"], "supports 480p, 720p, not 1080p", "--resolution"),
        (["-m", "2.5", "-d", "31"], "4-30 seconds", "--duration"),
        (["--output-format", "mov"], "has no choice of output format", "--output-format"),
        (["-m", "2.5", "--draft", "-r", "1080p"], "a draft is always 480p", "--resolution"),
        (["-m", "2.5", "--draft", "--size", "1920x1080"], "a draft is always 480p", "--size"),
        (["--audio", "https://a/y.mp3"], "visual anchor", "--audio"),
        (["-m", "seedance-1-5-pro-251215"], "retired", "models"),  # and where to look
        (["-m", "1.5"], "use dreamina-seedance-2-0-mini-260615", "models"),
    ],
)
def test_requests_the_live_service_refuses_exit_2_and_send_nothing(
    world, httpx_mock, args, message, flag
):
    out = world.run("-p", "byteplus", "create", BOAT, *args)
    assert out.exit_code == 2, out
    assert message in out.stderr and flag in out.stderr
    assert not httpx_mock.get_requests()


def test_the_mix_error_carries_its_facts(world, httpx_mock):
    out = world.run(
        "-p",
        "byteplus",
        "--json",
        "create",
        BOAT,
        "--first-frame",
        "https://a/first.png",
        "--image",
        "https://a/ref.png",
    )
    assert out.exit_code == 2
    error = json.loads(out.stdout)["error"]
    assert error["code"] == "validation" and error["field"] == "first_frame"
    assert "give the frame as a reference image instead" in error["message"]
    assert not httpx_mock.get_requests()


def test_a_long_chinese_prompt_is_a_warning_not_a_refusal(world, httpx_mock):
    """docs/sources/real-world.md: ≤ 500 Chinese characters is a recommendation."""
    prompt = "一只纸船在平静的水面上漂浮" * 50  # 650 characters
    out = world.run("-p", "byteplus", "create", prompt, "--dry-run", "--json")
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout)["content"] == [text(prompt)]
    assert "the prompt has 650 Chinese characters" in out.stderr
    assert "works best with at most 500" in out.stderr
    assert not httpx_mock.get_requests()


def test_estimates_of_2_5_input_videos_and_unknown_lengths(world, httpx_mock, tmp_path):
    code, _body, stderr = dry_run(world, "byteplus", "-m", "2.5", "-d", "5", "-r", "480p")
    assert code == 0 and "estimate: 48,437 tokens ≈ $0.52" in stderr  # 854x480 (research §3)
    auto = dry_run(world, "byteplus", "-m", "2.5")[2]  # no duration: the model chooses
    assert "estimate: about 648,900 tokens" in auto  # ... up to 30 s
    premium = dry_run(world, "byteplus", "-m", "premium", "-r", "4k", "-d", "4")[2]
    assert "price unknown" in premium
    url = dry_run(world, "byteplus", "--video", "https://a/v.mp4", "-d", "5")[2]
    assert "estimate: at least 108,900 tokens" in url and "lower bound" in url
    from media_files import video

    clip = video(tmp_path / "in.mp4", seconds=2)  # a real 2 s clip in bounds: PyAV measures it
    # a local video is published by upload_cmd: a dry run checks there is one, runs nothing
    world.write_profiles({"profiles": {"up": {"preset": "byteplus", "upload_cmd": "false {path}"}}})
    out = world.run("-p", "up", "create", BOAT, "--video", str(clip), "-d", "5", "--dry-run")
    assert out.exit_code == 0, out.stderr  # (a dry run: not uploaded to the asset library)
    assert "estimate: 152,100 tokens ≈ $0.65" in out.stderr  # (5 + 2 s) x 1280x720, at $4.3/M
    assert not httpx_mock.get_requests()
