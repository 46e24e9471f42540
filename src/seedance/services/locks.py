"""One writer per thing: exclusive OS file locks (`flock`) between seedance processes.

A lock is a small file under `<data dir>/locks/`, named for what it guards and holding the
holder's pid: this machine's files (an output path, a storyboard's or batch's output
directory, `Locks`), and, on the SQLite store, the state's own locks (an account's slots, a
request id, a journal row's lease: state/sqlite.py). The OS drops it when its process ends,
however it ends (kill -9 included), so a lock is never left stale. POSIX only (Linux, macOS):
`fcntl.flock`.

Each lock file is removed by its holder on release; a process that opened the old file before
it went checks, once it holds the lock, that the path still names that file, and opens it anew
otherwise.
"""

from __future__ import annotations

try:
    import fcntl
except ImportError:  # Windows: said in one line, not as a missing module
    raise ImportError(
        "this library runs on POSIX systems only (Linux, macOS; on Windows, inside "
        "WSL): its locks are the OS's (fcntl)"
    ) from None
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from seedance.domain.clock import Clock
from seedance.domain.errors import BusyError, ExitStatus
from seedance.services.state.base import Holder, Lock, busy_error, poll_until_taken

LOCKS_DIR = "locks"


class FileLock:
    """An exclusive lock on one thing; not reentrant, and exclusive between threads too."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what  # the thing guarded, in words ("clip.mp4")
        self._fd: int | None = None
        self._guard = threading.Lock()

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; False when another holds it."""
        return self._acquire(blocking=False)

    def acquire(
        self,
        clock: Clock,
        *,
        timeout: float | None = None,
        on_wait: Callable[[Holder], object] | None = None,
    ) -> None:
        """Take the lock, waiting for its holder: without end when `timeout` is None (the
        OS wakes us), else trying every POLL seconds of `clock` until `timeout` passes.

        `on_wait` hears who holds it, once, before waiting. Raises BusyError (with the
        timeout's exit status) when the time is up.
        """
        if self.try_acquire():
            return
        if on_wait is not None:
            on_wait(self.holder())
        if timeout is None:
            self._acquire(blocking=True)
            return
        poll_until_taken(self, clock, timeout)

    def busy(self, exit_status: ExitStatus = ExitStatus.USAGE) -> BusyError:
        """The error that says who holds the lock."""
        return busy_error(self.holder(), exit_status)

    def holder(self) -> Holder:
        try:
            data = json.loads(self.path.read_text("utf-8"))
            pid = data.get("pid")
            return Holder(pid if isinstance(pid, int) else None, self.what)
        except (OSError, ValueError, AttributeError):
            return Holder(None, self.what)

    def release(self) -> None:
        with self._guard:
            fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)  # still held: nobody takes it on its way out
        finally:
            os.close(fd)

    def _acquire(self, *, blocking: bool) -> bool:
        with self._guard:
            if self._fd is not None:
                raise RuntimeError(f"the lock on {self.what} is already held here")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                os.close(fd)
                return False
            except BaseException:
                os.close(fd)
                raise
            if _same_file(fd, self.path):
                break
            os.close(fd)  # its holder removed it as we waited: lock the file there now
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "what": self.what}).encode())
        with self._guard:
            self._fd = fd
        return True

    def __enter__(self) -> FileLock:
        self._acquire(blocking=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (on_disk.st_dev, on_disk.st_ino)


class Locks:
    """The lock files of one data directory that guard its machine's files."""

    def __init__(self, data_dir: Path) -> None:
        self.directory = data_dir / LOCKS_DIR

    def _named(self, kind: str, key: str, what: str) -> FileLock:
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return FileLock(self.directory / f"{kind}-{digest}.lock", what)

    def output(self, path: Path) -> FileLock:
        """The file (or directory) a video is saved to."""
        return self._named("output", str(path), path.name or str(path))

    def chain(self, directory: Path) -> FileLock:
        """A storyboard's output directory."""
        return self._named("chain", str(directory), f"the storyboard run in {directory}")

    def batch(self, directory: Path) -> FileLock:
        """A batch's output directory."""
        return self._named("batch", str(directory), f"the batch run in {directory}")

    def simulator(self) -> FileLock:
        """The one simulator announced for this data directory (its sim-* profiles)."""
        return FileLock(self.directory / "simulator.lock", "the simulator of this data directory")


@contextmanager
def holding(lock: Lock) -> Iterator[Lock]:
    """Release `lock` (already taken) when the block ends."""
    try:
        yield lock
    finally:
        lock.release()
