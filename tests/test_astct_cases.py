"""Clinician-readable case tables for ASTCT 2019 CRS and ICANS (tests/cases/astct_*.csv).

One patient per case; its rows are the case's rows (``time`` as written). Input columns
are canonical column names (``age_years`` and ``infusion_time`` per row, as in a wide
export). ``attribution`` holds ``criterion start..end`` on any row of the case: the
attribution applies to the whole case. ``expected_astct_grade`` is checked with
``expected_astct_drivers`` when filled (an empty drivers cell means none);
``expected_icans_grade`` with ``expected_icans_drivers`` and ``expected_icans_unknown``.
Expected values are worked out by hand from astct.md (the worked examples of §6 are
copied from the spec's tables), never from the program's output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crs.read.columns import DTYPES, conform
from crs.scales.grading import grade

CASES = Path(__file__).parent / "cases"
TABLES = sorted(CASES.glob("astct_*.csv"))
_TEXT = pd.StringDtype(na_value=np.nan)


def _load() -> list[tuple[str, list[dict[str, str]]]]:
    cases: dict[str, list[dict[str, str]]] = {}
    for path in TABLES:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        for row in table.to_dict("records"):
            cases.setdefault(f"{path.stem}:{row['case']}", []).append(row)
    return list(cases.items())


CASE_ROWS = _load()


def _frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    records = []
    for row in rows:
        values: dict[str, object] = {"patient_id": row["case"], "time": pd.Timestamp(row["time"])}
        for column, raw in row.items():
            skipped = column in ("case", "note", "time", "attribution")
            if skipped or column.startswith("expected_") or raw == "":
                continue
            assert column in DTYPES, f"unknown input column {column} in a case table"
            if column == "infusion_time":
                values[column] = pd.Timestamp(raw)
            else:
                values[column] = raw if DTYPES[column] == _TEXT else float(raw)
        records.append(values)
    frame = pd.DataFrame(records)
    frame["time"] = frame["time"].astype("datetime64[us]")
    frame["instant"] = frame["time"]
    if "infusion_time" in frame:
        frame["infusion_time"] = frame["infusion_time"].astype("datetime64[us]")
    return conform(frame)


def _attributions(rows: list[dict[str, str]]) -> pd.DataFrame | None:
    found = []
    for row in rows:
        for entry in filter(None, (row.get("attribution") or "").split(";")):
            criterion, span = entry.strip().split(" ", 1)
            start, end = span.split("..")
            found.append(
                {
                    "patient_id": row["case"],
                    "criterion": criterion,
                    "start": pd.Timestamp(start),
                    "end": pd.Timestamp(end),
                    "reason": "case table",
                    "author": "test",
                }
            )
    if not found:
        return None
    table = pd.DataFrame(found)
    return table.astype({"start": "datetime64[us]", "end": "datetime64[us]"})


def test_case_tables_cover_the_worked_examples_and_both_scales() -> None:
    names = {path.stem for path in TABLES}
    assert {"astct_worked_examples", "astct_crs_thresholds", "astct_icans_thresholds"} <= names


@pytest.mark.parametrize(("name", "rows"), CASE_ROWS, ids=[name for name, _ in CASE_ROWS])
def test_each_case_grades_as_worked_out_by_hand(name: str, rows: list[dict[str, str]]) -> None:
    graded = grade(_frame(rows), _attributions(rows))
    assert len(graded) == len(rows)
    for i, row in enumerate(rows):
        got = graded.iloc[i]
        where = f"{name} at {row['time']}"
        if row.get("expected_astct_grade", "") != "":
            assert got["astct_grade"] == int(row["expected_astct_grade"]), where
            assert got["astct_drivers"] == row["expected_astct_drivers"], where
        if row.get("expected_icans_grade", "") != "":
            assert got["icans_grade"] == int(row["expected_icans_grade"]), where
            assert got["icans_drivers"] == row["expected_icans_drivers"], where
            assert got["icans_unknown"] == row["expected_icans_unknown"], where


WARD_TABLE = CASES / "sample_ward_consensus.csv"


def test_the_sample_ward_has_the_textbook_differences_at_the_ward_round() -> None:
    """data/README.md: patients whose Lee and ASTCT grades differ for the textbook reasons
    and patients with ICANS documentation (issue #14, item 5)."""
    from crs.read import read_export
    from crs.treatment import grade_export

    data = Path(__file__).resolve().parents[1] / "data"
    export = read_export(data / "sample_ward.csv", patients=data / "sample_ward_patients.csv")
    latest = grade_export(export).groupby("patient_id").tail(1).set_index("patient_id")
    for row in pd.read_csv(WARD_TABLE, dtype=str, keep_default_na=False).to_dict("records"):
        got = latest.loc[row["patient_id"]]
        where = row["case"]
        assert got["astct_grade"] == int(row["expected_astct_grade"]), where
        assert got["astct_drivers"] == row["expected_astct_drivers"], where
        assert got["icans_grade"] == int(row["expected_icans_grade"]), where
        assert got["icans_drivers"] == row["expected_icans_drivers"], where


def test_the_adult_with_a_seizure_had_icans_by_seizure_overnight() -> None:
    from crs.read import read_export
    from crs.treatment import grade_export

    data = Path(__file__).resolve().parents[1] / "data"
    export = read_export(data / "sample_ward.csv", patients=data / "sample_ward_patients.csv")
    graded = grade_export(export)
    p007 = graded[graded["patient_id"] == "P007"]
    at_seizure = p007[p007["seizure"].fillna("").str.contains("tonic-clonic")]
    assert len(at_seizure) == 1
    # ICE 0 (grade 3) and a generalised seizure that resolved (grade 3), 02:00 on day 5.
    assert at_seizure["icans_grade"].tolist() == [3]
    assert at_seizure["icans_drivers"].tolist() == ["ice;seizure"]
