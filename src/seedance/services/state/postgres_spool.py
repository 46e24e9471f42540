"""Writes the shared state could not take while its database was away, kept on this machine
until it returns (state/postgres.py reconnects, then replays them before anything else).

What waits here is only what can wait: a create's answer (its task id, or why it failed),
task observations, and verified downloads; every one an update of a row the database already
holds, keyed by its row or task id, so replaying one twice changes nothing. A create itself
is never spooled: it is written to the database before it is sent, or not sent.

The spool is a JSON Lines file in the data directory (0600, each line fsynced before the
write returns, under an OS lock shared by this machine's processes), so what a process kept
survives it: the next process on this machine that reaches the database replays it. Where
the file cannot be written (a read-only data directory) the lines stay in memory, for this
process only.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

Item = dict[str, Any]


def spool_path(data_dir: Path, where: str) -> Path:
    """The spool of the state shown as `where` (its URL without credentials) in
    `data_dir`: one file per shared state."""
    digest = hashlib.sha256(where.encode()).hexdigest()[:12]
    return data_dir / f"state-pending-{digest}.jsonl"


class Spool:
    """Pending writes of one shared state, in order (thread-safe; shared between this
    machine's processes through its file)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._memory: list[Item] = []
        self._guard = threading.Lock()

    def __len__(self) -> int:
        with self._guard:
            waiting = len(self._memory)
        if self.path is None:
            return waiting
        try:
            with self.path.open("rb") as file:
                return waiting + sum(1 for _ in file)
        except OSError:
            return waiting

    def add(self, item: Item) -> None:
        """Keep `item` (on disk, synced, when the file can be written)."""
        line = json.dumps(item, sort_keys=True) + "\n"
        if self.path is not None:
            try:
                with self._locked() as fd:
                    os.write(fd, line.encode())
                    os.fsync(fd)
                return
            except OSError:
                pass  # no room or no right to write: this process keeps it
        with self._guard:
            self._memory.append(item)

    def replay(self, apply: Callable[[Item], object]) -> int:
        """Apply every pending write in order, then forget them; an error stops it with the
        rest kept (those applied are applied again next time, which changes nothing).
        Returns how many were applied."""
        with self._guard:
            memory = list(self._memory)
        done = 0
        for item in memory:
            apply(item)
            done += 1
        with self._guard:
            del self._memory[: len(memory)]
        if self.path is None or not self._waiting_on_disk():
            return done
        try:
            with self._locked() as fd:
                with os.fdopen(os.dup(fd), "rb") as file:
                    file.seek(0)
                    lines = [line for line in file.read().splitlines() if line.strip()]
                for line in lines:
                    try:
                        item = json.loads(line)
                    except ValueError:
                        continue  # a line cut by a crash mid-write: it was never acknowledged
                    apply(item)
                    done += 1
                os.ftruncate(fd, 0)  # (never unlinked: another process may be about to append)
                os.fsync(fd)
        except OSError:
            pass  # unreadable: kept for a later try
        return done

    def _waiting_on_disk(self) -> bool:
        assert self.path is not None
        try:
            return self.path.stat().st_size > 0
        except OSError:
            return False

    @contextlib.contextmanager
    def _locked(self) -> Iterator[int]:
        assert self.path is not None
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)
