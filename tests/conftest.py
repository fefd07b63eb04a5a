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
