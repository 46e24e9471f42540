"""`create -o a.mp4` run again after `download TASK -o copy.mp4` (the journal's saved path
moved to the copy) and the copy deleted: a.mp4, this request's own verified video, is
recognised as made (nothing paid, exit 0). It was once taken for a stranger's file ("a.mp4
already exists"), with a hint (the same create under a free name) that paid a second time.

And when the output really holds another file, the refusal of a request already made says
so, and its next step saves that task's video under a free name (`wait`), never a new create
(services/generate.py `_saved_before`, `_made_already`)."""

from __future__ import annotations

import json
import shlex


def _made(run, world) -> str:
    first = run("create", "a boat", "-o", "a.mp4", "--json")
    assert first.exit_code == 0, first.stderr
    task_id = json.loads(first.stdout)["id"]
    assert run("download", task_id, "-o", "copy.mp4").exit_code == 0
    return task_id


def test_the_hint_after_a_deleted_copy_does_not_pay_again(run, sim, world):
    task_id = _made(run, world)
    (world.root / "copy.mp4").unlink()  # the copy is cleaned up; a.mp4 is untouched

    again = run("create", "a boat", "-o", "a.mp4")
    if again.exit_code == 0:
        assert len(sim.creates()) == 1
        return
    hint = again.stderr.strip().rsplit(": seedance ", 1)[-1]
    followed = run(*shlex.split(hint))  # the suggested command, as a user would type it
    assert followed.exit_code == 0, followed.stderr
    assert len(sim.creates()) == 1, (
        f"the same request was paid for twice: 'create -o a.mp4' exited {again.exit_code} "
        f"({again.stderr.strip()}) and its hint made a new task ({task_id} was the first)"
    )


def test_the_own_output_is_recognised_after_a_deleted_copy(run, sim, world):
    _made(run, world)
    (world.root / "copy.mp4").unlink()
    video = (world.root / "a.mp4").read_bytes()

    again = run("create", "a boat", "-o", "a.mp4")
    assert again.exit_code == 0, again.stderr
    assert again.stdout.strip().endswith("a.mp4")
    assert (world.root / "a.mp4").read_bytes() == video
    assert len(sim.creates()) == 1


def test_a_stranger_at_the_output_of_a_request_made_is_not_answered_with_a_new_create(
    run, sim, world
):
    task_id = _made(run, world)
    (world.root / "a.mp4").write_text("my own video")  # not the request's video any more

    again = run("create", "a boat", "-o", "a.mp4")
    assert again.exit_code == 2, again.stderr
    line = again.stderr.strip().splitlines()[-1]
    assert task_id in line and "copy.mp4" in line, line  # it was made, and where it is
    hint = shlex.split(line.rsplit(": seedance ", 1)[-1])
    assert "create" not in hint, hint
    followed = run(*hint)
    assert followed.exit_code == 0, followed.stderr
    assert (world.root / "a-2.mp4").read_bytes()[4:8] == b"ftyp"
    assert (world.root / "a.mp4").read_text() == "my own video"
    assert len(sim.creates()) == 1
