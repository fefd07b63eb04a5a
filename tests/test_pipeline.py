"""The command line's lean path gives the table of the full pipeline (crs.treatment.pipeline).

``grade_to_table`` skips what the CSV does not show (the branch sentences); the spec §4
table it returns must equal ``output_table(grade_export(...))`` cell for cell.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from treatment_frames import graded, ward

from crs.read.reader import read_export
from crs.scales.attribution import read_attributions
from crs.treatment.pipeline import grade_export, grade_to_table, output_table
from crs.treatment.treatment import OUTPUT_COLUMNS, recommend

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize(
    ("export_name", "patients_name", "overrides_name"),
    [
        ("sample_ward.csv", "sample_ward_patients.csv", None),
        ("case3.csv", "paper_cases_patients.csv", "case3_attributions.csv"),
        ("figure3.csv", "paper_cases_patients.csv", None),
    ],
)
def test_lean_table_equals_the_full_pipelines_table(
    export_name: str, patients_name: str, overrides_name: str | None
) -> None:
    export = read_export(DATA / export_name, patients=DATA / patients_name)
    attributions = read_attributions(DATA / overrides_name, export.axis) if overrides_name else None
    full = output_table(grade_export(export, attributions), export.axis)
    pd.testing.assert_frame_equal(grade_to_table(export, attributions), full)


def _two_patients() -> pd.DataFrame:
    first = graded(
        [
            {"hours": 0, "grade": 3, "crp_mg_l": 100.0},
            {"hours": 12, "grade": 3, "tocilizumab_mg": 300.0, "crp_mg_l": 80.0},
            {"hours": 36, "grade": 3, "crp_mg_l": 60.0, "neurotox_used": 2.0},
        ],
        patient_id="A",
        age_years=70.0,
    )
    second = graded([{"hours": 1, "grade": 2}, {"hours": 5, "grade": 3}], patient_id="B")
    return ward(first, second)


@pytest.mark.parametrize(
    "columns", [("alerts",), ("recommendation", "alerts"), ("branch",), ("high_risk_used",)]
)
def test_recommend_gives_only_the_columns_asked_for_with_the_same_values(
    columns: tuple[str, ...],
) -> None:
    frame = _two_patients()
    full = recommend(frame)
    pd.testing.assert_frame_equal(recommend(frame, columns=columns), full[list(columns)])


def test_recommend_refuses_a_column_it_does_not_give() -> None:
    with pytest.raises(ValueError, match="not grade"):
        recommend(_two_patients(), columns=("grade",))


def test_recommend_gives_every_column_by_default() -> None:
    assert list(recommend(_two_patients()).columns) == list(OUTPUT_COLUMNS)
