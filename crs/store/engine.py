"""Where the ward store lives, how to connect to it, and migrating it to the current schema.

The store is local by default (privacy: nothing leaves the machine): an SQLite file in
the user's data directory, ``platformdirs.user_data_dir("crs-ward-dashboard")``. A
hospital that runs a shared server names it in ``CRS_DATABASE_URL``
(``postgresql+psycopg://user@host/db``). The schema is migrated with Alembic from a
configuration built in code (no ``alembic.ini``), so the app and the command line
bring any database to the current schema when they start.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from platformdirs import user_data_dir
from sqlalchemy.engine import URL, Engine, make_url

from crs.errors import UnusableExportError

#: Environment variable naming the database (an SQLAlchemy URL).
DATABASE_ENV = "CRS_DATABASE_URL"
#: Application name for the per-user data directory.
APP_NAME = "crs-ward-dashboard"
#: SQLite file name inside the data directory.
SQLITE_FILE = "ward.sqlite3"
#: How long a writer waits for another one before giving up (two imports at once).
BUSY_TIMEOUT_MS = 60_000
#: SQLite page cache per connection (KiB).
SQLITE_CACHE_KIB = 131_072
#: Key of the PostgreSQL advisory lock that serialises imports and migrations.
PG_LOCK_KEY = 0x43525357  # "CRSW"

MIGRATIONS = Path(__file__).with_name("migrations")


def default_database_url() -> str:
    """The SQLite file under the user's data directory (created on first use)."""
    folder = Path(user_data_dir(APP_NAME, appauthor=False))
    return f"sqlite:///{folder / SQLITE_FILE}"


def database_url(url: str | None = None) -> URL:
    """The database to use: ``url``, else ``$CRS_DATABASE_URL``, else the local SQLite file.

    ``postgresql://`` without a driver means psycopg 3 (the driver this project pins).
    """
    text = url or os.environ.get(DATABASE_ENV) or default_database_url()
    try:
        parsed = make_url(text)
    except sa.exc.ArgumentError as exc:
        raise UnusableExportError(
            f"The database address {text!r} is not a valid URL; use sqlite:///PATH "
            "or postgresql+psycopg://USER@HOST/DATABASE."
        ) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise UnusableExportError(
            f"The ward store runs on SQLite or PostgreSQL, not {parsed.get_backend_name()!r} "
            f"({DATABASE_ENV})."
        )
    return parsed


def describe_database(url: str | URL | None = None) -> str:
    """A sentence for the home page: where the ward data is kept (password hidden)."""
    parsed = url if isinstance(url, URL) else database_url(url)
    if parsed.get_backend_name() == "sqlite":
        where = parsed.database or ":memory:"
        return f"SQLite file {where} (on this machine)"
    host = parsed.host or "local socket"
    port = f":{parsed.port}" if parsed.port else ""
    user = f" as {parsed.username}" if parsed.username else ""
    return f"PostgreSQL database {parsed.database} on {host}{port}{user}"


def create_store_engine(url: URL) -> Engine:
    """An engine with the settings that make two imports at once lose nothing.

    SQLite: write-ahead log (readers never block the writer), a busy timeout (a second
    writer waits rather than fails) and ``BEGIN IMMEDIATE`` for transactions that write
    (the write lock is taken before anything is read, so no import decides on a stale
    view). Read-only work passes ``execution_options(crs_read_only=True)`` and begins a
    deferred transaction instead, so the ward round never waits for an import.
    """
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, _record) -> None:
            # Let SQLAlchemy's "begin" event below issue BEGIN, not the sqlite3 module.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            _switch_to_wal(cursor)
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Staging tables of a 100,000-row import live in memory, and a larger page
            # cache keeps the merge from re-reading the observation index from disk.
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(connection) -> None:
            if connection.get_execution_options().get("crs_read_only"):
                connection.exec_driver_sql("BEGIN")
            else:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _switch_to_wal(cursor: sqlite3.Cursor) -> None:
    """``PRAGMA journal_mode=WAL``, retried while another process holds the file.

    SQLite answers "database is locked" to this pragma at once, without calling the busy
    handler, when another connection is switching the same new file at that moment (two
    processes opening a fresh store together: seen in the two-imports test under load).
    So the switch is retried, with a growing pause, for as long as the busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.25)


def lock_for_writing(connection: sa.Connection) -> None:
    """Serialise writers on PostgreSQL (SQLite already holds its write lock: BEGIN IMMEDIATE).

    An import reads what is stored to record every changed value; holding one
    transaction-scoped advisory lock makes two concurrent imports run one after the
    other, so neither records changes against a view the other is rewriting.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """Alembic configuration built in code (script location inside the package)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the current schema), in one transaction."""
    with engine.begin() as connection:
        lock_for_writing(connection)
        command.upgrade(alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect().execution_options(crs_read_only=True) as connection:
        return MigrationContext.configure(connection).get_current_revision()
