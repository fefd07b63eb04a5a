"""Reference: Table 2, Table 3 with the VASST equation, Figure 2 and every spec decision."""

from __future__ import annotations

import streamlit as st

from crs.views import reference_markdown
from ui.guard import page_guard
from ui.setup import setup_page

setup_page("Reference", needs_data=False)

with page_guard("the reference"):
    st.markdown(reference_markdown())
