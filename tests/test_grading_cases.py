"""Clinician-readable case tables (tests/cases/grading_*.csv), one single-row patient per case.

Each row is one rule of spec grading.md §3 at, just below or just above its threshold.
Input columns are canonical column names; ``expected_grade`` and ``expected_drivers`` are
always checked (an empty drivers cell means none); any other ``expected_<column>`` is
checked against that graded column when filled ("none" means missing, true/false for
flags).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from grading_frames import T0, canonical

from crs.columns import DTYPES
from crs.grading import grade

CASES = Path(__file__).parent / "cases"
TABLES = sorted(CASES.glob("grading_*.csv"))


def _load() -> list[tuple[str, dict[str, str]]]:
    cases = []
    for path in TABLES:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        for row in table.to_dict("records"):
            cases.append((f"{path.stem}:{row['case']}", row))
    return cases


CASE_ROWS = _load()


def _input_frame(row: dict[str, str]) -> pd.DataFrame:
    values: dict[str, object] = {"patient_id": row["case"], "time": T0}
    for column, raw in row.items():
        if column in ("case", "note") or column.startswith("expected_") or raw == "":
            continue
        assert column in DTYPES, f"unknown input column {column} in a case table"
        values[column] = raw if DTYPES[column] == pd.StringDtype(na_value=np.nan) else float(raw)
    return canonical(pd.DataFrame([values]))


def _check(column: str, expected: str, actual: object) -> None:
    if expected == "none":
        assert pd.isna(actual), f"{column}: expected missing, got {actual!r}"
    elif expected in ("true", "false"):
        assert bool(actual) is (expected == "true"), f"{column}: got {actual!r}"
    else:
        try:
            number = float(expected)
        except ValueError:
            assert str(actual) == expected, f"{column}: expected {expected!r}, got {actual!r}"
        else:
            assert float(actual) == pytest.approx(number, abs=1e-3), f"{column}: got {actual!r}"


def test_case_tables_exist_for_every_domain() -> None:
    names = {path.stem for path in TABLES}
    assert {"grading_vitals", "grading_vasopressors", "grading_oxygen", "grading_organ"} <= names


@pytest.mark.parametrize(("name", "row"), CASE_ROWS, ids=[name for name, _ in CASE_ROWS])
def test_case_table_row_grades_as_the_clinician_expects(name: str, row: dict[str, str]) -> None:
    graded = grade(_input_frame(row)).iloc[0]
    assert graded["grade"] == int(row["expected_grade"]), graded["explanation"]
    assert graded["drivers"] == row["expected_drivers"], graded["explanation"]
    for column, expected in row.items():
        checked = column.startswith("expected_") and expected != ""
        if checked and column not in ("expected_grade", "expected_drivers"):
            name = column.removeprefix("expected_")
            _check(name, expected, graded[name])
