"""Draft, then final, end to end on the simulator: `create --draft` makes the 480p preview,
`seedance finalize DRAFT_ID` makes the final from it (content item draft_task), journaled and
resumable like any create (docs/sources/real-world.md "Request rules")."""

from __future__ import annotations

import json

import pytest

from support import run_process, sim_profiles, without_nonce

DAY = 86400


def draft(run, profile: str, model: str, *more: str) -> str:
    made = run("-p", profile, "create", "a paper boat", "-m", model, "--draft", *more)
    assert made.exit_code == 0, made.stderr
    task_id = made.stdout.strip()
    assert run("-p", profile, "wait", task_id).exit_code == 0
    return task_id


@pytest.mark.parametrize(
    ("profile", "model", "sent", "resolution"),
    [
        ("sim-volcengine", "1.5", "doubao-seedance-1-5-pro-251215", "720p"),
        ("sim-byteplus", "2.5", "dreamina-seedance-2-5-260628", "1080p"),
    ],
)
def test_a_draft_then_its_final(run, sim, world, profile, model, sent, resolution):
    draft_id = draft(run, profile, model, "-d", "5")
    first = sim.creates()[0].json()
    assert (first["model"], first["draft"]) == (sent, True)
    assert "resolution" not in first  # a draft is 480p
    out = run("-p", profile, "--json", "finalize", draft_id, "-r", resolution, "-o", "final")
    assert out.exit_code == 0, out.stderr
    document = json.loads(out.stdout)
    assert document["resolution"] == resolution and document["duration"] == 5
    assert document["download"]["path"].endswith("final.mp4")
    body = without_nonce(sim.creates()[1].json())
    assert body == {
        "model": sent,
        "content": [{"type": "draft_task", "draft_task": {"id": draft_id}}],
        "resolution": resolution,
    }
    assert document["raw"]["draft_task_id"] == draft_id
    assert f"the final of draft {draft_id}" in out.stderr
    local = json.loads(run("tasks", "list", "--local", "--json").stdout)
    assert {e["task_id"] for e in local} == {draft_id, document["id"]}  # both journaled


def test_a_2_5_final_defaults_to_1080p_and_refuses_other_resolutions(run, sim):
    draft_id = draft(run, "sim-byteplus", "2.5")
    refused = run("-p", "sim-byteplus", "finalize", draft_id, "-r", "720p")
    assert refused.exit_code == 2 and "is made at 1080p, 4k, not 720p" in refused.stderr
    dry = run("-p", "sim-byteplus", "finalize", draft_id, "--dry-run", "--json")
    assert dry.exit_code == 0 and json.loads(dry.stdout)["resolution"] == "1080p"
    assert len(sim.creates()) == 1


def test_a_final_in_mov_is_saved_as_mov(run, sim, world):
    draft_id = draft(run, "sim-byteplus", "2.5")
    wrong = run("-p", "sim-byteplus", "finalize", draft_id, "--output-format", "mov", "-o", "f.mp4")
    assert wrong.exit_code == 2 and "name it f.mov" in wrong.stderr
    out = run("-p", "sim-byteplus", "finalize", draft_id, "--output-format", "mov", "-o", "f")
    assert out.exit_code == 0, out.stderr
    assert out.stdout.strip().endswith("f.mov") and (world.root / "f.mov").is_file()
    made = run("-p", "sim-byteplus", "create", "a boat", "-m", "2.5", "--output-format", "mov")
    (world.root / "clips").mkdir()
    saved = run("-p", "sim-byteplus", "wait", made.stdout.strip(), "-o", "clips")
    assert saved.exit_code == 0
    created = run(
        "-p",
        "sim-byteplus",
        "create",
        "a boat",
        "-m",
        "2.5",
        "--output-format",
        "mov",
        "-o",
        "clips",
    )
    assert created.exit_code == 0 and created.stdout.strip().endswith(".mov")


def test_draft_only_where_offered(run, sim):
    out = run("-p", "sim-byteplus", "create", "a boat", "--draft")
    assert out.exit_code == 2 and "has no draft mode" in out.stderr
    assert "dreamina-seedance-2-5-260628" in out.stderr  # the models that can
    assert sim.requests == []


def test_a_draft_older_than_seven_days_is_refused_with_the_reason(run, sim, world):
    draft_id = draft(run, "sim-byteplus", "2.5")
    world.clock.advance(8 * DAY)
    old = run("-p", "sim-byteplus", "finalize", draft_id)
    assert old.exit_code == 2
    assert "the service keeps a draft 7 days" in old.stderr and "8.0 days ago" in old.stderr
    assert len(sim.creates()) == 1


def test_the_server_says_how_old_a_draft_is_when_the_journal_does_not_know_it(run, sim, world):
    draft_id = draft(run, "sim-byteplus", "2.5")
    (world.data_dir / "journal.sqlite3").unlink()  # another machine made it
    world.clock.advance(7 * DAY + 60)
    old = run("-p", "sim-byteplus", "finalize", draft_id)
    assert old.exit_code == 2 and "the service keeps a draft 7 days" in old.stderr


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (["create", "a boat", "-m", "2.5"], "is not a draft"),
        (["create", "a boat", "-m", "2.5", "--draft"], "its final can be made once it has"),
    ],
)
def test_only_a_succeeded_draft_has_a_final(run, sim, make, message):
    task_id = run("-p", "sim-byteplus", *make).stdout.strip()
    if "--draft" not in make:
        run("-p", "sim-byteplus", "wait", task_id)
    out = run("-p", "sim-byteplus", "finalize", task_id)
    assert out.exit_code == 2 and message in out.stderr
    assert len(sim.creates()) == 1


def test_finalize_needs_an_ark_profile(run, sim):
    out = run("-p", "sim-kapon", "finalize", "video_123")
    assert out.exit_code == 2 and "cannot make a final from a draft" in out.stderr


@pytest.mark.parametrize("step", ["create-sending", "create-sent", "create-created"])
def test_a_finalize_killed_mid_create_resumes_without_a_second_task(world, sim_server, step):
    made = run_process(
        world, "-p", "sim-byteplus", "create", "a boat", "-m", "2.5", "--draft", "--wait"
    )
    assert made.exit_code == 0, made.stderr
    draft_id = made.stdout.strip()
    args = ("-p", "sim-byteplus", "finalize", draft_id, "-o", "final.mp4")
    killed = run_process(world, *args, crash_at=step)
    assert killed.exit_code == -9
    resumed = run_process(world, *args)
    assert resumed.exit_code == 0, resumed.stderr
    assert (world.root / "final.mp4").is_file()
    finals = [r for r in sim_server.sim.creates() if "draft_task" in r.body.decode()]
    assert len(finals) == 1  # the final was made once, whatever moment the kill came


def test_the_library_does_the_same(world, sim):

    world.write_profiles(sim_profiles("https://ark.sim.invalid"))
    with world.client(transport=sim.transport()) as client:
        from seedance.domain.models import GenerationParams

        drafted = client.videos.create(
            client.videos.prepare(GenerationParams(prompt="a boat", model="2.5", draft=True))
        )
        client.videos.wait(drafted.id)
        prepared = client.videos.finalize(drafted.id)
        assert prepared.request.draft_task == drafted.id and prepared.estimate is not None
        final = client.videos.wait(client.videos.create(prepared).id)
        assert final.resolution == "1080p"
