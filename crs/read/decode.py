"""From uploaded bytes to a table of cells (spec grading.md §1 and §1.1).

Accepts CSV separated by ``,``, ``;`` or tab (sniffed from the header line), in UTF-8
with or without BOM, UTF-16 with BOM (Excel "Unicode text") or Latin-1, with LF, CRLF
or CR line ends, and ``.xlsx`` workbooks (first sheet). Anything else — an empty file,
a header without rows, a web page saved as .csv, binary data — is an
:class:`~crs.errors.UnusableExportError` with one sentence saying what is wrong.

Columns that look numeric are read by pyarrow's fast C++ parser; identifier, text and
flowsheet columns are forced to text so that ``001`` stays ``001``. Every data row keeps
the file's own line number (header = line 1), counting quoted multi-line cells and blank
lines, so a clinician can find any reported cell in the export.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from crs.errors import UnusableExportError
from crs.read.decided import current
from crs.read.names import normalise_name
from crs.read.quality import problems_frame

SEPARATORS: tuple[str, ...] = (",", ";", "\t")
_SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass(frozen=True)
class RawTable:
    """The cells of one export as read, before any clinical meaning is given to them."""

    frame: pd.DataFrame  # columns as written (duplicates made unique by pandas)
    lines: np.ndarray  # int64: the file line of each row (header = line 1)
    notes: tuple[str, ...]  # file-level sentences for the report (encoding, fallbacks)
    problems: pd.DataFrame | None = None  # cells the table could not hold (too-long rows)


def read_table(data: bytes, label: str, force_text: Iterable[str] = ()) -> RawTable:
    """Read ``data`` as a table; ``force_text`` holds normalised names read as text."""
    if len(data) == 0 or data.isspace():
        raise UnusableExportError(f"{label} is empty: there is no table to read.")
    if data[:2] == b"PK":
        return _read_xlsx(data, label)
    if data.startswith(BINARY_SIGNATURES):  # before decoding: Latin-1 would re-encode them
        raise UnusableExportError(_BINARY_MESSAGE.format(label=label))
    text_bytes, notes = _as_utf8(data, label)
    text_bytes = _reject_non_tables(text_bytes, label, notes)
    header = _first_line(text_bytes)
    separator = _sniff(header)
    names = [n for n in _split_header(header, separator)]
    forced = set(force_text)
    dtype = {name: "str" for name in names if normalise_name(name) in forced}
    frame, extras = _parse_csv(text_bytes, separator, dtype, len(names), label)
    if len(frame.columns) == 0:
        raise UnusableExportError(f"{label} has no columns: there is no table to read.")
    if len(frame) == 0:
        raise UnusableExportError(
            f"{label} has a header line but no data rows: there is nothing to grade."
        )
    # pyarrow returns dates and clock times as Python objects: make them text, so every
    # later step sees either numbers, date-times or text.
    for name in [c for c in frame.columns if frame[c].dtype == np.dtype("O")]:
        frame[name] = frame[name].astype("str").where(frame[name].notna())
    lines, line_note = _line_numbers(text_bytes, len(frame))
    decided = current()
    if decided is not None and decided.lines is not None:
        lines = decided.lines  # a chunk of a larger file: the file's own lines (issue #17)
    if line_note:
        notes.append(line_note)
    if separator != ",":
        notes.append(f"{label}: columns separated by {_SEPARATOR_NAMES[separator]}s")
    problems = _too_long_rows(text_bytes, separator, len(names), extras, label) if extras else None
    return RawTable(frame.reset_index(drop=True), lines, tuple(notes), problems)


def _as_utf8(data: bytes, label: str) -> tuple[bytes, list[str]]:
    """UTF-8 bytes without BOM, decoding UTF-16 (BOM) and Latin-1 when needed."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnusableExportError(
                f"{label} starts like UTF-16 text but cannot be decoded as UTF-16."
            ) from exc
        return text.encode("utf-8"), [f"{label}: read as UTF-16 (Excel Unicode text)"]
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    if data.isascii():
        return data, []
    try:
        data.decode("utf-8")
        return data, []
    except UnicodeDecodeError:
        # Older exports from European systems are Latin-1; every byte is a character.
        return data.decode("latin-1").encode("utf-8"), [f"{label}: read as Latin-1 (not UTF-8)"]


#: Share of control bytes (other than tab and line ends) above which data is binary.
BINARY_CONTROL_SHARE = 0.05
#: ... and at least this many control bytes (a few in a small file are a paste accident).
BINARY_CONTROL_MIN = 32
#: File signatures of documents clinicians may save by mistake instead of the export:
#: PNG, PDF, JPEG, GIF, and the OLE container of old Excel .xls / Word .doc files.
_BINARY_MESSAGE = (
    "{label} is not a text table (it contains binary data): export the record "
    "as CSV (comma, semicolon or tab separated) or .xlsx."
)
BINARY_SIGNATURES = (b"\x89PNG", b"%PDF-", b"\xff\xd8\xff", b"GIF8", b"\xd0\xcf\x11\xe0")


def _reject_non_tables(data: bytes, label: str, notes: list[str]) -> bytes:
    """Refuse binary data and web pages. A stray NUL inside a cell is kept: the reader
    refuses the patient id that holds one (crs.read.identifiers) and reports any other such
    cell, which is left out (removing it would silently make ``P\\x001`` into ``P1``)."""
    sample = np.frombuffer(data[:65536], dtype=np.uint8)
    control = (sample < 9) | ((sample > 13) & (sample < 32) & (sample != 27))
    ends = [i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0]
    in_header = b"\x00" in data[: min(ends) if ends else len(data)]
    # A share alone misjudges tiny files: three stray control characters pasted into one
    # cell of a 55-byte export are 5% of it. Binary data has many, not just a few.
    looks_binary = control.sum() >= BINARY_CONTROL_MIN and control.mean() > BINARY_CONTROL_SHARE
    if in_header or looks_binary:
        raise UnusableExportError(_BINARY_MESSAGE.format(label=label))
    if b"\x00" in data:
        # A few NULs in cells (a copy-paste accident) must not take the file down.
        nuls = data.count(b"\x00")
        notes.append(f"{label}: {nuls} NUL character(s) in cells (those cells are reported)")
    head = data[:2048].lstrip().lower()
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body", b"<table")):
        raise UnusableExportError(
            f"{label} is a web page (HTML/XML), not a table: save the export as CSV or .xlsx "
            "from the record system instead of saving the page."
        )
    return data


def _first_line(data: bytes) -> str:
    for raw in data[:65536].splitlines():
        if raw.strip():
            return raw.decode("utf-8", errors="replace")
    return ""


def _sniff(header: str) -> str:
    """The separator used most in the header line (comma on a tie)."""
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: (counts[sep], sep == ","))
    return best if counts[best] else ","


def _split_header(header: str, separator: str) -> list[str]:
    row = next(csv.reader([header], delimiter=separator), [])
    return [cell.strip() for cell in row]


def _parse_csv(
    data: bytes, separator: str, dtype: dict[str, str], width: int, label: str
) -> tuple[pd.DataFrame, list[list[str]]]:
    """The table, and the cells beyond the header's width of each too-long row.

    Three parsers, fastest first: pyarrow (through :func:`_read_arrow`, which gives the
    very frame ``pd.read_csv(engine="pyarrow")`` gives), pandas' C parser (every cell as
    text), then the Python parser, which keeps rows longer than the header.
    """
    try:
        table = _read_arrow(data, separator, dtype)
        arrow_failed = False
    except Exception:  # pyarrow refuses ragged rows and cells larger than its block
        table, arrow_failed = None, True
    frame = _arrow_frame(table) if table is not None else None
    if frame is not None:
        return frame, []
    if not arrow_failed and not (table is not None and _pandas_arrow_fails(table, dtype)):
        # Names or column types the fast conversion does not handle: pandas' own way.
        try:
            frame = pd.read_csv(
                io.BytesIO(data), sep=separator, engine="pyarrow", dtype=dtype or None
            )
            return frame, []
        except Exception:  # e.g. an integer column with blanks next to a text column
            pass
    if not arrow_failed:
        frame = _read_arrow_text(data, separator)
        if frame is not None:
            return frame, []
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            frame = pd.read_csv(
                io.BytesIO(data), sep=separator, engine="c", dtype="str", index_col=False
            )
        return frame, _first_row_extras(data, separator, width, seen)
    except Exception:  # the C parser refuses rows longer than the header
        pass
    extras: list[list[str]] = []

    def keep_header_width(fields: list[str]) -> list[str]:
        # Called once per too-long row, in file order: keep the cells that have a
        # column, remember the others so the report can show them.
        extras.append(fields[width:])
        return fields[:width]

    try:
        csv.field_size_limit(2**31 - 1)  # a pasted clinical note can be megabytes long
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            frame = pd.read_csv(
                io.BytesIO(data),
                sep=separator,
                engine="python",
                dtype="str",
                on_bad_lines=keep_header_width,
                skip_blank_lines=True,
                index_col=False,  # a row one cell longer must not turn column 1 into an index
            )
    except Exception as exc:  # anything the CSV parser rejects is unusable
        raise UnusableExportError(
            f"{label} could not be read as a table ({_first_sentence(exc)}): export it as CSV "
            "(comma, semicolon or tab separated) or .xlsx."
        ) from exc
    return frame, _first_row_extras(data, separator, width, seen) + extras


#: pandas' warning when the first data row is longer than the header and
#: ``index_col=False``: it keeps the header's width and drops the rest of that row
#: *without* calling ``on_bad_lines`` (pandas 3.0, C and Python parsers alike).
_FIRST_ROW_TRUNCATED = "leads to a loss of data with index_col=False"


def _first_row_extras(
    data: bytes, separator: str, width: int, seen: list[warnings.WarningMessage]
) -> list[list[str]]:
    """The cells beyond the header of the first data row, when pandas dropped them.

    Without this they were lost silently (grading.md §1.1: nothing dropped silently);
    they are reported like any other too-long row's cells.
    """
    if not any(_FIRST_ROW_TRUNCATED in str(w.message) for w in seen):
        return []
    rows = csv.reader(io.StringIO(data.decode("utf-8", errors="replace")), delimiter=separator)
    next(rows, None)  # the header
    first = next((row for row in rows if row), [])
    return [first[width:]] if len(first) > width else []


#: The cells pandas reads as missing by default (``pandas._libs.parsers.STR_NA_VALUES``),
#: passed to pyarrow exactly as ``pd.read_csv(engine="pyarrow")`` passes them.
PANDAS_NA_VALUES: tuple[str, ...] = (
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
)


def arrow_options(
    separator: str, dtype: dict[str, str]
) -> tuple[pa_csv.ReadOptions, pa_csv.ParseOptions, pa_csv.ConvertOptions]:
    """The options ``pd.read_csv(sep=separator, engine="pyarrow", dtype=dtype)`` gives
    pyarrow (a test holds them equal), with every ``dtype`` column read as text."""
    return (
        pa_csv.ReadOptions(encoding="utf-8"),
        pa_csv.ParseOptions(delimiter=separator, ignore_empty_lines=True),
        pa_csv.ConvertOptions(
            column_types={name: pa.large_string() for name in dtype},
            null_values=list(PANDAS_NA_VALUES),
            true_values=["1", "True", "TRUE", "true"],
            false_values=["0", "False", "FALSE", "false"],
            decimal_point=".",
            strings_can_be_null=True,
        ),
    )


def _read_arrow(data: bytes, separator: str, dtype: dict[str, str]) -> pa.Table | None:
    """The file parsed by pyarrow with pandas' options, or None when pandas would name
    its columns otherwise (blank or repeated names, a forced name pyarrow does not see).

    Raises whatever pyarrow raises for a file it cannot parse: ``pd.read_csv`` with the
    same options would raise the same, so the caller goes on to the C parser.
    """
    read, parse, convert = arrow_options(separator, dtype)
    decided = current()
    if decided is not None and decided.column_types:
        # A chunk of a larger file: each column gets the type of the whole column.
        convert.column_types = {**decided.column_types, **convert.column_types}
    table = pa_csv.read_csv(
        pa.py_buffer(data), read_options=read, parse_options=parse, convert_options=convert
    )
    names = table.column_names
    if "" in names or len(set(names)) != len(names) or not set(dtype) <= set(names):
        return None
    return table


def _arrow_frame(table: pa.Table) -> pd.DataFrame | None:
    """The frame ``pd.read_csv(engine="pyarrow")`` makes of ``table``, for tables of text,
    floats, integers without blanks and time stamps without zone; None for any other
    table (the caller then lets pandas convert it).

    pandas converts text columns through Python objects when a dtype is given; here the
    Arrow strings are kept (``str`` dtype), which is the same column without the cost.
    """
    if table.num_rows == 0:
        return None
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        kind = field.type
        if pa.types.is_null(kind):
            column = column.cast(pa.float64())  # pandas: an all-blank column is float64
        elif pa.types.is_integer(kind):
            if column.null_count:
                return None  # pandas' integer-with-blanks rules differ by dtype argument
        elif pa.types.is_timestamp(kind):
            if kind.tz is not None:
                return None
        elif not (
            pa.types.is_float64(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind)
        ):
            return None
        columns.append(column)
    frame = pa.Table.from_arrays(columns, names=table.column_names).to_pandas(split_blocks=True)
    return frame


def _pandas_arrow_fails(table: pa.Table, dtype: dict[str, str]) -> bool:
    """Whether ``pd.read_csv(engine="pyarrow", dtype=dtype)`` raises for ``table`` (a
    test holds this): given a dtype, pandas reads Arrow integers as nullable integers and
    then casts the columns it was not given a dtype for to numpy integers, which fails
    on a blank cell."""
    return bool(dtype) and any(
        pa.types.is_integer(column.type) and column.null_count for column in table.columns
    )


def _read_arrow_text(data: bytes, separator: str) -> pd.DataFrame | None:
    """Every cell as text, exactly as ``pd.read_csv(engine="c", dtype="str")`` gives
    it, read by pyarrow; None for a file where the two parsers could differ.

    Without quotes and carriage returns a record is one line and a cell is the text
    between separators, for both parsers, and both read pandas' missing-value words as
    missing. They differ on lines starting with a space or a tab (the C parser skips
    such a line when nothing else is on it), so such files, and files whose names
    pandas would change (blank or repeated), are left to the C parser; so is a file
    with one column. A test compares the two on generated messy files.
    """
    if b'"' in data or b"\r" in data or b"\n " in data or b"\n\t" in data:
        return None
    if data.startswith((b" ", b"\t")):
        return None
    read, parse, convert = arrow_options(separator, {})
    convert.default_column_type = pa.large_string()
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(data), read_options=read, parse_options=parse, convert_options=convert
        )
    except Exception:  # ragged rows, cells larger than a block: the C parser decides
        return None
    names = table.column_names
    if len(names) < 2 or "" in names or len(set(names)) != len(names) or table.num_rows == 0:
        return None
    return table.to_pandas(split_blocks=True)


def _first_sentence(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _records(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, stop, line) of every non-blank record; quoted line breaks stay in a cell."""
    arr = np.frombuffer(data, dtype=np.uint8)
    has_lf = b"\n" in data
    newline = 10 if has_lf else 13
    ends = np.flatnonzero(arr == newline)
    quotes = np.flatnonzero(arr == 34)
    # A line break inside quotes (odd number of quotes before it) is inside a cell.
    boundary = ends[np.searchsorted(quotes, ends) % 2 == 0]
    starts = np.concatenate(([0], boundary + 1))
    stops = np.concatenate((boundary, [len(arr)]))
    length = stops - starts
    # A record made only of a line end ("\r" of CRLF) or nothing is a blank line.
    last = arr[np.clip(stops - 1, 0, max(len(arr) - 1, 0))] if len(arr) else np.zeros(0)
    blank = (length == 0) | ((length == 1) & (last == 13))
    line_of_start = np.searchsorted(ends, starts) + 1
    keep = ~blank
    return starts[keep], stops[keep], line_of_start[keep]


def _count_byte(data: bytes, byte: int, block: int = 1 << 20) -> int:
    """How often ``byte`` occurs in ``data``, counted in blocks that stay in the CPU cache
    (four times faster than ``bytes.count``; no temporary the size of the file)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    return sum(int(np.count_nonzero(arr[i : i + block] == byte)) for i in range(0, len(arr), block))


def _line_numbers(data: bytes, rows: int) -> tuple[np.ndarray, str | None]:
    """File line of each data row: quoted newlines and blank lines are counted."""
    simple = np.arange(2, rows + 2, dtype="int64")
    if b'"' not in data and b"\r" not in data:
        # Every physical line is a record: no blank line when the counts agree.
        physical = _count_byte(data, 10) + (0 if data.endswith(b"\n") else 1)
        if physical == rows + 1:
            return simple, None
    _, _, lines = _records(data)
    if len(lines) - 1 == rows:
        return lines[1:].astype("int64"), None
    return simple, "line numbers could not be matched to the file exactly; rows are numbered from 2"


def _too_long_rows(
    data: bytes, separator: str, width: int, extras: list[list[str]], label: str
) -> pd.DataFrame:
    """Report the cells of rows longer than the header (nothing dropped silently)."""
    starts, _, lines = _records(data)
    arr = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(arr == 34)
    seps = np.flatnonzero(arr == ord(separator))
    seps = seps[np.searchsorted(quotes, seps) % 2 == 0]
    record = np.searchsorted(starts, seps, side="right") - 1
    fields = np.bincount(record, minlength=len(starts)) + 1
    long_lines = lines[1:][fields[1:] > width]
    line = long_lines if len(long_lines) == len(extras) else np.full(len(extras), None)
    raw = pd.Series([separator.join(cells) for cells in extras], dtype="str")
    counts = pd.Series([len(cells) for cells in extras]).astype("str")
    return problems_frame(
        pd.Series(line, dtype="Int64"),
        "",
        raw,
        counts + f" cell(s) beyond the header's {width} columns; left out of grading",
        "note",
    )


def _read_xlsx(data: bytes, label: str) -> RawTable:
    """The first sheet of a workbook, every cell as text (header = sheet row 1)."""
    try:
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        book.close()
    except Exception as exc:  # a zip that is not a workbook is unusable
        raise UnusableExportError(
            f"{label} looks like a zip archive but is not a readable .xlsx workbook "
            f"({_first_sentence(exc)})."
        ) from exc
    numbered = [(i + 1, row) for i, row in enumerate(rows) if any(c is not None for c in row)]
    if not numbered:
        raise UnusableExportError(f"{label} is an empty workbook: there is no table to read.")
    header_line, header = numbered[0]
    names = [str(c).strip() if c is not None else f"column_{i + 1}" for i, c in enumerate(header)]
    body = numbered[1:]
    if not body:
        raise UnusableExportError(
            f"{label} has a header row but no data rows: there is nothing to grade."
        )
    width = len(names)
    cells = [list(row[:width]) + [None] * (width - len(row)) for _, row in body]
    frame = pd.DataFrame(cells, columns=pd.Index(names).astype("object"), dtype="object")
    frame.columns = _unique(names)
    text = frame.apply(_cell_text)
    lines = np.array([line for line, _ in body], dtype="int64")
    return RawTable(text, lines, (f"{label}: first sheet of the workbook read",))


def _cell_text(column: pd.Series) -> pd.Series:
    def one(value: object) -> object:
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if hasattr(value, "isoformat"):
            return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
        return str(value)

    return column.map(one).astype("str")


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0)
        out.append(name if count == 0 else f"{name}.{count}")
        seen[name] = count + 1
    return out
