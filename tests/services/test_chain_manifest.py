"""chain.json: typed changes, frozen records, the shape version 1 wrote, errors in facts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from seedance.domain.catalogue import Estimate
from seedance.domain.errors import StoryboardError, Suggestion
from seedance.services.storyboards.manifest import (
    MANIFEST,
    SMALL,
    Manifest,
    ManifestData,
    ShotState,
    read_data,
)

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


# -- large manifests: a change appends to chain.json.log, the file is rewritten amortised ------


def large(tmp_path: Path, shots: int = 200) -> Manifest:
    """A manifest whose chain.json is over SMALL: its changes go to the log."""
    manifest = open_as(tmp_path / "shots", tmp_path / "shots.toml", "p")
    for i in range(shots):
        manifest.ensure(f"s{i}", i + 1, f"s{i - 1}" if i else None)
    manifest.save(T0)
    assert manifest.path.stat().st_size > SMALL
    return manifest


def submit(manifest: Manifest, shot_id: str, at: float) -> None:
    manifest.submitted(
        shot_id, at, task_id=f"cgt-{shot_id}", request_hash="h", model="m", estimate=ESTIMATE
    )


def test_a_change_to_a_large_manifest_appends_one_line(tmp_path: Path) -> None:
    manifest = large(tmp_path)
    before = manifest.path.read_bytes()

    submit(manifest, "s7", T0 + 1)

    assert manifest.path.read_bytes() == before  # chain.json itself is not rewritten
    [line] = manifest.log.read_bytes().splitlines()
    assert len(line) < 2048  # one record, whatever the storyboard's size
    assert read_data(manifest.path.parent) == manifest.data
    reopened = open_as(manifest.path.parent, tmp_path / "shots.toml", "p")
    assert reopened.record("s7").state is ShotState.SUBMITTED
    assert reopened.data == manifest.data


def test_the_log_is_folded_into_chain_json_once_as_large_and_at_the_end(
    tmp_path: Path, monkeypatch
) -> None:
    manifest = large(tmp_path)
    size = manifest.path.stat().st_size
    rewrites: list[int] = []
    rewrite = Manifest._rewrite
    monkeypatch.setattr(Manifest, "_rewrite", lambda self: rewrites.append(1) or rewrite(self))
    for i in range(400):  # each shot changed twice
        manifest.blocked(f"s{i % 200}", T0 + i)
        assert not manifest.log.exists() or manifest.log.stat().st_size <= size
    assert 0 < len(rewrites) <= 2  # amortised: far fewer rewrites than changes

    manifest.flush()

    assert not manifest.log.exists()
    document = json.loads(manifest.path.read_text())
    assert ManifestData.model_validate(document) == manifest.data  # the file alone says it all
    assert {r["state"] for r in document["shots"].values()} == {"blocked"}
    assert document["updated_at"] == T0 + 399


def test_a_crash_between_rewrite_and_removing_the_log_loses_nothing(tmp_path: Path) -> None:
    manifest = large(tmp_path)
    submit(manifest, "s1", T0 + 1)
    manifest.done(
        "s1",
        T0 + 2,
        task_id="cgt-s1",
        request_hash="h",
        clip="02-s1.mp4",
        sha256="ab" * 32,
        size=9,
        frame=None,
        frame_sha256=None,
        tokens=1,
        cost=0.1,
    )
    stale_log = manifest.log.read_bytes()
    manifest.flush()  # chain.json rewritten whole...
    manifest.log.write_bytes(stale_log)  # ...and the process died before the log went

    assert read_data(manifest.path.parent) == manifest.data
    assert read_data(manifest.path.parent).shots["s1"].state is ShotState.DONE


def test_a_last_line_cut_short_is_ignored_and_never_followed(tmp_path: Path) -> None:
    manifest = large(tmp_path)
    submit(manifest, "s1", T0 + 1)
    with open(manifest.log, "ab") as log:
        log.write(b'{"id": "s2", "record": {"id": "s2", "ind')  # kill -9 mid-write

    reopened = open_as(manifest.path.parent, tmp_path / "shots.toml", "p")
    assert reopened.record("s1").state is ShotState.SUBMITTED
    assert reopened.record("s2").state is ShotState.PENDING
    submit(reopened, "s3", T0 + 2)  # the next change starts over whole, after no torn line

    assert not reopened.log.exists()
    assert read_data(manifest.path.parent).shots["s3"].state is ShotState.SUBMITTED


def test_a_damaged_log_is_kept_aside_with_its_manifest(tmp_path: Path) -> None:
    manifest = large(tmp_path)
    submit(manifest, "s1", T0 + 1)
    manifest.log.write_bytes(b"not json\n" + manifest.log.read_bytes())

    reopened = open_as(manifest.path.parent, tmp_path / "shots.toml", "p")

    assert reopened.data.shots == {} and reopened.damaged is not None
    kept = sorted(p.name for p in manifest.path.parent.iterdir())
    assert [n.split("-")[0] for n in kept] == ["chain.json.damaged", "chain.json.log.damaged"]


def test_a_failed_append_makes_the_next_write_whole(tmp_path: Path, monkeypatch) -> None:
    import os

    manifest = large(tmp_path)

    def full(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(os, "write", full)
        with pytest.raises(OSError):
            submit(manifest, "s1", T0 + 1)
    manifest.flush()  # the run's end: what failed to reach the disk is written now

    assert not manifest.log.exists()
    assert read_data(manifest.path.parent).shots["s1"].state is ShotState.SUBMITTED


def test_a_restart_never_replays_the_earlier_runs_log(tmp_path: Path) -> None:
    manifest = large(tmp_path)
    submit(manifest, "s1", T0 + 1)
    assert manifest.log.exists()

    fresh_run = Manifest.open(
        manifest.path.parent, storyboard=tmp_path / "shots.toml", profile="p", now=T0, restart=True
    )
    assert read_data(manifest.path.parent).shots["s1"].task_id == "cgt-s1"  # until it writes
    fresh_run.ensure("s1", 1, None)
    fresh_run.save(T0 + 5)

    assert not fresh_run.log.exists()
    assert read_data(manifest.path.parent).shots["s1"].task_id is None


def test_a_small_manifest_is_rewritten_whole_as_version_1_did(tmp_path: Path) -> None:
    manifest = fresh(tmp_path)
    submit(manifest, "dawn", T0 + 1)
    assert not manifest.log.exists()
    assert json.loads(manifest.path.read_text())["shots"]["dawn"]["state"] == "submitted"
