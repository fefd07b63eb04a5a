"""`python -m crs grade` end to end, as an IT colleague or a nightly job runs it.

Each test starts a real child process on real files (the bundled data/ and broken
files written to a temporary folder) and checks exit codes, the CSV and the report.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.cli_run import read_rows, run_cli

SPEC_COLUMNS_TIME = [
    "patient_id",
    "time",
    "day",
    "grade",
    "drivers",
    "unknown",
    "ne_eq_ug_min",
    "explanation",
    "recommendation",
    "alerts",
    # astct.md §5: always written after alerts.
    "astct_grade",
    "astct_drivers",
    "icans_grade",
    "icans_drivers",
    "icans_unknown",
]


def test_help_explains_input_output_and_exit_codes(python: str, repo: Path) -> None:
    proc = run_cli(python, repo, "grade", "--help")
    assert proc.returncode == 0
    for words in ("INPUT", "--patients", "--patient-id", "--overrides", "--report", "exit status"):
        assert words in proc.stdout


def test_sample_ward_is_graded_with_the_spec_columns_and_a_balanced_report(
    python: str, repo: Path, data_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "graded.csv"
    proc = run_cli(
        python,
        repo,
        "grade",
        data_dir / "sample_ward.csv",
        "--patients",
        data_dir / "sample_ward_patients.csv",
        "-o",
        out,
    )
    assert proc.returncode == 0, proc.stderr
    rows = read_rows(out)
    assert list(rows[0].keys()) == SPEC_COLUMNS_TIME
    grades = {int(r["grade"]) for r in rows}
    assert grades == {0, 1, 2, 3, 4, 5}
    assert {r["recommendation"] for r in rows} <= {
        "none",
        "supportive_care",
        "consider_immunosuppression",
        "immunosuppression",
        "corticosteroids_preferred",
    }
    # the report goes to stderr and says its counts balance
    assert "rows read" in proc.stderr.lower()
    assert "Traceback" not in proc.stderr


def test_case1_peaks_at_grade_1_on_the_command_line(
    python: str, repo: Path, data_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "case1.csv"
    proc = run_cli(python, repo, "grade", data_dir / "case1.csv", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert max(int(r["grade"]) for r in read_rows(out)) == 1


def test_overrides_remove_the_attributed_fever_of_case3_day1(
    python: str, repo: Path, data_dir: Path, tmp_path: Path
) -> None:
    plain, attributed = tmp_path / "plain.csv", tmp_path / "attributed.csv"
    assert run_cli(python, repo, "grade", data_dir / "case3.csv", "-o", plain).returncode == 0
    proc = run_cli(
        python,
        repo,
        "grade",
        data_dir / "case3.csv",
        "--overrides",
        data_dir / "case3_attributions.csv",
        "-o",
        attributed,
    )
    assert proc.returncode == 0, proc.stderr
    before, after = read_rows(plain), read_rows(attributed)
    assert len(before) == len(after)
    day1 = [i for i, r in enumerate(before) if 1.0 <= float(r["day"]) < 2.0]
    assert any("fever" in before[i]["drivers"] for i in day1)
    assert not any("fever" in after[i]["drivers"] for i in day1)
    # outside the attributed range nothing changes
    untouched = [i for i, r in enumerate(before) if float(r["day"]) >= 3.0]
    assert all(before[i]["grade"] == after[i]["grade"] for i in untouched)


def test_report_file_gets_the_text_report_and_csv_name_gets_the_problem_table(
    python: str, repo: Path, data_dir: Path, tmp_path: Path
) -> None:
    args = [
        "grade",
        data_dir / "sample_ward.csv",
        "--patients",
        data_dir / "sample_ward_patients.csv",
    ]
    text_report, csv_report = tmp_path / "report.txt", tmp_path / "problems.csv"
    proc = run_cli(python, repo, *args, "-o", tmp_path / "a.csv", "--report", text_report)
    assert proc.returncode == 0 and proc.stderr.strip() == ""
    assert "rows read" in text_report.read_text(encoding="utf-8").lower()
    proc = run_cli(python, repo, *args, "-o", tmp_path / "b.csv", "--report", csv_report)
    assert proc.returncode == 0
    problems = read_rows(csv_report)
    assert problems, "the sample ward has planted messy cells"
    assert {"line", "column", "raw", "reason"} <= set(problems[0])


def test_output_to_stdout_with_dash(python: str, repo: Path, data_dir: Path) -> None:
    proc = run_cli(python, repo, "grade", data_dir / "case1.csv", "-o", "-", "--report", os.devnull)
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[0].startswith("patient_id,time")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"time,temp_c\n2024-01-01T00:00,38.5\n", "patient_id"),
        (b"patient_id,temp_c\nA,38.5\n", "time"),
        (b"<!DOCTYPE html><html><body>Please log in</body></html>\n", "html"),
        (bytes(range(256)) * 8, ""),
    ],
    ids=["empty", "no-patient-column", "no-time-column", "html-login-page", "binary-noise"],
)
def test_unusable_file_exits_2_with_one_clear_line_and_no_traceback(
    python: str, repo: Path, tmp_path: Path, content: bytes, expected: str
) -> None:
    bad = tmp_path / "export.csv"
    bad.write_bytes(content)
    proc = run_cli(python, repo, "grade", bad, "-o", tmp_path / "out.csv")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert expected in lines[0].lower()
    assert not (tmp_path / "out.csv").exists()


def test_missing_input_file_exits_2(python: str, repo: Path, tmp_path: Path) -> None:
    proc = run_cli(python, repo, "grade", tmp_path / "nope.csv", "-o", tmp_path / "o.csv")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr


def test_single_patient_file_needs_and_accepts_patient_id(
    python: str, repo: Path, tmp_path: Path
) -> None:
    single = tmp_path / "bed12.csv"
    single.write_text("time,temp_c,sbp_mmhg\n2024-01-01T08:00,38.6,120\n2024-01-01T12:00,37.0,85\n")
    out = tmp_path / "o.csv"
    assert run_cli(python, repo, "grade", single, "-o", out).returncode == 2
    proc = run_cli(python, repo, "grade", single, "--patient-id", "BED12", "-o", out)
    assert proc.returncode == 0, proc.stderr
    rows = read_rows(out)
    assert [r["patient_id"] for r in rows] == ["BED12", "BED12"]
    assert [r["grade"] for r in rows] == ["1", "2"]


def test_a_bad_cell_is_reported_and_its_row_still_graded(
    python: str, repo: Path, tmp_path: Path
) -> None:
    export = tmp_path / "e.csv"
    export.write_text(
        "patient_id,time,temp_c,sbp_mmhg\nA,2024-01-01T08:00,banana,85\nA,2024-01-01T09:00,38.2,120\n"
    )
    out, report = tmp_path / "o.csv", tmp_path / "r.csv"
    proc = run_cli(python, repo, "grade", export, "-o", out, "--report", report)
    assert proc.returncode == 0, proc.stderr
    rows = read_rows(out)
    assert [r["grade"] for r in rows] == ["2", "1"]  # SBP 85 still grades the bad row
    assert "temperature" in rows[0]["unknown"]
    problems = read_rows(report)
    assert any(p["line"] == "2" and p["raw"] == "banana" for p in problems)


def test_formula_like_patient_ids_are_neutralised_in_the_output(
    python: str, repo: Path, tmp_path: Path
) -> None:
    export = tmp_path / "e.csv"
    export.write_text('patient_id,time,temp_c\n"=HYPERLINK(""http://x"")",2024-01-01T08:00,38.2\n')
    out = tmp_path / "o.csv"
    assert run_cli(python, repo, "grade", export, "-o", out).returncode == 0
    assert read_rows(out)[0]["patient_id"].startswith("'=")


def test_the_grade_command_loads_no_database_code(python: str, repo: Path) -> None:
    """Building the parser must not import SQLAlchemy/Alembic (half a second per grade run)."""
    probe = (
        "import sys; from crs.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('sqlalchemy', 'alembic') if m in sys.modules))"
    )
    proc = subprocess.run(
        [python, "-c", probe], cwd=repo, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
