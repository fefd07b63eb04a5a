"""Write CSVs a spreadsheet cannot turn into formulas (OWASP "CSV injection").

Every CSV the tool writes (graded rows, data-quality report, audit log) goes through
:func:`write_csv`. A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is prefixed with a single quote, so Excel or LibreOffice shows it as
text instead of running it. Real numbers are left alone: numeric columns are never
touched, and a text cell that reads as a plain number (``-5``, ``+3.2``) is kept as is.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = text  # a categorical cannot take a value outside its categories
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


def write_csv(
    frame: pd.DataFrame, target: str | os.PathLike | io.TextIOBase, *, header: bool = True
) -> None:
    """Write ``frame`` as a safe CSV to a path or an open text stream."""
    safe_frame(frame).to_csv(target, index=False, lineterminator="\n", header=header)


# ---------------------------------------------------------------------------------------
# Large tables: the same bytes as write_csv, built column-wise with pyarrow
# ---------------------------------------------------------------------------------------

#: Rows joined into CSV text per block: bounds the memory the text takes at once.
BLOCK_ROWS = 100_000
#: File names pandas would compress; those are left to pandas.
_COMPRESSED_SUFFIXES = (".gz", ".bz2", ".zip", ".xz", ".zst", ".tar", ".tgz", ".tbz", ".txz")


def write_large_csv(
    frame: pd.DataFrame,
    target: str | os.PathLike | io.TextIOBase | io.BufferedIOBase,
    *,
    header: bool = True,
) -> None:
    """Write ``frame`` exactly as :func:`write_csv` does (the same bytes), fast.

    The graded table of a large export has a million rows: pandas' row-by-row CSV writer
    spends seconds on it. Here each column is turned into CSV cells at once (text cells
    neutralised by the same rule, :func:`neutralise`; numbers formatted as pandas formats
    them, once per distinct value) and rows are joined in blocks with pyarrow. Text
    columns may also come as categoricals of text (the command line's
    ``recommendation``, ``alerts`` and ``time``): they are written as the same column
    cast to ``str`` would be. Frames this path does not cover (one column, non-text
    labels, other dtypes, compressed or remote targets) are written by :func:`write_csv`
    itself, categoricals of text first cast to ``str``.

    An open binary stream takes the UTF-8 bytes; ``header=False`` leaves the header
    line out (the next part of a table written in parts, crs.batch).
    """
    try:
        cells = _csv_cells(frame) if _fast_target(target) else None
    except (pa.ArrowException, UnicodeError):
        cells = None  # e.g. text pyarrow cannot hold (a lone surrogate): pandas decides
    if cells is None:
        if isinstance(target, io.BufferedIOBase):
            text = io.StringIO()
            write_csv(_without_text_categoricals(frame), text, header=header)
            target.write(text.getvalue().encode("utf-8"))
            return
        write_csv(_without_text_categoricals(frame), target, header=header)
        return
    head = io.StringIO()
    if header:
        csv.writer(head, lineterminator="\n").writerow(_safe_header(frame.columns))
    blocks = _csv_blocks(_merge_small(cells), len(frame))
    if isinstance(target, io.TextIOBase):
        target.write(head.getvalue())
        for block in blocks:
            target.write(bytes(block).decode("utf-8"))
        return
    if isinstance(target, io.BufferedIOBase):
        target.write(head.getvalue().encode("utf-8"))
        for block in blocks:
            target.write(block)
        return
    with open(os.path.expanduser(os.fspath(target)), "wb") as out:
        out.write(head.getvalue().encode("utf-8"))
        for block in blocks:
            out.write(block)


def _safe_header(columns: pd.Index) -> list[object]:
    """The column labels as :func:`safe_frame` writes them."""
    return ["'" + c if isinstance(c, str) and c.startswith(FORMULA_STARTS) else c for c in columns]


def _is_text_categorical(dtype: object) -> bool:
    return isinstance(dtype, pd.CategoricalDtype) and (
        isinstance(dtype.categories.dtype, pd.StringDtype)
        or (
            dtype.categories.dtype == np.dtype("O")
            and pd.api.types.infer_dtype(dtype.categories) in ("string", "empty")
        )
    )


def _without_text_categoricals(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with categoricals of text cast to ``str`` (for :func:`write_csv`)."""
    text = [c for c, dtype in frame.dtypes.items() if _is_text_categorical(dtype)]
    if not text or frame.columns.has_duplicates:
        return frame
    return frame.astype(dict.fromkeys(text, "str"))


def _fast_target(target: object) -> bool:
    if isinstance(target, io.TextIOBase | io.BufferedIOBase):
        return True
    if not isinstance(target, (str, os.PathLike)):
        return False
    name = os.fspath(target)
    return (
        isinstance(name, str)
        and "://" not in name
        and not name.lower().endswith(_COMPRESSED_SUFFIXES)
    )


#: A column's CSV cells: distinct cells (large_string, no nulls) and, per row, the number
#: of its cell (None: the cells are already one per row).
Cells = tuple[pa.Array, pa.Array | None]


def _csv_cells(frame: pd.DataFrame) -> list[Cells] | None:
    """Every column as CSV cells, or None when the frame is not covered."""
    if frame.shape[1] < 2 or not all(isinstance(c, str) for c in frame.columns):
        # A one-column row with an empty cell is written '""' by the csv module.
        return None
    cells = []
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        dtype = column.dtype
        if isinstance(dtype, np.dtype) and dtype.kind in "iu":
            codes, distinct = pd.factorize(column.to_numpy())
            cells.append((pc.cast(pa.array(distinct), pa.large_string()), pa.array(codes)))
        elif isinstance(dtype, np.dtype) and dtype.kind == "f":
            cells.append(_float_cells(column.to_numpy()))
        elif isinstance(dtype, np.dtype) and dtype.kind == "b":
            words = pa.array(["False", "True"], type=pa.large_string())
            cells.append((words, pa.array(column.to_numpy().astype("int8"))))
        elif isinstance(dtype, pd.StringDtype) or (
            dtype == np.dtype("O")
            and pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty")
        ):
            cells.append(_text_cells(column))
        elif _is_text_categorical(dtype):
            cells.append(_categorical_cells(column))
        else:
            return None
    return cells


def _float_cells(values: np.ndarray) -> Cells:
    """Floats as pandas writes them (numpy's ``astype(str)``), missing as "".

    Formatted once per distinct value, compared by exact bits (so -0.0 stays "-0.0").
    """
    bits = values.view(f"i{values.itemsize}")
    codes, distinct = pd.factorize(bits)
    return _float_words(distinct.view(values.dtype)), pa.array(codes)


#: Floats with at most this many decimals are written from integers, not by numpy.
DECIMALS = 4
_SCALE = 10**DECIMALS


def _float_words(numbers: np.ndarray) -> pa.Array:
    """``numbers.astype(str)`` as text, missing as "", without formatting most one by one.

    A graded table's floats have few decimals (days to 4, doses to 3) and, with infusion
    times, nearly every day differs: numpy formatting each cost about a second per
    million rows. A float64 that is the double nearest k / 10⁴ with |k| < 10¹³ has at
    most 13 significant digits, so its shortest representation (numpy's and Python's) is
    that decimal, written positionally when 10⁻⁴ ≤ |x| < 10¹⁶: "-", the whole part, ".",
    the digits after the point without trailing zeros ("3.0", "-0.25", "-0.0"). Those are
    joined from integers here; any other value (more decimals, huge, tiny, not finite,
    float32) is formatted by numpy.
    """
    if numbers.dtype != np.dtype("float64"):
        return _numpy_words(numbers)
    with np.errstate(invalid="ignore", over="ignore"):
        units = np.rint(numbers * _SCALE)
        short = (
            (np.abs(units) < 1e13)
            & (units / _SCALE == numbers)
            & ((numbers == 0) | (np.abs(numbers) >= 1e-4))
        )
    units = np.where(short, np.abs(units), 0).astype("int64")
    whole = pc.cast(pa.array(units // _SCALE), pa.large_string())
    minus = np.signbit(numbers) & short
    if minus.any():
        dash, nothing = pa.scalar("-", pa.large_string()), pa.scalar("", pa.large_string())
        signed = pc.binary_join_element_wise(dash, whole, nothing)
        whole = pc.if_else(pa.array(minus), signed, whole)
    point = pa.scalar(".", pa.large_string())
    words = pc.binary_join_element_wise(
        whole, _fraction_words().take(pa.array(units % _SCALE)), point
    )
    if short.all():
        return words
    rest = ~short
    return pc.replace_with_mask(words, pa.array(rest), _numpy_words(numbers[rest]))


def _numpy_words(numbers: np.ndarray) -> pa.Array:
    words = numbers.astype("str").astype("object")
    words[np.isnan(numbers)] = ""
    return pa.array(words, type=pa.large_string())


@functools.cache
def _fraction_words() -> pa.Array:
    """The digits after the point of k / 10⁴ for k < 10⁴ as numpy writes them: "0", "5",
    "25", "0001" … (trailing zeros dropped, at least one digit)."""
    return pa.array(
        [f"{k:0{DECIMALS}d}".rstrip("0") or "0" for k in range(_SCALE)], type=pa.large_string()
    )


def _text_cells(column: pd.Series) -> Cells:
    """Neutralised text cells, missing as "", quoted exactly as the csv module quotes.

    Each distinct text is made a cell once (a ward's drivers, alerts and sentences repeat
    on many rows); rows refer to their cell by number.
    """
    encoded = pc.dictionary_encode(_large_text(column))
    distinct = encoded.dictionary.cast(pa.large_string())
    cells = pa.concat_arrays(
        [_cells_of(distinct, column.dtype), pa.array([""], type=pa.large_string())]
    )
    return cells, pc.fill_null(encoded.indices, len(distinct))


def _cells_of(text: pa.Array, dtype: object) -> pa.Array:
    """CSV cells of non-missing texts (read from a column of ``dtype``).

    Only texts starting like a formula go through :func:`neutralise` (the rule needs that
    start), as a column of the original dtype. A text with a comma or a quote and no line
    break is quoted with its quotes doubled, as the csv module does (QUOTE_MINIMAL,
    doublequote); the rare texts with a line break are formatted by the csv module itself.
    """
    formula_like = np.zeros(len(text), dtype="bool")
    for start in FORMULA_STARTS:
        formula_like |= _flags(pc.starts_with(text, start))
    if formula_like.any():
        risky = pd.Series(text.filter(pa.array(formula_like)).to_pylist(), dtype=dtype)
        text = pc.replace_with_mask(text, pa.array(formula_like), _large_text(neutralise(risky)))
    raw = _text_bytes(text)
    line_break = (
        _flags(pc.match_substring_regex(text, "[\r\n]"))
        if b"\n" in raw or b"\r" in raw
        else np.zeros(len(text), dtype="bool")
    )
    quoted = (
        _flags(pc.match_substring_regex(text, '[,"]')) & ~line_break
        if b"," in raw or b'"' in raw  # times, codes: no text to search
        else np.zeros(len(text), dtype="bool")
    )
    plain = text
    if quoted.any():
        quote, nothing = pa.scalar('"', pa.large_string()), pa.scalar("", pa.large_string())
        doubled = pc.replace_substring(text, '"', '""')
        wrapped = pc.binary_join_element_wise(quote, doubled, quote, nothing)
        text = pc.if_else(pa.array(quoted), wrapped, text)
    if line_break.any():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        fields = []
        for cell in plain.filter(pa.array(line_break)).to_pylist():
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([cell, ""])  # two fields: the cell alone decides its quoting
            fields.append(buffer.getvalue()[: -len(",\n")])
        text = pc.replace_with_mask(
            text, pa.array(line_break), pa.array(fields, type=pa.large_string())
        )
    return text


def _categorical_cells(column: pd.Series) -> Cells:
    """A categorical of text as :func:`_text_cells` makes the column cast to ``str``.

    Its categories are distinct texts already: each is made a cell once, missing is "".
    """
    categories = column.cat.categories
    distinct = _large_text(pd.Series(categories, dtype=categories.dtype))
    cells = pa.concat_arrays(
        [_cells_of(distinct, categories.dtype), pa.array([""], type=pa.large_string())]
    )
    codes = column.cat.codes.to_numpy()
    return cells, pa.array(np.where(codes < 0, len(categories), codes))


def _text_bytes(text: pa.Array) -> bytes:
    """The UTF-8 bytes that hold ``text`` (possibly more): no byte here, none in a text."""
    data = text.buffers()[2]
    return b"" if data is None else data.to_pybytes()


def _large_text(column: pd.Series) -> pa.Array:
    text = pa.array(column, type=pa.large_string(), from_pandas=True)
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def _flags(mask: pa.Array) -> np.ndarray:
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False)


#: Neighbouring columns whose distinct cells multiply to at most this many are joined
#: once per possible pair of cells (e.g. recommendation × alerts: 6 × 8 cells) instead of
#: once per row.
MERGE_LIMIT = 1 << 16


def _merge_small(cells: list[Cells]) -> list[Cells]:
    """The same rows' text with fewer columns to join per row, each row ending in "\\n".

    Neighbouring columns given by cell numbers are merged while their cells multiply to
    at most :data:`MERGE_LIMIT`: every pair of cells is joined with "," once, and a row's
    pair is numbered ``left * len(right) + right``. The line break is added to the last
    column's distinct cells (or, when it has one cell per row, joined per block).
    """
    merged: list[Cells] = []
    for table, rows in cells:
        if merged and rows is not None and merged[-1][1] is not None:
            left, left_rows = merged[-1]
            if len(left) * len(table) <= MERGE_LIMIT:
                n = len(table)
                pairs = pc.binary_join_element_wise(
                    left.take(pa.array(np.repeat(np.arange(len(left)), n))),
                    table.take(pa.array(np.tile(np.arange(n), len(left)))),
                    pa.scalar(",", pa.large_string()),
                )
                numbers = _numbers(left_rows) * n + _numbers(rows)
                merged[-1] = (pairs, pa.array(numbers))
                continue
        merged.append((table, rows))
    table, rows = merged[-1]
    if rows is not None:
        end = pa.scalar("\n", pa.large_string())
        merged[-1] = (
            pc.binary_join_element_wise(table, end, pa.scalar("", pa.large_string())),
            rows,
        )
    return merged


def _numbers(rows: pa.Array) -> np.ndarray:
    return rows.to_numpy(zero_copy_only=False).astype("int64", copy=False)


def _csv_blocks(cells: list[Cells], n_rows: int):
    """The CSV text of the rows, ``BLOCK_ROWS`` at a time, as UTF-8 buffers.

    ``cells`` come from :func:`_merge_small`: the line break is in the last column's
    cells when they are numbered. Cells are taken for one block at a time, so the text of
    a million rows never sits in memory at once.
    """
    comma, nothing = pa.scalar(",", pa.large_string()), pa.scalar("", pa.large_string())
    newline = pa.scalar("\n", pa.large_string())
    for start in range(0, n_rows, BLOCK_ROWS):
        parts = [
            table.slice(start, BLOCK_ROWS)
            if rows is None
            else table.take(rows.slice(start, BLOCK_ROWS))
            for table, rows in cells
        ]
        lines = pc.binary_join_element_wise(*parts, comma) if len(parts) > 1 else parts[0]
        if cells[-1][1] is None:
            lines = pc.binary_join_element_wise(lines, nothing, newline)
        offsets = np.frombuffer(
            lines.buffers()[1], dtype="int64", count=len(lines) + 1, offset=lines.offset * 8
        )
        yield memoryview(lines.buffers()[2])[offsets[0] : offsets[-1]]
