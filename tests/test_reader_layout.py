"""Layouts, patients, time axes and merging (spec grading.md §1, §1.1 and §2;
docs/architecture.md §1.1)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from crs.read.columns import CANONICAL, DTYPES
from crs.read.reader import read_export


def _problems(export, kind: str) -> pd.DataFrame:
    table = export.report.to_frame()
    return table[table["kind"] == kind].reset_index(drop=True)


def test_the_canonical_frame_has_every_column_with_its_dtype_in_order() -> None:
    export = read_export(b"patient_id,time,temp_c\nP1,2024-03-05T08:00,38\n")
    assert list(export.frame.columns) == CANONICAL
    assert all(export.frame[c].dtype == DTYPES[c] for c in CANONICAL)
    assert isinstance(export.frame.index, pd.RangeIndex)


def test_the_long_layout_is_pivoted_and_its_unit_column_drives_conversion() -> None:
    data = (
        "patient_id,time,variable,value,unit\n"
        "P1,2024-03-05T08:00,crp,12,mg/dL\n"
        "P1,2024-03-05T08:00,Temperature,101.3,F\n"
        "P1,2024-03-05T08:00,creatinine,176.8,µmol/L\n"
        "P1,2024-03-05T08:00,o2_device,nasal cannula,\n"
        "P1,2024-03-05T12:00,crp,80,mg/L\n"
        "P1,2024-03-05T12:00,norepinephrine,0.1,ug/kg/min\n"
    ).encode()
    export = read_export(data, name="long.csv")
    frame = export.frame
    assert len(frame) == 2
    assert list(frame["crp_mg_l"]) == [120.0, 80.0]
    assert frame["temp_c"].iloc[0] == pytest.approx(38.5)
    assert frame["creatinine_mg_dl"].iloc[0] == pytest.approx(2.0)
    assert frame["o2_device"].iloc[0] == "nasal cannula"
    assert frame["norepinephrine_ug_kg_min"].iloc[1] == 0.1
    assert list(frame["line"]) == [2, 6]
    report = export.report
    assert (report.rows_read, report.rows_graded, report.rows_merged) == (6, 2, 4)
    assert report.balanced


def test_a_flowsheet_unit_that_does_not_fit_the_variable_is_reported() -> None:
    data = b"patient_id,time,variable,value,unit\nP1,2024-03-05T08:00,crp,12,furlongs\n"
    export = read_export(data)
    assert math.isnan(export.frame["crp_mg_l"].iloc[0])
    problem = _problems(export, "unparseable").iloc[0]
    assert "furlongs" in problem["reason"] and problem["line"] == 2


def test_a_flowsheet_variable_that_matches_nothing_is_listed_and_its_row_not_graded() -> None:
    data = b"patient_id,time,variable,value\nP1,2024-03-05T08:00,bladder_scan,120\n"
    data += b"P1,2024-03-05T09:00,temp,38\n"
    export = read_export(data)
    assert export.report.unknown_columns == ["variable=bladder_scan"]
    assert len(export.frame) == 1 and export.report.rows_not_graded == 1
    assert export.report.balanced


def test_patient_level_values_come_from_the_patients_table() -> None:
    data = b"patient_id,time,temp_c\nP1,2024-03-05T08:00,38\nP2,2024-03-05T08:00,37\n"
    patients = b"mrn,age,weight,infusion_datetime,high_risk,therapy\n"
    patients += b"P1,64,70,2024-03-04T08:00,yes,axi-cel\nP2,8,25,,no,\n"
    frame = read_export(data, patients=patients).frame
    assert list(frame["age_years"]) == [64.0, 8.0]
    assert list(frame["weight_kg"]) == [70.0, 25.0]
    assert list(frame["high_risk"]) == [1.0, 0.0]
    assert frame["therapy"].iloc[0] == "axi-cel" and pd.isna(frame["therapy"].iloc[1])
    assert frame["infusion_time"].iloc[0] == pd.Timestamp("2024-03-04 08:00")
    # day = (time − infusion_time) / 24 h when both are known (spec §2)
    assert frame["day"].iloc[0] == 1.0 and math.isnan(frame["day"].iloc[1])


def test_a_patient_level_value_differing_between_rows_is_reported_and_the_earliest_used() -> None:
    data = (
        b"patient_id,time,weight_kg\n"
        b"P1,2024-03-05T12:00,72\n"  # later in time, first in the file
        b"P1,2024-03-05T08:00,70\n"
        b"P1,2024-03-05T16:00,\n"
    )
    export = read_export(data)
    assert list(export.frame["weight_kg"]) == [70.0, 70.0, 70.0]
    problem = _problems(export, "patient_level").iloc[0]
    assert (problem["line"], problem["raw"]) == (2, "72")
    assert "70 on line 3" in problem["reason"]


def test_weight_based_pressor_rates_are_converted_with_the_weight() -> None:
    data = (
        b"patient_id,time,norepinephrine_ug_kg_min,weight_kg\n"
        b"P1,2024-03-05T08:00,0.2,70\n"
        b"P2,2024-03-05T08:00,0.2,\n"
    )
    export = read_export(data)
    frame = export.frame
    assert frame["norepinephrine_ug_min"].iloc[0] == pytest.approx(14.0)
    # without a weight the µg/min dose stays unknown, the rate stays per kg, and a note says so
    assert math.isnan(frame["norepinephrine_ug_min"].iloc[1])
    assert frame["norepinephrine_ug_kg_min"].iloc[1] == 0.2
    note = _problems(export, "note").iloc[0]
    assert note["line"] == 3 and "weight" in note["reason"]


def test_rows_at_the_same_instant_merge_and_the_later_row_wins_a_conflict() -> None:
    data = (
        b"patient_id,time,temp_c,sbp\n"
        b"P1,2024-03-05T08:00,38.1,\n"
        b"P1,2024-03-05T08:00,38.9,88\n"
        b"P1,2024-03-05T09:00,37,\n"
    )
    export = read_export(data)
    frame = export.frame
    assert len(frame) == 2
    assert (frame["temp_c"].iloc[0], frame["sbp_mmhg"].iloc[0]) == (38.9, 88.0)
    assert frame["line"].iloc[0] == 2
    conflict = _problems(export, "conflict").iloc[0]
    assert (conflict["line"], conflict["raw"], conflict["column"]) == (2, "38.1", "temp_c")
    assert "'38.9' on line 3" in conflict["reason"]
    merged = _problems(export, "merged")
    assert list(merged["line"]) == [3]
    report = export.report
    assert (report.rows_read, report.rows_graded, report.rows_merged) == (3, 2, 1)


def test_times_with_offsets_are_converted_to_utc_and_then_merge() -> None:
    data = b"patient_id,time,temp_c\nP1,2024-03-05T09:00:00+01:00,38\nP1,2024-03-05T08:00:00Z,38\n"
    export = read_export(data)
    assert list(export.frame["time"]) == [pd.Timestamp("2024-03-05 08:00")]
    assert export.report.rows_merged == 1 and _problems(export, "conflict").empty


def test_a_row_with_an_unparseable_time_is_not_graded_and_reported_with_its_line() -> None:
    data = b"patient_id,time,temp_c\nP1,2024-03-05T08:00,38\nP1,yesterday,39\nP1,,39\n"
    export = read_export(data)
    assert len(export.frame) == 1
    not_graded = _problems(export, "not_graded")
    assert list(not_graded["line"]) == [3, 4]
    assert list(not_graded["raw"].fillna("")) == ["yesterday", ""]
    assert export.report.rows_not_graded == 2 and export.report.balanced


def test_a_row_without_a_patient_id_is_not_graded_and_reported() -> None:
    data = b"patient_id,time,temp_c\nP1,2024-03-05T08:00,38\n,2024-03-05T09:00,39\n"
    export = read_export(data)
    assert len(export.frame) == 1
    assert list(_problems(export, "not_graded")["line"]) == [3]


def test_a_day_axis_puts_the_instant_at_day_times_24_hours_from_1970() -> None:
    export = read_export(b"subject_id,study_day,temp_c\nP1,1.5,38\nP1,0,37\n")
    assert export.axis == "day"
    assert list(export.frame["day"]) == [0.0, 1.5]
    assert list(export.frame["instant"]) == [
        pd.Timestamp("1970-01-01"),
        pd.Timestamp("1970-01-02 12:00"),
    ]
    assert export.frame["time"].isna().all()


def test_rows_are_sorted_by_patient_in_order_of_appearance_then_by_instant() -> None:
    data = (
        b"patient_id,time,temp_c\n"
        b"B,2024-03-05T10:00,38\n"
        b"A,2024-03-05T09:00,38\n"
        b"B,2024-03-05T08:00,38\n"
    )
    frame = read_export(data).frame
    assert list(frame["patient_id"]) == ["B", "B", "A"]
    assert list(frame["line"]) == [4, 2, 3]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["13/03/2024 08:00", "05/03/2024 09:00"], ["2024-03-13 08:00", "2024-03-05 09:00"]),
        (["03/13/2024 08:00", "03/05/2024 09:00"], ["2024-03-13 08:00", "2024-03-05 09:00"]),
        (["01/03/2024", "02/03/2024", "03/03/2024"], ["2024-03-01", "2024-03-02", "2024-03-03"]),
        (["03/01/2024", "03/02/2024", "03/03/2024"], ["2024-03-01", "2024-03-02", "2024-03-03"]),
        (["05.03.2024 14:30"], ["2024-03-05 14:30"]),
        (["2024-03-05 14:30"], ["2024-03-05 14:30"]),
    ],
    ids=[
        "day-first proven",
        "month-first proven",
        "daily rows day-first",
        "daily rows month-first",
        "dotted",
        "iso with space",
    ],
)
def test_slash_dates_are_read_day_or_month_first_as_the_column_shows(cells, expected) -> None:
    rows = "".join(f"P1,{cell}\n" for cell in cells)
    export = read_export(("patient_id,time\n" + rows).encode())
    times = export.frame.sort_values("line")["time"]
    assert list(times) == [pd.Timestamp(e) for e in expected]


def test_an_ambiguous_slash_date_column_reports_the_reading_chosen() -> None:
    export = read_export(b"patient_id,time\nP1,05/03/2024 08:00\n")
    assert export.frame["time"].iloc[0] == pd.Timestamp("2024-03-05 08:00")
    assert any("day-first" in note for note in export.report.conversions)


def test_unknown_flowsheet_variables_between_known_ones_leave_values_on_their_rows() -> None:
    data = (
        b"patient_id,time,variable,value\n"
        b"P1,2024-03-05T08:00,heart_rate,120\n"
        b"P1,2024-03-05T08:00,temp,38.5\n"
        b"P1,2024-03-05T09:00,heart_rate,130\n"
        b"P1,2024-03-05T09:00,sbp,85\n"
        b"P1,2024-03-05T10:00,temp,37\n"
    )
    frame = read_export(data).frame
    assert list(frame["temp_c"].fillna(0)) == [38.5, 0, 37.0]
    assert list(frame["sbp_mmhg"].fillna(0)) == [0, 85.0, 0]
    assert list(frame["line"]) == [3, 5, 6]
