"""File formats the reader accepts, and the ones it refuses clearly (spec grading.md §1,
§1.1; docs/architecture.md §1)."""

from __future__ import annotations

import io

import openpyxl
import pytest

from crs.errors import UnusableExportError
from crs.read.reader import read_export

ROWS = [
    ["patient_id", "time", "temp_c", "o2_device"],
    ["Zoë", "2024-03-05T08:00:00", "38.5", "nasal cannula"],
    ["Zoë", "2024-03-05T09:00:00", "39.0", ""],
]


def _text(separator: str = ",", line_end: str = "\n") -> str:
    return line_end.join(separator.join(row) for row in ROWS) + line_end


def _assert_read(data: bytes) -> None:
    export = read_export(data, name="export.csv")
    assert list(export.frame["patient_id"]) == ["Zoë", "Zoë"]
    assert list(export.frame["temp_c"]) == [38.5, 39.0]
    assert list(export.frame["line"]) == [2, 3]
    assert export.report.balanced and export.report.problems.empty


@pytest.mark.parametrize("separator", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_comma_semicolon_and_tab_separated_files_are_read(separator: str) -> None:
    _assert_read(_text(separator).encode())


@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_lf_crlf_and_cr_line_ends_are_read(line_end: str) -> None:
    _assert_read(_text(line_end=line_end).encode())


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1", "utf-16"], ids=lambda e: e)
def test_utf8_with_or_without_bom_latin1_and_utf16_are_read(encoding: str) -> None:
    _assert_read(_text(";").encode(encoding))


def test_a_latin1_file_is_reported_as_such() -> None:
    export = read_export(_text().encode("latin-1"), name="old.csv")
    assert any("Latin-1" in note for note in export.report.conversions)


def test_an_xlsx_workbook_is_read_from_its_first_sheet() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in ROWS:
        sheet.append([float(c) if c.replace(".", "").isdigit() else (c or None) for c in row])
    book.create_sheet("other").append(["nothing", "here"])
    buffer = io.BytesIO()
    book.save(buffer)
    export = read_export(buffer.getvalue(), name="export.xlsx")
    assert list(export.frame["temp_c"]) == [38.5, 39.0]
    assert list(export.frame["line"]) == [2, 3]
    assert export.frame["time"].iloc[1].hour == 9


def test_line_numbers_count_blank_lines_and_quoted_line_breaks() -> None:
    data = (
        b"patient_id,time,temp_c,symptoms\n"
        b'\nP1,2024-03-05T08:00:00,38.5,"rigors\nand myalgia"\n'
        b"\n"
        b"P1,2024-03-05T09:00:00,hot,\n"
    )
    export = read_export(data)
    assert list(export.frame["line"]) == [3, 6]
    problem = export.report.problems.iloc[0]
    assert (problem["line"], problem["raw"], problem["kind"]) == (6, "hot", "unparseable")


def test_a_one_patient_file_is_accepted_when_the_patient_is_named() -> None:
    data = b"time,temp_c\n2024-03-05T08:00:00,38.5\n"
    export = read_export(data, patient_id="BED12")
    assert list(export.frame["patient_id"]) == ["BED12"]


def _message(data: bytes, **kwargs) -> str:
    with pytest.raises(UnusableExportError) as caught:
        read_export(data, name="upload.csv", **kwargs)
    return str(caught.value)


def test_a_file_without_patient_column_names_patient_id_and_its_aliases() -> None:
    message = _message(b"time,temp_c\n2024-03-05T08:00:00,38.5\n")
    assert "patient_id" in message
    for alias in ("patient", "mrn", "subject_id", "id"):
        assert alias in message
    assert "time column" not in message


def test_a_file_without_time_or_day_names_both_and_their_aliases() -> None:
    message = _message(b"patient_id,temp_c\nP1,38.5\n")
    for name in ("time", "datetime", "timestamp", "charttime", "day", "study_day"):
        assert name in message


def test_an_empty_file_is_refused_as_empty() -> None:
    assert "empty" in _message(b"")
    assert "empty" in _message(b"  \n\r\n")


def test_a_header_without_rows_is_refused_as_having_no_data_rows() -> None:
    assert "no data rows" in _message(b"patient_id,time,temp_c\n")


def test_a_web_page_saved_as_csv_is_refused_as_a_web_page() -> None:
    page = b"<!DOCTYPE html>\n<html><body><table><tr><td>1</td></tr></table></body></html>\n"
    assert "web page" in _message(page)


def test_binary_data_is_refused_as_not_a_text_table() -> None:
    assert "not a text table" in _message(bytes(range(256)) * 4)


def test_a_zip_that_is_not_a_workbook_is_refused() -> None:
    assert ".xlsx" in _message(b"PK\x03\x04 not really a zip")


def test_times_that_cannot_be_read_at_all_are_refused_with_the_accepted_forms() -> None:
    message = _message(b"patient_id,time\nP1,soon\nP1,later\n")
    assert "soon" in message and "ISO 8601" in message


def test_unknown_columns_are_listed_and_not_graded() -> None:
    data = b"patient_id,time,bladder_scan,heart_rate,Temp (C)\nP1,2024-03-05T08:00,300,120,38\n"
    export = read_export(data)
    assert export.report.unknown_columns == ["bladder_scan"]
    # Heart rate is a variable the grade does not use: recognised, said so, not unknown.
    assert len(export.report.not_graded_columns) == 1
    assert export.report.not_graded_columns[0].startswith("'heart_rate': heart rate, not graded")
    assert export.frame["temp_c"].iloc[0] == 38.0
    assert "heart_rate" not in export.frame.columns


def test_a_date_typed_into_a_number_column_is_reported_not_read_as_a_number() -> None:
    data = b"patient_id,time,crp,ventilated\nP1,2024-01-01,2024-01-01,2024-01-01\n"
    export = read_export(data)
    assert export.frame[["crp_mg_l", "ventilated"]].isna().all(axis=None)
    assert list(export.report.problems["kind"]) == ["unparseable", "unparseable"]
