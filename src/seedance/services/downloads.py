"""Downloads that survive: stream to `NAME.part`, resume after a cut, rename when complete.

- `NAME.part` holds the bytes so far and `NAME.part.json` the validator (ETag / Last-Modified),
  the expected length and what is being downloaded, so even another process resumes safely
  with `Range` + `If-Range`; a server that ignores Range (200) restarts the file cleanly.
- The length is checked against Content-Length / Content-Range; the SHA-256 is computed as
  the bytes arrive and reported with the result.
- A pre-signed URL that expired (401/403) is replaced by asking the provider again.
- Free disk space is checked before writing; the result appears only by an atomic rename, so a
  `.part` file is never mistaken for a result.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from seedance.domain.errors import (
    APIError,
    ExitStatus,
    NetworkError,
    SeedanceError,
    Suggestion,
    UsageError,
)
from seedance.domain.models import DownloadResult
from seedance.providers.base import DownloadSource
from seedance.providers.http import HttpClient
from seedance.services import crashpoints

CHUNK = 1024 * 1024
MAX_ATTEMPTS = 6
MAX_REFRESHES = 2
SPACE_MARGIN = 16 * 1024 * 1024

SourceFn = Callable[[bool], DownloadSource]  # called with True when the last URL expired
ProgressFn = Callable[[int, int | None], None]


@dataclass
class PartInfo:
    identity: str
    etag: str | None = None
    last_modified: str | None = None
    total: int | None = None

    @property
    def validator(self) -> str | None:
        return self.etag or self.last_modified


def part_paths(dest: Path) -> tuple[Path, Path]:
    return dest.with_name(dest.name + ".part"), dest.with_name(dest.name + ".part.json")


def check_destination(dest: Path, *, force: bool) -> None:
    """Refuse, before anything is sent or paid for, a destination we would not write."""
    if dest.is_dir():
        raise UsageError(f"{dest} is a directory", hint="give a file name, e.g. -o clip.mp4")
    if dest.exists() and not force:
        raise UsageError(
            f"{dest} already exists",
            hint="choose another name, or overwrite it with",
            suggestion=Suggestion.again(force=True),
        )
    if not dest.parent.exists():
        raise UsageError(f"directory {dest.parent} does not exist", hint="create it first")
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
) -> DownloadResult:
    """Fetch `source` into `dest`, resuming any `.part` left for the same `identity`.

    `before_rename` hears of the complete file (its SHA-256) before it takes its final name:
    what is then found at `dest` can be told apart from a stranger's file.
    """
    part, meta_path = part_paths(dest)
    info = _read_info(meta_path, identity)
    if part.exists() and info is None:
        part.unlink()  # a leftover from something else: never resume a stranger's bytes
    info = info or PartInfo(identity)
    src = source(False)
    digest = StreamingDigest()
    refreshes = attempts = 0
    while True:
        attempts += 1
        try:
            outcome = _attempt(http, src, part, meta_path, info, digest, on_progress)
        except (httpx.HTTPError, NetworkError) as exc:
            if attempts >= MAX_ATTEMPTS:
                raise NetworkError(
                    f"the download of {dest.name} kept failing: {exc}",
                    hint="run the same command again: it resumes where it stopped",
                ) from None
            http.clock.sleep(min(2.0**attempts, 30.0))
            continue
        if outcome == "expired":
            refreshes += 1
            if refreshes > MAX_REFRESHES:
                raise APIError(
                    "the result URL keeps being refused (expired?)",
                    code="result_expired",
                    hint="results are kept about 24 hours; if the task is older, it is gone",
                )
            src = source(True)
            continue
        if outcome == "done":
            break
        http.clock.sleep(min(2.0**attempts, 30.0))
        if attempts >= MAX_ATTEMPTS:
            raise NetworkError(
                f"the download of {dest.name} was cut off {attempts} times",
                hint="run the same command again: it resumes where it stopped",
            )
    crashpoints.reached("download-complete")
    size = part.stat().st_size
    digest.cover(part, size)  # a part finished by an earlier process is hashed from disk
    result = DownloadResult(path=str(dest), bytes=size, sha256=digest.hexdigest())
    if before_rename is not None:
        before_rename(result)
    os.replace(part, dest)
    meta_path.unlink(missing_ok=True)
    crashpoints.reached("download-renamed")
    return result


def _attempt(
    http: HttpClient,
    src: DownloadSource,
    part: Path,
    meta_path: Path,
    info: PartInfo,
    digest: StreamingDigest,
    on_progress: ProgressFn | None,
) -> str:
    """One request; returns "done", "again" (cut short) or "expired"."""
    offset = part.stat().st_size if part.exists() else 0
    headers = {"Accept-Encoding": "identity"}
    if offset and info.validator:
        headers["Range"] = f"bytes={offset}-"
        headers["If-Range"] = info.validator
    elif offset:
        part.unlink()
        offset = 0
    with http.stream(
        "GET", src.url, headers=headers, authenticate=src.authenticated, follow_redirects=True
    ) as response:
        status = response.status_code
        if status in (401, 403) and not src.authenticated:
            return "expired"
        if status == 416:
            if info.total is not None and offset == info.total:
                return "done"
            part.unlink(missing_ok=True)
            return "again"
        if status == 429 or status >= 500:
            return "again"  # the HTTP layer's retries ran out; this loop backs off and resumes
        if status >= 400:
            raise APIError(
                f"the download answered HTTP {status}",
                status_code=status,
                code="download_failed",
                hint="results are kept about 24 hours; check the task with",
                suggestion=Suggestion.of("status", "ID"),
            )
        if status == 206 and _range_start(response) == offset:
            mode, total = "ab", _range_total(response)
        else:  # 200, or a range we did not ask for: start over
            mode, offset, total = "wb", 0, _content_length(response)
        info.total = total
        info.etag = response.headers.get("etag")
        info.last_modified = response.headers.get("last-modified")
        _write_info(meta_path, info)
        _check_space(part, (total or 0) - offset)
        received = offset
        digest.cover(part, offset)
        with open(part, mode) as fh:
            try:
                for chunk in response.iter_raw():  # as received: a cut loses nothing buffered
                    fh.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    if on_progress is not None:
                        on_progress(received, total)
                    crashpoints.reached("download-partial", fh.flush)
            finally:
                fh.flush()
                os.fsync(fh.fileno())  # on disk before anything may rename it
    if total is not None and received < total:
        return "again"
    if total is not None and received > total:
        part.unlink()
        return "again"
    return "done"


def _range_start(response: httpx.Response) -> int | None:
    value = response.headers.get("content-range", "")  # bytes 100-199/200
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def _range_total(response: httpx.Response) -> int | None:
    total = response.headers.get("content-range", "").rpartition("/")[2]
    return int(total) if total.isdigit() else None


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def _check_space(part: Path, needed: int) -> None:
    if needed <= 0:
        return
    free = shutil.disk_usage(part.parent).free
    if free < needed + SPACE_MARGIN:
        raise SeedanceError(
            f"not enough free space in {part.parent}: {needed / 2**20:,.0f} MiB needed, "
            f"{free / 2**20:,.0f} MiB free",
            code="disk_full",
            hint="free some space and run the same command again; the task keeps its result",
            exit_status=ExitStatus.USAGE,
        )


class StreamingDigest:
    """The SHA-256 of a file as it is written (no second pass over the file at the end)."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self.count = 0

    def cover(self, path: Path, size: int) -> None:
        """Make the digest cover exactly the first `size` bytes of `path`."""
        if self.count == size:
            return
        self._sha, self.count = hashlib.sha256(), 0
        if size == 0:
            return
        with open(path, "rb") as fh:
            while self.count < size and (chunk := fh.read(min(CHUNK, size - self.count))):
                self.update(chunk)

    def update(self, chunk: bytes) -> None:
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


def _write_info(meta_path: Path, info: PartInfo) -> None:
    tmp = meta_path.with_name(meta_path.name + ".tmp")
    tmp.write_text(json.dumps(asdict(info)), "utf-8")
    os.replace(tmp, meta_path)
