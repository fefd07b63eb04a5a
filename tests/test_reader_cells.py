"""Reading cells: aliases, unit conversions, numbers, booleans and ranges (spec grading.md
§1 and §1.1), driven by the clinician-readable case tables tests/cases/reader_*.csv."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from crs.read.reader import read_export

CASES = Path(__file__).parent / "cases"


def _rows(name: str) -> list[dict[str, str]]:
    with (CASES / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _one_cell_file(column: str, raw: str) -> bytes:
    """A one-row export with the cell under test (quoted, as a spreadsheet would)."""
    cell = '"' + raw.replace('"', '""') + '"'
    return f"patient_id,time,{column}\nP1,2024-03-05T08:00:00,{cell}\n".encode()


#: Cells, and (spec §1 [v2]) units in headers and cells.
CELL_CASES = _rows("reader_cells.csv") + _rows("reader_units.csv")


@pytest.mark.parametrize("case", CELL_CASES, ids=[c["case"] for c in CELL_CASES])
def test_each_cell_case_is_read_as_the_case_table_says(case: dict[str, str]) -> None:
    export = read_export(_one_cell_file(case["column"], case["raw"]), name="cell.csv")
    value = export.frame[case["canonical"]].iloc[0]
    if case["expected"] == "missing":
        assert math.isnan(value)
    else:
        assert value == pytest.approx(float(case["expected"]), rel=1e-9, abs=1e-9)
    kinds = set(export.report.problems["kind"])
    if case["kind"]:
        assert case["kind"] in kinds
        problem = export.report.problems[export.report.problems["kind"] == case["kind"]]
        assert list(problem["line"]) == [2]
        assert list(problem["column"]) == [case["column"]]
        assert list(problem["raw"]) == [case["raw"]]
    else:
        assert kinds <= {"note"}, export.report.to_text()


RANGE_CASES = _rows("reader_ranges.csv")


@pytest.mark.parametrize("case", RANGE_CASES, ids=[c["case"] for c in RANGE_CASES])
def test_each_range_edge_is_accepted_or_set_missing_as_the_spec_says(case: dict[str, str]) -> None:
    export = read_export(_one_cell_file(case["column"], case["raw"]), name="range.csv")
    value = export.frame[case["column"]].iloc[0]
    problems = export.report.problems
    if case["expected"] == "missing":
        assert math.isnan(value)
        impossible = problems[problems["kind"] == "impossible"]
        assert list(impossible["raw"]) == [case["raw"]]
        assert list(impossible["line"]) == [2]
    else:
        assert value == float(case["expected"])
        assert problems.empty


def test_every_conversion_is_listed_in_the_report() -> None:
    data = (
        b"patient_id,time,temp_f,crp_mg_dl,creatinine_umol_l,bilirubin_umol_l,fibrinogen_g_l\n"
        b"P1,2024-03-05T08:00:00,100.4,12,176.8,34.2,1.5\n"
    )
    conversions = read_export(data, name="units.csv").report.conversions
    assert conversions == [
        "temp_f: read as °F, converted to °C ((°F − 32) × 5/9)",
        "crp_mg_dl: read as mg/dL, converted to mg/L (× 10)",
        "creatinine_umol_l: read as µmol/L, converted to mg/dL (÷ 88.4)",
        "bilirubin_umol_l: read as µmol/L, converted to mg/dL (÷ 17.1)",
        "fibrinogen_g_l: read as g/L, converted to mg/dL (× 100)",
    ]


def _temperatures(values: list[str]) -> bytes:
    rows = "".join(f"P1,2024-03-05T{8 + i:02d}:00:00,{v}\n" for i, v in enumerate(values))
    return ("patient_id,time,temperature\n" + rows).encode()


def test_a_unitless_temperature_column_with_median_exactly_50_stays_celsius() -> None:
    export = read_export(_temperatures(["37", "50", "101"]), name="t.csv")
    assert export.frame["temp_c"].iloc[0] == 37.0
    # 50 and 101 °C are impossible: the column was not taken for Fahrenheit
    assert export.frame["temp_c"].iloc[1:].isna().all()
    assert not any("°F" in c for c in export.report.conversions)


def test_a_unitless_temperature_column_with_median_above_50_is_fahrenheit() -> None:
    export = read_export(_temperatures(["37", "50.1", "101"]), name="t.csv")
    assert export.frame["temp_c"].iloc[2] == pytest.approx((101 - 32) * 5 / 9)
    assert any("median 50.1" in c and "°F" in c for c in export.report.conversions)


def test_a_canonical_celsius_column_is_never_taken_for_fahrenheit() -> None:
    data = b"patient_id,time,temp_c\nP1,2024-03-05T08:00:00,101\nP1,2024-03-05T09:00:00,102\n"
    export = read_export(data, name="t.csv")
    assert export.frame["temp_c"].isna().all()
    assert (export.report.problems["kind"] == "impossible").sum() == 2


def test_fio2_is_a_fraction_only_when_every_value_is_at_most_one() -> None:
    fraction = b"patient_id,time,fio2\nP1,2024-03-05T08:00,0.3\nP1,2024-03-05T09:00,1.0\n"
    percent = b"patient_id,time,fio2\nP1,2024-03-05T08:00,0.3\nP1,2024-03-05T09:00,40\n"
    assert list(read_export(fraction).frame["fio2"]) == [30.0, 100.0]
    mixed = read_export(percent)
    # 0.3 % is not a possible FiO2 (21–100): reported, not silently multiplied
    assert math.isnan(mixed.frame["fio2"].iloc[0]) and mixed.frame["fio2"].iloc[1] == 40.0
    assert list(mixed.report.problems["kind"]) == ["impossible"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1.0),
        ("0", 0.0),
        ("TRUE", 1.0),
        ("false", 0.0),
        ("Yes", 1.0),
        ("no", 0.0),
        ("Y", 1.0),
        ("n", 0.0),
    ],
)
def test_booleans_accept_1_0_true_false_yes_no_y_n_in_any_case(raw: str, expected: float) -> None:
    export = read_export(_one_cell_file("ventilated", raw))
    assert export.frame["ventilated"].iloc[0] == expected
    assert export.report.problems.empty


def test_a_boolean_that_is_not_yes_or_no_is_missing_and_reported() -> None:
    export = read_export(_one_cell_file("deceased", "maybe"))
    assert math.isnan(export.frame["deceased"].iloc[0])
    problem = export.report.problems.iloc[0]
    assert (problem["kind"], problem["raw"], problem["line"]) == ("unparseable", "maybe", 2)


def test_a_whole_file_with_decimal_commas_reads_1_500_as_one_and_a_half() -> None:
    data = b"patient_id;time;temp_c;crp_mg_l\nP1;2024-03-05T08:00;38,5;1,500\nP1;2024-03-05T09:00;39;12\n"
    export = read_export(data, name="semicolon.csv")
    assert list(export.frame["temp_c"]) == [38.5, 39.0]
    assert list(export.frame["crp_mg_l"]) == [1.5, 12.0]
    assert any("decimal commas" in c for c in export.report.conversions)


def test_in_a_decimal_point_file_1_500_is_thousands_and_39_1_a_decimal_comma() -> None:
    data = (
        b'patient_id,time,temp_c,ferritin\nP1,2024-03-05T08:00,38.5,"1,500"\n'
        b'P1,2024-03-05T09:00,"39,1",800\n'
    )
    export = read_export(data)
    assert list(export.frame["ferritin_ng_ml"]) == [1500.0, 800.0]
    assert list(export.frame["temp_c"]) == [38.5, 39.1]
    readings = export.report.to_frame()
    assert list(readings["kind"]) == ["conversion", "conversion"]
    assert list(readings["line"]) == [2, 3]


def test_text_columns_are_stripped_and_identifiers_keep_leading_zeros() -> None:
    data = b"mrn,time,device,symptoms\n007,2024-03-05T08:00, NC ,rigors; myalgia\n"
    frame = read_export(data).frame
    assert frame["patient_id"].iloc[0] == "007"
    assert frame["o2_device"].iloc[0] == "NC"
    assert frame["symptoms"].iloc[0] == "rigors; myalgia"
