"""The data-quality report (spec grading.md §1.1; docs/architecture.md §1.2).

Every problem with a cell or a row carries the file's own line number, the column as
written in the file, the raw value and a reason sentence, so a clinician can find it in
the export. The counts always balance: rows read = rows graded + rows merged + rows not
graded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Kinds of problem (docs/architecture.md §1.2).
KINDS: tuple[str, ...] = (
    "unparseable",
    "impossible",
    "conversion",
    "comparator",
    "conflict",
    "merged",
    "not_graded",
    "note",
    "patient_level",
)

PROBLEM_COLUMNS: tuple[str, ...] = ("line", "column", "raw", "reason", "kind")

#: How many problems the text report lists one by one before summarising the rest.
TEXT_LIMIT = 200


def problems_frame(
    line: object = None,
    column: object = None,
    raw: object = None,
    reason: object = None,
    kind: object = None,
) -> pd.DataFrame:
    """A problems table from columns or scalars (scalars are repeated), with fixed dtypes."""
    lengths = [len(v) for v in (line, column, raw, reason, kind) if _is_vector(v)]
    n = max(lengths) if lengths else 1
    frame = pd.DataFrame(
        {
            "line": _vector(line, n, "Int64"),
            "column": _vector(column, n, "str"),
            "raw": _vector(raw, n, "str"),
            "reason": _vector(reason, n, "str"),
            "kind": _vector(kind, n, "str"),
        }
    )
    return frame


def empty_problems() -> pd.DataFrame:
    return problems_frame(pd.array([], dtype="Int64"))


def _is_vector(value: object) -> bool:
    return isinstance(value, pd.Series | np.ndarray | list | pd.api.extensions.ExtensionArray)


def _vector(value: object, n: int, dtype: str) -> pd.Series:
    if _is_vector(value):
        series = pd.Series(value).reset_index(drop=True)
    else:
        series = pd.Series([value] * n, dtype="object")
    if dtype == "Int64":
        return series.astype("Int64")
    # Raw cells keep missing as missing; everything else is text.
    return series.astype("object").where(series.notna(), None).astype("str")


@dataclass
class QualityReport:
    """What was read, what was graded, and every problem found (architecture §1.2)."""

    source: str
    rows_read: int = 0
    rows_graded: int = 0
    rows_merged: int = 0
    rows_not_graded: int = 0
    problems: pd.DataFrame = field(default_factory=empty_problems)
    unknown_columns: list[str] = field(default_factory=list)
    conversions: list[str] = field(default_factory=list)
    #: How a column mapping (crs.read.mapping) read the file's columns, one sentence each.
    mapping: list[str] = field(default_factory=list)
    #: Columns recognised but not used by the grade (SpO2, heart rate, a charted grade).
    not_graded_columns: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_graded + self.rows_merged + self.rows_not_graded

    def add(self, problems: pd.DataFrame) -> None:
        """Append more problems (e.g. notes from grading), keeping the table's dtypes."""
        if problems is None or len(problems) == 0:
            return
        extra = problems_frame(
            problems["line"],
            problems["column"],
            problems["raw"],
            problems["reason"],
            problems["kind"],
        )
        parts = [p for p in (self.problems, extra) if len(p)]
        self.problems = pd.concat(parts, ignore_index=True) if parts else empty_problems()

    def to_frame(self) -> pd.DataFrame:
        """The problems table sorted by line (file-level problems, without a line, first)."""
        if len(self.problems) == 0:
            return empty_problems()
        order = self.problems.sort_values("line", kind="stable", na_position="first")
        return order.reset_index(drop=True)

    def summary(self) -> dict[str, int]:
        counts = self.problems["kind"].value_counts()
        return {
            "rows_read": self.rows_read,
            "rows_graded": self.rows_graded,
            "rows_merged": self.rows_merged,
            "rows_not_graded": self.rows_not_graded,
            **{kind: int(counts.get(kind, 0)) for kind in KINDS},
        }

    def to_text(self) -> str:
        """Readable report: the counts first, then columns, conversions and problems."""
        lines = [
            f"Data-quality report for {self.source}",
            f"Rows read: {self.rows_read}; graded: {self.rows_graded} (after merging); "
            f"merged into another row at the same instant: {self.rows_merged}; "
            f"not graded: {self.rows_not_graded}.",
        ]
        counts = self.problems["kind"].value_counts()
        if len(counts):
            # Most frequent first; a tie in the order of KINDS (not of the problems'
            # order, so that a file read in chunks says the same, crs.batch).
            kinds = sorted(
                counts.index, key=lambda k: (-counts[k], KINDS.index(k) if k in KINDS else 99)
            )
            lines.append("Problems: " + ", ".join(f"{kind} {int(counts[kind])}" for kind in kinds))
        else:
            lines.append("Problems: none.")
        if self.unknown_columns:
            lines.append(
                "Columns not recognised (left out of grading): " + ", ".join(self.unknown_columns)
            )
        if self.not_graded_columns:
            lines.append("Recognised, not graded: " + "; ".join(self.not_graded_columns))
        if self.mapping:
            lines.append("Column mapping used: " + "; ".join(self.mapping))
        if self.conversions:
            lines.append("Conversions:")
            lines.extend(f"  - {sentence}" for sentence in self.conversions)
        table = self.to_frame()
        if len(table):
            lines.append("Problems by line:")
            shown = table.head(TEXT_LIMIT)
            line_text = shown["line"].astype("str").where(shown["line"].notna(), "-")
            raw_text = shown["raw"].fillna("")
            lines.extend(
                (
                    "  line "
                    + line_text
                    + " ["
                    + shown["kind"]
                    + "] "
                    + shown["column"].fillna("")
                    + " = '"
                    + raw_text
                    + "': "
                    + shown["reason"].fillna("")
                ).tolist()
            )
            if len(table) > TEXT_LIMIT:
                lines.append(f"  … and {len(table) - TEXT_LIMIT} more (see the CSV report).")
        return "\n".join(lines)
