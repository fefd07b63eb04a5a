"""Laboratory trends: CRP peak and fold change over baseline (treatment.md §4; crs.treatment.trends)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from treatment_frames import START, graded, ward

from crs.treatment import trends
from crs.treatment.trends import baseline, crp_peaks, fold_change

INFUSION = START + pd.Timedelta(hours=24)


def _crp_series(values: list[tuple[float, float]], patient_id: str = "P1") -> pd.DataFrame:
    return graded(
        [{"hours": hours, "grade": 1, "crp_mg_l": crp} for hours, crp in values],
        patient_id=patient_id,
    )


# ---------------------------------------------------------------------------------------
# CRP peak
# ---------------------------------------------------------------------------------------


def test_crp_peak_is_marked_once_crp_has_fallen_twice_after_it() -> None:
    frame = _crp_series([(0, 20.0), (24, 90.0), (48, 70.0), (72, 50.0), (96, 40.0)])
    peaks = crp_peaks(frame)
    assert peaks["patient_id"].tolist() == ["P1"]
    assert peaks.loc[0, "crp_mg_l"] == 90.0
    assert peaks.loc[0, "instant"] == START + pd.Timedelta(hours=24)
    assert peaks.loc[0, "confirmed_instant"] == START + pd.Timedelta(hours=72)


def test_no_crp_peak_while_crp_has_fallen_only_once() -> None:
    frame = _crp_series([(0, 20.0), (24, 90.0), (48, 70.0)])
    assert crp_peaks(frame).empty


def test_no_crp_peak_while_crp_is_rising() -> None:
    frame = _crp_series([(0, 20.0), (24, 40.0), (48, 60.0)])
    assert crp_peaks(frame).empty


def test_no_crp_peak_when_the_fall_is_spread_over_more_than_48_hours() -> None:
    frame = _crp_series([(0, 90.0), (48, 70.0), (96 + 1 / 60, 50.0)])
    assert crp_peaks(frame).empty


def test_crp_peak_may_be_the_first_value_when_crp_falls_from_admission() -> None:
    frame = _crp_series([(0, 150.0), (12, 120.0), (24, 100.0)])
    peaks = crp_peaks(frame)
    assert peaks.loc[0, "crp_mg_l"] == 150.0
    assert peaks.loc[0, "instant"] == START


def test_a_second_crp_wave_gets_its_own_peak_once_its_fall_is_confirmed() -> None:
    frame = _crp_series([(0, 90.0), (24, 70.0), (48, 50.0), (72, 200.0), (84, 150.0), (96, 100.0)])
    peaks = crp_peaks(frame)
    assert peaks["crp_mg_l"].tolist() == [90.0, 200.0]
    assert peaks["instant"].tolist() == [START, START + pd.Timedelta(hours=72)]
    assert peaks["confirmed_instant"].tolist() == [
        START + pd.Timedelta(hours=48),
        START + pd.Timedelta(hours=96),
    ]


def test_a_second_wave_is_not_marked_before_its_fall_is_confirmed() -> None:
    frame = _crp_series([(0, 90.0), (24, 70.0), (48, 50.0), (72, 200.0), (84, 150.0)])
    assert crp_peaks(frame)["crp_mg_l"].tolist() == [90.0]


def test_a_fall_resuming_after_a_gap_without_a_rise_confirms_no_new_peak() -> None:
    # 90 > 70 > 50 confirms the peak at 90; three days later CRP is still falling
    # (45 > 40 > 35): the alert comes on again but there is no new peak to mark.
    frame = _crp_series([(0, 90.0), (24, 70.0), (48, 50.0), (120, 45.0), (132, 40.0), (144, 35.0)])
    assert crp_peaks(frame)["crp_mg_l"].tolist() == [90.0]


def test_crp_peak_only_uses_values_up_to_its_confirmation() -> None:
    early = _crp_series([(0, 20.0), (24, 90.0), (48, 70.0), (72, 50.0)])
    later = _crp_series([(0, 20.0), (24, 90.0), (48, 70.0), (72, 50.0), (80, 30.0), (90, 10.0)])
    pd.testing.assert_frame_equal(crp_peaks(early), crp_peaks(later))


def test_crp_peak_of_equal_highest_values_is_the_earliest() -> None:
    frame = _crp_series([(0, 90.0), (12, 90.0), (24, 70.0), (36, 50.0)])
    peaks = crp_peaks(frame)
    assert peaks.loc[0, "instant"] == START


def test_crp_peaks_are_found_per_patient() -> None:
    frame = ward(
        _crp_series([(0, 90.0), (24, 70.0), (48, 50.0)], patient_id="A"),
        _crp_series([(0, 10.0), (24, 30.0)], patient_id="B"),
        _crp_series([(5, 40.0), (10, 300.0), (20, 200.0), (30, 100.0)], patient_id="C"),
    )
    peaks = crp_peaks(frame)
    assert peaks["patient_id"].tolist() == ["A", "C"]
    assert peaks["crp_mg_l"].tolist() == [90.0, 300.0]


def test_crp_peak_carries_the_rows_time_and_day_for_the_chart() -> None:
    frame = _crp_series([(0, 90.0), (24, 70.0), (48, 50.0)]).assign(day=[1.0, 2.0, 3.0])
    peaks = crp_peaks(frame)
    assert list(peaks.columns) == list(trends.PEAK_COLUMNS)
    assert peaks.loc[0, "day"] == 1.0
    assert peaks.loc[0, "time"] == START


def test_no_crp_peak_when_crp_fell_by_less_than_a_quarter() -> None:
    # 100 -> 90 -> 80: two falls, but 80 is 80 % of the peak (treatment.md §2 [v2]).
    assert crp_peaks(_crp_series([(0, 100.0), (12, 90.0), (24, 80.0)])).empty
    peaks = crp_peaks(_crp_series([(0, 100.0), (12, 90.0), (24, 80.0), (36, 75.0)]))
    assert peaks["crp_mg_l"].tolist() == [100.0]
    assert peaks["confirmed_instant"].tolist() == [START + pd.Timedelta(hours=36)]


def test_crp_peak_waits_while_the_grade_rises() -> None:
    # CRP 300 -> 200 -> 150 by 24 h, but the grade went from 1 to 3 at 24 h: the peak is
    # marked only at 48 h, once the grade is no longer higher than 24 h before.
    frame = graded(
        [
            {"hours": 0, "grade": 1, "crp_mg_l": 300.0},
            {"hours": 12, "grade": 1, "crp_mg_l": 200.0},
            {"hours": 24, "grade": 3, "crp_mg_l": 150.0},
            {"hours": 36, "grade": 3},
            {"hours": 48, "grade": 3},
        ]
    )
    peaks = crp_peaks(frame)
    assert peaks["crp_mg_l"].tolist() == [300.0]
    assert peaks["confirmed_instant"].tolist() == [START + pd.Timedelta(hours=48)]


def test_a_crp_higher_than_the_7_days_before_the_fall_is_not_its_peak() -> None:
    # 400 on day 0, then a new wave 120 -> 200 -> 150 -> 100 from day 8: the alert compares
    # 100 with the 7-day peak of 200, and that is the peak marked, not the 400.
    frame = _crp_series([(0, 400.0), (192, 120.0), (204, 200.0), (216, 150.0), (228, 100.0)])
    peaks = crp_peaks(frame)
    assert peaks["crp_mg_l"].tolist() == [200.0]
    assert peaks["instant"].tolist() == [START + pd.Timedelta(hours=204)]


def test_crp_caveat_adds_the_tocilizumab_note_once_tocilizumab_was_given() -> None:
    without = graded([{"hours": 0, "crp_mg_l": 40.0}, {"hours": 6, "tocilizumab_mg": 0.0}])
    with_dose = graded([{"hours": 0, "crp_mg_l": 40.0}, {"hours": 6, "tocilizumab_mg": 320.0}])
    assert trends.crp_caveat(without) == trends.CRP_CAVEAT
    assert trends.crp_caveat(with_dose) == f"{trends.CRP_CAVEAT} {trends.TOCILIZUMAB_CRP_NOTE}"
    assert "whatever the course of CRS" in trends.TOCILIZUMAB_CRP_NOTE
    assert trends.crp_caveat(graded([{"hours": 0}]).drop(columns=["tocilizumab_mg"])) == (
        trends.CRP_CAVEAT
    )


def test_crp_peaks_of_a_frame_without_crp_is_an_empty_table_with_the_columns() -> None:
    frame = graded([{"hours": 0, "grade": 1}])
    peaks = crp_peaks(frame)
    assert peaks.empty
    assert list(peaks.columns) == list(trends.PEAK_COLUMNS)


# ---------------------------------------------------------------------------------------
# Baseline and fold change
# ---------------------------------------------------------------------------------------


def test_baseline_is_the_last_value_at_or_before_infusion() -> None:
    frame = graded(
        [
            {"hours": 0, "il6_pg_ml": 5.0},
            {"hours": 24, "il6_pg_ml": 8.0},  # at infusion: still baseline
            {"hours": 48, "il6_pg_ml": 400.0},
        ],
        infusion_time=INFUSION,
    )
    assert baseline(frame, "il6_pg_ml").to_dict() == {"P1": 8.0}
    assert fold_change(frame, "il6_pg_ml").tolist() == [5.0 / 8.0, 1.0, 50.0]


def test_baseline_on_a_day_axis_is_the_last_value_on_day_0_or_before() -> None:
    frame = graded(
        [{"hours": 0, "ifng_pg_ml": 2.0}, {"hours": 24, "ifng_pg_ml": 4.0}]
        + [{"hours": 48, "ifng_pg_ml": 40.0}]
    ).assign(day=[-1.0, 0.0, 1.0], time=pd.NaT)
    assert baseline(frame, "ifng_pg_ml").to_dict() == {"P1": 4.0}


def test_baseline_without_a_value_before_infusion_is_the_first_value() -> None:
    frame = graded(
        [{"hours": 30, "ferritin_ng_ml": 500.0}, {"hours": 60, "ferritin_ng_ml": 5000.0}],
        infusion_time=INFUSION,
    )
    assert baseline(frame, "ferritin_ng_ml").to_dict() == {"P1": 500.0}
    assert fold_change(frame, "ferritin_ng_ml").tolist() == [1.0, 10.0]


def test_baseline_without_infusion_time_or_day_is_the_first_value() -> None:
    frame = graded([{"hours": 0, "crp_mg_l": 4.0}, {"hours": 24, "crp_mg_l": 40.0}])
    assert baseline(frame, "crp_mg_l").to_dict() == {"P1": 4.0}


def test_fold_change_is_missing_where_the_value_was_not_recorded() -> None:
    frame = graded([{"hours": 0, "crp_mg_l": 4.0}, {"hours": 12}, {"hours": 24, "crp_mg_l": 40.0}])
    folds = fold_change(frame, "crp_mg_l")
    assert folds.iloc[0] == 1.0
    assert np.isnan(folds.iloc[1])
    assert folds.iloc[2] == 10.0


def test_fold_change_over_a_zero_baseline_is_missing_not_infinite() -> None:
    frame = graded([{"hours": 0, "il6_pg_ml": 0.0}, {"hours": 24, "il6_pg_ml": 50.0}])
    assert fold_change(frame, "il6_pg_ml").isna().all()


def test_baseline_and_fold_change_are_per_patient() -> None:
    frame = ward(
        graded(
            [{"hours": 0, "il6_pg_ml": 10.0}, {"hours": 24, "il6_pg_ml": 100.0}], patient_id="A"
        ),
        graded([{"hours": 0, "il6_pg_ml": 2.0}, {"hours": 24, "il6_pg_ml": 100.0}], patient_id="B"),
        graded([{"hours": 0}], patient_id="C"),
    )
    reference = baseline(frame, "il6_pg_ml")
    assert reference.index.tolist() == ["A", "B", "C"]
    assert reference.iloc[:2].tolist() == [10.0, 2.0]
    assert np.isnan(reference["C"])
    assert fold_change(frame, "il6_pg_ml").iloc[:4].tolist() == [1.0, 10.0, 1.0, 50.0]


def test_fold_change_keeps_the_graded_index_and_does_not_modify_input() -> None:
    frame = graded([{"hours": 0, "crp_mg_l": 4.0}, {"hours": 24, "crp_mg_l": 40.0}])
    frame.index = pd.Index([7, 3])
    before = frame.copy()
    folds = fold_change(frame, "crp_mg_l")
    assert folds.index.equals(frame.index)
    pd.testing.assert_frame_equal(frame, before)


def test_fold_change_of_a_marker_not_in_the_spec_is_refused_with_a_clear_message() -> None:
    frame = graded([{"hours": 0}]).assign(sbp_mmhg=100.0)
    with pytest.raises(ValueError, match="Fold change is shown for il6_pg_ml"):
        fold_change(frame, "sbp_mmhg")


def test_caveats_say_what_the_paper_says_about_crp_and_ferritin() -> None:
    assert "infection" in trends.CRP_CAVEAT and "1–2 days" in trends.CRP_CAVEAT
    assert "not predicted" in trends.FERRITIN_CAVEAT
    assert "macrophage activation syndrome / HLH" in trends.FERRITIN_CAVEAT
