"""From a read export to the graded table (docs/architecture.md §4; spec grading.md §4).

``grade_export`` is what the app, the store and the command line all call, so the
three always agree: grade (Tables 2–3, with attributions of §5) and then the Figure 2
treatment algorithm on the graded rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from crs.grading import grade
from crs.treatment import annotate

if TYPE_CHECKING:
    from crs.reader import Export

#: Columns of `python -m crs grade` (spec grading.md §4), after the time columns.
OUTPUT_COLUMNS = (
    "grade",
    "drivers",
    "unknown",
    "ne_eq_ug_min",
    "explanation",
    "recommendation",
    "alerts",
)


def grade_frame(frame: pd.DataFrame, attributions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Grade a canonical frame and apply the treatment algorithm: the full graded frame."""
    return annotate(grade(frame, attributions))


def grade_export(export: Export, attributions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Grade a read export (see :func:`grade_frame`)."""
    return grade_frame(export.frame, attributions)


def output_table(graded: pd.DataFrame, axis: str) -> pd.DataFrame:
    """The spec §4 table: patient_id, time (ISO 8601) and day — or day alone — then results.

    On a time axis ``day`` is kept next to ``time`` when it is known (it is when an
    infusion time was given), because clinicians count days since infusion.
    """
    out = pd.DataFrame({"patient_id": graded["patient_id"].astype("str")})
    if axis == "time":
        out["time"] = graded["time"].dt.strftime("%Y-%m-%dT%H:%M:%S")
        if graded["day"].notna().any():
            out["day"] = graded["day"].round(4)
    else:
        out["day"] = graded["day"].round(6)
    out["grade"] = graded["grade"].astype("int64")
    for column in ("drivers", "unknown"):
        out[column] = graded[column].fillna("").astype("str")
    out["ne_eq_ug_min"] = graded["ne_eq_ug_min"].round(3)
    for column in ("explanation", "recommendation", "alerts"):
        out[column] = graded[column].fillna("").astype("str")
    return out
