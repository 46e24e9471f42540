"""Storyboards on assets-only profiles against `seedance sim`: each shot's first frame (the
simulator's own http:// result URL) goes to the asset library, which judges it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from support import run_process

EXAMPLES = Path(__file__).parents[2] / "examples"


def frames_of(creates: list) -> list[str | None]:
    """Each create's first frame (both profiles speak the Ark body: content[])."""
    found = []
    for request in creates:
        body = request.json()
        frame = None
        for item in body.get("content", []):
            if item.get("role") == "first_frame":
                frame = item["image_url"]["url"]
        found.append(frame)
    return found


@pytest.mark.parametrize("profile", ["sim-phanedge", "sim-kapon-native"])
def test_a_storyboard_runs_end_to_end_on_an_assets_only_profile(world, sim_server, profile):
    shutil.copy(EXAMPLES / "linear.toml", world.root / "linear.toml")

    outcome = run_process(world, "-p", profile, "chain", "linear.toml", "-o", "out")

    assert outcome.exit_code == 0, outcome.stderr
    shots = json.loads((world.root / "out" / "chain.json").read_text())["shots"]
    assert {shot["state"] for shot in shots.values()} == {"done"}
    sim = sim_server.sim
    uploads = [
        r.json()["URL"]
        for r in sim.requests
        if r.arg("Action") == "CreateAsset" and r.method == "POST"
    ]
    assert len(uploads) == 2 and all(url.startswith("http://127.0.0.1:") for url in uploads)
    first, *followers = frames_of(sim.creates())
    assert first is None
    assert followers and all(frame and frame.startswith("asset://") for frame in followers)
    assert "?X-Tos-" not in outcome.stderr  # the frame URLs' signatures stay out of messages
