"""Work shared between browser sessions showing the same ward (issue #15: pages under a
second). A ward is named by ``Ward.key`` (the sha256 of the uploaded bytes, or the
store's address and version, ui.session / ui.store), so a new session on the same ward
— every new tab, every link a colleague sends — reuses the figures built before.

``st.cache_resource`` keeps one shared object (no copy per session): the pages never
modify a figure after it is built.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from crs.treatment import trends
from crs.views import timeline_figure
from ui.session import Ward


def _build(ward: Ward, patient_id: str, attributions: pd.DataFrame | None) -> go.Figure:
    rows = ward.patient(patient_id)
    return timeline_figure(
        rows,
        crp_peaks=trends.crp_peaks(rows)["instant"],
        attributions=attributions,  # the title, "Patient <id>", is escaped there
        problems=ward.patient_problems(patient_id),
    )


@st.cache_resource(show_spinner=False, max_entries=256)
def _timeline(key: str, patient_id: str, _ward: Ward, _attributions: object) -> go.Figure:
    return _build(_ward, patient_id, _attributions)  # type: ignore[arg-type]


def patient_timeline(
    ward: Ward, patient_id: str, attributions: pd.DataFrame | None = None
) -> go.Figure:
    """The patient's Figure 3 timeline, built once per ward version and patient (a store
    ward's key changes with every attribution, so the figure follows them)."""
    if not ward.key:
        return _build(ward, patient_id, attributions)
    return _timeline(ward.key, patient_id, ward, attributions)
