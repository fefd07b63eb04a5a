"""One column's numbers in canonical units, within their physiological range (spec
grading.md §1 and §1.1 [v2]).

The unit of a cell is, in order: the unit text in the cell itself (``80 µmol/L``); the
unit the column's name gives (``creatinine_umol_l``, or the long layout's ``unit``
cell); the unit its values show when the name gives none (crs/tables/unit_checks.csv:
a ``creatinine`` column with a median above 20 is µmol/L); else the canonical unit.
Conversions come from the units table (crs/tables/units.csv, :mod:`crs.read.units`). A unit
in a cell that is not a unit of the column's variable makes the cell unparseable. Then
every value outside its range (§1.1) is impossible: missing, and reported.

[reader decision] The cells that carry their own unit are converted by it and do not
count in the column's median (or maximum): a European column of ``80`` and one
``1.1 mg/dL`` is read in µmol/L, and the mg/dL cell as mg/dL.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crs.read.columns import SPECS
from crs.read.names import normalise_unit
from crs.read.neuro_words import WHOLE_NUMBER_COLUMNS, not_whole
from crs.read.numbers import ParsedColumn
from crs.read.quality import ReadWork
from crs.read.readstate import Source
from crs.read.units import Unit, accepted, canonical_reading, check_of, check_unit, units_of


@dataclass
class Part:
    """What one source gives one canonical column: the values (at the source's
    positions) and, per cell, the canonical units per unit written (``scale``: 5/9 for
    °F), with which two columns of one variable are compared to the precision written."""

    values: pd.Series
    scale: float | np.ndarray


def read_numbers(
    s: Source, parsed: ParsedColumn, raw: pd.Series, work: ReadWork
) -> dict[str, Part]:
    """The canonical column(s) one numeric source fills, converted and range-checked.

    Usually one; a cell whose own unit belongs to another column of the variable fills
    that column (``0.1 mcg/kg/min`` in a ``norepinephrine`` column is a weight-based
    rate). Only the cells with unit text are looked at one unit at a time.
    """
    values = parsed.values.to_numpy(dtype="float64", na_value=np.nan)
    own_at = parsed.units.index.to_numpy()
    unit = _column_unit(s, values, own_at, work)
    target = unit.target if unit is not None else s.canonical
    converted = unit.apply(values) if unit is not None and unit.converts else values
    parts = {target: Part(pd.Series(converted, copy=False), unit.scale if unit else 1.0)}
    if len(own_at):
        _read_cell_units(s, values, parsed.units, unit, parts, raw, work)
    for column, part in parts.items():
        part.values = check_range(part.values, raw, column, s.label, work)
    return parts


def _column_unit(s: Source, values: np.ndarray, own_at: np.ndarray, work: ReadWork) -> Unit | None:
    """The unit of the column's cells without their own (None: the canonical unit), and
    the report's sentence when it converts or was read from the values."""
    unit = s.unit
    spec = SPECS[s.canonical]
    check = check_of(s.canonical)
    bare = np.delete(values, own_at) if len(own_at) else values
    if check is not None and (unit is None or check.applies_to == "any"):
        bare = bare[~np.isnan(bare)]
        if len(bare):
            measured = check.measure(bare)
            if check.met(measured):
                read = check_unit(s.canonical, check)
                work.conversions.append(
                    f"{s.label}: {check.words(measured, True)}: read as {read.label}, "
                    f"converted to {SPECS[read.target].unit} ({read.rule()})"
                )
                return read
            if unit is None and check.applies_to == "bare":
                work.conversions.append(
                    f"{s.label}: no unit in its name, and {check.words(measured, False)}: "
                    f"read as {spec.unit}"
                )
            return None
    if unit is not None and unit.converts and not np.isnan(bare).all():
        work.conversions.append(
            f"{s.label}: read as {unit.label}, converted to {SPECS[unit.target].unit} "
            f"({unit.rule()})"
        )
    return unit


def _read_cell_units(
    s: Source,
    values: np.ndarray,
    units: pd.Series,
    column_unit: Unit | None,
    parts: dict[str, Part],
    raw: pd.Series,
    work: ReadWork,
) -> None:
    """Cells with their own unit: converted by it (and reported when it reads them
    otherwise than the column's cells), or unparseable when it is not a unit of the
    variable (spec §1 [v2])."""
    n = len(values)
    column_reading = column_unit.reading if column_unit else canonical_reading(s.canonical)
    own_at = units.index.to_numpy()
    for part in parts.values():
        part.values = part.values.copy()
        part.values.iloc[own_at] = np.nan  # read below by their own unit
    known = units_of(s.canonical)
    codes, written = pd.factorize(units)
    for code, text in enumerate(written):
        at = own_at[codes == code]
        unit = known.get(normalise_unit(text))
        if unit is None:
            words = SPECS[s.canonical].words
            reason = (
                f"'{text}' is not a unit of {words} (accepted: {accepted(s.canonical)}); "
                "set to missing"
                if known
                else f"{words} is written without a unit, not '{text}'; set to missing"
            )
            work.report_cells(at, s.label, raw.iloc[at], reason, "unparseable")
            continue
        part = parts.setdefault(
            unit.target, Part(pd.Series(np.full(n, np.nan), copy=False), unit.scale)
        )
        read = unit.apply(values[at])
        part.values.iloc[at] = read
        if np.isscalar(part.scale) and part.scale != unit.scale:
            part.scale = np.full(n, part.scale)
        if not np.isscalar(part.scale):
            part.scale[at] = unit.scale
        if unit.reading != column_reading:
            target = SPECS[unit.target]
            reason = (
                f"unit {unit.label} in the cell: read as "
                + pd.Series(read).map("{:g}".format)
                + f" {target.unit}"
                + (" (a weight-based rate)" if unit.target != s.canonical else "")
            )
            work.report_cells(at, s.label, raw.iloc[at], reason.to_numpy(), "conversion")


def check_range(
    values: pd.Series, raw: pd.Series, canonical: str, label: str, work: ReadWork
) -> pd.Series:
    """Physiologically impossible values (spec §1.1) become missing and are reported."""
    spec = SPECS[canonical]
    if canonical in WHOLE_NUMBER_COLUMNS:
        values = _whole_numbers(values, raw, canonical, label, work)
    array = values.to_numpy()
    if len(array) == 0 or (
        # Smallest and largest value (NaN only when every value is missing): two passes
        # without a temporary array settle the usual column, all within range.
        not np.fmin.reduce(array) < spec.low and not np.fmax.reduce(array) > spec.high
    ):
        return values
    with np.errstate(invalid="ignore"):
        bad = (array < spec.low) | (array > spec.high)
    if not bad.any():
        return values
    rows = np.flatnonzero(bad)
    shown = pd.Series(array[rows]).map("{:g}".format)
    low = "" if np.isinf(spec.low) else f"{spec.low:g}"
    high = "" if np.isinf(spec.high) else f"{spec.high:g}"
    if low and high:
        limits = f"outside the possible range {low}–{high} {spec.unit}"
    elif low:
        limits = f"below {low} {spec.unit}, which is impossible"
    else:
        limits = f"above {high} {spec.unit}, which is impossible"
    reason = spec.words + " " + shown + f" {spec.unit} is {limits}; set to missing"
    work.report_cells(rows, label, raw.iloc[rows], reason.to_numpy(), "impossible")
    return values.mask(bad)


def _whole_numbers(
    values: pd.Series, raw: pd.Series, canonical: str, label: str, work: ReadWork
) -> pd.Series:
    """astct.md §1.3: a score that is not a whole number (``7.5``) is impossible."""
    bad = not_whole(values.to_numpy(dtype="float64", na_value=np.nan))
    if not bad.any():
        return values
    spec = SPECS[canonical]
    rows = np.flatnonzero(bad)
    shown = pd.Series(values.to_numpy()[rows]).map("{:g}".format)
    reason = (
        spec.words + " " + shown + " is not a whole number, which is impossible; set to missing"
    )
    work.report_cells(rows, label, raw.iloc[rows], reason.to_numpy(), "impossible")
    return values.mask(bad)
