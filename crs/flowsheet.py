"""The long ("flowsheet") layout (spec grading.md §1).

Columns ``patient_id``, ``time``/``day``, ``variable``, ``value`` and optionally
``unit``: each (variable, unit) pair becomes one source of its canonical column, holding
only its own rows, with the ``unit`` cell driving the conversion (``crp`` in ``mg/dL`` is
×10). Rows of one instant are merged afterwards like any other rows (spec §1.1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crs.columns import (
    ALIASES,
    FLOWSHEET_UNITS,
    SPECS,
    UNIT_ALIASES,
    UNITLESS_TEMPERATURE,
    WEIGHT_BASED_PRESSORS,
)
from crs.names import normalise_name, normalise_names
from crs.readstate import ReadWork, Source

#: Flowsheet (long layout) column names (spec §1).
FLOWSHEET_COLUMNS = ("variable", "value", "unit")

#: Extra unit words accepted as the canonical unit in a flowsheet's unit column.
IDENTITY_UNITS: dict[str, frozenset[str]] = {
    "temp_c": frozenset({"c", "°c", "degc", "deg_c", "celsius"}),
    "fio2": frozenset({"%", "pct", "percent"}),
    "lvef_pct": frozenset({"%", "pct", "percent"}),
    "crp_mg_l": frozenset({"mg_l"}),
    "ferritin_ng_ml": frozenset({"ng_ml", "ug_l"}),
}


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
        unit = normalise_names(frame[normalised["unit"]]).fillna("")
    else:
        unit = pd.Series("", index=frame.index, dtype="str")
    canonical = variable.map(ALIASES)
    unknown = (canonical.isna() & variable.notna()).to_numpy()
    for name in pd.unique(variable[unknown]):
        work.unknown.append(f"{variable_col}={name}")
    sources: list[Source] = []
    combos = pd.DataFrame({"variable": variable, "unit": unit, "canonical": canonical})
    combos = combos[canonical.notna()]
    groups = combos.groupby(["variable", "unit"], sort=False).indices
    known_rows = combos.index.to_numpy()  # .indices are positions among the known rows
    for (var, unit_word), within in groups.items():
        positions = known_rows[within]
        target = ALIASES[var]
        conversion = UNIT_ALIASES[var][1] if var in UNIT_ALIASES else None
        spec = SPECS[target]
        column_label = f"{normalised['value']} ({var})"
        if unit_word and spec.kind == "numeric":
            resolved = flowsheet_unit(target, unit_word)
            if resolved is None:
                accepted = sorted({spec.unit, *FLOWSHEET_UNITS.get(target, {})})
                work.report_cells(
                    positions,
                    column_label,
                    value.iloc[positions],
                    f"unit '{unit_word}' is not a unit for {target} (accepted: "
                    f"{', '.join(accepted)}); set to missing",
                    "unparseable",
                )
                continue
            target, conversion = resolved
        # Only this variable's cells, indexed by their position in the file's table.
        raw = value.iloc[positions]
        sources.append(
            Source(
                canonical=target,
                raw=raw,
                label=column_label,
                conversion=conversion,
                unitless_temperature=var in UNITLESS_TEMPERATURE and not unit_word,
                rows=positions,
            )
        )
    return sources, unknown


def flowsheet_unit(canonical: str, unit: str) -> tuple[str, str | None] | None:
    """(target column, conversion) for a flowsheet unit, or None when not recognised."""
    spec = SPECS[canonical]
    if (
        unit == normalise_name(spec.unit)
        or canonical.endswith("_" + unit)
        or unit in IDENTITY_UNITS.get(canonical, ())
    ):
        return canonical, None
    conversion = FLOWSHEET_UNITS.get(canonical, {}).get(unit)
    if conversion is not None:
        return canonical, conversion
    weight_based = canonical.removesuffix("_ug_min") + "_ug_kg_min"
    if weight_based in WEIGHT_BASED_PRESSORS and unit == "ug_kg_min":
        return weight_based, None
    return None
