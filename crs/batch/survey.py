"""First pass over a large export: the whole file's decisions (issue #17).

Reads the file block by block (:mod:`crs.batch.records`), each block with the reader's
own table reader and column matching, and gathers what the reader decides on the whole
file (spec grading.md §1): each column's type, the decimal-comma evidence, the values
of every lab column whose unit is read from its median, and whether any date-time can
be read. It also numbers the patients (by what their id reads as, so that ids the
reader must compare, crs.identifiers, stay together) and notes where each patient's
first gradable row is, which orders the output (patients in order of first appearance,
docs/architecture.md §1.1).

A file whose decisions cannot be fixed exactly raises :class:`NotChunkable` and is
read whole (the same output, without the memory bound).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from crs.batch.records import BLOCK_BYTES, Block, NotChunkable, blocks, read_header
from crs.read import decode
from crs.read.columns import SPECS
from crs.read.convert import _column_unit
from crs.read.decided import Decided, UnitReading
from crs.read.decode import read_table
from crs.read.identifiers import clean_column_names, skeleton
from crs.read.mapping import ColumnMapping
from crs.read.names import normalise_name
from crs.read.numbers import (
    clean_text,
    comma_evidence,
    parse_numbers,
    point_evidence,
    without_units,
)
from crs.read.quality import ReadWork
from crs.read.reader import FORCE_TEXT, _map_columns
from crs.read.readstate import Source
from crs.read.timeparse import parse_times
from crs.read.units import check_of


@dataclass
class Survey:
    """What the first pass found (see the module docstring)."""

    header: bytes
    decided: Decided
    #: int32: each data record's patient number; a record without a patient id (not
    #: graded) goes with the patient of the record before it (or after, at the start).
    codes: np.ndarray
    rank: np.ndarray  # int64: per patient number, its place in the output
    names: list[str]  # per patient number, its id (as it reads)
    with_day: bool  # whether the graded table has a day next to the time
    rows: int
    blocks: int
    contiguous: bool  # every patient's records are one run in the file


@dataclass
class BlockFindings:
    """What one block of records shows (any process may survey a block; the blocks'
    findings are then merged in file order, :func:`merge`)."""

    rows: int
    dtypes: dict[str, str] = field(default_factory=dict)  # column → dtype (if any value)
    blanks: set[str] = field(default_factory=set)
    commas: int = 0
    points: int = 0
    float_columns: set[str] = field(default_factory=set)
    values: dict[tuple[str, bool], np.ndarray] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)  # their cells left out
    #: per record, the number of its patient id among ``ids`` (-1: none); ``ids``: what
    #: each distinct id reads as (crs.identifiers.skeleton), in order of appearance.
    local_codes: np.ndarray | None = None
    ids: list[str] = field(default_factory=list)
    time_ok: np.ndarray | None = None
    day_ok: np.ndarray | None = None
    any_time: bool = False
    has_day: bool = False
    has_time: bool = False
    day_values: bool = False
    infusion: bool = False


@dataclass
class _Gathered:
    dtypes: dict[str, set[str]] = field(default_factory=dict)
    blanks: set[str] = field(default_factory=set)
    commas: int = 0
    points: int = 0
    values: dict[tuple[str, bool], list[np.ndarray]] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    keys: dict[str, int] = field(default_factory=dict)
    codes: list[np.ndarray] = field(default_factory=list)
    time_ok: list[np.ndarray] = field(default_factory=list)
    day_ok: list[np.ndarray] = field(default_factory=list)
    any_time: bool = False
    has_day: bool = False
    has_time: bool = False
    day_values: bool = False
    infusion: bool = False
    float_blocks: dict[str, bool] = field(default_factory=dict)
    blocks: int = 0


def survey(
    path: Path,
    label: str,
    mapping: ColumnMapping | None = None,
    block_bytes: int = BLOCK_BYTES,
    progress=None,
    surveyed=None,
) -> Survey:
    """The first pass (see the module docstring); :class:`NotChunkable` if it cannot be.

    ``surveyed(header, blocks, label, mapping)``, when given, yields each block's
    :class:`BlockFindings` in file order (e.g. surveyed by a pool of processes); by
    default this process surveys the blocks one after the other.
    """
    header = read_header(path)
    check_encoding(header)
    seen = _Gathered()
    each = surveyed if surveyed is not None else _one_by_one
    for block, found in each(header, blocks(path, header, block_bytes), label, mapping):
        merge(seen, found)
        if progress is not None:
            progress.read(len(block), len(block.data))
    if not seen.codes or not seen.keys:
        raise NotChunkable("no data rows, or no patient id on any")
    codes = np.concatenate(seen.codes)
    decided = _decide(seen, label)
    ok = np.concatenate(seen.time_ok if decided.axis == "time" else seen.day_ok)
    filled = _filled(codes)
    return Survey(
        header=header,
        decided=decided,
        codes=filled,
        rank=_patient_rank(codes, ok, len(seen.keys)),
        names=list(seen.keys),
        with_day=decided.axis == "time" and (seen.day_values or seen.infusion),
        rows=len(codes),
        blocks=seen.blocks,
        contiguous=_contiguous(filled),
    )


def _one_by_one(header: bytes, records, label: str, mapping: ColumnMapping | None):
    for block in records:
        yield block, survey_block(header, block, label, mapping)


def merge(seen: _Gathered, found: BlockFindings) -> None:
    """Add one block's findings to what the blocks before it showed (in file order: the
    patients are numbered by first appearance)."""
    for column, dtype in found.dtypes.items():
        seen.dtypes.setdefault(column, set()).add(dtype)
    seen.blanks |= found.blanks
    seen.commas += found.commas
    seen.points += found.points
    for column in found.float_columns:
        seen.float_blocks[column] = True
    for key, values in found.values.items():
        seen.values.setdefault(key, []).append(values)
    for column, source in found.sources.items():
        seen.sources.setdefault(column, source)
    numbers = np.array([seen.keys.setdefault(i, len(seen.keys)) for i in found.ids], dtype="int32")
    local = found.local_codes
    codes = np.full(len(local), -1, dtype="int32")
    known = local >= 0
    codes[known] = numbers[local[known]]
    seen.codes.append(codes)
    seen.time_ok.append(found.time_ok)
    seen.day_ok.append(found.day_ok)
    seen.any_time |= found.any_time
    seen.has_day |= found.has_day
    seen.has_time |= found.has_time
    seen.day_values |= found.day_values
    seen.infusion |= found.infusion
    seen.blocks += 1


def check_encoding(data: bytes) -> None:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise NotChunkable("UTF-16")
    if data[:2] == b"PK":
        raise NotChunkable("a workbook")
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NotChunkable("not UTF-8") from exc


def survey_block(
    header: bytes, block: Block, label: str, mapping: ColumnMapping | None
) -> BlockFindings:
    """One block's findings (a pure function of the header and the block's records)."""
    check_encoding(block.data)
    frame = _cells(header + block.take(np.arange(len(block))), label)
    if len(frame) != len(block):
        raise NotChunkable("rows the table reader reads otherwise")
    if len(set(map(str, frame.columns))) != len(frame.columns) or any(
        str(c) not in header.decode("utf-8", "replace") for c in frame.columns
    ):
        raise NotChunkable("column names the table reader changes")
    found = BlockFindings(rows=len(block))
    for column in frame.columns:
        values = frame[column]
        if values.notna().any():
            found.dtypes[str(column)] = str(values.dtype)
        if values.isna().any():
            found.blanks.add(str(column))
    work = ReadWork(label=label, lines=block.lines)
    cleaned = clean_column_names(frame, work)
    sources, layout = _map_columns(cleaned, work, mapping)
    if "variable" in layout and "value" in layout:
        raise NotChunkable("the long layout")
    by_name = {s.canonical: s for s in sources}
    if "patient_id" not in by_name:
        raise NotChunkable("no patient column")
    found.local_codes, found.ids = _patient_codes(by_name["patient_id"].raw)
    _instants(by_name, len(block), found)
    for s in sources:
        if SPECS[s.canonical].kind == "numeric" and s.canonical not in ("time", "day"):
            _numbers(s, found)
    return found


def _cells(data: bytes, label: str) -> pd.DataFrame:
    """The block's cells as :func:`crs.decode.read_table` reads them.

    The common case of a real export, an integer column with blanks (pandas' integer
    rules then fail), makes the table reader read every cell as text, exactly as
    pandas' C parser does; pyarrow reading every cell as text gives those cells much
    faster. Any other case is read by the table reader itself.
    """
    text = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    separator = decode._sniff(decode._first_line(text))
    names = decode._split_header(decode._first_line(text), separator)
    dtype = {name: "str" for name in names if normalise_name(name) in FORCE_TEXT}
    try:
        table = decode._read_arrow(text, separator, dtype)
    except Exception:
        table = None
    if (
        table is not None
        and dtype
        and decode._arrow_frame(table) is None
        and decode._pandas_arrow_fails(table, dtype)
        and not text.startswith((b" ", b"\t"))
        and b"\n " not in text
        and b"\n\t" not in text
    ):
        read, parse, convert = decode.arrow_options(separator, {})
        convert.default_column_type = pa.large_string()
        every = pa_csv.read_csv(
            pa.py_buffer(text), read_options=read, parse_options=parse, convert_options=convert
        )
        return every.to_pandas(split_blocks=True)
    table = read_table(data, label, FORCE_TEXT)
    if table.problems is not None:
        raise NotChunkable("rows longer than the header")
    return table.frame


def _patient_codes(raw: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Per record, the number of its distinct id (-1: none), and what each distinct id
    reads as (crs.identifiers.skeleton): the patient is numbered by the latter."""
    ids = clean_text(raw.reset_index(drop=True))
    codes, distinct = pd.factorize(ids)
    return codes.astype("int32"), [skeleton(str(text)) for text in distinct]


def _instants(by_name: dict[str, Source], n: int, seen: BlockFindings) -> None:
    time_ok = np.zeros(n, dtype=bool)
    day_ok = np.zeros(n, dtype=bool)
    if "time" in by_name:
        seen.has_time = True
        times = parse_times(by_name["time"].raw.reset_index(drop=True), by_name["time"].label)
        if times.note:
            raise NotChunkable("dates whose day-or-month order is read from the whole column")
        time_ok = times.values.notna().to_numpy()
        seen.any_time |= bool(time_ok.any())
    if "day" in by_name:
        raw = by_name["day"].raw
        day_ok = without_units(parse_numbers(raw), raw, "a day").values.notna().to_numpy()
        seen.has_day = True
        seen.day_values |= bool(np.any(day_ok & time_ok & (seen.local_codes >= 0)))
    if "infusion_time" in by_name and time_ok.any():
        source = by_name["infusion_time"]
        infusion = parse_times(source.raw.reset_index(drop=True), source.label).values
        seen.infusion |= bool(infusion.notna().any())
    seen.time_ok = time_ok
    seen.day_ok = day_ok


def _numbers(s: Source, seen: BlockFindings) -> None:
    """Decimal-comma evidence, and the values a unit check looks at."""
    raw = s.raw.reset_index(drop=True)
    seen.commas += comma_evidence(raw)
    # One decimal point anywhere rules decimal commas out: look until one is found.
    points = _point_seen(raw) if not seen.points else 0
    seen.points += points
    if raw.dtype.kind == "f" and not points and raw.notna().any():
        seen.float_columns.add(s.label)  # "38.0" read as a number: no point seen
    check = check_of(s.canonical)
    if check is None or not (s.unit is None or check.applies_to == "any"):
        return
    seen.sources.setdefault(s.label, replace(s, raw=s.raw.iloc[:0]))
    for comma in (False, True) if not seen.points else (False,):
        parsed = parse_numbers(raw, decimal_comma=comma)
        values = parsed.values.to_numpy(dtype="float64", na_value=np.nan)
        own_at = parsed.units.index.to_numpy()
        bare = np.delete(values, own_at) if len(own_at) else values
        seen.values[(s.label, comma)] = bare[~np.isnan(bare)]


#: Cells looked at first for a decimal point (most columns of numbers show one at once).
_FIRST_LOOK = 1000


def _point_seen(raw: pd.Series) -> int:
    """Nonzero when a cell of the column is written with a decimal point: only whether
    there is one decides (decimal commas need none anywhere), so the first cells are
    looked at first, and the rest only when they show none."""
    first = point_evidence(raw.iloc[:_FIRST_LOOK])
    return first if first else point_evidence(raw.iloc[_FIRST_LOOK:])


def _decide(seen: _Gathered, label: str) -> Decided:
    types = {
        column: _arrow_type(kinds, column in seen.blanks) for column, kinds in seen.dtypes.items()
    }
    types = {k: v for k, v in types.items() if v is not None}
    decimal_comma = seen.commas > 0 and seen.points == 0
    if decimal_comma and any(
        seen.float_blocks.get(c) and types.get(c) == pa.large_string() for c in seen.float_blocks
    ):
        raise NotChunkable("numbers whose decimal mark cannot be seen once read")
    units = {}
    for column, s in seen.sources.items():
        values = np.concatenate(seen.values.get((column, decimal_comma), [np.zeros(0)]))
        if len(values) == 0:
            continue
        scratch = ReadWork(label=label, lines=np.zeros(0, dtype="int64"))
        unit = _column_unit(s, values, np.zeros(0, dtype="int64"), scratch)
        units[column] = UnitReading(unit, scratch.conversions[0] if scratch.conversions else None)
    if seen.has_time and seen.any_time:
        axis = "time"
    elif seen.has_day:
        axis = "day"
    else:
        raise NotChunkable("no readable time (the whole read says why)")
    return Decided(column_types=types, decimal_comma=decimal_comma, units=units, axis=axis)


#: pandas dtype of a column read by pyarrow → the Arrow type that gives it.
_ARROW_OF = {
    "int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "str": pa.large_string(),
}


def _arrow_type(kinds: set[str], blanks: bool) -> pa.DataType | None:
    """The type of the whole column from its blocks' types (pyarrow's inference widens
    integers to floats, and anything mixed to text)."""
    if kinds == {"int64"}:
        return pa.float64() if blanks else pa.int64()
    if kinds <= {"int64", "float64"}:
        return pa.float64()
    if len(kinds) == 1:
        kind = next(iter(kinds))
        if kind in _ARROW_OF:
            return _ARROW_OF[kind]
        if kind in ("datetime64[s]", "datetime64[ms]", "datetime64[us]", "datetime64[ns]"):
            return pa.timestamp(kind.removeprefix("datetime64[").removesuffix("]"))
        raise NotChunkable(f"a column of type {kind}")
    return pa.large_string()


def _patient_rank(codes: np.ndarray, ok: np.ndarray, n_patients: int) -> np.ndarray:
    """Each patient's place in the output: by its first row with a readable instant
    (rows without one are not graded, docs/architecture.md §1.1)."""
    first = np.full(n_patients, np.iinfo(np.int64).max, dtype="int64")
    rows = np.flatnonzero(ok & (codes >= 0))
    np.minimum.at(first, codes[rows], rows)
    rank = np.empty(n_patients, dtype="int64")
    rank[np.argsort(first, kind="stable")] = np.arange(n_patients)
    return rank


def _filled(codes: np.ndarray) -> np.ndarray:
    """Records without a patient id take the patient of the record before (after)."""
    missing = codes < 0
    if not missing.any() or missing.all():
        return np.where(missing, 0, codes).astype("int32")
    known = np.flatnonzero(~missing)
    before = np.maximum(np.searchsorted(known, np.arange(len(codes)), side="right") - 1, 0)
    return codes[known[before]].astype("int32")


def _contiguous(codes: np.ndarray) -> bool:
    """Whether every patient's records are one run."""
    starts = np.concatenate(([True], codes[1:] != codes[:-1]))
    runs = codes[starts]
    return len(np.unique(runs)) == len(runs)
