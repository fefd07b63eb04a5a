"""Weight-based doses from the text accompanying Figure 2 (shared/spec/treatment.md §3).

Shown, never prescribed. The doses are data (``crs/tables/crs_doses.csv``), each with
the sentence of Lee et al., Blood 2014;124(2):188-195 it comes from:

- tocilizumab 4 mg/kg in adults, 8 mg/kg in children, over 1 hour, with an option to
  repeat if clinical improvement does not occur within 24-48 h;
- methylprednisolone 2 mg/kg/day, weaned over several days;
- dexamethasone 0.5 mg/kg, maximum 10 mg per dose, for severe neurologic symptoms;
- stress-dose hydrocortisone after chronic corticosteroids (no dose given).

The app shows :data:`SOURCE`, :data:`ERRATUM` and :data:`LOCAL_PROTOCOL_PREVAILS` with
every dose panel. The wording per recommendation code is :func:`recommendation_table`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from crs.treatment import recommendation_table

__all__ = [
    "ADULT_AGE_YEARS",
    "DOSES",
    "ERRATUM",
    "LOCAL_PROTOCOL_PREVAILS",
    "PANEL_COLUMNS",
    "SOURCE",
    "dose_panel",
    "patient_dose_panel",
    "recommendation_table",
]

#: One row per drug and population; ``mg_per_kg`` empty where the paper gives no dose.
DOSES: pd.DataFrame = pd.read_csv(Path(__file__).parent / "tables" / "crs_doses.csv")

#: Children are under 18 years (treatment.md §3: "children (age < 18)").
ADULT_AGE_YEARS = 18.0

SOURCE = (
    "Lee DW et al. Current concepts in the diagnosis and management of cytokine release "
    "syndrome. Blood 2014;124(2):188-195 — text accompanying Figure 2 (sections "
    "'Tocilizumab' and 'Corticosteroids and other agents')."
)
ERRATUM = (
    "A 2015 erratum (Blood 2015;126(8):1048) corrected a dosage error in the article's "
    "text: check any dose against the corrected article."
)
LOCAL_PROTOCOL_PREVAILS = (
    "Shown for reference, never prescribed: local protocol and the current product label prevail."
)

PANEL_COLUMNS: tuple[str, ...] = (
    "drug",
    "population",
    "dose_per_kg",
    "mg_per_kg",
    "dose_mg",
    "dose",
    "max_dose",
    "schedule",
    "indication",
    "source",
)


def _usable(value: float | None, *, low: float, high: float) -> float:
    """The value as float, NaN when missing, not a number or outside [low, high]."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    if math.isnan(number) or not low <= number <= high:
        return math.nan
    return number


def _missing(value: object) -> bool:
    """None, NaN, NA or an empty text: nothing was recorded."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _mg(values: pd.Series) -> pd.Series:
    """Milligrams as written on a chart: 280, 17.5."""
    return values.round(1).astype("str").str.removesuffix(".0") + " mg"


def dose_panel(age_years: float | None, weight_kg: float | None) -> pd.DataFrame:
    """The dose panel for a patient of this age and weight (treatment.md §3).

    Parameters
    ----------
    age_years
        Decides tocilizumab's adult (≥ 18) or child (< 18) dose. Missing (None/NaN) or
        negative: both tocilizumab rows are shown, with mg/kg only.
    weight_kg
        Missing, zero, negative or implausible (> 500 kg): every row shows mg/kg only
        and says the dose cannot be computed.

    Returns
    -------
    DataFrame with :data:`PANEL_COLUMNS`: ``dose_per_kg`` ("4 mg/kg"), ``mg_per_kg``
    (float), ``dose_mg`` (float; NaN when it cannot be computed or the paper gives no
    dose), ``dose`` (what to show, e.g. "280 mg" or "cannot be computed: weight not
    recorded"), ``max_dose``, ``schedule``, ``indication`` and ``source`` (the paper's
    sentence).
    """
    age = _usable(age_years, low=0.0, high=130.0)
    weight = _usable(weight_kg, low=0.0, high=500.0)
    if weight == 0.0:
        weight = math.nan
    no_weight = "cannot be computed: weight not recorded"
    if math.isnan(weight) and not _missing(weight_kg):
        no_weight = f"cannot be computed: a weight of {weight_kg} kg is not usable"

    if math.isnan(age):
        population_kept = DOSES["population"].isin(["adult", "child", "any"])
    else:
        own = "adult" if age >= ADULT_AGE_YEARS else "child"
        population_kept = DOSES["population"].isin([own, "any"])
    rows = DOSES[population_kept].reset_index(drop=True)

    per_kg = rows["mg_per_kg"]
    per_day = rows["per"].eq("day")
    unit = np.where(per_day, " mg/kg/day", " mg/kg")
    dose_per_kg = (per_kg.astype("str").str.removesuffix(".0") + unit).where(
        per_kg.notna(), "no dose given in the paper"
    )

    uncapped = per_kg * weight
    dose_mg = uncapped.clip(upper=rows["max_mg_per_dose"]).round(1)
    capped = uncapped > rows["max_mg_per_dose"]
    per_words = pd.Series(np.where(per_day, " per day", " per dose"), index=rows.index)

    tocilizumab_age_unknown = rows["drug"].eq("tocilizumab") & math.isnan(age)
    dose_mg = dose_mg.where(~tocilizumab_age_unknown)
    dose = pd.Series(
        np.select(
            [
                per_kg.isna(),
                tocilizumab_age_unknown,
                pd.Series(math.isnan(weight), index=rows.index),
                capped,
            ],
            [
                "no dose given in the paper",
                "cannot be computed: age not recorded (adult and child doses differ)",
                no_weight,
                _mg(dose_mg)
                + per_words
                + " (the maximum; "
                + dose_per_kg
                + " would be "
                + _mg(uncapped)
                + ")",
            ],
            default=_mg(dose_mg) + per_words,
        ),
        index=rows.index,
        dtype="str",
    )
    max_dose = (
        rows["max_mg_per_dose"].astype("str").str.removesuffix(".0") + " mg per dose"
    ).where(rows["max_mg_per_dose"].notna(), "none stated in the paper")

    panel = pd.DataFrame(
        {
            "drug": rows["drug"],
            "population": rows["population"],
            "dose_per_kg": dose_per_kg,
            "mg_per_kg": per_kg.astype("float64"),
            "dose_mg": dose_mg.astype("float64"),
            "dose": dose,
            "max_dose": max_dose,
            "schedule": rows["schedule"],
            "indication": rows["indication"],
            "source": rows["source"],
        }
    )
    return panel.astype({name: "str" for name in PANEL_COLUMNS if name not in _FLOATS})


_FLOATS = ("mg_per_kg", "dose_mg")


def patient_dose_panel(graded: pd.DataFrame, patient_id: str) -> pd.DataFrame:
    """:func:`dose_panel` for one patient of a graded frame (patient-level age and weight).

    Uses the patient's earliest row, where the reader puts the patient-level values
    (docs/architecture.md §1.1). An unknown patient gets the panel without age or weight.
    """
    rows = graded[graded["patient_id"].astype("str") == str(patient_id)]
    if rows.empty:
        return dose_panel(None, None)
    first = rows.sort_values("instant", kind="stable").iloc[0]
    return dose_panel(first.get("age_years"), first.get("weight_kg"))
