"""Storing and reading back the data-quality report of an import (spec grading.md §1.1;
docs/architecture.md §1.2).

The report is stored as JSON next to the import (counts, unknown columns, conversions
and the problems table as rows) plus its readable text, so the ward can always see
why a value of an earlier file was left out of grading.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

#: Columns of the problems table (architecture §1.2).
PROBLEM_COLUMNS = ("line", "column", "raw", "reason", "kind")
COUNTS = ("rows_read", "rows_graded", "rows_merged", "rows_not_graded")


def report_to_json(report: Any | None, *, source: str, rows: int) -> tuple[str, str, dict]:
    """(JSON, text, counts) of a QualityReport; a hand-built frame without one gets counts only."""
    if report is None:
        counts = {"rows_read": rows, "rows_graded": rows, "rows_merged": 0, "rows_not_graded": 0}
        payload = {
            "source": source,
            **counts,
            "unknown_columns": [],
            "conversions": [],
            "mapping": [],
            "not_graded_columns": [],
            "problems": [],
        }
        text = f"{source}: {rows} rows stored (no data-quality report: built in code)."
        return json.dumps(payload), text, counts
    counts = {name: int(getattr(report, name, 0) or 0) for name in COUNTS}
    problems = report.to_frame() if hasattr(report, "to_frame") else report.problems
    problems = pd.DataFrame(problems).reindex(columns=list(PROBLEM_COLUMNS))
    payload = {
        "source": str(getattr(report, "source", source)),
        **counts,
        "unknown_columns": [str(c) for c in getattr(report, "unknown_columns", [])],
        "conversions": [str(c) for c in getattr(report, "conversions", [])],
        "mapping": [str(c) for c in getattr(report, "mapping", [])],
        "not_graded_columns": [str(c) for c in getattr(report, "not_graded_columns", [])],
        "problems": json.loads(problems.to_json(orient="records", force_ascii=False)),
    }
    text = report.to_text() if hasattr(report, "to_text") else json.dumps(payload, indent=1)
    return json.dumps(payload, ensure_ascii=False), text, counts


def problems_frame(payload: dict) -> pd.DataFrame:
    """The stored problems table as a DataFrame (``line`` as Int64, text columns as str)."""
    problems = pd.DataFrame(payload.get("problems", []), columns=list(PROBLEM_COLUMNS))
    out = problems.astype({"line": "Int64"})
    for column in PROBLEM_COLUMNS[1:]:
        out[column] = out[column].astype("str")
    return out


def report_from_json(text: str, report_text: str) -> Any:
    """The stored report as a ``crs.read.quality.QualityReport`` (architecture §1.2).

    When crs.read.quality cannot be imported, a :class:`StoredReport` with the same fields
    and methods is returned instead.
    """
    payload = json.loads(text)
    fields = {
        "source": payload.get("source", ""),
        **{name: int(payload.get(name, 0)) for name in COUNTS},
        "problems": problems_frame(payload),
        "unknown_columns": list(payload.get("unknown_columns", [])),
        "conversions": list(payload.get("conversions", [])),
        "mapping": list(payload.get("mapping", [])),
        "not_graded_columns": list(payload.get("not_graded_columns", [])),
    }
    try:
        from crs.read.quality import QualityReport

        return QualityReport(**fields)
    except (ImportError, TypeError):
        return StoredReport(**fields, text=report_text)


class StoredReport:
    """A stored data-quality report with the QualityReport interface used by the pages."""

    def __init__(self, *, text: str = "", **fields: Any) -> None:
        self.source: str = fields["source"]
        self.rows_read: int = fields["rows_read"]
        self.rows_graded: int = fields["rows_graded"]
        self.rows_merged: int = fields["rows_merged"]
        self.rows_not_graded: int = fields["rows_not_graded"]
        self.problems: pd.DataFrame = fields["problems"]
        self.unknown_columns: list[str] = fields["unknown_columns"]
        self.conversions: list[str] = fields["conversions"]
        self.mapping: list[str] = fields.get("mapping", [])
        self.not_graded_columns: list[str] = fields.get("not_graded_columns", [])
        self._text = text

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_graded + self.rows_merged + self.rows_not_graded

    def to_frame(self) -> pd.DataFrame:
        return self.problems.sort_values("line", kind="stable").reset_index(drop=True)

    def to_text(self) -> str:
        return self._text

    def summary(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTS}
