"""Work that travels: a unit of a storyboard or batch as every machine knows it.

A run is named by its kind and name (`batch:NAME`, `storyboard:NAME`: the create's `label`;
the name is the file's stem unless the caller gives one), a unit by its id in the run
(`row#2` a batch row's take, a shot id), never by a path: another machine, another folder, a
fresh CI runner with no manifest know it as the same. Each create records its unit and the
unit's generation: 0 for the first make, one more per rerun.

A rerun advances the generation once: its create is recorded (before it is sent) with the new
generation and an open mark (`rerun`), which stays until the run that asked for it ends with
every rerun done (`settle`). The same command run again meanwhile, here or on another machine,
finds the open mark and follows the rerun's create (or makes it, when none was sent, or when it
failed) instead of advancing again: a retried rerun neither skips the rerun nor pays twice. A
shot's rerun is its own only while its parent has no newer create: a shot made from a take its
parent replaced since is made again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from seedance.domain.errors import UsageError
from seedance.services.state import UNFINISHED, Entry, State

_MAX_NAME = 200


@dataclass(frozen=True)
class UnitKey:
    """A unit of a run, the generation its create is for, and whether that generation is a
    rerun under way (its mark open)."""

    label: str  # the run: "batch:NAME", "storyboard:NAME"
    unit: str  # "row#2", a shot id
    generation: int = 0
    rerun: bool = False

    def columns(self) -> dict[str, object]:
        """The values a create of it records (entries.WORK_COLUMNS)."""
        return {
            "unit": self.unit,
            "generation": self.generation,
            "rerun": 1 if self.rerun else None,
        }


@dataclass(frozen=True)
class Decision:
    """How the engine makes a unit now: its key, and whether earlier creates are not reused
    (`new`); `newest` is the unit's newest create found in the state (any machine)."""

    key: UnitKey
    new: bool
    newest: Entry | None


def label(kind: str, name: str) -> str:
    """The run's label: what its creates are made for, in the ledger too."""
    return f"{kind}:{name}"


def run_name(given: str | None, path: Path | None, fallback: str) -> str:
    """The run's name: the one given, else the file's stem, else `fallback`."""
    name = given if given is not None else (path.stem if path is not None else fallback)
    name = name.strip()
    if not name or len(name) > _MAX_NAME or any(ord(c) < 32 for c in name):
        raise UsageError(
            f"the name {name[:40]!r} is not one: give 1 to {_MAX_NAME} printable characters",
            field="name",
        )
    return name


def decide(
    state: State, profile: str, run: str, unit: str, *, fresh: bool, parent: str | None = None
) -> Decision:
    """The generation of `unit` to make now. Not `fresh`: the newest (its creates followed).
    `fresh` (a rerun, a retry): the rerun under way when its mark is open and its parent has
    no newer create, else a new generation (billed anew)."""
    newest = state.latest_of(profile, run, unit, states=UNFINISHED)
    generation = (newest.generation or 0) if newest is not None else 0
    open_mark = newest is not None and bool(newest.rerun)
    if not fresh:
        return Decision(UnitKey(run, unit, generation, open_mark), False, newest)
    if newest is not None and open_mark and not _parent_newer(state, profile, run, parent, newest):
        failed = newest.status is not None and newest.status.is_failure
        return Decision(UnitKey(run, unit, generation, True), failed, newest)
    advanced = generation + 1 if newest is not None else 0
    return Decision(UnitKey(run, unit, advanced, True), True, newest)


def _parent_newer(state: State, profile: str, run: str, parent: str | None, entry: Entry) -> bool:
    """Whether the unit `entry`'s create continues from has a newer create than it: then that
    create continues from a take its parent replaced since."""
    if parent is None:
        return False
    made = state.latest_of(profile, run, parent, states=UNFINISHED)
    return made is not None and made.row > entry.row


def changed(
    state: State,
    profile: str,
    run: str,
    definitions: Mapping[str, Collection[str]],
    asked_anew: set[str],
) -> list[str]:
    """The units (of `definitions`: unit -> the request hashes that name what it asks for
    now) whose newest create, on any machine, asked for something else and made a task:
    changed since they were made, so refused unless made anew on purpose (`asked_anew`)."""
    newest = state.units_of(profile, run) if definitions else {}
    found = []
    for unit, definition in definitions.items():
        entry = newest.get(unit)
        if unit in asked_anew or entry is None or entry.task_id is None:
            continue
        if entry.status is not None and entry.status.is_failure:
            continue
        if entry.request_hash not in definition:
            found.append(unit)
    return found
