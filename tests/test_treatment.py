"""Figure 2 treatment algorithm (shared/spec/treatment.md §1-§2; crs.treatment.treatment).

The clinician-readable case tables are tests/cases/treatment_recommendation.csv (one
row per recommendation rule) and tests/cases/treatment_alerts.csv (one short timeline per
alert edge, with the expected alerts on every row).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from treatment_frames import DEFAULTS, graded, ward

from crs.treatment import treatment
from crs.treatment.treatment import annotate, recommend

CASES = Path(__file__).parent / "cases"


def _read_cases(name: str) -> pd.DataFrame:
    return pd.read_csv(CASES / name, dtype=str, keep_default_na=False)


def _number(text: str) -> float:
    return float(text) if text != "" else np.nan


RECOMMENDATION_CASES = _read_cases("treatment_recommendation.csv")
ALERT_CASES = _read_cases("treatment_alerts.csv")


# ---------------------------------------------------------------------------------------
# Recommendation per row: the case table
# ---------------------------------------------------------------------------------------


def _recommendation_case_row(case: pd.Series) -> dict:
    row: dict = {"hours": 0, "grade": int(case["grade"])}
    for column in ("g_vasopressor", "g_hypotension", "g_ventilation", "g_oxygen"):
        row[column] = int(case[column])
    row["neurotox_used"] = _number(case["neurotox_used"])
    if case["organ_column"]:
        row[case["organ_column"]] = _number(case["organ_grade"])
    row["attributed"] = case["attributed"]
    row["high_risk"] = _number(case["high_risk"])
    row["age_years"] = _number(case["age_years"])
    return row


@pytest.mark.parametrize(
    "case", [row for _, row in RECOMMENDATION_CASES.iterrows()], ids=RECOMMENDATION_CASES["case"]
)
def test_recommendation_case_table(case: pd.Series) -> None:
    frame = graded([_recommendation_case_row(case)])
    result = recommend(frame)
    assert result.loc[0, "recommendation"] == case["expected"], (
        f"{case['case']}: {case['note']} — branch: {result.loc[0, 'branch']}"
    )


def test_recommendation_case_table_covers_every_code() -> None:
    assert set(RECOMMENDATION_CASES["expected"]) == set(treatment.RECOMMENDATION_CODES)


# ---------------------------------------------------------------------------------------
# Alerts: the timeline case table
# ---------------------------------------------------------------------------------------


def _alert_case_frame(rows: pd.DataFrame) -> pd.DataFrame:
    return graded(
        [
            {
                "hours": row["elapsed"],
                "grade": int(row["grade"]),
                "tocilizumab_mg": _number(row["tocilizumab_mg"]),
                "methylprednisolone_mg": _number(row["methylprednisolone_mg"]),
                "dexamethasone_mg": _number(row["dexamethasone_mg"]),
                "other_immunosuppressant": row["other_immunosuppressant"] or pd.NA,
                "crp_mg_l": _number(row["crp_mg_l"]),
            }
            for _, row in rows.iterrows()
        ],
        high_risk=1.0,
    )


@pytest.mark.parametrize("case", list(dict.fromkeys(ALERT_CASES["case"])))
def test_alert_case_table(case: str) -> None:
    rows = ALERT_CASES[ALERT_CASES["case"] == case].reset_index(drop=True)
    result = recommend(_alert_case_frame(rows))
    expected = rows["expected_alerts"].tolist()
    assert result["alerts"].tolist() == expected, "\n".join(
        f"{row['elapsed']}: got {got!r}, expected {row['expected_alerts']!r} {row['note']}"
        for (_, row), got in zip(rows.iterrows(), result["alerts"], strict=True)
    )


def test_alert_case_table_covers_every_alert() -> None:
    seen = {code for joined in ALERT_CASES["expected_alerts"] for code in joined.split(";")}
    assert seen - {""} == set(treatment.ALERT_CODES)


# ---------------------------------------------------------------------------------------
# High risk and the branch sentence
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("high_risk", "age", "used", "basis"),
    [
        (1.0, 30.0, True, "recorded"),
        (0.0, 80.0, False, "recorded"),
        (np.nan, 65.0, True, "age ≥ 65"),
        (np.nan, 64.0, False, "age < 65; comorbidities not recorded"),
        (np.nan, np.nan, False, "age and comorbidities not recorded"),
    ],
)
def test_high_risk_is_recorded_value_else_age_65_or_more(
    high_risk: float, age: float, used: bool, basis: str
) -> None:
    result = recommend(graded([{"grade": 2}], high_risk=high_risk, age_years=age))
    assert bool(result.loc[0, "high_risk_used"]) is used
    assert result.loc[0, "high_risk_basis"] == basis


def test_grade_2_branch_says_comorbidities_were_not_recorded_when_high_risk_is_missing() -> None:
    for age in (64.0, 65.0, np.nan):
        branch = recommend(graded([{"grade": 2}], age_years=age)).loc[0, "branch"]
        assert "comorbidities were not recorded" in branch, branch


def test_grade_2_branch_names_the_age_that_decided_high_risk() -> None:
    young = recommend(graded([{"grade": 2}], age_years=64.0)).loc[0, "branch"]
    old = recommend(graded([{"grade": 2}], age_years=65.0)).loc[0, "branch"]
    assert "aged 64" in young and "not high risk" in young
    assert "aged 65" in old and "high risk by older age" in old


def test_grade_2_branch_with_recorded_high_risk_does_not_claim_comorbidities_missing() -> None:
    branch = recommend(graded([{"grade": 2}], high_risk=1.0)).loc[0, "branch"]
    assert "recorded as high risk" in branch
    assert "not recorded" not in branch


def test_branch_of_a_blocked_neurologic_row_names_what_blocked_corticosteroids() -> None:
    frame = graded([{"grade": 3, "neurotox_used": 2.0, "g_vasopressor": 3, "organ_alt": 4}])
    branch = recommend(frame).loc[0, "branch"]
    assert "neurotoxicity grade 2" in branch
    assert "a vasopressor" in branch
    assert "grade-4 non-neurologic organ toxicity" in branch


def test_corticosteroids_preferred_branch_gives_the_blood_brain_barrier_reason() -> None:
    branch = recommend(graded([{"grade": 3, "neurotox_used": 3.0}])).loc[0, "branch"]
    assert "blood–brain barrier" in branch
    assert branch.startswith("Grade 3 with neurologic dysfunction (neurotoxicity grade 3)")


def test_every_row_gets_exactly_one_known_recommendation_and_a_branch() -> None:
    frame = graded([{"hours": h, "grade": g} for h, g in enumerate([0, 1, 2, 3, 4, 5])])
    result = recommend(frame)
    assert result["recommendation"].isin(treatment.RECOMMENDATION_CODES).all()
    assert result["branch"].str.len().gt(20).all()
    assert result["branch"].str.count(r"\.$").eq(1).all()


# ---------------------------------------------------------------------------------------
# Contract: index, dtypes, no mutation, order, patients
# ---------------------------------------------------------------------------------------


def _mixed_ward() -> pd.DataFrame:
    first = graded(
        [
            {"hours": 0, "grade": 3, "crp_mg_l": 100.0},
            {"hours": 12, "grade": 3, "tocilizumab_mg": 300.0, "crp_mg_l": 80.0},
            {"hours": 36, "grade": 3, "crp_mg_l": 60.0, "neurotox_used": 2.0},
        ],
        patient_id="A",
        age_years=70.0,
    )
    second = graded(
        [
            {"hours": 1, "grade": 2, "crp_mg_l": 50.0},
            {"hours": 5, "grade": 3, "g_vasopressor": 3},
        ],
        patient_id="B",
    )
    return ward(first, second)


def test_recommend_keeps_the_index_of_the_graded_frame() -> None:
    frame = _mixed_ward()
    frame.index = pd.Index([10, 11, 12, 20, 21])
    result = recommend(frame)
    assert result.index.equals(frame.index)
    assert list(result.columns) == list(treatment.OUTPUT_COLUMNS)
    assert result.loc[21, "alerts"] == "untreated_severe"


def test_output_columns_have_the_documented_dtypes() -> None:
    result = recommend(_mixed_ward())
    assert result["high_risk_used"].dtype == bool
    assert result["after_tocilizumab"].dtype == bool
    for column in ("recommendation", "alerts", "branch", "high_risk_basis"):
        assert result[column].dtype == "str"
        assert result[column].notna().all()


def test_input_data_not_modified() -> None:
    frame = _mixed_ward()
    before = frame.copy()
    annotated = annotate(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert set(treatment.OUTPUT_COLUMNS) <= set(annotated.columns)
    assert set(frame.columns) <= set(annotated.columns)


def test_annotate_adds_the_recommend_columns_to_graded() -> None:
    frame = _mixed_ward()
    annotated = annotate(frame)
    pd.testing.assert_frame_equal(annotated[frame.columns], frame)
    pd.testing.assert_frame_equal(annotated[list(treatment.OUTPUT_COLUMNS)], recommend(frame))


def test_annotating_twice_gives_the_same_frame() -> None:
    once = annotate(_mixed_ward())
    pd.testing.assert_frame_equal(annotate(once), once)


def test_rows_in_any_order_get_the_same_result() -> None:
    frame = _mixed_ward()
    shuffled = frame.sample(frac=1.0, random_state=7)
    pd.testing.assert_frame_equal(recommend(shuffled).loc[frame.index], recommend(frame))


def test_one_patients_doses_and_crp_do_not_affect_another_patient() -> None:
    treated = graded(
        [{"hours": 0, "grade": 3, "tocilizumab_mg": 400.0, "crp_mg_l": 100.0}],
        patient_id="A",
    )
    other = graded(
        [
            {"hours": 1, "grade": 3, "crp_mg_l": 80.0},
            {"hours": 2, "grade": 3, "crp_mg_l": 60.0},
            {"hours": 30, "grade": 3},
        ],
        patient_id="B",
    )
    result = recommend(ward(treated, other))
    assert result["alerts"].tolist() == [
        "",
        "untreated_severe",
        "untreated_severe",
        "untreated_severe",
    ]


def test_patients_are_grouped_by_identity_even_when_rows_interleave() -> None:
    a = graded([{"hours": 0, "grade": 3, "tocilizumab_mg": 400.0}], patient_id="A")
    b = graded([{"hours": 1, "grade": 3}], patient_id="B")
    a_later = graded([{"hours": 24, "grade": 3}], patient_id="A")
    result = recommend(ward(a, b, a_later))
    assert result["alerts"].tolist() == ["", "untreated_severe", "no_improvement_after_tocilizumab"]


def test_a_graded_frame_without_a_grade_gets_a_clear_error() -> None:
    frame = graded([{"grade": 1}]).drop(columns=["grade"])
    with pytest.raises(ValueError, match="missing: grade"):
        recommend(frame)


def test_absent_optional_columns_count_as_not_recorded() -> None:
    minimal = pd.DataFrame(
        {
            "patient_id": ["A", "A"],
            "instant": pd.to_datetime(["2024-01-01 00:00", "2024-01-01 06:00"]),
            "grade": [2, 3],
        }
    )
    result = recommend(minimal)
    assert result["recommendation"].tolist() == ["supportive_care", "immunosuppression"]
    assert result["alerts"].tolist() == ["", "untreated_severe"]
    assert result["high_risk_basis"].tolist() == ["age and comorbidities not recorded"] * 2


def test_an_empty_graded_frame_gives_an_empty_result() -> None:
    empty = graded([{"grade": 1}]).iloc[0:0]
    result = recommend(empty)
    assert result.empty
    assert list(result.columns) == list(treatment.OUTPUT_COLUMNS)


def test_non_integer_neurotoxicity_grade_is_written_as_recorded() -> None:
    branch = recommend(graded([{"grade": 3, "neurotox_used": 2.5}])).loc[0, "branch"]
    assert "neurotoxicity grade 2.5" in branch


def test_wording_tables_have_one_row_per_code_with_a_source() -> None:
    recommendations = treatment.recommendation_table()
    alerts = treatment.alert_table()
    assert recommendations["code"].tolist() == [
        "none",
        "supportive_care",
        "consider_immunosuppression",
        "immunosuppression",
        "corticosteroids_preferred",
    ]
    assert sorted(alerts["code"]) == [
        "crp_past_peak",
        "no_improvement_after_tocilizumab",
        "untreated_severe",
    ]
    for table in (recommendations, alerts):
        assert table["source"].str.contains("Lee et al. 2014").all()
        assert table["wording"].str.len().gt(10).all()


def test_helper_defaults_cover_the_columns_recommend_reads() -> None:
    # Guards the test helper itself: a column the algorithm reads but the helper never
    # sets would make every case above silently test "not recorded".
    read = (
        set(treatment.HEMODYNAMIC_CRITERIA)
        | set(treatment.NON_NEUROLOGIC_ORGAN_COLUMNS)
        | set(treatment.IMMUNOSUPPRESSANT_DOSE_COLUMNS)
        | {"neurotox_used", "g_neurotoxicity", "attributed", "high_risk", "age_years"}
        | {"crp_mg_l", "tocilizumab_mg"}
        | {"other_immunosuppressant"}
    )
    assert read <= set(DEFAULTS)


# ---------------------------------------------------------------------------------------
# Version 2: neurotoxicity as its own criterion, tocilizumab and CRP
# ---------------------------------------------------------------------------------------


def test_the_neurotoxicity_criterion_grade_counts_when_only_it_was_recorded() -> None:
    frame = graded([{"grade": 3, "g_neurotoxicity": 3}]).drop(columns=["neurotox_used"])
    result = recommend(frame)
    assert result.loc[0, "recommendation"] == "corticosteroids_preferred"
    assert "neurotoxicity grade 3" in result.loc[0, "branch"]


def test_a_frame_without_the_neurotoxicity_criterion_or_attributions_still_reads_neurotox() -> None:
    frame = graded([{"grade": 3, "neurotox_used": 1.0, "g_oxygen": 3}])
    frame = frame.drop(columns=["g_neurotoxicity", "attributed"])
    assert recommend(frame).loc[0, "recommendation"] == "corticosteroids_preferred"


def test_branch_says_an_attributed_neurotoxicity_is_not_counted() -> None:
    frame = graded(
        [{"grade": 3, "neurotox_used": 2.0, "g_oxygen": 3, "attributed": "neurotoxicity"}]
    )
    branch = recommend(frame).loc[0, "branch"]
    assert "neurotoxicity grade 2 attributed to another cause" in branch
    assert "recommends immunosuppression" in branch


def test_attributing_only_a_neurotoxicity_keeps_the_organ_toxicity_blocking_corticosteroids() -> (
    None
):
    frame = graded(
        [
            {
                "grade": 4,
                "neurotox_used": 2.0,
                "organ_creatinine": 4,
                "g_organ_toxicity": 4,
                "attributed": "neurotoxicity",
            }
        ]
    )
    assert recommend(frame).loc[0, "recommendation"] == "immunosuppression"


def test_after_tocilizumab_holds_from_the_patients_first_dose_on() -> None:
    first = graded(
        [
            {"hours": 0, "grade": 2},
            {"hours": 6, "grade": 3, "tocilizumab_mg": 0.0},
            {"hours": 12, "grade": 3, "tocilizumab_mg": 400.0},
            {"hours": 200, "grade": 0},
        ],
        patient_id="A",
    )
    second = graded([{"hours": 13, "grade": 3}], patient_id="B")
    result = recommend(ward(first, second))
    assert result["after_tocilizumab"].tolist() == [False, False, True, True, False]


def test_the_7_day_crp_peak_is_the_patients_own() -> None:
    # A's CRP of 500 must not make B's 20 % fall (100 -> 90 -> 80) a fall of a quarter.
    a = graded([{"hours": 0, "grade": 1, "crp_mg_l": 500.0}], patient_id="A")
    b = graded(
        [
            {"hours": 1, "grade": 1, "crp_mg_l": 100.0},
            {"hours": 2, "grade": 1, "crp_mg_l": 90.0},
            {"hours": 3, "grade": 1, "crp_mg_l": 80.0},
        ],
        patient_id="B",
    )
    assert recommend(ward(a, b))["alerts"].tolist() == ["", "", "", ""]


def test_the_crp_alert_tracks_the_grade_as_the_patient_worsens_and_settles() -> None:
    # Worked by hand: CRP 300 -> 200 -> 150 (50 % of the peak) on day 1-2; tocilizumab at
    # 24 h (so grade 3 from 30 h is treated), the grade rises from 1 to 3 at 30 h and
    # stays. The grade 24 h before each row decides; from 24 h after the dose the grade
    # has not improved.
    frame = graded(
        [
            {"hours": 0, "grade": 1, "crp_mg_l": 300.0},
            {"hours": 12, "grade": 1, "crp_mg_l": 200.0},
            {"hours": 24, "grade": 1, "crp_mg_l": 150.0, "tocilizumab_mg": 400.0},
            {"hours": 30, "grade": 3},  # 24 h before = 6 h: the grade-1 row of 0 h
            {"hours": 54, "grade": 3},  # 24 h before = 30 h: grade 3, not higher
            {"hours": 72, "grade": 3},  # the last CRP is 48 h old: still current
            {"hours": 72.5, "grade": 3},  # 48.5 h old: no longer current
        ]
    )
    assert recommend(frame)["alerts"].tolist() == [
        "",
        "",
        "crp_past_peak",
        "",
        "crp_past_peak;no_improvement_after_tocilizumab",
        "crp_past_peak;no_improvement_after_tocilizumab",
        "no_improvement_after_tocilizumab",
    ]
