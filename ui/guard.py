"""Never a traceback in the browser: page bodies run inside :func:`page_guard`.

An unexpected error is logged with its traceback on the server console only, and the
page shows one plain sentence instead. Streamlit's own control flow (``st.rerun``,
``st.switch_page``, ``st.stop``) derives from ``BaseException``, not ``Exception``, so it
passes through untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from crs.errors import UnusableExportError
from ui.text import md_escape

LOG = logging.getLogger("crs.app")

UNEXPECTED = (
    "Something went wrong while showing this part of the page. Nothing was changed. "
    "Please try again; if it happens again, tell the team that maintains the dashboard "
    "(the details are in the server log)."
)


@contextmanager
def page_guard(what: str = "this page") -> Iterator[None]:
    """Show a plain message instead of a traceback; log the traceback server-side."""
    try:
        yield
    except UnusableExportError as error:
        st.error(md_escape(error))  # the message may quote a cell of the file
    except Exception:
        LOG.exception("Unexpected error while showing %s", what)
        st.error(UNEXPECTED)
