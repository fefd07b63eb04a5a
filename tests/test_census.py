"""The ward round census (crs.views.census) on hand-built graded frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hand_graded import graded_frame

from crs.views.census import CENSUS_COLUMNS, census, filter_census, round_table


def _two_patients() -> pd.DataFrame:
    return graded_frame(
        [
            # A: grade 1 on day 1, grade 3 on day 2 (high-dose pressor), grade 2 on day 3.
            {"patient_id": "A", "day": 0.0, "grade": 0},
            {"patient_id": "A", "day": 1.0, "grade": 1, "drivers": "fever"},
            {"patient_id": "A", "day": 2.0, "grade": 3, "drivers": "vasopressor"},
            {
                "patient_id": "A",
                "day": 2.5,
                "grade": 3,
                "drivers": "vasopressor",
                "tocilizumab_mg": 280.0,
            },
            {
                "patient_id": "A",
                "day": 3.0,
                "grade": 2,
                "drivers": "hypotension",
                "unknown": "oxygen",
            },
            # B: fever only, then grade 4 on the latest row.
            {"patient_id": "B", "day": 0.5, "grade": 1, "drivers": "fever"},
            {
                "patient_id": "B",
                "day": 1.0,
                "grade": 4,
                "drivers": "ventilation",
                "alerts": "untreated_severe",
            },
        ]
    )


def test_census_has_one_row_per_patient_and_every_column():
    table = census(_two_patients())
    assert sorted(table["patient_id"]) == ["A", "B"]
    assert list(table.columns) == list(CENSUS_COLUMNS)


def test_sickest_patient_comes_first():
    table = census(_two_patients())
    assert list(table["patient_id"]) == ["B", "A"]


def test_current_grade_drivers_and_unknown_come_from_the_latest_row():
    row = census(_two_patients()).set_index("patient_id").loc["A"]
    assert row["grade"] == 2
    assert row["drivers"] == "hypotension"
    assert row["unknown"] == "oxygen"
    assert row["day"] == 3.0


def test_highest_grade_is_dated_to_when_it_was_first_reached():
    row = census(_two_patients()).set_index("patient_id").loc["A"]
    assert row["highest_grade"] == 3
    assert row["highest_grade_when"] == "day 2"


def test_a_patient_who_never_had_crs_has_no_date_for_the_highest_grade():
    course = graded_frame(
        [{"patient_id": "C", "day": -1.3, "grade": 0}, {"patient_id": "C", "day": 1.0, "grade": 0}]
    )
    row = census(course).set_index("patient_id").loc["C"]
    assert row["highest_grade"] == 0
    assert row["highest_grade_when"] == "—"


def test_grade_lower_than_24_hours_ago_is_better():
    # A: day 3 grade 2; the row in effect at day 2 had grade 3.
    assert census(_two_patients()).set_index("patient_id").loc["A", "trend_24h"] == "better"


def test_trend_is_not_guessed_when_less_than_24_hours_are_recorded():
    # B: first row at day 0.5, latest at day 1.0 — nothing recorded 24 h before.
    row = census(_two_patients()).set_index("patient_id").loc["B"]
    assert row["trend_24h"] == "less than 24 h recorded"


def test_grade_higher_than_24_hours_ago_is_worse_and_equal_is_same():
    frame = graded_frame(
        [
            {"patient_id": "W", "day": 0.0, "grade": 1},
            {"patient_id": "W", "day": 1.0, "grade": 2},
            {"patient_id": "S", "day": 0.0, "grade": 2},
            {"patient_id": "S", "day": 0.5, "grade": 3},
            {"patient_id": "S", "day": 1.5, "grade": 3},
        ]
    )
    trend = census(frame).set_index("patient_id")["trend_24h"]
    assert trend["W"] == "worse"
    # S: at day 0.5 (24 h before day 1.5) grade 3 was in effect.
    assert trend["S"] == "same"


def test_doses_given_are_counted_with_their_total():
    frame = graded_frame(
        [
            {"patient_id": "A", "day": 1.0, "tocilizumab_mg": 320.0},
            {
                "patient_id": "A",
                "day": 2.0,
                "tocilizumab_mg": 320.0,
                "methylprednisolone_mg": 140.0,
            },
            {"patient_id": "A", "day": 3.0, "dexamethasone_mg": 10.0},
            {"patient_id": "B", "day": 1.0},
        ]
    )
    table = census(frame).set_index("patient_id")
    assert table.loc["A", "tocilizumab_doses"] == 2
    assert table.loc["A", "tocilizumab"] == "2 × (640 mg)"
    assert table.loc["A", "corticosteroid_doses"] == 2
    assert table.loc["A", "corticosteroids"] == (
        "methylprednisolone 1 × (140 mg); dexamethasone 1 × (10 mg)"
    )
    assert table.loc["B", "tocilizumab"] == ""
    assert table.loc["B", "corticosteroids"] == ""


def test_neurotoxicity_is_current_earlier_or_none():
    frame = graded_frame(
        [
            {"patient_id": "now", "day": 1.0},
            {"patient_id": "now", "day": 2.0, "neurotox_used": 2.0},
            {"patient_id": "past", "day": 1.0, "symptoms": "Confusion; tremor"},
            {"patient_id": "past", "day": 2.0},
            {"patient_id": "ice", "day": 1.0, "ice_used": 7.0},
            {"patient_id": "never", "day": 1.0, "symptoms": "nausea"},
        ]
    )
    status = census(frame).set_index("patient_id")["neurotoxicity"]
    assert status["now"] == "current"
    assert status["past"] == "earlier"
    assert status["ice"] == "current"
    assert status["never"] == "none recorded"


def test_filter_by_grade_and_alerts():
    table = census(_two_patients())
    assert list(filter_census(table, grades=[2])["patient_id"]) == ["A"]
    assert list(filter_census(table, with_alerts=True)["patient_id"]) == ["B"]
    assert len(filter_census(table)) == 2


def test_census_does_not_modify_its_input():
    frame = _two_patients()
    before = frame.copy()
    census(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_time_axis_without_infusion_time_dates_the_highest_grade_by_clock():
    frame = graded_frame(
        [
            {"patient_id": "T", "time": "2024-03-01 08:00", "grade": 1},
            {"patient_id": "T", "time": "2024-03-02 09:30", "grade": 2},
        ]
    )
    row = census(frame).set_index("patient_id").loc["T"]
    assert row["highest_grade_when"] == "2024-03-02 09:30"
    assert row["trend_24h"] == "worse"


def test_among_equally_sick_patients_an_alert_asking_for_action_comes_first():
    frame = graded_frame(
        [
            {"patient_id": "info", "day": 1.0, "grade": 3, "alerts": "crp_past_peak"},
            {"patient_id": "quiet", "day": 1.0, "grade": 3},
            {"patient_id": "untreated", "day": 1.0, "grade": 3, "alerts": "untreated_severe"},
        ]
    )
    assert list(census(frame)["patient_id"]) == ["untreated", "info", "quiet"]


def _bedside() -> pd.DataFrame:
    """One patient over 30 h: the 24 h window of the round starts at hour 6 (inclusive)."""
    start = pd.Timestamp("2024-05-01 00:00")

    def at(hours: float) -> pd.Timestamp:
        return start + pd.Timedelta(hours=hours)

    rows = [
        # Before the window: the hottest and lowest values, which must not count.
        {
            "time": at(0),
            "temp_c": 40.5,
            "sbp_mmhg": 70.0,
            "map_mmhg": 45.0,
            "tocilizumab_mg": 480.0,
        },
        {"time": at(6), "temp_c": 38.9, "sbp_mmhg": 88.0, "map_mmhg": 61.0},
        # A MAP computed from an SBP/DBP pair charted on this row (no MAP charted).
        {"time": at(12), "temp_c": 38.2, "sbp_mmhg": 84.0, "map_used": 58.0, "map_computed": True},
        # Lab-only row: the carried MAP is not a value charted in the window.
        {"time": at(20), "map_used": 50.0, "map_computed": True},
        {
            "time": at(30),
            "temp_c": 37.6,
            "sbp_mmhg": 101.0,
            "map_mmhg": 72.0,
            "ne_eq_ug_min": 12.0,
            "vasopressors": "norepinephrine;vasopressin",
            "fio2_used": 45.0,
            "oxygen_basis": "fio2",
            "o2_device_used": "hfnc",
            "neurotox_used": 2.0,
            "ice_used": 6.0,
        },
    ]
    return graded_frame([{"patient_id": "W", "day": np.nan, **row} for row in rows])


def test_bedside_values_cover_the_24_hours_up_to_the_latest_row():
    row = census(_bedside()).iloc[0]
    assert row["tmax_24h"] == 38.9
    assert row["sbp_min_24h"] == 84.0
    assert row["map_min_24h"] == 58.0


def test_what_is_in_effect_now_is_said_in_words():
    row = census(_bedside()).iloc[0]
    assert row["vasopressors_now"] == "12 · 2 agents"
    assert row["oxygen_now"] == "HFNC 45 %"
    assert row["neuro_now"] == "grade 2 · ICE 6"
    assert row["tocilizumab_hours_ago"] == 30.0


def test_a_lower_bound_is_flagged_and_shown_as_at_least_in_the_round_table():
    table = census(_two_patients())
    assert table.set_index("patient_id").loc["A", "lower_bound"]
    shown = round_table(table)
    assert "Lower bound — not known" not in shown.columns
    assert "Lower bound — not known" in round_table(table, more=True).columns
    assert shown.set_index("Patient").loc["A", "Drivers now"] == "hypotension"
    assert shown.set_index("Patient").loc["B", "Alerts"] == "⚠ Untreated grade ≥ 3"


def test_the_round_table_shows_blanks_not_none_and_no_bed_column_when_not_exported():
    shown = round_table(census(_two_patients()))
    assert "Bed" not in shown.columns and "Name" not in shown.columns
    assert shown.set_index("Patient").loc["B", "Last toci"] == ""
    assert shown.set_index("Patient").loc["A", "Last toci"] == "12.0 h"
    assert not shown.astype("str").isin(["None", "nan", "NaN"]).any().any()


def test_drivers_are_words_not_codes():
    frame = _two_patients()
    frame.loc[frame.index[-1], "drivers"] = "neurotoxicity;organ_toxicity"
    shown = round_table(census(frame)).set_index("Patient")
    assert shown.loc["B", "Drivers now"] == "neurotoxicity, organ toxicity"
