"""The graded frame's contract (docs/architecture.md §2; spec grading.md §3–§4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from grading_frames import canonical, patient

from crs.scales.explain import CRITERION_WORDS, DOMAIN_LABELS, unknown_words
from crs.scales.grading import CRITERIA, UNKNOWN_DOMAINS, grade

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


def test_explanation_of_computed_map_says_it_was_computed_and_from_which_pair() -> None:
    rows = [{"hours": 0, "sbp_mmhg": 95, "dbp_mmhg": 45}]
    text = grade(canonical(patient(rows)))["explanation"].iloc[0]
    assert text.startswith(
        "Grade 2: MAP 61.67 mmHg computed from SBP/DBP 95/45 (< 65, hypotension)"
    )


def test_explanation_names_the_older_documented_map_a_newer_pair_replaced() -> None:
    # grading.md §3.1 (version 2): MAP 70 at 0 h, 95/40 at 2 h → MAP 58 at 2 h.
    rows = [{"hours": 0, "map_mmhg": 70}, {"hours": 2, "sbp_mmhg": 95, "dbp_mmhg": 40}]
    graded = grade(canonical(patient(rows)))
    assert graded["grade"].tolist() == [0, 2]
    assert (
        graded["explanation"]
        .iloc[1]
        .startswith(
            "Grade 2: MAP 58.33 mmHg computed from SBP/DBP 95/40, newer than the documented MAP"
            " of 70 mmHg (< 65, hypotension)"
        )
    )


def test_explanation_of_a_documented_map_says_so() -> None:
    rows = [{"hours": 0, "sbp_mmhg": 120, "dbp_mmhg": 70, "map_mmhg": 62}]
    text = grade(canonical(patient(rows)))["explanation"].iloc[0]
    assert text.startswith("Grade 2: MAP 62 mmHg as documented (< 65, hypotension)")


def test_explanation_of_oxygen_by_flow_shows_the_estimate_beside_the_low_flow_grade() -> None:
    rows = [{"hours": 0, "o2_flow_l_min": 4, "o2_device": "NC"}]
    text = grade(canonical(patient(rows)))["explanation"].iloc[0]
    assert text.startswith("Grade 2: nasal cannula 4 L/min (low-flow oxygen, grade 2; FiO2 ≈ 37 %)")


def test_explanation_of_a_high_flow_by_cannula_says_more_than_6_l_min() -> None:
    rows = [{"hours": 0, "o2_flow_l_min": 8}]
    text = grade(canonical(patient(rows)))["explanation"].iloc[0]
    assert text.startswith(
        "Grade 3: oxygen flow 8 L/min (more than 6 L/min: high-flow oxygen, grade 3; FiO2 ≈ 53 %)"
    )


def test_explanation_of_a_device_without_fio2_says_more_than_low_flow() -> None:
    rows = [{"hours": 0, "o2_device": "face mask"}]
    text = grade(canonical(patient(rows)))["explanation"].iloc[0]
    assert text.startswith("Grade 3: face mask without documented FiO2 (more than low-flow oxygen)")
    rows = [{"hours": 0, "o2_device": "blow-by"}]
    text = grade(canonical(patient(rows)))["explanation"].iloc[0]
    assert text.startswith("Grade 2: blow-by oxygen (low-flow oxygen)")


def test_explanation_names_neurotoxicity_as_its_own_finding() -> None:
    rows = [{"hours": 0, "neurotox_grade": 3, "organ_tox_grade": 2}]
    graded = grade(canonical(patient(rows)))
    assert graded["drivers"].iloc[0] == "neurotoxicity"
    assert graded["g_organ_toxicity"].iloc[0] == 2
    assert (
        graded["explanation"]
        .iloc[0]
        .startswith("Grade 3: neurotoxicity CTCAE grade 3 (entered by a clinician);")
    )


def test_neurotoxicity_has_its_own_graded_column_after_organ_toxicity() -> None:
    graded = grade(canonical(patient([{"hours": 0, "neurotox_grade": 4}])))
    columns = list(graded.columns)
    assert columns.index("g_neurotoxicity") == columns.index("g_organ_toxicity") + 1
    assert graded["g_neurotoxicity"].dtype == np.int64
    assert graded["g_neurotoxicity"].iloc[0] == 4
    assert graded["g_organ_toxicity"].iloc[0] == 0
    assert graded["neurotox_used"].iloc[0] == 4.0


def test_an_unknown_vasopressor_dose_makes_the_grade_a_lower_bound_in_words() -> None:
    rows = [{"hours": 0, "norepinephrine_ug_kg_min": 0.3, "temp_c": 37.0, "fio2": 21}]
    graded = grade(canonical(patient(rows)))
    assert graded["unknown"].iloc[0] == "blood_pressure;vasopressor_dose"
    assert graded["explanation"].iloc[0] == (
        "Grade 2: norepinephrine (dose unknown: μg/kg/min without a weight) (one vasopressor,"
        " not high dose); not documented within the carry-forward window: blood pressure;"
        " not known: vasopressor dose (μg/kg/min without a weight), so the grade is a lower"
        " bound."
    )


def test_a_weight_makes_the_vasopressor_dose_known() -> None:
    rows = [{"hours": 0, "norepinephrine_ug_kg_min": 0.3, "sbp_mmhg": 100}]
    graded = grade(canonical(patient(rows, weight_kg=70.0)))
    assert "vasopressor_dose" not in graded["unknown"].iloc[0].split(";")
    assert graded["ne_eq_ug_min"].iloc[0] == 21.0


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


def test_every_unknown_domain_and_criterion_has_plain_words_for_sentences() -> None:
    # Lee's unknown domains, and the ICANS ones of astct.md §3.3 (icans_unknown).
    assert set(DOMAIN_LABELS) == {*UNKNOWN_DOMAINS, "ice", "capd", "consciousness"}
    assert set(CRITERIA) == set(CRITERION_WORDS)
    for words in (*DOMAIN_LABELS.values(), *CRITERION_WORDS.values()):
        assert "_" not in words, words
    assert unknown_words("blood_pressure;vasopressor_dose") == (
        "blood pressure, vasopressor dose (μg/kg/min without a weight)"
    )
    assert unknown_words("") == ""
    assert unknown_words(None) == ""
