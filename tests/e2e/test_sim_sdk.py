"""The official Ark client (`volcengine-ark-runtime`) against `seedance sim`'s server: proof the
simulator speaks the real protocol."""

from __future__ import annotations

import httpx
import pytest
from volcenginesdkarkruntime import Ark
from volcenginesdkarkruntime._exceptions import ArkAPIStatusError

from seedance.sim.app import SimConfig
from seedance.sim.server import SimServer

MODEL = "dreamina-seedance-2-0-260128"


@pytest.fixture
def server():
    with SimServer(SimConfig(queue_seconds=0, run_seconds=0)) as running:
        yield running


@pytest.fixture
def ark(server: SimServer) -> Ark:
    return Ark(base_url=server.api_url + "/api/v3", api_key="any-key", max_retries=0)


def text(prompt: str) -> list[dict[str, str]]:
    return [{"type": "text", "text": prompt}]


def test_create_and_get(ark: Ark, server: SimServer):
    created = ark.content_generation.tasks.create(
        model=MODEL,
        content=text("a paper boat"),
        duration=5,
        resolution="720p",
        ratio="16:9",
        return_last_frame=True,
    )
    assert created.id.startswith("cgt-")
    task = ark.content_generation.tasks.get(task_id=created.id)
    assert task.status == "succeeded"
    assert task.usage.completion_tokens == 108_900  # 1280 x 720 x 121 / 1024
    assert task.content.video_url.startswith(server.store_url)
    assert task.content.last_frame_url.startswith(server.store_url)
    video = httpx.get(task.content.video_url)
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"


def test_list_with_filters(ark: Ark, server: SimServer):
    done = ark.content_generation.tasks.create(model=MODEL, content=text("one")).id
    server.sim.config.queue_seconds = 3600
    queued = ark.content_generation.tasks.create(model=MODEL, content=text("two")).id
    listed = ark.content_generation.tasks.list(page_num=1, page_size=10, status="succeeded")
    assert [t.id for t in listed.items] == [done] and listed.total == 1
    listed = ark.content_generation.tasks.list(task_ids=[done, queued])
    assert {t.id for t in listed.items} == {done, queued}


def test_delete_queued_running_and_finished(ark: Ark, server: SimServer):
    finished = ark.content_generation.tasks.create(model=MODEL, content=text("a")).id
    server.sim.config.queue_seconds = 3600
    queued = ark.content_generation.tasks.create(model=MODEL, content=text("b")).id
    server.sim.config.queue_seconds, server.sim.config.run_seconds = 0, 3600
    running = ark.content_generation.tasks.create(model=MODEL, content=text("c")).id

    ark.content_generation.tasks.delete(queued)
    assert ark.content_generation.tasks.get(task_id=queued).status == "cancelled"

    with pytest.raises(ArkAPIStatusError) as refused:
        ark.content_generation.tasks.delete(running)
    assert refused.value.status_code == 409
    assert "RunningTaskDeletion" in str(refused.value)

    ark.content_generation.tasks.delete(finished)
    with pytest.raises(ArkAPIStatusError) as gone:
        ark.content_generation.tasks.get(task_id=finished)
    assert gone.value.status_code == 404


def test_errors_have_the_ark_shape(ark: Ark):
    with pytest.raises(ArkAPIStatusError) as bad:
        ark.content_generation.tasks.create(model=MODEL, content=text("x"), duration=20)
    assert bad.value.status_code == 400
    assert bad.value.body["code"] == "invalid_duration"


def test_the_sdks_nulls_mean_absent(server: SimServer):
    body = {"model": MODEL, "content": text("x"), "seed": None, "duration": None, "ratio": None}
    answer = httpx.post(
        server.api_url + "/api/v3/contents/generations/tasks",
        json=body,
        headers={"Authorization": "Bearer k"},
    )
    assert answer.status_code == 200, answer.text
