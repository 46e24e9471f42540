"""A stale rule never strands a user (issue 26): the November catalogue on the byteplus preset,
the catalogue overlay, --no-validate (named in every refusal from the catalogue, never lifting
a cap), the stale-rule notice, revised_prompt, and the byteplus-eu region probed."""

from __future__ import annotations

import json

import pytest

BOAT = "a paper boat at dawn"


def overlay(world, text: str) -> None:
    path = world.config_dir / "catalogue.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# -- dry runs on the byteplus preset ---------------------------------------------------------


def test_the_november_models_in_dry_runs_on_byteplus(run):
    four_k = run("-p", "byteplus", "--json", "create", BOAT, "-m", "2.5", "-r", "4k", "--dry-run")
    assert four_k.exit_code == 0, four_k.stderr
    assert json.loads(four_k.stdout)["resolution"] == "4k"
    flash = run(
        "-p", "byteplus", "create", BOAT, "-m", "dreamina-seedance-2-5-flash-261115", "--dry-run"
    )
    assert flash.exit_code == 0 and "not in seedance's catalogue" not in flash.stderr
    assert "price" in flash.stderr  # its price is not published: said
    refused = run("-p", "byteplus", "create", BOAT, "-m", "flash", "-r", "1080p", "--dry-run")
    assert refused.exit_code == 2 and "supports 480p, 720p, not 1080p" in refused.stderr
    assert "--no-validate" in refused.stderr and "seedance-2.5-flash.resolutions" in refused.stderr
    premium = run("-p", "byteplus", "--json", "create", BOAT, "-m", "premium", "--dry-run")
    assert premium.exit_code == 0, premium.stderr
    assert json.loads(premium.stdout)["model"] == "dreamina-seedance-2-5-premium-260915"
    assert "dreamina-seedance-2-5-260628 at resolution 4k" in premium.stderr
    strict = run("-p", "byteplus", "create", BOAT, "-m", "premium", "--strict", "--dry-run")
    assert strict.exit_code == 2 and "folded" in strict.stderr


def test_finalize_takes_4k_with_a_notice(run, sim):
    made = run("-p", "sim-byteplus", "create", BOAT, "-m", "2.5", "--draft")
    assert run("-p", "sim-byteplus", "wait", made.stdout.strip()).exit_code == 0
    final = run(
        "-p", "sim-byteplus", "--json", "finalize", made.stdout.strip(), "-r", "4k", "-o", "f"
    )
    assert final.exit_code == 0, final.stderr
    assert json.loads(final.stdout)["resolution"] == "4k"
    assert "the sources disagree" in final.stderr and sim.creates()[-1].json()["resolution"] == "4k"


# -- the overlay -----------------------------------------------------------------------------


def test_an_overlay_that_grants_4k_lets_it_through(run, sim, world):
    refused = run("create", BOAT, "-m", "fast", "-r", "4k", "--dry-run")
    assert refused.exit_code == 2
    overlay(
        world,
        '[sources]\nmine = "the server made 4k with fast (2026-12-07)"\n\n'
        '[families."seedance-2.0-fast"]\nresolutions = ["480p", "720p", "4k"]\n'
        'cite.resolutions = "mine"\n',
    )
    granted = run("--json", "create", BOAT, "-m", "fast", "-r", "4k", "--dry-run")
    assert granted.exit_code == 0, granted.stderr
    assert json.loads(granted.stdout)["resolution"] == "4k"
    cells = json.loads(run("--json", "models", "--sources").stdout)["cells"]
    mine = [c for c in cells if c["overlay"]]
    assert {(c["model"], c["cell"]) for c in mine} == {
        ("dreamina-seedance-2-0-fast-260128", "seedance-2.0-fast.resolutions"),
        ("dreamina-seedance-2-0-mini-260615", "seedance-2.0-fast.resolutions"),
    }
    assert mine[0]["sources"] == {"mine": "the server made 4k with fast (2026-12-07)"}


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[families."seedance-2.0-fast"\n', "not valid TOML"),
        (
            '\n[families."seedance-2.0-fast"]\nresolutions = "4k"\n',
            'line 3: families."seedance-2.0-fast".resolutions',
        ),
        ('[families."seedance-2.0-fast"]\nreslutions = ["4k"]\n', "line 2: families"),
        (
            '[vocabularies.byteplus.models]\n"x-1" = "nope"\n',
            "line 2: vocabularies.byteplus.models.x-1",
        ),
        (
            '[families.mine]\ncite.resolutions = "nowhere"\nbase = "seedance-2.0"\n',
            "no source 'nowhere'",
        ),
    ],
)
def test_a_malformed_overlay_is_one_clear_error(run, sim, world, text, where):
    overlay(world, text)
    out = run("create", BOAT, "--dry-run")
    assert out.exit_code == 2 and where in out.stderr, out.stderr
    assert "catalogue.toml" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert sim.creates() == []


# -- --no-validate ---------------------------------------------------------------------------


def test_no_validate_sends_and_a_server_refusal_is_its_answer(run, sim, world):
    out = run("create", BOAT, "-m", "fast", "-r", "1080p", "--no-validate", "-o", "boat.mp4")
    assert out.exit_code == 3, out.stderr
    assert "InvalidResolutionParameter" in out.stderr
    assert "sent unchecked: the catalogue says" in out.stderr
    posts = [r for r in sim.requests if r.method == "POST" and r.path.endswith("/tasks")]
    assert len(posts) == 1
    assert sim.creates() == [] and not (world.root / "boat.mp4").exists()


def test_no_validate_never_lifts_a_cap(run, sim):
    args = ("create", BOAT, "-m", "fast", "-r", "4k", "--no-validate", "--max-cost", "0.01")
    out = run("--json", *args)
    assert out.exit_code == 2 and json.loads(out.stdout)["error"]["code"] == "over_budget"
    posts = [r for r in sim.requests if r.method == "POST" and r.path.endswith("/tasks")]
    assert posts == [] and sim.creates() == []


def test_a_server_that_accepts_what_the_catalogue_refuses_gets_the_overlay_lines(run, sim, world):
    overlay(world, '[families."seedance-2.0-fast"]\nresolutions = ["480p"]\n')  # now stale
    refused = run("create", BOAT, "-m", "fast", "-r", "720p")
    assert refused.exit_code == 2 and "--no-validate" in refused.stderr
    out = run("create", BOAT, "-m", "fast", "-r", "720p", "--no-validate", "-o", "boat.mp4")
    assert out.exit_code == 0, out.stderr
    assert "the catalogue is stale there" in out.stderr
    notice = out.stderr[out.stderr.index("add these lines to") :].splitlines()[1:]
    lines = "\n".join(notice[: next(i for i, x in enumerate(notice) if x.startswith("cgt-"))])
    assert '[vocabularies.byteplus.overrides."seedance-2.0-fast"]' in lines
    assert '"720p"' in lines and lines.startswith("[sources]")
    (world.config_dir / "catalogue.toml").write_text(lines + "\n")
    again = run("create", BOAT, "-m", "fast", "-r", "720p", "--dry-run")
    assert again.exit_code == 0, again.stderr  # recorded: no override needed any more


# -- revised_prompt --------------------------------------------------------------------------


def test_status_json_and_the_manifests_show_the_revised_prompt(run, sim, world):
    sim.config.revised_prompts = True
    made = run("--json", "create", BOAT, "-o", "boat.mp4")
    assert made.exit_code == 0, made.stderr
    document = json.loads(made.stdout)
    assert document["revised_prompt"].startswith(BOAT)
    status = run("status", document["id"])
    assert "revised prompt:" in status.stdout and BOAT in status.stdout
    (world.root / "jobs.jsonl").write_text(json.dumps({"id": "one", "prompt": BOAT}) + "\n")
    assert run("batch", "jobs.jsonl").exit_code == 0
    batch = json.loads((world.root / "jobs" / "batch.json").read_text())
    assert batch["rows"][0]["takes"][0]["revised_prompt"].startswith(BOAT)
    (world.root / "s.toml").write_text(f'[[shots]]\nid = "a"\nprompt = "{BOAT}"\n')
    assert run("chain", "s.toml").exit_code == 0
    chain = json.loads((world.root / "s" / "chain.json").read_text())
    assert chain["shots"]["a"]["revised_prompt"].startswith(BOAT)


# -- byteplus-eu -----------------------------------------------------------------------------


def test_byteplus_eu_says_plainly_when_no_seedance_model_answers(run, sim_server):
    sim = sim_server.sim
    sim.config.open_models = ()  # as BytePlus's model list says of eu-west-1
    doctor = run("-p", "sim-byteplus-eu", "--json", "doctor")
    assert doctor.exit_code != 0
    checks = {c["check"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["region"]["status"] == "fail"  # probed without --probe-models: it is free
    assert "no Seedance model answers on" in checks["region"]["detail"]
    assert "byteplus preset" in checks["region"]["hint"]
    out = run("-p", "sim-byteplus-eu", "create", BOAT, "-o", "boat.mp4")
    assert out.exit_code == 3 and "no Seedance model answers on" in out.stderr
    assert "byteplus preset" in out.stderr and sim.creates() == []
    sim.config.open_models = None  # the probe decides, not the preset
    assert run("-p", "sim-byteplus-eu", "create", BOAT, "-o", "boat.mp4").exit_code == 0


def test_storyboards_and_batches_name_and_take_no_validate(run, sim, world):
    (world.root / "jobs.jsonl").write_text(
        json.dumps({"id": "a", "prompt": BOAT, "model": "fast", "resolution": "1080p"}) + "\n"
    )
    (world.root / "s.toml").write_text(
        f'[[shots]]\nid = "a"\nprompt = "{BOAT}"\nmodel = "fast"\nresolution = "1080p"\n'
    )
    for command in (("batch", "jobs.jsonl"), ("chain", "s.toml")):
        refused = run("--json", *command, "--dry-run")
        assert refused.exit_code == 2
        error = json.loads(refused.stdout)["error"]
        assert error["rule"]["name"] == "seedance-2.0-fast.resolutions"
        assert "--no-validate" in refused.stderr
        sent = run(*command, "--dry-run", "--no-validate")
        assert sent.exit_code == 0, sent.stderr
        assert "sent unchecked: the catalogue says" in sent.stderr
    assert sim.creates() == []
