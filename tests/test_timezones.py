"""Time zones and daylight-saving changes (spec grading.md §2; architecture §1.1).

Europe/London, 27 October 2024: clocks go back from 02:00 BST (+01:00) to 01:00 GMT
(+00:00), so ``01:30+01:00`` and ``01:30+00:00`` are two instants one hour apart.
31 March 2024: clocks go forward from 01:00 GMT to 02:00 BST, so one wall-clock hour
never happens. The reader turns every offset into a UTC instant, and every carry-forward
window (6 h for temperature, 3 h of high-dose vasopressor, Table 3) counts real elapsed
hours, not wall-clock hours — a patient does not get an extra or a missing hour of fever
because the clocks changed.
"""

from __future__ import annotations

import pandas as pd

from tests.fixtures_hostile import check_export, check_graded, read_or_unusable


def read(text: str):
    export = read_or_unusable(text.encode(), name="dst.csv")
    assert export is not None, "a file with valid ids and offset times was refused"
    check_export(export)
    return export


def graded_rows(text: str) -> pd.DataFrame:
    return check_graded(read(text))


def test_the_repeated_autumn_hour_gives_two_instants_one_hour_apart() -> None:
    export = read(
        "patient_id,time,temp_c\n"
        "P1,2024-10-27T01:30:00+01:00,37.0\n"
        "P1,2024-10-27T01:30:00+00:00,37.1\n"
    )
    assert list(export.frame["instant"]) == [
        pd.Timestamp("2024-10-27T00:30:00"),
        pd.Timestamp("2024-10-27T01:30:00"),
    ]
    assert export.report.rows_merged == 0
    assert list(export.frame["temp_c"]) == [37.0, 37.1]


def test_times_are_kept_as_utc_instants_and_naive() -> None:
    export = read("patient_id,time,temp_c\nP1,2024-06-01T08:00:00-05:30,37.0\n")
    assert export.frame.loc[0, "instant"] == pd.Timestamp("2024-06-01T13:30:00")
    assert export.frame.loc[0, "time"] == pd.Timestamp("2024-06-01T13:30:00")
    assert export.frame["instant"].dt.tz is None


def test_one_instant_written_in_two_zones_is_merged_into_one_row() -> None:
    export = read(
        "patient_id,time,temp_c,sbp\n"
        "P1,2024-10-27T00:30:00Z,38.4,\n"
        "P1,2024-10-27T01:30:00+01:00,,85\n"
    )
    assert len(export.frame) == 1
    assert export.report.rows_merged == 1
    assert export.frame.loc[0, "temp_c"] == 38.4
    assert export.frame.loc[0, "sbp_mmhg"] == 85.0


def test_compact_offsets_without_a_colon_are_read() -> None:
    export = read(
        "patient_id,time,temp_c\n"
        "P1,2024-10-27T01:30:00+0100,37.0\n"
        "P1,2024-10-27T01:30:00+0000,37.1\n"
    )
    assert list(export.frame["instant"].dt.hour) == [0, 1]


def test_fever_is_not_carried_past_six_real_hours_across_the_autumn_change() -> None:
    # 00:30 BST (23:30 UTC) to 06:00 GMT: 5.5 h on the wall clock, 6.5 h really elapsed.
    rows = graded_rows(
        "patient_id,time,temp_c,sbp\n"
        "P1,2024-10-27T00:30:00+01:00,39.0,120\n"
        "P1,2024-10-27T06:00:00+00:00,,120\n"
    )
    assert list(rows["grade"]) == [1, 0]
    assert "temperature" in rows.loc[1, "unknown"].split(";")


def test_fever_six_real_hours_old_is_still_in_effect_across_the_autumn_change() -> None:
    # 00:30 BST (23:30 UTC) to 05:30 GMT: 5 h on the wall clock, exactly 6 h elapsed.
    rows = graded_rows(
        "patient_id,time,temp_c\nP1,2024-10-27T00:30:00+01:00,39.0\nP1,2024-10-27T05:30:00+00:00,\n"
    )
    assert list(rows["grade"]) == [1, 1]
    assert list(rows["drivers"]) == ["fever", "fever"]


def test_fever_is_carried_over_the_missing_spring_hour_by_real_time() -> None:
    # 00:30 GMT to 06:45 BST (05:45 UTC): 6.25 h on the wall clock, 5.25 h elapsed.
    rows = graded_rows(
        "patient_id,time,temp_c\nP1,2024-03-31T00:30:00+00:00,39.0\nP1,2024-03-31T06:45:00+01:00,\n"
    )
    assert list(rows["grade"]) == [1, 1]


def test_three_hours_of_high_dose_norepinephrine_count_real_hours_in_autumn() -> None:
    # Table 3: norepinephrine ≥ 20 µg/min for ≥ 3 h. 00:30 BST to 02:45 GMT is 2.25 h on
    # the wall clock but 3.25 h of infusion: high dose, grade 3.
    rows = graded_rows(
        "patient_id,time,norepinephrine_ug_min\n"
        "P1,2024-10-27T00:30:00+01:00,25\n"
        "P1,2024-10-27T02:45:00+00:00,25\n"
    )
    assert list(rows["grade"]) == [2, 3]


def test_three_hours_of_high_dose_norepinephrine_count_real_hours_in_spring() -> None:
    # 00:30 GMT to 03:45 BST is 3.25 h on the wall clock but 2.25 h of infusion: one
    # agent, not yet high dose for 3 h, grade 2 (prospective, spec §3.2).
    rows = graded_rows(
        "patient_id,time,norepinephrine_ug_min\n"
        "P1,2024-03-31T00:30:00+00:00,25\n"
        "P1,2024-03-31T03:45:00+01:00,25\n"
    )
    assert list(rows["grade"]) == [2, 2]


def test_day_since_infusion_counts_real_hours_across_the_change() -> None:
    # Infusion 12:00 BST on 26 October (11:00 UTC); 11:00 GMT the next day is 24 h later
    # (23 h on the wall clock's "noon to 11:00").
    export = read(
        "patient_id,time,infusion_time,temp_c\n"
        "P1,2024-10-27T11:00:00+00:00,2024-10-26T12:00:00+01:00,37.0\n"
    )
    assert export.frame.loc[0, "day"] == 1.0
    assert export.frame.loc[0, "infusion_time"] == pd.Timestamp("2024-10-26T11:00:00")


def test_infusion_time_from_the_patients_table_with_an_offset_is_utc_too() -> None:
    export = read_or_unusable(
        b"patient_id,time,temp_c\nP1,2024-03-31T12:00:00+01:00,37.0\n",
        patients=b"patient_id,infusion_time\nP1,2024-03-30T11:00:00+00:00\n",
        name="dst.csv",
    )
    assert export is not None
    check_export(export)
    assert export.frame.loc[0, "day"] == 1.0


def test_naive_local_times_repeated_in_the_autumn_hour_are_merged_and_the_conflict_reported() -> (
    None
):
    # Without offsets the reader cannot tell the two 01:30s apart: it takes times as
    # written, so they are one instant; the differing values are not silently lost.
    export = read("patient_id,time,temp_c\nP1,2024-10-27 01:30,38.9\nP1,2024-10-27 01:30,37.2\n")
    assert len(export.frame) == 1
    assert export.report.rows_merged == 1
    assert export.frame.loc[0, "temp_c"] == 37.2  # the later row in the file wins (§1.1)
    kinds = set(export.report.to_frame()["kind"])
    assert "conflict" in kinds


def test_times_with_and_without_offsets_in_one_file_are_all_graded() -> None:
    export = read(
        "patient_id,time,temp_c\n"
        "P1,2024-10-27T00:30:00+01:00,37.0\n"
        "P1,2024-10-27 03:00,37.1\n"
        "P1,2024-10-27T04:00:00Z,37.2\n"
    )
    assert len(export.frame) == 3
    assert export.frame["instant"].is_monotonic_increasing
