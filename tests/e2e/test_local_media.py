"""Local media end to end (issue 27): published to the user's bucket (moto's S3 server on
loopback) as presigned URLs the simulator fetches, audio inline on Ark, and every reference
checked against the API's bounds before anything is sent."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from media_files import big_png, big_wav, video, wav
from seedance.domain.clock import SystemClock
from seedance.sim.app import API_ORIGIN
from support import png, sim_profiles

SIGNED = "X-Amz-Signature"


def with_storage(
    world: Any, s3: Any, bucket: str, *profiles: str, origin: str = API_ORIGIN, **more: Any
) -> None:
    """sim-* profiles publishing to `bucket` on the test's S3 server, its keys in the
    environment (as AWS tools read them)."""
    document = sim_profiles(origin)
    for name in profiles:
        document["profiles"][name].update(
            storage=f"s3://{bucket}/media", storage_endpoint=s3.url, **more
        )
    world.write_profiles(document)
    world.environ["AWS_ACCESS_KEY_ID"], world.environ["AWS_SECRET_ACCESS_KEY"] = s3.keys


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def media_urls(request: Any) -> list[str]:
    body = request.json()
    return [
        item[item["type"]]["url"]
        for item in body.get("content", [])
        if item.get("type") in ("image_url", "video_url", "audio_url")
    ]


def journal_text(world: Any) -> str:
    """Everything the journal holds, as SQL text."""
    import sqlite3

    connection = sqlite3.connect(world.data_dir / "journal.sqlite3")
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


# -- published to the bucket ------------------------------------------------------------------


def test_a_local_reference_video_on_ark_is_uploaded_once_and_sent_as_a_presigned_url(
    world, run, sim, s3
):
    with_storage(world, s3, s3.bucket("ark-video"), "sim-byteplus")
    clip = video(world.root / "clip.mp4")
    key = f"media/{sha(clip)}.mp4"

    first = run("-p", "sim-byteplus", "create", "a dance", "--video", "clip.mp4", "-o", "a.mp4")

    assert first.exit_code == 0, first.stderr
    assert "uploading clip.mp4" in first.stderr
    assert list(s3.objects("ark-video")) == [key]
    [create] = sim.creates()
    [url] = media_urls(create)
    assert url.startswith(f"{s3.url}/ark-video/{key}?") and SIGNED in url
    assert sim.fetched == [url]  # the simulated API downloaded it from the bucket
    # the secret stays on the wire: the journal and the messages name the object instead
    assert SIGNED not in journal_text(world) and f"s3://ark-video/{key}" in journal_text(world)
    assert SIGNED not in first.stderr + first.stdout
    uploaded = s3.objects("ark-video")

    again = run("-p", "sim-byteplus", "create", "a dance", "--video", "clip.mp4", "-o", "a.mp4")

    assert again.exit_code == 0, again.stderr
    assert "uploading" not in again.stderr and "already" in again.stderr
    assert s3.objects("ark-video") == uploaded  # nothing uploaded again
    assert len(sim.creates()) == 1  # a new presigned URL, the same request: not paid twice


def test_a_local_image_on_an_asset_only_gateway_is_published_once_then_made_an_asset(
    world, run, sim, s3
):
    with_storage(world, s3, s3.bucket("gateway-image"), "sim-phanedge")
    (world.root / "look.png").write_bytes(png(640, 360))
    key = f"media/{sha(world.root / 'look.png')}.png"

    first = run("-p", "sim-phanedge", "create", "a look", "--image", "look.png", "-o", "g.mp4")

    assert first.exit_code == 0, first.stderr
    assert list(s3.objects("gateway-image")) == [key]
    made = [r for r in sim.requests if r.arg("Action") == "CreateAsset"]
    [asset_url] = [r.json()["URL"] for r in made]
    assert asset_url.startswith(f"{s3.url}/gateway-image/{key}?") and SIGNED in asset_url
    assert sim.fetched == [asset_url]  # the asset library downloaded it
    [create] = sim.creates()
    assert [u.split("-")[0] for u in media_urls(create)] == ["asset://asset"]
    cache = (world.data_dir / "assets.json").read_text()
    assert SIGNED not in cache and SIGNED not in first.stderr
    uploaded = s3.objects("gateway-image")

    again = run("-p", "sim-phanedge", "create", "a look", "--image", "look.png", "-o", "g2.mp4")

    assert again.exit_code == 0, again.stderr
    assert s3.objects("gateway-image") == uploaded
    assert len([r for r in sim.requests if r.arg("Action") == "CreateAsset"]) == 1
    assert len(sim.creates()) == 2


def test_storage_cleanup_deletes_the_object_once_the_video_is_made(world, run, sim, s3):
    with_storage(world, s3, s3.bucket("cleaned"), "sim-byteplus", storage_cleanup=True)
    video(world.root / "clip.mp4")

    made = run("-p", "sim-byteplus", "create", "x", "--video", "clip.mp4", "-o", "c.mp4")

    assert made.exit_code == 0, made.stderr
    assert len(sim.fetched) == 1
    assert s3.objects("cleaned") == {}
    assert "deleted s3://cleaned/media/" in made.stderr


def test_credentials_that_end_before_the_task_s_lifetime_are_warned_about(world, run, sim, s3):
    import datetime as dt

    with_storage(world, s3, s3.bucket("short-lived"), "sim-byteplus")
    soon = dt.datetime.fromtimestamp(world.clock.time() + 3600, dt.UTC)
    world.environ["AWS_SESSION_TOKEN"] = "a-session-token"
    world.environ["AWS_CREDENTIAL_EXPIRATION"] = soon.isoformat()
    video(world.root / "clip.mp4")

    made = run("-p", "sim-byteplus", "create", "x", "--video", "clip.mp4", "-o", "c.mp4")

    assert made.exit_code == 0, made.stderr
    assert "credentials expire in 1.0 h" in made.stderr
    assert "a-session-token" not in made.stderr


# -- audio inline -----------------------------------------------------------------------------


def test_local_audio_on_ark_goes_inline_and_is_made(world, run, sim):
    wav(world.root / "voice.wav", seconds=3)

    made = run(
        "-p", "sim-byteplus", "create", "a song", "--audio", "voice.wav",
        "-m", "dreamina-seedance-2-5-260628", "-o", "song.mp4",
    )  # fmt: skip

    assert made.exit_code == 0, made.stderr
    [create] = sim.creates()
    [url] = media_urls(create)
    assert url.startswith("data:audio/wav;base64,UklGR")  # RIFF
    assert "data:audio/wav;base64,sha256:" in journal_text(world)  # its hash, not its bytes


def test_local_audio_where_no_source_says_it_goes_inline_is_refused_naming_the_cell(
    world, run, sim
):
    wav(world.root / "voice.wav", seconds=3)

    refused = run(
        "-p", "sim-opeai", "create", "a song", "--audio", "voice.wav", "--image",
        "https://example.com/a.png", "--json",
    )  # fmt: skip

    assert refused.exit_code == 2
    error = json.loads(refused.stdout)["error"]
    assert error["rule"]["name"] == "media.audio_inline"
    assert "cannot be sent inline" in error["message"]
    assert sim.creates() == []


# -- preflight: refused before anything is sent -----------------------------------------------


def _slow_small(root: Path) -> str:
    video(root / "slow.mp4", width=640, height=360, fps=12)
    return "slow.mp4"


def _av1(root: Path) -> str:
    video(root / "av1.mp4", codec="libsvtav1")
    return "av1.mp4"


CASES = {
    "pixels and frame rate": (
        ["--video", _slow_small],
        [
            "slow.mp4: 640x360 is 230,400 pixels; a reference video has 407,696 to 8,295,044",
            "its frame rate is 12 fps; a reference video has 24 to 60 fps",
        ],
        "media.video_pixels",
    ),
    "codec": (
        ["--video", _av1],
        ["av1.mp4: its video is AV1; a reference video is H.264 or H.265"],
        "media.video_codecs",
    ),
    "audio size": (
        ["--audio", lambda root: big_wav(root / "long.wav", 30_000_000).name, "--image",
         "https://example.com/a.png"],
        ["long.wav: it is 28.6 MB; a reference audio is at most 15.0 MB"],
        "media.audio_max_bytes",
    ),
    "body size": (
        [a for n in (1, 2, 3) for a in ("--image", lambda r, n=n: big_png(r / f"{n}.png", 2480).name)],  # noqa: E501
        ["the request body is 70.4 MB; the API takes at most 64.0 MB"],
        "media.body_max_bytes",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_a_reference_out_of_the_api_s_bounds_is_refused_before_anything_is_sent(
    world, run, sim, s3, case
):
    with_storage(world, s3, s3.bucket(f"refused-{list(CASES).index(case)}"), "sim-byteplus")
    given, facts, rule = CASES[case]
    args = [a(world.root) if callable(a) else a for a in given]

    refused = run("-p", "sim-byteplus", "create", "x", *args, "-o", "x.mp4", "--json")

    assert refused.exit_code == 2, refused.stderr
    error = json.loads(refused.stdout)["error"]
    for fact in facts:
        assert fact in error["message"]
    assert error["rule"]["name"] == rule and error["rule"]["source"]
    assert sim.creates() == [] and sim.fetched == []
    assert s3.objects(f"refused-{list(CASES).index(case)}") == {}  # nothing uploaded either


def test_a_file_that_is_not_a_video_is_refused_as_one(world, run, sim):
    (world.root / "notes.mp4").write_text("not a video at all")

    refused = run("-p", "sim-byteplus", "create", "x", "--video", "notes.mp4", "-o", "x.mp4")

    assert refused.exit_code == 2
    assert "notes.mp4: it cannot be read as a video" in refused.stderr
    assert sim.creates() == []


def test_fit_re_encodes_the_video_into_one_the_simulator_accepts(world, run, sim, s3):
    with_storage(world, s3, s3.bucket("fitted"), "sim-byteplus")
    _slow_small(world.root)

    sent_as_is = run(
        "-p", "sim-byteplus", "create", "x", "--video", "slow.mp4", "-o", "a.mp4",
        "--no-validate",
    )  # fmt: skip
    assert sent_as_is.exit_code == 3  # the simulator's own table refuses it
    assert "407696" in sent_as_is.stderr

    fitted = run("-p", "sim-byteplus", "create", "x", "--video", "slow.mp4", "-o", "b.mp4", "--fit")

    assert fitted.exit_code == 0, fitted.stderr
    assert "re-encoded slow.mp4 to fit the API's bounds (640x360 -> 852x480, 12 -> 24 fps)" in (
        fitted.stderr
    )
    created = sim.creates()[-1]
    [url] = media_urls(created)
    assert sim.fetched[-1] == url
    assert re.search(r"/fitted/media/[0-9a-f]{64}\.mp4\?", url)

    again = run("-p", "sim-byteplus", "create", "x", "--video", "slow.mp4", "-o", "b.mp4", "--fit")

    assert again.exit_code == 0 and "uploading" not in again.stderr
    assert len(sim.creates()) == 1  # the fitted copy is the same file: the same request


def test_the_library_checks_fits_and_publishes_through_client_videos(world, sim, s3):
    """The same features from Python: `client.videos` refuses the medium, `fit=True` (a
    per-call option) sends the re-encoded copy from the bucket, and the bucket's objects are
    let go once the video is made (storage_cleanup)."""
    from seedance import ValidationError

    with_storage(world, s3, s3.bucket("library"), "sim-byteplus", storage_cleanup=True)
    _slow_small(world.root)
    with world.client() as client:
        with pytest.raises(ValidationError) as refused:
            client.videos.prepare(prompt="x", videos=["slow.mp4"], base_dir=world.root)
        assert refused.value.rule is not None and refused.value.rule.name == "media.video_pixels"
        assert sim.creates() == [] and s3.objects("library") == {}

        made = client.videos.generate(
            prompt="x", videos=["slow.mp4"], base_dir=world.root, fit=True, output=world.root
        )

    assert made.video.bytes > 0
    [url] = media_urls(sim.creates()[0])
    assert sim.fetched == [url] and re.search(r"/library/media/[0-9a-f]{64}\.mp4\?", url)
    assert s3.objects("library") == {}  # deleted once the video was made
    assert SIGNED not in journal_text(world)


def test_without_pyav_a_video_is_checked_for_its_size_only_and_told_so(
    world, run, sim, monkeypatch
):
    import sys

    _slow_small(world.root)
    with (world.root / "huge.mp4").open("wb") as out:
        out.truncate(210 * 2**20)  # sparse: over 200 MB without writing it
    monkeypatch.setitem(sys.modules, "av", None)  # PyAV missing

    unmeasured = run(
        "-p", "sim-byteplus", "create", "x", "--video", "https://example.com/v.mp4",
        "--audio", "https://example.com/a.wav", "--dry-run",
    )  # fmt: skip
    assert unmeasured.exit_code == 0, unmeasured.stderr

    sized = run("-p", "sim-byteplus", "create", "x", "--video", "slow.mp4", "--dry-run")
    assert sized.exit_code == 0, sized.stderr
    assert "PyAV is not installed" in sized.stderr and "size only" in sized.stderr

    big = run("-p", "sim-byteplus", "create", "x", "--video", "huge.mp4", "--dry-run")
    assert big.exit_code == 2
    assert "huge.mp4: it is 210.0 MB; a reference video is at most 200.0 MB" in big.stderr


# -- storyboards and batches: every medium before the first paid row --------------------------


def test_a_storyboard_checks_every_medium_before_its_first_shot_is_paid(world, run, sim):
    _slow_small(world.root)
    (world.root / "shots.toml").write_text(
        '[defaults]\nduration = 5\n\n[[shots]]\nid = "one"\nprompt = "first"\n\n'
        '[[shots]]\nid = "two"\nprompt = "second"\ncontinue = false\nvideos = ["slow.mp4"]\n'
    )

    refused = run("-p", "sim-byteplus", "chain", "shots.toml")

    assert refused.exit_code == 2, refused.stderr
    assert "slow.mp4: 640x360 is 230,400 pixels" in refused.stderr
    assert sim.creates() == []


def test_a_batch_checks_every_medium_before_its_first_row_is_paid(world, run, sim):
    big_wav(world.root / "long.wav", 30_000_000)
    rows = [
        {"id": "fine", "prompt": "a fine one"},
        {"id": "loud", "prompt": "x", "audios": ["long.wav"], "images": ["https://e.com/a.png"]},
    ]
    (world.root / "jobs.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")

    refused = run("-p", "sim-byteplus", "batch", "jobs.jsonl")

    assert refused.exit_code == 2, refused.stderr
    assert "long.wav: it is 28.6 MB; a reference audio is at most 15.0 MB" in refused.stderr
    assert sim.creates() == []


def test_a_storyboard_s_last_frames_reach_an_asset_only_gateway_through_the_bucket(
    world, run, sim, s3
):
    with_storage(world, s3, s3.bucket("frames"), "sim-kapon")
    document = sim_profiles(API_ORIGIN)
    kapon = document["profiles"]["sim-kapon"]
    del kapon["upload_cmd"]  # the bucket alone publishes the frame
    kapon.update(storage="s3://frames/media", storage_endpoint=s3.url)
    world.write_profiles(document)
    (world.root / "two.toml").write_text(
        '[[shots]]\nid = "a"\nprompt = "x"\n[[shots]]\nid = "b"\nprompt = "y"\n'
    )

    result = run("-p", "sim-kapon", "chain", "two.toml")

    assert result.exit_code == 0, result.stderr
    [frame] = s3.objects("frames")
    assert frame.endswith(".png")
    second = sim.creates()[1].json()
    assert second["input_reference"][0].startswith("asset://")
    assert sim.fetched and all(SIGNED in url for url in sim.fetched)
    for written in (world.root / "two").rglob("*"):
        if written.is_file() and written.suffix in (".json", ".html"):
            assert SIGNED not in written.read_text(errors="replace"), written


# -- doctor -----------------------------------------------------------------------------------


def test_doctor_checks_the_bucket_for_free(world, run, sim_server, s3):
    world.clock = SystemClock()  # the server's Date header is compared with it
    with_storage(world, s3, s3.bucket("doctor-ok"), "sim-byteplus", origin=sim_server.api_url)

    checked = run("-p", "sim-byteplus", "doctor", "--json")

    assert checked.exit_code == 0, checked.stdout
    report = json.loads(checked.stdout)
    [storage] = [c for c in report["checks"] if c["check"] == "storage"]
    assert storage["status"] == "warn", storage  # fetches, but 127.0.0.1 is not public
    assert "a presigned URL fetches" in storage["detail"]
    assert sim_server.sim.creates() == [] and s3.objects("doctor-ok") == {}


def test_doctor_reports_a_wrong_storage_credential_without_spending(world, run, sim_server):
    from s3server import S3Server

    world.clock = SystemClock()
    with S3Server(auth=True) as checked_s3:
        checked_s3.bucket("doctor-auth")
        with_storage(world, checked_s3, "doctor-auth", "sim-byteplus", origin=sim_server.api_url)
        world.environ["AWS_SECRET_ACCESS_KEY"] = "not-the-secret"

        report = run("-p", "sim-byteplus", "doctor")

    assert report.exit_code == 3, report.stdout
    [line] = [x for x in report.stdout.splitlines() if x.startswith("storage")]
    assert "bucket doctor-auth" in line and "HTTP 403" in line, line
    assert "not-the-secret" not in report.stdout + report.stderr
    assert sim_server.sim.creates() == []
