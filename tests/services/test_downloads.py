"""Downloads that survive: `.part` files, resuming with Range/If-Range, expired URLs, disk space."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest
from pytest_httpx import HTTPXMock

from seedance.domain.clock import FakeClock
from seedance.domain.errors import ExitStatus, SeedanceError, UsageError
from seedance.providers.base import DownloadSource
from seedance.providers.http import BearerAuth, HttpClient, origin_of
from seedance.services.videos import downloads
from seedance.services.videos.downloads import check_destination, download, part_paths
from seedance.sim.objectstore import synthetic_bytes
from support import KEYS, World

VIDEO = b"".join(synthetic_bytes(102_400))  # an MP4 file's first boxes, then a pattern
ETAG = '"5d41402abc4b2a76b9719d911017c592"'
RESULT = "https://ark-content-generation-ap-southeast-1.tos-ap-southeast-1.volces.com"
VIDEO_URL = f"{RESULT}/cgt-1/video.mp4?X-Tos-Expires=86400&X-Tos-Signature=aaa"
FRESH_URL = f"{RESULT}/cgt-1/video.mp4?X-Tos-Expires=86400&X-Tos-Signature=bbb"
IDENTITY = "cgt-1:video"
EXPIRED_XML = (
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
    "<Message>Request has expired</Message></Error>"
)
BYTEPLUS = "https://ark.ap-southeast.bytepluses.com/api/v3"


class CutStream(httpx.SyncByteStream):
    """The first `keep` bytes of a body, then (optionally) a dropped connection."""

    def __init__(self, data: bytes, keep: int, *, drop: bool) -> None:
        self.data, self.keep, self.drop = data, keep, drop

    def __iter__(self) -> Iterator[bytes]:
        yield self.data[: self.keep]
        if self.drop:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


class ResultHost:
    """An object store serving one file: honours `Range` + `If-Range` unless told otherwise.

    `cuts` lists, answer by answer, how many bytes to send before the body stops short;
    `if_range=False` answers a Range whatever the If-Range (a CDN that ignores it); `shift`
    moves the start of a 206 away from the one asked for.
    """

    def __init__(
        self,
        data: bytes = VIDEO,
        *,
        cuts: list[int] | None = None,
        drop: bool = True,
        ignore_range: bool = False,
        etag: str = ETAG,
        if_range: bool = True,
        shift: int = 0,
    ) -> None:
        self.data = data
        self.cuts = list(cuts or [])
        self.drop = drop
        self.ignore_range = ignore_range
        self.etag = etag
        self.if_range = if_range
        self.shift = shift

    def __call__(self, request: httpx.Request) -> httpx.Response:
        size = len(self.data)
        headers = {"ETag": self.etag, "Content-Type": "video/mp4", "Accept-Ranges": "bytes"}
        start, status = 0, 200
        asked = request.headers.get("Range")
        current = request.headers.get("If-Range") == self.etag or not self.if_range
        if asked and not self.ignore_range and current:
            start = int(asked.removeprefix("bytes=").rstrip("-")) + self.shift
            if start >= size:
                return httpx.Response(416, headers={"Content-Range": f"bytes */{size}"})
            status = 206
            headers["Content-Range"] = f"bytes {start}-{size - 1}/{size}"
        body = self.data[start:]
        headers["Content-Length"] = str(len(body))
        if self.cuts:
            stream: httpx.SyncByteStream = CutStream(body, self.cuts.pop(0), drop=self.drop)
        else:
            stream = httpx.ByteStream(body)
        return httpx.Response(status, headers=headers, stream=stream)


class Sources:
    """The source function `download` calls; records whether each call was for an expired URL."""

    def __init__(self, *urls: str) -> None:
        self.urls = list(urls)
        self.calls: list[bool] = []

    def __call__(self, expired: bool) -> DownloadSource:
        self.calls.append(expired)
        return DownloadSource(self.urls[min(len(self.calls), len(self.urls)) - 1], False)


def http_client() -> HttpClient:
    return HttpClient(
        credentials={origin_of(BYTEPLUS): BearerAuth(KEYS["ARK_API_KEY"])},
        clock=FakeClock(),
        jitter=lambda: 1.0,
    )


def serve(httpx_mock: HTTPXMock, host: ResultHost, url: str = VIDEO_URL) -> None:
    httpx_mock.add_callback(host, url=url, is_reusable=True)


def fetch(dest: Path, sources: Sources | None = None) -> Any:
    return download(http_client(), sources or Sources(VIDEO_URL), dest, identity=IDENTITY)


def leave_part(dest: Path, data: bytes, **info: Any) -> None:
    """What an earlier, killed download left: the bytes so far and (optionally) its sidecar,
    which vouches for those bytes as the download does (the file's identity and SHA-256)."""
    part, meta = part_paths(dest)
    part.write_bytes(data)
    if info:
        found = part.stat()
        vouched = {
            "size": found.st_size,
            "inode": found.st_ino,
            "mtime_ns": found.st_mtime_ns,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        meta.write_text(json.dumps({**vouched, **info}))


def assert_complete(dest: Path, result: Any) -> None:
    assert dest.read_bytes() == VIDEO
    assert result.bytes == len(VIDEO)
    assert result.sha256 == hashlib.sha256(VIDEO).hexdigest()
    assert result.path == str(dest)
    assert not any(p.exists() for p in part_paths(dest))


def range_headers(request: httpx.Request) -> tuple[str | None, str | None]:
    return request.headers.get("Range"), request.headers.get("If-Range")


# -- the happy path --------------------------------------------------------------------------


def test_download_writes_a_part_file_then_renames(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    serve(httpx_mock, ResultHost())
    dest = tmp_path / "clip.mp4"
    seen: list[tuple[bool, bool]] = []

    def progress(received: int, total: int | None) -> None:
        seen.append((part_paths(dest)[0].exists(), dest.exists()))
        assert total == len(VIDEO)

    result = download(
        http_client(), Sources(VIDEO_URL), dest, identity=IDENTITY, on_progress=progress
    )

    assert_complete(dest, result)
    assert seen and all(seen_part and not seen_dest for seen_part, seen_dest in seen)
    [request] = httpx_mock.get_requests()
    assert range_headers(request) == (None, None)


# -- resuming --------------------------------------------------------------------------------


@pytest.mark.parametrize("drop", [True, False], ids=["connection-dropped", "short-body"])
def test_a_cut_off_body_is_resumed_with_range_and_if_range(
    tmp_path: Path, httpx_mock: HTTPXMock, drop: bool
) -> None:
    serve(httpx_mock, ResultHost(cuts=[40_000], drop=drop))
    dest = tmp_path / "clip.mp4"

    result = fetch(dest)

    assert_complete(dest, result)
    first, second = httpx_mock.get_requests()
    assert range_headers(first) == (None, None)
    assert range_headers(second) == ("bytes=40000-", ETAG)


def test_a_body_cut_twice_is_resumed_twice(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    serve(httpx_mock, ResultHost(cuts=[10_000, 30_000]))
    dest = tmp_path / "clip.mp4"

    assert_complete(dest, fetch(dest))
    assert [r.headers.get("Range") for r in httpx_mock.get_requests()] == [
        None,
        "bytes=10000-",
        "bytes=40000-",
    ]


def test_a_server_ignoring_range_restarts_the_file_cleanly(
    tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    serve(httpx_mock, ResultHost(cuts=[40_000], ignore_range=True))
    dest = tmp_path / "clip.mp4"

    result = fetch(dest)

    assert_complete(dest, result)
    assert range_headers(httpx_mock.get_requests()[1]) == ("bytes=40000-", ETAG)


def test_416_for_a_complete_part_finishes_it(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    serve(httpx_mock, ResultHost())
    dest = tmp_path / "clip.mp4"
    leave_part(dest, VIDEO, identity=IDENTITY, etag=ETAG, total=len(VIDEO))

    result = fetch(dest)

    assert_complete(dest, result)
    [request] = httpx_mock.get_requests()
    assert range_headers(request) == (f"bytes={len(VIDEO)}-", ETAG)


def test_a_part_from_a_killed_process_is_resumed(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    serve(httpx_mock, ResultHost())
    dest = tmp_path / "clip.mp4"
    leave_part(dest, VIDEO[:60_000], identity=IDENTITY, etag=ETAG, total=len(VIDEO))

    result = fetch(dest)

    assert_complete(dest, result)
    [request] = httpx_mock.get_requests()
    assert range_headers(request) == ("bytes=60000-", ETAG)


@pytest.mark.parametrize(
    "info",
    [{"identity": "cgt-2:video", "etag": ETAG, "total": len(VIDEO)}, {}],
    ids=["another-identity", "no-metadata"],
)
def test_a_strangers_part_is_discarded_not_resumed(
    tmp_path: Path, httpx_mock: HTTPXMock, info: dict[str, Any]
) -> None:
    serve(httpx_mock, ResultHost())
    dest = tmp_path / "clip.mp4"
    leave_part(dest, b"\xff" * 60_000, **info)

    result = fetch(dest)

    assert_complete(dest, result)
    [request] = httpx_mock.get_requests()
    assert range_headers(request) == (None, None)


# -- never a stranger's bytes: the .part and the resource are both identified (issue 14) ------

NEW_VIDEO = bytes(reversed(VIDEO))
NEW_ETAG = '"8f14e45fceea167a5a36dedd4bea2543"'


class Stopped(Exception):
    """The process stopped mid-download (Ctrl-C, a kill): what it left is on disk."""


def stop_after_first_chunk(received: int, total: int | None) -> None:
    raise Stopped


def interrupted(dest: Path, host: ResultHost | None = None) -> Path:
    """A download that stopped after its first chunk; the `.part` it left."""
    with pytest.raises(Stopped):
        download(
            http_client(),
            Sources(VIDEO_URL),
            dest,
            identity=IDENTITY,
            on_progress=stop_after_first_chunk,
        )
    part, _ = part_paths(dest)
    assert part.exists()
    return part


@pytest.mark.parametrize("how", ["another-file-renamed-over-it", "rewritten-in-place"])
def test_issue14_line6_a_part_replaced_by_another_file_restarts(
    tmp_path: Path, httpx_mock: HTTPXMock, how: str
) -> None:
    serve(httpx_mock, ResultHost(cuts=[40_000]))
    dest = tmp_path / "clip.mp4"
    part = interrupted(dest)
    stranger = b"\x00" * len(VIDEO)  # another file, of the expected length
    if how == "another-file-renamed-over-it":
        other = tmp_path / "other.bin"
        other.write_bytes(stranger)
        os.replace(other, part)
    else:
        with open(part, "r+b") as fh:  # same inode, like `cp other clip.mp4.part`
            fh.write(stranger)

    result = fetch(dest)

    assert_complete(dest, result)
    assert range_headers(httpx_mock.get_requests()[-1]) == (None, None)  # from zero


def test_issue14_line7_a_206_with_a_new_etag_restarts_instead_of_splicing(
    tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    host = ResultHost(cuts=[40_000])
    serve(httpx_mock, host)
    dest = tmp_path / "clip.mp4"
    interrupted(dest)
    # the object was replaced, and its host answers a Range without honouring If-Range
    host.data, host.etag, host.if_range = NEW_VIDEO, NEW_ETAG, False

    result = fetch(dest)

    assert dest.read_bytes() == NEW_VIDEO
    assert result.sha256 == hashlib.sha256(NEW_VIDEO).hexdigest()
    *_, refused, restarted = httpx_mock.get_requests()
    assert range_headers(refused) == ("bytes=40000-", ETAG)
    assert range_headers(restarted) == (None, None)


def test_a_206_not_starting_where_the_part_ends_is_not_spliced(
    tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    host = ResultHost(cuts=[40_000], shift=1_000)
    serve(httpx_mock, host)
    dest = tmp_path / "clip.mp4"

    result = fetch(dest)

    assert_complete(dest, result)
    assert [range_headers(r)[0] for r in httpx_mock.get_requests()] == [
        None,
        "bytes=40000-",  # answered from 41000: thrown away, started over
        None,
    ]


def test_a_206_of_another_length_is_not_spliced(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    host = ResultHost(cuts=[40_000])
    serve(httpx_mock, host)
    dest = tmp_path / "clip.mp4"
    interrupted(dest)
    host.data = VIDEO + b"more"  # same ETag (a broken host), other length

    result = fetch(dest)

    assert dest.read_bytes() == VIDEO + b"more"
    assert result.bytes == len(VIDEO) + 4


def test_a_part_written_past_its_last_checkpoint_resumes_from_the_checkpoint(
    tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    serve(httpx_mock, ResultHost(cuts=[40_000]))
    dest = tmp_path / "clip.mp4"
    part = interrupted(dest)
    with open(part, "ab") as fh:  # a kill -9 between a write and the next checkpoint
        fh.write(VIDEO[40_000:50_000])

    result = fetch(dest)

    assert_complete(dest, result)
    assert range_headers(httpx_mock.get_requests()[-1]) == ("bytes=40000-", ETAG)


def test_a_sidecar_from_an_older_seedance_restarts_the_download(
    tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    serve(httpx_mock, ResultHost())
    dest = tmp_path / "clip.mp4"
    part, meta = part_paths(dest)
    part.write_bytes(b"\xff" * len(VIDEO))  # it vouches for nothing about the file
    meta.write_text(json.dumps({"identity": IDENTITY, "etag": ETAG, "total": len(VIDEO)}))

    result = fetch(dest)

    assert_complete(dest, result)
    [request] = httpx_mock.get_requests()
    assert range_headers(request) == (None, None)


class EndlessStream(httpx.SyncByteStream):
    """A body that never ends and never says its length (bounded: the test fails instead)."""

    def __init__(self, budget: int = 32 * 2**20) -> None:
        self.budget = budget

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        while sent < self.budget:
            yield b"\0" * 65536
            sent += 65536
        raise AssertionError("the download kept reading an endless body")


def endless(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, headers={"ETag": ETAG}, stream=EndlessStream())


def test_issue14_line8_an_endless_body_is_cut_off_with_an_error_naming_the_path(
    world: World, httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(downloads, "MAX_UNKNOWN_LENGTH", 4 * 2**20, raising=False)
    serve_task(httpx_mock, SUCCEEDED)
    httpx_mock.add_callback(endless, url=VIDEO_URL)

    outcome = world.run("-p", "byteplus", "download", "cgt-1", "-o", "clip.mp4")

    assert outcome.exit_code == 3, outcome.stderr  # the result host misbehaved
    [line] = [x for x in outcome.stderr.splitlines() if x.startswith("error:")]
    assert str(world.root / "clip.mp4.part") in line
    assert "without saying how long" in line
    assert "SEEDANCE_CONFIG_DIR" not in line and "config" not in line.lower()
    assert not list(world.root.glob("clip.mp4*"))  # the 4 MiB it wrote are removed


def test_an_endless_body_is_cut_off_at_max_bytes(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_callback(endless, url=VIDEO_URL)
    dest = tmp_path / "clip.mp4"

    with pytest.raises(SeedanceError) as caught:
        download(http_client(), Sources(VIDEO_URL), dest, identity=IDENTITY, max_bytes=2**20)

    assert caught.value.code == "download_too_large"
    assert not list(tmp_path.iterdir())


def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writes to the `.part` fail as on a full disk."""

    def no_room(fd: int, data: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(downloads, "write_all", no_room)


def test_issue14_line8_a_full_disk_names_the_file_and_does_not_blame_the_config(
    world: World, httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_task(httpx_mock, SUCCEEDED)
    serve(httpx_mock, ResultHost())
    full_disk(monkeypatch)

    outcome = world.run("-p", "byteplus", "download", "cgt-1", "-o", "clip.mp4")

    assert outcome.exit_code == 7, outcome.stderr  # a local failure; the same command resumes
    [line] = [x for x in outcome.stderr.splitlines() if x.startswith("error:")]
    assert str(world.root / "clip.mp4.part") in line and "disk is full" in line
    assert "SEEDANCE_CONFIG_DIR" not in line and "config" not in line.lower()


# -- expired result URLs ---------------------------------------------------------------------


def test_an_expired_url_is_replaced_by_a_fresh_one(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=VIDEO_URL,
        status_code=403,
        text=EXPIRED_XML,
        headers={"Content-Type": "application/xml"},
    )
    serve(httpx_mock, ResultHost(), FRESH_URL)
    sources = Sources(VIDEO_URL, FRESH_URL)
    dest = tmp_path / "clip.mp4"

    result = fetch(dest, sources)

    assert_complete(dest, result)
    assert sources.calls == [False, True]
    assert [str(r.url) for r in httpx_mock.get_requests()] == [VIDEO_URL, FRESH_URL]


def test_a_cut_off_download_resumes_from_the_fresh_url(
    tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_callback(ResultHost(cuts=[30_000]), url=VIDEO_URL)
    httpx_mock.add_response(url=VIDEO_URL, status_code=403, text=EXPIRED_XML)
    serve(httpx_mock, ResultHost(), FRESH_URL)
    dest = tmp_path / "clip.mp4"

    result = fetch(dest, Sources(VIDEO_URL, FRESH_URL))

    assert_complete(dest, result)
    *_, last = httpx_mock.get_requests()
    assert str(last.url) == FRESH_URL
    assert range_headers(last) == ("bytes=30000-", ETAG)


def test_a_url_that_stays_expired_gives_up(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=VIDEO_URL, status_code=403, text=EXPIRED_XML, is_reusable=True)

    with pytest.raises(SeedanceError) as caught:
        fetch(tmp_path / "clip.mp4")

    assert caught.value.exit_status is ExitStatus.API
    assert caught.value.code == "result_expired"


# -- destinations and disk space -------------------------------------------------------------


def test_check_destination_refuses_an_existing_file_unless_forced(tmp_path: Path) -> None:
    dest = tmp_path / "clip.mp4"
    dest.write_bytes(b"mine")

    with pytest.raises(UsageError, match="already exists"):
        check_destination(dest, force=False)
    check_destination(dest, force=True)


@pytest.mark.parametrize(
    ("name", "message"), [(".", "is a directory"), ("missing/clip.mp4", "does not exist")]
)
def test_check_destination_refuses_what_cannot_be_written(
    tmp_path: Path, name: str, message: str
) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        check_destination(tmp_path / name, force=True)

    assert caught.value.exit_status is ExitStatus.USAGE


class DiskUsage(NamedTuple):
    total: int
    used: int
    free: int


def no_space(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "disk_usage", lambda path: DiskUsage(10**9, 10**9 - 4096, 4096))


def test_not_enough_disk_space_is_a_one_line_local_error(
    tmp_path: Path, httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve(httpx_mock, ResultHost())
    no_space(monkeypatch)
    dest = tmp_path / "clip.mp4"

    with pytest.raises(SeedanceError) as caught:
        fetch(dest)

    assert caught.value.exit_status is ExitStatus.LOCAL  # the task exists: exit 7, not 2
    assert "not enough free space" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert not dest.exists()


# -- through the CLI: the API host gets the key, the result host never does ------------------

SUCCEEDED = {
    "id": "cgt-1",
    "status": "succeeded",
    "content": {"video_url": VIDEO_URL},
    "created_at": 1781181681,
}


def serve_task(httpx_mock: HTTPXMock, *answers: dict[str, Any]) -> None:
    for answer in answers:
        httpx_mock.add_response(url=f"{BYTEPLUS}/contents/generations/tasks/cgt-1", json=answer)


def test_cli_download_sends_the_key_only_to_the_api(world: World, httpx_mock: HTTPXMock) -> None:
    serve_task(httpx_mock, SUCCEEDED)
    serve(httpx_mock, ResultHost(cuts=[50_000]))

    outcome = world.run("-p", "byteplus", "download", "cgt-1", "-o", "clip.mp4")

    assert outcome.exit_code == 0, outcome.stderr
    assert (world.root / "clip.mp4").read_bytes() == VIDEO
    api, *results = httpx_mock.get_requests()
    assert api.headers["Authorization"] == f"Bearer {KEYS['ARK_API_KEY']}"
    assert [r.url.host for r in results] == [httpx.URL(RESULT).host] * 2
    assert all("Authorization" not in r.headers for r in results)


def test_cli_download_refreshes_an_expired_url(world: World, httpx_mock: HTTPXMock) -> None:
    serve_task(httpx_mock, SUCCEEDED, {**SUCCEEDED, "content": {"video_url": FRESH_URL}})
    httpx_mock.add_response(url=VIDEO_URL, status_code=403, text=EXPIRED_XML)
    serve(httpx_mock, ResultHost(), FRESH_URL)

    outcome = world.run("-p", "byteplus", "download", "cgt-1", "-o", "clip.mp4", "--json")

    assert outcome.exit_code == 0, outcome.stderr
    doc = json.loads(outcome.stdout)
    assert doc["download"]["sha256"] == hashlib.sha256(VIDEO).hexdigest()
    assert doc["download"]["bytes"] == len(VIDEO)


def test_cli_download_without_disk_space_exits_7_with_one_error_line(
    world: World, httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_task(httpx_mock, SUCCEEDED)
    serve(httpx_mock, ResultHost())
    no_space(monkeypatch)

    outcome = world.run("-p", "byteplus", "download", "cgt-1", "-o", "clip.mp4")

    assert outcome.exit_code == 7  # a local failure once the task exists: running again resumes
    [line] = [x for x in outcome.stderr.splitlines() if x.startswith("error:")]
    assert "not enough free space" in line
    assert not (world.root / "clip.mp4").exists()


def test_cli_download_refuses_an_existing_file_before_any_request(
    world: World, httpx_mock: HTTPXMock
) -> None:
    (world.root / "clip.mp4").write_bytes(b"mine")

    outcome = world.run("-p", "byteplus", "download", "cgt-1", "-o", "clip.mp4")

    assert outcome.exit_code == 2
    assert "already exists" in outcome.stderr
    assert not httpx_mock.get_requests()
    assert (world.root / "clip.mp4").read_bytes() == b"mine"
