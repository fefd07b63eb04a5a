"""Read an electronic-record export into the canonical frame (spec grading.md §1, §1.1;
docs/architecture.md §1).

``read_export`` accepts the wide layout (one column per variable) and the long
"flowsheet" layout (``patient_id``, ``time``/``day``, ``variable``, ``value``, optional
``unit``), plus an optional patients table. It matches column names to the spec §1
table, converts units (crs.read.convert, over the units table of crs.read.units), reads numbers,
booleans and times, sets impossible values to missing (§1.1 ranges), combines two
columns of one variable row by row (crs.read.combine), merges rows of one patient at one
instant (the later row wins a conflict), and reports every such step in a
:class:`~crs.read.quality.QualityReport` whose counts always balance: one
:class:`~crs.read.quality.ReadWork` gathers it along the read, step by step
(docs/architecture.md §1, "The read, step by step"). Everything is vectorised over
whole columns.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from crs.errors import UnusableExportError
from crs.read.aliases import ALIAS_ROWS
from crs.read.columns import ALIASES, DTYPES, LAYOUT_PREFIX, PATIENT_LEVEL, SPECS, name_target
from crs.read.combine import Gathered, gather, weight_based_pressors
from crs.read.convert import Part, read_numbers
from crs.read.decode import RawTable, read_table
from crs.read.flowsheet import FLOWSHEET_COLUMNS, flowsheet_sources
from crs.read.identifiers import clean_column_names, screen_patient_ids
from crs.read.mapping import ColumnMapping, Mapped, checked
from crs.read.merging import merge_same_instant, patient_codes, sort_and_conform, strictly_ordered
from crs.read.names import normalise_name
from crs.read.neuro_words import WORD_COLUMNS, unreadable
from crs.read.numbers import (
    clean_text,
    comma_evidence,
    parse_booleans,
    parse_numbers,
    point_evidence,
    without_units,
)
from crs.read.quality import QualityReport, ReadWork
from crs.read.readstate import ROW, Cols, Source, raw_at, shown
from crs.read.timeaxis import day_to_instant
from crs.read.timeparse import parse_times
from crs.read.units import Unit, accepted, match_name, not_graded_match, unit_near_miss

Axis = Literal["time", "day"]

#: Columns that say who and when: a second column of one of these is left out (the first
#: is used), as rows cannot be combined without knowing whose and when they are.
_IDENTITY = frozenset({"patient_id", "time", "day"})


_TEXT_KINDS = ("id", "text")

#: Patient-level columns of these dtypes are chosen with numpy rather than pandas (the
#: same values; tests empty it to compare the two ways).
_NUMPY_DTYPES: frozenset[np.dtype] = frozenset({np.dtype("float64")})


@dataclass(frozen=True)
class Export:
    """A read export: the canonical frame, its data-quality report and its time axis."""

    frame: pd.DataFrame
    report: QualityReport
    axis: Axis


def read_export(
    source: str | os.PathLike | bytes,
    *,
    patients: str | os.PathLike | bytes | None = None,
    patient_id: str | None = None,
    name: str | None = None,
    mapping: ColumnMapping | None = None,
) -> Export:
    """Read an export into the canonical frame and its data-quality report.

    Parameters
    ----------
    source : a path, or the uploaded bytes (CSV in any accepted encoding, or .xlsx).
    patients : optional patients table keyed by ``patient_id`` (spec §1).
    patient_id : names the patient of a one-patient file without a patient column.
    name : the file name used in messages (default: the path's name).
    mapping : the file's own names mapped to variables (crs.read.mapping), applied before the
        name matching: a mapped column is read as its variable (or left out as "not
        used"), whatever its name; a long layout's variable names likewise.

    Raises
    ------
    UnusableExportError
        The file cannot be used at all (spec §1.1): the message names what is missing
        and which names are accepted. Nothing is half-imported.
    """
    label = name or (Path(source).name if not isinstance(source, bytes) else "the file")
    patients_data = _bytes(patients) if patients is not None else None
    patients_label = (
        Path(patients).name
        if patients is not None and not isinstance(patients, bytes)
        else "the patients table"
    )
    # A file that cannot be opened is an OSError for the caller to say in plain words
    # (crs.cli.file_problem), not an unreadable export.
    held = [_bytes(source)]
    try:
        # The bytes go straight to _read (popped: no reference stays here), which lets go
        # of them once the cells are read.
        return _read(held.pop(), label, patients_data, patients_label, patient_id, mapping)
    except UnusableExportError as exc:
        message = str(exc)
        if "\n" in message or "\r" in message:
            # The one clear sentence stays one line, whatever the file's names hold.
            raise UnusableExportError(_one_line(message)) from exc
        raise
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as exc:
        # Never a traceback for a user (spec §1.1): the file is reported as unusable.
        raise UnusableExportError(
            _one_line(
                f"{label} could not be read ({type(exc).__name__}: {str(exc)[:200]}); "
                "please check that it is a CSV or .xlsx export of the record."
            )
        ) from exc


def _one_line(message: str) -> str:
    return " ".join(message.replace("\r", "\n").split("\n"))


def _bytes(source: str | os.PathLike | bytes) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    return Path(source).read_bytes()


# Columns read as text whatever they look like (identifiers keep leading zeros).
FORCE_TEXT = frozenset(
    [
        *(name for name, canonical in ALIASES.items() if SPECS[canonical].kind in _TEXT_KINDS),
        *FLOWSHEET_COLUMNS,
        *(
            key
            for key in (normalise_name(r.alias) for r in ALIAS_ROWS)
            if name_target(key) in (LAYOUT_PREFIX + "variable", LAYOUT_PREFIX + "unit")
        ),
    ]
)


def _read(
    data: bytes,
    label: str,
    patients_data: bytes | None,
    patients_label: str,
    patient_id: str | None,
    mapping: ColumnMapping | None = None,
) -> Export:
    """The read, one step after another (docs/architecture.md §1): decode the bytes,
    build the canonical columns (:func:`_canonical_columns`), sort them into the frame.
    One :class:`~crs.read.quality.ReadWork` accumulates the data-quality report all along
    and becomes the report at the end."""
    work = ReadWork(label=label)
    table = read_table(data, label, FORCE_TEXT)
    # Memory (hostile-input limit: a 200 MB export read in under 2 GB): the file's bytes,
    # then its cells, are released as soon as they are no longer needed, so the sort
    # below never holds the raw table and two copies of the canonical columns at once.
    del data
    cols, axis, ordered = _canonical_columns(
        table, work, patients_data, patients_label, patient_id, mapping
    )
    del table
    frame_out = sort_and_conform(cols, ordered=ordered)  # consumes cols
    return Export(frame=frame_out, report=work.report(rows_graded=len(frame_out)), axis=axis)


def _canonical_columns(
    table: RawTable,
    work: ReadWork,
    patients_data: bytes | None,
    patients_label: str,
    patient_id: str | None,
    mapping: ColumnMapping | None = None,
) -> tuple[Cols, Axis, bool]:
    """The canonical columns, unsorted and merged (spec §1, §1.1), step by step; what is
    found along the way goes to ``work``.

    Returns (columns, time axis, whether the rows are already in the frame's order);
    every view of the file's cells dies with this function's locals.
    """
    work.decoded(table.lines, table.notes, table.problems)
    # Names: hidden characters (issue #18: the one door, crs.read.identifiers), then
    # the file's columns (and a long layout's variables) matched to canonical ones.
    frame = clean_column_names(table.frame, work)
    n = work.rows_read = len(frame)
    sources, layout = _map_columns(frame, work, mapping)
    long_layout, variable, unknown_variable, left_out = _long_layout(
        frame, layout, sources, work, mapping
    )
    # Whose and when: the patient and the time axis of every row; refused ids.
    identity = _identity(sources, n, work.label, patient_id, work)
    refused = screen_patient_ids(
        identity["patient_id"], identity["patient_source"], work, named=patient_id
    ).refused
    # Cells → values in canonical units → the sources of one variable combined.
    values, raws, gathered = _parse_sources(sources, n, work)
    # Rows without a patient, an instant or a known variable are not graded.
    not_graded = _not_graded(identity, unknown_variable, variable, work) | refused | left_out
    work.rows_not_graded = int(not_graded.sum())
    cols = _kept_rows(identity, values, table.lines, ~not_graded)
    # The patients and the instants are not changed below: one look at their order
    # serves the patient-level values, the merge and the sort.
    codes = patient_codes(cols["patient_id"])
    ordered = strictly_ordered(codes, cols["instant"])
    cols = _patient_level(cols, sources, raws, work, codes, ordered)
    if patients_data is not None:
        cols = _apply_patients_table(cols, patients_data, patients_label, work, mapping)
    cols = _day_from_infusion(cols, identity["axis"], work)
    cols = weight_based_pressors(cols, gathered, raws, work)
    cols, work.rows_merged = merge_same_instant(
        cols, sources, raws, long_layout, work, ordered=ordered
    )
    return cols, identity["axis"], ordered


def _long_layout(
    frame: pd.DataFrame,
    layout: dict[str, list[str]],
    sources: list[Source],
    work: ReadWork,
    mapping: ColumnMapping | None,
) -> tuple[bool, pd.Series | None, np.ndarray, np.ndarray]:
    """A long layout's variables as more sources (added to ``sources``; crs.read.flowsheet).

    Returns (whether the file is in the long layout, its variable column, the rows of a
    variable not recognised, the rows of a variable left out on purpose). In the wide
    layout a ``variable``/``value``/``unit`` column is an unknown column.
    """
    n = len(frame)
    if not ("variable" in layout and "value" in layout):
        work.unknown.extend(written for c in FLOWSHEET_COLUMNS for written in layout.get(c, []))
        return False, None, np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    long_sources, unknown_variable, left_out = flowsheet_sources(frame, layout, work, mapping)
    sources.extend(long_sources)
    return True, frame[layout["variable"][0]], unknown_variable, left_out


def _kept_rows(
    identity: dict, values: dict[str, pd.Series], lines: np.ndarray, keep: np.ndarray
) -> Cols:
    """The canonical columns of the rows graded, with each row's line and file row."""
    n = len(lines)
    cols: Cols = {
        "patient_id": identity["patient_id"],
        "instant": identity["instant"],
        "time": identity["time"],
        "day": identity["day"],
        "line": pd.Series(lines, copy=False),
        ROW: pd.Series(np.arange(n, dtype="int64"), copy=False),
        **values,
    }
    if not keep.all():
        cols = {name: column[keep].reset_index(drop=True) for name, column in cols.items()}
    return cols


# --- column names -------------------------------------------------------------------


def _map_columns(
    frame: pd.DataFrame, work: ReadWork, mapping: ColumnMapping | None = None
) -> tuple[list[Source], dict[str, list[str]]]:
    """Match the file's columns to canonical ones (spec §1); list the others.

    A column the ``mapping`` names is read as mapped (or left out, "not used"); else a
    name is an accepted name (crs/tables/aliases.csv, any word order), or one followed
    by a unit of its variable (crs.read.units.match_name). Two columns of one variable are
    both read and combined row by row later (spec §1 [v2]), except a second patient,
    time or day column, which is left out. A column repeated under the same name
    (``temp_c`` twice: ``temp_c.1`` once read) is a second column of its variable. A
    variable recognised but not graded (SpO2, heart rate, a charted ICANS grade) is
    reported as such. Returns the sources and the long layout's columns (``variable``,
    ``value``, ``unit`` → the columns as written, in file order).
    """
    sources: list[Source] = []
    layout: dict[str, list[str]] = {}
    taken: dict[str, str] = {}
    names = {str(c) for c in frame.columns}
    for position, written in enumerate(frame.columns):
        key = normalise_name(_unmangled(str(written), names))
        entry = mapping.get(key) if mapping else None
        if entry is not None:
            match = _mapped_match(entry, work)
            if match is None:
                continue
            canonical, unit = match
        else:
            target = name_target(key)
            if target is not None and target.startswith(LAYOUT_PREFIX):
                layout.setdefault(target.removeprefix(LAYOUT_PREFIX), []).append(written)
                continue
            found = match_name(key)
            if found is None:
                _unrecognised(key, str(written), work)
                continue
            canonical, unit = found.canonical, found.unit
        if canonical in _IDENTITY and canonical in taken:
            work.unknown.append(str(written))
            work.problem(
                None,
                str(written),
                None,
                f"also names the {SPECS[canonical].words}, already read from "
                f"'{taken[canonical]}'; left out",
                "note",
            )
            continue
        taken.setdefault(canonical, str(written))
        sources.append(
            Source(
                canonical=canonical,
                raw=frame[written],
                label=str(written),
                unit=unit,
                position=position,
            )
        )
    return sources, layout


def _mapped_match(entry: Mapped, work: ReadWork) -> tuple[str, Unit | None] | None:
    """(canonical column, unit) of a mapped name, or None when mapped as not used; a
    mapping its name contradicts is refused whole (nothing graded on a wrong unit)."""
    entry = checked(entry, work.label)
    work.mapped.append(entry.sentence())
    return entry.target() if entry.used else None


def _unrecognised(key: str, written: str, work: ReadWork) -> None:
    """A name that matched no graded variable: recognised but not graded (SpO2 …), or
    unknown (listed, and a near miss of a unit explained)."""
    known = not_graded_match(key)
    if known is not None:
        work.not_graded.append(f"'{written}': {known.label}, not graded ({known.why})")
        return
    work.unknown.append(written)
    _report_near_miss(key, written, work)


def _unmangled(written: str, names: set[str]) -> str:
    """``temp_c.1`` → ``temp_c`` when ``temp_c`` is also a column: the second of two
    columns written with one name (the table reader numbers repeated names)."""
    base, dot, number = written.rpartition(".")
    return base if dot and number.isdigit() and base in names else written


def _report_near_miss(key: str, written: str, work: ReadWork) -> None:
    """A name that starts with a variable's name but goes on with something that is not
    one of its units (``Creatinine (mmol/L)``) is left out, and the report says why."""
    miss = unit_near_miss(key)
    if miss is None:
        return
    canonical, rest = miss
    work.problem(
        None,
        written,
        None,
        f"not read as {SPECS[canonical].words}: '{rest}' is not one of its units "
        f"(accepted: {accepted(canonical)}); left out of grading",
        "note",
    )


# --- identity and time ----------------------------------------------------------------


def _accepted(canonical: str) -> str:
    return ", ".join([canonical, *SPECS[canonical].aliases])


def _identity(
    sources: list[Source], n: int, label: str, patient_id: str | None, work: ReadWork
) -> dict:
    by_name = {s.canonical: s for s in sources if s.rows is None}
    has_time = "time" in by_name
    has_day = "day" in by_name
    missing = []
    if "patient_id" not in by_name and not patient_id:
        missing.append(
            f"no patient column (name one column patient_id; accepted: "
            f"{_accepted('patient_id')}; or name the patient of a one-patient file, "
            "--patient-id on the command line)"
        )
    if not has_time and not has_day:
        missing.append(
            f"no time column (a time column, accepted: {_accepted('time')}, with ISO 8601 "
            f"date-times; or a day column, accepted: {_accepted('day')}, with days since "
            "infusion)"
        )
    patient_level = [s.label for s in sources if s.canonical in PATIENT_LEVEL]
    if not has_time and not has_day and "patient_id" in by_name and patient_level:
        raise UnusableExportError(
            f"{label} looks like a patients table (a patient column and "
            f"{', '.join(patient_level[:3])}, but no time column): pass it with --patients "
            "next to the time-series export (in the app: mark it as the patients table)."
        )
    if missing:
        raise UnusableExportError(f"{label} has " + " and ".join(missing) + ".")
    if "patient_id" in by_name:
        pid = clean_text(by_name["patient_id"].raw)
    else:
        pid = pd.Series([str(patient_id)] * n, dtype="str")
        work.conversions.append(f"every row is patient {patient_id} (named when reading)")
    time = pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[us]"))
    day = pd.Series(np.full(n, np.nan))
    if has_day:
        day_raw = by_name["day"].raw
        parsed = without_units(parse_numbers(day_raw), day_raw, "a day")
        day = parsed.values.reset_index(drop=True)
        day_issues = parsed.issues
    axis: Axis = "day"
    if has_time:
        times = parse_times(by_name["time"].raw.reset_index(drop=True), by_name["time"].label)
        time = times.values
        if times.note:
            work.conversions.append(times.note)
        if time.notna().any():
            axis = "time"
        elif has_day:
            work.conversions.append(
                f"no date-time in column '{by_name['time'].label}' could be read; the day "
                "column is used as the time axis"
            )
        else:
            example = by_name["time"].raw.dropna()
            shown = f" (e.g. {_quoted(example.iloc[0])})" if len(example) else ""
            raise UnusableExportError(
                f"{label}: no time in column '{by_name['time'].label}' could be read{shown}; "
                "accepted: ISO 8601 date-times such as 2024-03-05T14:30 or 2024-03-05 14:30, "
                "or 05/03/2024 14:30; or give a day column (days since infusion)."
            )
    if has_day:
        if axis == "day":
            # On a day axis an unreadable day is reported once, as a row not graded.
            day_issues = day_issues[day_issues["kind"] != "unparseable"]
        work.report_issues(day_issues, by_name["day"].label)
    instant = time if axis == "time" else day_to_instant(day)
    if axis == "day":
        time = pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[us]"))
    return {
        "patient_id": pid.reset_index(drop=True),
        "time": time.reset_index(drop=True),
        "day": day,
        "instant": instant.reset_index(drop=True),
        "axis": axis,
        "time_source": by_name.get("time") if axis == "time" else by_name.get("day"),
        "patient_source": by_name.get("patient_id"),
    }


def _quoted(value: object) -> str:
    """A cell quoted for a one-line message (line breaks shown, long text cut)."""
    text = str(value).replace("\r", "\\r").replace("\n", "\\n")
    return "'" + (text if len(text) <= 40 else text[:40] + "…") + "'"


def _not_graded(
    identity: dict, unknown_variable: np.ndarray, variable: pd.Series | None, work: ReadWork
) -> np.ndarray:
    """Rows without a patient, an instant, or (flowsheet) a known variable (spec §1.1)."""
    no_patient = identity["patient_id"].isna().to_numpy()
    no_instant = identity["instant"].isna().to_numpy() & ~no_patient
    time_source = identity["time_source"]
    if no_instant.any():
        rows = np.flatnonzero(no_instant)
        raw = time_source.raw.reset_index(drop=True).iloc[rows]
        what = "time" if identity["axis"] == "time" else "day"
        reason = np.where(
            raw.isna().to_numpy(),
            f"no {what} on this row; not graded",
            f"{what} could not be read; not graded",
        )
        work.report_cells(rows, time_source.label, raw, reason, "not_graded")
    if no_patient.any():
        rows = np.flatnonzero(no_patient)
        column = identity["patient_source"].label if identity["patient_source"] else "patient_id"
        work.report_cells(
            rows,
            column,
            pd.Series([None] * len(rows), dtype="str"),
            "no patient id on this row; not graded",
            "not_graded",
        )
    lone = unknown_variable & ~no_patient & ~no_instant
    if lone.any() and variable is not None:
        rows = np.flatnonzero(lone)
        work.report_cells(
            rows,
            str(variable.name),
            variable.reset_index(drop=True).iloc[rows],
            "variable not recognised (see the accepted names); not graded",
            "not_graded",
        )
    return no_patient | no_instant | lone


# --- values ---------------------------------------------------------------------------


def _parse_sources(
    sources: list[Source], n: int, work: ReadWork
) -> tuple[dict[str, pd.Series], dict[str, pd.Series], dict[str, Gathered]]:
    """Parse every value source into its canonical column (units, ranges, §1.1), and
    combine the sources of one column row by row, in file order (spec §1 [v2]).

    Returns the values, per canonical column the raw cells they came from (so the
    report can quote the file, not a converted value), and the sources gathered.
    """
    value_sources = [
        s for s in sources if SPECS[s.canonical].kind in ("numeric", "bool", "text", "time")
    ]
    value_sources = [s for s in value_sources if s.canonical not in ("time",)]
    numeric = [s for s in value_sources if SPECS[s.canonical].kind == "numeric"]
    # Decimal-comma evidence can only be in text columns; look for points only if found.
    commas = sum(comma_evidence(s.raw) for s in numeric)
    points = 0
    for s in numeric if commas else ():
        points += point_evidence(s.raw)
        if points:
            break
    decimal_comma = commas > 0 and points == 0
    if decimal_comma:
        work.conversions.append("decimal commas throughout the file (38,5 read as 38.5)")

    gathered: dict[str, Gathered] = {}
    for s in value_sources:
        for target, part in _parse_source(s, decimal_comma, work).items():
            column, scale = part.values, part.scale
            if s.rows is not None:
                column = _scatter(column, s.rows, target, n)
                if not np.isscalar(scale):
                    scale = _scatter(pd.Series(scale), s.rows, target, n).to_numpy()
            gathered[target] = gather(
                gathered.get(target), target, column, s.raw, scale, s.label, s.position, work
            )
    values = {target: g.values for target, g in gathered.items()}
    raws = {target: g.raw for target, g in gathered.items()}
    return values, raws, gathered


def _scatter(column: pd.Series, rows: np.ndarray, canonical: str, n: int) -> pd.Series:
    """A flowsheet variable's values spread to their rows of the whole table."""
    if DTYPES[canonical] == np.dtype("float64"):
        full = np.full(n, np.nan)
        full[rows] = column.to_numpy(dtype="float64", na_value=np.nan)
        return pd.Series(full, copy=False)
    if DTYPES[canonical] == np.dtype("datetime64[us]"):
        full = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
        full[rows] = column.to_numpy(dtype="datetime64[us]")
        return pd.Series(full, copy=False)
    full = np.full(n, None, dtype=object)
    full[rows] = column.to_numpy(dtype=object, na_value=None)
    return pd.Series(full, dtype=DTYPES[canonical])


def _parse_source(s: Source, decimal_comma: bool, work: ReadWork) -> dict[str, Part]:
    """One source's cells read, converted and range-checked (positions of ``s.raw``),
    per canonical column it fills (usually its own only; crs.read.convert)."""
    spec = SPECS[s.canonical]
    raw = s.raw.reset_index(drop=True)
    if s.rows is not None:
        # Report lines of this flowsheet variable's own rows; problems go to the same lists.
        work = work.at_rows(s.rows)
    raw = _without_nul_cells(raw, s.label, work)
    if spec.kind == "numeric":
        parsed = parse_numbers(raw, decimal_comma=decimal_comma)
        work.report_issues(parsed.issues, s.label)
        return read_numbers(s, parsed, raw, work)
    if spec.kind == "bool":
        parsed = parse_booleans(raw)
        work.report_issues(parsed.issues, s.label)
        column = parsed.values
    elif spec.kind == "time":
        times = parse_times(raw, s.label)
        column = times.values
        if times.note:
            work.conversions.append(times.note)
        bad = (column.isna() & raw.notna()).to_numpy()
        work.report_cells(
            np.flatnonzero(bad),
            s.label,
            raw[bad],
            "not a date-time; set to missing",
            "unparseable",
        )
    else:
        column = clean_text(raw)
        if s.canonical in WORD_COLUMNS:
            column = _readable_words(column, raw, s, work)
    return {s.canonical: Part(column.reset_index(drop=True), 1.0)}


def _readable_words(column: pd.Series, raw: pd.Series, s: Source, work: ReadWork) -> pd.Series:
    """astct.md §1.3: a finding in words that matches no rule of §1.2 is unreadable:
    reported, and missing for grading (the previous documented value stays in effect)."""
    bad = unreadable(s.canonical, column)
    if not bad.any():
        return column
    words = WORD_COLUMNS[s.canonical]
    work.report_cells(
        np.flatnonzero(bad),
        s.label,
        raw[bad],
        f"{words} not understood (write the finding as the reference page lists it, "
        "or none); set to missing",
        "unparseable",
    )
    return column.mask(pd.Series(bad, index=column.index))


def _without_nul_cells(raw: pd.Series, label: str, work: ReadWork) -> pd.Series:
    """Cells holding a NUL character (U+0000, invisible) are left out and reported: a
    NUL is never dropped silently, since ``38\\x005`` would read as 385 and ``rig\\x00ors``
    as a symptom nobody saw written. (A patient id holding one is refused instead,
    crs.read.identifiers; the time cell becomes unreadable and its row is not graded.)"""
    if raw.dtype != "str" and raw.dtype != object:
        return raw
    nul = raw.str.contains("\x00", regex=False, na=False).to_numpy()
    if not nul.any():
        return raw
    rows = np.flatnonzero(nul)
    shown_raw = raw.iloc[rows].str.replace("\x00", "\\u0000", regex=False)
    work.report_cells(
        rows,
        label,
        shown_raw,
        "holds a NUL character (U+0000), which does not show on screen; set to missing",
        "unparseable",
    )
    return raw.mask(pd.Series(nul, index=raw.index))


# --- patient-level values -------------------------------------------------------------


def _patient_level(
    cols: Cols,
    sources: list[Source],
    raws: dict[str, pd.Series],
    work: ReadWork,
    codes: np.ndarray,
    ordered: bool = False,
) -> Cols:
    """One value per patient: the earliest row's (spec §1); differing values reported.
    ``codes``: the rows' patients, numbered in order of first appearance; ``ordered``:
    the rows are :func:`~crs.read.merging.strictly_ordered`.

    [reader decision] "Earliest" is the earliest row in time (file order on a tie) that
    has a value: a blank cell is not a differing value.
    """
    present = [c for c in PATIENT_LEVEL if c in cols]
    n = len(cols["line"])
    if not present or n == 0:
        return cols
    labels = {s.canonical: s.label for s in sources}
    instant = cols["instant"].to_numpy().view("int64")
    if ordered or _grouped_in_time(codes, instant):
        order = np.arange(len(codes))  # exports are usually sorted by patient and time
    else:
        order = np.lexsort((cols["line"].to_numpy(), instant, codes))
    sorted_codes = codes[order]
    out = dict(cols)
    every_row: np.ndarray | None = None  # source rows of a column documented on every row
    for column in present:
        values = cols[column]
        documented = values.notna().to_numpy()
        if not documented.any():
            continue
        if documented.all() and every_row is not None:
            source_row = every_row
        else:
            source_row = _first_documented(codes, order, sorted_codes, documented)
            if documented.all():
                every_row = source_row
        known = source_row >= 0
        if values.dtype in _NUMPY_DTYPES:
            # The same as the general lines below, in numpy.
            array = values.to_numpy()
            if known.all():
                chosen_array = array[source_row]
            else:
                chosen_array = np.where(known, array[np.where(known, source_row, 0)], np.nan)
            chosen = pd.Series(chosen_array, copy=False)
            differs = documented & ~np.isnan(chosen_array) & (array != chosen_array)
        else:
            chosen = values.iloc[np.where(known, source_row, 0)].reset_index(drop=True)
            chosen = chosen.where(pd.Series(known))
            differs = (values.notna() & chosen.notna() & (values != chosen)).to_numpy()
        if differs.any():
            label = labels.get(column, column)
            _report_differing(cols, column, label, raws, source_row, differs, work)
        if differs.any() or not documented.all():
            out[column] = chosen.astype(DTYPES[column])
    return out


def _first_documented(
    codes: np.ndarray, order: np.ndarray, sorted_codes: np.ndarray, documented: np.ndarray
) -> np.ndarray:
    """Per row, the row of its patient's first documented value in ``order`` (time
    order per patient, patients first: ``sorted_codes`` = ``codes[order]``); -1 when the
    patient has none."""
    if documented.all():
        hits, hit_codes = order, sorted_codes
    else:
        hits = order[documented[order]]  # documented rows, in time order per patient
        hit_codes = sorted_codes[documented[order]]
    # The order sorts by patient first: a patient's first hit is where the code changes.
    first_at = np.concatenate(([0], np.flatnonzero(hit_codes[1:] != hit_codes[:-1]) + 1))
    first_row = np.full(codes.max() + 1, -1, dtype="int64")
    first_row[hit_codes[first_at]] = hits[first_at]
    return first_row[codes]


def _report_differing(
    cols: Cols,
    column: str,
    label: str,
    raws: dict[str, pd.Series],
    source_row: np.ndarray,
    differs: np.ndarray,
    work: ReadWork,
) -> None:
    """Rows whose patient-level value differs from the patient's earliest one, quoting
    both cells as written."""
    values = cols[column]
    rows = np.flatnonzero(differs)
    first_line = cols["line"].to_numpy()[source_row[rows]]
    reason = (
        "differs from the patient's earliest value ("
        + raw_at(
            raws,
            column,
            values.iloc[source_row[rows]],
            cols[ROW].to_numpy()[source_row[rows]],
        )
        + " on line "
        + pd.Series(first_line).astype("str")
        + "), which is used"
    )
    work.problem(
        cols["line"].iloc[rows],
        label,
        raw_at(raws, column, values.iloc[rows], cols[ROW].to_numpy()[rows]),
        reason,
        "patient_level",
    )


def _grouped_in_time(codes: np.ndarray, instant: np.ndarray) -> bool:
    """Rows grouped by patient in order of first appearance, instants never decreasing."""
    step_code, step_time = np.diff(codes), np.diff(instant)
    return bool(np.all((step_code > 0) | ((step_code == 0) & (step_time >= 0))))


def _apply_patients_table(
    cols: Cols, data: bytes, label: str, work: ReadWork, mapping: ColumnMapping | None = None
) -> Cols:
    """Patient-level values from a second table keyed by patient_id (spec §1); the column
    mapping serves its names too."""
    force = frozenset(n for n, c in ALIASES.items() if SPECS[c].kind in _TEXT_KINDS)
    table: RawTable = read_table(data, label, force)
    sub = ReadWork(label=label)
    sub.decoded(table.lines, table.notes, table.problems)
    sources, _ = _map_columns(table.frame, sub, mapping)
    by_name = {s.canonical: s for s in sources}
    if "patient_id" not in by_name:
        raise UnusableExportError(
            f"{label} (patients table) has no patient column: name one column patient_id "
            f"(accepted: {_accepted('patient_id')})."
        )
    usable = [s for s in sources if s.canonical in PATIENT_LEVEL]
    for s in sources:
        if s.canonical not in PATIENT_LEVEL and s.canonical != "patient_id":
            sub.unknown.append(s.label)
    values, _, _ = _parse_sources(usable, len(table.frame), sub)
    pid = clean_text(by_name["patient_id"].raw).reset_index(drop=True)
    patients = pd.DataFrame({"patient_id": pid, **values})
    patients["line"] = table.lines
    patients = patients[pid.notna().to_numpy()]
    repeated = patients["patient_id"].duplicated()
    if repeated.any():
        sub.problem(
            patients["line"][repeated],
            by_name["patient_id"].label,
            patients["patient_id"][repeated],
            "patient listed again in the patients table; the first row is used",
            "patient_level",
        )
    patients = patients[~repeated].set_index("patient_id")
    out = dict(cols)
    labels = {s.canonical: s.label for s in usable}
    for column in values:
        given = cols["patient_id"].map(patients[column])
        if column in cols:
            recorded = cols[column]
            clash = given.notna() & recorded.notna() & (given != recorded)
            if clash.any():
                # One report per patient: the first row where the export disagrees.
                first_rows = clash & ~cols["patient_id"].where(clash).duplicated()
                work.problem(
                    cols["line"][first_rows],
                    labels[column],
                    shown(recorded[first_rows]),
                    f"differs from {label} (" + shown(given[first_rows]) + "), whose value is used",
                    "patient_level",
                )
            out[column] = given.combine_first(recorded).astype(DTYPES[column])
        else:
            out[column] = given.astype(DTYPES[column])
    work.absorb(sub, label)
    return out


def _day_from_infusion(cols: Cols, axis: Axis, work: ReadWork) -> Cols:
    """``day = (time − infusion_time) / 24 h`` when both are known (spec §2)."""
    if axis != "time" or "infusion_time" not in cols:
        return cols
    since = (cols["time"] - cols["infusion_time"]) / pd.Timedelta(hours=24)
    known = since.notna()
    if not known.any():
        return cols
    out = dict(cols)
    out["day"] = since.where(known, cols["day"]).astype("float64")
    work.conversions.append("day computed from time and infusion_time")
    return out
