"""The "Download report (PDF)" button (issue #15): the ward-round report of crs.views.report,
built on this machine only when the button is pressed (it draws each timeline in the
local Chromium, a few seconds per report)."""

from __future__ import annotations

import streamlit as st

from crs.views import sections, ward_report
from ui.session import Ward
from ui.store import ward_store
from ui.text import md_escape


def report_pdf(ward: Ward, patient_ids: list[str] | None) -> bytes:
    """The PDF of these patients (all, sickest first, when None)."""
    ids = ward.patient_ids() if patient_ids is None else patient_ids
    attributions = ward_store().attributions(ids) if ward.kind == "store" else None
    chosen = sections(
        ward.graded,
        ids,
        problems_of={pid: ward.patient_problems(pid) for pid in ids},
        attributions=attributions,
    )
    return ward_report(chosen, graded=ward.graded)


def report_button(ward: Ward, patient_ids: list[str] | None, *, label: str, key: str) -> None:
    """A download button whose PDF is made when it is pressed."""
    name = (
        "crs_ward_round.pdf"
        if patient_ids is None or len(patient_ids) != 1
        else ("crs_patient.pdf")
    )
    st.download_button(
        md_escape(label),
        data=lambda: report_pdf(ward, patient_ids),
        file_name=name,
        mime="application/pdf",
        key=key,
        help="One section per patient: grade summary, alerts, treatment given and the "
        "timeline; made on this machine when pressed (a few seconds).",
    )
