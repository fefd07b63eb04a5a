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
    """Home (the default page, at /), Ward round, Patient and Reference.

    No page icons: Streamlit makes a page's material icon the browser tab's icon and
    fetches it from fonts.gstatic.com, a request that would leave the machine.
    """
    return [
        st.Page(HOME, title="Home", default=True),
        st.Page(WARD_ROUND, title="Ward round", url_path="Ward_round"),
        st.Page(PATIENT, title="Patient", url_path="Patient"),
        st.Page(REFERENCE, title="Reference", url_path="Reference"),
    ]
