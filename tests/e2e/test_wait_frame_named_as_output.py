"""Defects found reviewing 315e1c4..feee957 (the batch's model limits, `wait` answering with a
video saved elsewhere, profiles.toml under a lock)."""

from __future__ import annotations

import json

import pytest


def _client(sim, world):
    from seedance import Client

    return Client.from_profile(
        "sim-byteplus",
        config_dir=world.config_dir,
        data_dir=world.data_dir,
        environ=dict(world.environ),
        clock=world.clock,
        transport=sim.transport(),
    )


def test_a_last_frame_named_as_the_output_is_refused_not_answered_with_the_video(
    run, sim, world, monkeypatch
):
    """The video saved elsewhere is copied to a new output only when the outputs are distinct:
    else the copy is then taken for the last frame, and the video is reported as its own
    last frame (before the copy, `generate` refused the two same names)."""
    from seedance import UsageError

    first = run("create", "a boat", "-o", "a.mp4", "--json")
    assert first.exit_code == 0, first.stderr
    task_id = json.loads(first.stdout)["id"]
    same = world.root / "c.mp4"
    with _client(sim, world) as client, pytest.raises(UsageError, match="written twice"):
        client.generate(task_id=task_id, output=same, last_frame_output=same)
    assert not same.exists()
