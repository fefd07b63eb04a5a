"""Write CSVs a spreadsheet cannot turn into formulas (OWASP "CSV injection").

Every CSV the tool writes (graded rows, data-quality report, audit log) goes through
:func:`write_csv`. A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is prefixed with a single quote, so Excel or LibreOffice shows it as
text instead of running it. Real numbers are left alone: numeric columns are never
touched, and a text cell that reads as a plain number (``-5``, ``+3.2``) is kept as is.
"""

from __future__ import annotations

import io
import os
import re

import pandas as pd

#: Characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def neutralise(series: pd.Series) -> pd.Series:
    """Return ``series`` with formula-like text cells prefixed by ``'`` (numbers untouched)."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
        return series
    text = series.astype("str")
    risky = text.str.startswith(FORMULA_STARTS, na=False) & ~text.str.fullmatch(
        _PLAIN_NUMBER, na=False
    )
    if not risky.any():
        return series
    return series.mask(risky, "'" + text)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text column neutralised, header included."""
    out = frame.copy()
    out.columns = [
        "'" + c if isinstance(c, str) and c.startswith(FORMULA_STARTS) else c for c in out.columns
    ]
    for i in range(out.shape[1]):
        out.isetitem(i, neutralise(out.iloc[:, i]))
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """The safe CSV of ``frame`` as UTF-8 bytes (for download buttons)."""
    buffer = io.StringIO()
    safe_frame(frame).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def write_csv(frame: pd.DataFrame, target: str | os.PathLike | io.TextIOBase) -> None:
    """Write ``frame`` as a safe CSV to a path or an open text stream."""
    safe_frame(frame).to_csv(target, index=False, lineterminator="\n")
