"""`python -m crs import | export | audit | attribute | withdraw | archive | restore`
(docs/architecture.md §7) on the bundled sample ward, against SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import subprocess
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from crs.cli import main
from tests.pg_server import postgres_server  # noqa: F401  (session fixture)

REPO = Path(__file__).resolve().parents[1]
WARD = str(REPO / "data" / "sample_ward.csv")
PATIENTS = str(REPO / "data" / "sample_ward_patients.csv")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    if request.param == "sqlite":
        return ["--database", f"sqlite:///{tmp_path / 'ward.sqlite3'}"]
    return ["--database", request.getfixturevalue("postgres_server").fresh_database()]


def crs(*argv: str) -> int:
    return main([str(a) for a in argv])


def ward_patients_and_time_points() -> tuple[int, int]:
    """Counted from the file itself: its patients, and its distinct (patient, time) pairs
    whose time is a date-time (a row whose time was not recorded is not a time point)."""

    def is_time(text: str) -> bool:
        try:
            datetime.fromisoformat(text)
        except ValueError:
            return False
        return True

    with open(WARD, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    patients = {row["patient_id"] for row in rows}
    points = {(row["patient_id"], row["time"]) for row in rows if is_time(row["time"])}
    return len(patients), len(points)


def test_importing_the_sample_ward_twice_changes_nothing_the_second_time(
    database: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert crs("import", WARD, "--patients", PATIENTS, *database) == 0
    first = capsys.readouterr().out
    patients, points = ward_patients_and_time_points()
    assert f"import 1: {patients} new patients, {points} new time points" in first
    assert crs("import", WARD, "--patients", PATIENTS, *database) == 0
    assert "already imported (import 1" in capsys.readouterr().out


def test_crs_import_audits_every_attempt_a_resend_and_an_unusable_file_included(
    database: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unusable = tmp_path / "notes.csv"
    unusable.write_text("time,temp_c\n2024-05-01T08:00:00,38.5\n", encoding="utf-8")
    assert crs("import", WARD, "--author", "Dr A", *database) == 0
    assert crs("import", WARD, "--author", "Dr B", *database) == 0
    assert crs("import", unusable, "--author", "Dr C", *database) == 2
    capsys.readouterr()
    audit = tmp_path / "audit.csv"
    assert crs("audit", "-o", audit, *database) == 0
    log = pd.read_csv(audit, keep_default_na=False)
    assert log["action"].tolist() == ["import"] * 3
    assert log["author"].tolist() == ["Dr A", "Dr B", "Dr C"]
    assert log["what"].iloc[1] == (
        "sample_ward.csv: already imported (import 1, same content); nothing changed."
    )
    assert log["what"].iloc[2].startswith("notes.csv: not imported, nothing changed: ")
    assert "no patient column" in log["what"].iloc[2]


def test_the_export_of_the_store_is_the_graded_file(
    database: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert crs("import", WARD, "--patients", PATIENTS, *database) == 0
    assert crs("export", "-o", tmp_path / "store.csv", *database) == 0
    assert crs("grade", WARD, "--patients", PATIENTS, "-o", tmp_path / "file.csv") == 0
    # Stored and read back, the ward grades exactly as the file it came from.
    assert (tmp_path / "store.csv").read_text() == (tmp_path / "file.csv").read_text()


def test_an_attribution_made_on_the_command_line_changes_the_export_and_is_audited(
    database: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert crs("import", WARD, "--patients", PATIENTS, *database) == 0
    out = tmp_path / "case1.csv"
    assert crs("export", "--patient", "CASE1", "-o", out, *database) == 0
    before = pd.read_csv(out, keep_default_na=False)
    assert before["drivers"].str.contains("fever").sum() > 0
    # The whole of CASE1's stay on the ward, as its own export dates it.
    assert (
        crs(
            "attribute",
            "CASE1",
            "fever",
            before["time"].min(),
            before["time"].max(),
            "--reason",
            "catheter sepsis",
            "--author",
            "Dr Grupp",
            *database,
        )
        == 0
    )
    assert "attribution 1 recorded" in capsys.readouterr().out
    assert crs("export", "--patient", "CASE1", "-o", out, *database) == 0
    during = pd.read_csv(out, keep_default_na=False)
    assert not during["drivers"].str.contains("fever").any()
    assert (during["grade"] <= before["grade"]).all()
    assert (
        crs("withdraw", "1", "--reason", "cultures negative", "--author", "Dr June", *database) == 0
    )
    assert crs("export", "--patient", "CASE1", "-o", out, *database) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out, keep_default_na=False), before)
    audit = tmp_path / "audit.csv"
    assert crs("audit", "-o", audit, *database) == 0
    log = pd.read_csv(audit, keep_default_na=False)
    assert log["action"].tolist() == ["import", "attribute", "withdraw"]
    assert log["author"].tolist()[1:] == ["Dr Grupp", "Dr June"]
    assert log["why"].tolist()[1:] == ["catheter sepsis", "cultures negative"]
    assert (log["at"] != "").all()


def test_an_archived_patient_is_left_out_of_the_export_until_brought_back(
    database: list[str], tmp_path: Path
) -> None:
    assert crs("import", WARD, "--patients", PATIENTS, *database) == 0
    assert crs("archive", "CASE2", "--author", "Dr Lee", "--reason", "discharged", *database) == 0
    out = tmp_path / "ward.csv"
    assert crs("export", "-o", out, *database) == 0
    assert "CASE2" not in set(pd.read_csv(out)["patient_id"])
    assert crs("export", "--include-archived", "-o", out, *database) == 0
    assert "CASE2" in set(pd.read_csv(out)["patient_id"])
    assert crs("restore", "CASE2", "--author", "Dr Lee", *database) == 0
    assert crs("export", "-o", out, *database) == 0
    assert "CASE2" in set(pd.read_csv(out)["patient_id"])


def test_an_unusable_file_is_reported_in_one_line_and_the_other_files_go_in(
    database: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("colour,size\nred,3\n")
    assert crs("import", bad, WARD, *database) == 2
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: ") and "bad.csv" in errors[0]
    assert "sample_ward.csv: import 1:" in captured.out


def test_a_refused_request_exits_2_with_one_line(
    database: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert crs("import", WARD, *database) == 0
    capsys.readouterr()
    assert (
        crs(
            "attribute",
            "CASE1",
            "death",
            "2024-03-01",
            "2024-03-02",
            "--reason",
            "r",
            "--author",
            "a",
            *database,
        )
        == 2
    )
    assert capsys.readouterr().err.strip().startswith("error: 'death' cannot be attributed")
    assert crs("export", "--patient", "NOBODY", "-o", "-", *database) == 2
    assert "NOBODY is not in the ward store" in capsys.readouterr().err


def test_an_unreachable_database_is_one_line_and_exit_1_never_a_traceback(
    python: str, tmp_path: Path
) -> None:
    result = subprocess.run(
        [
            python,
            "-m",
            "crs",
            "export",
            "-o",
            str(tmp_path / "x.csv"),
            "--database",
            "postgresql+psycopg://nobody@127.0.0.1:9/nowhere?connect_timeout=2",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: Cannot open the ward store (PostgreSQL database")


def test_the_database_command_says_where_the_store_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "here.sqlite3"
    assert crs("database", "--database", f"sqlite:///{path}") == 0
    assert capsys.readouterr().out.splitlines() == [
        f"SQLite file {path} (on this machine)",
        "0 patients (0 archived), from 0 imports.",
        "No stored value is left out of grading.",
    ]
    assert path.exists()  # opening the store created and migrated it
