"""The ASTCT 2019 ICANS grade (astct.md §3): the worst of the neurological domains.

Lee DW, Santomasso BD et al., Biol Blood Marrow Transplant 2019;25:625-638, the ICANS
tables for adults (ICE score) and children under 12 (CAPD). The domain grades are
tables below, applied to the findings in effect of crs.findings.icans_findings (computed
once per grading call, crs.findings.row_findings). ICANS never reads a CRS column, and
grade 5 (death due to ICANS) is not computed [decision].
"""

from __future__ import annotations

import numpy as np

from crs.findings.icans_findings import CAPD_BELOW_AGE

__all__ = ["CAPD_BELOW_AGE", "icans_grade", "driver_bits"]

#: astct.md §3.2, ICE score (0-10) → grade: 10 none; 7-9 → 1; 3-6 → 2; 0-2 → 3.
ICE_GRADE: tuple[int, ...] = (3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 0)
#: astct.md §3.2, CAPD total (0-32) → grade: 0 none; 1-8 → 1; ≥ 9 → 3.
CAPD_GRADE: tuple[int, ...] = (0, *([1] * 8), *([3] * 24))
#: The domain codes of icans_drivers (astct.md §3.3), sorted.
DOMAINS: tuple[str, ...] = ("capd", "cerebral_edema", "consciousness", "ice", "motor", "seizure")
#: The event domains (astct.md §3.2) and the column each is read from.
EVENT_COLUMNS: dict[str, str] = {
    "seizure": "seizure",
    "motor": "motor_weakness",
    "cerebral_edema": "cerebral_edema",
}
#: icans_unknown codes (astct.md §3.3), sorted.
UNKNOWN_CODES: tuple[str, ...] = ("capd", "consciousness", "ice")


def _score_grade(score: np.ndarray, table: tuple[int, ...]) -> np.ndarray:
    """A whole-number score in effect → its domain grade (0 where none in effect)."""
    lookup = np.array([*table, 0], dtype=np.int8)
    # Clipped into the table; NaN stays NaN through the clip, then fmax makes it -1: the
    # last entry, 0.
    index = np.fmax(np.clip(score, 0, len(table) - 1), -1)
    return lookup[index.astype(np.intp)]


def _domain_grade(grade: np.ndarray) -> np.ndarray:
    """A domain grade in effect (float, NaN: none) as int8, 0 where none."""
    return np.fmax(grade, 0).astype(np.int8)


def icans_grade(neuro: dict[str, object], covered: dict[str, np.ndarray]) -> dict[str, object]:
    """astct.md §3 at every row, from the ICANS findings in effect
    (crs.findings.icans_findings.neurologic_findings).

    ``covered``: rows each ICANS code's attribution covers (astct.md §4: the domain is
    removed there; ``icans_unknown`` does not change).

    Returns ``grade``, ``g_<domain>`` per domain, ``child`` (CAPD is the tool),
    ``unknown`` (dict: code → bool) and the evidence the sentence shows: ``ice``,
    ``capd``, the consciousness dict and per event domain its source row.
    """
    child, ice, capd = neuro["child"], neuro["ice"], neuro["capd"]
    conscious = neuro["consciousness"]
    found = {
        "ice": _score_grade(ice, ICE_GRADE),
        "capd": _score_grade(capd, CAPD_GRADE),
        "consciousness": _domain_grade(conscious["grade"]),
    }
    sources: dict[str, np.ndarray] = {}
    for domain, column in EVENT_COLUMNS.items():
        grade, source = neuro["events"][column]
        found[domain] = _domain_grade(grade)
        sources[domain] = source
    graded = {d: found[d] * ~covered[d] for d in DOMAINS}  # int8; 0 where attributed
    grade = np.zeros(len(child), dtype=np.int8)
    for g in graded.values():
        np.maximum(grade, g, out=grade)
    unknown = {
        "ice": ~child & np.isnan(ice),
        "capd": child & np.isnan(capd),
        "consciousness": np.isnan(conscious["grade"]),
    }
    return {
        "grade": grade.astype(np.int64),
        **{f"g_{d}": g for d, g in graded.items()},
        "child": child,
        "unknown": unknown,
        "ice": ice,
        "capd": capd,
        "consciousness": conscious,
        "sources": sources,
    }


def driver_bits(result: dict[str, object]) -> dict[str, np.ndarray]:
    """astct.md §3.3: the domains at the row's grade."""
    grade = result["grade"]
    graded = grade > 0
    return {d: (result[f"g_{d}"] == grade) & graded for d in DOMAINS}
