"""The long ("flowsheet") layout (spec grading.md §1).

Columns ``patient_id``, ``time``/``day``, ``variable``, ``value`` and optionally
``unit``: each (variable, unit) pair becomes one source of its canonical column, holding
only its own rows. Variables are read like column names (crs.units.match_name); the
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

from crs.columns import SPECS
from crs.names import normalise_names, normalise_units
from crs.quality import problems_frame
from crs.readstate import ReadWork, Source
from crs.units import accepted, match_name, units_of

#: Flowsheet (long layout) column names (spec §1).
FLOWSHEET_COLUMNS = ("variable", "value", "unit")


def flowsheet_sources(
    frame: pd.DataFrame, normalised: dict[str, str], work: ReadWork
) -> tuple[list[Source], np.ndarray]:
    """The long layout pivoted: one source per (variable, unit) (spec §1, flowsheet)."""
    variable_col = normalised["variable"]
    value = frame[normalised["value"]]
    if value.dtype != "str" and value.dtype != object:
        value = value.astype("str").where(value.notna())
    variable = normalise_names(frame[variable_col])
    if "unit" in normalised:
        unit = normalise_units(frame[normalised["unit"]]).fillna("")
    else:
        unit = pd.Series("", index=frame.index, dtype="str")
    names = pd.unique(variable.dropna())
    matches = {name: match_name(name) for name in names}
    canonical = variable.map({name: m.canonical for name, m in matches.items() if m})
    unknown = (canonical.isna() & variable.notna()).to_numpy()
    for name in names:
        if matches[name] is None:
            work.unknown.append(f"{variable_col}={name}")
    sources: list[Source] = []
    combos = pd.DataFrame({"variable": variable, "unit": unit, "canonical": canonical})
    combos = combos[canonical.notna()]
    groups = combos.groupby(["variable", "unit"], sort=False).indices
    known_rows = combos.index.to_numpy()  # .indices are positions among the known rows
    position = frame.columns.get_loc(normalised["value"])
    for (var, unit_word), within in groups.items():
        positions = known_rows[within]
        match = matches[var]
        column_label = f"{normalised['value']} ({var})"
        declared = match.unit
        if unit_word and SPECS[match.canonical].kind == "numeric":
            declared = units_of(match.canonical).get(unit_word)
            if declared is None:
                unit_label = f"{normalised['unit']} ({var})"
                _report_unit(frame, normalised, positions, match.canonical, unit_label, work)
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
    return sources, unknown


def _report_unit(
    frame: pd.DataFrame,
    normalised: dict[str, str],
    positions: np.ndarray,
    canonical: str,
    label: str,
    work: ReadWork,
) -> None:
    """One line for a (variable, unit) whose unit is not one of the variable's: the first
    row's line, its unit cell as written, and how many rows it covers (spec §1 [v2])."""
    written = frame[normalised["unit"]].iloc[positions[0]]
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
