"""Treatment: the Figure 2 algorithm on graded rows (recommendations and alerts), the
doses of the Lee 2014 text, inflammatory-marker trends, treatment given, and
``grade_export`` — read export → grade → treatment, the one path the app, the store and
the command line share (spec treatment.md).

May import: ``crs.scales``, ``crs.findings``, ``crs.read`` and the shared leaf modules.
"""

from crs.treatment import doses, trends
from crs.treatment.given import doses_given, tocilizumab_summary
from crs.treatment.pipeline import grade_export, grade_frame, grade_to_table, output_table
from crs.treatment.treatment import annotate, recommendation_table
from crs.treatment.trends import crp_caveat, fold_change

__all__ = [
    "annotate",
    "crp_caveat",
    "doses",
    "doses_given",
    "fold_change",
    "grade_export",
    "grade_frame",
    "grade_to_table",
    "output_table",
    "recommendation_table",
    "tocilizumab_summary",
    "trends",
]
