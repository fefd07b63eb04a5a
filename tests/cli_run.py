"""Run `python -m crs ...` as a real child process and read the CSVs it writes."""

from __future__ import annotations

import csv
import os
import subprocess
from pathlib import Path


def run_cli(python: str, repo: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "crs", *map(str, args)],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(repo)},
    )


def read_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV as dicts (newline="" so quoted line breaks inside cells survive)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
