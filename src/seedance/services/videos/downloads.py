"""Downloads that survive and never splice: stream to `NAME.part`, resume after a cut, rename
when complete.

- `NAME.part.json` (the sidecar) says what the `.part` holds: which download (`identity`),
  which resource (its ETag / Last-Modified and length) and which file: the `.part`'s inode,
  size and mtime and the SHA-256 of those bytes, checkpointed every 1-16 MiB and whenever an
  attempt ends. A resume (`Range` + `If-Range`) starts only from bytes the sidecar vouches
  for; anything else (another file put in its place, bytes rewritten, a sidecar from another
  download) starts from zero.
- An answer is spliced onto the `.part` only when it is a 206 of the same resource (same
  validator, same length) starting exactly where the `.part` ends; otherwise the download
  starts over. A server that ignores Range (200) restarts the file cleanly.
- The length is checked against Content-Length / Content-Range before the rename; a body of
  unknown length is cut off at `max_bytes` (4 GiB).
- The SHA-256 is computed as the bytes arrive; one fsync before the atomic rename, so a
  `.part` is never mistaken for a result. While a large body arrives, a helper thread syncs
  what is already written (`_Flushing`), so that the final fsync has little left to do.
- A pre-signed URL that expired (401/403) is replaced by asking the provider again.
- Free disk space is checked before writing; a failed write names the file (exit 7: running
  the same command again resumes).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import queue
import shutil
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import httpx

from seedance.domain.clock import Clock
from seedance.domain.errors import (
    APIError,
    BadResponseError,
    DeadlinePassedError,
    LocalError,
    NetworkError,
    Suggestion,
    UsageError,
)
from seedance.domain.models import DownloadResult
from seedance.domain.server_text import clean_text
from seedance.providers import deadline
from seedance.providers.base import DownloadSource
from seedance.providers.http import HttpClient, body_pieces
from seedance.services import crashpoints

CHUNK = 1024 * 1024
# bytes between two updates of the sidecar: 1 MiB at first, then an eighth of what this attempt
# wrote, up to 16 MiB
CHECKPOINT = 1024 * 1024
MAX_CHECKPOINT = 16 * 1024 * 1024
HASH_AHEAD = 2  # pieces written but not yet hashed, at most (see _Hashing)
# bytes written between two requests to the flushing thread to sync what is written so far
# (see _Flushing): smaller than a download that is worth it, larger than a short clip
FLUSH_EVERY = 8 * 1024 * 1024
MAX_ATTEMPTS = 6
MAX_REFRESHES = 2
SPACE_MARGIN = 16 * 1024 * 1024
MAX_UNKNOWN_LENGTH = 4 * 1024**3  # a body that does not say its length is cut off here
# A body that trickles (never idle long enough for the socket's timeout) is given up when
# less than SLOW_BYTES arrive in SLOW_WINDOW seconds, like curl's --speed-limit: the attempt
# ends, the `.part` is kept, the next attempt resumes it (at most MAX_ATTEMPTS of them). Only
# a window of SLOW_PIECES reads or more is judged: a small file in a read or two is not slow.
SLOW_WINDOW = 120.0
SLOW_BYTES = 120 * 1024  # 1 KiB/s on average
SLOW_PIECES = 8
DOWNLOAD_FAILED = "download_failed"  # the result host refused it (404, 410, ...)

SourceFn = Callable[[bool], DownloadSource]  # called with True when the last URL expired
ProgressFn = Callable[[int, int | None], None]
Outcome = Literal["done", "again", "expired"]


@dataclass
class PartInfo:
    """The sidecar: the download, the resource and the `.part` file it belongs to."""

    identity: str
    etag: str | None = None
    last_modified: str | None = None
    total: int | None = None
    # the .part as last checkpointed: `size` bytes whose SHA-256 is `sha256`
    size: int = 0
    inode: int | None = None
    mtime_ns: int | None = None
    sha256: str | None = None

    @property
    def validator(self) -> str | None:
        return self.etag or self.last_modified

    def same_resource(self, response: httpx.Response) -> bool:
        """Whether an answer is of the resource the `.part` holds bytes of."""
        if self.etag:
            return bool(response.headers.get("etag") == self.etag)
        found = response.headers.get("last-modified")
        return bool(self.last_modified and found == self.last_modified)


def part_paths(dest: Path) -> tuple[Path, Path]:
    return dest.with_name(dest.name + ".part"), dest.with_name(dest.name + ".part.json")


def check_destination(dest: Path, *, force: bool) -> None:
    """Refuse, before anything is sent or paid for, a destination we would not write."""
    if dest.is_dir():
        raise UsageError(f"{dest} is a directory", reason="output_is_folder")
    if dest.exists() and not force:
        raise UsageError(
            f"{dest} already exists",
            reason="output_exists",
            suggestion=Suggestion.again(force=True),
        )
    if not dest.parent.exists():
        raise UsageError(f"directory {dest.parent} does not exist", reason="folder_missing")
    if not os.access(dest.parent, os.W_OK):
        raise UsageError(f"cannot write to {dest.parent}")


def download(
    http: HttpClient,
    source: SourceFn,
    dest: Path,
    *,
    identity: str,
    on_progress: ProgressFn | None = None,
    before_rename: Callable[[DownloadResult], object] | None = None,
    max_bytes: int | None = None,
    check_url: Callable[[httpx.URL], None] | None = None,
) -> DownloadResult:
    """Fetch `source` into `dest`, resuming any `.part` left for the same `identity`.

    `before_rename` hears of the complete file (its SHA-256) before it takes its final name:
    what is then found at `dest` can be told apart from a stranger's file. `max_bytes` caps
    a body that does not declare its length (default 4 GiB). `check_url` vets every URL
    requested, redirects included (providers/addresses.py): what it raises ends the download.
    """
    job = _Download(http, dest, identity, on_progress, max_bytes or MAX_UNKNOWN_LENGTH)
    job.check_url = check_url
    src = source(False)
    refreshes = attempts = 0
    while True:
        attempts += 1
        try:
            outcome = job.attempt(src)
        except DeadlinePassedError:
            raise  # the caller's time is up (providers/deadline.py): the `.part` is kept
        except (httpx.HTTPError, NetworkError) as exc:
            if attempts >= MAX_ATTEMPTS:
                raise NetworkError(
                    f"the download of {dest.name} kept failing: {clean_text(str(exc))}",
                    reason="download_resumes",
                ) from None
            http.clock.sleep(min(2.0**attempts, 30.0))
            continue
        if outcome == "expired":
            refreshes += 1
            if refreshes > MAX_REFRESHES:
                raise APIError(
                    "the result URL keeps being refused (expired?)",
                    code="result_expired",
                    reason="result_expired",
                )
            src = source(True)
            continue
        if outcome == "done":
            break
        http.clock.sleep(min(2.0**attempts, 30.0))
        if attempts >= MAX_ATTEMPTS:
            raise NetworkError(
                f"the download of {dest.name} was cut off {attempts} times",
                reason="download_resumes",
            )
    return job.finish(before_rename)


class _Pace:
    """How fast a body arrives, on the injected clock: too slow ends the attempt."""

    def __init__(self, clock: Clock, host: str) -> None:
        self.clock = clock
        self.host = host
        self.since = clock.monotonic()
        self.bytes = self.pieces = 0

    def add(self, size: int) -> None:
        self.bytes += size
        self.pieces += 1
        now = self.clock.monotonic()
        if now - self.since < SLOW_WINDOW or self.pieces < SLOW_PIECES:
            return
        if self.bytes < SLOW_BYTES:
            raise NetworkError(
                f"the download from {self.host} came too slowly: {self.bytes:,} bytes in "
                f"{now - self.since:.0f} s"
            )
        self.since, self.bytes, self.pieces = now, 0, 0


class _Download:
    """One destination's `.part`, its sidecar and the running SHA-256 of its bytes."""

    def __init__(
        self,
        http: HttpClient,
        dest: Path,
        identity: str,
        on_progress: ProgressFn | None,
        max_bytes: int,
    ) -> None:
        self.http = http
        self.dest = dest
        self.part, self.meta = part_paths(dest)
        self.on_progress = on_progress
        self.max_bytes = max_bytes
        self.digest = StreamingDigest()
        self.info = _read_info(self.meta, identity) or PartInfo(identity)
        self.check_url: Callable[[httpx.URL], None] | None = None

    # -- what the .part holds ----------------------------------------------------------------

    def restart(self) -> None:
        """Forget the `.part`: the next attempt starts from zero."""
        self.part.unlink(missing_ok=True)
        self.meta.unlink(missing_ok=True)
        self.info = PartInfo(self.info.identity)
        self.digest.reset()

    def trusted_offset(self) -> int:
        """How many bytes of the `.part` belong to this download: those the sidecar vouches
        for (same file, same bytes), else none (and the `.part` is removed)."""
        info = self.info
        try:
            found = self.part.stat()
        except FileNotFoundError:
            self.restart()
            return 0
        ours = info.inode == found.st_ino and found.st_size >= info.size
        if info.validator and info.size and ours:
            if found.st_size != info.size or found.st_mtime_ns != info.mtime_ns:
                # written past the last checkpoint (killed mid-write) or touched since:
                # keep only what was vouched for, and read it again
                os.truncate(self.part, info.size)
                self.digest.reset()
            self.digest.cover(self.part, info.size)  # read from disk in a new process
            if self.digest.hexdigest() == info.sha256:
                return info.size
        self.restart()
        return 0

    def checkpoint(
        self, fd: int, sidecar: _Sidecar, written: int, hashed: tuple[int, str] | None = None
    ) -> None:
        """Record what the `.part` holds now: its first `hashed` = (size, SHA-256) bytes, of
        the `written` it should hold (no fsync: a power cut is caught by the SHA-256 when
        resuming). By default, all the digest covers. During a transfer, the digest may be a
        piece or two behind the file: a resume then cuts the file back to what was hashed."""
        found = os.fstat(fd)
        if found.st_size != written:
            return  # someone else wrote to it: the next resume will not trust it
        info = self.info
        info.size, info.sha256 = hashed or (self.digest.count, self.digest.hexdigest())
        info.inode, info.mtime_ns = found.st_ino, found.st_mtime_ns
        sidecar.write(info)

    # -- one request -------------------------------------------------------------------------

    def attempt(self, src: DownloadSource) -> Outcome:
        """One request; "done", "again" (cut short, or started over) or "expired"."""
        offset = self.trusted_offset()
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
            headers["If-Range"] = self.info.validator or ""
        with self.http.stream(
            "GET",
            src.url,
            headers=headers,
            authenticate=src.authenticated,
            follow_redirects=True,
            check_url=self.check_url,
        ) as response:
            status = response.status_code
            if status in (401, 403) and not src.authenticated:
                return "expired"
            if status == 416:
                if offset and self.info.total == offset == _range_total(response, offset):
                    return "done"
                self.restart()
                return "again"
            if status == 429 or status >= 500:
                return "again"  # the HTTP layer's retries ran out; the loop backs off, resumes
            if status not in (200, 206):
                raise APIError(
                    f"the download answered HTTP {status}",
                    status_code=status,
                    code=DOWNLOAD_FAILED,
                    reason="result_gone",
                )  # its next step names the task: the caller knows it (Client.download)
            total = _range_total(response, None) if status == 206 else _content_length(response)
            if status == 206 and offset:
                if not (
                    _range_start(response) == offset
                    and self.info.same_resource(response)
                    and total == self.info.total
                ):
                    self.restart()  # another resource, or other bytes of it: never splice
                    return "again"
                mode = "ab"
            else:  # the resource from its first byte (200: whether or not we asked for a range)
                if status == 206 and _range_start(response) != 0:
                    return "again"
                if offset:
                    self.restart()
                mode, offset = "wb", 0
                self.info.etag = response.headers.get("etag")
                self.info.last_modified = response.headers.get("last-modified")
            self.info.total = total
            _check_space(self.part, (total or 0) - offset)
            received = self.receive(response, mode, offset, total)
        if total is not None and received != total:
            return "again"  # cut short (resumed from the checkpoint) or too long (restarted)
        return "done"

    def receive(self, response: httpx.Response, mode: str, offset: int, total: int | None) -> int:
        """Stream the body onto the `.part`; returns the bytes the `.part` holds."""
        limit = total if total is not None else self.max_bytes
        received = offset
        self.digest.cover(self.part, offset)
        next_checkpoint = offset + _interval(0)
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "ab" else os.O_TRUNC)
        hashing = _Hashing(self.digest)
        # a piece is overwritten `buffers` pieces later: by then it is written and hashed
        pace = _Pace(self.http.clock, response.request.url.host)

        def on_read(size: int) -> None:  # every read of the connection, as it happens
            deadline.check("the download")  # a timeout given holds here too
            pace.add(size)

        pieces = body_pieces(response, buffers=HASH_AHEAD + 2, on_read=on_read)
        try:
            fd = os.open(self.part, flags, 0o666)
            flushing = _Flushing(fd)
            next_flush = received + FLUSH_EVERY
            try:
                with _Sidecar(self.meta) as sidecar:
                    self.checkpoint(fd, sidecar, offset)
                    try:
                        for piece in pieces:  # as received: a cut loses nothing
                            received += len(piece)
                            if received > limit:
                                break
                            write_all(fd, piece)
                            hashing.add(piece)  # after the write: the digest covers the disk
                            if self.on_progress is not None:
                                self.on_progress(received, total)
                            if received >= next_flush:
                                flushing.request()
                                next_flush = received + FLUSH_EVERY
                            if received >= next_checkpoint:  # not waiting for the hashing
                                self.checkpoint(fd, sidecar, received, hashing.hashed)
                                next_checkpoint = received + _interval(received - offset)
                            elif self.info.size > offset:  # some vouched for, some past it
                                crashpoints.reached("download-partial")
                    finally:
                        flushing.close()  # raises what a sync in the helper thread met
                        os.fsync(fd)  # on disk before anything may rename it
                        hashing.settle()
                        self.checkpoint(fd, sidecar, self.digest.count)
            finally:
                flushing.stop()
                os.close(fd)
        except OSError as exc:
            raise _write_error(exc, self.part) from None
        finally:
            hashing.close()
        if received > limit:
            self.restart()
            if total is None:
                raise BadResponseError(
                    f"stopped saving {self.part}: the server sent more than "
                    f"{limit / 2**20:,.0f} MiB without saying how long the file is",
                    code="download_too_large",
                    reason="download_restart_later",
                )
        return received

    # -- the end -----------------------------------------------------------------------------

    def finish(self, before_rename: Callable[[DownloadResult], object] | None) -> DownloadResult:
        crashpoints.reached("download-complete")
        size = self.part.stat().st_size
        if self.info.total is not None and size != self.info.total:  # never renamed short
            self.restart()
            raise NetworkError(
                f"the download of {self.dest.name} ended at {size:,} of {self.info.total:,} bytes",
                reason="download_starts_over",
            )
        self.digest.cover(self.part, size)  # a part finished by an earlier process
        result = DownloadResult(path=str(self.dest), bytes=size, sha256=self.digest.hexdigest())
        if before_rename is not None:
            before_rename(result)
        try:
            os.replace(self.part, self.dest)
        except OSError as exc:
            raise _write_error(exc, self.dest) from None
        self.meta.unlink(missing_ok=True)
        crashpoints.reached("download-renamed")
        return result


def _write_error(exc: OSError, path: Path) -> LocalError:
    """A file the download could not write, named, with what to do (not a config problem)."""
    where = exc.filename or path
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return LocalError(
            f"the disk is full: could not write {where}",
            code="disk_full",
            reason="disk_full",
        )
    return LocalError(
        f"could not write {where}: {exc.strerror or exc}",
        reason="write_failed",
    )


def _range_start(response: httpx.Response) -> int | None:
    value = response.headers.get("content-range", "")  # bytes 100-199/200
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def _range_total(response: httpx.Response, default: int | None) -> int | None:
    """The complete length a Content-Range states (`bytes 0-9/200`, `bytes */200`)."""
    total = response.headers.get("content-range", "").rpartition("/")[2]
    return int(total) if total.isdigit() else default


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def _check_space(part: Path, needed: int) -> None:
    if needed <= 0:
        return
    free = shutil.disk_usage(part.parent).free
    if free < needed + SPACE_MARGIN:
        raise LocalError(
            f"not enough free space in {part.parent}: {needed / 2**20:,.0f} MiB needed, "
            f"{free / 2**20:,.0f} MiB free",
            code="disk_full",
            reason="disk_full",
        )


def _interval(written: int) -> int:
    """Bytes to the next checkpoint of an attempt that has written `written`."""
    return min(max(CHECKPOINT, written // 8), MAX_CHECKPOINT)


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write every byte (a write may take only part of them)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _Hashing:
    """The SHA-256 of the pieces written, computed in a helper thread at most HASH_AHEAD
    pieces behind the writes: reading the socket, writing and hashing each release the GIL,
    so on two cores they overlap (bench/RESULTS.md, downloads). `settle()` waits until the
    digest covers every piece given, before anyone reads it; meanwhile `hashed` is the size
    and SHA-256 of what it covered after its last piece (for a checkpoint that does not wait).
    """

    def __init__(self, digest: StreamingDigest) -> None:
        self.digest = digest
        self.hashed = (digest.count, digest.hexdigest())
        self._pieces: queue.Queue[bytes | memoryview | None] = queue.Queue(HASH_AHEAD)
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            piece = self._pieces.get()
            try:
                if piece is None:
                    return
                if self._failed is None:
                    self.digest.update(piece)
                    self.hashed = (self.digest.count, self.digest.hexdigest())
            except BaseException as exc:  # handed to the writer by settle()
                self._failed = exc
            finally:
                self._pieces.task_done()

    def add(self, piece: bytes | memoryview) -> None:
        self._pieces.put(piece)

    def settle(self) -> None:
        self._pieces.join()
        if self._failed is not None:
            raise self._failed

    def close(self) -> None:
        self._pieces.put(None)
        self._thread.join()


class _Flushing:
    """Syncs the `.part`'s written bytes to disk in a helper thread while more arrive, so that
    the fsync before the rename finds little left to write: written last, the whole file
    waited for the disk after the transfer (bench/RESULTS.md, downloads). That fsync still
    happens, and is what vouches for the file; these syncs only start the disk's work early.

    `request()` asks for a sync of what is written so far; a request made while one runs is
    served by the next one. The thread starts at the first request (a short download has
    none). A sync that fails keeps its error: a failed write-back is reported only once per
    open file, so the final fsync might succeed over lost bytes, and `close()` raises it."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._wanted = threading.Event()
        self._closing = False
        self._failed: OSError | None = None
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            if self._closing:
                return
            try:
                _datasync(self.fd)
            except OSError as exc:
                self._failed = exc
                return

    def request(self) -> None:
        if self._failed is not None:
            raise self._failed
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="flush", daemon=True)
            self._thread.start()
        self._wanted.set()

    def stop(self) -> None:
        """Wait for a sync in progress to end (skipping any asked for since): before the
        file is closed."""
        if self._thread is not None:
            self._closing = True
            self._wanted.set()
            self._thread.join()

    def close(self) -> None:
        """`stop()`, then raise the error of a sync that failed."""
        self.stop()
        if self._failed is not None:
            raise self._failed


# fdatasync: the data and the size (what reading the file needs), not the times; where the
# system has none (macOS), fsync
_datasync = getattr(os, "fdatasync", os.fsync)


class StreamingDigest:
    """The SHA-256 of a file as it is written (no second pass over the file at the end)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._sha = hashlib.sha256()
        self.count = 0

    def cover(self, path: Path, size: int) -> None:
        """Make the digest cover exactly the first `size` bytes of `path`."""
        if self.count == size:
            return
        self.reset()
        if size == 0:
            return
        with open(path, "rb") as fh:
            while self.count < size and (chunk := fh.read(min(CHUNK, size - self.count))):
                self.update(chunk)

    def update(self, chunk: bytes | memoryview) -> None:
        self._sha.update(chunk)
        self.count += len(chunk)

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def _read_info(meta_path: Path, identity: str) -> PartInfo | None:
    try:
        data = json.loads(meta_path.read_text("utf-8"))
        info = PartInfo(**data)
    except (OSError, ValueError, TypeError):
        return None
    return info if info.identity == identity else None


class _Sidecar:
    """The sidecar file, rewritten in place: a few microseconds, where a new file and a rename
    cost up to a millisecond. A record torn by a power cut is not JSON: the download restarts."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o666)
        self.length = os.fstat(self.fd).st_size

    def __enter__(self) -> _Sidecar:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)

    def write(self, info: PartInfo) -> None:
        record = json.dumps(asdict(info)).encode()
        record += b" " * (-len(record) % 512)  # one length for every record, as a rule
        os.pwrite(self.fd, record, 0)
        if len(record) != self.length:
            os.ftruncate(self.fd, len(record))
            self.length = len(record)
