"""Progress on stderr: a live table on a terminal, plain lines in logs, nothing with --quiet."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Self

from seedance.cli.output import human_duration

if TYPE_CHECKING:
    from rich.console import RenderableType

    from seedance.cli.environment import Environment
    from seedance.services.client import Client
    from seedance.services.polling import Watch

STATUS_STYLES = {
    "queued": "yellow",
    "running": "cyan",
    "succeeded": "green",
    "failed": "red",
    "expired": "red",
    "cancelled": "magenta",
    "unknown": "dim",
}


class LiveBoard:
    """A display redrawn in place on a terminal (rich Live); subclasses render `__rich__`
    and, when there is no terminal, print plain lines themselves (`self.live` is None)."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.started = env.clock.monotonic()
        self.live: Any = None

    def __enter__(self) -> Self:
        if self.env.live:
            from rich.live import Live

            self.live = Live(self, console=self.env.output.console, refresh_per_second=4)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.refresh()
            self.live.__exit__(*exc)

    def elapsed(self) -> str:
        return human_duration(self.env.clock.monotonic() - self.started)

    def __rich__(self) -> RenderableType:
        raise NotImplementedError


class TaskBoard(LiveBoard):
    """One row per task: status, progress, elapsed time and, when known, time left."""

    def __init__(self, env: Environment, client: Client, task_ids: list[str]) -> None:
        super().__init__(env)
        self.client = client
        self.rows: dict[str, Watch | None] = dict.fromkeys(task_ids)
        self._last_line: dict[str, str] = {}

    def update(self, watch: Watch) -> None:
        self.rows[watch.task_id] = watch
        if self.live is None and not self.env.quiet:
            line = self._plain(watch)
            if self._last_line.get(watch.task_id) != line:
                self._last_line[watch.task_id] = line
                self.env.output.info(line)

    # -- content -----------------------------------------------------------------------------

    def _fields(self, task_id: str, watch: Watch | None) -> tuple[str, str, str, str]:
        task = watch.task if watch else None
        status = "error" if watch and watch.error else (task.status.value if task else "waiting")
        progress = f"{task.progress}%" if task and task.progress is not None else ""
        elapsed = self.elapsed()
        left = ""
        if task is not None and not task.status.is_terminal:
            expected = self.client.expected_run(task)
            if expected is not None and task.created_at is not None:
                age = self.env.clock.time() - task.created_at.timestamp()
                if expected > age:
                    left = f"~{human_duration(expected - age)} left"
        return status, progress, elapsed, left

    def _plain(self, watch: Watch) -> str:
        status, progress, elapsed, left = self._fields(watch.task_id, watch)
        parts = [watch.task_id, status, progress, elapsed, left]
        return "  ".join(p for p in parts if p)

    def __rich__(self) -> RenderableType:
        from rich.table import Table

        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        widths = {"STATUS": 9, "PROGRESS": 25, "ELAPSED": 7}  # fixed: no jumping columns
        for name in ("TASK", "STATUS", "PROGRESS", "ELAPSED", "ETA"):
            table.add_column(name, no_wrap=True, min_width=widths.get(name))
        for task_id, watch in self.rows.items():
            status, progress, elapsed, left = self._fields(task_id, watch)
            bar = _bar(watch.task.progress if watch and watch.task else None) if progress else ""
            table.add_row(
                task_id,
                f"[{STATUS_STYLES.get(status, 'white')}]{status}[/]",
                f"{bar} {progress}".strip(),
                elapsed,
                left,
            )
        return table


def _bar(progress: int | None, width: int = 20) -> str:
    if progress is None:
        return ""
    filled = max(0, min(width, round(progress / 100 * width)))
    return "█" * filled + "░" * (width - filled)


@contextmanager
def download_progress(env: Environment, name: str) -> Iterator[Callable[[int, int | None], None]]:
    """A callback for download progress: a bar with bytes, rate and time left on a terminal."""
    if not env.live:
        yield lambda _done, _total: None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=env.output.console,
        transient=True,
    ) as bar:
        job = bar.add_task(f"saving {name}", total=None)

        def advance(done: int, total: int | None) -> None:
            bar.update(job, completed=done, total=total)

        yield advance
