"""A finished task's files saved and verified: the video (fetched once more when the bytes are
not a video, refused after that), its last frame (from the API or from the video), and the
journal's record of where each went."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from seedance.domain.errors import (
    BadResponseError,
    LocalError,
    Reason,
    SeedanceError,
    Suggestion,
    UsageError,
)
from seedance.domain.models import DownloadResult, Task
from seedance.providers.addresses import PublicOnly
from seedance.providers.base import DownloadSource
from seedance.services.assets.cache import file_sha256
from seedance.services.runtime import Runtime
from seedance.services.videos import tasks
from seedance.services.videos.download_check import NOT_A_VIDEO, check_video
from seedance.services.videos.downloads import DOWNLOAD_FAILED, download

VIDEO_TRIES = 2  # downloads of a video whose bytes are not one, before the error

# Files up to this size are hashed again once saved (a 4k clip is well under it); a larger one
# is checked by its size: hashing 1 GiB again costs about as long as downloading it.
VERIFY_LIMIT = 256 * 1024 * 1024

Progress = Callable[[int, int | None], None]


def save(
    rt: Runtime,
    task: Task,
    dest: Path,
    *,
    what: Literal["video", "last_frame"] = "video",
    on_progress: Progress | None = None,
) -> DownloadResult:
    """Save a finished task's video (or last frame), refreshing an expired URL as needed,
    and verify the file that took its name: a video that is not one (an empty body, an
    HTML page) is fetched once more, then refused, never kept. A disk or permission
    failure raises LocalError (the task keeps its result on the server; running again
    resumes)."""
    current = task
    url = ""
    check = PublicOnly(rt.profile.base_url, f"task {task.id}'s {what.replace('_', ' ')}")

    def source(expired: bool) -> DownloadSource:
        nonlocal current, url
        if expired:
            rt.notify("the result URL expired; asking for a fresh one")
            current = tasks.get(rt, current.id)
        found = rt.provider.download_source(current, what)
        check(found.url)  # before anything is asked of it
        url = found.url
        return found

    def saving(result: DownloadResult) -> None:
        if what == "video":
            check_video(dest, url)  # before it is journaled or takes its name
            rt.state.saving(task.id, **saved_file(result))

    try:
        for attempt in range(1, VIDEO_TRIES + 1):
            try:
                with rt.explain_auth():
                    result = download(
                        rt.provider.http,
                        source,
                        dest,
                        identity=f"{task.id}:{what}",
                        on_progress=on_progress,
                        before_rename=saving,
                        check_url=check,
                    )
                break
            except BadResponseError as exc:
                if exc.code != NOT_A_VIDEO or attempt == VIDEO_TRIES:
                    raise
                rt.notify(f"{exc.message}; downloading it again")
        verify(result)
    except OSError as exc:
        raise local_failure(exc, dest, task.id) from None
    except SeedanceError as exc:
        if exc.code == "disk_full":  # the task exists: a local failure, not a usage one
            raise LocalError(
                exc.message, reason=exc.reasons, suggestion=Suggestion.again()
            ) from None
        if exc.code == DOWNLOAD_FAILED:  # the result host refused it: the task tells why
            exc.message = f"task {task.id}, {what.replace('_', ' ')}: {exc.message}"
            exc.suggestion = Suggestion.of("status", task.id)
        raise
    if what == "video":
        rt.state.downloaded(task.id, **saved_file(result), at=rt.clock.time())
    return result


def check_last_frame(rt: Runtime, task: Task) -> None:
    """Raise now, before any download, when `save_last_frame` could not give this task's
    last frame: the provider made none and PyAV (the `video` extra) cannot take it from
    the video."""
    from seedance.services.media import video

    try:
        rt.provider.download_source(task, "last_frame")
    except SeedanceError as exc:
        if not video.available():
            exc.because(Reason.of("frame_from_video", extra="video"))
            raise


def save_last_frame(rt: Runtime, task: Task, dest: Path, *, video: Path | None) -> DownloadResult:
    """A finished task's last frame at `dest`: downloaded when the provider made one (the
    task asked for it), else taken from its saved `video` with PyAV."""
    from seedance.services.media import video as clips

    try:
        rt.provider.download_source(task, "last_frame")
    except SeedanceError as missing:
        if video is None or not clips.available():
            raise
        try:
            clips.extract_last_frame(video, dest)
        except UsageError as exc:
            raise UsageError(
                f"{missing.message}, and it could not be taken from {video.name}: {exc.message}",
                reason=missing.reasons,
                field=missing.field,
            ) from None
        return DownloadResult(path=str(dest), bytes=dest.stat().st_size, sha256=file_sha256(dest))
    return save(rt, task, dest, what="last_frame")


def verify(result: DownloadResult) -> None:
    """The file at the result's path holds the bytes downloaded: its SHA-256 is the one
    computed as they arrived (its size, above VERIFY_LIMIT)."""
    path = Path(result.path)
    size = path.stat().st_size
    if size != result.bytes or (size <= VERIFY_LIMIT and file_sha256(path) != result.sha256):
        raise LocalError(
            f"{path} does not hold what was downloaded (it changed as it was saved)",
            reason="download_again",
            suggestion=Suggestion.again(),
        )


def local_failure(exc: OSError, dest: Path, task_id: str) -> LocalError:
    """A disk or permission failure once the task exists: what failed, and that nothing is
    lost."""
    where = exc.filename or dest
    return LocalError(
        f"cannot save {dest.name}: {exc.strerror or exc} ({where})",
        reason=Reason.of("result_kept", task=task_id),
        suggestion=Suggestion.again(),
    )


def disk_failure(exc: OSError, resume: Suggestion) -> LocalError:
    """A disk or permission failure in a run of many videos: which file, and that running
    again (`resume`) loses nothing made."""
    return LocalError(
        f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
        reason="fix_and_again",
        suggestion=resume,
    )


def saved_file(result: DownloadResult) -> dict[str, Any]:
    """What the journal records of a saved file: where it is, its SHA-256 and its size."""
    return {"path": str(Path(result.path).resolve()), "sha256": result.sha256, "size": result.bytes}
