"""Progress on stderr: a live board on a terminal, plain lines in logs, nothing with --quiet.

The board has one row per task (or shot): a spinner while it waits, its state, a bar only
where the provider reports progress (a failure's in red, never a full green one), the time
it has taken, the time it has left and what it costs. Only one screenful is drawn, busiest
first, the rest counted in the footer, so a board of thousands of rows redraws as fast as
one of ten. With NO_COLOR it is the same board without colour; in a log (no terminal), each
change is one plain line.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from seedance.cli.output import human_duration

if TYPE_CHECKING:
    from rich.console import RenderableType

    from seedance.cli.environment import Environment
    from seedance.domain.models import Task
    from seedance.services.client import Client
    from seedance.services.videos.polling import Watch

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
BAR = 20  # the widest bar
# How busy a row is: rows are drawn in this order (then in their own order)
RANKS = {
    "downloading": 0,
    "running": 0,
    "submitting": 0,
    "uploading": 0,
    "queued": 1,
    "failed": 2,
    "error": 2,
    "expired": 2,
    "cancelled": 2,
    "blocked": 2,
    "waiting": 3,
    "unknown": 3,
    "succeeded": 4,
    "done": 4,
}
FAILED = frozenset({"failed", "error", "expired", "cancelled", "blocked"})
FINISHED = frozenset({"succeeded", "done"}) | FAILED
STYLES = {
    "queued": "yellow",
    "running": "cyan",
    "submitting": "cyan",
    "uploading": "cyan",
    "downloading": "cyan",
    "succeeded": "green",
    "done": "green",
    "waiting": "dim",
    "unknown": "dim",
    "cancelled": "magenta",
}


@dataclass(frozen=True)
class Row:
    """What one line of the board says."""

    label: str
    state: str = "waiting"
    progress: int | None = None  # only when the provider reports it
    elapsed: float | None = None  # seconds
    left: float | None = None  # seconds, when it can be told
    cost: str = ""
    note: str = ""  # a task id, or why it failed

    @property
    def rank(self) -> int:
        return RANKS.get(self.state, 3)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


class LiveBoard:
    """A display redrawn in place on a terminal (rich Live, a few times a second); subclasses
    render `__rich__` and, when there is no terminal (`self.live` is None), say plain lines.
    Its last frame stays on the screen: the summary of what happened."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.started = env.clock.monotonic()
        self.live: Any = None

    def __enter__(self) -> Self:
        if self.env.live:
            from rich.live import Live

            self.live = Live(
                self,
                console=self.env.output.console,
                refresh_per_second=4,
                redirect_stdout=False,
            )
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.refresh()
            self.live.__exit__(*exc)
            self.live = None

    def elapsed(self) -> str:
        return human_duration(self.env.clock.monotonic() - self.started)

    def __rich__(self) -> RenderableType:
        raise NotImplementedError


class Board(LiveBoard):
    """Rows drawn in place on a terminal, or told as plain lines when there is none.
    Subclasses feed it rows (`put`); it draws them."""

    title = "TASK"

    def __init__(self, env: Environment) -> None:
        super().__init__(env)
        self.rows: dict[str, Row] = {}
        self._lock = threading.Lock()
        self._told: dict[str, str] = {}

    # -- rows ----------------------------------------------------------------------------------

    def put(self, key: str, row: Row) -> None:
        """Set a row; in a log, say it when what it says changed."""
        with self._lock:
            self.rows[key] = row
        if self.live is None and not self.env.quiet:
            line = self.plain(row)
            if self._told.get(key) != line:
                self._told[key] = line
                self.env.output.info(line)

    def plain(self, row: Row) -> str:
        """A row as one line of a log."""
        progress = f"{row.progress}%" if row.progress is not None and not row.finished else ""
        elapsed = human_duration(row.elapsed) if row.elapsed is not None else ""
        left = f"~{human_duration(row.left)} left" if row.left is not None else ""
        parts = [row.label, row.state, progress, elapsed, left, row.cost, row.note]
        return "  ".join(p for p in parts if p)

    # -- drawing -------------------------------------------------------------------------------

    def footer(self, rows: list[Row]) -> str:
        """The line under the rows: how many are done, how long it has taken."""
        done = sum(1 for r in rows if r.state in ("succeeded", "done"))
        failed = sum(1 for r in rows if r.state in FAILED)
        text = f"{done}/{len(rows)} done"
        if failed:
            text += f", {failed} failed"
        return f"{text} · {self.elapsed()}"

    def __rich__(self) -> RenderableType:
        from rich.text import Text

        with self._lock:
            rows = list(self.rows.values())
        console = self.env.output.console
        height = max(console.height - 3, 3)
        shown = sorted(rows, key=lambda r: r.rank)[:height]  # stable: their own order within
        layout = Layout.of(shown, console.width, self.title)
        color = self.env.color
        out = Text(no_wrap=True, overflow="ellipsis")
        out.append(layout.header() + "\n", style="bold" if color else None)
        frame = SPINNER[int(self.env.clock.monotonic() * 8) % len(SPINNER)]
        for row in shown:
            layout.draw(out, row, frame, color)
        more = ""
        hidden = len(rows) - len(shown)
        if hidden:
            counts: dict[str, int] = {}
            for row in rows:
                counts[row.state] = counts.get(row.state, 0) + 1
            for row in shown:
                counts[row.state] -= 1
            listed = ", ".join(f"{n} {state}" for state, n in counts.items() if n)
            more = f"({hidden} more: {listed}) "
        out.append(more + self.footer(rows), style="dim" if color else None)
        return out


@dataclass(frozen=True)
class Layout:
    """The columns of one frame, fitted to the width: a progress column only when a row
    reports progress (its bar as wide as there is room for), a cost column only when a row
    has a cost, the label shortened (in the middle) before anything else gives way."""

    title: str
    label: int
    bar: int  # 0: no bar (the percentage alone)
    progress: bool
    cost: bool

    STATE = 11
    TIME = 7
    LEFT = 9
    COST = 9

    @classmethod
    def of(cls, rows: list[Row], width: int, title: str) -> Layout:
        progress = any(r.progress is not None and r.state not in FAILED for r in rows)
        cost = any(r.cost for r in rows)
        fixed = 2 + cls.STATE + 1 + 1 + cls.TIME + 1 + cls.LEFT + (1 + cls.COST if cost else 0)
        fixed += 6 if progress else 0  # " 100%" and a space
        longest = max([len(title), *(len(r.label) for r in rows)])
        label = max(min(longest, width - fixed - (10 if progress else 0)), min(longest, 14))
        bar = min(BAR, width - fixed - label - 1) if progress else 0
        return cls(title, label, bar if bar >= 5 else 0, progress, cost)

    def header(self) -> str:
        gauge = " " * (self.bar + (6 if self.progress else 0))
        cost = f" {'COST':>{self.COST}}" if self.cost else ""
        return (
            f"  {self.title:<{self.label}} {'STATE':<{self.STATE}} {gauge}"
            f"{'TIME':>{self.TIME}} {'LEFT':>{self.LEFT}}{cost}"
        ).rstrip()

    def draw(self, out: Any, row: Row, frame: str, color: bool) -> None:
        failed = row.state in FAILED
        mark = "✗" if failed else "✓" if row.finished else frame
        style = ("red" if failed else STYLES.get(row.state)) if color else None
        out.append(f"{mark} ", style=style)
        out.append(f"{shortened(row.label, self.label):<{self.label}} ")
        out.append(f"{row.state[: self.STATE]:<{self.STATE}} ", style=style)
        if self.progress:
            known = row.progress is not None and not failed  # a failure's 100% is no bar
            if self.bar:
                filled = max(0, min(self.bar, round((row.progress or 0) / 100 * self.bar)))
                out.append("█" * filled if known else "", style=style)
                out.append(
                    ("░" * (self.bar - filled)) if known else " " * self.bar,
                    style="dim" if color else None,
                )
            out.append(f"{row.progress:>4}% " if known else "      ")
        elapsed = human_duration(row.elapsed) if row.elapsed is not None else ""
        left = f"~{human_duration(row.left)}" if row.left is not None else ""
        out.append(f"{elapsed:>{self.TIME}} {left:>{self.LEFT}}")
        if self.cost:
            out.append(f" {row.cost:>{self.COST}}")
        if row.note:
            out.append(f"  {row.note}", style=("red" if failed else "dim") if color else None)
        out.append("\n")


def shortened(text: str, width: int) -> str:
    """`text` in `width` characters, cut in the middle (ids differ at both ends)."""
    if len(text) <= width:
        return text
    keep = width - 1
    return text[: (keep + 1) // 2] + "…" + text[len(text) - keep // 2 :]


class TaskBoard(Board):
    """The tasks of one wait: state, progress, time taken and left, cost."""

    def __init__(self, env: Environment, client: Client, task_ids: list[str]) -> None:
        super().__init__(env)
        self.client = client
        for task_id in task_ids:
            self.rows[task_id] = Row(task_id)

    def update(self, watch: Watch) -> None:
        self.put(watch.task_id, self.row(watch))

    def row(self, watch: Watch) -> Row:
        task = watch.task
        if watch.error is not None:
            return Row(watch.task_id, "error", note=watch.error.code)
        trouble = _trouble(watch)
        if task is None:
            return Row(watch.task_id, note=trouble)
        state = task.status.value
        age = self._age(task)
        finished_age = None
        if task.status.is_terminal and task.created_at and task.updated_at:
            finished_age = (task.updated_at - task.created_at).total_seconds()
        note = f"{task.error.code}" if task.error else trouble
        return Row(
            watch.task_id,
            state,
            progress=task.progress,
            elapsed=finished_age if finished_age is not None else age,
            left=None if task.status.is_terminal else self._left(task, age),
            cost=self._cost(task),
            note=note,
        )

    def _age(self, task: Task) -> float:
        if task.created_at is None:
            return self.env.clock.monotonic() - self.started
        return max(self.env.clock.time() - task.created_at.timestamp(), 0.0)

    def _left(self, task: Task, age: float) -> float | None:
        """From the pace of its progress, else from how long such tasks take (the journal,
        then the model's typical time)."""
        return time_left(age, task.progress, self.client.videos.typical_seconds(task))

    def _cost(self, task: Task) -> str:
        from seedance.domain.catalogue import format_money

        found = self.client.videos.cost(task)
        if found is None:
            return ""
        amount, currency, billed = found
        return ("" if billed else "~") + format_money(amount, currency)


def _trouble(watch: Watch) -> str:
    """Why the last look at a task failed, while the wait goes on: an answer that is no
    task (services/polling.py stops after a few in a row), or one that did not come."""
    from seedance.domain.errors import BadResponseError

    trouble = watch.trouble
    if trouble is None:
        return ""
    kind = "invalid answer" if isinstance(trouble, BadResponseError) else "no answer"
    return f"{kind}: {shortened(trouble.message, 90)}"


def time_left(age: float, progress: int | None, typical: float | None) -> float | None:
    """Seconds left: at the pace of the progress so far when it is reported (and has moved),
    else what is left of the typical time (None once that has passed: it cannot be told)."""
    if progress is not None and 0 < progress < 100 and age > 0:
        return age * (100 - progress) / progress
    if typical is not None and typical > age:
        return typical - age
    return None


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
