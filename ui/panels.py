"""Patient-page panels built from one graded row (treatment.md §1–§3; grading.md §4)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crs.scales import unknown_words
from crs.treatment import doses, recommendation_table, trends
from crs.views import WARNING_ALERTS, alert_words, label_alerts
from ui.text import md, md_escape, md_table

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


def _after_tocilizumab(row: pd.Series) -> bool:
    """Whether tocilizumab had been given at this time point (crs.treatment.treatment column)."""
    value = row.get("after_tocilizumab")
    return bool(value) if value is not None and pd.notna(value) else False


def recommendation_panel(row: pd.Series, heading: str) -> None:
    """Grade, drivers, the Figure 2 branch taken (and why grade 2 is or is not high risk),
    alerts, and what was not documented — for one time point, in few page elements (a
    page of many small elements is slow to draw: issue #15)."""
    grade = int(row["grade"])
    # The explanation quotes recorded free text (symptoms): shown as text, never markup.
    explanation = _text(row, "explanation") or f"Grade {grade}."
    drivers = _text(row, "drivers").replace(";", ", ").replace("_", " ")
    # With a domain not known the grade is a lower bound, and says so.
    unknown = unknown_words(_text(row, "unknown"))
    shown = f"{grade} or higher (lower bound)" if unknown else str(grade)
    template = "**{} — {}**\n\n**Grade {}** · drivers: {}  \n{}"
    values: list[object] = [heading, when(row), shown, drivers or "none", explanation]
    code = _text(row, "recommendation")
    if code in _WORDING.index:
        template += "\n\n**Figure 2:** {}"
        values.append(_WORDING.loc[code, "wording"])
    branch = _text(row, "branch")
    if branch:
        template += "\n\nBranch taken: {}"
        values.append(branch)
    basis = _text(row, "high_risk_basis")
    if grade == 2 and basis:
        template += "\n\nHigh risk at grade 2: **{}** ({})."
        values += ["yes" if bool(row.get("high_risk_used")) else "no", basis]
    st.markdown(md(template, *values))
    notes, note_values = "", []
    if code in _WORDING.index:
        notes += "Source: {}  \n"
        note_values.append(_WORDING.loc[code, "source"])
    if basis and basis != "recorded":
        # treatment.md §1 [decision]: without a recorded high-risk flag only age counts,
        # so the clinician must know that comorbidities were not part of the decision.
        notes += (
            "Comorbidities were not recorded in the export: only age ≥ 65 counts as high "
            "risk here. Judge extensive comorbidities clinically.  \n"
        )
    if unknown:
        notes += "Not known at this time point: {} — the grade may be higher."
        note_values.append(unknown)
    if notes:
        st.caption(md(notes, *note_values))
    codes = [code for code in _text(row, "alerts").split(";") if code]
    # After tocilizumab the CRP alert adds that tocilizumab lowers CRP (treatment.md §2).
    words = dict(zip(codes, alert_words(";".join(codes), _after_tocilizumab(row)), strict=True))
    action = [words[c] for c in codes if c in WARNING_ALERTS]
    information = [words[c] for c in codes if c not in WARNING_ALERTS]
    if action:
        st.warning(md("Alert: {}", "; ".join(action)))
    if information:
        st.info(md_escape("; ".join(information)))


#: Laboratory values shown as fold change over baseline (treatment.md §4).
FOLD_CHANGE_LABS: dict[str, str] = {
    "il6_pg_ml": "IL-6 (pg/mL)",
    "ifng_pg_ml": "IFN-γ (pg/mL)",
    "crp_mg_l": "CRP (mg/L)",
    "ferritin_ng_ml": "Ferritin (ng/mL)",
}


def _number(value: float) -> str:
    """A laboratory value as written on a report: no trailing zeros, thousands separated."""
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def fold_change_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Baseline, peak and latest value of IL-6, IFN-γ, CRP and ferritin with the fold
    change over baseline (crs.treatment.trends, treatment.md §4); one row per marker measured."""
    labels = time_point_labels(rows)
    out = []
    for column, label in FOLD_CHANGE_LABS.items():
        if column not in rows.columns:
            continue
        values = pd.to_numeric(rows[column], errors="coerce").reset_index(drop=True)
        measured = values.dropna()
        if measured.empty:
            continue
        fold = trends.fold_change(rows, column).reset_index(drop=True)
        reference = trends.baseline(rows, column).iloc[0]
        peak = int(measured.idxmax())
        last = int(measured.index[-1])
        out.append(
            {
                "Marker": label,
                "Baseline": _number(reference) if pd.notna(reference) else "—",
                "Peak": _number(values[peak]),
                "Peak at": labels[peak].split(" — ")[0],
                "Peak × baseline": f"× {fold[peak]:.1f}" if pd.notna(fold[peak]) else "—",
                "Latest": _number(values[last]),
                "Latest × baseline": f"× {fold[last]:.1f}" if pd.notna(fold[last]) else "—",
            }
        )
    return pd.DataFrame(out)


#: Dose panel columns as clinicians read them (crs.treatment.doses.PANEL_COLUMNS).
DOSE_COLUMNS: dict[str, str] = {
    "population": "For",
    "dose_per_kg": "Per kg",
    "dose": "For this patient",
    "max_dose": "Maximum",
}


def _dose_table(panel: pd.DataFrame, columns: dict[str, str]) -> None:
    table = panel[list(columns)].rename(columns=columns)
    st.table(md_table(table.set_index(next(iter(columns.values())))))


def _tocilizumab_source(panel: pd.DataFrame, heading: str, source: str) -> None:
    """One source's tocilizumab rows: dose per population, then its schedule and source."""
    st.markdown(md("**{}**", heading))
    _dose_table(panel, DOSE_COLUMNS)
    schedule = "; ".join(dict.fromkeys(panel["schedule"]))
    st.markdown(md("Schedule: {}.", schedule))
    st.caption(md("Source: {}", source))


def dose_panel(rows: pd.DataFrame) -> None:
    """Reference doses (crs.treatment.doses, treatment.md §3): tocilizumab of the current product
    label first, computed for the patient's weight and capped; the paper's 2014 text beside
    it with the erratum; the paper's corticosteroid doses below. Each with its source, and
    that these are not doses given and local protocols prevail."""
    first = rows.iloc[0]
    weight, age = first.get("weight_kg"), first.get("age_years")
    known = [
        f"weight {weight:g} kg" if pd.notna(weight) else "weight not recorded",
        f"age {age:g} years" if pd.notna(age) else "age not recorded",
    ]
    st.markdown(
        md(
            "**Reference doses — not doses given or prescribed.** Computed from the {} in "
            "the uploaded data.",
            " and ".join(known),
        )
    )
    panel = doses.patient_dose_panel(rows, str(first["patient_id"]))
    tocilizumab = panel["drug"].eq("tocilizumab")
    left, right = st.columns(2)
    with left:
        _tocilizumab_source(
            panel[tocilizumab & panel["source_kind"].eq("label")],
            "Tocilizumab — current product label (the dose in use)",
            doses.SOURCES["label"],
        )
    with right:
        _tocilizumab_source(
            panel[tocilizumab & panel["source_kind"].eq("paper")],
            "Tocilizumab — the paper's 2014 text",
            f"{doses.SOURCES['paper']} {doses.ERRATUM}",
        )
    st.markdown("**Corticosteroids — the paper's text**")
    columns = {"drug": "Drug"} | DOSE_COLUMNS | {"schedule": "Schedule", "indication": "When"}
    _dose_table(panel[~tocilizumab], columns)
    st.caption(md("Source: {}", doses.SOURCES["paper"]))
    st.info(doses.LOCAL_PROTOCOL_PREVAILS)


def grade_changes(rows: pd.DataFrame) -> pd.DataFrame:
    """The time points where the grade, its drivers or the alerts changed, and the latest
    one: the patient's course in a few lines (used for the printed page)."""
    keys = (
        rows[["grade", "drivers", "alerts"]].astype("str")
        if "alerts" in rows
        else rows[["grade", "drivers"]].astype("str")
    )
    changed = (keys != keys.shift(1)).any(axis=1)
    changed.iloc[-1:] = True
    picked = rows[changed.to_numpy()]
    return pd.DataFrame(
        {
            "Time point": [label.split(" — ")[0] for label in time_point_labels(picked)],
            "Grade": picked["grade"].astype("int64").to_numpy(),
            "Drivers": picked["drivers"].str.replace(";", ", ").to_numpy(),
            "Explanation": picked["explanation"].to_numpy(),
            "Alerts": [
                label_alerts(codes, after)
                for codes, after in zip(_codes(picked), _flags(picked), strict=True)
            ],
        }
    )


def _flags(rows: pd.DataFrame) -> list[bool]:
    if "after_tocilizumab" not in rows.columns:
        return [False] * len(rows)
    return rows["after_tocilizumab"].fillna(False).astype("bool").tolist()


def _codes(rows: pd.DataFrame) -> list[str]:
    if "alerts" not in rows.columns:
        return [""] * len(rows)
    return rows["alerts"].fillna("").astype("str").tolist()


#: Treatment given (crs.treatment.given) as clinicians read it.
GIVEN_COLUMNS: dict[str, str] = {
    "dose": "Given",
    "when": "At",
    "hours_ago": "Hours before the latest time point",
    "number": "Dose (label limit)",
    "hours_since_previous": "Hours since the previous dose",
    "note": "Note",
}


def given_table(given: pd.DataFrame) -> pd.DataFrame:
    """One patient's doses (crs.treatment.given.doses_given) as a table: what, when (date-time and
    day), hours ago, the dose's number against the label's limit; blanks, not "None"."""
    when = pd.Series(time_point_labels(given.assign(grade=0)), index=given.index)
    number = given["number"].astype("int64").astype("str")
    limit = given["of"].astype("int64")
    return pd.DataFrame(
        {
            "Given": given["dose"].astype("str"),
            "At": when.str.replace(r" — grade 0$", "", regex=True),
            "Hours before the latest time point": given["hours_ago"].map("{:.1f} h".format),
            "Dose (label limit)": (number + " of " + limit.astype("str")).where(limit > 0, number),
            "Hours since the previous dose": given["hours_since_previous"]
            .map("{:.1f} h".format)
            .where(given["hours_since_previous"].notna(), ""),
            "Note": given["note"].astype("str"),
        }
    )


def treatment_given(rows: pd.DataFrame) -> None:
    """Every tocilizumab, corticosteroid and other immunosuppressant dose given, with the
    tocilizumab count against the product label (crs.treatment.given)."""
    from crs.treatment import doses_given, tocilizumab_summary

    st.subheader("Treatment given")
    given = doses_given(rows)
    if given.empty:
        st.write("No tocilizumab, corticosteroid or other immunosuppressant recorded.")
        return
    patient = str(rows["patient_id"].iloc[0])
    st.markdown(md("{}", tocilizumab_summary(given, patient)))
    st.table(md_table(given_table(given).set_index("Given")))
