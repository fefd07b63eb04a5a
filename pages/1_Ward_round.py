"""Ward round: one row per patient, sickest first (crs.census); open a patient's timeline."""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from crs.census import filter_census
from crs.explain import unknown_words_column
from crs.reference import RECOMMENDATION_LABELS, WARNING_ALERTS, alert_words
from ui.guard import page_guard
from ui.judgment import archive_controls
from ui.session import PATIENT_KEY
from ui.setup import setup_page
from ui.store import SHOW_ARCHIVED_KEY, show_archived
from ui.style import style_grades
from ui.tables import data_table
from ui.text import md, plain

PATIENT_PAGE = "pages/2_Patient.py"

#: Census columns as clinicians read them.
HEADERS = {
    "patient_id": "Patient",
    "grade": "Grade now",
    # Beside the grade: a grade with something not known is a lower bound (grading.md §4).
    "unknown": "Lower bound — not known",
    "trend_24h": "Trend 24 h",
    "highest_grade": "Highest grade",
    "highest_grade_when": "Highest first at",
    "drivers": "Drivers now",
    "alerts": "Alerts",
    "recommendation": "Figure 2 suggestion",
    "neurotoxicity": "Neurotoxicity",
    "tocilizumab": "Tocilizumab given",
    "corticosteroids": "Corticosteroids given",
    "therapy": "Therapy",
    "day": "Day since infusion",
    "last_recorded": "Latest time point",
}

#: Short Figure 2 wording for the table (the patient page gives the full text).
SHORT_SUGGESTION = {
    "none": "—",
    "supportive_care": "Supportive care",
    "consider_immunosuppression": "Consider tocilizumab ± steroids",
    "immunosuppression": "Tocilizumab ± steroids",
    "corticosteroids_preferred": "Consider steroids first",
}

TREND_WORDS = {"worse": "▲ worse", "better": "▼ better", "same": "= same"}


def alert_badges(codes: str, after_tocilizumab: bool = False) -> str:
    """⚠ before alerts asking for action; plain words for information (CRP past peak,
    with the tocilizumab note once tocilizumab was given)."""
    listed = [code for code in str(codes or "").split(";") if code]
    words = alert_words(";".join(listed), after_tocilizumab)
    return "; ".join(
        ("⚠ " if code in WARNING_ALERTS else "") + word
        for code, word in zip(listed, words, strict=True)
    )


def open_patient(patient_id: str) -> None:
    st.session_state[PATIENT_KEY] = patient_id
    try:
        st.switch_page(PATIENT_PAGE, query_params={"patient": patient_id})
    except StreamlitAPIException:
        # This page was started on its own (not through app.py): link instead.
        st.markdown(
            md(
                "[Open the timeline of {}]({})",
                patient_id,
                "Patient?" + urlencode({"patient": patient_id}),
            )
        )


ward = setup_page("Ward round")

if ward is not None:
    with page_guard("the ward round"):
        table = ward.census()
        left, right = st.columns([3, 1])
        grades = left.multiselect(
            "Show current grades", [0, 1, 2, 3, 4, 5], default=[0, 1, 2, 3, 4, 5]
        )
        with_alerts = right.checkbox("Only patients with alerts")
        if ward.kind == "store":
            # Discharged patients leave the ward round but nothing is deleted (ward store).
            right.checkbox("Show archived patients", key=SHOW_ARCHIVED_KEY)
        shown = filter_census(table, grades=grades, with_alerts=with_alerts)
        counts = table["grade"].value_counts()
        st.caption(
            md(
                "{} patients — {}; showing {}. Sickest first. Select a row to open the timeline.",
                len(table),
                ", ".join(f"grade {g}: {int(counts.get(g, 0))}" for g in range(5, -1, -1)),
                len(shown),
            )
        )
        display = shown[list(HEADERS)].copy()
        display["recommendation"] = display["recommendation"].map(
            lambda code: SHORT_SUGGESTION.get(code, RECOMMENDATION_LABELS.get(code, code))
        )
        dosed = shown.get("tocilizumab_doses", pd.Series(0, index=shown.index)).gt(0)
        display["alerts"] = [
            alert_badges(codes, after)
            for codes, after in zip(display["alerts"], dosed, strict=True)
        ]
        display["trend_24h"] = display["trend_24h"].map(lambda t: TREND_WORDS.get(t, t))
        display["drivers"] = display["drivers"].str.replace(";", ", ")
        display["unknown"] = unknown_words_column(display["unknown"])
        display = display.rename(columns=HEADERS)
        if ward.archived and show_archived():
            archived = shown["patient_id"].astype("str").isin(sorted(ward.archived))
            display.insert(1, "Archived", archived.map({True: "archived", False: ""}).to_numpy())
        event = data_table(
            display,
            style=lambda frame: style_grades(frame, ["Grade now", "Highest grade"]),
            file_name="crs_ward_round.csv",
            download_label="Download the ward round as CSV",
            hide_index=True,
            on_select="rerun",
            selection_mode="single-row",
            key="census_table",
            # Every patient visible without scrolling on an ordinary ward (35 px a row).
            height=min(36 * (len(display) + 1) + 4, 760),
            column_config={
                "Day since infusion": st.column_config.NumberColumn(format="%.1f"),
                "Grade now": st.column_config.NumberColumn(help="Lee 2014 grade (Table 2)"),
            },
        )
        selected = list(getattr(getattr(event, "selection", None), "rows", []) or [])
        if selected and selected[0] < len(shown):
            open_patient(str(shown["patient_id"].iloc[selected[0]]))

        # Keyboard-friendly alternative to clicking a row.
        choice_col, button_col = st.columns([3, 1])
        choice = choice_col.selectbox(
            "Open a patient's timeline",
            shown["patient_id"].tolist(),
            index=None,
            placeholder="Choose a patient",
            format_func=plain,
        )
        button_col.write("")
        if button_col.button("Open timeline", disabled=choice is None) and choice is not None:
            open_patient(str(choice))

    if ward.kind == "store":
        with (
            page_guard("archiving"),
            st.expander("Discharged? Archive a patient (or bring one back)"),
        ):
            patient = st.selectbox(
                "Patient",
                table["patient_id"].astype("str").tolist(),
                index=None,
                placeholder="Choose a patient",
                key="archive_patient",
                format_func=lambda pid: (
                    plain(pid) + (" (archived)" if pid in ward.archived else "")
                ),
            )
            if patient is not None:
                archive_controls(patient, archived=patient in ward.archived, key="ward_round")
