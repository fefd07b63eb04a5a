"""Patient: the Figure 3 style timeline, the Figure 2 suggestion, treatment given, doses and
the graded rows; for patients of the ward store also attribution to another cause
(grading.md §5), the audit log and archiving (docs/architecture.md §7).

A header line names the patient and the time the page was shown, kept in view on screen
and repeated at the top of every printed page (ui.style.PRINT_CSS); the number of data
problems of this patient links to their rows (issue #15).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from crs.scales import CRITERION_LABELS, driver_words_column, unknown_words_column
from crs.treatment import crp_caveat, three_sentences
from crs.views import (
    FERRITIN_NOTE,
    FIGURE_CONFIG,
    RECOMMENDATION_LABELS,
    label_alerts,
    label_codes,
)
from ui.cached import patient_timeline
from ui.guard import page_guard
from ui.judgment import (
    archive_controls,
    attribution_form,
    attributions_table,
    audit_panel,
    withdraw_form,
)
from ui.panels import (
    dose_panel,
    fold_change_table,
    grade_changes,
    recommendation_panel,
    time_point_labels,
    treatment_given,
)
from ui.report import report_button
from ui.session import PATIENT_KEY
from ui.setup import setup_page
from ui.store import patient_axis, reading_marks_warning, store_ward, ward_store
from ui.style import style_grades
from ui.tables import data_table
from ui.text import md, md_escape, md_table, plain

ROW_COLUMNS = {
    "time": "Time",
    "day": "Day",
    "grade": "Grade",
    "unknown": "Lower bound — not known",
    "drivers": "Drivers",
    "astct_grade": "ASTCT",
    "astct_drivers": "ASTCT drivers",
    "icans_grade": "ICANS",
    "icans_drivers": "ICANS drivers",
    "explanation": "Explanation",
    "recommendation": "Figure 2 suggestion",
    "alerts": "Alerts",
    "attributed": "Not CRS here (attributed)",
}

#: Values a later import changed (ward store), as clinicians read them.
CHANGE_COLUMNS = {
    "changed_at": "Changed (UTC)",
    "file_name": "By file",
    "instant": "Time point",
    "variable": "Value",
    "old": "Was",
    "new": "Now",
}


def consensus_metrics(latest: pd.Series, summary: pd.Series) -> None:
    """ASTCT 2019 CRS and ICANS beside the Lee grade: now (≥ when a lower bound), the
    highest so far, and the sentence saying why (astct.md §5)."""
    cols = st.columns([1, 1, 1, 1, 2])
    lee_unknown = unknown_words_column(pd.Series([latest["unknown"]])).iloc[0]
    icans_unknown = unknown_words_column(pd.Series([latest["icans_unknown"]])).iloc[0]
    astct_now = int(latest["astct_grade"])
    icans_now = int(latest["icans_grade"])
    cols[0].metric(
        "ASTCT CRS now",
        md("≥ {}", astct_now) if lee_unknown and astct_now < 5 else md("{}", astct_now),
        help=md("Lower bound: not known — {}", lee_unknown) if lee_unknown else None,
    )
    cols[1].metric("ASTCT highest", int(summary["astct_highest"]))
    cols[2].metric(
        "ICANS now",
        md("≥ {}", icans_now) if icans_unknown else md("{}", icans_now),
        help=md("Lower bound: not charted in the last 12 h — {}", icans_unknown)
        if icans_unknown
        else None,
    )
    cols[3].metric("ICANS highest", int(summary["icans_highest"]))
    cols[4].markdown(
        md("{}  \n{}", str(latest["astct_explanation"]), str(latest["icans_explanation"]))
    )


ward = setup_page("Patient")

if ward is not None:
    with page_guard("the patient page"):
        ids = ward.patient_ids()
        requested = st.query_params.get("patient") or st.session_state.get(PATIENT_KEY)
        if requested and requested not in ids and requested in ward.archived:
            # An archived patient stays reachable by link (to read, or to bring back).
            ward = store_ward(include_archived=True) or ward
            ids = ward.patient_ids()
        if requested and requested not in ids:
            st.warning("The patient asked for is not in the loaded ward; choose one below.")
        index = ids.index(requested) if requested in ids else 0
        patient_id = st.selectbox(
            "Patient (sickest first)",
            ids,
            index=index,
            format_func=lambda pid: plain(pid) + (" (archived)" if pid in ward.archived else ""),
        )
        st.session_state[PATIENT_KEY] = patient_id
        if st.query_params.get("patient") != patient_id:
            st.query_params["patient"] = patient_id
        rows = ward.patient(patient_id)
        latest = rows.iloc[-1]
        stored = ward.kind == "store"
        if stored and patient_id in ward.archived:
            st.warning("This patient is archived (discharged): not on the ward round.")
        if stored:  # values imported under an older reading of units (crs.store.marks)
            reading_marks_warning(ward_store(), patient_id)
        # Attributions in effect (grading.md §5): drawn on the chart, listed below.
        attributions = ward_store().attributions([patient_id]) if stored else None

        summary = ward.census().set_index("patient_id").loc[patient_id]
        problems = ward.patient_problems(patient_id)
        # A grade with something not known is a lower bound: "≥ 2".
        not_known = unknown_words_column(rows["unknown"].iloc[-1:]).iloc[0]
        grade_now = int(latest["grade"])
        shown_grade = f"≥ {grade_now}" if not_known else str(grade_now)
        with st.container(key="patient_header"):
            # Kept in view, and printed at the top of every page (ui.style.PRINT_CSS).
            st.markdown(
                md(
                    "**Patient {}** · grade now {} · ASTCT {} · ICANS {} · {} · shown {}",
                    patient_id,
                    shown_grade,
                    int(latest["astct_grade"]),
                    int(latest["icans_grade"]),
                    summary["last_recorded"] or "time not known",
                    datetime.now().strftime("%a %d %b %Y %H:%M"),
                )
                + (
                    md(
                        " · [{} data problems on this patient's rows](#data-problems)",
                        len(problems),
                    )
                    if len(problems)
                    else ""
                )
            )
        cols = st.columns([1, 1.3, 1, 1.6, 1, 1])
        cols[0].metric(
            "Grade now",
            md("{}", shown_grade),
            help=md("Lower bound: not known — {}", not_known) if not_known else None,
        )
        cols[1].metric(
            md("Highest ({})", summary["highest_grade_when"]), int(summary["highest_grade"])
        )
        cols[2].metric("Trend 24 h", md_escape(summary["trend_24h"]))
        # Therapy is a cell of the file: shown as text.
        cols[3].metric("Therapy", md_escape(summary["therapy"] or "not recorded"))
        age, weight = latest.get("age_years"), latest.get("weight_kg")
        cols[4].metric("Age", md("{:g} y", age) if pd.notna(age) else "—")
        cols[5].metric("Weight", md("{:g} kg", weight) if pd.notna(weight) else "—")
        if pd.isna(age) or pd.isna(weight):
            st.caption("—: not recorded in the export.")
        consensus_metrics(latest, summary)

        with st.container(border=True):
            recommendation_panel(latest, "Latest time point")
        report_button(ward, [patient_id], label="Download report (PDF)", key="patient_report")

    with page_guard("the timeline"):
        fig = patient_timeline(ward, patient_id, attributions)
        st.plotly_chart(fig, config=FIGURE_CONFIG, key="timeline", theme=None)
        st.caption(
            md(
                "Solid: the grade; dashed with a hollow ▵: a lower bound (something was not "
                "documented in its window; the hover says what). Download the chart as PNG "
                "with the camera button above it, or the whole report as PDF. {}",
                crp_caveat(rows),
            )
        )

    with page_guard("the treatment given"):
        treatment_given(rows)

    with page_guard("the chosen time point"):
        labels = time_point_labels(rows)
        # Default to the latest time point: what the patient has now (treatment given so
        # far included); any earlier one can be chosen.
        picked = st.selectbox(
            "Suggestion at another time point",
            range(len(rows)),
            index=len(rows) - 1,
            format_func=lambda i: plain(labels[i]),
        )
        with st.container(border=True):
            recommendation_panel(rows.iloc[picked], "Chosen time point")

    if not stored:
        st.caption(
            "Marking a finding as not CRS, the audit log and archiving are kept in the "
            "ward store: they are available for patients uploaded there, not in this "
            "read-only view."
        )
    if stored:
        with page_guard("the attributions"):
            st.subheader("Clinical judgment: findings attributed to another cause")
            st.caption(
                "The grade cannot tell CRS from sepsis or another cause. A "
                "finding marked here is left out of this patient's grade in its time range; "
                "the chart shades that range and the graded rows say what was left out."
            )
            axis = patient_axis(ward_store(), patient_id)
            every = ward_store().attributions([patient_id], active_only=False)
            if every.empty:
                st.write("No finding of this patient has been attributed to another cause.")
            else:
                data_table(
                    attributions_table(every, axis),
                    key="attributions",
                    file_name="crs_attributions.csv",
                    download_label="Download the attributions as CSV",
                    hide_index=True,
                )
            form, withdraw = st.columns(2)
            # The form starts from the time point chosen above; while that is the latest
            # (the default), from the first time point at the worst grade — the finding
            # a clinician most often calls not CRS.
            target = picked if picked != len(rows) - 1 else int(rows["grade"].to_numpy().argmax())
            with form:
                attribution_form(patient_id, rows.iloc[target], axis, key=str(target))
            active = every[every["withdrawn_at"].isna()]
            if not active.empty:
                with withdraw:
                    withdraw_form(active, axis)

    with page_guard("the dose panel"):
        # Built only when opened (on_change="rerun"): the title says what it is not.
        doses = st.expander(
            "Reference doses — not doses given or prescribed",
            key="reference_doses",
            on_change="rerun",
        )
        if doses.open:
            with doses:
                dose_panel(rows)

    with page_guard("the laboratory trends"):
        st.subheader("Laboratory trends: fold change over baseline")
        trends = fold_change_table(rows)
        if trends.empty:
            st.write("No IL-6, IFN-γ, CRP or ferritin recorded for this patient.")
        else:
            # A static table: at most four rows, and it prints (an interactive grid does not).
            st.table(md_table(trends.set_index("Marker")))
        st.caption(
            md(
                "Baseline: the last value at or before infusion, else the first value. {} {}",
                crp_caveat(rows),
                FERRITIN_NOTE,
            )
        )

    with page_guard("the graded rows"):
        st.subheader("Graded time points")
        table = rows[[c for c in ROW_COLUMNS if c in rows.columns]].copy()
        table["drivers"] = table["drivers"].str.replace(";", ", ")
        for column in ("astct_drivers", "icans_drivers"):
            table[column] = driver_words_column(table[column])
        table["explanation"] = three_sentences(rows).to_numpy()
        table["unknown"] = unknown_words_column(table["unknown"])
        if "recommendation" in table.columns:
            table["recommendation"] = table["recommendation"].map(
                lambda code: RECOMMENDATION_LABELS.get(code, code)
            )
        if "alerts" in table.columns:
            after = rows.get("after_tocilizumab", pd.Series(False, index=rows.index))
            table["alerts"] = [
                label_alerts(codes, bool(dosed))
                for codes, dosed in zip(table["alerts"], after, strict=True)
            ]
        if "attributed" in table.columns:
            table["attributed"] = table["attributed"].map(
                lambda codes: label_codes(codes, CRITERION_LABELS)
            )
        if table["time"].isna().all():
            table = table.drop(columns="time")
        else:
            table["time"] = table["time"].dt.strftime("%Y-%m-%d %H:%M").fillna("")
        table["day"] = table["day"].map("{:.2f}".format).where(table["day"].notna(), "")
        table = table.rename(columns=ROW_COLUMNS)
        with st.container(key="screen_rows"):
            data_table(
                table,
                style=lambda frame: style_grades(frame, ["Grade", "ASTCT", "ICANS"]),
                file_name="crs_patient_time_points.csv",
                download_label="Download these time points as CSV",
                hide_index=True,
                key="patient_rows",
                column_config={"Explanation": st.column_config.TextColumn(width="large")},
            )
        # Printed instead of the interactive grid (see ui.style.PRINT_CSS).
        with st.container(key="print_rows"):
            st.markdown("**Time points where the grade, its drivers or the alerts changed**")
            st.table(md_table(grade_changes(rows)))

    with page_guard("the data-quality problems"):
        st.subheader("Data-quality problems of this patient", anchor="data-problems")
        if stored:
            # The store keeps each import's report whole (a file's line numbers are not
            # tied to a patient once several exports are merged): read them on Home.
            st.write(
                "The data-quality report of every import is kept in the ward store: "
                "see Home, Imports in the ward store."
            )
        elif problems.empty:
            st.write("None on this patient's rows.")
        else:
            data_table(
                problems,
                key="patient_problems",
                file_name="crs_data_quality_patient.csv",
                download_label="Download this patient's problems as CSV",
                hide_index=True,
            )

    if stored:
        with page_guard("the audit log"):
            st.subheader("Audit log of this patient")
            audit_panel(patient_id)
        with page_guard("the changed values"):
            changes = ward_store().changes(patient_id)
            if not changes.empty:
                st.subheader("Values changed by a later export")
                shown = pd.DataFrame(
                    {
                        "changed_at": changes["changed_at"].astype("str"),
                        "file_name": changes["file_name"].astype("str"),
                        "instant": changes["instant"]
                        .dt.strftime("%Y-%m-%d %H:%M")
                        .fillna("patient-level"),
                        "variable": changes["variable"].astype("str"),
                        "old": changes["old_num"]
                        .astype("str")
                        .where(changes["old_num"].notna(), changes["old_text"].astype("str")),
                        "new": changes["new_num"]
                        .astype("str")
                        .where(changes["new_num"].notna(), changes["new_text"].astype("str")),
                    }
                ).rename(columns=CHANGE_COLUMNS)
                data_table(
                    shown,
                    key="changes",
                    file_name="crs_changed_values.csv",
                    download_label="Download the changed values as CSV",
                    hide_index=True,
                )
        with page_guard("archiving"), st.container(border=True):
            archived = patient_id in ward.archived
            st.markdown(
                "**Bring this patient back to the ward round**"
                if archived
                else "**Discharged? Archive this patient** (left out of the ward round; "
                "nothing is deleted)"
            )
            archive_controls(patient_id, archived=archived, key="patient")
