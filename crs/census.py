"""The ward round census: one row per patient, sickest first (docs/architecture.md §6).

A pure function of the graded frame (architecture §2, plus the treatment columns of §3
when present). It answers the questions of a ward round: how sick is each patient now
(the Lee 2014 grade, Table 2), how sick were they at worst and when, which way they went
over the last 24 hours, what drove the grade, what was given (tocilizumab and
corticosteroids, Figure 2), whether neurologic signs are present (Table 1, Figure 3) and
which domains were not documented, so that the grade is a lower bound (grading.md §4).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from crs.neuro import neurotoxicity
from crs.reference import WARNING_ALERTS

#: How far back the trend looks (issue "trend over the last 24 h").
TREND_WINDOW = pd.Timedelta(hours=24)

#: Columns of the census, in display order.
CENSUS_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "therapy",
    "day",
    "grade",
    "highest_grade",
    "highest_grade_when",
    "trend_24h",
    "drivers",
    "recommendation",
    "alerts",
    "tocilizumab",
    "corticosteroids",
    "neurotoxicity",
    "unknown",
    "last_recorded",
    "tocilizumab_doses",
    "corticosteroid_doses",
    "highest_grade_instant",
    "last_instant",
)

#: Corticosteroid columns of the frame and their display names (paper's text, Figure 2).
CORTICOSTEROIDS: dict[str, str] = {
    "methylprednisolone_mg": "methylprednisolone",
    "dexamethasone_mg": "dexamethasone",
}


def _when(day: pd.Series, time: pd.Series) -> pd.Series:
    """Clinicians count days since infusion; fall back to the clock time when unknown."""
    day_text = "day " + day.round(1).map("{:g}".format)
    time_text = time.dt.strftime("%Y-%m-%d %H:%M")
    return day_text.where(day.notna(), time_text).fillna("").astype("str")


def _dose_summary(count: pd.Series, total_mg: pd.Series, label: str = "") -> pd.Series:
    """'2 × (800 mg)' style text: how many doses and how much in total; '' when none."""
    prefix = f"{label} " if label else ""
    text = (
        prefix
        + count.astype("int64").astype("str")
        + " × ("
        + total_mg.round(1).map("{:g}".format)
        + " mg)"
    )
    return text.where(count > 0, "").astype("str")


def _text(graded: pd.DataFrame, column: str) -> pd.Series:
    if column not in graded.columns:
        return pd.Series("", index=graded.index, dtype="str")
    return graded[column].fillna("").astype("str")


def census(graded: pd.DataFrame) -> pd.DataFrame:
    """One row per patient, sickest first.

    Parameters
    ----------
    graded
        The graded frame of architecture §2 (optionally with ``recommendation`` and
        ``alerts`` from the treatment algorithm, §3), sorted by patient then instant.

    Returns
    -------
    DataFrame with :data:`CENSUS_COLUMNS`:

    - ``grade``, ``drivers``, ``unknown``, ``recommendation``, ``alerts``, ``day``: the
      patient's latest graded row ("current").
    - ``highest_grade`` and when it was first reached (``highest_grade_when`` as text,
      ``highest_grade_instant``).
    - ``trend_24h``: the current grade compared with the grade in effect 24 h before the
      latest row — ``worse``, ``same`` or ``better``; ``less than 24 h recorded`` when the
      patient has no row that old (a trend would then be a guess).
    - ``tocilizumab`` and ``corticosteroids``: doses given so far (count and total mg).
    - ``neurotoxicity``: ``current``, ``earlier`` (present before, not on the latest row)
      or ``none recorded`` (see :mod:`crs.neuro`).

    Sorted sickest first: current grade, then highest grade, then patients with an alert
    asking for action (:data:`crs.reference.WARNING_ALERTS`), then the order of the file. The input frame is not modified.
    """
    if graded.empty:
        return pd.DataFrame({column: pd.Series(dtype="object") for column in CENSUS_COLUMNS})

    frame = pd.DataFrame(
        {
            "patient_id": graded["patient_id"].astype("str"),
            "instant": graded["instant"],
            "time": graded["time"] if "time" in graded.columns else pd.NaT,
            "day": pd.to_numeric(graded["day"], errors="coerce").astype("float64"),
            "grade": graded["grade"].astype("int64"),
            "therapy": _text(graded, "therapy"),
            "drivers": _text(graded, "drivers"),
            "unknown": _text(graded, "unknown"),
            "recommendation": _text(graded, "recommendation"),
            "alerts": _text(graded, "alerts"),
            "neuro": neurotoxicity(graded),
        }
    )
    # Doses are counted on the row they were given (grading.md §2: "the row itself only").
    dose_columns = {"tocilizumab_mg": "toci", **{c: c for c in CORTICOSTEROIDS}}
    for source in dose_columns:
        given = (
            pd.to_numeric(graded[source], errors="coerce").astype("float64")
            if source in graded.columns
            else pd.Series(np.nan, index=graded.index)
        )
        frame[f"{source}_given"] = (given > 0).astype("int64")
        frame[f"{source}_total"] = given.where(given > 0, 0.0)

    frame = frame.sort_values(["instant"], kind="stable")
    order = pd.unique(graded["patient_id"].astype("str"))
    by_patient = frame.groupby("patient_id", sort=False)

    latest = by_patient.tail(1).set_index("patient_id").reindex(order)
    out = pd.DataFrame(index=pd.Index(order, name="patient_id"))
    for column in ("therapy", "day", "grade", "drivers", "recommendation", "alerts", "unknown"):
        out[column] = latest[column]
    out["last_instant"] = latest["instant"]
    out["last_recorded"] = _when(latest["day"], latest["time"])

    # Highest grade so far, and the first time it was reached.
    highest = by_patient["grade"].transform("max")
    first_at_highest = (
        (frame[frame["grade"] == highest].groupby("patient_id", sort=False).head(1))
        .set_index("patient_id")
        .reindex(order)
    )
    out["highest_grade"] = first_at_highest["grade"]
    out["highest_grade_instant"] = first_at_highest["instant"]
    # "Highest grade 0, first at day -1.3" reads as an event; with no CRS there is none.
    out["highest_grade_when"] = _when(first_at_highest["day"], first_at_highest["time"]).where(
        first_at_highest["grade"] > 0, "—"
    )

    # Trend: the grade in effect 24 h before the latest row (last row at or before then).
    reference = pd.DataFrame(
        {"patient_id": order, "at": (latest["instant"] - TREND_WINDOW).to_numpy()}
    ).sort_values("at", kind="stable")
    earlier = (
        pd.merge_asof(
            reference,
            frame[["patient_id", "instant", "grade"]].rename(columns={"grade": "grade_before"}),
            left_on="at",
            right_on="instant",
            by="patient_id",
            direction="backward",
        )
        .set_index("patient_id")
        .reindex(order)
    )
    change = np.sign(out["grade"].to_numpy() - earlier["grade_before"].to_numpy())
    trend = pd.Series(
        np.select([change > 0, change < 0, change == 0], ["worse", "better", "same"], ""),
        index=out.index,
    )
    out["trend_24h"] = trend.where(earlier["grade_before"].notna(), "less than 24 h recorded")

    # Doses given so far.
    sums = by_patient[[c for c in frame.columns if c.endswith(("_given", "_total"))]].sum()
    sums = sums.reindex(order)
    out["tocilizumab_doses"] = sums["tocilizumab_mg_given"].astype("int64")
    out["tocilizumab"] = _dose_summary(sums["tocilizumab_mg_given"], sums["tocilizumab_mg_total"])
    steroid_count = sum(sums[f"{c}_given"] for c in CORTICOSTEROIDS).astype("int64")
    out["corticosteroid_doses"] = steroid_count
    steroid_text = [
        _dose_summary(sums[f"{c}_given"], sums[f"{c}_total"], label)
        for c, label in CORTICOSTEROIDS.items()
    ]
    joined = steroid_text[0].str.cat(steroid_text[1:], sep="; ")
    out["corticosteroids"] = joined.str.replace(r"^(; )+|(; )+$", "", regex=True).str.replace(
        r"(; )+", "; ", regex=True
    )

    # Neurotoxicity: on the latest row, earlier in the stay, or never recorded.
    ever = by_patient["neuro"].any().reindex(order)
    now = latest["neuro"].astype("bool")
    out["neurotoxicity"] = np.select([now, ever], ["current", "earlier"], "none recorded")

    # Among equally sick patients, those with an alert asking for action come first.
    codes = out["alerts"].str.split(";")
    out["has_alerts"] = codes.map(lambda listed: bool(WARNING_ALERTS.intersection(listed)))
    out["file_order"] = np.arange(len(out))
    out = out.sort_values(
        ["grade", "highest_grade", "has_alerts", "file_order"],
        ascending=[False, False, False, True],
        kind="stable",
    )
    out = out.reset_index()
    out["grade"] = out["grade"].astype("int64")
    out["highest_grade"] = out["highest_grade"].astype("int64")
    return out[list(CENSUS_COLUMNS)]


def filter_census(
    table: pd.DataFrame, grades: Iterable[int] | None = None, with_alerts: bool = False
) -> pd.DataFrame:
    """The census rows whose current grade is in ``grades`` (all when None) and, when
    ``with_alerts``, that carry at least one alert (treatment.md §2)."""
    keep = pd.Series(True, index=table.index)
    if grades is not None:
        keep &= table["grade"].isin(list(grades))
    if with_alerts:
        keep &= table["alerts"].fillna("") != ""
    return table[keep].reset_index(drop=True)
