"""Grading scales over the findings: the Lee et al. 2014 grade (Tables 2 and 3) with its
drivers, unknown domains and explanation sentence, the criteria a clinician may
attribute to another cause, and reading those attributions (spec grading.md §3–§5);
beside it the ASTCT 2019 CRS and ICANS grades over the same findings (astct.md).

May import: ``crs.findings``, ``crs.read`` and the shared leaf modules.
"""

from crs.scales.attribution import read_attributions
from crs.scales.consensus import CONSENSUS_COLUMNS, ICANS_CODES
from crs.scales.criteria import ATTRIBUTABLE, ATTRIBUTION_CODES, CRITERION_LABELS, criterion_label
from crs.scales.explain import unknown_words, unknown_words_column
from crs.scales.grading import grade
from crs.scales.scale_explain import driver_words, driver_words_column

__all__ = [
    "ATTRIBUTABLE",
    "ATTRIBUTION_CODES",
    "CONSENSUS_COLUMNS",
    "ICANS_CODES",
    "CRITERION_LABELS",
    "criterion_label",
    "driver_words",
    "driver_words_column",
    "grade",
    "read_attributions",
    "unknown_words",
    "unknown_words_column",
]
