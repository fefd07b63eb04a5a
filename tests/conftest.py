"""Shared test fixtures: where the repository, its sample data and its Python are."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def python() -> str:
    """The interpreter running the tests (the project's .venv under `make test`)."""
    return sys.executable


@pytest.fixture(scope="session", autouse=True)
def temporary_ward_store(tmp_path_factory: pytest.TempPathFactory):
    """Every test's ward store is a temporary SQLite file, never the clinician's.

    The app opens ``$CRS_DATABASE_URL`` (else the SQLite file in the user's data
    directory): pages run with AppTest would otherwise write into the real one.
    Tests that need their own store set the variable (or pass a URL) themselves.
    """
    import os

    url = f"sqlite:///{tmp_path_factory.mktemp('ward_store') / 'ward.sqlite3'}"
    old = os.environ.get("CRS_DATABASE_URL")
    os.environ["CRS_DATABASE_URL"] = url
    yield url
    if old is None:
        os.environ.pop("CRS_DATABASE_URL", None)
    else:
        os.environ["CRS_DATABASE_URL"] = old


@pytest.fixture
def captured_downloads(monkeypatch) -> dict[str, bytes]:
    """Bytes given to every st.download_button (static data or a deferred callable)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    captured: dict[str, bytes] = {}
    add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred

    def record(data, name) -> None:
        if callable(data):
            data = data()
        if isinstance(data, str):
            data = data.encode("utf-8")
        if isinstance(data, bytes | bytearray):
            captured[str(name)] = bytes(data)

    def recording_add(self, path_or_data, mimetype, coordinates, file_name=None, **kw):
        record(path_or_data, file_name or coordinates)
        return add(self, path_or_data, mimetype, coordinates, file_name=file_name, **kw)

    def recording_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        record(data_callable, file_name or coordinates)
        return add_deferred(self, data_callable, mimetype, coordinates, file_name=file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add", recording_add)
    monkeypatch.setattr(MediaFileManager, "add_deferred", recording_deferred)
    return captured
