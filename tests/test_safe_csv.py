"""Every CSV we write neutralises spreadsheet formulas and leaves numbers alone."""

import io

import pandas as pd
import pytest

from crs.safe_csv import safe_frame, to_csv_bytes, write_csv


@pytest.mark.parametrize(
    "cell", ["=1+1", "+SUM(A1:A9)", "-2+3*cmd|' /C calc'!A0", "@SUM(1)", "\tx", "\r=1"]
)
def test_text_starting_like_a_formula_is_prefixed_with_a_quote(cell: str) -> None:
    out = safe_frame(pd.DataFrame({"patient_id": [cell]}))
    assert out.loc[0, "patient_id"] == "'" + cell


@pytest.mark.parametrize("cell", ["-5", "+3.2", "-1.5e3", "42", "CASE3", "grade 3"])
def test_plain_text_and_numbers_written_as_text_are_left_alone(cell: str) -> None:
    assert safe_frame(pd.DataFrame({"v": [cell]})).loc[0, "v"] == cell


def test_numeric_columns_keep_their_negative_values() -> None:
    frame = pd.DataFrame({"patient_id": ["A", "B", "C"], "ne_eq_ug_min": [-1.0, 2.5, None]})
    text = to_csv_bytes(frame).decode()
    assert text.splitlines() == ["patient_id,ne_eq_ug_min", "A,-1.0", "B,2.5", "C,"]


def test_a_formula_header_is_neutralised_too() -> None:
    assert list(safe_frame(pd.DataFrame({"=cmd": [1]})).columns) == ["'=cmd"]


def test_writing_does_not_modify_the_callers_frame() -> None:
    frame = pd.DataFrame({"id": ["=HYPERLINK(x)"]})
    write_csv(frame, io.StringIO())
    assert frame.loc[0, "id"] == "=HYPERLINK(x)"
