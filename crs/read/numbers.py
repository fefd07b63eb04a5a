"""Reading numbers and booleans from export cells (spec grading.md §1 and §1.1).

Fast path first: a column pandas/pyarrow already read as numbers is used as is, a text
column of plain decimals is cast by Arrow at once, and any other text column goes
through ``pd.to_numeric`` once. Only the cells that fail are cleaned
with vectorised string methods: comparators (``<5`` is read as 5), thousands separators
and decimal commas, and unit text written after the number (``80 µmol/L``), which is
returned with the cell's number for the caller to convert or reject by the units of
its variable (spec §1 [v2]; crs.read.convert). Every reading that changes what the cell says
is returned as an issue for the data-quality report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Cells that mean "not recorded" (not a problem, spec §1.1 lists only real problems).
MISSING_TOKENS: frozenset[str] = frozenset(
    {"", "nan", "-", "--", "—", "–", ".", "na", "n/a", "#n/a", "null", "none", "nd", "?"}
)

#: Booleans (spec §1: "1/0, true/false, yes/no, y/n in any case").
TRUE_WORDS: frozenset[str] = frozenset({"1", "1.0", "true", "yes", "y"})
FALSE_WORDS: frozenset[str] = frozenset({"0", "0.0", "false", "no", "n"})

# A number as a clinician types it: optional comparator, sign, digits with commas or
# points, exponent, then an optional unit (letters, °, %, /, without digits).
_CELL = (
    r"^(?P<cmp><=|>=|=<|=>|≤|≥|<|>)?\s*"
    r"(?P<num>[+-]?(?:\d[\d,.]*|[.,]\d+)(?:[eE][+-]?\d+)?)"
    r"\s*(?P<unit>[a-zA-Z°%µμ/][a-zA-Z°%µμ/\s.]*)?$"
)
#: A plain decimal, read alike by pandas and Arrow: an optional sign, digits with at most
#: one point, nothing else (no exponent, space, comma or unit), and at most
#: :data:`PLAIN_LENGTH` characters (so at most 15 digits).
PLAIN_DECIMAL = r"^[+-]?(?:\d+\.?\d*|\.\d+)$"
PLAIN_LENGTH = 15
_PLAIN_BYTES = np.zeros(256, dtype=bool)
_PLAIN_BYTES[list(b"0123456789.+-")] = True
_THOUSANDS_COMMA = r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?:[eE][+-]?\d+)?$"
_DECIMAL_COMMA = r"^[+-]?\d*,\d+(?:[eE][+-]?\d+)?$"
_POINT_THOUSANDS_COMMA_DECIMAL = r"^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?$"
_POINT_DECIMAL = r"^\s*[<>≤≥=]*\s*[+-]?\d*\.\d+(?:[eE][+-]?\d+)?\s*$"
_COMMA_DECIMAL_EVIDENCE = r"^\s*[<>≤≥=]*\s*[+-]?\d*,\d+\s*$"

_COMPARATOR_WORDS = {
    "<": "below",
    "<=": "at most",
    "=<": "at most",
    "≤": "at most",
    ">": "above",
    ">=": "at least",
    "=>": "at least",
    "≥": "at least",
}

ISSUE_COLUMNS = ("row", "raw", "reason", "kind")


@dataclass(frozen=True)
class ParsedColumn:
    """Values read from one column and the issues to report (``row`` = position).

    ``units``: the unit text written after the number, for the cells that have one
    (indexed by position; the value there is the number as written, not converted).
    """

    values: pd.Series
    issues: pd.DataFrame
    units: pd.Series = field(default_factory=lambda: NO_UNITS)


#: No cell with a unit (shared: a Series is never written to here).
NO_UNITS = pd.Series([], dtype="str", index=pd.Index([], dtype="int64"))


def _issues(rows: np.ndarray, raw: pd.Series, reason: pd.Series | str, kind: str) -> pd.DataFrame:
    reason_values = reason.to_numpy() if isinstance(reason, pd.Series) else reason
    return pd.DataFrame(
        {
            "row": np.asarray(rows, dtype="int64"),
            "raw": raw.astype("str").to_numpy(),
            "reason": reason_values,
            "kind": kind,
        }
    )


def _empty_issues() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype="int64" if c == "row" else "str") for c in ISSUE_COLUMNS}
    )


#: Building an empty frame costs milliseconds (and every clean column asks for one):
#: callers get a copy of this one, which copy-on-write makes their own.
_NO_ISSUES = _empty_issues()


def no_issues() -> pd.DataFrame:
    return _NO_ISSUES.copy()


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else no_issues()


def is_text(raw: pd.Series) -> bool:
    return raw.dtype == "str" or raw.dtype == object


def comma_evidence(raw: pd.Series) -> int:
    """Cells written with a decimal comma: a comma not followed by exactly three digits
    (``39,1``); ``1,500`` is no evidence either way. Only text columns can hold one."""
    if not is_text(raw):
        return 0
    if isinstance(raw.array, pd.arrays.ArrowStringArray) and not any(
        (_cell_bytes(chunk)[1] == ord(",")).any() for chunk in _arrow_chunks(raw)
    ):
        return 0  # no comma anywhere in the column (one look at its bytes)
    text = raw.dropna()
    # Most cells have no comma: the regular expressions run on the few that do.
    with_comma = text[text.str.contains(",", regex=False)]
    commas = with_comma.str.contains(_COMMA_DECIMAL_EVIDENCE, regex=True)
    commas &= ~with_comma.str.strip().str.contains(r"\d,\d{3}$", regex=True)
    return int(commas.sum())


def point_evidence(raw: pd.Series) -> int:
    """Cells written with a decimal point (a column read as numbers counts once when it
    holds a fractional value)."""
    if not is_text(raw):
        if raw.dtype.kind == "f":
            values = raw.to_numpy(dtype="float64", na_value=np.nan)
            finite = values[np.isfinite(values)]
            return int(np.any(finite != np.floor(finite)))
        return 0
    text = raw.dropna()
    with_point = text[text.str.contains(".", regex=False)]
    return int(with_point.str.contains(_POINT_DECIMAL, regex=True).sum())


def parse_numbers(raw: pd.Series, *, decimal_comma: bool = False) -> ParsedColumn:
    """Read a column of numbers; unparseable cells become NaN and are reported.

    ``decimal_comma``: the whole file writes decimals with a comma (spec §1), so
    ``38,5`` is 38.5 and ``1.500,5`` is 1500.5. Otherwise a comma followed by exactly
    three digits (each time) is a thousands separator (``1,500`` → 1500) and any other
    comma a decimal comma (``39,1`` → 39.1), each reading reported.
    """
    index = raw.index
    if raw.dtype == bool:
        return ParsedColumn(pd.Series(raw.to_numpy(dtype="float64"), index=index), no_issues())
    if not is_text(raw) and raw.dtype.kind not in "iuf":
        # A column the CSV parser took for dates or times is not a number: read its text,
        # so every cell is reported rather than turned into nanoseconds.
        raw = _as_text(raw)
    if not is_text(raw):
        if raw.dtype.kind in "iuf":
            values = raw.astype("float64")
        else:
            values = pd.to_numeric(raw, errors="coerce").astype("float64")
        array = values.to_numpy()
        bad = np.isinf(array)
        if bad.any():
            rows = np.flatnonzero(bad)
            issues = _issues(rows, raw.iloc[rows], "not a finite number", "unparseable")
            values = values.mask(bad)
            return ParsedColumn(values, issues)
        return ParsedColumn(values, no_issues())

    values = _plain_decimals(raw)
    if values is None:
        values = pd.to_numeric(raw, errors="coerce").astype("float64")
    array = values.to_numpy()
    failed = (~np.isfinite(array)) & raw.notna().to_numpy()
    if decimal_comma:
        # In a decimal-comma file "1.500" is one thousand five hundred, never 1.5.
        failed |= raw.str.contains(".", regex=False).fillna(False).to_numpy(dtype=bool)
    if not failed.any():
        return ParsedColumn(values, no_issues())
    rows = np.flatnonzero(failed)
    fixed, issues, units = _clean(raw.iloc[rows], rows, decimal_comma)
    array = array.copy()
    array[rows] = fixed
    return ParsedColumn(pd.Series(array, index=index), issues, units)


def _plain_decimals(raw: pd.Series) -> pd.Series | None:
    """``pd.to_numeric(raw, errors="coerce")`` for an Arrow text column whose every cell
    is a plain decimal (:data:`PLAIN_DECIMAL`), read by Arrow in one cast and without a
    Python object per cell; None for any other column (the caller then uses pandas).

    Both read such a cell to the same, correctly rounded double (15 digits at most: the
    digits and the power of ten are exact). Only ``-0`` can differ (pandas reads a column
    of whole numbers as integers, where the sign of zero is lost), so a negative zero
    sends the column to pandas too. A cell is plain when it is made of digits, points
    and signs only, is short enough, and Arrow reads it as a number: the only such
    cells are those of the pattern (a test holds this).
    """
    if not isinstance(raw.array, pd.arrays.ArrowStringArray):
        return None
    cells = pa.chunked_array(pa.array(raw.array))
    if cells.null_count == len(cells) or not all(_plain_bytes(c) for c in cells.chunks):
        return None
    try:
        numbers = pc.cast(cells, pa.float64())
    except pa.ArrowInvalid:  # e.g. "1.2.3" or "+-5"
        return None
    array = numbers.to_numpy(zero_copy_only=False)
    if np.any(np.signbit(array) & (array == 0)):
        return None
    if not array.flags.writeable:
        array = array.copy()
    return pd.Series(array, index=raw.index, name=raw.name, copy=False)


def _arrow_chunks(raw: pd.Series) -> list[pa.Array]:
    """The Arrow arrays holding an Arrow-backed text column (no copy)."""
    return pa.chunked_array(pa.array(raw.array)).chunks


def _cell_bytes(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's length and the bytes of all cells of an Arrow string array (views of
    its buffers; a missing cell's bytes, if any, are included)."""
    offset_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    _, offset_buffer, data_buffer = chunk.buffers()
    if offset_buffer is None or len(chunk) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint8)
    offsets = np.frombuffer(offset_buffer, dtype=offset_type)[
        chunk.offset : chunk.offset + len(chunk) + 1
    ]
    if data_buffer is None:
        return np.diff(offsets), np.zeros(0, dtype=np.uint8)
    return np.diff(offsets), np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]


def _plain_bytes(chunk: pa.Array) -> bool:
    """Every cell of an Arrow string array at most :data:`PLAIN_LENGTH` bytes long and
    made of digits, points and signs only (checked on its buffers, in numpy)."""
    lengths, data = _cell_bytes(chunk)
    if len(lengths) and lengths.max() > PLAIN_LENGTH:
        return False
    return bool(_PLAIN_BYTES[data].all())


def _clean(
    cells: pd.Series, rows: np.ndarray, decimal_comma: bool
) -> tuple[np.ndarray, pd.DataFrame, pd.Series]:
    """Vectorised cleaning of the cells the fast path could not read: their numbers, the
    issues, and the unit text of the cells read with one (indexed by ``rows``)."""
    text = cells.astype("str").str.strip().str.replace("\u00a0", " ", regex=False)
    text = text.str.replace("\u2212", "-", regex=False)  # Unicode minus from word processors
    missing = text.str.lower().isin(MISSING_TOKENS).to_numpy()
    parts = text.str.extract(_CELL)
    number = parts["num"]
    comparator = parts["cmp"]
    out = np.full(len(cells), np.nan)
    issues: list[pd.DataFrame] = []

    has_comma = number.str.contains(",", regex=False).fillna(False)
    if decimal_comma:
        german = number.str.fullmatch(_POINT_THOUSANDS_COMMA_DECIMAL).fillna(False)
        normal = number.where(~german, number.str.replace(".", "", regex=False))
        normal = normal.str.replace(",", ".", regex=False)
    else:
        thousands = number.str.fullmatch(_THOUSANDS_COMMA).fillna(False)
        decimal = has_comma & ~thousands & number.str.fullmatch(_DECIMAL_COMMA).fillna(False)
        normal = number.where(~thousands, number.str.replace(",", "", regex=False))
        normal = normal.where(~decimal, normal.str.replace(",", ".", regex=False))
    parsed = (
        pd.to_numeric(normal, errors="coerce").to_numpy(dtype="float64", na_value=np.nan).copy()
    )
    parsed[~np.isfinite(parsed)] = np.nan
    ok = ~np.isnan(parsed) & ~missing
    out[ok] = parsed[ok]

    if not decimal_comma:
        for mask, words in (
            (thousands, "comma read as a thousands separator"),
            (decimal, "comma read as a decimal comma"),
        ):
            hit = mask.to_numpy() & ok
            if hit.any():
                reason = "read as " + pd.Series(parsed[hit]).map("{:g}".format) + f" ({words})"
                issues.append(
                    _issues(rows[hit], cells.iloc[np.flatnonzero(hit)], reason, "conversion")
                )
    with_cmp = comparator.notna().to_numpy() & ok
    if with_cmp.any():
        words = comparator[with_cmp].map(_COMPARATOR_WORDS)
        reason = (
            "read as its bound "
            + pd.Series(parsed[with_cmp]).map("{:g}".format).to_numpy()
            + " (value "
            + words.to_numpy()
            + " the bound)"
        )
        issues.append(
            _issues(
                rows[with_cmp],
                cells.iloc[np.flatnonzero(with_cmp)],
                pd.Series(reason),
                "comparator",
            )
        )
    bad = ~ok & ~missing
    if bad.any():
        issues.append(
            _issues(
                rows[bad],
                cells.iloc[np.flatnonzero(bad)],
                "not a number; set to missing",
                "unparseable",
            )
        )
    with_unit = ok & parts["unit"].notna().to_numpy()
    units = NO_UNITS
    if with_unit.any():
        written = parts["unit"].to_numpy(dtype=object)[with_unit]
        units = pd.Series(written, index=rows[with_unit], dtype="str").str.strip()
    return out, _concat(issues), units


def without_units(parsed: ParsedColumn, raw: pd.Series, what: str) -> ParsedColumn:
    """Cells of a column that takes no unit (``what``, e.g. "a day") but has unit text
    are unparseable (spec §1 [v2]: text that is not a unit of the variable)."""
    if len(parsed.units) == 0:
        return parsed
    rows = parsed.units.index.to_numpy()
    values = parsed.values.copy()
    values.iloc[rows] = np.nan
    issues = _issues(
        rows,
        raw.iloc[rows],
        f"{what} is written without a unit; set to missing",
        "unparseable",
    )
    return ParsedColumn(values, _concat([parsed.issues, issues]))


def parse_booleans(raw: pd.Series) -> ParsedColumn:
    """1.0 / 0.0 / NaN from ``1/0``, ``true/false``, ``yes/no``, ``y/n`` in any case (spec §1)."""
    index = raw.index
    if raw.dtype == bool:
        return ParsedColumn(pd.Series(raw.to_numpy(dtype="float64"), index=index), no_issues())
    if not is_text(raw) and raw.dtype.kind not in "iuf":
        raw = _as_text(raw)
    if not is_text(raw):
        values = pd.to_numeric(raw, errors="coerce").astype("float64")
        bad = values.notna() & ~values.isin([0.0, 1.0])
        text = raw.astype("str")
    else:
        text = raw.str.strip().str.lower()
        true = text.isin(TRUE_WORDS)
        false = text.isin(FALSE_WORDS)
        values = pd.Series(np.where(true, 1.0, np.where(false, 0.0, np.nan)), index=index)
        bad = raw.notna() & ~true & ~false & ~text.isin(MISSING_TOKENS)
    if not bad.any():
        return ParsedColumn(values, no_issues())
    rows = np.flatnonzero(bad.to_numpy())
    issues = _issues(
        rows,
        raw.iloc[rows],
        "not a yes/no value (accepted: 1/0, true/false, yes/no, y/n); set to missing",
        "unparseable",
    )
    return ParsedColumn(values.mask(bad), issues)


def _as_text(raw: pd.Series) -> pd.Series:
    return raw.astype("str").where(raw.notna())


def clean_text(raw: pd.Series) -> pd.Series:
    """Text cells stripped, empty → missing (``str`` dtype)."""
    text = raw.astype("str").str.strip() if is_text(raw) else raw.astype("str")
    if raw.dtype != "str" or text.isna().sum() != raw.isna().sum():
        # Only cells of another dtype can turn from missing into text here.
        text = text.where(raw.notna())
    empty = text == ""
    if empty.any():
        text = text.mask(empty)
    return text.astype("str")
