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


def test_a_categorical_column_with_a_formula_is_neutralised_like_its_text() -> None:
    # The command line keeps few-valued columns as categoricals; a formula among their
    # categories must be quoted, not refused because "'=..." is not a category.
    cells = ["=1+1", "supportive_care", None, "=1+1"]
    categorical = to_csv_bytes(pd.DataFrame({"v": pd.Categorical(cells)}))
    assert categorical == to_csv_bytes(pd.DataFrame({"v": pd.array(cells, dtype="str")}))
    assert categorical.decode().splitlines()[1:3] == ["'=1+1", "supportive_care"]
