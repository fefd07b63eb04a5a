"""Patient-page panels built from one graded row (treatment.md §1–§2; grading.md §4)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crs.reference import ALERT_LABELS, label_codes
from crs.treatment import recommendation_table

_WORDING = recommendation_table().set_index("code")


def when(row: pd.Series) -> str:
    """A time point as clinicians say it: day since infusion, with the clock when known."""
    parts = []
    day = row.get("day")
    if day is not None and pd.notna(day):
        parts.append(f"day {float(day):.1f}")
    time = row.get("time")
    if time is not None and pd.notna(time):
        parts.append(pd.Timestamp(time).strftime("%Y-%m-%d %H:%M"))
    return " · ".join(parts) or "time unknown"


def time_point_labels(rows: pd.DataFrame) -> list[str]:
    """'day 5.3 · 2024-03-05 14:00 — grade 3' for each row, vectorised."""
    day = pd.to_numeric(rows["day"], errors="coerce")
    day_text = ("day " + day.round(1).map("{:.1f}".format)).where(day.notna(), "")
    clock = rows["time"].dt.strftime("%Y-%m-%d %H:%M").fillna("") if "time" in rows else ""
    both = (day_text + " · " + clock).str.strip(" ·")
    both = both.where(both != "", "time unknown")
    return (both + " — grade " + rows["grade"].astype("int64").astype("str")).tolist()


def _text(row: pd.Series, column: str) -> str:
    value = row.get(column)
    return "" if value is None or pd.isna(value) else str(value)


def recommendation_panel(row: pd.Series, heading: str) -> None:
    """Grade, drivers, the Figure 2 branch taken (and why grade 2 is or is not high risk),
    alerts, and what was not documented — for one time point."""
    grade = int(row["grade"])
    st.markdown(f"**{heading} — {when(row)}**")
    explanation = _text(row, "explanation") or f"Grade {grade}."
    drivers = _text(row, "drivers").replace(";", ", ")
    st.markdown(f"**Grade {grade}** · drivers: {drivers or 'none'}  \n{explanation}")
    code = _text(row, "recommendation")
    if code in _WORDING.index:
        st.markdown(f"**Figure 2:** {_WORDING.loc[code, 'wording']}")
    branch = _text(row, "branch")
    if branch:
        st.markdown(f"Branch taken: {branch}")
    if code in _WORDING.index:
        st.caption(f"Source: {_WORDING.loc[code, 'source']}")
    basis = _text(row, "high_risk_basis")
    if grade == 2 and basis:
        high = bool(row.get("high_risk_used"))
        st.markdown(f"High risk at grade 2: **{'yes' if high else 'no'}** ({basis}).")
    if "not recorded" in basis:
        st.caption(
            "Comorbidities were not recorded in the export: only age ≥ 65 counts as high "
            "risk here. Judge extensive comorbidities clinically."
        )
    alerts = label_codes(_text(row, "alerts"), ALERT_LABELS)
    if alerts:
        st.warning(f"Alerts: {alerts}")
    unknown = _text(row, "unknown").replace(";", ", ")
    if unknown:
        st.caption(f"Not documented recently enough: {unknown} — the grade is a lower bound.")


#: Laboratory values shown as fold change over baseline (treatment.md §4).
FOLD_CHANGE_LABS: dict[str, str] = {
    "il6_pg_ml": "IL-6 (pg/mL)",
    "ifng_pg_ml": "IFN-γ (pg/mL)",
    "crp_mg_l": "CRP (mg/L)",
    "ferritin_ng_ml": "Ferritin (ng/mL)",
}


def fold_change_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Baseline, peak and latest value of each laboratory marker with fold change over
    baseline (treatment.md §4); one row per marker that was measured."""
    from crs.figures import fold_change

    day = pd.to_numeric(rows["day"], errors="coerce").reset_index(drop=True)
    labels = time_point_labels(rows)
    out = []
    for column, label in FOLD_CHANGE_LABS.items():
        if column not in rows.columns:
            continue
        values = pd.to_numeric(rows[column], errors="coerce").reset_index(drop=True)
        measured = values.dropna()
        if measured.empty:
            continue
        fold = fold_change(values, day)
        peak = int(measured.idxmax())
        last = int(measured.index[-1])
        out.append(
            {
                "Marker": label,
                "Baseline": float(values[peak] / fold[peak]) if fold[peak] > 0 else None,
                "Peak": float(values[peak]),
                "Peak at": labels[peak].split(" — ")[0],
                "Peak × baseline": round(float(fold[peak]), 1),
                "Latest": float(values[last]),
                "Latest × baseline": round(float(fold[last]), 1),
            }
        )
    return pd.DataFrame(out)
