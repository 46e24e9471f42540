"""Following tasks: wait with live progress, save results, and say how to resume."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seedance.cli.environment import Environment
    from seedance.domain.models import DownloadResult, Task
    from seedance.services.client import Client
    from seedance.services.polling import Watch


def video_destination(
    env: Environment, output: str, *, check: bool = True, suffix: str | None = None
) -> Path:
    """A file path for the video; a directory means `<task id>.mp4` inside it (decided later).

    `suffix` is the extension the chosen output format needs (`.mov`): a name without one
    gets it, a name with another one is refused before anything is sent."""
    from seedance.domain.errors import UsageError

    dest = env.path(output)
    if dest.is_dir():
        return dest
    if dest.suffix == "":
        dest = dest.with_suffix(suffix or ".mp4")
    elif suffix and dest.suffix.lower() in (".mp4", ".mov") and dest.suffix.lower() != suffix:
        raise UsageError(
            f"{dest.name} ends in {dest.suffix}, but the video will be a {suffix} file",
            hint=f"name it {dest.with_suffix(suffix).name}",
            field="output",
        )
    if check:
        check_free(dest)
    return dest


def check_free(dest: Path) -> None:
    from seedance.services.downloads import check_destination

    check_destination(dest, force=False)


def named(dest: Path, task: Task, suffix: str | None = None) -> Path:
    """The file a video is saved as: `dest`, or `<task id>.mp4` (`.mov`) in a directory."""
    return dest / f"{task.id}{suffix or task.video_suffix}" if dest.is_dir() else dest


def command_line(client: Client, action: str, *args: str, **options: Any) -> str:
    """A command to type next, on the client's profile."""
    from seedance.cli.wording import command_line as worded
    from seedance.domain.errors import Suggestion

    return worded(Suggestion.of(action, *args, **options), client.profile.name)


def wait_one(
    env: Environment,
    client: Client,
    task_id: str,
    *,
    timeout: float | None,
    dest: Path | None,
    just_created: bool,
) -> Task:
    watches = wait_many(
        env, client, [task_id], timeout=timeout, output=dest, just_created=just_created
    )
    return raise_for_watch(watches[0], dest)


def wait_many(
    env: Environment,
    client: Client,
    task_ids: list[str],
    *,
    timeout: float | None,
    output: Path | None,
    just_created: bool = False,
) -> list[Watch]:
    from seedance.cli.progress import TaskBoard
    from seedance.domain.errors import InterruptedByUser, Suggestion

    board = TaskBoard(env, client, task_ids)
    try:
        with board:
            return client.wait(
                task_ids, timeout=timeout, on_update=board.update, just_created=just_created
            )
    except KeyboardInterrupt:
        raise InterruptedByUser(
            f"stopped waiting; {'the task keeps' if len(task_ids) == 1 else 'the tasks keep'} "
            "running on the server",
            hint="resume with",
            suggestion=Suggestion.of("wait", *task_ids, output=str(output) if output else None),
        ) from None


def raise_for_watch(watch: Watch, dest: Path | None) -> Task:
    """The finished task, or the error of the wait; a timeout says how to continue (with the
    same output)."""
    from seedance.domain.errors import Suggestion, WaitTimeoutError
    from seedance.services.client import task_outcome

    try:
        return task_outcome(watch)
    except WaitTimeoutError as exc:
        if dest is not None:
            exc.suggestions = (Suggestion.of("wait", watch.task_id, output=str(dest)),)
        raise


def save(env: Environment, client: Client, task: Task, dest: Path, what: str) -> DownloadResult:
    from seedance.cli.progress import download_progress
    from seedance.domain.errors import InterruptedByUser, Suggestion

    try:
        with download_progress(env, dest.name) as progress:
            result = client.download(task, dest, what=what, on_progress=progress)  # type: ignore[arg-type]
    except KeyboardInterrupt:
        where = {"output": str(dest)} if what == "video" else {"last_frame": str(dest)}
        raise InterruptedByUser(
            "stopped the download; the part saved so far is kept",
            hint="resume with",
            suggestion=Suggestion.of("download", task.id, **where),
        ) from None
    env.output.info(f"saved {result.path} ({result.bytes:,} bytes, sha256 {result.sha256[:12]}…)")
    return result


def client_for_tasks(env: Environment, task_ids: list[str]) -> Client:
    """The profile the tasks were created with (the journal knows), unless -p says otherwise."""
    from seedance.domain.errors import UsageError
    from seedance.services.journal import Journal

    if env.profile:
        return env.client()
    journal = Journal(env.data_dir)
    try:
        profiles = {e.profile for t in task_ids if (e := journal.find(t)) is not None}
    finally:
        journal.close()
    if len(profiles) > 1:
        raise UsageError(
            f"these tasks belong to different profiles ({', '.join(sorted(profiles))})",
            hint="wait on each profile's tasks separately, with -p",
        )
    return env.client(profiles.pop() if profiles else None)
