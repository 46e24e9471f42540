"""A download the result host refuses (HTTP 404, 410, ...): the error names the task, and its
next step is `status` of that very task, a command that runs (it once read `status ID`, a
literal placeholder that fails with exit 3). services/downloads.py raises the refusal;
services/videos/saving.py `save`, which knows the task, names it and its next step."""

from __future__ import annotations

import shlex


def _suggested(stderr: str) -> list[str]:
    line = stderr.strip().splitlines()[-1]
    assert "seedance " in line, line
    return shlex.split(line.rsplit("seedance ", 1)[1])


def test_the_next_step_of_a_refused_download_runs(run, sim, world, monkeypatch):
    made = run("create", "a boat", "--wait")
    assert made.exit_code == 0, made.stderr
    task_id = made.stdout.strip()
    monkeypatch.setattr(sim.store, "_lookup", lambda key: None)  # the result host: 404

    refused = run("download", task_id, "-o", "clip.mp4")
    assert refused.exit_code == 3, refused.stderr
    line = refused.stderr.strip().splitlines()[-1]
    assert task_id in line.split("seedance ", 1)[0], f"the error does not name the task: {line}"
    words = _suggested(refused.stderr)
    assert task_id in words
    followed = run(*words)
    assert followed.exit_code == 0, f"the suggested 'seedance {shlex.join(words)}' failed: " + (
        followed.stderr.strip()
    )
