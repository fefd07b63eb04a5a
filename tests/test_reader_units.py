"""Units on real exports (spec grading.md §1 and §1.1 [v2]): the units table, columns
read by their median, two columns of one variable combined row by row, and the long
layout's unit column. Cell and header units are in tests/cases/reader_units.csv."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

from crs.read.columns import SPECS
from crs.read.names import normalise_unit
from crs.read.reader import read_export
from crs.read.units import UNITS, accepted, match_name, units_of

CASES = Path(__file__).parent / "cases"


def _rows(name: str) -> list[dict[str, str]]:
    with (CASES / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _problems(export, kind: str) -> pd.DataFrame:
    table = export.report.to_frame()
    return table[table["kind"] == kind].reset_index(drop=True)


def _column_file(column: str, cells: list[str]) -> bytes:
    """One patient, one row an hour, ``cells`` under ``column`` (quoted)."""
    rows = "".join(f'P1,2024-03-05T{8 + i:02d}:00:00,"{cell}"\n' for i, cell in enumerate(cells))
    return f"patient_id,time,{column}\n{rows}".encode()


CHECK_CASES = _rows("reader_unit_checks.csv")


@pytest.mark.parametrize("case", CHECK_CASES, ids=[c["case"] for c in CHECK_CASES])
def test_a_column_without_a_unit_in_its_name_is_read_in_the_unit_its_values_show(case) -> None:
    export = read_export(_column_file(case["column"], case["cells"].split(";")), name="c.csv")
    values = export.frame.sort_values("line")[case["canonical"]].tolist()
    expected = case["expected"].split(";")
    assert len(values) == len(expected)
    for value, want in zip(values, expected, strict=True):
        if want == "missing":
            assert math.isnan(value)
        else:
            assert value == pytest.approx(float(want), rel=1e-9)
    sentences = [c for c in export.report.conversions if c.startswith(case["column"] + ":")]
    if case["reported"] == "none":
        assert sentences == []
    else:
        assert len(sentences) == 1 and case["reported"] in sentences[0], sentences
    assert export.report.balanced


# --- the units table -----------------------------------------------------------------


def test_micro_is_written_four_ways_and_the_degree_sign_is_dropped() -> None:
    for written in ("µmol/L", "μmol/L", "umol/L", "mcmol/L", "µmol / l", "UMOL/L"):
        assert normalise_unit(written) == "umol_l"
    assert normalise_unit("mcg/kg/min") == normalise_unit("µg/kg/min") == "ug_kg_min"
    assert normalise_unit("°F") == normalise_unit("F") == "f"
    assert normalise_unit("° C") == "c"


@pytest.mark.parametrize(
    ("column", "unit", "written", "canonical"),
    [
        ("temp_c", "f", 100.4, 38.0),  # spec §1: °F
        ("temp_c", "f", 113.0, 45.0),
        ("crp_mg_l", "mg_dl", 1.5, 15.0),  # × 10
        ("creatinine_mg_dl", "umol_l", 176.8, 2.0),  # ÷ 88.4
        ("bilirubin_mg_dl", "umol_l", 17.1, 1.0),  # ÷ 17.1
        ("fibrinogen_mg_dl", "g_l", 1.5, 150.0),  # × 100
        ("ferritin_ng_ml", "ug_l", 800.0, 800.0),  # ng/mL = µg/L
        ("il6_pg_ml", "ng_l", 40.0, 40.0),  # pg/mL = ng/L
        ("ifng_pg_ml", "ng_l", 40.0, 40.0),
        ("fio2", "fraction", 0.4, 40.0),
    ],
)
def test_the_units_table_converts_as_the_spec_says(column, unit, written, canonical) -> None:
    assert units_of(column)[unit].apply(written) == canonical


def test_every_numeric_column_with_a_unit_accepts_its_canonical_unit() -> None:
    # Grades and scores have no unit; every other numeric column has its own in the table.
    unitless = {"neurotox_grade", "organ_tox_grade", "ice_score", "capd_score", "rass", "day"}
    for spec in SPECS.values():
        if spec.kind != "numeric" or spec.canonical in unitless:
            continue
        labels = {u.label for u in units_of(spec.canonical).values()}
        canonical = {"ratio": "ratio"}.get(spec.unit, spec.unit)
        assert canonical in labels, (spec.canonical, labels)
        assert all(u.target in SPECS for u in units_of(spec.canonical).values())


def test_each_unit_of_the_table_is_accepted_in_a_name_and_fills_its_target() -> None:
    for unit in UNITS:
        alias = (*SPECS[unit.variable].aliases, unit.variable)
        bare = next((a for a in alias if match_name(a).unit is None), None)
        if bare is None:
            continue
        match = match_name(f"{bare}_{unit.unit}")
        assert match is not None and match.canonical == unit.target, (bare, unit.unit)


def test_accepted_units_are_listed_from_the_table() -> None:
    # Issue #12: the message for mcg/kg/min listed only µg/min, though µg/kg/min works.
    assert accepted("norepinephrine_ug_min") == "µg/min, µg/kg/min, µg/h, mg/h, µg/kg/h"
    assert accepted("creatinine_mg_dl") == "mg/dL, µmol/L"
    assert accepted("creatinine_uln") == "mg/dL, µmol/L"
    assert accepted("neurotox_grade") == ""


def test_a_name_with_a_unit_foreign_to_its_variable_is_left_out_with_a_note() -> None:
    export = read_export(_column_file("Creatinine (mmHg)", ["1.1"]), name="c.csv")
    assert export.report.unknown_columns == ["Creatinine (mmHg)"]
    note = _problems(export, "note").iloc[0]
    assert "not read as creatinine" in note["reason"] and "mg/dL, µmol/L" in note["reason"]
    assert export.frame["creatinine_mg_dl"].isna().all()


# --- two columns of one variable (spec §1 [v2]) ---------------------------------------


def test_two_temperature_columns_are_combined_row_by_row_and_the_first_wins() -> None:
    data = (
        b"patient_id,time,temp_c,temp_f\n"
        b"P1,2024-03-05T08:00,38.5,\n"  # only °C
        b"P1,2024-03-05T09:00,,102.2\n"  # only °F: 39 °C, not lost
        b"P1,2024-03-05T10:00,38.3,100.9\n"  # 100.9 °F = 38.28 °C: agree to the precision written
        b"P1,2024-03-05T11:00,37.0,102.2\n"  # 39 °C against 37 °C: a conflict
    )
    export = read_export(data, name="t.csv")
    assert export.frame["temp_c"].tolist() == pytest.approx([38.5, 39.0, 38.3, 37.0])
    conflicts = _problems(export, "conflict")
    assert conflicts["line"].tolist() == [5]
    conflict = conflicts.iloc[0]
    assert (conflict["column"], conflict["raw"]) == ("temp_f", "102.2")
    assert "'37' in column 'temp_c'" in conflict["reason"]
    assert export.report.unknown_columns == []
    assert export.report.balanced


def test_the_column_that_comes_first_in_the_file_wins_whatever_its_unit() -> None:
    data = b"patient_id,time,crp_mg_dl,crp\nP1,2024-03-05T08:00,3,12\n"
    export = read_export(data, name="crp.csv")
    assert export.frame["crp_mg_l"].iloc[0] == 30.0
    conflict = _problems(export, "conflict").iloc[0]
    assert (conflict["column"], conflict["raw"]) == ("crp", "12")
    assert "'3' in column 'crp_mg_dl'" in conflict["reason"]


def test_a_repeated_column_name_is_a_second_column_of_its_variable() -> None:
    data = b"patient_id,time,sbp,sbp\nP1,2024-03-05T08:00,,85\nP1,2024-03-05T09:00,120,120\n"
    export = read_export(data, name="sbp.csv")
    assert export.frame["sbp_mmhg"].tolist() == [85.0, 120.0]
    assert export.report.unknown_columns == [] and _problems(export, "conflict").empty


def test_three_columns_of_one_variable_name_the_column_whose_value_is_used() -> None:
    data = (
        b"patient_id,time,creatinine,creatinine_umol_l,creatinine_mg_dl\n"
        b"P1,2024-03-05T08:00,,88.4,2.5\n"
    )
    export = read_export(data, name="cr.csv")
    assert export.frame["creatinine_mg_dl"].iloc[0] == pytest.approx(1.0)
    conflict = _problems(export, "conflict").iloc[0]
    assert conflict["column"] == "creatinine_mg_dl"
    assert "in column 'creatinine_umol_l'" in conflict["reason"]


def test_a_second_patient_column_is_still_left_out() -> None:
    data = b"patient_id,mrn,time,temp_c\nP1,999,2024-03-05T08:00,38\n"
    export = read_export(data, name="ids.csv")
    assert export.frame["patient_id"].tolist() == ["P1"]
    assert export.report.unknown_columns == ["mrn"]


def test_a_weight_based_and_a_per_minute_pressor_column_are_one_dose_with_a_weight() -> None:
    data = (
        b"patient_id,time,norepinephrine_ug_min,norepinephrine_ug_kg_min,weight_kg\n"
        b"P1,2024-03-05T08:00,,0.2,70\n"  # 14 µg/min from the weight
        b"P1,2024-03-05T09:00,14,0.2,70\n"  # the same dose twice
        b"P1,2024-03-05T10:00,5,0.3,70\n"  # 5 against 21: the first column wins
        b"P2,2024-03-05T08:00,7,0.1,\n"  # no weight: µg/min gives the dose
        b"P2,2024-03-05T09:00,0,0.1,\n"  # no weight, 0 against running: reported
        b"P2,2024-03-05T10:00,,0.1,\n"  # no weight, no µg/min: dose unknown
    )
    export = read_export(data, name="ne.csv")
    frame = export.frame
    assert frame["norepinephrine_ug_min"].tolist()[:5] == pytest.approx([14.0, 14.0, 5.0, 7.0, 0])
    assert math.isnan(frame["norepinephrine_ug_min"].iloc[5])
    assert frame["norepinephrine_ug_kg_min"].tolist() == pytest.approx([0.2, 0.2, 0.3] + [0.1] * 3)
    conflicts = _problems(export, "conflict")
    assert conflicts["line"].tolist() == [4, 6]
    assert conflicts["column"].tolist() == ["norepinephrine_ug_kg_min"] * 2
    assert "21 µg/min with the weight of 70 kg, against 5 µg/min" in conflicts["reason"].iloc[0]
    assert "one says stopped, the other running" in conflicts["reason"].iloc[1]
    notes = _problems(export, "note")
    assert notes["line"].tolist() == [7]  # only where no µg/min value gives the dose


def test_a_weight_based_column_first_in_the_file_gives_the_dose() -> None:
    data = (
        b"patient_id,time,norepinephrine_ug_kg_min,norepinephrine_ug_min,weight_kg\n"
        b"P1,2024-03-05T08:00,0.3,5,70\n"
    )
    export = read_export(data, name="ne.csv")
    assert export.frame["norepinephrine_ug_min"].iloc[0] == pytest.approx(21.0)
    conflict = _problems(export, "conflict").iloc[0]
    assert (conflict["column"], conflict["raw"]) == ("norepinephrine_ug_min", "5")


# --- the long layout's unit column ------------------------------------------------------


def test_an_unknown_flowsheet_unit_is_reported_once_per_variable_and_unit_with_its_count() -> None:
    data = (
        b"patient_id,time,variable,value,unit\n"
        b"P1,2024-03-05T08:00,creatinine,1.1,mmol/L\n"
        b"P1,2024-03-05T09:00,creatinine,1.3,mmol/L\n"
        b"P1,2024-03-05T10:00,creatinine,1.2,mg/dL\n"
        b"P1,2024-03-05T11:00,creatinine,1.4,mmol/L\n"
        b"P1,2024-03-05T11:00,crp,12,furlongs\n"
    )
    export = read_export(data, name="long.csv")
    unparseable = _problems(export, "unparseable")
    assert unparseable["line"].tolist() == [2, 6]
    assert unparseable["raw"].tolist() == ["mmol/L", "furlongs"]
    assert unparseable["column"].tolist() == ["unit (creatinine)", "unit (crp)"]
    first = unparseable.iloc[0]["reason"]
    assert "not a unit of creatinine (accepted: mg/dL, µmol/L)" in first
    assert "its 3 rows (this line and 2 more)" in first
    assert export.frame["creatinine_mg_dl"].tolist()[2] == 1.2
    assert export.frame["creatinine_mg_dl"].isna().sum() == 3
    assert export.report.balanced


def test_a_flowsheet_variable_without_a_unit_cell_is_checked_on_its_median() -> None:
    data = (
        b"patient_id,time,variable,value,unit\n"
        b"P1,2024-03-05T08:00,creatinine,80,\n"
        b"P1,2024-03-05T09:00,creatinine,97,\n"
        b"P1,2024-03-05T10:00,fibrinogen,2.5,\n"
        b"P1,2024-03-05T10:00,bilirubin,1.2,mg/dL\n"
    )
    export = read_export(data, name="long.csv")
    frame = export.frame
    assert frame["creatinine_mg_dl"].tolist()[:2] == pytest.approx([80 / 88.4, 97 / 88.4])
    assert frame["fibrinogen_mg_dl"].iloc[2] == 250.0
    assert frame["bilirubin_mg_dl"].iloc[2] == 1.2
    assert any("median 88.5 is above 20: read as µmol/L" in c for c in export.report.conversions)


def test_flowsheet_units_and_cell_units_use_the_same_table() -> None:
    data = (
        "patient_id,time,variable,value,unit\n"
        "P1,2024-03-05T08:00,norepinephrine,0.1,mcg/kg/min\n"
        "P1,2024-03-05T09:00,norepinephrine,6 mcg/min,\n"
        "P1,2024-03-05T10:00,Temperature,101.3 °F,°C\n"  # the cell's own unit wins
        "P1,2024-03-05T11:00,vasopressin,0.04,units/min\n"
    ).encode()
    frame = read_export(data, name="long.csv").frame
    assert frame["norepinephrine_ug_kg_min"].iloc[0] == 0.1
    assert frame["norepinephrine_ug_min"].iloc[1] == 6.0
    assert frame["temp_c"].iloc[2] == pytest.approx(38.5)
    assert frame["vasopressin_u_min"].iloc[3] == 0.04


def test_a_flowsheet_unit_cell_wins_over_the_unit_in_the_variable_name() -> None:
    data = b"patient_id,time,variable,value,unit\nP1,2024-03-05T08:00,temp_f,38.5,C\n"
    assert read_export(data, name="long.csv").frame["temp_c"].iloc[0] == 38.5


def test_a_day_written_with_unit_text_is_not_read() -> None:
    data = b"patient_id,day,temp_c\nP1,1.5,38\nP1,2 d,39\n"
    export = read_export(data, name="days.csv")
    assert export.frame["day"].tolist() == [1.5]
    assert _problems(export, "not_graded")["line"].tolist() == [3]
    assert export.report.balanced
