"""The steps of `generate` and what one call of it holds (videos/generate.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from seedance.domain.errors import InterruptedByUser, Suggestion
from seedance.domain.models import DownloadResult, Task
from seedance.services.account.gate import Allowance
from seedance.services.runs.identities import UnitKey
from seedance.services.runtime import Runtime
from seedance.services.videos.polling import Listener


class Step(StrEnum):
    """What `generate` is doing (told to `on_step` with a detail)."""

    WAITING_FOR_LOCK = "waiting-for-lock"  # detail: who holds the output
    WAITING_FOR_SLOT = "waiting-for-slot"  # the account is full (detail: how full)
    SAVED_BEFORE = "saved-before"  # detail: the task whose video is already there
    COPYING = "copying"  # detail: the saved copy of the video, copied to the output
    RESUMING = "resuming"  # detail: the task an earlier create made
    SENDING = "sending"
    CREATED = "created"  # detail: the new task
    LOOKING = "looking"  # the answer was lost: looking for the task (detail: what)
    FOUND = "found"  # detail: the lost create's task, found
    NOT_ARRIVED = "not-arrived"  # the lost create provably never arrived: sending it again
    DOWNLOADING = "downloading"  # detail: the file


class Origin(StrEnum):
    """Where a generated video's task came from."""

    CREATED = "created"  # made by this call
    RESUMED = "resumed"  # an earlier create of the same request and output (or a given id)
    SAVED_BEFORE = "saved-before"  # the video was already saved there


OnStep = Callable[[Step, str], None]
Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class Generated:
    """A saved, verified video and the task it comes from.

    `download` is the contract's download object (`path`, `bytes`, `sha256`), named as the
    command line's JSON names it; `video` is the same object by its earlier name."""

    task: Task
    download: DownloadResult
    last_frame: DownloadResult | None = None
    origin: Origin = Origin.CREATED

    @property
    def video(self) -> DownloadResult:
        """The saved video: the same as `download` (the name earlier versions used)."""
        return self.download


@dataclass
class Run:
    """One call's settings."""

    rt: Runtime
    output: Path  # resolved: the journal's name for it
    last_frame_output: Path | None
    deadline: float | None  # monotonic
    new: bool
    overwrite: bool
    again: Suggestion  # how the user makes it anew on purpose
    on_step: OnStep
    on_update: Listener | None
    on_progress: Progress | None
    stop: threading.Event | None
    allowance: Allowance  # what this call may spend (its max_cost)
    task_id: str | None = None  # once a task exists
    suffix: str = ".mp4"  # the video's extension, from the requested output format

    def saved_as(self, task_id: str) -> Path:
        """The file the video is saved as: the output, or `<task id>.mp4` (`.mov`) in it."""
        return self.output / f"{task_id}{self.suffix}" if self.output.is_dir() else self.output

    label: str | None = None  # what the create is made for, in the ledger ("batch:NAME")
    unit: UnitKey | None = None  # the run's unit it makes: its creates known by it, not a path
    by_label: bool = False  # its creates are known by their label (a request id's)

    def step(self, step: Step, detail: str = "") -> None:
        self.on_step(step, detail)

    def interrupted(self) -> InterruptedByUser:
        """Stopped between steps: what runs on the server, and how to go on."""
        if self.task_id is None:
            return InterruptedByUser(
                "stopped; this command made no task", suggestion=Suggestion.again()
            )
        return InterruptedByUser(
            f"stopped; task {self.task_id} keeps running on the server",
            reason="resume",
            suggestion=[
                Suggestion.again(),
                Suggestion.of("wait", self.task_id, output=str(self.output)),
            ],
        )

    def left(self) -> float | None:
        if self.deadline is None:
            return None
        return max(self.deadline - self.rt.clock.monotonic(), 0.0)


def told(run: Run | None, step: Step, task_id: str) -> None:
    if run is not None:
        run.step(step, task_id)
