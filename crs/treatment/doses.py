"""Reference doses for CRS, computed for the patient's weight (shared/spec/treatment.md §3).

Shown, never prescribed. The doses are data (``crs/tables/crs_doses.csv``), one row per
drug, source and population, each with the source it comes from (``source_kind``):

- ``label`` — the current US product label of tocilizumab for cytokine release syndrome
  (since 2017): 8 mg/kg for patients of 30 kg or more, 12 mg/kg under 30 kg, at most
  800 mg per dose, over 1 hour; if no clinical improvement, up to 3 further doses at
  least 8 h apart. Computed in mg for the patient's weight and capped; shown first.
- ``paper`` — the text accompanying Figure 2 of Lee et al., Blood 2014;124(2):188-195:
  tocilizumab 4 mg/kg in adults and 8 mg/kg in children (< 18 years), over 1 hour, with
  an option to repeat within 24-48 h; an erratum (Blood 2015;126(8):1048, "dosage error
  in article text") corrected a dose in that text, so the paper's tocilizumab dose is
  shown per kg beside the label and never computed [decision]. Methylprednisolone
  2 mg/kg/day weaned over several days; dexamethasone 0.5 mg/kg, maximum 10 mg per dose,
  for severe neurologic symptoms; stress-dose hydrocortisone after chronic
  corticosteroids (no dose given) — the paper is the only source for these.

The app shows :data:`SOURCES`, :data:`ERRATUM` and :data:`LOCAL_PROTOCOL_PREVAILS` with
every dose panel. The wording per recommendation code is :func:`recommendation_table`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from crs.treatment.treatment import recommendation_table

__all__ = [
    "AGE_LIMITS_YEARS",
    "DOSES",
    "ERRATUM",
    "LOCAL_PROTOCOL_PREVAILS",
    "PANEL_COLUMNS",
    "SOURCES",
    "WEIGHT_LIMITS_KG",
    "dose_panel",
    "patient_dose_panel",
    "recommendation_table",
]

#: One row per drug, source and population. Age and weight bounds choose the population
#: (lower bound inclusive, upper bound exclusive); ``mg_per_kg`` is empty where the
#: source gives no dose. Rows are shown in this order: the label first.
DOSES: pd.DataFrame = pd.read_csv(Path(__file__).parents[1] / "tables" / "crs_doses.csv")

#: A weight or age outside these limits is not used to compute a dose: the reader's
#: physiological limits (grading.md §1.1: weight 0.3-400 kg, age 0-120 years).
WEIGHT_LIMITS_KG: tuple[float, float] = (0.3, 400.0)
AGE_LIMITS_YEARS: tuple[float, float] = (0.0, 120.0)

#: Where each kind of dose comes from, as the app names it next to the dose.
SOURCES: dict[str, str] = {
    "label": (
        "Current product label: US prescribing information of tocilizumab (ACTEMRA) for "
        "cytokine release syndrome, approved 2017 — the dose in use."
    ),
    "paper": (
        "Lee DW et al. Current concepts in the diagnosis and management of cytokine release "
        "syndrome. Blood 2014;124(2):188-195 — text accompanying Figure 2 (sections "
        "'Tocilizumab' and 'Corticosteroids and other agents')."
    ),
}
#: Short source names for a table column.
SOURCE_WORDS: dict[str, str] = {
    "label": "Product label (US, 2017) — in use",
    "paper": "Lee et al. 2014, text",
}
ERRATUM = (
    'An erratum (Blood 2015;126(8):1048, "dosage error in article text") corrected a dose '
    "in the paper's text: the label dose of tocilizumab, from the current product label, is "
    "the one in use."
)
LOCAL_PROTOCOL_PREVAILS = (
    "Reference doses, never doses given or prescribed: local protocols and the current "
    "product label prevail."
)

PANEL_COLUMNS: tuple[str, ...] = (
    "drug",
    "source_kind",
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
_FLOATS = ("mg_per_kg", "dose_mg")

NOT_COMPUTED_PAPER = (
    "not computed: the paper's 2014 dose, corrected by an erratum; the label dose is in use"
)


def _usable(value: object, limits: tuple[float, float]) -> float:
    """The value as float, NaN when missing, not a number or outside ``limits``."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    low, high = limits
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


def _as_written(value: object) -> str:
    """A recorded value as a clinician would write it: 401 rather than 401.0."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _mg(values: pd.Series) -> pd.Series:
    """Milligrams as written on a chart: 280, 17.5."""
    return values.round(1).astype("str").str.removesuffix(".0") + " mg"


def _within(values: float, low: pd.Series, high: pd.Series) -> pd.Series:
    """Whether ``values`` lies in [low, high) per row; a missing bound is no bound."""
    return (low.isna() | (low <= values)) & (high.isna() | (values < high))


def _rows_for(age: float, weight: float) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """The dose rows that apply to this age and weight, with whether each depends on an
    age or a weight that is not known (then every population of that drug is shown)."""
    age_bound = DOSES["min_age_years"].notna() | DOSES["max_age_years"].notna()
    age_fits = _within(age, DOSES["min_age_years"], DOSES["max_age_years"])
    weight_fits = _within(weight, DOSES["min_weight_kg"], DOSES["max_weight_kg"])
    keep = (math.isnan(age) | age_fits | ~age_bound) & (math.isnan(weight) | weight_fits)
    rows = DOSES[keep].reset_index(drop=True)
    needs_age = (age_bound[keep] & math.isnan(age)).reset_index(drop=True)
    return rows, needs_age, pd.Series(math.isnan(weight), index=rows.index)


def dose_panel(age_years: object, weight_kg: object) -> pd.DataFrame:
    """The reference doses for a patient of this age and weight (treatment.md §3).

    Parameters
    ----------
    age_years
        Chooses the paper's adult (≥ 18) or child (< 18) tocilizumab row. Missing, not a
        number or outside 0-120 years: both are shown.
    weight_kg
        Chooses the label's tocilizumab row (≥ 30 kg: 8 mg/kg; < 30 kg: 12 mg/kg) and
        gives the mg. Missing, not a number or outside 0.3-400 kg (the reader's limits):
        both label rows are shown, every row per kg only, saying why no mg is given.

    Returns
    -------
    DataFrame with :data:`PANEL_COLUMNS`, the label's rows first: ``source_kind``
    (``label`` or ``paper``), ``population``, ``dose_per_kg`` ("8 mg/kg"), ``mg_per_kg``
    (float), ``dose_mg`` (float; NaN when not computed), ``dose`` (what to show, e.g.
    "640 mg per dose" or "cannot be computed: weight not recorded"), ``max_dose``,
    ``schedule``, ``indication`` and ``source`` (the label's terms or the paper's sentence).
    The paper's tocilizumab dose is never computed: an erratum corrected a dose in that
    text and the label dose is the one in use [decision].
    """
    age = _usable(age_years, AGE_LIMITS_YEARS)
    weight = _usable(weight_kg, WEIGHT_LIMITS_KG)
    no_weight = "cannot be computed: weight not recorded"
    if math.isnan(weight) and not _missing(weight_kg):
        no_weight = f"cannot be computed: a weight of {_as_written(weight_kg)} kg is not usable"
    rows, needs_age, needs_weight = _rows_for(age, weight)

    per_kg = rows["mg_per_kg"]
    per_day = rows["per"].eq("day")
    unit = np.where(per_day, " mg/kg/day", " mg/kg")
    dose_per_kg = (per_kg.astype("str").str.removesuffix(".0") + unit).where(
        per_kg.notna(), "no dose given"
    )
    # The label replaces the paper's dose of a drug it covers (the erratum, spec §3).
    labelled = rows["drug"].isin(rows.loc[rows["source_kind"].eq("label"), "drug"])
    superseded = rows["source_kind"].eq("paper") & labelled

    uncapped = per_kg * weight
    capped = uncapped > rows["max_mg_per_dose"]
    dose_mg = uncapped.clip(upper=rows["max_mg_per_dose"]).round(1)
    dose_mg = dose_mg.where(~(superseded | needs_age | needs_weight | per_kg.isna()))
    per_words = pd.Series(np.where(per_day, " per day", " per dose"), index=rows.index)
    dose = pd.Series(
        np.select(
            [per_kg.isna(), superseded, needs_weight, needs_age, capped],
            [
                "no dose given in the paper",
                NOT_COMPUTED_PAPER,
                no_weight,
                "cannot be computed: age not recorded (adult and child doses differ)",
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
    ).where(rows["max_mg_per_dose"].notna(), "none stated")

    panel = pd.DataFrame(
        {
            "drug": rows["drug"],
            "source_kind": rows["source_kind"],
            "population": rows["population"],
            "dose_per_kg": dose_per_kg,
            "mg_per_kg": per_kg.astype("float64"),
            "dose_mg": dose_mg.astype("float64"),
            "dose": dose,
            "max_dose": max_dose,
            "schedule": rows["schedule"].fillna(""),
            "indication": rows["indication"],
            "source": rows["source"],
        }
    )
    return panel.astype({name: "str" for name in PANEL_COLUMNS if name not in _FLOATS})


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
