"""Views of graded rows for people: the ward census, the Figure 3 style timeline, the
reference texts, rows with data problems and the ward-round PDF report. Builders return
frames, figures or bytes; no Streamlit here.

May import: every package above it (``crs.treatment``, ``crs.scales``, ``crs.findings``,
``crs.read``) and the shared leaf modules.
"""

from crs.views.census import census, filter_census, round_table, sort_census
from crs.views.figures import FIGURE_CONFIG, GRADE_COLOURS, timeline_figure
from crs.views.problem_rows import with_patients
from crs.views.reference import (
    DISCLAIMER,
    FERRITIN_NOTE,
    RECOMMENDATION_LABELS,
    WARNING_ALERTS,
    alert_words,
    label_alerts,
    label_codes,
    reference_markdown,
)
from crs.views.report import sections, ward_report

__all__ = [
    "DISCLAIMER",
    "FERRITIN_NOTE",
    "FIGURE_CONFIG",
    "GRADE_COLOURS",
    "RECOMMENDATION_LABELS",
    "WARNING_ALERTS",
    "alert_words",
    "census",
    "filter_census",
    "label_alerts",
    "label_codes",
    "reference_markdown",
    "round_table",
    "sections",
    "sort_census",
    "timeline_figure",
    "ward_report",
    "with_patients",
]
