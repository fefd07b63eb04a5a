"""Treatment given: every immunosuppressant dose recorded for a patient (issue #15).

Figure 2 of Lee et al. 2014 turns on what was already given: tocilizumab first, a second
dose "if the patient's condition does not improve or stabilize within 24 hours", and
corticosteroids after it or first-line for neurologic dysfunction. A ward round needs the
list — "tocilizumab 240 mg at 15:30, 40.5 h ago" — to decide a repeat dose, so this module
lists every dose recorded on a row (doses count on the row they were given, grading.md
§2): tocilizumab, methylprednisolone, dexamethasone (mg) and any other immunosuppressant
written as text (etanercept, siltuximab …; "none", "0", "n/a" mean nothing given,
crs.treatment.treatment.NO_AGENT_WORDS).

Tocilizumab doses are counted against the product label's limit, read from
``crs/tables/crs_doses.csv`` (label rows, columns ``max_doses`` and
``min_interval_hours``: "if no clinical improvement, up to 3 further doses at least
8 hours apart", i.e. 4 in all): each dose says its number ("2 of 4"), the hours since the
previous dose, and whether it came sooner than the label allows or beyond its number.

"Hours ago" counts back from the patient's latest time point (the export is a snapshot:
its latest row is the round's "now"), never from the computer's clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crs.treatment.doses import DOSES
from crs.treatment.treatment import NO_AGENT_WORDS

#: Immunosuppressant dose columns (mg) in the order they are listed: drug name and kind.
DOSE_COLUMNS: dict[str, tuple[str, str]] = {
    "tocilizumab_mg": ("tocilizumab", "tocilizumab"),
    "methylprednisolone_mg": ("methylprednisolone", "corticosteroid"),
    "dexamethasone_mg": ("dexamethasone", "corticosteroid"),
}
#: The free-text column of other immunosuppressants (the agent as written).
OTHER_COLUMN = "other_immunosuppressant"

#: Columns of :func:`doses_given`.
GIVEN_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "instant",
    "time",
    "day",
    "drug",
    "kind",
    "dose_mg",
    "dose",
    "hours_ago",
    "number",
    "of",
    "hours_since_previous",
    "note",
)


@dataclass(frozen=True)
class LabelLimit:
    """The product label's limit on repeated doses of one drug (crs_doses.csv)."""

    drug: str
    max_doses: int
    min_interval_hours: float


def label_limits() -> dict[str, LabelLimit]:
    """Per drug, the label's number of doses in all and hours between them."""
    label = DOSES[DOSES["source_kind"].eq("label") & DOSES["max_doses"].notna()]
    limits = {}
    for drug, rows in label.groupby("drug", sort=False):  # a drug or two, not rows
        limits[str(drug)] = LabelLimit(
            str(drug),
            int(rows["max_doses"].min()),
            float(rows["min_interval_hours"].max()),
        )
    return limits


LIMITS: dict[str, LabelLimit] = label_limits()


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[column], errors="coerce").astype("float64")


def _mg_text(values: pd.Series) -> pd.Series:
    return values.round(1).map("{:g} mg".format).astype("str")


def _one_drug(graded: pd.DataFrame, column: str, drug: str, kind: str) -> pd.DataFrame:
    dose = _numeric(graded, column)
    given = dose > 0
    rows = graded[given]
    return pd.DataFrame(
        {
            "patient_id": rows["patient_id"].astype("str"),
            "instant": rows["instant"],
            "drug": drug,
            "kind": kind,
            "dose_mg": dose[given],
            "dose": drug + " " + _mg_text(dose[given]),
        }
    )


def _other(graded: pd.DataFrame) -> pd.DataFrame:
    if OTHER_COLUMN not in graded.columns:
        return pd.DataFrame()
    text = graded[OTHER_COLUMN].astype("str").str.strip()
    given = graded[OTHER_COLUMN].notna() & ~text.str.lower().isin(NO_AGENT_WORDS)
    rows = graded[given]
    return pd.DataFrame(
        {
            "patient_id": rows["patient_id"].astype("str"),
            "instant": rows["instant"],
            "drug": text[given],
            "kind": "other immunosuppressant",
            "dose_mg": np.nan,
            "dose": text[given],
        }
    )


def doses_given(graded: pd.DataFrame) -> pd.DataFrame:
    """One row per dose given, per patient in time order (columns :data:`GIVEN_COLUMNS`).

    ``number`` is the dose's rank among the patient's doses of that drug; ``of`` the
    label's number of doses in all (0 when the label sets none); ``hours_since_previous``
    the hours since the previous dose of the same drug (NaN for the first);
    ``hours_ago`` the hours before the patient's latest time point; ``note`` says when a
    tocilizumab dose came sooner than the label's interval or beyond its number.
    """
    parts = [_one_drug(graded, c, drug, kind) for c, (drug, kind) in DOSE_COLUMNS.items()]
    parts.append(_other(graded))
    parts = [p for p in parts if len(p)]
    if not parts or graded.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in GIVEN_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    where = graded[["patient_id", "instant", "time", "day"]].drop_duplicates(
        ["patient_id", "instant"]
    )
    where = where.assign(patient_id=where["patient_id"].astype("str"))
    out = out.merge(where, on=["patient_id", "instant"], how="left")
    latest = graded.groupby(graded["patient_id"].astype("str"), sort=False)["instant"].max()
    out["hours_ago"] = (out["patient_id"].map(latest) - out["instant"]).dt.total_seconds() / 3600
    order = pd.Series(pd.unique(graded["patient_id"].astype("str")))
    rank = pd.Series(np.arange(len(order)), index=order.to_numpy())
    out["_patient"] = out["patient_id"].map(rank)
    out = out.sort_values(["_patient", "instant", "kind"], kind="stable").drop(columns="_patient")
    by_drug = out.groupby(["patient_id", "drug"], sort=False)
    out["number"] = by_drug.cumcount() + 1
    previous = by_drug["instant"].shift(1)
    out["hours_since_previous"] = (out["instant"] - previous).dt.total_seconds() / 3600
    out["of"] = out["drug"].map({d: lim.max_doses for d, lim in LIMITS.items()}).fillna(0)
    out["of"] = out["of"].astype("int64")
    out["note"] = _notes(out)
    return out[list(GIVEN_COLUMNS)].reset_index(drop=True)


def _notes(out: pd.DataFrame) -> pd.Series:
    """The label's limits, said where a dose broke them (and nothing elsewhere)."""
    note = np.full(len(out), "", dtype=object)
    for drug, limit in LIMITS.items():
        mine = out["drug"].eq(drug).to_numpy()
        soon = mine & (out["hours_since_previous"] < limit.min_interval_hours).to_numpy()
        beyond = mine & (out["number"] > limit.max_doses).to_numpy()
        interval = f"{limit.min_interval_hours:g} h"
        early = f"less than {interval} after the previous dose (label: at least {interval} apart)"
        many = f"more than the label's {limit.max_doses} doses"
        note = np.where(soon & beyond, early + "; " + many, note)
        note = np.where(soon & ~beyond, early, note)
        note = np.where(beyond & ~soon, many, note)
    return pd.Series(note, index=out.index, dtype="str")


def tocilizumab_summary(given: pd.DataFrame, patient_id: str) -> str:
    """'2 of at most 4 label doses given; the last 40.5 h ago (at least 8 h apart)'."""
    limit = LIMITS.get("tocilizumab")
    mine = given[given["patient_id"].eq(patient_id) & given["drug"].eq("tocilizumab")]
    if mine.empty:
        return "No tocilizumab given."
    last = mine.iloc[-1]
    text = f"Tocilizumab: {len(mine)} dose{'s' if len(mine) > 1 else ''} given"
    if limit is not None:
        left = max(limit.max_doses - len(mine), 0)
        text += (
            f" of at most {limit.max_doses} on the product label ({left} more allowed, "
            f"at least {limit.min_interval_hours:g} h apart, if no clinical improvement)"
        )
    return text + f"; the last {last['hours_ago']:.1f} h before the latest time point."
