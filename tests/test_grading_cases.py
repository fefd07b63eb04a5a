"""Clinician-readable case tables (tests/cases/grading_*.csv), one patient per case.

Each case is one rule of spec grading.md §3 at, just below or just above its threshold.
Input columns are canonical column names. A case is usually one row, charted at T0; a
table with an ``hours`` column may give a case several consecutive rows (same case
name, ``hours`` after T0), and the expectations are checked on each row whose
``expected_grade`` is filled (usually the last). ``expected_grade`` and
``expected_drivers`` are checked together (an empty drivers cell means none); any other
``expected_<column>`` is checked against that graded column when filled ("none" means
missing, true/false for flags).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from grading_frames import T0, canonical

from crs.read.columns import DTYPES
from crs.scales.grading import grade

CASES = Path(__file__).parent / "cases"
TABLES = sorted(CASES.glob("grading_*.csv"))


def _load() -> list[tuple[str, list[dict[str, str]]]]:
    cases: dict[str, list[dict[str, str]]] = {}
    for path in TABLES:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        for row in table.to_dict("records"):
            rows = cases.setdefault(f"{path.stem}:{row['case']}", [])
            assert not rows or "hours" in row, f"case {row['case']} repeated in {path.name}"
            rows.append(row)
    return list(cases.items())


CASE_ROWS = _load()


def _input_frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    records = []
    for row in rows:
        hours = float(row.get("hours") or 0.0)
        values: dict[str, object] = {
            "patient_id": row["case"],
            "time": T0 + pd.Timedelta(hours=hours),
        }
        for column, raw in row.items():
            skipped = column in ("case", "note", "hours") or column.startswith("expected_")
            if skipped or raw == "":
                continue
            assert column in DTYPES, f"unknown input column {column} in a case table"
            text = DTYPES[column] == pd.StringDtype(na_value=np.nan)
            values[column] = raw if text else float(raw)
        records.append(values)
    return canonical(pd.DataFrame(records))


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


@pytest.mark.parametrize(("name", "rows"), CASE_ROWS, ids=[name for name, _ in CASE_ROWS])
def test_case_table_row_grades_as_the_clinician_expects(
    name: str, rows: list[dict[str, str]]
) -> None:
    hours = [float(row.get("hours") or 0.0) for row in rows]
    assert hours == sorted(set(hours)), f"{name}: rows must be in time order, one per instant"
    graded = grade(_input_frame(rows))
    checked = [i for i, row in enumerate(rows) if row["expected_grade"] != ""]
    assert checked, f"{name}: no row with an expected grade"
    for i in checked:
        row, result = rows[i], graded.iloc[i]
        assert result["grade"] == int(row["expected_grade"]), result["explanation"]
        assert result["drivers"] == row["expected_drivers"], result["explanation"]
        for column, expected in row.items():
            extra = column not in ("expected_grade", "expected_drivers")
            if extra and column.startswith("expected_") and expected != "":
                graded_column = column.removeprefix("expected_")
                _check(graded_column, expected, result[graded_column])
