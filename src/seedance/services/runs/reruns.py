"""A shot or take made again on purpose (a rerun, a retry) is made anew once, however often
the command that asked for it runs.

Before its create is sent, the manifest (chain.json, batch.json) records, on disk, that a rerun
of it is under way and which task it replaces: the newest create of its request and clip that
the journal knew then. The same command run again after an interruption (kill -9, Ctrl-C, a CI
job retried) finds a newer create of that request and clip in the journal: the rerun already
made its new task, which is followed (or found, when its answer was lost) instead of paid for
again. A task that failed is replaced again, as a failed task always is.

A storyboard shot continues from its parent's take, so its mark also says which take that was
(`made_from`, the parent's task). A mark left by an interrupted rerun of the shot is the
rerun's own only while the parent is still that take: once the parent is made anew (a later
`rerun` of the parent), a newer create of the shot continues from the old take, and the shot
is marked and made anew from the new one.

A run that ends with every marked shot or take done settles the marks: a later rerun is a new
one, billed anew, as asked.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from seedance.services.state import UNFINISHED, Entry, State


class RerunMark(BaseModel):
    """A rerun under way: the create it replaces (its task, and its journal row)."""

    model_config = ConfigDict(frozen=True)

    replaces: str | None = None  # the task id (None: none, or its answer was lost)
    row: int | None = None  # the journal row of that create (None: there was none)
    made_from: str | None = None  # the parent's task the shot continues from (None: none)

    def made_from_other(self, parent_task: str | None) -> bool:
        """Whether the rerun was marked while the parent was another take than
        `parent_task`: then the create it made does not continue from the parent's take."""
        return self.made_from is not None and self.made_from != parent_task


def newest_create(journal: State, profile: str, request_hash: str, output: Path) -> Entry | None:
    """The newest create of a request to a clip that may have made a task."""
    return journal.latest_for(profile, request_hash, str(output.resolve()), UNFINISHED)


def mark(
    journal: State,
    profile: str,
    request_hash: str,
    output: Path,
    *,
    made_from: str | None = None,
) -> RerunMark:
    """The mark of a rerun starting now: it replaces the newest create of its request and
    clip (if any); `made_from`: the parent's task the shot continues from."""
    entry = newest_create(journal, profile, request_hash, output)
    if entry is None:
        return RerunMark(made_from=made_from)
    return RerunMark(replaces=entry.task_id, row=entry.row, made_from=made_from)


def makes_anew(
    journal: State, profile: str, request_hash: str, output: Path, rerun: RerunMark
) -> bool:
    """Whether the rerun marked `rerun` still has to create: no create since the one it
    replaces, or the newest failed. A newer create, even one whose answer was lost, is the
    rerun's own: followed (or looked for), never paid for again."""
    entry = newest_create(journal, profile, request_hash, output)
    if entry is None or entry.row == rerun.row:
        return True
    if entry.task_id is not None and entry.task_id == rerun.replaces:
        return True  # the same task (a journal rebuilt since numbers its rows anew)
    return entry.status is not None and entry.status.is_failure
