"""A real PostgreSQL server for the store tests, started by the tests themselves.

Debian's server binaries (``/usr/lib/postgresql/*/bin``; ``make postgres`` installs
them) run ``initdb`` and ``pg_ctl`` in a temporary directory, listening on a free
loopback port with its socket in that directory. PostgreSQL refuses to run as root,
so under root the directory is handed to the ``postgres`` user and the binaries run
through ``runuser``. Each test gets a fresh database (``fresh_database``).

Use from a test module::

    from tests.pg_server import postgres_server  # noqa: F401  (session fixture)
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def fresh_database(self) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        name = "crs_" + uuid.uuid4().hex[:12]
        with psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def running_server() -> Iterator[PostgresServer]:
    """Start a throw-away PostgreSQL server; stop it and remove its files on exit.

    Raises FileNotFoundError when the server binaries are not installed.
    """
    binaries = _binaries()
    if binaries is None:
        raise FileNotFoundError(
            "PostgreSQL server binaries are not installed (run `make postgres`)"
        )
    root = Path(tempfile.mkdtemp(prefix="crs-pg-"))
    data, sockets, log = root / "data", root / "sockets", root / "server.log"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(sockets, "postgres", "postgres")
    port = _free_port()
    user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
    try:
        subprocess.run(
            _as_server_user(
                [str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", user, "--no-sync"]
            ),
            check=True,
            capture_output=True,
        )
        options = f"-h 127.0.0.1 -p {port} -k {sockets} -c fsync=off -c full_page_writes=off"
        subprocess.run(
            _as_server_user(
                [
                    str(binaries / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(log),
                    "-o",
                    options,
                    "-w",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        yield PostgresServer("127.0.0.1", port, user)
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_server_user(
                    [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
                ),
                capture_output=True,
            )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole test session.

    Missing server binaries fail the tests rather than skip them: `make test` installs
    them (`make postgres`), and a silently skipped backend would hide a broken store.
    """
    if _binaries() is None:
        pytest.fail("PostgreSQL server binaries are not installed: run `make postgres` first")
    with running_server() as server:
        yield server
