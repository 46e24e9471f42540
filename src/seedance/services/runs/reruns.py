"""The mark a manifest (chain.json, batch.json) keeps of a shot or take being made again on
purpose (a rerun, a retry), for the record: which create it replaces, and which take of its
parent a shot continues from.

What decides is the state, not this mark: a rerun advances the unit's generation there, its
create recorded with an open mark before it is sent (runs/identities.py), so the same command
run again after an interruption, on this machine or on a fresh one with no manifest, follows
the task the rerun made instead of paying for another. A run that ends with every marked shot
or take done settles the marks (the manifest's and the state's): a later rerun is a new one,
billed anew, as asked.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RerunMark(BaseModel):
    """A rerun under way: the create it replaces (its task, and its journal row)."""

    model_config = ConfigDict(frozen=True)

    replaces: str | None = None  # the task id (None: none, or its answer was lost)
    row: int | None = None  # the journal row of that create (None: there was none)
    made_from: str | None = None  # the parent's task the shot continues from (None: none)
