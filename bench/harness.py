"""What every benchmark shares: a simulator whose HTTP servers log each request with its time,
client port and bytes sent; an isolated seedance world (config, data, profiles); and a way to
run the real `seedance` as a child process and read its CPU time and peak memory."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from seedance.cli.sim import profile_document
from seedance.sim.app import SimConfig, Simulator
from seedance.sim.server import SimServer, _Handler
from seedance.sim.state import SimTask

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VENV_BIN = BENCH / ".venv" / "bin"
WORK = BENCH / "work"
SEEDANCE = str(VENV_BIN / "seedance")
MiB = 1 << 20


# -- the simulator, with a request log that knows time, connection and bytes ----------------


@dataclass
class Hit:
    """One request a simulator server answered."""

    at: float  # time.time() when its headers had been read
    done: float  # when the answer had been written
    server: str  # "api" | "store"
    method: str
    target: str  # path and query
    port: int  # the client's port: one per TCP connection
    status: int
    headers: dict[str, str]  # request headers, lower-case names
    body_bytes: int  # response body bytes written to the socket


class _CountingWriter:
    """The handler's socket writer, counting what was written."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.count = 0

    def write(self, data: bytes) -> int:
        written = self.raw.write(data)
        self.count += len(data)
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


class LoggingHandler(_Handler):
    """The simulator's handler, recording a Hit per request in `server.bench_log`."""

    def setup(self) -> None:
        super().setup()
        self.wfile = _CountingWriter(self.wfile)  # type: ignore[assignment]

    def send_response(self, code: int, message: str | None = None) -> None:
        self._status = code
        super().send_response(code, message)

    def end_headers(self) -> None:
        super().end_headers()
        self._header_bytes = self.wfile.count  # type: ignore[attr-defined]

    def _logged(self) -> None:
        writer: _CountingWriter = self.wfile  # type: ignore[assignment]
        writer.count = 0
        self._status, self._header_bytes = 0, 0
        at = time.time()
        try:
            self._handle()
        finally:
            log: HitLog = self.server.bench_log  # type: ignore[attr-defined]
            log.add(
                Hit(
                    at=at,
                    done=time.time(),
                    server=log.name,
                    method=self.command,
                    target=self.path,
                    port=self.client_address[1],
                    status=self._status,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body_bytes=writer.count - self._header_bytes,
                )
            )

    do_GET = do_POST = do_DELETE = do_PUT = do_HEAD = do_PATCH = _logged


class HitLog:
    def __init__(self, name: str) -> None:
        self.name = name
        self._hits: list[Hit] = []
        self._lock = threading.Lock()

    def add(self, hit: Hit) -> None:
        with self._lock:
            self._hits.append(hit)

    def all(self) -> list[Hit]:
        with self._lock:
            return list(self._hits)


def _quiet(handle_error: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    """A server's error report, minus the clients that hung up (the bench kills some)."""

    def report(request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            handle_error(request, client_address)

    return report


class Sim:
    """A SimServer on loopback whose two servers log every request (see Hit)."""

    def __init__(self, config: SimConfig) -> None:
        self.server = SimServer(config)
        self.api_log, self.store_log = HitLog("api"), HitLog("store")
        # SimServer keeps its two http.server instances private; the bench swaps in its
        # logging handler (same behaviour, plus the log) and hands each server its log.
        for http_server, log in (
            (self.server._api, self.api_log),
            (self.server._store, self.store_log),
        ):
            http_server.RequestHandlerClass = LoggingHandler
            http_server.bench_log = log  # type: ignore[attr-defined]
            http_server.handle_error = _quiet(http_server.handle_error)  # type: ignore[method-assign]
        self.server.start()

    @property
    def sim(self) -> Simulator:
        return self.server.sim

    @property
    def origin(self) -> str:
        return self.server.api_url

    def on_create(self, timing: Callable[[SimTask], tuple[float, float] | None]) -> None:
        """Give each new task the (queue, run) seconds `timing` returns for it."""
        original = self.sim.new_task

        def new_task(request: Any, **fields: Any) -> SimTask:
            task = original(request, **fields)
            chosen = timing(task)
            if chosen is not None:
                task.queue_seconds, task.run_seconds = chosen
            return task

        self.sim.new_task = new_task  # type: ignore[method-assign]

    def close(self) -> None:
        self.server.stop()

    def __enter__(self) -> Sim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def reads_of(hits: Sequence[Hit], task_id: str) -> list[Hit]:
    """The API reads (not creates) that named `task_id`, in time order."""
    return sorted(
        (h for h in hits if h.method == "GET" and task_id in h.target), key=lambda h: h.at
    )


def max_in_window(times: Sequence[float], seconds: float) -> int:
    """The most events in any window of `seconds`."""
    ordered, best, lo = sorted(times), 0, 0
    for hi, t in enumerate(ordered):
        while t - ordered[lo] >= seconds:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


# -- an isolated seedance world ----------------------------------------------------------------


class World:
    """Config and data directories with `sim-<preset>` profiles pointing at one simulator."""

    def __init__(self, name: str, origin: str, token: str = "bench-token") -> None:
        self.root = WORK / name
        shutil.rmtree(self.root, ignore_errors=True)
        (self.root / "config").mkdir(parents=True)
        (self.root / "data").mkdir()
        profiles = profile_document(origin, token)
        path = self.root / "config" / "profiles.toml"
        path.write_bytes(
            tomli_w.dumps({"default_profile": "sim-byteplus", "profiles": profiles}).encode()
        )
        path.chmod(0o600)
        self.env = {
            "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(self.root),
            "SEEDANCE_CONFIG_DIR": str(self.root / "config"),
            "SEEDANCE_DATA_DIR": str(self.root / "data"),
            "NO_COLOR": "1",
            "LANG": "C.UTF-8",
        }

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def seedance(self, *args: str, timeout: float = 60, **kw: Any) -> Run:
        return run([SEEDANCE, *args], env=self.env, cwd=self.root, timeout=timeout, **kw)


# -- child processes with their own CPU time and peak memory --------------------------------


@dataclass
class Run:
    rc: int
    started: float  # time.time()
    wall: float  # seconds
    cpu: float  # user + system seconds of the child
    max_rss: int  # bytes
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def ended(self) -> float:
        return self.started + self.wall

    def check(self, what: str) -> Run:
        if self.rc != 0:
            raise RuntimeError(f"{what} exited {self.rc}: {self.stderr.strip()[-600:]}")
        return self


GNU_TIME = shutil.which("time", path="/usr/bin:/bin")


def run(
    cmd: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
    on_start: Any = None,
) -> Run:
    """Run `cmd` to its end (killed after `timeout`), measuring it with wait4.

    Its peak memory comes from GNU time where there is one: a child forked from the bench
    process starts with the bench's pages, and Linux keeps that high-water mark in the
    child's own `ru_maxrss` across exec, so wait4 alone reports at least the bench's size
    (tens of MiB for the simulator's object store). `time` forks the command from its own
    small process. The command runs in its own process group: `kill_group` ends it (and
    `time`) at once."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile(mode="r") as peak,
    ):
        argv = [GNU_TIME, "-f", "%M", "-o", peak.name, *cmd] if GNU_TIME else list(cmd)
        started, t0 = time.time(), time.perf_counter()
        proc = subprocess.Popen(
            argv, env=env, cwd=cwd, stdout=out, stderr=err, start_new_session=True
        )
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            kill_group(proc)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            if on_start is not None:
                on_start(proc)
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            kill_group(proc)  # anything the command left behind
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        measured = peak.read().strip().splitlines()
        max_rss = usage.ru_maxrss * 1024
        if measured and measured[-1].isdigit():
            max_rss = int(measured[-1]) * 1024
        for line in measured:  # `time` exits 128 + N for a command killed by signal N
            if line.startswith("Command terminated by signal "):
                proc.returncode = -int(line.rsplit(" ", 1)[1])
        return Run(
            rc=proc.returncode,
            started=started,
            wall=wall,
            cpu=usage.ru_utime + usage.ru_stime,
            max_rss=max_rss,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
            timed_out=killed.is_set(),
        )


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the process group `run` started the command in (the command itself, and
    `time` around it)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


# -- results ---------------------------------------------------------------------------------


@dataclass
class Check:
    """One target: what was measured against what was asked."""

    area: str
    target: str
    measured: str
    ok: bool
    miss: str = ""  # by how much, when missed
    why: str = ""  # diagnosis and proposed fix, when missed


@dataclass
class Section:
    title: str
    checks: list[Check] = field(default_factory=list)
    body: list[str] = field(default_factory=list)  # markdown lines
    raw: dict[str, Any] = field(default_factory=dict)  # numbers for results.json


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        text = Path("/proc/cpuinfo").read_text()
        found = re.search(r"model name\s*:\s*(.+)", text)
        cpu = found.group(1).strip() if found else cpu
    except OSError:
        pass
    memory = "unknown"
    try:
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        memory = f"{kib / 2**20:.1f} GiB"
    except (OSError, AttributeError):
        pass
    curl = subprocess.run(["curl", "--version"], capture_output=True, text=True, check=False)
    return {
        "seedance": source_version(),
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "OS": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "Python": platform.python_version(),
        "curl": curl.stdout.split("\n", 1)[0].split(" (", 1)[0],
    }


def source_version() -> str:
    """The commit measured, and whether src/ had changes not yet committed."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = [line for line in git("status", "--porcelain", "--", "src").splitlines() if line]
    return commit + (
        f" + uncommitted changes in {len(changed)} file(s) under src/" if changed else ""
    )
