"""What the `/v1/videos` gateways share (providers/videowire.py): no task list, no cancel, and
what validation refuses is sent rather than dropped when validation is skipped."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from pytest_httpx import HTTPXMock

if TYPE_CHECKING:
    from support import World

KAPON = "https://models.kapon.cloud"
OPEAI = "https://api-platform.ope.ai"
KAPON_ID = "video_01HWXK7B9Y8N6V5J3M2Q4R8S0T"
KAPON_CREATED = {
    "id": KAPON_ID,
    "object": "video",
    "status": "queued",
    "model": "seedance-2-0",
    "seconds": 8,
    "size": "1280x720",
}


def kapon_video(status: str, **extra: Any) -> dict[str, Any]:
    return {**KAPON_CREATED, "status": status, "created_at": 1780021218, **extra}


@pytest.mark.parametrize("profile", ["kapon", "opeai"])
def test_no_task_list_endpoint(world: World, profile: str) -> None:
    out = world.run("-p", profile, "tasks", "list")
    assert out.exit_code == 2
    assert "has no task list endpoint" in out.stderr
    assert f"in the local journal: seedance -p {profile} tasks list --local" in out.stderr


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
