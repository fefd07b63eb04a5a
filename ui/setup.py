"""The one shared setup call every page starts with: :func:`setup_page`.

A page opened by a direct link runs without app.py, so each page sets its own page
config, shows the disclaimer (decision support, not orders; the grade summarises
recorded findings — grading.md §5) and finds the ward to show: the sample ward when this
session opened it (read-only, labelled on every page), else the patients of the ward
store (ui.store). With ``streamlit run app.py -- --sample`` (how ``make run`` starts
the app) a new session opens on the bundled sample ward.
"""

from __future__ import annotations

import sys

import streamlit as st
from streamlit.errors import StreamlitAPIException

from crs.errors import UnusableExportError
from crs.store import StoreFailure
from crs.views import DISCLAIMER
from ui.auth import gate
from ui.guard import LOG, UNEXPECTED
from ui.session import Ward, current_ward, load_sample, set_ward
from ui.store import show_archived, show_flash, store_message, store_ward
from ui.style import PRINT_CSS
from ui.text import md, md_escape

APP_TITLE = "CRS ward dashboard"
HOME = "pages/0_Home.py"


def sample_requested(argv: list[str] | None = None) -> bool:
    """True when the app was started with ``-- --sample``."""
    return "--sample" in (sys.argv[1:] if argv is None else argv)


def open_sample_ward() -> Ward | None:
    """Load the sample ward into this session, with a progress indicator; None on failure."""
    # The progress box is cleared once the ward is loaded: the page below it is what
    # the person came for (the first patients of the ward round above the fold).
    box = st.empty()
    try:
        with box.status("Reading and grading the sample ward …", expanded=False):
            bar = st.progress(0.0)
            ward = load_sample(
                on_progress=lambda done, name: bar.progress(
                    done, text=md("Reading and grading {} …", name) if name else "Done"
                )
            )
        box.empty()
    except UnusableExportError as error:
        st.error(md("The sample ward could not be read: {}", error))
        return None
    except OSError:
        st.error("The sample ward is not installed (data/sample_ward.csv is missing).")
        return None
    set_ward(ward)
    return ward


def link_home(label: str = "Go to Home to upload exports or open the sample ward") -> None:
    try:
        st.page_link(HOME, label=md_escape(label), icon=":material/home:")
    except (StreamlitAPIException, KeyError):
        # A page run on its own (e.g. by a test) has no Home page registered.
        st.markdown(md("[{}](/)", label))


def _leave_pages_folder_mode() -> None:
    """Run the page again through app.py if Streamlit ran it without app.py.

    The app keeps its pages in ``pages/``. Until app.py has run once, Streamlit takes
    that folder for its old multipage layout and runs a page file alone: a server's
    first visitor arriving by a direct link (``/Patient?patient=…``) got a sidebar of
    "app", "Home" (at /Home) and the rest, and so did every visitor after them until
    someone opened ``/``. Ending that mode (as ``st.navigation`` does) and running
    again, before anything is drawn, lets app.py declare its pages and open the page
    the link asked for, with the widgets of that page from the start.
    """
    from streamlit.runtime.pages_manager import PagesManager

    # Only on a session's first run, when no widget has a state to lose. (AppTest puts
    # the old mode back before every run; a real server leaves it once, for good.)
    first_run = not st.session_state.get("crs_app_pages")
    st.session_state["crs_app_pages"] = True
    if PagesManager.uses_pages_directory and first_run:
        PagesManager.uses_pages_directory = False
        st.rerun()


def setup_page(title: str, *, needs_data: bool = True) -> Ward | None:
    """Page config, disclaimer, print CSS and the session's ward (or None).

    When ``needs_data`` and no ward is loaded, the page says so with a link to Home.
    With sign-in configured, a browser not signed in with a role sees only the sign-in
    screen (or why it has no access): the page stops in ui.auth.gate.
    """
    _leave_pages_folder_mode()
    st.set_page_config(page_title=f"{title} · {APP_TITLE}", page_icon="🩺", layout="wide")
    # Server mode: nothing below runs (no patient is read) until someone with a role is
    # signed in; the workstation passes straight through (ui.auth).
    gate()
    # Static CSS only (no data): A4 landscape printing of the patient page.
    st.markdown(PRINT_CSS, unsafe_allow_html=True)
    st.title(md_escape(title))
    st.caption(DISCLAIMER)
    show_flash()
    try:
        ward = current_ward()
        if ward is None and sample_requested() and not st.session_state.get("crs_sample_tried"):
            st.session_state["crs_sample_tried"] = True
            ward = open_sample_ward()
        if ward is None:
            ward = store_ward(include_archived=show_archived())
    except (UnusableExportError, StoreFailure) as error:
        st.error(md_escape(store_message(error)))
        ward = None
    except Exception:
        LOG.exception("Unexpected error while loading the ward")
        st.error(UNEXPECTED)
        ward = None
    if ward is not None and ward.kind != "store":
        session_banner(ward)
    if ward is None and needs_data:
        st.info("No ward is loaded: the ward store has no patients yet.")
        link_home()
    return ward


def session_banner(ward: Ward) -> None:
    """Say, on every page, that the rows shown are not the ward store's (and how back)."""
    left, right = st.columns([4, 1], vertical_alignment="center")
    if ward.kind == "sample":
        left.info(
            "**Sample ward** — made-up patients, shown read-only in this browser session. "
            "Nothing about them is saved in the ward store."
        )
    else:
        left.info("Shown from this browser session only; not saved in the ward store.")
    if right.button("Show the ward store", key="back_to_store"):
        set_ward(None)
        st.rerun()
