"""Where the ward store lives (docs/architecture.md §7): local by default, overridable."""

from __future__ import annotations

from pathlib import Path

import pytest

from crs.errors import UnusableExportError
from crs.store import database_url, default_database_url, describe_database, open_store
from crs.store.errors import StoreFailure


def test_the_default_store_is_an_sqlite_file_in_the_users_data_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CRS_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    expected = tmp_path / "crs-ward-dashboard" / "ward.sqlite3"
    assert default_database_url() == f"sqlite:///{expected}"
    assert database_url().database == str(expected)
    store = open_store()
    assert store.describe() == f"SQLite file {expected} (on this machine)"
    assert expected.exists()
    store.close()


def test_crs_database_url_names_another_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CRS_DATABASE_URL", f"sqlite:///{tmp_path / 'other.sqlite3'}")
    assert database_url().database == str(tmp_path / "other.sqlite3")
    # An explicit URL (the command line's --database) wins over the environment.
    assert database_url(f"sqlite:///{tmp_path / 'x.sqlite3'}").database == str(
        tmp_path / "x.sqlite3"
    )


def test_a_postgresql_url_without_a_driver_means_psycopg_and_hides_the_password() -> None:
    url = database_url("postgresql://ward:s3cret@db.example:5433/crs")
    assert url.drivername == "postgresql+psycopg"
    text = describe_database(url)
    assert text == "PostgreSQL database crs on db.example:5433 as ward"
    assert "s3cret" not in text


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url at all"])
def test_an_unsupported_database_is_refused_with_a_clear_message(url: str) -> None:
    with pytest.raises(UnusableExportError, match="SQLite or PostgreSQL|not a valid URL"):
        database_url(url)


def test_an_unopenable_sqlite_path_is_one_clear_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreFailure, match="Cannot open the ward store"):
        open_store(f"sqlite:///{blocker / 'ward.sqlite3'}")


def test_switching_a_new_store_file_to_wal_waits_for_another_process_holding_it(
    tmp_path: Path,
) -> None:
    """Two processes opening a fresh SQLite store at once: SQLite answers the WAL switch
    of the second with "database is locked" at once (no busy handler), so opening the
    store failed now and then. The switch is retried while the file is held."""
    import sqlite3
    import threading

    from crs.store.engine import _switch_to_wal

    path = tmp_path / "ward.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("CREATE TABLE t (x)")
    waiting = sqlite3.connect(path, isolation_level=None, timeout=0, check_same_thread=False)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        waiting.execute("PRAGMA journal_mode=WAL")  # what a single attempt gets
    threading.Timer(0.3, lambda: holder.execute("COMMIT")).start()
    _switch_to_wal(waiting.cursor())
    assert waiting.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    holder.close()
    waiting.close()
