"""The data-quality report (spec grading.md §1.1; docs/architecture.md §1.2).

Every problem with a cell or a row carries the file's own line number, the column as
written in the file, the raw value and a reason sentence, so a clinician can find it in
the export. The counts always balance: rows read = rows graded + rows merged + rows not
graded.

While a file is read, one :class:`ReadWork` accumulates the report: every step of the
reader (names, cells, units, combined columns, merging, patient-level values) adds its
problems, sentences and counts to it, and :meth:`ReadWork.report` turns it into the
:class:`QualityReport` once the canonical frame is assembled.
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


@dataclass
class ReadWork:
    """The report of one read under construction: the one place every step adds to.

    ``lines`` are the file's line numbers of the table's rows (header = line 1), so a
    problem found at a row position is reported at the line a clinician can find.
    """

    label: str
    lines: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="int64"))
    problems: list[pd.DataFrame] = field(default_factory=list)
    conversions: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    mapped: list[str] = field(default_factory=list)  # how the mapping read each column
    not_graded: list[str] = field(default_factory=list)  # recognised, not graded (SpO2 …)
    rows_read: int = 0
    rows_merged: int = 0
    rows_not_graded: int = 0

    def decoded(self, lines: np.ndarray, notes: tuple[str, ...], problems) -> None:
        """The decoded table's line numbers, its notes and its problems (ragged rows)."""
        self.lines = lines
        self.conversions.extend(notes)
        if problems is not None:
            self.problems.append(problems)

    def problem(self, line=None, column=None, raw=None, reason=None, kind=None) -> None:
        """Problems given as columns or scalars (:func:`problems_frame`), lines as given."""
        self.problems.append(problems_frame(line, column, raw, reason, kind))

    def report_cells(self, rows: np.ndarray, column: str, raw: pd.Series, reason, kind: str):
        """Cells at the table's row positions ``rows``: their lines, the raw cells."""
        if len(rows) == 0:
            return
        self.problems.append(
            problems_frame(
                pd.Series(self.lines[rows]),
                column,
                pd.Series(raw.to_numpy()),
                reason if isinstance(reason, str) else pd.Series(np.asarray(reason)),
                kind,
            )
        )

    def report_issues(self, issues: pd.DataFrame, column: str, rows: np.ndarray | None = None):
        """Issues of a parsed column (``row``, ``raw``, ``reason``, ``kind``)."""
        if len(issues) == 0:
            return
        positions = issues["row"].to_numpy()
        if rows is not None:
            positions = rows[positions]
        self.problems.append(
            problems_frame(
                pd.Series(self.lines[positions]),
                column,
                issues["raw"],
                issues["reason"],
                issues["kind"],
            )
        )

    def at_rows(self, rows: np.ndarray) -> ReadWork:
        """The same report, with row positions counted among ``rows`` only (a flowsheet
        variable's own rows): what is added goes to the same lists."""
        return ReadWork(
            label=self.label,
            lines=self.lines[rows],
            problems=self.problems,
            conversions=self.conversions,
            unknown=self.unknown,
        )

    def absorb(self, other: ReadWork, label: str) -> None:
        """What reading a second table (the patients table) found, each item prefixed
        with that table's name."""
        self.problems.extend(p.assign(column=f"{label}: " + p["column"]) for p in other.problems)
        self.conversions.extend(f"{label}: {c}" for c in other.conversions)
        self.unknown.extend(f"{label}: {c}" for c in other.unknown)
        self.mapped.extend(f"{label}: {c}" for c in other.mapped)
        self.not_graded.extend(f"{label}: {c}" for c in other.not_graded)

    def report(self, rows_graded: int) -> QualityReport:
        """The finished report, for a canonical frame of ``rows_graded`` rows."""
        report = QualityReport(
            source=self.label,
            rows_read=self.rows_read,
            rows_graded=rows_graded,
            rows_merged=self.rows_merged,
            rows_not_graded=self.rows_not_graded,
            unknown_columns=self.unknown,
            conversions=self.conversions,
            mapping=self.mapped,
            not_graded_columns=self.not_graded,
        )
        parts = [p for p in self.problems if len(p)]
        report.problems = pd.concat(parts, ignore_index=True) if parts else empty_problems()
        return report
