"""Column mappings (issue #12; crs.read.mapping): a hospital's own names read as mapped, the
same mapping from a file on the command line and from the ward store, and every way a
mapping is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crs.errors import UnusableExportError
from crs.read.mapping import ColumnMapping, MappingError, mapped, read_mapping
from crs.read.reader import read_export
from crs.store import open_store
from tests.cli_run import read_rows, run_cli

#: Two clinical columns no alias table knows, and a bed number.
EXPORT = (
    b"patient_id,time,Art line sys,Levo gtt (mcg/min),Bed,Temp (C)\n"
    b"P1,2024-03-05T08:00,84,25,12,38.5\n"
    b"P1,2024-03-05T10:00,82,25,12,38.7\n"
    b"P1,2024-03-05T12:00,80,25,12,38.9\n"
)
CANONICAL = (
    b"patient_id,time,sbp_mmhg,norepinephrine_ug_min,temp_c\n"
    b"P1,2024-03-05T08:00,84,25,38.5\n"
    b"P1,2024-03-05T10:00,82,25,38.7\n"
    b"P1,2024-03-05T12:00,80,25,38.9\n"
)
MAPPING = b"raw_name,variable,unit\nArt line sys,sbp_mmhg,mmHg\nLevo gtt (mcg/min),norepinephrine,\nBed,not used,\n"


def test_mapped_columns_are_read_as_their_variables_and_grade_as_the_canonical_file() -> None:
    from crs.scales.grading import grade

    mapping = read_mapping(MAPPING, name="ours.csv")
    mapped_export = read_export(EXPORT, mapping=mapping)
    canonical = read_export(CANONICAL)
    columns = ["sbp_mmhg", "norepinephrine_ug_min", "temp_c"]
    assert mapped_export.frame[columns].equals(canonical.frame[columns])
    assert grade(mapped_export.frame)["grade"].tolist() == grade(canonical.frame)["grade"].tolist()
    report = mapped_export.report
    assert report.unknown_columns == []
    assert "'Art line sys' read as systolic pressure (mmHg) (as mapped)" in report.mapping
    assert "'Bed' not used (left out of grading, as mapped)" in report.mapping
    assert "Column mapping used" in report.to_text()


def test_without_the_mapping_the_same_columns_are_listed_as_not_recognised() -> None:
    report = read_export(EXPORT).report
    assert report.unknown_columns == ["Art line sys", "Levo gtt (mcg/min)", "Bed"]


def test_two_raw_columns_mapped_to_one_variable_are_combined_row_by_row() -> None:
    data = (
        b"patient_id,time,Cuff sys,Art line sys\n"
        b"P1,2024-03-05T08:00,120,\n"
        b"P1,2024-03-05T09:00,,84\n"
        b"P1,2024-03-05T10:00,118,86\n"
    )
    mapping = ColumnMapping([mapped("Cuff sys", "sbp_mmhg"), mapped("Art line sys", "sbp_mmhg")])
    export = read_export(data, mapping=mapping)
    # First column in the file wins where it has a value, the other fills its gaps, and
    # the row where they disagree is reported (grading.md §1, version 2).
    assert export.frame["sbp_mmhg"].tolist() == [120.0, 84.0, 118.0]
    conflicts = export.report.problems[export.report.problems["kind"] == "conflict"]
    assert conflicts["line"].tolist() == [4]


def test_a_mapped_unit_converts_the_values() -> None:
    data = b"patient_id,time,Core T\nP1,2024-03-05T08:00,101.3\n"
    export = read_export(data, mapping=ColumnMapping([mapped("Core T", "temp_c", "°F")]))
    assert export.frame["temp_c"].iloc[0] == pytest.approx(38.5)


def test_a_mapping_without_a_unit_takes_the_unit_its_name_gives() -> None:
    data = b"patient_id,time,Core T (F)\nP1,2024-03-05T08:00,101.3\n"
    export = read_export(data, mapping=ColumnMapping([mapped("Core T (F)", "temp_c")]))
    assert export.frame["temp_c"].iloc[0] == pytest.approx(38.5)


@pytest.mark.parametrize(
    ("row", "words"),
    [
        (("Art line sys", "sbp_mmhg", "mg/dL"), "'mg/dL' is not a unit of systolic pressure"),
        (("Core T (F)", "temp_c", "°C"), "its name gives the unit °F"),
        (("Art line (mmHg)", "temperature", ""), "not a unit of temperature"),
        (("Levo gtt (mcg/min)", "norepinephrine", "mcg/kg/min"), "its name gives the unit µg/min"),
        (("Neuro", "neurotox_grade", "mg"), "written without a unit"),
        (("Thing", "heart_rate", ""), "not a variable of the dashboard"),
    ],
)
def test_a_mapping_with_an_incompatible_unit_is_refused_with_one_line(row, words) -> None:
    with pytest.raises(MappingError) as refused:
        mapped(*row)
    assert words in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_mapping_file_names_the_line_it_refuses() -> None:
    bad = b"raw_name,variable,unit\nArt line sys,sbp_mmhg,mmHg\nCore T (F),temp_c,C\n"
    with pytest.raises(MappingError, match=r"^ours\.csv line 3: 'Core T \(F\)'"):
        read_mapping(bad, name="ours.csv")


def test_a_long_layout_variable_is_mapped_like_a_column() -> None:
    data = (
        b"patient_id,time,variable,value,unit\n"
        b"P1,2024-03-05T08:00,Art line sys,84,mmHg\n"
        b"P1,2024-03-05T08:00,Bed,12,\n"
    )
    mapping = ColumnMapping([mapped("Art line sys", "sbp_mmhg"), mapped("Bed", "not used")])
    export = read_export(data, mapping=mapping)
    assert export.frame["sbp_mmhg"].tolist() == [84.0]
    assert export.report.balanced and export.report.rows_not_graded == 1
    left = export.report.problems[export.report.problems["raw"] == "Bed"]
    assert "not used, as mapped" in left["reason"].iloc[0]


def test_a_mapping_its_name_contradicts_stops_the_whole_file() -> None:
    data = b"patient_id,time,Core T (F)\nP1,2024-03-05T08:00,101.3\n"
    # A mapping built without the check (e.g. from an older store) is checked again.
    from crs.read.mapping import Mapped

    with pytest.raises(UnusableExportError, match="the mapping is refused"):
        read_export(data, mapping=ColumnMapping([Mapped("Core T (F)", "temp_c", "c")]))


# ------------------------------------------------------------------------- command line


def test_crs_grade_takes_the_mapping_file(python: str, repo: Path, tmp_path: Path) -> None:
    (tmp_path / "icu.csv").write_bytes(EXPORT)
    (tmp_path / "ours.csv").write_bytes(MAPPING)
    (tmp_path / "canonical.csv").write_bytes(CANONICAL)
    out, expected = tmp_path / "graded.csv", tmp_path / "expected.csv"
    proc = run_cli(
        python, repo, "grade", tmp_path / "icu.csv", "--mapping", tmp_path / "ours.csv", "-o", out
    )
    assert proc.returncode == 0, proc.stderr
    assert "Column mapping used" in proc.stderr
    run_cli(python, repo, "grade", tmp_path / "canonical.csv", "-o", expected)
    got, want = read_rows(out), read_rows(expected)
    assert [r["grade"] for r in got] == [r["grade"] for r in want]
    assert [r["drivers"] for r in got] == [r["drivers"] for r in want]


def test_crs_grade_refuses_a_bad_mapping_in_one_line(
    python: str, repo: Path, tmp_path: Path
) -> None:
    (tmp_path / "icu.csv").write_bytes(EXPORT)
    (tmp_path / "bad.csv").write_bytes(b"Art line sys,sbp_mmhg,mg/dL\n")
    proc = run_cli(
        python,
        repo,
        "grade",
        tmp_path / "icu.csv",
        "--mapping",
        tmp_path / "bad.csv",
        "-o",
        tmp_path / "o.csv",
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: bad.csv line 1: 'Art line sys' → systolic pressure: 'mg/dL' is not a unit of "
        "systolic pressure (accepted: mmHg)."
    ]
    assert not (tmp_path / "o.csv").exists()


def test_crs_mapping_moves_mappings_between_the_store_and_a_file(
    python: str, repo: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'ward.sqlite3'}"
    (tmp_path / "ours.csv").write_bytes(MAPPING)
    proc = run_cli(
        python,
        repo,
        "mapping",
        "import",
        tmp_path / "ours.csv",
        "--database",
        url,
        "--author",
        "Dr Ada",
    )
    assert proc.returncode == 0, proc.stderr
    assert "3 column mapping(s) read, 3 new or changed" in proc.stdout
    stored = open_store(url)
    # Oldest save first, then by name.
    assert [m.raw for m in stored.column_mapping()] == ["Art line sys", "Bed", "Levo gtt (mcg/min)"]
    assert stored.audit_log()["action"].tolist() == ["mapping"]
    proc = run_cli(python, repo, "mapping", "export", tmp_path / "back.csv", "--database", url)
    assert proc.returncode == 0, proc.stderr
    back = read_rows(tmp_path / "back.csv")
    assert back == [
        {"raw_name": "Art line sys", "variable": "sbp_mmhg", "unit": "mmHg"},
        {"raw_name": "Bed", "variable": "not used", "unit": ""},
        {"raw_name": "Levo gtt (mcg/min)", "variable": "norepinephrine_ug_min", "unit": "µg/min"},
    ]
    # The exported file is itself a mapping the grader takes.
    assert len(read_mapping(tmp_path / "back.csv")) == 3


def test_the_same_file_imported_with_another_mapping_is_another_import(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'ward.sqlite3'}")
    first = store.import_file(EXPORT, name="icu.csv", author="a")
    again = store.import_file(EXPORT, name="icu.csv", author="a", mapping=read_mapping(MAPPING))
    assert not again.already_imported and first.import_id != again.import_id
    assert store.frame()["sbp_mmhg"].tolist() == [84.0, 82.0, 80.0]
    assert np.isnan(store.frame()["map_mmhg"]).all()


def test_a_missing_file_is_one_plain_sentence(python: str, repo: Path, tmp_path: Path) -> None:
    proc = run_cli(python, repo, "grade", tmp_path / "nothere.csv", "-o", tmp_path / "o.csv")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"error: {tmp_path / 'nothere.csv'} does not exist: check the file name and the folder "
        "it is in."
    )
    assert "Errno" not in proc.stderr


def test_a_patients_table_as_input_says_pass_it_with_patients(
    python: str, repo: Path, tmp_path: Path
) -> None:
    (tmp_path / "patients.csv").write_bytes(b"MRN,Age,Weight (kg)\nA,54,70\nB,9,28\n")
    proc = run_cli(python, repo, "grade", tmp_path / "patients.csv", "-o", tmp_path / "o.csv")
    assert proc.returncode == 2
    assert "patients.csv looks like a patients table" in proc.stderr
    assert "pass it with --patients" in proc.stderr


def test_crs_grade_warns_when_blood_pressure_is_missing_from_the_whole_file(
    python: str, repo: Path, tmp_path: Path
) -> None:
    (tmp_path / "no_bp.csv").write_bytes(
        b"patient_id,time,temp_c,fio2\nA,2024-03-05T08:00,38.5,30\n"
    )
    proc = run_cli(python, repo, "grade", tmp_path / "no_bp.csv", "-o", tmp_path / "o.csv")
    assert proc.returncode == 0
    warning = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1
    assert "records blood pressure or vasopressors:" in warning[0]
    assert "without blood pressure, hypotension cannot be graded" in warning[0]
