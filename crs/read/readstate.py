"""What the reader carries between its steps (spec grading.md §1.1; architecture §1.2).

A :class:`Source` is one file column (or one flowsheet variable) feeding a canonical
column; :class:`ReadWork` collects the report while reading; ``Cols`` is the canonical
frame under construction. ``raw_at`` and ``shown`` quote the file's own cells in the
report, so a clinician reads what the export says, not a converted value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crs.read.quality import problems_frame
from crs.read.units import Unit

#: The frame under construction: canonical name → column (all of one length, RangeIndex).
Cols = dict[str, pd.Series]

#: Hidden column: the row's position in the file's table, to quote its raw cells.
ROW = "_row"


@dataclass
class Source:
    """One file column (or one flowsheet variable) feeding a canonical column."""

    canonical: str
    raw: pd.Series
    label: str  # the column as written in the file, for the report
    unit: Unit | None = None  # the unit its name (or flowsheet unit cell) gives; None: none
    rows: np.ndarray | None = None  # flowsheet: the positions this source covers
    position: int = 0  # the file column's place (spec §1 [v2]: the first column wins)


@dataclass
class ReadWork:
    """Everything gathered while reading, before the canonical frame is assembled."""

    label: str
    lines: np.ndarray
    problems: list[pd.DataFrame] = field(default_factory=list)
    conversions: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    mapped: list[str] = field(default_factory=list)  # how the mapping read each column
    not_graded: list[str] = field(default_factory=list)  # recognised, not graded (SpO2 …)

    def report_cells(self, rows: np.ndarray, column: str, raw: pd.Series, reason, kind: str):
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


def raw_at(
    raws: dict[str, pd.Series], column: str, values: pd.Series, file_rows: np.ndarray
) -> pd.Series:
    """The file's own cells of ``column`` at the file's table positions ``file_rows``.

    ``values`` are the values read at those rows, shown when the column has no raw cells
    (a column derived by the reader, e.g. µg/min from a weight-based rate).
    """
    if column not in raws:
        return shown(values.reset_index(drop=True))
    # Raw cells are indexed by their position in the file's table (a flowsheet variable
    # holds only its own rows).
    return shown(raws[column].reindex(file_rows).reset_index(drop=True))


def shown(values: pd.Series) -> pd.Series:
    if values.dtype.kind == "f":
        return values.map("{:g}".format)
    if values.dtype.kind == "M":
        return values.dt.strftime("%Y-%m-%d %H:%M")
    return values.astype("str")
