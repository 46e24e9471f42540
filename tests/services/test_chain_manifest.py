"""chain.json: typed changes, frozen records, the shape version 1 wrote, errors in facts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from seedance.domain.catalogue import Estimate
from seedance.domain.errors import StoryboardError, Suggestion
from seedance.services.chain.manifest import MANIFEST, Manifest, ManifestData, ShotState

FIXTURES = Path(__file__).parent / "fixtures" / "v1"
T0 = 1_781_181_681.0
ESTIMATE = Estimate(tokens=108900, price_per_million=7.0, currency="USD", approximate=False)


@pytest.mark.parametrize("which", ["complete", "interrupted"])
def test_a_v1_manifest_reads_and_writes_back_unchanged(tmp_path: Path, which: str) -> None:
    text = (FIXTURES / which / MANIFEST).read_text()
    data = ManifestData.model_validate_json(text)
    assert all(type(r.state) is ShotState for r in data.shots.values())

    Manifest(tmp_path, data).save(data.updated_at)

    assert json.loads((tmp_path / MANIFEST).read_text()) == json.loads(text)


def open_as(directory: Path, storyboard: Path, profile: str) -> Manifest:
    return Manifest.open(directory, storyboard=storyboard, profile=profile, now=T0, restart=False)


def fresh(tmp_path: Path) -> Manifest:
    manifest = open_as(tmp_path / "shots", tmp_path / "shots.toml", "p")
    manifest.ensure("dawn", 1, None)
    manifest.ensure("bridge", 2, "dawn")
    manifest.save(T0)
    return manifest


def written(manifest: Manifest) -> dict[str, dict[str, object]]:
    shots: dict[str, dict[str, object]] = json.loads(manifest.path.read_text())["shots"]
    return shots


def test_each_change_is_written_before_it_returns(tmp_path: Path) -> None:
    manifest = fresh(tmp_path)
    v1_fields = list(json.loads((FIXTURES / "complete" / MANIFEST).read_text())["shots"]["dawn"])

    manifest.submitted(
        "dawn", T0 + 1, task_id="cgt-1", request_hash="h1", model="m", estimate=ESTIMATE
    )
    submitted = written(manifest)["dawn"]
    manifest.done(
        "dawn",
        T0 + 20,
        task_id="cgt-1",
        request_hash="h2",
        clip="01-dawn.mp4",
        sha256="ab" * 32,
        size=99,
        frame="01-dawn.last.png",
        frame_sha256="cd" * 32,
        tokens=108900,
        cost=0.7623,
    )
    done = written(manifest)["dawn"]

    assert submitted["state"] == "submitted" and submitted["task_id"] == "cgt-1"
    assert (submitted["submitted_at"], submitted["estimated_cost"]) == (T0 + 1, 0.7623)
    assert (done["state"], done["clip"], done["bytes"], done["finished_at"]) == (
        "done",
        "01-dawn.mp4",
        99,
        T0 + 20,
    )
    assert done["request_hash"] == "h1"  # what the shot asked for when it was sent
    assert done["submitted_at"] == T0 + 1 and done["error"] is None
    assert list(done) == v1_fields  # the record's shape is version 1's
    assert json.loads(manifest.path.read_text())["updated_at"] == T0 + 20


def test_failures_errors_and_blocks_keep_their_reason(tmp_path: Path) -> None:
    manifest = fresh(tmp_path)

    manifest.failed("dawn", T0 + 5, code="OutputVideoSensitiveContentDetected", message="no")
    manifest.blocked("bridge", T0 + 5)
    failed, blocked = written(manifest)["dawn"], written(manifest)["bridge"]
    manifest.error("dawn", T0 + 6, code="network", message="cut")

    assert failed["state"] == "failed" and failed["finished_at"] == T0 + 5
    assert failed["error"] == {"code": "OutputVideoSensitiveContentDetected", "message": "no"}
    assert blocked["state"] == "blocked" and blocked["error"] is None
    assert manifest.record("dawn").state is ShotState.ERROR
    assert manifest.record("dawn").error == {"code": "network", "message": "cut"}


def test_records_are_frozen_and_each_change_makes_a_new_one(tmp_path: Path) -> None:
    manifest = fresh(tmp_path)
    before = manifest.record("dawn")

    with pytest.raises(ValidationError):
        before.state = ShotState.DONE  # type: ignore[misc]
    manifest.blocked("dawn", T0 + 1)

    assert before.state is ShotState.PENDING  # a reader's copy never changes under it
    assert manifest.record("dawn").state is ShotState.BLOCKED


def test_a_damaged_manifest_is_kept_aside_and_a_fresh_one_begun(tmp_path: Path) -> None:
    (tmp_path / "shots").mkdir()
    (tmp_path / "shots" / MANIFEST).write_text("{not json")

    manifest = open_as(tmp_path / "shots", tmp_path / "shots.toml", "p")

    assert manifest.data.shots == {} and manifest.data.profile == "p"
    assert manifest.damaged is not None and manifest.damaged.read_text() == "{not json"
    assert manifest.damaged.name.startswith(f"{MANIFEST}.damaged-")
    assert not (tmp_path / "shots" / MANIFEST).exists()  # written again by the run


def test_another_profiles_manifest_suggests_another_directory(tmp_path: Path) -> None:
    fresh(tmp_path)
    board = tmp_path / "shots.toml"
    chosen = tmp_path / "elsewhere" / "out"  # not the default directory: the step names it
    chosen.mkdir(parents=True)
    (chosen / MANIFEST).write_text((tmp_path / "shots" / MANIFEST).read_text())

    with pytest.raises(StoryboardError) as default:
        open_as(tmp_path / "shots", board, "q")
    with pytest.raises(StoryboardError) as elsewhere:
        open_as(chosen, board, "q")

    assert "belongs to a run on profile 'p', not 'q'" in default.value.message
    assert default.value.suggestion == Suggestion.of(
        "chain", str(board), output=str(tmp_path / "shots-q")
    )
    assert elsewhere.value.suggestion == Suggestion.of(
        "chain", str(board), output=str(tmp_path / "elsewhere" / "out-q")
    )
    assert open_as(tmp_path / "shots", board, "p").record("bridge").parent == "dawn"
