"""Following tasks: wait with live progress, save results, and say how to resume."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from seedance.cli.environment import Environment
    from seedance.cli.progress import TaskBoard
    from seedance.domain.models import DownloadResult, Task
    from seedance.services.client import Client
    from seedance.services.videos.polling import Watch
    from seedance.services.videos.steps import Step


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

    board = TaskBoard(env, client, task_ids)  # its last frame: the summary on a terminal
    try:
        with board:
            return client.videos.wait_all(
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
    from seedance.services.videos.tasks import task_outcome

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
            result = client.videos.save(
                task, dest, last_frame=what == "last_frame", on_progress=progress
            )
    except KeyboardInterrupt:
        where = {"output": str(dest)} if what == "video" else {"last_frame": str(dest)}
        raise InterruptedByUser(
            "stopped the download; the part saved so far is kept",
            hint="resume with",
            suggestion=Suggestion.of("download", task.id, **where),
        ) from None
    if what == "video":
        from seedance.cli.saved import say_saved

        say_saved(env, client.profile, result)
    else:
        env.output.result(f"saved {result.path} ({result.bytes:,} bytes)")
    return result


class Follower:
    """What one `Client.generate` shows: its steps as lines, its wait as a task board, its
    download as a bar (each drawn only while it lasts)."""

    def __init__(
        self,
        env: Environment,
        client: Client,
        *,
        estimate: str | None = None,
        board: bool = True,
    ) -> None:
        self.env = env
        self.client = client
        self.estimate = estimate  # said once, when a create is about to be sent
        self.show_board = board  # off when the wait was already shown (wait -o)
        self._stack = ExitStack()
        self._board: TaskBoard | None = None
        self._bar: Any = None
        self._said: set[str] = set()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def step(self, step: Step, detail: str) -> None:
        from seedance.services.videos.steps import Step

        info = self.env.output.info
        if step is Step.DOWNLOADING:
            self._stack.close()  # the board, if one is drawn
            self._board = None
            self._bar = self._stack.enter_context(_download_bar(self.env, detail))
        elif step is Step.WAITING_FOR_LOCK:
            info(f"waiting for another seedance run: {detail}")
        elif step is Step.WAITING_FOR_SLOT and detail not in self._said:
            self._said.add(detail)
            info(f"waiting for a slot: {detail}")
        elif step is Step.COPYING:
            info(f"copying the video of this request from {detail}, where it was saved since")
        elif step is Step.RESUMING:
            info(
                f"resuming {detail}, created earlier for this request and output "
                "(--new creates another)"
            )
        elif step is Step.SENDING and self.estimate is not None:
            info(f"estimate: {self.estimate}")
            self.estimate = None
        elif step is Step.CREATED:
            info(f"created {detail} on profile {self.client.profile.name}")
        elif step is Step.FOUND:
            info(f"found the task of the interrupted create: {detail}")
        elif step is Step.NOT_ARRIVED:
            info(f"the create never reached the server ({detail}); sending it again")
        elif step is Step.LOOKING and detail not in self._said:
            self._said.add(detail)
            info(detail)

    def update(self, watch: Watch) -> None:
        from seedance.cli.progress import TaskBoard

        if not self.show_board:
            return
        if self._board is None:
            board = TaskBoard(self.env, self.client, [watch.task_id])  # its end: the summary
            self._board = self._stack.enter_context(board)
        self._board.update(watch)

    def progress(self, done: int, total: int | None) -> None:
        if self._bar is not None:
            self._bar(done, total)


def _download_bar(env: Environment, name: str) -> Any:
    from seedance.cli.progress import download_progress

    return download_progress(env, name)


def check_stills(
    dest: Path, *, force: bool = False, clip_exists: bool = False, can_force: bool = False
) -> None:
    """Refuse, before anything is paid, poster and sheet paths we would not write
    (services/media/companions.py: the one rule of every writer of stills)."""
    from seedance.services.media import companions, frames

    if frames.available():
        companions.check(dest, force=force, can_force=can_force, clip_exists=clip_exists)


def save_stills(env: Environment, clip: Path, *, force: bool = False) -> dict[str, str] | None:
    """The poster and contact sheet of a saved video; a notice, never a failure, when they
    cannot be made (the video is saved either way), or would replace files seedance did not
    make (unless `force`)."""
    from seedance.domain.errors import SeedanceError
    from seedance.services.media import frames

    if not frames.available():
        env.output.warn(frames.unavailable_notice())
        return None
    try:
        stills = frames.make_stills(clip, force=force)
    except (SeedanceError, OSError) as exc:
        from seedance.cli.wording import said

        env.output.warn(f"no poster or contact sheet for {clip}: {said(exc)}")
        return None
    env.output.info(f"saved {stills.poster} and {stills.sheet}")
    return {"poster": str(stills.poster), "sheet": str(stills.sheet)}


def stills_of(clip: Path) -> tuple[Path, ...]:
    """Where a clip's poster and contact sheet go (NAME.poster.png, NAME.sheet.png)."""
    from seedance.services.media import frames

    return tuple(frames.outputs(clip))


def stills_paths(clip: Path) -> dict[str, str]:
    poster, sheet = stills_of(clip)
    return {"poster": str(poster), "sheet": str(sheet)}


def client_for_tasks(env: Environment, task_ids: list[str]) -> Client:
    """The profile the tasks were created with (the journal knows), unless -p says otherwise."""
    from seedance.domain.errors import UsageError

    if env.profile:
        return env.client()
    state = env.state()
    profiles = {e.profile for t in task_ids if (e := state.find(t)) is not None}
    if len(profiles) > 1:
        raise UsageError(
            f"these tasks belong to different profiles ({', '.join(sorted(profiles))})",
            hint="wait on each profile's tasks separately, with -p",
        )
    return env.client(profiles.pop() if profiles else None)
