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
