"""How a storyboard shot takes its parent's last frame, decided at plan time so no storyboard
sends a body the API refuses (a first frame beside reference media is a 400:
docs/sources/real-world.md "Request rules"); drafts and finals of a whole storyboard; models
the catalogue does not know, probed for free before anything is paid."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).parents[2] / "examples"


def board(world, name: str, text: str | None = None) -> Path:
    path = world.root / f"{name}.toml"
    if text is None:
        shutil.copy(EXAMPLES / f"{name}.toml", path)
    else:
        path.write_text(text)
    if not (world.root / "media").exists():
        shutil.copytree(EXAMPLES / "media", world.root / "media")
    return path


def roles(body: dict[str, Any]) -> list[str]:
    return [item["role"] for item in body["content"] if "role" in item]


def refused_creates(sim) -> int:
    """Create requests the simulator answered with an error (it records only those it made)."""
    ends = ("/tasks", "/v1/videos", "/v1/video/generations")
    posts = [r for r in sim.requests if r.method == "POST" and r.path.endswith(ends)]
    return len(posts) - len(sim.creates())


def plan_of(run, *args: str) -> dict[str, Any]:
    out = run("chain", *args, "--dry-run", "--json")
    assert out.exit_code == 0, out.stderr
    return {s["id"]: s for s in json.loads(out.stdout)["shots"]}


def test_the_references_example_runs_with_no_refused_body(run, sim, world):
    board(world, "references")
    shots = plan_of(run, "references.toml")
    assert [shots[s]["continuity"] for s in ("lantern", "sky", "village")] == [
        None,
        "reference",
        None,
    ]
    result = run("chain", "references.toml")
    assert result.exit_code == 0, result.stderr
    assert refused_creates(sim) == 0 and len(sim.creates()) == 3
    bodies = {b["content"][0]["text"][:12]: b for b in (r.json() for r in sim.creates())}
    sky = bodies["The lantern "]
    assert roles(sky) == ["reference_image", "reference_image"]  # its own first: "Image 1"
    assert "/frames/" in sky["content"][2]["image_url"]["url"]


MIXED = """
[defaults]
model = "2.0"
duration = 5

[[shots]]
id = "open"
prompt = "A paper boat on calm water"
first_frame = "media/lantern.png"

[[shots]]
id = "styled"
prompt = "The boat, drawn in the style of Image 1"
images = ["https://example.com/style.png"]

[[shots]]
id = "plain"
prompt = "The boat drifts on"

[[shots]]
id = "voiced"
prompt = "The boat speaks"
audios = ["https://example.com/voice.mp3"]
images = ["https://example.com/face.png"]

[[shots]]
id = "own"
after = "plain"
continuity = "none"
first_frame = "media/lantern.png"
prompt = "A new morning"

[[shots]]
id = "forced"
after = "open"
continuity = "reference"
prompt = "Back to the start"
"""


def test_a_storyboard_mixing_frames_and_references(run, sim, world):
    board(world, "mixed", MIXED)
    shots = plan_of(run, "mixed.toml")
    assert {k: v["continuity"] for k, v in shots.items()} == {
        "open": None,
        "styled": "reference",
        "plain": "frame",
        "voiced": "reference",
        "own": "none",
        "forced": "reference",
    }
    text = run("chain", "mixed.toml", "--dry-run")
    assert "after open: its last frame as a reference image" in text.stdout
    assert "after styled: its last frame as the first frame" in text.stdout
    assert "after plain: no frame taken" in text.stdout
    assert sim.requests == []
    result = run("chain", "mixed.toml")
    assert result.exit_code == 0, result.stderr
    assert refused_creates(sim) == 0 and len(sim.creates()) == 6
    bodies = {b["content"][0]["text"]: b for b in (r.json() for r in sim.creates())}
    assert roles(bodies["A paper boat on calm water"]) == ["first_frame"]
    assert roles(bodies["The boat, drawn in the style of Image 1"]) == ["reference_image"] * 2
    assert roles(bodies["The boat drifts on"]) == ["first_frame"]
    assert roles(bodies["The boat speaks"]) == [
        "reference_image",
        "reference_image",
        "reference_audio",
    ]
    assert roles(bodies["A new morning"]) == ["first_frame"]  # its own, none from 'plain'
    assert roles(bodies["Back to the start"]) == ["reference_image"]
    record = json.loads((world.root / "mixed" / "chain.json").read_text())["shots"]
    assert all(r["state"] == "done" for r in record.values())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[shots]]\nid = "a"\nprompt = "x"\n[[shots]]\nid = "b"\nprompt = "y"\n'
            "images = [" + ", ".join(f'"https://e.com/{i}.png"' for i in range(9)) + "]",
            "its 9 reference images already fill dreamina-seedance-2-0-260128's limit of 9",
        ),
        (
            '[[shots]]\nid = "a"\nprompt = "x"\n[[shots]]\nid = "b"\nprompt = "y"\n'
            'continuity = "frame"\nimages = ["https://e.com/1.png"]',
            "a first frame cannot be sent with reference media",
        ),
        (
            '[[shots]]\nid = "a"\nprompt = "x"\ncontinuity = "frame"',
            "it has no shot to continue from",
        ),
        ('[[shots]]\nid = "a"\nprompt = "x"\ncontinuity = "sideways"', "continuity"),
    ],
)
def test_a_continuity_the_api_would_refuse_is_refused_at_plan_time(run, sim, world, text, message):
    board(world, "bad", text)
    result = run("chain", "bad.toml")
    assert result.exit_code == 2, result
    assert message in result.stderr and "bad.toml" in result.stderr
    assert sim.requests == []


def test_a_dialect_without_frames_continues_with_a_reference_image(run, sim, world):
    """kapon's /v1/videos has no frame roles: the last frame goes as a reference (an asset,
    published by the profile's upload_cmd, since kapon takes media only as assets)."""
    from support import sim_profiles

    profiles = sim_profiles("https://ark.sim.invalid")
    profiles["profiles"]["sim-kapon"]["upload_cmd"] = "echo https://cdn.example.com/{name}"
    world.write_profiles(profiles)
    board(world, "two", '[[shots]]\nid = "a"\nprompt = "x"\n[[shots]]\nid = "b"\nprompt = "y"')
    assert plan_of(run, "-p", "sim-kapon", "two.toml")["b"]["continuity"] == "reference"
    result = run("-p", "sim-kapon", "chain", "two.toml")
    assert result.exit_code == 0, result.stderr
    second = sim.creates()[1].json()
    assert second["input_reference"][0].startswith("asset://")
    assert refused_creates(sim) == 0


# -- drafts and finals of a storyboard -------------------------------------------------------

STORY = """
[defaults]
model = "2.5"
resolution = "1080p"
duration = 5

[[shots]]
id = "dawn"
prompt = "A paper boat at dawn"

[[shots]]
id = "bridge"
prompt = "The boat drifts under a bridge"

[[shots]]
id = "city"
continue = false
prompt = "Night skyline"
"""


def test_a_storyboard_drafted_then_finalized(run, sim, world):
    board(world, "story", STORY)
    drafts = run("chain", "story.toml", "--draft")
    assert drafts.exit_code == 0, drafts.stderr
    drafted = json.loads((world.root / "story" / "drafts" / "chain.json").read_text())["shots"]
    assert all(r["state"] == "done" for r in drafted.values())
    assert all(r.json()["draft"] is True and "resolution" not in r.json() for r in sim.creates())
    plan = run("chain", "story.toml", "--finalize", "--dry-run")
    assert plan.exit_code == 0, plan.stderr
    assert f"final of draft {drafted['dawn']['task_id']}" in plan.stdout
    assert f"final of draft {drafted['city']['task_id']}" in plan.stdout
    assert "made anew, after dawn (its final): its last frame as the first frame" in plan.stdout
    assert "total: 3 shots to make" in plan.stdout and "≈ $" in plan.stdout
    finals = run("chain", "story.toml", "--finalize")
    assert finals.exit_code == 0, finals.stderr
    made = [r.json() for r in sim.creates()[3:]]
    by_kind = {("final" if b["content"][0]["type"] == "draft_task" else "anew"): b for b in made}
    assert len(made) == 3
    finals_of = [
        b["content"][0]["draft_task"]["id"] for b in made if b["content"][0]["type"] == "draft_task"
    ]
    assert sorted(finals_of) == sorted([drafted["dawn"]["task_id"], drafted["city"]["task_id"]])
    anew = by_kind["anew"]
    assert anew["resolution"] == "1080p" and "draft" not in anew
    record = json.loads((world.root / "story" / "chain.json").read_text())["shots"]
    dawn_final = record["dawn"]["task_id"]
    frame = next(i for i in anew["content"] if i.get("role") == "first_frame")
    assert f"/frames/{dawn_final}.png" in frame["image_url"]["url"]  # the final's, not the draft's


def test_finalize_needs_the_drafts_and_an_unchanged_storyboard(run, sim, world):
    board(world, "story", STORY)
    missing = run("chain", "story.toml", "--finalize")
    assert missing.exit_code == 2 and "no drafts were made" in missing.stderr
    assert "--draft" in missing.stderr
    assert run("chain", "story.toml", "--draft").exit_code == 0
    (world.root / "story.toml").write_text(STORY.replace("at dawn", "at dusk"))
    changed = run("chain", "story.toml", "--finalize")
    assert changed.exit_code == 2 and "changed since its draft was made" in changed.stderr
    assert "--draft --rerun dawn" in changed.stderr
    assert len(sim.creates()) == 3


def test_chain_draft_on_a_model_without_drafts_is_refused(run, sim, world):
    board(world, "plain", '[[shots]]\nid = "a"\nprompt = "x"')
    out = run("chain", "plain.toml", "--draft")
    assert out.exit_code == 2 and "has no draft mode" in out.stderr
    assert sim.requests == []


# -- models the catalogue does not know; prices it does not know -----------------------------


UNKNOWN = '[defaults]\nmodel = "{model}"\n[[shots]]\nid = "a"\nprompt = "x"\n'


def test_an_unknown_model_is_probed_before_anything_is_paid(run, sim, world):
    board(world, "new", UNKNOWN.format(model="dreamina-seedance-9-0-991231"))
    plan = run("chain", "new.toml", "--dry-run")
    assert plan.exit_code == 0 and "not in seedance's catalogue" in plan.stderr
    result = run("chain", "new.toml")
    assert result.exit_code == 3
    assert "does not exist for this key" in result.stderr and "nothing was made" in result.stderr
    assert sim.creates() == []
    strict = run("chain", "new.toml", "--strict")
    assert strict.exit_code == 2 and "strict mode" in strict.stderr


def test_an_unknown_model_the_account_can_use_runs(run, sim, world):
    sim.config.endpoints["ep-20260101-abc"] = "dreamina-seedance-2-0-260128"
    board(world, "endpoint", UNKNOWN.format(model="ep-20260101-abc"))
    result = run("chain", "endpoint.toml")
    assert result.exit_code == 0, result.stderr
    probes = [r for r in sim.requests if r.method == "POST" and "content" not in r.json()]
    assert len(probes) == 1 and len(sim.creates()) == 1


def test_a_cost_cap_refuses_what_it_cannot_price_unless_allowed(run, sim, world):
    sim.config.endpoints["ep-20260101-abc"] = "dreamina-seedance-2-0-260128"
    board(world, "endpoint", UNKNOWN.format(model="ep-20260101-abc"))
    capped = run("chain", "endpoint.toml", "--max-cost", "5")
    assert capped.exit_code == 2 and "no price is known for shot a" in capped.stderr
    assert "--allow-unpriced" in capped.stderr and sim.requests == []
    allowed = run("chain", "endpoint.toml", "--max-cost", "5", "--allow-unpriced")
    assert allowed.exit_code == 0, allowed.stderr


def test_volcengine_2_0_has_prices_for_a_cost_cap(run, sim, world):
    """docs/sources/live-research.md §2: CNY prices for the 2.0 family."""
    board(world, "cn", '[defaults]\nmodel = "2.0"\n[[shots]]\nid = "a"\nprompt = "x"\nduration = 5')
    out = run("-p", "sim-volcengine", "chain", "cn.toml", "--max-cost", "100", "--dry-run")
    assert out.exit_code == 0, out.stderr
    assert "≈ ¥5.01" in out.stdout  # 108,900 tokens at ¥46 per million


def test_a_draft_runs_next_steps_keep_the_draft_mode(run, sim, world):
    board(world, "story", STORY)
    assert run("chain", "story.toml", "--draft").exit_code == 0
    (world.root / "story.toml").write_text(STORY.replace("Night skyline", "Night skyline, rain"))
    again = run("chain", "story.toml", "--draft")
    assert again.exit_code == 2 and "changed since it ran" in again.stderr
    assert f"chain {world.root / 'story.toml'} --draft --rerun city" in again.stderr
    assert " -o " not in again.stderr  # the drafts live in the default place
