"""The words a run's manifests store for what became of each unit (a shot, a take)."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """How a unit ended in this run (the manifests store the same words)."""

    PENDING = "pending"  # not started: a cap or fail-fast stopped the run first
    SUBMITTED = "submitted"  # its task exists
    DONE = "done"
    FAILED = "failed"  # its task failed on the server
    ERROR = "error"  # something else stopped it (the API refused it, the network, the disk)
    STOPPED = "stopped"  # not sent: a spending cap
    BLOCKED = "blocked"  # the unit it follows did not end done
