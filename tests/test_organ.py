"""Organ toxicity over time (spec grading.md §3.4): creatinine baseline and reference limits."""

from __future__ import annotations

import pandas as pd
import pytest
from grading_frames import T0, at, canonical, patient

from crs.findings.organ import ctcae_grade
from crs.read.columns import conform
from crs.scales.grading import grade


def _graded(rows: list[dict], **patient_level: object) -> pd.DataFrame:
    return grade(canonical(patient(rows, **patient_level)))


@pytest.mark.parametrize(
    ("later", "expected_ctcae", "expected_grade"),
    [(1.5, 1, 0), (1.51, 2, 2), (3.0, 2, 2), (3.01, 3, 3)],
    ids=["1_5_x_baseline", "just_above_1_5", "3_x_baseline", "just_above_3"],
)
def test_creatinine_is_graded_against_the_pre_infusion_baseline(
    later, expected_ctcae, expected_grade
) -> None:
    # Baseline 0.5 mg/dL before infusion; the later value stays under the ULN bands
    # that would otherwise apply (1.5 mg/dL is 1.25 × the default ULN 1.2: grade 1).
    rows = [
        {"hours": 0, "creatinine_mg_dl": 0.9},
        {"hours": 10, "creatinine_mg_dl": 0.5},
        {"hours": 40, "creatinine_mg_dl": 0.5 * later},
    ]
    graded = _graded(rows, infusion_time=at(12))
    assert graded["organ_creatinine"].iloc[2] == expected_ctcae
    assert graded["grade"].iloc[2] == expected_grade


def test_creatinine_baseline_on_a_day_axis_is_the_last_value_at_or_before_day_0() -> None:
    frame = pd.DataFrame(
        {
            "patient_id": ["P1"] * 3,
            "day": [-2.0, 0.0, 1.0],
            "creatinine_mg_dl": [1.0, 0.4, 0.9],
        }
    )
    graded = grade(conform(frame))
    # 0.9 / 0.4 = 2.25 × baseline: grade 2 (by ULN it would be grade 0). The day −2 value
    # is not compared with a baseline measured after it (the grade never uses the future).
    assert graded["organ_creatinine"].tolist() == [0, 0, 2]


def test_without_a_pre_infusion_value_the_first_creatinine_is_the_baseline() -> None:
    rows = [{"hours": 0, "creatinine_mg_dl": 0.4}, {"hours": 24, "creatinine_mg_dl": 1.0}]
    graded = _graded(rows, infusion_time=T0 - pd.Timedelta(days=2))
    assert graded["organ_creatinine"].tolist() == [0, 2]
    assert "2.5 × baseline" in graded["explanation"].iloc[1]


def test_a_per_row_reference_limit_travels_with_its_carried_value() -> None:
    rows = [
        {"hours": 0, "ast_u_l": 130, "ast_uln": 30},  # 4.33 × ULN 30: grade 2
        {"hours": 1},  # AST carried from row 0, so ULN 30 of that laboratory applies
    ]
    graded = _graded(rows)
    assert graded["organ_ast"].tolist() == [2, 2]
    assert graded["grade"].tolist() == [2, 2]


def test_a_patient_level_limit_applies_to_rows_without_their_own() -> None:
    rows = [{"hours": 0, "ast_uln": 30}, {"hours": 1, "ast_u_l": 130}]
    assert _graded(rows)["organ_ast"].tolist() == [0, 2]


def test_the_default_limit_is_used_without_any_given() -> None:
    assert _graded([{"hours": 0, "ast_u_l": 110}])["organ_ast"].iloc[0] == 1  # 2.75 × 40
    assert _graded([{"hours": 0, "ast_u_l": 130}])["organ_ast"].iloc[0] == 2  # 3.25 × 40


def test_ctcae_bands_include_their_upper_edge_on_increasing_scales() -> None:
    assert ctcae_grade([1.0, 1.0001, 1.5, 1.5001], "bilirubin", "x_uln").tolist() == [0, 1, 1, 2]


def test_ctcae_bands_include_their_lower_edge_on_decreasing_scales() -> None:
    assert ctcae_grade([1.0, 0.75, 0.7499, 0.25, 0.2499], "fibrinogen", "x_lln").tolist() == [
        0,
        1,
        2,
        3,
        4,
    ]


def test_grade_4_transaminitis_explains_why_it_is_crs_grade_3() -> None:
    graded = _graded([{"hours": 0, "alt_u_l": 900}])
    assert graded["grade"].iloc[0] == 3
    assert (
        graded["explanation"]
        .iloc[0]
        .startswith("Grade 3: ALT 900 U/L (CTCAE grade 4 transaminitis, CRS grade 3 by Table 2)")
    )
