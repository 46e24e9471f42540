"""The stores the state's contract tests run on, and a child process that holds their locks
(`python state_stores.py KIND LOCATION ACTION ...`), for the promises about processes."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
SRC = HERE.parents[2] / "src"


@dataclass
class Store:
    """One store to test: SQLite in a data directory, or PostgreSQL at a URL."""

    kind: str  # "sqlite" | "postgres"
    location: str  # the data directory, or the state URL

    def open(self, **options: Any) -> Any:
        return open_store(self.kind, self.location, **options)

    def child(self, action: str, *args: str) -> Child:
        """A child process that does `action` on this store (see `main`)."""
        process = subprocess.Popen(
            [sys.executable, str(HERE), self.kind, self.location, action, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin", "SEEDANCE_CLOCK": "fake"},
        )
        return Child(process)

    def wait_until_free(self, state: Any, lock: Any) -> None:
        """Return once nobody holds `lock`'s key: a killed holder's database session may end
        a moment after the process (a server-side wait, not a sleep); a file lock is free
        as soon as its process is reaped."""
        if self.kind != "postgres":
            return
        import psycopg

        with psycopg.connect(self.location, autocommit=True) as conn:
            conn.execute("SET lock_timeout = '60s'")
            conn.execute("SELECT pg_advisory_lock(%s)", (lock.key,))
            conn.execute("SELECT pg_advisory_unlock(%s)", (lock.key,))


@dataclass
class Child:
    process: subprocess.Popen[str]

    def line(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def say(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no clean-up of any kind
        self.process.wait(timeout=60)

    def finish(self) -> str:
        out, _ = self.process.communicate(timeout=120)
        return out


def open_store(kind: str, location: str, **options: Any) -> Any:
    from seedance.domain.state_url import StateUrl
    from seedance.services.state import open_state

    if kind == "sqlite":
        return open_state(Path(location), **options)
    return open_state(Path("/nonexistent"), StateUrl.parse(location, "test"), **options)


def lock_of(state: Any, what: str) -> Any:
    """A lock named in words: `request:NAME`, `account:NAME`, `row:N`, `unit:KIND:NAME`."""
    kind, _, name = what.partition(":")
    if kind == "request":
        return state.request_lock("p", name)
    if kind == "account":
        return state.account_lock(name)
    if kind == "row":
        return state.row_lease(int(name))
    unit_kind, _, unit_name = name.partition(":")
    return state.unit_lock(unit_kind, unit_name)


def begin(state: Any, n: int, **options: Any) -> int:
    body = {"model": "m", "content": [{"type": "text", "text": f"shot {n}"}]}
    values: dict[str, Any] = {
        "profile": "p",
        "dialect": "ark",
        "base_url": "https://api.test",
        "body": body,
        "request_hash": f"{n:064x}",
        "model": "m",
        "resolution": "720p",
        "duration": 5,
        "prompt": f"shot {n}",
        "output_path": f"/films/{n}.mp4",
        "at": 1_781_181_681.0 + n,
    }
    values.update(options)
    return int(state.begin(**values))


def main(kind: str, location: str, action: str, *args: str) -> None:
    """hold WHAT: take the lock, say "held" (or "busy"), then wait for a line (or the end of
    stdin), release it, say "released". begin N FIRST: write N rows picking the smallest free
    nonce from FIRST on, each under the write lock; print the nonces as JSON."""
    import os

    state = open_store(kind, location)
    if action == "hold":
        lock = lock_of(state, args[0])
        print("held" if lock.try_acquire() else "busy", os.getpid(), flush=True)
        sys.stdin.readline()
        lock.release()
        print("released", flush=True)
    elif action == "lease":  # a row begun and leased, as a create being sent holds it
        row = begin(state, int(args[0]), hold=lambda r: state.row_lease(r).try_acquire())
        print("leased", row, flush=True)
        sys.stdin.readline()
    elif action == "begin":
        count, first = int(args[0]), int(args[1])
        sys.stdin.readline()  # go
        picked = []

        def smallest(taken: set[int]) -> dict[str, object]:
            nonce = first
            while nonce in taken:
                nonce += 1
            picked.append(nonce)
            return {"nonce": nonce}

        for n in range(count):
            begin(state, 1000 * os.getpid() + n, nonce=smallest, at=1_781_181_681.0)
        print(json.dumps(picked), flush=True)
    state.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
