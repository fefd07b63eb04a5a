"""Laboratory trends shown next to the grade, never graded (shared/spec/treatment.md §4).

- The CRP peak, marked once ``crp_past_peak`` first holds after it. CRP, produced by the
  liver largely in response to IL-6, is a practical surrogate of IL-6 activity and its
  decline suggests the syndrome has peaked (Lee et al. 2014, text on CRP); it also rises
  with infection and lags cytokines by 1-2 days (:data:`CRP_CAVEAT`); after tocilizumab
  it falls whatever the course of CRS (:data:`TOCILIZUMAB_CRP_NOTE`, :func:`crp_caveat`).
- IL-6, IFN-γ, CRP and ferritin as fold change over the patient's baseline: the paper
  reports cytokines as fold over baseline (case 2; Figure 3).

All functions take the graded frame of docs/architecture.md §2 and never mutate it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crs.treatment.treatment import CRP_PEAK_WINDOW, recommend

#: Markers that may be shown as fold change over baseline (treatment.md §4).
FOLD_CHANGE_COLUMNS: tuple[str, ...] = ("il6_pg_ml", "ifng_pg_ml", "crp_mg_l", "ferritin_ng_ml")

#: What the app says next to the CRP panel (Lee et al. 2014, text on CRP; treatment.md §4).
CRP_CAVEAT = (
    "CRP is a surrogate of IL-6 activity: it also rises with infection, and it lags the "
    "cytokines by 1–2 days (Lee et al. 2014)."
)
#: What the app adds to the CRP alert and the CRP caveat once tocilizumab was given
#: (treatment.md §2 [v2]). CRP is made "largely in response to IL-6" (Lee et al. 2014) and
#: tocilizumab blocks the IL-6 receptor, so CRP falls after it even while CRS goes on.
TOCILIZUMAB_CRP_NOTE = (
    "Tocilizumab was given: it lowers CRP whatever the course of CRS, so a falling CRP no "
    "longer shows that the syndrome has peaked."
)
#: What the app says next to ferritin (Lee et al. 2014, Biomarkers: "extreme elevations of
#: ferritin in many patients with CRS ... further supports a link between CRS and
#: macrophage activation syndrome/HLH, but in our experience, ferritin has not
#: demonstrated utility in predicting CRS severity").
FERRITIN_CAVEAT = (
    "Ferritin is often extremely high in CRS, which the paper takes as further support for a "
    "link between CRS and macrophage activation syndrome / HLH; it has not predicted the "
    "severity of CRS (Lee et al. 2014)."
)

PEAK_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "instant",
    "time",
    "day",
    "crp_mg_l",
    "confirmed_instant",
)


def crp_caveat(graded: pd.DataFrame) -> str:
    """The CRP caveat for these rows (one patient's, as the app shows them): :data:`CRP_CAVEAT`,
    followed by :data:`TOCILIZUMAB_CRP_NOTE` when a tocilizumab dose is among the rows."""
    if "tocilizumab_mg" in graded.columns:
        doses = pd.to_numeric(graded["tocilizumab_mg"], errors="coerce")
        if (doses > 0).any():
            return f"{CRP_CAVEAT} {TOCILIZUMAB_CRP_NOTE}"
    return CRP_CAVEAT


def _check(graded: pd.DataFrame, column: str | None = None) -> None:
    needed = ["patient_id", "instant"] + ([column] if column else [])
    missing = [name for name in needed if name not in graded.columns]
    if missing:
        raise ValueError(f"The graded frame lacks the column(s) {', '.join(missing)}.")
    if column is not None and column not in FOLD_CHANGE_COLUMNS:
        raise ValueError(
            f"Fold change is shown for {', '.join(FOLD_CHANGE_COLUMNS)}, not for {column}."
        )


def _ordered(graded: pd.DataFrame) -> pd.DataFrame:
    """Rows by patient (first appearance) then instant; the input index is kept."""
    patient_code = pd.factorize(graded["patient_id"].astype("str"), use_na_sentinel=False)[0]
    return graded.assign(
        _patient_code=patient_code, instant=pd.to_datetime(graded["instant"])
    ).sort_values(["_patient_code", "instant"], kind="stable")


def _before_infusion(rows: pd.DataFrame) -> pd.Series:
    """Rows at or before infusion: day ≤ 0, or time ≤ infusion_time (treatment.md §4)."""
    at_or_before = pd.Series(False, index=rows.index)
    if "day" in rows.columns:
        at_or_before = at_or_before | (pd.to_numeric(rows["day"], errors="coerce") <= 0)
    if "time" in rows.columns and "infusion_time" in rows.columns:
        time = pd.to_datetime(rows["time"])
        infusion = pd.to_datetime(rows["infusion_time"])
        at_or_before = at_or_before | (time <= infusion)
    return at_or_before


def baseline(graded: pd.DataFrame, column: str) -> pd.Series:
    """Each patient's baseline of ``column`` (treatment.md §4; Lee et al. 2014, case 2).

    The last value at or before infusion (``day ≤ 0`` or ``time ≤ infusion_time``); a
    patient with no value before infusion gets the first value recorded. Returns a
    float Series indexed by ``patient_id`` (patients in order of first appearance), NaN
    for a patient with no value at all.
    """
    _check(graded, column)
    rows = _ordered(graded)
    values = pd.to_numeric(rows[column], errors="coerce")
    recorded = values.notna()
    patients = rows["patient_id"].astype("str")
    before = values[recorded & _before_infusion(rows)].groupby(patients, sort=False).last()
    first = values[recorded].groupby(patients, sort=False).first()
    everyone = pd.Index(patients.drop_duplicates(), name="patient_id")
    result = before.reindex(everyone).fillna(first.reindex(everyone))
    return result.astype("float64").rename(f"baseline_{column}")


def fold_change(graded: pd.DataFrame, column: str) -> pd.Series:
    """``column`` divided by the patient's :func:`baseline`, on the rows where it was recorded.

    Same index as ``graded``; NaN where the value was not recorded or the baseline is
    missing or 0 (a fold over zero has no meaning) [decision].

    Note the baseline may be a later value when nothing was recorded before infusion, so
    the fold change of an earlier row can change as data arrive; it is shown, not graded.
    """
    _check(graded, column)
    reference = baseline(graded, column)
    per_row = graded["patient_id"].astype("str").map(reference)
    per_row = per_row.where(per_row > 0)
    values = pd.to_numeric(graded[column], errors="coerce")
    return (values / per_row).astype("float64").rename(f"{column}_fold")


def crp_peaks(graded: pd.DataFrame) -> pd.DataFrame:
    """CRP peaks, each marked once ``crp_past_peak`` first holds after it (treatment.md §4).

    Every time the alert ``crp_past_peak`` comes on for a patient (a new fall confirmed),
    the peak it confirms is the highest CRP recorded since the previous such moment (or
    since the first row), up to and including this one, and no earlier than 7 days before
    the latest CRP — the window the alert measured its fall of a quarter against
    (treatment.md §2 [v2]); the earliest of equal values.
    It is marked only when it is a real peak: the first CRP of the patient, or higher
    than the CRP recorded just before it [decision: a fall that resumes after a gap,
    with no rise in between, confirms no new peak]. Before the fall is confirmed CRP may
    still be rising, so no peak is marked; every row uses only data up to it.

    Returns one row per confirmed peak, by patient then time, with the columns
    ``patient_id``, ``instant``, ``time``, ``day`` and ``crp_mg_l`` of the peak's row and
    ``confirmed_instant`` (the row on which the fall was first confirmed).
    """
    _check(graded)
    if "crp_mg_l" not in graded.columns or graded.empty:
        return _empty_peaks()
    alerts = recommend(graded, columns=("alerts",))["alerts"]
    rows = _ordered(graded.assign(_past_peak=_has_alert(alerts, "crp_past_peak")))
    patient = rows["_patient_code"]

    past_peak = rows["_past_peak"]
    onset = past_peak & ~past_peak.groupby(patient).shift(1, fill_value=False).astype("bool")
    # Rows after one onset, up to and including the next, belong to the next onset.
    episode = onset.astype("int64").groupby(patient).cumsum() - onset.astype("int64")
    onsets_so_far = onset.astype("int64").groupby(patient).transform("sum")
    onset_instant = rows["instant"].where(onset).groupby([patient, episode]).transform("max")

    crp = pd.to_numeric(rows["crp_mg_l"], errors="coerce")
    measured = crp.notna()
    previous_crp = crp[measured].groupby(patient[measured]).shift(1).reindex(rows.index)
    # The alert compares the latest CRP with the highest of the 7 days up to it: the peak
    # it confirms lies in that window (an older, higher value belongs to another wave).
    latest_crp_at = rows["instant"].where(measured).groupby(patient).ffill()
    window_opens = (
        (latest_crp_at - CRP_PEAK_WINDOW).where(onset).groupby([patient, episode]).transform("max")
    )
    candidates = rows.assign(
        _crp=crp,
        _previous_crp=previous_crp,
        _episode=episode,
        _confirmed=onset_instant,
    )[measured & (episode < onsets_so_far) & (rows["instant"] >= window_opens)]
    if candidates.empty:
        return _empty_peaks()
    # Stable sort: the highest value first, the earliest of equal values first.
    peak = (
        candidates.sort_values(
            ["_patient_code", "_episode", "_crp"], ascending=[True, True, False], kind="stable"
        )
        .groupby(["_patient_code", "_episode"], sort=True)
        .head(1)
    )
    real = peak["_previous_crp"].isna() | (peak["_crp"] > peak["_previous_crp"])
    peak = peak[real]
    if peak.empty:
        return _empty_peaks()
    result = pd.DataFrame(
        {
            "patient_id": peak["patient_id"].astype("str"),
            "instant": peak["instant"],
            "time": _column(peak, "time", pd.NaT),
            "day": _column(peak, "day", np.nan),
            "crp_mg_l": peak["_crp"].astype("float64"),
            "confirmed_instant": peak["_confirmed"],
        }
    )
    return result.reset_index(drop=True)


def _has_alert(alerts: pd.Series, code: str) -> pd.Series:
    return (";" + alerts + ";").str.contains(f";{code};", regex=False)


def _column(rows: pd.DataFrame, name: str, missing: object) -> pd.Series:
    if name in rows.columns:
        return rows[name]
    return pd.Series(missing, index=rows.index)


def _empty_peaks() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": pd.Series(dtype="str"),
            "instant": pd.Series(dtype="datetime64[us]"),
            "time": pd.Series(dtype="datetime64[us]"),
            "day": pd.Series(dtype="float64"),
            "crp_mg_l": pd.Series(dtype="float64"),
            "confirmed_instant": pd.Series(dtype="datetime64[us]"),
        }
    )
