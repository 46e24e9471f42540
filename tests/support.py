"""Helpers shared by every test: an isolated seedance world, the real CLI in it, keys."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w
from typer.testing import CliRunner

from seedance.cli.app import app
from seedance.cli.environment import Environment
from seedance.domain.clock import FakeClock
from seedance.sim.app import Simulator
from seedance.sim.wire import SimRequest, SimResponse

if TYPE_CHECKING:
    from seedance import Client

KEYS = {
    "ARK_API_KEY": "ark-test-key-0001",
    "KAPON_API_KEY": "oh-kapon-test-key",
    "PHANEDGE_API_KEY": "oh-phanedge-test-key",
    "OPEAI_API_KEY": "opeai-test-key",
    "EASYROUTER_API_KEY": "sk-easyrouter-test-key",
    "VOLC_ACCESSKEY": "AKLTtestaccesskey",
    "VOLC_SECRETKEY": "testsecretkey==",
}


@dataclass
class Outcome:
    """What a command did: exit code, stdout, stderr."""

    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()


@dataclass
class World:
    """One test's seedance world."""

    root: Path
    environ: dict[str, str]
    clock: FakeClock
    transport: Any = None

    @property
    def config_dir(self) -> Path:
        return Path(self.environ["SEEDANCE_CONFIG_DIR"])

    @property
    def data_dir(self) -> Path:
        return Path(self.environ["SEEDANCE_DATA_DIR"])

    def write_profiles(self, document: dict[str, Any]) -> Path:
        path = self.config_dir / "profiles.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(tomli_w.dumps(document).encode())
        os.chmod(path, 0o600)
        return path

    def environment(self, **overrides: Any) -> Environment:
        settings = {
            "environ": self.environ,
            "clock": self.clock,
            "transport": self.transport,
            "cwd": self.root,
            "stdout_tty": False,
            "stderr_tty": False,
            **overrides,
        }
        return Environment(**settings)

    def client(self, profile: str = "sim-byteplus", **overrides: Any) -> Client:
        """The library's client in this world (its folders, environment, clock, transport),
        as the command line would make it; `overrides` replace any of them."""
        from seedance import Client

        settings = {
            "config_dir": self.config_dir,
            "data_dir": self.data_dir,
            "environ": self.environ,
            "clock": self.clock,
            "transport": self.transport,
            **overrides,
        }
        return Client.from_profile(profile, **settings)

    def run(self, *args: str, input: str | None = None, **overrides: Any) -> Outcome:
        """Run the real CLI (through Typer's CliRunner) in this world."""
        result = CliRunner().invoke(
            app,
            list(args),
            input=input,
            obj=self.environment(**overrides),
            catch_exceptions=True,
        )
        exc = result.exception if not isinstance(result.exception, SystemExit) else None
        return Outcome(result.exit_code, result.stdout, result.stderr, exc)


def sim_profiles(origin: str, token: str = "sim-token") -> dict[str, Any]:
    """profiles.toml pointing a `sim-<preset>` profile at the simulator for every preset."""
    from seedance.cli.sim import profile_document

    return {"default_profile": "sim-byteplus", "profiles": profile_document(origin, token)}


class ServerClock(FakeClock):
    """A simulated server's clock, `behind` seconds behind the client's (`client`), moving
    with it."""

    def __init__(self, client: FakeClock, behind: float) -> None:
        super().__init__()
        self.client, self.behind = client, behind

    def time(self) -> float:
        return self.client.time() - self.behind

    def monotonic(self) -> float:
        return self.client.monotonic()

    def sleep(self, seconds: float) -> None:
        self.client.sleep(seconds)


class TickingSimulator(Simulator):
    """Time on the server moves one second per API request, so tasks take a number of
    requests to finish rather than real seconds: processes on fake clocks can wait for them
    without sleeping, and nothing depends on how fast the machine is."""

    def handle_api(self, request: SimRequest) -> SimResponse:
        assert isinstance(self.clock, FakeClock)
        self.clock.advance(1.0)
        return super().handle_api(request)


def run_process(
    world: World, *args: str, crash_at: str | None = None, debug: str | None = None
) -> Outcome:
    """The real `seedance` in a child process (its sleeps take no time; see SEEDANCE_CLOCK);
    `debug` sets SEEDANCE_DEBUG (tracebacks)."""
    import subprocess
    import sys

    environ = {**world.environ, "SEEDANCE_CLOCK": "fake", "NO_COLOR": "1"}
    if crash_at:
        environ["SEEDANCE_CRASH_AT"] = crash_at
    if debug:
        environ["SEEDANCE_DEBUG"] = debug
    done = subprocess.run(
        [sys.executable, "-m", "seedance", *args],
        cwd=world.root,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


SECRET_HEADERS = ("authorization", "x-api-key", "api-key", "x-security-token")
MEDIA_SUFFIXES = (".mp4", ".png", ".jpg", ".jpeg", ".webp", ".mov")


def credential_leaks(requests: list[tuple[str, str, dict[str, str]]]) -> list[str]:
    """(url, path, headers) of requests to result hosts -> those that carried a credential."""
    return [url for url, _path, headers in requests if any(h in headers for h in SECRET_HEADERS)]


def result_requests(sims: list[Any], mock: Any) -> list[tuple[str, str, dict[str, str]]]:
    found = []
    for simulator in sims:
        for r in simulator.requests:
            if r.origin == simulator.store.origin:
                found.append((r.url, r.path, r.headers))
    if mock is not None:
        for r in mock.get_requests():
            path = r.url.path
            if path.lower().endswith(MEDIA_SUFFIXES) and "/v1/" not in path:
                headers = {k.lower(): v for k, v in r.headers.items()}
                found.append((str(r.url), path, headers))
    return found


START = 1_781_181_681  # FakeClock's first second


def serve_a_queued_lookalike(
    httpx_mock: Any, tasks_url: str, task_id: str = "cgt-lookalike"
) -> None:
    """An Ark task list (and read) showing one queued task of the default model, made just
    now: it could be the task of a create whose answer was lost, and a queued task echoes
    nothing that says whose it is (docs/sources/real-world.md)."""
    import re

    queued = {
        "id": task_id,
        "model": "dreamina-seedance-2-0-260128",
        "status": "queued",
        "created_at": START,
        "updated_at": START,
    }
    httpx_mock.add_response(
        method="GET",
        url=re.compile(re.escape(tasks_url) + r"\?.*"),
        json={"items": [queued], "total": 1},
        is_reusable=True,
    )
    httpx_mock.add_response(
        method="GET", url=f"{tasks_url}/{task_id}", json=queued, is_reusable=True
    )


IDENTITY_SHIFT = 3600  # services/videos/identity.py MAX_SHIFT: how far a nonce strays
SAFETY_ID = re.compile(r"seedance-[0-9a-f]{32}")  # a safety identifier seedance draws


def identity_of(sent: dict[str, Any], asked: dict[str, Any]) -> int | None:
    """Take seedance's identity out of a create body `sent` for the body a test `asked` for:
    the nonce in `execution_expires_after` (never a round minute, within an hour of the asked
    value or the default 172800), and, where `asked` has none of its own, a drawn seed
    (0 … 2^31-1) and a `seedance-` safety identifier. Returns the nonce, or None when `sent`
    does not carry such an identity."""
    around = asked.get("execution_expires_after", 172800)
    nonce = sent.pop("execution_expires_after", None)
    shift = min(IDENTITY_SHIFT, max(60, around // 20))
    if (
        not isinstance(nonce, int)
        or nonce % 60 == 0
        or not max(3600, around - shift) <= nonce <= min(259200, around + shift)
    ):
        return None
    final = any(item.get("type") == "draft_task" for item in asked.get("content", []))
    if "seed" not in asked and not final:
        seed = sent.pop("seed", None)
        if not isinstance(seed, int) or not 0 <= seed < 2**31:
            return None
    if "safety_identifier" not in asked:
        safety = sent.pop("safety_identifier", None)
        if not isinstance(safety, str) or not SAFETY_ID.fullmatch(safety):
            return None
    return nonce


def expect_ark_create(
    httpx_mock: Any,
    url: str,
    body: dict[str, Any],
    *,
    task_id: str = "cgt-1",
    headers: dict[str, str] | None = None,
    answer_json: dict[str, Any] | None = None,
) -> list[int]:
    """The one create a test allows on an Ark dialect: exactly `body`, plus seedance's identity
    (`identity_of`). Returns the nonces sent, to compare with the journal's; a body that
    differs is answered 418, so the command fails."""
    import json

    import httpx

    nonces: list[int] = []

    def answer(request: Any) -> Any:
        sent = json.loads(request.content)
        nonce = identity_of(sent, body)
        expected = {k: v for k, v in body.items() if k != "execution_expires_after"}
        if nonce is None or sent != expected:
            return httpx.Response(418, json={"error": {"code": "unexpected_body", "message": ""}})
        nonces.append(nonce)
        return httpx.Response(200, json=answer_json or {"id": task_id})

    httpx_mock.add_callback(answer, method="POST", url=url, match_headers=headers)
    return nonces


class Running:
    """The real `seedance` started in the background, its stderr read line by line, so a test
    can hold it at a step (`hold_at`: services/crashpoints.py), run another process meanwhile,
    then let it go on. Every wait is bounded; nothing sleeps."""

    def __init__(self, world: World, *args: str, hold_at: str | None = None) -> None:
        import queue
        import subprocess
        import sys
        import threading

        environ = {**world.environ, "SEEDANCE_CLOCK": "fake", "NO_COLOR": "1"}
        if hold_at:
            environ["SEEDANCE_HOLD_AT"] = hold_at
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "seedance", *args],
            cwd=world.root,
            env=environ,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.seen: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.seen.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def until(self, text: str, timeout: float = 60) -> bool:
        """Read stderr until a line holds `text` (True) or the process ends (False)."""
        while True:
            line = self._lines.get(timeout=timeout)
            if line is None:
                self._lines.put(None)
                return False
            if text in line:
                return True

    def release(self) -> None:
        """Let a held process go on."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write("go\n")
            self.proc.stdin.close()
        except BrokenPipeError:
            pass

    def finish(self, timeout: float = 60) -> Outcome:
        self.release()
        assert self.proc.stdout is not None
        code = self.proc.wait(timeout=timeout)  # what it prints on stdout is small: no stall
        out = self.proc.stdout.read()
        self._reader.join(timeout=timeout)
        return Outcome(code, out, "".join(self.seen))


def without_nonce(body: dict[str, Any], asked: dict[str, Any] | None = None) -> dict[str, Any]:
    """An Ark create body as sent, less seedance's identity (checked to be one: `identity_of`
    for the body a test asked for, by default one with none of the drawn values)."""
    rest = dict(body)
    asked = asked if asked is not None else {k: v for k, v in body.items() if k not in DRAWN}
    assert identity_of(rest, asked) is not None, f"no identity in {body}"
    return rest


DRAWN = ("execution_expires_after", "seed", "safety_identifier")


def version_3_journal(data: Path) -> None:
    """The journal a user of the previous release has: no ledger columns, user_version 3."""
    import sqlite3

    from seedance.services.state.sqlite import JOURNAL_FILE, SqliteState

    journal = SqliteState(data)
    journal._connect()  # made whole at the newest version ...
    journal.close()
    with sqlite3.connect(data / JOURNAL_FILE) as db:  # ... and taken back to version 3
        as_version_3(db)


def as_version_3(db: Any) -> None:
    """A journal's table as version 3 had it: no ledger columns, no index on them."""
    from seedance.services.state.sqlite import LEDGER_COLUMNS

    indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'").fetchall()
    for name, sql in indexes:
        if sql and any(column in sql for column in LEDGER_COLUMNS):
            db.execute(f"DROP INDEX {name}")
    for name in LEDGER_COLUMNS:
        db.execute(f"ALTER TABLE creates DROP COLUMN {name}")
    db.execute("PRAGMA user_version = 3")


def png(width: int = 640, height: int = 360, rgb: bytes = b"\x80\x80\x80") -> bytes:
    """A valid PNG of one colour (8-bit RGB), made without an imaging library."""
    import struct
    import zlib

    raw = b"".join(b"\x00" + rgb * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    head = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", head)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def runtime_of(client: Any) -> Any:
    """The collaborators behind a client (services/runtime.py), for tests that reach past
    the resources: the journal, the gate, the asset library."""
    return client._runtime
