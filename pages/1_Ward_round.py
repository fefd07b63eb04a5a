"""Ward round: one row per patient, sickest first (crs.views.census); open a patient's timeline.

The round's columns fit a 1,280 px screen without scrolling sideways and ten patients
show above the fold of a 1,280 × 800 laptop (issue #15); the rest of the census is behind
"More columns", and every alert and lower bound is written in full below the table.
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st
from streamlit.errors import StreamlitAPIException

from crs.scales import unknown_words
from crs.views import WARNING_ALERTS, alert_words, filter_census, round_table, sort_census
from ui.guard import page_guard
from ui.judgment import archive_controls
from ui.report import report_button
from ui.session import PATIENT_KEY
from ui.setup import setup_page
from ui.store import SHOW_ARCHIVED_KEY, show_archived
from ui.style import GRADE_FILTER_KEY, style_census
from ui.tables import data_table
from ui.text import md, md_escape, plain

PATIENT_PAGE = "pages/2_Patient.py"
#: The grid's grade columns (numbers, coloured by grade).
GRADE_HEADERS = ("Grade now", "Highest", "ASTCT", "ASTCT highest", "ICANS", "ICANS highest")
#: One grid row and the header row, in pixels (one line of text at the app's font size).
ROW_PX = 33

#: Widths (px) of the round's columns: together they fit a 1,280 px screen.
WIDTHS: dict[str, int] = {
    "Bed": 56,
    "Name": 120,
    "Patient": 62,
    "Grade now": 72,
    "Highest": 58,
    "ASTCT": 52,
    "ICANS": 52,
    "Trend 24 h": 66,
    "Drivers now": 128,
    "Figure 2 suggestion": 128,
    "Alerts": 118,
    "Tmax 24 h": 62,
    "Low SBP/MAP": 80,
    "NE-eq μg/min": 82,
    "Oxygen now": 112,
    "Neuro now": 76,
    "Last toci": 64,
}
HELP: dict[str, str] = {
    "Grade now": "Lee 2014 grade (Table 2) at the latest time point; ≥ marks a lower bound "
    "(something was not documented: see below the table)",
    "Highest": "Highest grade so far",
    "Tmax 24 h": "Highest temperature charted in the 24 h up to the latest time point",
    "Low SBP/MAP": "Lowest systolic and mean arterial pressure charted in those 24 h (mmHg)",
    "NE-eq μg/min": "Vasopressors running now, as norepinephrine equivalent in μg/min (Table 3)",
    "Oxygen now": "Oxygen in effect now: device and FiO2 (≈: estimated from the flow)",
    "Neuro now": "Neurotoxicity grade (CTCAE) and ICE score in effect now",
    "Last toci": "Hours from the last tocilizumab dose to the latest time point",
    "Alerts": "Figure 2 alerts; the full sentences are listed below the table",
    "ASTCT": "ASTCT 2019 consensus CRS grade at the latest time point (fever required; "
    "oxygen by device; vasopressors counted)",
    "ICANS": "ASTCT 2019 neurotoxicity (ICANS) grade at the latest time point: the worst "
    "of ICE or CAPD, level of consciousness, seizure, motor weakness and cerebral oedema; "
    "≥ marks a lower bound (no ICE or CAPD score, or no level of consciousness, charted in "
    "the last 12 h)",
}
#: The ward round may be sorted by any of the three grades now (then the highest).
SORT_CHOICES: dict[str, str] = {
    "grade": "CRS grade (Lee 2014)",
    "astct": "ASTCT CRS grade",
    "icans": "ICANS grade",
}


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


def column_config(columns: list[str]) -> dict[str, object]:
    config: dict[str, object] = {}
    for name in columns:
        width = WIDTHS.get(name)
        if name in GRADE_HEADERS:
            config[name] = st.column_config.NumberColumn(
                width=width, help=md_escape(HELP[name]) if name in HELP else None
            )
        elif name == "Day since infusion":
            config[name] = st.column_config.NumberColumn(format="%.1f")
        elif width or name in HELP:
            config[name] = st.column_config.TextColumn(
                width=width, help=md_escape(HELP[name]) if name in HELP else None
            )
    return config


def details(shown) -> None:
    """Every alert and lower bound in full, one line per patient (the table's cells are
    short)."""
    values: list[object] = []
    for row in shown.itertuples(index=False):  # one line per patient, not per row
        dosed = bool(row.tocilizumab_doses)
        codes = [c for c in str(row.alerts or "").split(";") if c]
        said = [
            ("⚠ " if c in WARNING_ALERTS else "") + w
            for c, w in zip(codes, alert_words(";".join(codes), dosed), strict=True)
        ]
        unknown = unknown_words(row.unknown)
        if unknown:
            said.append(f"grade {row.grade} is a lower bound — not known: {unknown}")
        if said:
            values += [row.patient_id, "; ".join(said)]
    if values:
        # The app's own template, one "- **patient** — words" line per patient; every
        # value shown as text (ui.text.md).
        template = "**Alerts and lower bounds in full**" + "\n- **{}** — {}" * (len(values) // 2)
        st.markdown(md(template, *values))


ward = setup_page("Ward round")

if ward is not None:
    with page_guard("the ward round"):
        table = ward.census()
        left, sorter, middle, right = st.columns([6, 3, 2, 2], vertical_alignment="bottom")
        grades = left.multiselect(
            "Show current grades",
            [0, 1, 2, 3, 4, 5],
            default=[0, 1, 2, 3, 4, 5],
            format_func=lambda g: plain(f"Grade {g}"),
            key=GRADE_FILTER_KEY,
        )
        with_alerts = middle.checkbox("Only patients with alerts")
        more = right.toggle(
            "More columns",
            help="ASTCT and ICANS highest and drivers, lower bound, highest first at, day, "
            "therapy, doses given, neurotoxicity status",
        )
        if ward.kind == "store":
            # Discharged patients leave the ward round but nothing is deleted (ward store).
            middle.checkbox("Show archived patients", key=SHOW_ARCHIVED_KEY)
        order = sorter.selectbox(
            "Sort by",
            list(SORT_CHOICES),
            format_func=lambda key: plain(SORT_CHOICES[key]),
            help="Sickest first by the grade chosen (then its highest so far)",
            key="census_sort",
        )
        shown = sort_census(filter_census(table, grades=grades, with_alerts=with_alerts), order)
        counts = table["grade"].value_counts()
        st.caption(
            md(
                "{} patients — {}; showing {}. Sickest first by {}. Select a row to open the "
                "timeline.",
                len(table),
                ", ".join(f"grade {g}: {int(counts.get(g, 0))}" for g in range(5, -1, -1)),
                len(shown),
                SORT_CHOICES[order],
            )
        )
        display = round_table(shown, more=more)
        if ward.archived and show_archived():
            archived = shown["patient_id"].astype("str").isin(sorted(ward.archived))
            display.insert(1, "Archived", archived.map({True: "archived", False: ""}).to_numpy())
        lower_bound = shown["lower_bound"].to_numpy()
        icans_lower = shown["icans_unknown"].fillna("").ne("").to_numpy()
        event = data_table(
            display,
            style=lambda frame: style_census(frame, lower_bound, icans_lower),
            csv_frame=round_table(shown, more=True),
            file_name="crs_ward_round.csv",
            download_label="Download the ward round as CSV",
            hide_index=True,
            on_select="rerun",
            selection_mode="single-row",
            key="census_table",
            # Every patient of an ordinary ward without scrolling inside the table.
            row_height=ROW_PX,
            height=min(ROW_PX * (len(display) + 1) + 3, 36 * ROW_PX),
            column_config=column_config(list(display.columns)),
        )
        selected = list(getattr(getattr(event, "selection", None), "rows", []) or [])
        if selected and selected[0] < len(shown):
            open_patient(str(shown["patient_id"].iloc[selected[0]]))
        details(shown)
        report_button(
            ward,
            shown["patient_id"].astype("str").tolist(),
            label="Download report (PDF) of the patients shown",
            key="ward_report",
        )

        # Keyboard-friendly alternative to clicking a row.
        choice_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
        choice = choice_col.selectbox(
            "Open a patient's timeline",
            shown["patient_id"].tolist(),
            index=None,
            placeholder="Choose a patient",
            format_func=plain,
        )
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
