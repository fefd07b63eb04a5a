"""The CRS ward dashboard's entry point: its four pages, in the order of a ward round.

Start with ``streamlit run app.py`` (``make run`` adds ``-- --sample`` to open on the
bundled sample ward). Everything runs on this machine; nothing is sent anywhere. Each
page starts with the one shared setup call (ui.setup.setup_page); this file only
registers the pages (st.navigation), so the sidebar reads Home, Ward round, Patient,
Reference and the addresses stay /, /Ward_round, /Patient and /Reference.
"""

from __future__ import annotations

import streamlit as st

from ui.auth import awaiting_sign_in
from ui.navigation import pages

# Before sign-in (server mode) the sign-in screen stands alone, without the page list.
st.navigation(pages(), position="hidden" if awaiting_sign_in() else "top").run()
