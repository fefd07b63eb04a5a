"""The dashboard's pages for st.navigation (app.py): titles and addresses.

The page files keep their own setup call, so each also runs on its own (AppTest, a
direct ``streamlit run pages/…``); the addresses are the ones links and bookmarks
already use: ``/``, ``/Ward_round``, ``/Patient?patient=…``, ``/Reference``.
"""

from __future__ import annotations

import streamlit as st
from streamlit.navigation.page import StreamlitPage

#: Page files, relative to app.py.
HOME = "pages/0_Home.py"
WARD_ROUND = "pages/1_Ward_round.py"
PATIENT = "pages/2_Patient.py"
REFERENCE = "pages/3_Reference.py"


def pages() -> list[StreamlitPage]:
    """Home (the default page, at /), Ward round, Patient and Reference."""
    return [
        st.Page(HOME, title="Home", icon=":material/home:", default=True),
        st.Page(WARD_ROUND, title="Ward round", icon=":material/groups:", url_path="Ward_round"),
        st.Page(PATIENT, title="Patient", icon=":material/monitor_heart:", url_path="Patient"),
        st.Page(REFERENCE, title="Reference", icon=":material/menu_book:", url_path="Reference"),
    ]
