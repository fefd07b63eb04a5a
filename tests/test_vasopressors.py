"""Vasopressors over time (spec grading.md §3.2; Lee et al. 2014 Table 3 "for ≥ 3 hours")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from grading_frames import canonical, patient

from crs.scales.grading import grade


def _graded(rows: list[dict], **patient_level: object) -> pd.DataFrame:
    return grade(canonical(patient(rows, **patient_level)))


@pytest.mark.parametrize(
    ("hours", "minutes", "expected_grade"),
    [(2, 59, 2), (3, 0, 3), (3, 1, 3)],
    ids=["2_h_59_min_not_yet", "exactly_3_h", "3_h_1_min"],
)
def test_high_dose_monotherapy_becomes_grade_3_after_3_hours(
    hours, minutes, expected_grade
) -> None:
    graded = _graded(
        [{"hours": 0, "norepinephrine_ug_min": 22}, {"hours": hours, "minutes": minutes}]
    )
    assert graded["grade"].tolist() == [2, expected_grade]
    assert graded["high_dose_now"].tolist() == [True, True]
    assert graded["high_dose_hours"].iloc[1] == pytest.approx(hours + minutes / 60)


def test_a_dip_below_the_threshold_restarts_the_3_hour_clock() -> None:
    graded = _graded(
        [
            {"hours": 0, "norepinephrine_ug_min": 22},
            {"hours": 2, "norepinephrine_ug_min": 15},
            {"hours": 2, "minutes": 30, "norepinephrine_ug_min": 22},
            {"hours": 4},
            {"hours": 5, "minutes": 29},
            {"hours": 5, "minutes": 30},
        ]
    )
    assert graded["high_dose_now"].tolist() == [True, False, True, True, True, True]
    assert graded["grade"].tolist() == [2, 2, 2, 2, 2, 3]
    assert graded["high_dose_hours"].iloc[3] == pytest.approx(1.5)


def test_a_dose_change_that_stays_high_does_not_restart_the_clock() -> None:
    graded = _graded(
        [
            {"hours": 0, "norepinephrine_ug_min": 22},
            {"hours": 1, "norepinephrine_ug_min": 30},
            {"hours": 3},
        ]
    )
    assert graded["grade"].tolist() == [2, 2, 3]
    assert graded["high_dose_hours"].iloc[2] == pytest.approx(3.0)


def test_a_carried_rate_running_out_of_its_window_breaks_the_high_dose_run() -> None:
    # 22 μg/min documented at 0 h is in effect until 24 h; nothing is documented until
    # 25 h, so the run ended at 24 h even though no row sits there.
    graded = _graded(
        [
            {"hours": 0, "norepinephrine_ug_min": 22},
            {"hours": 25, "norepinephrine_ug_min": 22},
            {"hours": 27},
            {"hours": 28},
        ]
    )
    assert graded["high_dose_hours"].tolist() == pytest.approx([0.0, 0.0, 2.0, 3.0])
    assert graded["grade"].tolist() == [2, 2, 2, 3]


def test_a_rate_renewed_within_its_window_keeps_the_run_going() -> None:
    graded = _graded(
        [
            {"hours": 0, "norepinephrine_ug_min": 22},
            {"hours": 24, "norepinephrine_ug_min": 22},
            {"hours": 25},
        ]
    )
    assert graded["high_dose_hours"].iloc[2] == pytest.approx(25.0)
    assert graded["grade"].iloc[2] == 3


def test_a_high_dose_run_never_starts_before_the_patient_rows() -> None:
    # Prospective: a row cannot know the pressor ran before the first documentation.
    graded = _graded([{"hours": 0, "norepinephrine_ug_min": 50}])
    assert graded["grade"].iloc[0] == 2
    assert graded["high_dose_hours"].iloc[0] == 0.0


def test_high_dose_from_a_weight_based_rate_needs_the_weight() -> None:
    rows = [{"hours": 0, "norepinephrine_ug_kg_min": 0.3}, {"hours": 3}]
    with_weight = _graded(rows, weight_kg=70.0)
    assert with_weight["grade"].tolist() == [2, 3]
    assert with_weight["ne_eq_ug_min"].tolist() == pytest.approx([21.0, 21.0])
    without_weight = _graded(rows)
    assert without_weight["grade"].tolist() == [2, 2]
    assert without_weight["dose_unknown"].tolist() == [True, True]
    assert without_weight["ne_eq_ug_min"].isna().all()


def test_two_agents_are_grade_3_at_once_without_waiting_3_hours() -> None:
    graded = _graded([{"hours": 0, "norepinephrine_ug_min": 2, "vasopressin_u_min": 0.03}])
    assert graded["grade"].iloc[0] == 3
    assert graded["vasopressors"].iloc[0] == "norepinephrine;vasopressin"


def test_ne_eq_is_empty_when_no_vasopressor_runs() -> None:
    graded = _graded([{"hours": 0, "sbp_mmhg": 120}])
    assert np.isnan(graded["ne_eq_ug_min"].iloc[0])
    assert graded["vasopressors"].iloc[0] == ""
    assert graded["n_vasopressors"].iloc[0] == 0


def test_the_high_dose_explanation_names_agent_dose_and_duration() -> None:
    graded = _graded([{"hours": 0, "norepinephrine_ug_min": 22}, {"hours": 3, "minutes": 30}])
    assert (
        graded["explanation"]
        .iloc[1]
        .startswith("Grade 3: norepinephrine 22 μg/min for 3.5 h (high dose, Table 3)")
    )


def test_the_explanation_says_when_the_3_hours_are_not_yet_complete() -> None:
    graded = _graded([{"hours": 0, "norepinephrine_ug_min": 22}, {"hours": 1}])
    text = graded["explanation"].iloc[1]
    assert text.startswith("Grade 2: norepinephrine 22 μg/min")
    assert "under the 3 h of Table 3" in text
