"""Treatment given (crs.treatment.given): every immunosuppressant dose with its time and hours ago,
tocilizumab counted against the product label (crs/tables/crs_doses.csv: "up to 3
further doses at least 8 hours apart", 4 in all)."""

from __future__ import annotations

import pandas as pd
from hand_graded import graded_frame

from crs.treatment.given import LIMITS, doses_given, tocilizumab_summary


def _course() -> pd.DataFrame:
    start = pd.Timestamp("2024-05-01 08:00")
    at = [start + pd.Timedelta(hours=h) for h in (0, 6, 13, 20, 30, 40, 46)]
    rows = [
        {"patient_id": "T", "time": at[0], "day": 1.0, "tocilizumab_mg": 560.0},
        # 6 h after the first: sooner than the label's 8 h.
        {"patient_id": "T", "time": at[1], "day": 1.25, "tocilizumab_mg": 560.0},
        {"patient_id": "T", "time": at[2], "day": 1.54, "dexamethasone_mg": 10.0},
        {"patient_id": "T", "time": at[3], "day": 1.83, "tocilizumab_mg": 560.0},
        {"patient_id": "T", "time": at[4], "day": 2.25, "tocilizumab_mg": 560.0},
        # A fifth tocilizumab dose: beyond the label's four.
        {"patient_id": "T", "time": at[5], "day": 2.67, "tocilizumab_mg": 560.0},
        {"patient_id": "T", "time": at[6], "day": 2.92, "other_immunosuppressant": "none"},
    ]
    frame = graded_frame(rows)
    return frame.assign(instant=frame["time"])


def test_the_label_allows_four_tocilizumab_doses_at_least_eight_hours_apart():
    assert LIMITS["tocilizumab"].max_doses == 4
    assert LIMITS["tocilizumab"].min_interval_hours == 8.0


def test_every_dose_is_listed_with_its_number_and_the_hours_before_the_latest_row():
    given = doses_given(_course())
    toci = given[given["drug"] == "tocilizumab"]
    assert toci["number"].tolist() == [1, 2, 3, 4, 5]
    assert toci["of"].tolist() == [4] * 5
    # The latest row is at 46 h: the first dose was 46 h before it, the fifth 6 h.
    assert toci["hours_ago"].tolist() == [46.0, 40.0, 26.0, 16.0, 6.0]
    assert toci["hours_since_previous"].tolist()[1:] == [6.0, 14.0, 10.0, 10.0]
    assert given["dose"].tolist()[2] == "dexamethasone 10 mg"


def test_a_dose_sooner_than_the_label_or_beyond_its_number_says_so():
    notes = doses_given(_course()).query("drug == 'tocilizumab'")["note"].tolist()
    assert notes[0] == ""
    assert notes[1].startswith("less than 8 h after the previous dose")
    assert notes[2] == notes[3] == ""
    assert notes[4] == "more than the label's 4 doses"


def test_none_written_as_other_immunosuppressant_is_nothing_given():
    given = doses_given(_course())
    assert "none" not in given["drug"].tolist()
    other = graded_frame(
        [{"patient_id": "E", "day": 1.0, "other_immunosuppressant": "etanercept 25 mg SC"}]
    )
    listed = doses_given(other.assign(instant=pd.Timestamp("2024-05-01")))
    assert listed["drug"].tolist() == ["etanercept 25 mg SC"]
    assert listed["kind"].tolist() == ["other immunosuppressant"]


def test_the_summary_counts_tocilizumab_against_the_label():
    given = doses_given(_course().iloc[:2])
    text = tocilizumab_summary(given, "T")
    assert text.startswith("Tocilizumab: 2 doses given of at most 4 on the product label")
    assert "2 more allowed, at least 8 h apart" in text
    assert text.endswith("the last 0.0 h before the latest time point.")


def test_a_patient_without_doses_has_none_listed():
    frame = graded_frame([{"patient_id": "Q", "day": 1.0}])
    assert doses_given(frame.assign(instant=pd.Timestamp("2024-05-01"))).empty
