"""What the reader carries between its steps (spec grading.md §1.1; architecture §1.2).

A :class:`Source` is one file column (or one flowsheet variable) feeding a canonical
column; ``Cols`` is the canonical frame under construction. ``raw_at`` and ``shown``
quote the file's own cells in the report, so a clinician reads what the export says,
not a converted value. (The report itself is accumulated by
:class:`crs.read.quality.ReadWork`.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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
