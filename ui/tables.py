"""Tables of a file's text: shown with hidden characters made visible, downloaded only as
the app's own formula-safe CSV (issue #18; README "Privacy and security").

Streamlit's grid has its own "Download as CSV" (and copy to clipboard), which writes a
cell such as ``=HYPERLINK("http://x","y")`` — or the ward round's own "= same" — as a
formula a spreadsheet would run. The app turns that export off for every grid
(``.streamlit/config.toml``: ``client.disableDataExport = true``) and every table is
shown through :func:`data_table`, which offers a download button writing
:func:`crs.safe_csv.to_csv_bytes` instead (formula-like cells prefixed with ``'``).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from crs.read import visible
from crs.safe_csv import to_csv_bytes
from ui.text import md_escape

#: Text cells with a character this pattern finds are written out with code points.
_HIDDEN = r"[^ -~]"


def shown_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column labels show hidden characters as
    code points (``\\u202e100P``): the grid draws a right-to-left override as it would
    any text, so ``\\u202e100P`` would read "P001"."""
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if pd.api.types.is_string_dtype(column) or column.dtype == object:
            text = column.astype("str")
            odd = text.str.contains(_HIDDEN, na=False)  # only these need a look per cell
            if odd.any():
                out.isetitem(position, column.mask(odd, text[odd].map(visible)))
    out.columns = [visible(c) if isinstance(c, str) else c for c in out.columns]
    return out


def data_table(
    frame: pd.DataFrame,
    *,
    key: str,
    file_name: str,
    download_label: str = "Download this table as CSV",
    style: Callable[[pd.DataFrame], object] | None = None,
    csv_frame: pd.DataFrame | None = None,
    **options: object,
) -> object:
    """``st.dataframe`` of ``frame`` (through ``style``, e.g. grade colours) and a button
    downloading it as a formula-safe CSV; returns the grid's selection event.
    ``download_label`` is plain text (shown escaped); ``csv_frame`` is what the CSV
    holds when it is not the table shown (e.g. the audit log with its ids)."""
    shown = shown_frame(frame)
    event = st.dataframe(shown if style is None else style(shown), key=key, **options)
    st.download_button(
        md_escape(download_label),
        data=lambda: to_csv_bytes(frame if csv_frame is None else csv_frame),
        file_name=file_name,
        mime="text/csv",
        key=f"{key}_csv",
    )
    return event
