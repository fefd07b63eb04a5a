"""Recognising the patients table among uploads (crs.read.upload_kind; grading.md §1)."""

from __future__ import annotations

from pathlib import Path

from crs.read.upload_kind import classify_upload

DATA = Path(__file__).resolve().parents[1] / "data"


def test_patients_table_has_no_time_one_row_per_patient_and_patient_level_columns():
    kind = classify_upload(b"MRN;Age;Weight (kg);Therapy\nA;54;70;CAR T\nB;9;28;CAR T\n")
    assert kind.kind == "patients"


def test_the_bundled_patients_table_is_recognised_and_the_ward_is_a_time_series():
    assert classify_upload((DATA / "sample_ward_patients.csv").read_bytes()).kind == "patients"
    assert classify_upload((DATA / "sample_ward.csv").read_bytes()).kind == "timeseries"
    assert classify_upload((DATA / "sample_ward_long.csv").read_bytes()).kind == "timeseries"


def test_a_repeated_patient_id_is_not_a_patients_table():
    kind = classify_upload(b"patient_id,age\nA,54\nA,54\n")
    assert kind.kind == "timeseries"


def test_a_table_without_patient_level_columns_is_not_a_patients_table():
    assert classify_upload(b"patient_id,temp_c\nA,38.2\nB,37.0\n").kind == "timeseries"


def test_a_file_without_patient_column_is_flagged_for_naming_the_patient():
    kind = classify_upload(b"time,temp_c\n2024-03-01T08:00,38.4\n")
    assert kind.kind == "timeseries"
    assert not kind.has_patient_column
    assert kind.has_time_column


def test_garbage_and_empty_files_are_left_to_the_reader():
    assert classify_upload(b"").kind == "timeseries"
    assert classify_upload(b"\x00\xff\x10 not a table").kind == "timeseries"
