"""A PostgreSQL server for the tests: `initdb` and the server in a temporary folder, on a unix
socket there (no TCP port), as a non-root user (`postgres`, the user Debian's package makes,
when the tests run as root; the server refuses to run as root). One server per test session;
a fresh database per test (`Server.database`).

Missing binaries are a failure, never a skip: `.ci/run` installs them (apt-get install
postgresql), and SEEDANCE_REQUIRE_POSTGRES=1 says so there.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

INSTALL = (
    "the PostgreSQL server binaries are needed by the shared-state tests: install them "
    "(Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql), or name "
    "their folder in SEEDANCE_PG_BINDIR"
)
RUN_AS = "postgres"  # the user Debian's package makes
DATABASE = "seedance_tests"


class PostgresMissing(Exception):
    """No server can be started here; the message says how to get one."""


def bindir() -> Path:
    """The folder of initdb and postgres: SEEDANCE_PG_BINDIR, the newest of Debian's, or
    PATH's."""
    given = os.environ.get("SEEDANCE_PG_BINDIR")
    if given:
        return Path(given)
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise PostgresMissing(INSTALL)


@dataclass
class Server:
    """A running server and its folder."""

    root: Path
    socket_dir: Path
    bin: Path
    user: str | None  # the user it runs as (None: this process's)
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql:///{database}?host={self.socket_dir}&user={user}"

    def admin(self) -> object:
        import psycopg

        return psycopg.connect(self.url(), autocommit=True)

    def database(self) -> str:
        """A new, empty state: a schema of its own in the tests' database (a database each
        would cost a checkpoint each); its URL (the superuser's, the schema first on its
        search path)."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(DATABASE), autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        return self.url(DATABASE) + f"&options=-csearch_path%3D{name}"

    def _as_owner(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", self.user, "--", *argv] if self.user else argv

    def run(self, *argv: str) -> None:
        done = subprocess.run(
            self._as_owner([str(self.bin / argv[0]), *argv[1:]]),
            capture_output=True,
            text=True,
            cwd=self.root,
            timeout=120,
        )
        if done.returncode != 0:
            raise PostgresMissing(f"{argv[0]} failed: {done.stderr.strip() or done.stdout}")

    def stop(self, mode: str = "immediate") -> None:
        self.run("pg_ctl", "-D", str(self.root / "data"), "-m", mode, "-w", "stop")

    def start(self) -> None:
        options = (
            f"-k {self.socket_dir} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self.run(
            "pg_ctl",
            "-D",
            str(self.root / "data"),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_server() -> Server:
    """initdb and start a server in a new temporary folder (as `postgres` when root)."""
    binaries = bindir()
    if not (binaries / "initdb").exists():
        raise PostgresMissing(f"{binaries / 'initdb'} is missing; {INSTALL}")
    user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(RUN_AS)
        except KeyError:
            raise PostgresMissing(
                f"the tests run as root and there is no '{RUN_AS}' user to run the server as; "
                f"{INSTALL}"
            ) from None
        user = RUN_AS
    root = Path(tempfile.mkdtemp(prefix="seedance-pg-"))
    root.chmod(0o755)
    socket_dir = root / "socket"
    socket_dir.mkdir()
    if user:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
        os.chown(socket_dir, entry.pw_uid, entry.pw_gid)
    server = Server(root, socket_dir, binaries, user)
    try:
        server.run(
            "initdb",
            "-D",
            str(root / "data"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )
        server.start()
        import psycopg

        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return server
