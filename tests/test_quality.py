"""The data-quality report (docs/architecture.md §1.2; spec grading.md §1.1)."""

from __future__ import annotations

import pandas as pd

from crs.read.quality import QualityReport, problems_frame


def _report() -> QualityReport:
    report = QualityReport("ward.csv", rows_read=5, rows_graded=3, rows_merged=1, rows_not_graded=1)
    report.add(
        problems_frame(
            pd.Series([7, 3]),
            "temp_c",
            pd.Series(["85", "hot"]),
            pd.Series(["impossible temperature", "not a number"]),
            pd.Series(["impossible", "unparseable"]),
        )
    )
    return report


def test_the_report_balances_when_every_row_is_accounted_for() -> None:
    assert _report().balanced
    assert not QualityReport("x.csv", rows_read=5, rows_graded=3).balanced


def test_problems_are_listed_by_line_with_file_level_notes_first() -> None:
    report = _report()
    report.add(problems_frame(None, "heart_rate", None, "duplicate column", "note"))
    table = report.to_frame()
    assert list(table.columns) == ["line", "column", "raw", "reason", "kind"]
    assert table["line"].dtype == "Int64"
    assert table["line"].isna().iloc[0]
    assert list(table["line"].iloc[1:]) == [3, 7]


def test_the_text_report_starts_with_the_counts() -> None:
    text = _report().to_text()
    first_lines = text.splitlines()[:3]
    assert "Rows read: 5; graded: 3" in first_lines[1]
    assert "impossible 1" in first_lines[2] and "unparseable 1" in first_lines[2]
    assert "line 3 [unparseable] temp_c = 'hot': not a number" in text


def test_the_summary_counts_every_kind() -> None:
    summary = _report().summary()
    assert summary["rows_read"] == 5
    assert summary["impossible"] == 1 and summary["conflict"] == 0
