"""Patient: the Figure 3 style timeline, the Figure 2 suggestion, doses and the graded rows."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crs import trends
from crs.figures import FIGURE_CONFIG, timeline_figure
from crs.reference import (
    ALERT_LABELS,
    CRP_CAVEAT,
    FERRITIN_NOTE,
    RECOMMENDATION_LABELS,
    label_codes,
)
from ui.guard import page_guard
from ui.panels import (
    dose_panel,
    fold_change_table,
    grade_changes,
    recommendation_panel,
    time_point_labels,
)
from ui.session import PATIENT_KEY
from ui.setup import setup_page
from ui.style import style_grades

ROW_COLUMNS = {
    "time": "Time",
    "day": "Day",
    "grade": "Grade",
    "drivers": "Drivers",
    "explanation": "Explanation",
    "unknown": "Not documented",
    "recommendation": "Figure 2 suggestion",
    "alerts": "Alerts",
}

ward = setup_page("Patient")

if ward is not None:
    with page_guard("the patient page"):
        ids = ward.patient_ids()
        requested = st.query_params.get("patient") or st.session_state.get(PATIENT_KEY)
        if requested and requested not in ids:
            st.warning("The patient asked for is not in the loaded ward; choose one below.")
        index = ids.index(requested) if requested in ids else 0
        patient_id = st.selectbox("Patient (sickest first)", ids, index=index)
        st.session_state[PATIENT_KEY] = patient_id
        if st.query_params.get("patient") != patient_id:
            st.query_params["patient"] = patient_id
        rows = ward.patient(patient_id)
        latest = rows.iloc[-1]

        summary = ward.census().set_index("patient_id").loc[patient_id]
        cols = st.columns(6)
        cols[0].metric("Grade now", int(latest["grade"]))
        cols[1].metric(f"Highest ({summary['highest_grade_when']})", int(summary["highest_grade"]))
        cols[2].metric("Trend 24 h", summary["trend_24h"])
        cols[3].metric("Therapy", str(summary["therapy"] or "not recorded"))
        age, weight = latest.get("age_years"), latest.get("weight_kg")
        cols[4].metric("Age", f"{age:g} y" if pd.notna(age) else "not recorded")
        cols[5].metric("Weight", f"{weight:g} kg" if pd.notna(weight) else "not recorded")

        with st.container(border=True):
            recommendation_panel(latest, "Latest time point")

    with page_guard("the timeline"):
        peaks = trends.crp_peaks(rows)
        fig = timeline_figure(rows, crp_peaks=peaks["instant"], title=f"Patient {patient_id}")
        st.plotly_chart(fig, config=FIGURE_CONFIG, key="timeline")
        st.caption(
            "Download the chart as PNG with the camera button above it; print this page "
            "(A4 landscape) from the browser. " + CRP_CAVEAT
        )

    with page_guard("the chosen time point"):
        labels = time_point_labels(rows)
        # Default to the first time point at the patient's worst grade: the one a ward
        # round most often wants to revisit.
        worst = int(rows["grade"].to_numpy().argmax())
        picked = st.selectbox(
            "Suggestion at another time point",
            range(len(rows)),
            index=worst,
            format_func=lambda i: labels[i],
        )
        with st.container(border=True):
            recommendation_panel(rows.iloc[picked], "Chosen time point")

    with page_guard("the dose panel"), st.container(border=True):
        dose_panel(rows)

    with page_guard("the laboratory trends"):
        st.subheader("Laboratory trends: fold change over baseline")
        trends = fold_change_table(rows)
        if trends.empty:
            st.write("No IL-6, IFN-γ, CRP or ferritin recorded for this patient.")
        else:
            # A static table: at most four rows, and it prints (an interactive grid does not).
            st.table(trends.set_index("Marker"))
        st.caption(
            "Baseline: the last value at or before infusion, else the first value. "
            + CRP_CAVEAT
            + " "
            + FERRITIN_NOTE
        )

    with page_guard("the graded rows"):
        st.subheader("Graded time points")
        table = rows[[c for c in ROW_COLUMNS if c in rows.columns]].copy()
        table["drivers"] = table["drivers"].str.replace(";", ", ")
        table["unknown"] = table["unknown"].str.replace(";", ", ")
        if "recommendation" in table.columns:
            table["recommendation"] = table["recommendation"].map(
                lambda code: RECOMMENDATION_LABELS.get(code, code)
            )
        if "alerts" in table.columns:
            table["alerts"] = table["alerts"].map(lambda codes: label_codes(codes, ALERT_LABELS))
        if table["time"].isna().all():
            table = table.drop(columns="time")
        table = table.rename(columns=ROW_COLUMNS)
        with st.container(key="screen_rows"):
            st.dataframe(
                style_grades(table, ["Grade"]),
                hide_index=True,
                key="patient_rows",
                column_config={
                    "Day": st.column_config.NumberColumn(format="%.2f"),
                    "Time": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                    "Explanation": st.column_config.TextColumn(width="large"),
                },
            )
        # Printed instead of the interactive grid (see ui.style.PRINT_CSS).
        with st.container(key="print_rows"):
            st.markdown("**Time points where the grade, its drivers or the alerts changed**")
            st.table(grade_changes(rows))

    with page_guard("the data-quality problems"):
        st.subheader("Data-quality problems of this patient")
        problems = ward.patient_problems(patient_id)
        if problems.empty:
            st.write("None on this patient's rows.")
        else:
            st.dataframe(problems, hide_index=True, key="patient_problems")
