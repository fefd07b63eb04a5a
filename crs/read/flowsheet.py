"""The long ("flowsheet") layout (spec grading.md §1).

Columns ``patient_id``, ``time``/``day``, ``variable``, ``value`` and optionally
``unit``: each (variable, unit) pair becomes one source of its canonical column, holding
only its own rows. Variables are read like column names (crs.read.units.match_name); the
``unit`` cell, through the same units table, gives the unit of the row's value (``crp``
in ``mg/dL`` is × 10; ``norepinephrine`` in ``mcg/kg/min`` fills the weight-based
column), and a variable without a unit cell is read like a column whose name gives no
unit (its values' median decides, crs/tables/unit_checks.csv). A unit that is not one
of its variable's is reported once per (variable, unit), with the count of its rows.
Rows of one instant are merged afterwards like any other rows (spec §1.1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crs.read.columns import SPECS
from crs.read.mapping import ColumnMapping, checked
from crs.read.names import normalise_names, normalise_units
from crs.read.quality import problems_frame
from crs.read.readstate import ReadWork, Source
from crs.read.units import NameMatch, accepted, match_name, not_graded_match, units_of

#: Flowsheet (long layout) column names (spec §1).
FLOWSHEET_COLUMNS = ("variable", "value", "unit")


def flowsheet_sources(
    frame: pd.DataFrame,
    layout: dict[str, list[str]],
    work: ReadWork,
    mapping: ColumnMapping | None = None,
) -> tuple[list[Source], np.ndarray, np.ndarray]:
    """The long layout pivoted: one source per (variable, unit) (spec §1, flowsheet).

    ``layout``: the file's columns for ``variable``, ``value`` and ``unit`` (as written;
    a research extract may have two value columns, MIMIC-IV's ``valuenum`` and ``value``:
    a row's number is taken first, its text otherwise). Returns the sources, the rows of
    variables nobody knows (reported row by row later) and the rows left out on purpose —
    a variable recognised but not graded (heart rate, SpO2 …) or mapped as "not used" —
    reported here once per variable with its count.
    """
    variable_col = layout["variable"][0]
    value_col, value = _values(frame, layout["value"])
    raw_variable = frame[variable_col]
    variable = normalise_names(raw_variable)
    if "unit" in layout:
        unit = normalise_units(frame[layout["unit"][0]]).fillna("")
    else:
        unit = pd.Series("", index=frame.index, dtype="str")
    work.unknown.extend(
        written for name in ("variable", "unit") for written in layout.get(name, [])[1:]
    )
    names = pd.unique(variable.dropna())
    matches: dict[str, NameMatch | None] = {}
    left_out_names: dict[str, str] = {}
    for name in names:
        matches[name], why = _variable_match(name, mapping, work)
        if why is not None:
            left_out_names[name] = why
    canonical = variable.map({name: m.canonical for name, m in matches.items() if m})
    left_out = variable.isin(list(left_out_names)).to_numpy()
    unknown = (canonical.isna() & variable.notna()).to_numpy() & ~left_out
    for name in names:
        if matches[name] is None and name not in left_out_names:
            work.unknown.append(f"{variable_col}={name}")
    _report_left_out(raw_variable, variable, left_out_names, variable_col, work)
    sources: list[Source] = []
    combos = pd.DataFrame({"variable": variable, "unit": unit, "canonical": canonical})
    combos = combos[canonical.notna()]
    groups = combos.groupby(["variable", "unit"], sort=False).indices
    known_rows = combos.index.to_numpy()  # .indices are positions among the known rows
    position = frame.columns.get_loc(value_col)
    for (var, unit_word), within in groups.items():
        positions = known_rows[within]
        match = matches[var]
        column_label = f"{value_col} ({var})"
        declared = match.unit
        if unit_word and SPECS[match.canonical].kind == "numeric":
            declared = units_of(match.canonical).get(unit_word)
            if declared is None:
                unit_label = f"{layout['unit'][0]} ({var})"
                _report_unit(frame, layout, positions, match.canonical, unit_label, work)
                continue
        sources.append(
            Source(
                canonical=declared.target if declared is not None else match.canonical,
                raw=value.iloc[positions],  # indexed by their position in the file's table
                label=column_label,
                unit=declared,
                rows=positions,
                position=position,
            )
        )
    return sources, unknown, left_out


def _values(frame: pd.DataFrame, columns: list[str]) -> tuple[str, pd.Series]:
    """The value column as text: numbers first (``valuenum``), then a text column's cell
    where the row has no number (``value``: a device word); its first column's name."""
    ordered = sorted(columns, key=lambda c: frame[c].dtype == "str" or frame[c].dtype == object)
    value = None
    for column in ordered:
        cells = frame[column]
        if cells.dtype != "str" and cells.dtype != object:
            cells = cells.astype("str").where(cells.notna())
        value = cells if value is None else value.where(value.notna(), cells)
    return ordered[0], value


def _variable_match(
    name: str, mapping: ColumnMapping | None, work: ReadWork
) -> tuple[NameMatch | None, str | None]:
    """A variable name read: (match, None); or (None, why it is left out on purpose);
    or (None, None) when nobody knows it. The mapping comes first (crs.read.mapping)."""
    entry = mapping.get(name) if mapping else None
    if entry is not None:
        entry = checked(entry, work.label)
        work.mapped.append(entry.sentence())
        if not entry.used:
            return None, "not used, as mapped"
        canonical, unit = entry.target()
        return NameMatch(canonical, unit), None
    match = match_name(name)
    if match is not None:
        return match, None
    known = not_graded_match(name)
    if known is not None:
        work.not_graded.append(f"'{name}': {known.label}, not graded ({known.why})")
        return None, f"{known.label}, recognised but not graded"
    return None, None


def _report_left_out(
    raw_variable: pd.Series,
    variable: pd.Series,
    left_out: dict[str, str],
    column: str,
    work: ReadWork,
) -> None:
    """One line per variable left out on purpose: its first row, its count."""
    if not left_out:
        return
    rows = variable[variable.isin(list(left_out))]
    first = rows.groupby(rows, sort=False).head(1)
    counts = rows.value_counts()
    positions = first.index.to_numpy()
    reasons = [
        f"{left_out[name]}: its {counts[name]} row(s) are not graded" for name in first.to_numpy()
    ]
    work.problems.append(
        problems_frame(
            pd.Series(work.lines[positions]),
            column,
            raw_variable.iloc[positions].reset_index(drop=True),
            pd.Series(reasons, dtype="str"),
            "not_graded",
        )
    )


def _report_unit(
    frame: pd.DataFrame,
    layout: dict[str, list[str]],
    positions: np.ndarray,
    canonical: str,
    label: str,
    work: ReadWork,
) -> None:
    """One line for a (variable, unit) whose unit is not one of the variable's: the first
    row's line, its unit cell as written, and how many rows it covers (spec §1 [v2])."""
    written = frame[layout["unit"][0]].iloc[positions[0]]
    count = len(positions)
    words = SPECS[canonical].words
    units = accepted(canonical)
    why = (
        f"unit '{written}' is not a unit of {words} (accepted: {units})"
        if units
        else f"{words} is written without a unit, not '{written}'"
    )
    where = "on this row" if count == 1 else f"on its {count} rows (this line and {count - 1} more)"
    work.problems.append(
        problems_frame(
            pd.Series([work.lines[positions[0]]]),
            label,
            pd.Series([str(written)]),
            f"{why}; set to missing {where}",
            "unparseable",
        )
    )
