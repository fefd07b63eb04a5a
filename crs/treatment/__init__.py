"""Treatment: the Figure 2 algorithm on graded rows (recommendations and alerts), the
doses of the Lee 2014 text, inflammatory-marker trends, treatment given, and
``grade_export`` — read export → grade → treatment, the one path the app, the store and
the command line share (spec treatment.md).

May import: ``crs.scales``, ``crs.findings``, ``crs.read`` and the shared leaf modules.
"""

from crs.treatment.doses import ERRATUM as DOSE_ERRATUM
from crs.treatment.doses import LOCAL_PROTOCOL_PREVAILS, patient_dose_panel
from crs.treatment.doses import SOURCES as DOSE_SOURCES
from crs.treatment.given import doses_given, tocilizumab_summary
from crs.treatment.pipeline import (
    grade_export,
    grade_frame,
    grade_to_table,
    output_table,
    three_sentences,
)
from crs.treatment.treatment import annotate, recommendation_table
from crs.treatment.trends import baseline, crp_caveat, crp_peaks, fold_change

__all__ = [
    "DOSE_ERRATUM",
    "DOSE_SOURCES",
    "LOCAL_PROTOCOL_PREVAILS",
    "annotate",
    "baseline",
    "crp_caveat",
    "crp_peaks",
    "doses_given",
    "fold_change",
    "grade_export",
    "grade_frame",
    "grade_to_table",
    "output_table",
    "patient_dose_panel",
    "recommendation_table",
    "three_sentences",
    "tocilizumab_summary",
]
