"""Columns an export names in a way the dashboard does not know, that look clinical
(issue #12, the column-mapping step).

Before grading, the app shows every column (or long-layout variable) that matched no
name of the alias table (crs/tables/aliases.csv), is not a variable recognised but not
graded (SpO2 …), and holds numbers: a person maps it to a variable and unit, or to "not
used" (crs.read.mapping). Text columns that match nothing (comments, a nurse's name) are
only listed in the data-quality report, as before.

Reading the table here also settles, at once, whether the upload is a table at all: a
picture saved as ``.csv`` is refused with the reader's own sentence
(crs.read.decode.read_table), before anything else is asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from crs.read.columns import LAYOUT_PREFIX, name_target
from crs.read.decode import read_table
from crs.read.names import normalise_name
from crs.read.reader import FORCE_TEXT
from crs.read.units import match_name, not_graded_match

#: How many example values the mapping step shows.
SAMPLES = 3
#: How many cells are looked at to decide whether a column holds numbers.
LOOKED_AT = 1000
#: A cell that starts with a number (a comparator allowed), and one that is a date.
_NUMBER = re.compile(r"^\s*[<>≤≥~]?\s*[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)")
_DATE = re.compile(r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")


@dataclass(frozen=True)
class Unrecognised:
    """A column (or long-layout variable) that looks clinical and matched no name."""

    raw: str  # as written in the file
    samples: tuple[str, ...]  # a few of its values, as written
    long: bool  # a variable of the long layout (True) or a column (False)

    @property
    def key(self) -> str:
        return normalise_name(self.raw)


def number_bearing(cells: pd.Series) -> bool:
    """True when most of the column's filled cells are numbers (not dates)."""
    filled = cells.dropna()
    if filled.empty:
        return False
    if pd.api.types.is_numeric_dtype(filled):
        return True
    text = filled.astype("str").head(LOOKED_AT)
    numbers = text.str.match(_NUMBER) & ~text.str.match(_DATE)
    return bool(numbers.mean() >= 0.5)


def _samples(cells: pd.Series) -> tuple[str, ...]:
    filled = cells.dropna().astype("str").str.strip()
    return tuple(pd.unique(filled[filled != ""])[:SAMPLES].tolist())


def _known(key: str) -> bool:
    target = name_target(key)
    return (
        (target is not None and target.startswith(LAYOUT_PREFIX))
        or match_name(key) is not None
        or not_graded_match(key) is not None
    )


def unrecognised_columns(data: bytes, name: str) -> list[Unrecognised]:
    """The upload's columns (or long-layout variables) to offer for mapping, in file order.

    Raises crs.errors.UnusableExportError with the reader's sentence when the bytes are
    not a table (binary data, a web page, an empty file).
    """
    frame = read_table(data, name, FORCE_TEXT).frame
    layout: dict[str, str] = {}
    out = []
    for written in frame.columns:
        key = normalise_name(written)
        target = name_target(key)
        if target is not None and target.startswith(LAYOUT_PREFIX):
            layout.setdefault(target.removeprefix(LAYOUT_PREFIX), written)
        elif not _known(key) and number_bearing(frame[written]):
            out.append(Unrecognised(str(written), _samples(frame[written]), long=False))
    if "variable" in layout and "value" in layout:
        out.extend(_unrecognised_variables(frame[layout["variable"]], frame[layout["value"]]))
    return out


def _unrecognised_variables(variable: pd.Series, value: pd.Series) -> list[Unrecognised]:
    """Long layout: the variable names that match nothing and whose values are numbers."""
    out = []
    for written, rows in variable.groupby(variable, sort=False).groups.items():
        if _known(normalise_name(written)):
            continue
        values = value.loc[rows]
        if number_bearing(values):
            out.append(Unrecognised(str(written), _samples(values), long=True))
    return out
