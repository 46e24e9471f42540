"""Caps against an estimate that is only a lower bound (issue 23, finding 9): input video
seconds are billed, so a reference video by URL of unknown length makes the estimate "at
least ...". Under a cap (max_cost, budget_day, budget_month) that is refused unless its length
is measured (the container's header read with Range requests, PyAV) or unpriced requests are
let through (then it counts at its lower bound). The simulator makes the videos; the reference
videos are on a host of their own (a Range-capable file server in the test's transport)."""

from __future__ import annotations

import io
import json
import os
import re
from typing import Any

import httpx

from seedance.sim.app import API_ORIGIN
from support import World, sim_profiles

REF = "https://cdn.example.com/ref.mp4"


def clip(seconds: int, fps: int = 24, size: tuple[int, int] = (96, 64)) -> bytes:
    """An MP4 of `seconds` of noise (about 250 KB a second), its index at the end."""
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.bit_rate = 2_000_000
        for _ in range(seconds * fps):
            frame = av.VideoFrame(size[0], size[1], "yuv420p")
            for plane in frame.planes:
                plane.update(os.urandom(plane.buffer_size))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


class MediaHost(httpx.BaseTransport):
    """The simulator, plus one file server (cdn.example.com) that honours Range; it records
    every range it served."""

    def __init__(self, sim: Any, files: dict[str, bytes], ranges: bool = True) -> None:
        self.sim = sim.transport()
        self.files, self.ranges = files, ranges
        self.served: list[tuple[int, int]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != "cdn.example.com":
            return self.sim.handle_request(request)
        body = self.files.get(request.url.path)
        if body is None:
            return httpx.Response(404, text="not here")
        asked = re.fullmatch(r"bytes=(\d+)-(\d*)", request.headers.get("range", ""))
        if not self.ranges or asked is None:
            self.served.append((0, len(body)))
            return httpx.Response(200, content=body)
        start = int(asked[1])
        end = min(int(asked[2] or len(body) - 1), len(body) - 1)
        if start >= len(body):
            return httpx.Response(416, headers={"content-range": f"bytes */{len(body)}"})
        self.served.append((start, end + 1))
        return httpx.Response(
            206,
            content=body[start : end + 1],
            headers={"content-range": f"bytes {start}-{end}/{len(body)}"},
        )


def budget(world: World, **settings: Any) -> None:
    document = sim_profiles(API_ORIGIN)
    document["profiles"]["sim-byteplus"].update(settings)
    world.write_profiles(document)


def test_a_reference_video_by_url_is_measured_under_a_budget(world, sim):
    """At least $0.47 (the reference's 12 s unknown) fitted a $0.50 budget; measured, the
    create is $1.58 and refused, and only the video's header was read."""
    video = clip(12)
    host = MediaHost(sim, {"/ref.mp4": video})
    world.transport = host
    budget(world, budget_day=0.50)
    refused = world.run("create", "a boat", "--video", REF, "-o", "boat.mp4")
    assert refused.exit_code == 2, refused.stderr
    assert "would take today's spend on this account to $1.58" in refused.stderr
    assert "above the profile's budget_day of $0.50" in refused.stderr
    assert sim.creates() == []
    read = sum(end - start for start, end in host.served)
    assert 0 < read < len(video) / 2, (read, len(video))


def test_a_lower_bound_is_refused_under_a_cap_unless_unpriced_requests_are_allowed(world, sim):
    world.transport = MediaHost(sim, {})  # the reference cannot be read: 404
    budget(world, budget_day=0.50)
    refused = world.run("create", "a boat", "--video", REF, "-o", "boat.mp4")
    assert refused.exit_code == 2, refused.stderr
    assert "only a lower bound (at least 108,900 tokens ≈ $0.47)" in refused.stderr
    assert "--allow-unpriced" in refused.stderr
    assert sim.creates() == []

    allowed = world.run("create", "a boat", "--video", REF, "-o", "boat.mp4", "--allow-unpriced")
    assert allowed.exit_code == 0, allowed.stderr
    assert len(sim.creates()) == 1


def test_max_cost_checks_the_measured_length_too(world, sim):
    world.transport = MediaHost(sim, {"/ref.mp4": clip(12)})
    refused = world.run("create", "a boat", "--video", REF, "--max-cost", "1", "-o", "boat.mp4")
    assert refused.exit_code == 2, refused.stderr
    assert "this create (≈ $1.58)" in refused.stderr and "above its cap of $1.00" in refused.stderr
    assert sim.creates() == []


def test_a_server_that_ignores_range_is_read_only_when_small(world, sim):
    host = MediaHost(sim, {"/ref.mp4": clip(2)}, ranges=False)
    world.transport = host
    made = world.run("create", "a boat", "--video", REF, "--max-cost", "1", "-o", "boat.mp4")
    assert made.exit_code == 0, made.stderr
    assert "estimate: 152,100 tokens ≈ $0.65" in made.stderr  # 5 s made + 2 s given, 720p


def test_a_storyboard_under_a_cap_refuses_a_lower_bound_before_any_shot_is_paid(world, sim):
    world.transport = MediaHost(sim, {})
    (world.root / "story.toml").write_text(
        '[[shots]]\nid = "a"\nprompt = "dawn"\n'
        f'[[shots]]\nid = "b"\nprompt = "dusk"\ncontinue = false\nvideos = ["{REF}"]\n'
    )
    refused = world.run("chain", "story.toml", "--max-cost", "5")
    assert refused.exit_code == 2, refused.stderr
    assert "lower bound" in refused.stderr and "--allow-unpriced" in refused.stderr
    assert sim.creates() == []


def test_a_storyboard_over_its_cap_says_the_cap_with_its_currency(world, sim):
    (world.root / "story.toml").write_text('[[shots]]\nid = "a"\nprompt = "dawn"\n')
    refused = world.run("chain", "story.toml", "--max-cost", "0.5")
    assert refused.exit_code == 2, refused.stderr
    assert "the estimate $0.76 is above the cap of $0.50" in refused.stderr


def test_a_batch_under_a_cap_refuses_a_lower_bound_before_any_take_is_paid(world, sim):
    world.transport = MediaHost(sim, {})
    budget(world, budget_month=50.0)
    rows = [{"id": "lake", "prompt": "a lake"}, {"id": "boat", "prompt": "a boat", "videos": [REF]}]
    (world.root / "jobs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    refused = world.run("batch", "jobs.jsonl")
    assert refused.exit_code == 2, refused.stderr
    assert "row boat is only a lower bound" in refused.stderr
    assert "--allow-unpriced" in refused.stderr
    assert sim.creates() == []
    allowed = world.run("batch", "jobs.jsonl", "--allow-unpriced")
    assert allowed.exit_code == 0, allowed.stderr
    assert len(sim.creates()) == 2
