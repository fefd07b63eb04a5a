"""Safe output end to end: what the command line writes can be opened in a spreadsheet.

An export's patient ids and free text come from outside. A cell such as
``=HYPERLINK("http://evil","click")`` written back unchanged would run as a formula when
a colleague opens the graded CSV in Excel (OWASP "CSV injection"). Every CSV the tool
writes goes through crs/safe_csv.py; these tests run the real command line on hostile
files and read its CSVs back. They also check that unusable files end in exit 2 with
one line, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_run import read_rows, run_cli
from tests.fixtures_hostile import check_safe_csv

HOSTILE_ID = '=HYPERLINK("http://evil.example","click")'
HOSTILE_FILE = (
    "patient_id,time,temp_c,sbp,symptoms,other_immunosuppressant,tocilizumab\n"
    f'"{HOSTILE_ID.replace(chr(34), chr(34) * 2)}",2024-05-01T08:00:00,38.6,85,'
    "\"=cmd|' /C calc'!A0\",@SUM(1+1),\n"
    "+1+1,2024-05-01T08:00:00,37.0,120,-2+3 rigors,\t=1,\n"
    '@evil,2024-05-01T08:00:00,=1+2,-5,nausea,"=WEBSERVICE(""http://x"")",400\n'
    "<script>alert(1)</script>,2024-05-01T08:00:00,@x,+90,,,\n"
)


@pytest.fixture
def hostile_csv(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.csv"
    path.write_text(HOSTILE_FILE, encoding="utf-8")
    return path


def test_graded_csv_of_the_cli_neutralises_hostile_patient_ids_and_free_text(
    python: str, repo: Path, hostile_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "graded.csv"
    proc = run_cli(python, repo, "grade", hostile_csv, "-o", out, "--report", tmp_path / "r.txt")
    assert proc.returncode == 0, proc.stderr
    check_safe_csv(out.read_bytes())
    ids = [row["patient_id"] for row in read_rows(out)]
    # neutralised, not dropped: the clinician still sees which patient it was
    assert "'" + HOSTILE_ID in ids
    assert {"'+1+1", "'@evil", "<script>alert(1)</script>"} <= set(ids)


def test_data_quality_report_csv_neutralises_hostile_raw_cells(
    python: str, repo: Path, hostile_csv: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.csv"
    proc = run_cli(python, repo, "grade", hostile_csv, "-o", tmp_path / "g.csv", "--report", report)
    assert proc.returncode == 0, proc.stderr
    check_safe_csv(report.read_bytes())
    raws = {row["raw"] for row in read_rows(report)}
    # the unparseable "=1+2" and "@x" temperatures are listed, neutralised
    assert {"'=1+2", "'@x"} <= raws


def test_graded_csv_written_to_standard_output_is_neutralised_too(
    python: str, repo: Path, hostile_csv: Path, tmp_path: Path
) -> None:
    proc = run_cli(python, repo, "grade", hostile_csv, "-o", "-", "--report", tmp_path / "r.txt")
    assert proc.returncode == 0, proc.stderr
    check_safe_csv(proc.stdout.encode())


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.csv", b""),
        ("header.csv", b"patient_id,time\n"),
        ("login.csv", b"<!DOCTYPE html><html><body><form>Sign in</form></body></html>"),
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        ("zip.xlsx", b"PK\x03\x04 broken"),
    ],
)
def test_unusable_files_exit_2_with_one_line_and_no_traceback(
    python: str, repo: Path, tmp_path: Path, name: str, data: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    proc = run_cli(python, repo, "grade", path, "-o", tmp_path / "out.csv")
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out.csv").exists(), "nothing is half-written"
