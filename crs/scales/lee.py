"""Lee et al. 2014 CRS grading as a table over the findings (spec grading.md §3–§5).

``TABLE`` is the paper's Table 2 (with Table 3 for vasopressors and CTCAE v4.0 for the
organs), one line per criterion: its code, the rule in the spec's words, the condition
on the findings (crs.findings.row_findings) and the grade it gives. A criterion whose grade
depends on the finding's degree (vasopressor, oxygen, ventilation, organ toxicity,
neurotoxicity) reads that grade from the finding, which its physiology module computed
by the paper's table; ``grade`` is then ``None``. This module adds no physiology: it
applies the table, then removes criteria a clinician attributed to another cause (§5).
In the spirit of admiral's CTCAE grading criteria kept as data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from crs.findings.neuro import neurotoxicity_grade
from crs.findings.row_findings import Findings


class Criterion(NamedTuple):
    """One line of Lee's table: ``condition(findings)`` is a bool array (``grade`` given
    where true) or, with ``grade`` None, the criterion's grade per row."""

    code: str
    rule: str
    condition: Callable[[Findings], np.ndarray]
    grade: int | None


#: grading.md §3, in the order of Table 2 (``neurotoxicity``: version 2); the rules of
#: hypotension §3.1, vasopressor §3.2, oxygen §3.3, organ and neurotoxicity §3.4.
TABLE: tuple[Criterion, ...] = (
    Criterion("fever", "temperature in effect ≥ 38.0 °C", lambda f: f.fever, 1),
    Criterion("symptoms", "a constitutional symptom on the row", lambda f: f.symptoms, 1),
    Criterion("hypotension", "SBP or MAP below the threshold for age",
              lambda f: f.low_bp["met"], 2),
    Criterion("vasopressor", "one agent 2; two or more, or high dose for 3 h or more (Table 3) 3",
              lambda f: f.pressors["grade"], None),
    Criterion("oxygen", "FiO2 < 40 % or low flow 2; FiO2 ≥ 40 % or more than low flow 3",
              lambda f: f.oxygen["grade_oxygen"], None),
    Criterion("ventilation", "ventilated, or CPAP, BiPAP, NIV or ventilator in effect: 4",
              lambda f: f.oxygen["grade_ventilation"], None),
    Criterion("organ_toxicity", "CTCAE v4.0 grade of every organ but the nervous system",
              lambda f: f.organs["grade"], None),
    Criterion("neurotoxicity", "neurotoxicity grade in effect ≥ 2",
              lambda f: neurotoxicity_grade(f.organs["neurotox_used"]), None),
    Criterion("death", "death recorded on the row", lambda f: f.deceased, 5),
)  # fmt: skip
#: Criterion codes of spec §3, in the order of Table 2.
CRITERIA: tuple[str, ...] = tuple(c.code for c in TABLE)
#: Criteria a clinician may attribute to another cause (spec §5: all but death).
ATTRIBUTABLE: tuple[str, ...] = tuple(c for c in CRITERIA if c != "death")
#: Grades given by single-grade criteria (Table 2).
FIXED_GRADE: dict[str, int] = {c.code: c.grade for c in TABLE if c.grade is not None}


def criterion_grades(found: Findings) -> dict[str, np.ndarray]:
    """Each criterion's grade per row, before attributions (grading.md §3)."""
    return {
        c.code: c.condition(found) if c.grade is None else np.where(c.condition(found), c.grade, 0)
        for c in TABLE
    }


def lee_grades(
    found: Findings, covered: dict[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(criterion → grade per row after attributions, criterion → rows removed).

    §5: a finding attributed to another cause is graded as if not met.
    """
    grades = criterion_grades(found)
    removed = {c: covered[c] & (grades[c] > 0) for c in ATTRIBUTABLE}
    # A neurologic finding below the criterion's grade 2 (neurotoxicity grade 1) is still
    # listed as attributed: the treatment algorithm reads "neurologic dysfunction" from
    # grade 1 and must know the clinician called it not CRS (treatment.md §1 [v2]).
    with np.errstate(invalid="ignore"):
        removed["neurotoxicity"] |= covered["neurotoxicity"] & (found.organs["neurotox_used"] >= 1)
    for criterion in ATTRIBUTABLE:
        if removed[criterion].any():
            grades[criterion] = np.where(removed[criterion], 0, grades[criterion])
    return {c: g.astype(np.int64, copy=False) for c, g in grades.items()}, removed
