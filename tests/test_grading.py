"""The graded frame's contract (docs/architecture.md §2; spec grading.md §3–§4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from grading_frames import canonical, patient

from crs.grading import CRITERIA, grade

ARCHITECTURE_COLUMNS = [
    "patient_id", "instant", "time", "day", "line",
    "grade", "drivers", "unknown", "ne_eq_ug_min", "explanation",
    *(f"g_{c}" for c in CRITERIA),
    "attributed",
    "temp_c_used", "sbp_used", "dbp_used", "map_used", "map_computed", "sbp_threshold",
    "relative_hypotension", "fio2_used", "oxygen_basis", "o2_device_used", "ventilated_used",
    "vasopressors", "n_vasopressors", "dose_unknown", "high_dose_now", "high_dose_hours",
    "organ_creatinine", "organ_ast", "organ_alt", "organ_bilirubin", "organ_fibrinogen",
    "organ_inr", "organ_lvef", "neurotox_used", "organ_tox_used", "ice_used",
    "temp_c", "sbp_mmhg", "map_mmhg", "fio2", "crp_mg_l", "ferritin_ng_ml", "il6_pg_ml",
    "ifng_pg_ml", "tocilizumab_mg", "methylprednisolone_mg", "dexamethasone_mg",
    "other_immunosuppressant", "symptoms", "deceased", "neurotox_grade", "ice_score",
    "age_years", "weight_kg", "high_risk", "therapy", "baseline_sbp_mmhg", "infusion_time",
]  # fmt: skip


def _ward() -> pd.DataFrame:
    first = patient(
        [
            {"hours": 2, "temp_c": 38.4, "sbp_mmhg": 84, "fio2": 21},
            {"hours": 0, "temp_c": 37.0, "sbp_mmhg": 120, "fio2": 21},
            {"hours": 5, "norepinephrine_ug_min": 22, "fio2": 30},
        ],
        patient_id="B",
        age_years=60.0,
    )
    second = patient([{"hours": 1, "temp_c": 39.0}], patient_id="A")
    return canonical(first, second)


def test_graded_frame_has_every_architecture_column() -> None:
    graded = grade(_ward())
    assert set(ARCHITECTURE_COLUMNS) <= set(graded.columns)


def test_graded_frame_has_the_documented_dtypes() -> None:
    graded = grade(_ward())
    for column in ["grade", "n_vasopressors", *(f"g_{c}" for c in CRITERIA), "organ_ast"]:
        assert graded[column].dtype == np.int64, column
    for column in ["drivers", "unknown", "explanation", "attributed", "vasopressors"]:
        assert graded[column].dtype == "str", column
    for column in ["map_computed", "relative_hypotension", "high_dose_now", "dose_unknown"]:
        assert graded[column].dtype == bool, column
    assert graded["instant"].dtype == "datetime64[us]"


def test_rows_are_sorted_by_patient_first_appearance_then_instant() -> None:
    graded = grade(_ward())
    assert graded["patient_id"].tolist() == ["B", "B", "B", "A"]
    assert graded["instant"].is_monotonic_increasing is False
    assert graded.loc[graded["patient_id"] == "B", "instant"].is_monotonic_increasing
    assert isinstance(graded.index, pd.RangeIndex)


def test_input_data_not_modified() -> None:
    frame = _ward()
    before = frame.copy()
    grade(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_one_output_row_per_input_row() -> None:
    frame = _ward()
    assert len(grade(frame)) == len(frame)


def test_drivers_and_unknown_are_sorted_and_semicolon_joined() -> None:
    graded = grade(_ward()).set_index(["patient_id", "line"])
    row = graded.xs("B", level="patient_id").iloc[1]  # 2 h: fever 38.4 and SBP 84
    assert row["grade"] == 2
    assert row["drivers"] == "hypotension"
    assert row["g_fever"] == 1
    lone = graded.xs("A", level="patient_id").iloc[0]
    assert lone["drivers"] == "fever"
    assert lone["unknown"] == "blood_pressure;oxygen"


def test_explanation_names_the_driving_finding_and_its_value() -> None:
    graded = grade(_ward())
    b = graded[graded["patient_id"] == "B"]
    assert b["explanation"].iloc[1] == "Grade 2: SBP 84 mmHg (< 90, hypotension)."
    # At 5 h the SBP of 84 (3 h old) is still in effect, next to the pressor and oxygen.
    assert b["explanation"].iloc[2] == (
        "Grade 2: SBP 84 mmHg (< 90, hypotension); norepinephrine 22 μg/min (one vasopressor;"
        " high dose for 0 h, under the 3 h of Table 3); FiO2 30% (< 40%, oxygen)."
    )


def test_grade_0_explanation_says_no_finding_and_when_it_is_a_lower_bound() -> None:
    graded = grade(canonical(patient([{"hours": 0, "temp_c": 37.0, "sbp_mmhg": 120, "fio2": 21}])))
    assert graded["explanation"].iloc[0] == "Grade 0: no CRS finding recorded."
    graded = grade(canonical(patient([{"hours": 0, "temp_c": 37.0}])))
    assert graded["explanation"].iloc[0] == (
        "Grade 0: no CRS finding recorded; not documented within the carry-forward window:"
        " blood pressure, oxygen, so the grade is a lower bound."
    )


def test_explanation_of_computed_map_says_it_was_computed() -> None:
    rows = [{"hours": 0, "sbp_mmhg": 95, "dbp_mmhg": 45}]
    text = grade(canonical(patient(rows)))["explanation"].iloc[0]
    assert text.startswith("Grade 2: MAP 61.67 mmHg computed from SBP/DBP (< 65, hypotension)")


def test_explanation_of_oxygen_by_flow_shows_the_estimate() -> None:
    rows = [{"hours": 0, "o2_flow_l_min": 3, "o2_device": "NC"}]
    text = grade(canonical(patient(rows)))["explanation"].iloc[0]
    assert "FiO2 ≈ 33% from 3 L/min (21 + 4 × flow; < 40%, oxygen)" in text


def test_explanation_quotes_the_recorded_symptoms() -> None:
    rows = [{"hours": 0, "symptoms": "rigors; headache", "sbp_mmhg": 120, "fio2": 21}]
    text = grade(canonical(patient(rows)))["explanation"].iloc[0]
    assert text == (
        'Grade 1: symptoms recorded: "rigors; headache"; not documented within the'
        " carry-forward window: temperature, so the grade is a lower bound."
    )


def test_explanation_of_death_and_ventilation() -> None:
    graded = grade(
        canonical(patient([{"hours": 0, "ventilated": 1.0}, {"hours": 1, "deceased": 1.0}]))
    )
    assert (
        graded["explanation"]
        .iloc[0]
        .startswith("Grade 4: mechanical ventilation (ventilator support)")
    )
    assert graded["explanation"].iloc[1].startswith("Grade 5: death recorded")


def test_an_empty_frame_grades_to_an_empty_frame_with_every_column() -> None:
    graded = grade(canonical(patient([{"hours": 0}])).iloc[0:0])
    assert len(graded) == 0
    assert set(ARCHITECTURE_COLUMNS) <= set(graded.columns)


def test_a_frame_missing_canonical_columns_is_graded_as_if_they_were_empty() -> None:
    frame = pd.DataFrame(
        {
            "patient_id": ["P1"],
            "instant": pd.to_datetime(["2024-01-01"]).astype("datetime64[us]"),
            "temp_c": [38.2],
        }
    )
    graded = grade(frame)
    assert graded["grade"].iloc[0] == 1
