"""Two columns of one variable, combined row by row (spec grading.md §1 [v2], §3.2).

``temp_c`` and ``temp_f``, ``crp`` and ``crp_mg_dl``, ``norepinephrine_ug_min`` and
``norepinephrine_ug_kg_min``: after conversion, a row takes the value of the column that
comes first in the file where it has one, else the other's, so nothing charted in
either is lost; a row where both have a value and they differ is reported (kind
``conflict``, with both raw cells).

[reader decision] "Differ" is judged to the precision the cells were written with: two
values agree when they are no further apart than half a unit of the last digit written
in each, in the canonical unit (38.3 °C and 100.9 °F, which is 38.28 °C, agree; an
export that charts both, one computed from the other, is not a list of conflicts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crs.read.columns import SPECS, WEIGHT_BASED_PRESSORS, empty_column
from crs.read.quality import problems_frame
from crs.read.readstate import ROW, Cols, ReadWork, raw_at, shown

#: Values closer than this (relative) are the same number written twice.
_SAME = 1e-9


@dataclass
class Gathered:
    """One canonical column gathered from the sources that fill it, in file order."""

    values: pd.Series  # one per row of the file's table
    raw: pd.Series  # the raw cell of each value taken (indexed by table position)
    scale: float | np.ndarray  # canonical units per unit written, per row
    labels: list[str]  # the sources' columns as written, in file order
    origin: np.ndarray | None  # per row, the index in ``labels`` of the value's source
    position: int  # the file place of the first source


def gather(
    gathered: Gathered | None,
    canonical: str,
    values: pd.Series,
    raw: pd.Series,
    scale: float | np.ndarray,
    label: str,
    position: int,
    work: ReadWork,
) -> Gathered:
    """Add one more source of ``canonical`` (later in the file than those gathered)."""
    if gathered is None:
        return Gathered(values, raw, scale, [label], None, position)
    has_old = gathered.values.notna().to_numpy()
    has_new = values.notna().to_numpy()
    both = has_old & has_new
    if both.any():
        _report_conflicts(gathered, canonical, values, raw, scale, label, both, work)
    take_new = has_new & ~has_old
    if not take_new.any():
        gathered.labels.append(label)
        return gathered
    rows = np.flatnonzero(take_new)
    combined = gathered.values.where(pd.Series(has_old | ~has_new), values)
    kept = gathered.raw.drop(rows, errors="ignore")
    added = raw.reindex(rows)
    if kept.dtype != added.dtype:
        kept, added = _text(kept), _text(added)
    origin = gathered.origin if gathered.origin is not None else np.zeros(len(values), "int16")
    origin = np.where(take_new, len(gathered.labels), origin).astype("int16")
    new_scale = np.where(take_new, scale, gathered.scale)
    return Gathered(
        values=combined,
        raw=pd.concat([kept, added]),
        scale=new_scale,
        labels=[*gathered.labels, label],
        origin=origin,
        position=gathered.position,
    )


def _text(raw: pd.Series) -> pd.Series:
    return raw.astype("str").where(raw.notna())


def half_step(text: pd.Series) -> np.ndarray:
    """Half a unit of the last digit written: ``38.3`` → 0.05, ``100`` → 0.5."""
    decimals = text.astype("str").str.extract(r"\d[.,](\d+)")[0].str.len()
    return 0.5 * 10.0 ** -decimals.fillna(0).to_numpy(dtype="float64")


def _differ(a: np.ndarray, b: np.ndarray, tolerance: np.ndarray | float) -> np.ndarray:
    return np.abs(a - b) > tolerance + _SAME * np.maximum(np.abs(a), np.abs(b))


def _report_conflicts(
    gathered: Gathered,
    canonical: str,
    values: pd.Series,
    raw: pd.Series,
    scale: float | np.ndarray,
    label: str,
    both: np.ndarray,
    work: ReadWork,
) -> None:
    rows = np.flatnonzero(both)
    old = gathered.values.iloc[rows].reset_index(drop=True)
    new = values.iloc[rows].reset_index(drop=True)
    old_raw = gathered.raw.reindex(rows).reset_index(drop=True)
    new_raw = raw.reindex(rows).reset_index(drop=True)
    spec = SPECS[canonical]
    if spec.kind == "numeric":
        a, b = old.to_numpy(dtype="float64"), new.to_numpy(dtype="float64")
        tolerance = half_step(old_raw) * _at(gathered.scale, rows) + half_step(new_raw) * _at(
            scale, rows
        )
        differ = _differ(a, b, tolerance)
        numbers = (
            " ("
            + pd.Series(b).map("{:g}".format)
            + " against "
            + pd.Series(a).map("{:g}".format)
            + f" {spec.unit})"
        )
    else:
        differ = (old != new).to_numpy(dtype=bool)
        numbers = pd.Series([""] * len(rows))
    if not differ.any():
        return
    first = _first_labels(gathered, rows)
    reason = (
        "differs from '"
        + shown(old_raw)
        + "' in column '"
        + first
        + "' on the same row"
        + numbers
        + "; the value of '"
        + first
        + "', the column that comes first, is used"
    )
    work.report_cells(rows[differ], label, new_raw[differ], reason[differ].to_numpy(), "conflict")


def _at(scale: float | np.ndarray, rows: np.ndarray) -> float | np.ndarray:
    return scale if np.isscalar(scale) else scale[rows]


def _first_labels(gathered: Gathered, rows: np.ndarray) -> pd.Series:
    if gathered.origin is None:
        return pd.Series([gathered.labels[0]] * len(rows))
    return pd.Series(np.array(gathered.labels, dtype=object)[gathered.origin[rows]])


# --- weight-based and per-minute pressor columns (spec §3.2) ----------------------------


def weight_based_pressors(
    cols: Cols, gathered: dict[str, Gathered], raws: dict[str, pd.Series], work: ReadWork
) -> Cols:
    """µg/kg/min × weight_kg → µg/min (spec §3.2), combined with a µg/min column.

    With a weight, the two are one variable: the column that comes first in the file
    gives the dose where it has one, and a row where they differ is a conflict. Without
    a weight, the µg/min value (when present) gives the dose and the weight-based rate
    still says the agent is running; without either, the dose is unknown (a note).
    """
    present = [c for c in WEIGHT_BASED_PRESSORS if c in cols]
    if not present:
        return cols
    out = dict(cols)
    n = len(cols["line"])
    weight = cols["weight_kg"] if "weight_kg" in cols else pd.Series(np.full(n, np.nan))
    for per_kg in present:
        per_min = WEIGHT_BASED_PRESSORS[per_kg]
        rate = cols[per_kg]
        converted = rate * weight
        documented = cols[per_min] if per_min in cols else empty_column(per_min, n)
        kg_first = per_min not in gathered or gathered[per_kg].position < gathered[per_min].position
        if kg_first:
            out[per_min] = converted.combine_first(documented)
            used = int(converted.notna().sum())
        else:
            out[per_min] = documented.combine_first(converted)
            used = int((converted.notna() & documented.isna()).sum())
        labels = (_label(gathered, per_kg), _label(gathered, per_min))
        if used:
            work.conversions.append(
                f"{labels[0]}: {SPECS[per_min].words} in µg/kg/min, converted to µg/min with "
                f"the patient's weight on {used} rows"
            )
        scales = (_scale(gathered, per_kg), _scale(gathered, per_min))
        _report_pressor_conflicts(
            cols,
            raws,
            (per_kg, per_min),
            labels,
            (converted, documented),
            weight,
            kg_first,
            work,
            scales,
        )
        no_dose = (rate.notna() & weight.isna() & documented.isna()).to_numpy()
        if no_dose.any():
            work.problems.append(
                problems_frame(
                    cols["line"][no_dose],
                    labels[0],
                    shown(rate[no_dose]),
                    f"no weight for this patient: {SPECS[per_min].words} counts as running "
                    "but its dose in µg/min is unknown (never high dose)",
                    "note",
                )
            )
    return out


def _scale(gathered: dict[str, Gathered], column: str) -> float | np.ndarray:
    """Canonical units per unit written of a gathered column (1 when not gathered)."""
    return gathered[column].scale if column in gathered else 1.0


def _at(scale: float | np.ndarray, file_rows: np.ndarray) -> float | np.ndarray:
    return scale if np.isscalar(scale) else np.asarray(scale)[file_rows]


def _label(gathered: dict[str, Gathered], column: str) -> str:
    return gathered[column].labels[0] if column in gathered else column


def _report_pressor_conflicts(
    cols: Cols,
    raws: dict[str, pd.Series],
    columns: tuple[str, str],
    labels: tuple[str, str],
    doses: tuple[pd.Series, pd.Series],
    weight: pd.Series,
    kg_first: bool,
    work: ReadWork,
    scales: tuple[float | np.ndarray, float | np.ndarray] = (1.0, 1.0),
) -> None:
    """Rows where the weight-based rate and the µg/min dose disagree: beyond the precision
    written (with a weight; a last digit of a rate per hour is worth 1/60 of one per
    minute: ``scales``), or one stopped and the other running (without one)."""
    per_kg, per_min = columns
    converted, documented = doses
    rate = cols[per_kg]
    both = (rate.notna() & documented.notna()).to_numpy()
    if not both.any():
        return
    rows = np.flatnonzero(both)
    file_rows = cols[ROW].to_numpy()[rows]
    kg_raw = raw_at(raws, per_kg, rate.iloc[rows], file_rows)
    min_raw = raw_at(raws, per_min, documented.iloc[rows], file_rows)
    w = weight.to_numpy()[rows]
    dose_kg = converted.to_numpy()[rows]
    dose_min = documented.to_numpy()[rows]
    with_weight = ~np.isnan(w)
    tolerance = half_step(kg_raw) * _at(scales[0], file_rows) * np.where(
        with_weight, w, 0
    ) + half_step(min_raw) * _at(scales[1], file_rows)
    differ = np.where(
        with_weight,
        _differ(np.nan_to_num(dose_kg), dose_min, tolerance),
        (rate.to_numpy()[rows] > 0) != (dose_min > 0),
    )
    if not differ.any():
        return
    at = np.flatnonzero(differ)
    weighed = with_weight[at]
    # With a weight the later column loses; without one the weight-based rate gives no dose.
    kg_loses = ~weighed | (not kg_first)
    column = np.where(kg_loses, labels[0], labels[1])
    raw = np.where(kg_loses, kg_raw.iloc[at], min_raw.iloc[at])
    other = np.where(kg_loses, labels[1], labels[0])
    other_raw = np.where(kg_loses, min_raw.iloc[at], kg_raw.iloc[at])
    detail = np.where(
        weighed,
        " ("
        + pd.Series(dose_kg[at]).map("{:g}".format)
        + " µg/min with the weight of "
        + pd.Series(w[at]).map("{:g}".format)
        + " kg, against "
        + pd.Series(dose_min[at]).map("{:g}".format)
        + " µg/min); the value of '"
        + pd.Series(other)
        + "', the column that comes first, is used",
        " (one says stopped, the other running); without a weight the µg/min value gives the dose",
    )
    reason = "differs from '" + pd.Series(other_raw) + "' in column '" + pd.Series(other)
    reason = reason + "' on the same row" + pd.Series(detail)
    work.problems.append(
        problems_frame(cols["line"].iloc[rows[at]], column, pd.Series(raw), reason, "conflict")
    )
