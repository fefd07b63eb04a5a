"""Static presentation helpers: the page stylesheet and grade colours (no patient data in
HTML)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crs.views import GRADE_COLOURS

#: Key of the ward round's grade filter: its chips take their grade's colour below.
GRADE_FILTER_KEY = "grade_filter"

#: The app's one stylesheet, constant text (no data: the only HTML the app passes with
#: unsafe_allow_html; tests/test_hostile_app.py checks that it is a literal).
#:
#: On screen: a denser page (a 1,280 × 800 laptop shows ten patients of the ward round
#: above the fold), the grade filter's chips in their grade's colours (GRADE_COLOURS,
#: checked by tests/test_style.py), and the patient page's header line kept in view.
#:
#: In print (A4 landscape): no Streamlit chrome; the patient header (identifier and the
#: time the page was shown) is a fixed element, which the browser repeats at the top of
#: every printed page — the identifier comes from the page itself, never from this CSS;
#: the chart at full width on a page of its own; the static table instead of the grid.
PRINT_CSS = """
<style>
.block-container, [data-testid="stMainBlockContainer"] {
  padding-top: 3.6rem !important; padding-bottom: 2rem !important;
  padding-left: 1rem !important; padding-right: 1rem !important;
}
[data-testid="stMainBlockContainer"] h1 { padding: 0.2rem 0 0 0; }
[data-testid="stVerticalBlock"] { gap: 0.6rem; }
[data-testid="stMetricValue"] { white-space: normal; }
[data-testid="stMetricValue"] > div { white-space: normal; overflow: visible; }
.st-key-grade_filter [data-tag]:has([title="Grade 0"]) { background: #4caf50; color: #ffffff; }
.st-key-grade_filter [data-tag]:has([title="Grade 1"]) { background: #fbc02d; color: #000000; }
.st-key-grade_filter [data-tag]:has([title="Grade 2"]) { background: #fb8c00; color: #000000; }
.st-key-grade_filter [data-tag]:has([title="Grade 3"]) { background: #e53935; color: #ffffff; }
.st-key-grade_filter [data-tag]:has([title="Grade 4"]) { background: #8e0000; color: #ffffff; }
.st-key-grade_filter [data-tag]:has([title="Grade 5"]) { background: #212121; color: #ffffff; }
.st-key-grade_filter [data-tag] span, .st-key-grade_filter [data-tag] svg { color: inherit; }
.st-key-patient_header {
  position: sticky; top: 3.75rem; z-index: 99; background: #ffffff;
  border-bottom: 1px solid #e0e0e0; padding: 0.2rem 0;
}
.st-key-print_rows { display: none; }
@media print {
  @page { size: A4 landscape; margin: 8mm 10mm 10mm 10mm; }
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stDecoration"], [data-testid="stStatusWidget"],
  [data-testid="stSidebarCollapsedControl"], .stDownloadButton, .stButton,
  [data-testid="stFileUploader"], .modebar-container, .st-key-screen_only,
  [data-testid="stSelectbox"], [data-testid="stExpander"] { display: none !important; }
  .block-container, [data-testid="stMainBlockContainer"] {
    padding: 0 !important; max-width: 100% !important;
  }
  .st-key-patient_header {
    position: fixed !important; top: 0 !important; bottom: auto !important;
    left: 0; right: 0; height: 9mm; z-index: 1000;
    border-bottom: 1px solid #9e9e9e; background: #ffffff;
  }
  /* Room for the repeated header above the first page's content. */
  [data-testid="stMainBlockContainer"] { padding-top: 11mm !important; }
  /* The timeline on a page of its own, at the full width of the page. */
  .st-key-timeline { break-before: page; }
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
TEXT_ON: dict[int, str] = {
    0: "#ffffff",
    1: "#000000",
    2: "#000000",
    3: "#ffffff",
    4: "#ffffff",
    5: "#ffffff",
}


def grade_cell_style(value: object) -> str:
    """CSS for a grade cell: the grade's colour (Table 2 severity), readable text."""
    try:
        grade = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return ""
    if grade not in GRADE_COLOURS:
        return ""
    return f"background-color: {GRADE_COLOURS[grade]}; color: {TEXT_ON[grade]}; font-weight: 600"


def style_grades(table: pd.DataFrame, columns: list[str]) -> pd.io.formats.style.Styler:
    """A Styler colouring the grade columns of ``table``."""
    present = [c for c in columns if c in table.columns]
    return table.style.map(grade_cell_style, subset=present)


def style_census(
    table: pd.DataFrame, lower_bound: np.ndarray, icans_lower: np.ndarray | None = None
) -> pd.io.formats.style.Styler:
    """The ward round's grid: grade columns coloured, and a grade that is a lower bound
    (grading.md §4; the ASTCT grade shares Lee's, astct.md §2.6; ICANS its own, §3.3)
    shown "≥ 3" (the value stays the number, for sorting and the CSV)."""
    styler = style_grades(
        table, ["Grade now", "Highest", "ASTCT", "ASTCT highest", "ICANS", "ICANS highest"]
    )
    for columns, lower in (
        (["Grade now", "ASTCT"], lower_bound),
        (["ICANS"], icans_lower),
    ):
        present = [c for c in columns if c in table.columns]
        if lower is None or not present or not np.asarray(lower).any():
            continue
        rows = table.index[np.asarray(lower, dtype=bool)]
        styler = styler.format(lambda grade: f"≥ {grade}", subset=pd.IndexSlice[rows, present])
    return styler
