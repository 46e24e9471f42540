"""What a download does for durability while the bytes arrive: written bytes synced by a helper
thread during the transfer (a failed sync fails the download), one fsync of the complete file
before the rename, and checkpoints that vouch only for bytes already hashed."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pytest_httpx import HTTPXMock

from seedance.domain.clock import FakeClock
from seedance.domain.errors import LocalError
from seedance.providers.base import DownloadSource
from seedance.providers.http import HttpClient
from seedance.services.videos import downloads
from seedance.services.videos.downloads import download, part_paths

PIECE = 64 * 1024
VIDEO = hashlib.sha256(b"seed").digest() * (48 * PIECE // 32)  # 3 MiB, 48 pieces
URL = "https://results.example.com/cgt-1/video.mp4?X-Tos-Signature=aaa"
IDENTITY = "cgt-1:video"
WAIT = 10  # seconds a piece may wait for the flushing thread (bounded: the test fails instead)


class Pieces(httpx.SyncByteStream):
    """The body in 64 KiB pieces; after `hold_at` pieces, it waits (bounded) for `ready`."""

    def __init__(self, ready: threading.Event | None = None, hold_at: int = 0) -> None:
        self.ready, self.hold_at = ready, hold_at

    def __iter__(self) -> Iterator[bytes]:
        for n, at in enumerate(range(0, len(VIDEO), PIECE)):
            if self.ready is not None and n == self.hold_at:
                assert self.ready.wait(WAIT), "the flushing thread never synced"
            yield VIDEO[at : at + PIECE]


def serve(httpx_mock: HTTPXMock, stream: Pieces) -> None:
    headers = {"ETag": '"e1"', "Content-Length": str(len(VIDEO))}
    httpx_mock.add_response(url=URL, headers=headers, stream=stream)


def fetch(dest: Path) -> downloads.DownloadResult:
    http = HttpClient(credentials={}, clock=FakeClock(), jitter=lambda: 1.0)
    return download(http, lambda _expired: DownloadSource(URL, False), dest, identity=IDENTITY)


@pytest.fixture
def small_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sync asked for every 4 pieces, a checkpoint every 2."""
    monkeypatch.setattr(downloads, "FLUSH_EVERY", 4 * PIECE)
    monkeypatch.setattr(downloads, "CHECKPOINT", 2 * PIECE)
    monkeypatch.setattr(downloads, "MAX_CHECKPOINT", 2 * PIECE)


@pytest.mark.usefixtures("small_steps")
def test_written_bytes_are_synced_during_the_transfer_and_the_file_fsynced_before_the_rename(
    tmp_path: Path, httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "clip.mp4"
    part, _ = part_paths(dest)
    events: list[tuple[str, int]] = []
    synced = threading.Event()

    def datasync(fd: int) -> None:
        events.append(("datasync", os.fstat(fd).st_size))
        synced.set()

    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        real_fsync(fd)
        events.append(("fsync", os.fstat(fd).st_size))

    def replace(src: Path, dst: Path) -> None:
        events.append(("replace", Path(src).stat().st_size))
        real_replace(src, dst)

    monkeypatch.setattr(downloads, "_datasync", datasync)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    serve(httpx_mock, Pieces(synced, hold_at=12))

    result = fetch(dest)

    assert dest.read_bytes() == VIDEO and result.sha256 == hashlib.sha256(VIDEO).hexdigest()
    syncs = [size for what, size in events if what == "datasync"]
    assert syncs and 0 < syncs[0] < len(VIDEO)  # while the body was still arriving
    # after the helper's syncs: exactly one fsync, of the complete file, then the rename
    tail = [e for e in events if e[0] != "datasync"]
    assert tail == [("fsync", len(VIDEO)), ("replace", len(VIDEO))]
    assert events.index(("fsync", len(VIDEO))) > max(
        i for i, e in enumerate(events) if e[0] == "datasync"
    )
    assert not part.exists()


@pytest.mark.usefixtures("small_steps")
def test_a_sync_that_fails_in_the_helper_thread_fails_the_download_and_publishes_nothing(
    tmp_path: Path, httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Linux, a failed write-back is reported once per open file: the helper's sync may be
    the only one to hear of it, so the download must not go on to the rename."""
    dest = tmp_path / "clip.mp4"
    failed = threading.Event()

    def datasync(fd: int) -> None:
        failed.set()
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(downloads, "_datasync", datasync)
    serve(httpx_mock, Pieces(failed, hold_at=12))

    with pytest.raises(LocalError) as caught:
        fetch(dest)

    assert str(part_paths(dest)[0]) in caught.value.message
    assert os.strerror(errno.EIO) in caught.value.message
    assert not dest.exists()


def test_a_short_download_starts_no_flushing_thread(
    tmp_path: Path, httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(downloads, "_datasync", lambda fd: pytest.fail("synced a 3 MiB file"))
    monkeypatch.setattr(downloads, "FLUSH_EVERY", len(VIDEO) + 1)
    serve(httpx_mock, Pieces())

    fetch(tmp_path / "clip.mp4")

    assert not any(t.name == "flush" for t in threading.enumerate())


@pytest.mark.usefixtures("small_steps")
def test_every_checkpoint_vouches_only_for_bytes_on_disk_whose_hash_it_records(
    tmp_path: Path, httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checkpoints during the transfer do not wait for the hashing thread: each may cover
    fewer bytes than the file holds, never bytes other than those it hashed."""
    dest = tmp_path / "clip.mp4"
    part, _ = part_paths(dest)
    seen: list[tuple[int, int]] = []
    write = downloads._Sidecar.write

    def checked(self: downloads._Sidecar, info: downloads.PartInfo) -> None:
        on_disk = part.read_bytes()
        assert info.size <= len(on_disk)
        assert hashlib.sha256(on_disk[: info.size]).hexdigest() == info.sha256
        seen.append((info.size, len(on_disk)))
        write(self, info)

    monkeypatch.setattr(downloads._Sidecar, "write", checked)
    serve(httpx_mock, Pieces())

    fetch(dest)

    during = [size for size, _ in seen if 0 < size < len(VIDEO)]
    assert len(during) >= 10  # every two pieces
    assert seen[-1] == (len(VIDEO), len(VIDEO))  # the last one, settled, covers the file


def test_a_part_past_a_lagging_checkpoint_resumes_from_the_checkpoint(
    tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    """A kill -9 right after a checkpoint that covered fewer bytes than were written."""
    dest = tmp_path / "clip.mp4"
    part, meta = part_paths(dest)
    part.write_bytes(VIDEO[: 10 * PIECE])
    found = part.stat()
    vouched = VIDEO[: 8 * PIECE]
    info = {
        "identity": IDENTITY,
        "etag": '"e1"',
        "total": len(VIDEO),
        "size": len(vouched),
        "inode": found.st_ino,
        "mtime_ns": found.st_mtime_ns,
        "sha256": hashlib.sha256(vouched).hexdigest(),
    }
    meta.write_text(json.dumps(info))
    rest = VIDEO[len(vouched) :]
    headers = {
        "ETag": '"e1"',
        "Content-Length": str(len(rest)),
        "Content-Range": f"bytes {len(vouched)}-{len(VIDEO) - 1}/{len(VIDEO)}",
    }
    httpx_mock.add_response(url=URL, status_code=206, headers=headers, content=rest)

    result = fetch(dest)

    assert dest.read_bytes() == VIDEO and result.sha256 == hashlib.sha256(VIDEO).hexdigest()
    [request] = httpx_mock.get_requests()
    assert request.headers["Range"] == f"bytes={len(vouched)}-"
