"""Static presentation helpers: print CSS and grade colours (no patient data in HTML)."""

from __future__ import annotations

import pandas as pd

from crs.figures import GRADE_COLOURS

#: Static print stylesheet: the patient page prints on A4 landscape with the chart and
#: the table, without Streamlit's sidebar, header and toolbar. It contains NO data; it is
#: the only HTML the app passes with unsafe_allow_html.
PRINT_CSS = """
<style>
.st-key-print_rows { display: none; }
@media print {
  @page { size: A4 landscape; margin: 10mm; }
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stDecoration"], [data-testid="stStatusWidget"],
  [data-testid="stSidebarCollapsedControl"], .stDownloadButton, .stButton,
  [data-testid="stFileUploader"], .modebar-container { display: none !important; }
  .block-container, [data-testid="stMainBlockContainer"] {
    padding: 0 !important; max-width: 100% !important;
  }
  /* The timeline on a page of its own, scaled to fit A4 landscape. */
  .st-key-timeline { break-before: page; zoom: 0.75; }
  .stPlotlyChart { break-inside: avoid; page-break-inside: avoid; }
  /* Interactive grids print only their visible cells: print the static table instead. */
  .st-key-screen_rows { display: none !important; }
  .st-key-print_rows { display: block !important; }
  [data-testid="stTable"], [data-testid="stTable"] * {
    overflow: visible !important; max-height: none !important;
  }
  [data-testid="stTable"] table { display: table !important; }
  [data-testid="stTable"] tr { break-inside: avoid; }
  body { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
</style>
"""

#: Text colour readable on each grade colour.
_TEXT_ON = {0: "#ffffff", 1: "#000000", 2: "#000000", 3: "#ffffff", 4: "#ffffff", 5: "#ffffff"}


def grade_cell_style(value: object) -> str:
    """CSS for a grade cell: the grade's colour (Table 2 severity), readable text."""
    try:
        grade = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return ""
    if grade not in GRADE_COLOURS:
        return ""
    return f"background-color: {GRADE_COLOURS[grade]}; color: {_TEXT_ON[grade]}; font-weight: 600"


def style_grades(table: pd.DataFrame, columns: list[str]) -> pd.io.formats.style.Styler:
    """A Styler colouring the grade columns of ``table``."""
    present = [c for c in columns if c in table.columns]
    return table.style.map(grade_cell_style, subset=present)
