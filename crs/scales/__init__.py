"""Grading scales over the findings: the Lee et al. 2014 grade (Tables 2 and 3) with its
drivers, unknown domains and explanation sentence, the criteria a clinician may
attribute to another cause, and reading those attributions (spec grading.md §3–§5).

May import: ``crs.findings``, ``crs.read`` and the shared leaf modules.
"""

from crs.scales.attribution import read_attributions
from crs.scales.criteria import ATTRIBUTABLE, CRITERION_LABELS, criterion_label
from crs.scales.explain import unknown_words, unknown_words_column
from crs.scales.grading import grade

__all__ = [
    "ATTRIBUTABLE",
    "CRITERION_LABELS",
    "criterion_label",
    "grade",
    "read_attributions",
    "unknown_words",
    "unknown_words_column",
]
