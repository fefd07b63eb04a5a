"""`pip install .` gives a `crs` command that works from any folder (issue #12).

The package is really built and installed (pip, the pinned setuptools backend) into a
fresh virtual environment. To stay fast and work offline, the new environment sees the
project's dependencies through a .pth file naming the test interpreter's site-packages,
and pip installs only the package itself (``--no-deps --no-build-isolation``). Then
`crs` runs from a temporary folder outside the repository, with no PYTHONPATH: it can
only find the installed copy, its clinical tables and the ward store's migrations.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _run(*args: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh virtual environment with crs installed by pip."""
    root = tmp_path_factory.mktemp("install")
    source = root / "source"
    source.mkdir()
    # What a user's clone holds for the package (a copy: pip writes build files there).
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "crs", source / "crs", ignore=shutil.ignore_patterns("__pycache__"))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "project_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = _run(
        python,
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        ".",
        cwd=source,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    shutil.rmtree(source)  # nothing of the source tree is left to import from
    return venv / "bin"


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def test_crs_grade_runs_from_a_folder_outside_the_repository(
    installed: Path, tmp_path: Path
) -> None:
    work = tmp_path / "nightly"
    work.mkdir()
    shutil.copy2(REPO / "data" / "sample_ward.csv", work / "ward.csv")
    shutil.copy2(REPO / "data" / "sample_ward_patients.csv", work / "patients.csv")
    proc = _run(
        installed / "crs",
        "grade",
        "ward.csv",
        "--patients",
        "patients.csv",
        "-o",
        "graded.csv",
        cwd=work,
        env=_clean_env(),
    )
    assert proc.returncode == 0, proc.stderr
    # The same bytes as the repository's own `python -m crs grade`.
    expected = tmp_path / "expected.csv"
    reference = subprocess.run(
        [
            sys.executable,
            "-m",
            "crs",
            "grade",
            str(work / "ward.csv"),
            "--patients",
            str(work / "patients.csv"),
            "-o",
            str(expected),
        ],
        cwd=REPO,
        env={**_clean_env(), "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert reference.returncode == 0, reference.stderr
    assert (work / "graded.csv").read_bytes() == expected.read_bytes()


def test_the_installed_package_is_the_installed_copy_with_its_data(
    installed: Path, tmp_path: Path
) -> None:
    proc = _run(
        installed / "python",
        "-c",
        "import crs, crs.read.units, crs.read.aliases; print(crs.__file__); print(len(crs.read.units.UNITS))",
        cwd=tmp_path,
        env=_clean_env(),
    )
    assert proc.returncode == 0, proc.stderr
    location, units = proc.stdout.split()
    assert Path(location).is_relative_to(installed.parent)
    assert int(units) > 50
    # The ward store's Alembic migrations are package data: a store opens and migrates.
    proc = _run(
        installed / "crs",
        "database",
        "--database",
        f"sqlite:///{tmp_path / 'w.sqlite3'}",
        cwd=tmp_path,
        env=_clean_env(),
    )
    assert proc.returncode == 0, proc.stderr
    assert "SQLite file" in proc.stdout
    proc = _run(installed / "crs", "columns", cwd=tmp_path, env=_clean_env())
    assert proc.returncode == 0 and proc.stdout == (REPO / "docs" / "columns.md").read_text("utf-8")


def test_the_build_backend_is_pinned_and_the_same_pin_is_in_the_dev_requirements() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    [backend] = pyproject["build-system"]["requires"]
    assert "==" in backend
    assert backend in (REPO / "requirements-dev.txt").read_text(encoding="utf-8").splitlines()
    assert pyproject["project"]["scripts"]["crs"] == "crs.__main__:console"
