"""Neurotoxicity: the Lee criterion ``neurotoxicity`` and the status shown beside CRS.

Grading (spec grading.md §3 and §3.4, version 2): a clinician-entered CTCAE
neurotoxicity grade of 2 or more (``neurotox_grade``, carried 24 h) is the criterion
``neurotoxicity``, with the grade as entered. Table 1 lists neurologic signs among the
organ systems of CRS and Figure 2 treats CRS "associated with neurologic dysfunction" as
CRS, but neurotoxicity follows its own course, so it is a criterion of its own that a
clinician can attribute to another cause without touching organ toxicity (§5).

The census and the timeline show a wider status (Lee et al. 2014, Table 1,
"Neurologic"; Figure 3 draws it as a band that can start before or after tocilizumab and
outlast it, the drug not crossing the blood–brain barrier). A row shows neurotoxicity
when any of these holds:

- the clinician-entered CTCAE neurotoxicity grade in effect is ≥ 1 (``neurotox_used``,
  carried as in grading.md §2);
- the ICE score in effect is < 10 (``ice_used``; 10 is a normal score);
- a neurologic word of Table 1 is recorded in ``symptoms`` on the row itself, unless the
  neurotoxicity grade in effect is an entered 0 (a clinician who charted the headache
  and graded it 0 has said it is not neurotoxicity; issue #15).

The timeline draws neurotoxicity by severity (issue #15): :func:`severity_runs` gives
the runs of the entered grade in effect (1–4, each its own band), the ICE score is
drawn where charted, and a neurologic word is a marker, never a band.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: Grading §3.4 (version 2): an entered neurotoxicity grade counts from CTCAE grade 2, as
#: organ toxicity does (Table 2: "grades 2-4 refer to CTCAE v4.0").
LOWEST_CRS_NEURO_GRADE = 2


def neurotoxicity_grade(neurotox_used: np.ndarray) -> np.ndarray:
    """CRS grade of the criterion ``neurotoxicity`` per row (int64: 0, or 2–4 as entered).

    ``neurotox_used`` is the carried entered grade (NaN when none in its 24 h window);
    a non-integer grade is rounded down, as for ``organ_tox_grade``.
    """
    entered = np.floor(np.nan_to_num(np.asarray(neurotox_used, dtype="float64")))
    entered = entered.astype(np.int64, copy=False)
    return np.where(entered >= LOWEST_CRS_NEURO_GRADE, entered, 0)


#: Table 1 (Lee et al. 2014), organ system "Neurologic", with common spelling variants.
#: The article prints "dymetria"; both spellings are matched.
NEUROLOGIC_SIGNS: tuple[str, ...] = (
    "headache",
    "mental status change",
    "confusion",
    "confused",
    "delirium",
    "word finding difficult",
    "word-finding difficult",
    "aphasia",
    "hallucination",
    "tremor",
    "dysmetria",
    "dymetria",
    "altered gait",
    "gait disturbance",
    "seizure",
)

_SIGNS_PATTERN = "|".join(re.escape(word) for word in NEUROLOGIC_SIGNS)


def _numeric(graded: pd.DataFrame, column: str) -> pd.Series:
    """A float column of ``graded``, or all-missing when the frame does not carry it."""
    if column not in graded.columns:
        return pd.Series(np.nan, index=graded.index, dtype="float64")
    return pd.to_numeric(graded[column], errors="coerce").astype("float64")


def neurologic_symptom(symptoms: pd.Series) -> pd.Series:
    """True where the recorded symptoms name a neurologic sign of Table 1 (case-insensitive)."""
    text = symptoms.astype("str").str.lower()
    found = text.str.contains(_SIGNS_PATTERN, regex=True, na=False)
    return found.fillna(False).astype("bool")


def neurotoxicity(graded: pd.DataFrame) -> pd.Series:
    """Boolean per row: neurotoxicity in effect (see the module docstring for the rule)."""
    neuro_grade = _numeric(graded, "neurotox_used")
    if neuro_grade.isna().all():
        neuro_grade = _numeric(graded, "neurotox_grade")
    ice = _numeric(graded, "ice_used")
    if ice.isna().all():
        ice = _numeric(graded, "ice_score")
    symptoms = (
        graded["symptoms"]
        if "symptoms" in graded.columns
        else pd.Series(pd.NA, index=graded.index, dtype="str")
    )
    graded_zero = neuro_grade.eq(0).fillna(False)
    flag = (neuro_grade >= 1) | (ice < 10) | (neurologic_symptom(symptoms) & ~graded_zero)
    return flag.fillna(False).astype("bool")


def carried_grade(graded: pd.DataFrame) -> pd.Series:
    """The entered neurotoxicity grade in effect per row (carried, rounded down as the
    grader does; NaN when none): ``neurotox_used``, else the row's ``neurotox_grade``."""
    grade = _numeric(graded, "neurotox_used")
    if grade.isna().all():
        grade = _numeric(graded, "neurotox_grade")
    return np.floor(grade)


def severity_runs(x: pd.Series, grade: pd.Series) -> pd.DataFrame:
    """Runs of one neurotoxicity grade ≥ 1 over one patient's time-sorted rows: ``start``,
    ``end`` (the x of the next row at another grade, or the last row) and ``grade``."""
    level = grade.fillna(0).clip(lower=0).astype("int64").reset_index(drop=True)
    x = x.reset_index(drop=True)
    frames = []
    for value in sorted(set(level[level >= 1])):  # the CTCAE grades 1–4, not rows
        runs = episodes(x, level.eq(value))
        frames.append(runs.assign(grade=value))
    if not frames:
        return pd.DataFrame({"start": x[:0], "end": x[:0], "grade": pd.Series(dtype="int64")})
    return pd.concat(frames, ignore_index=True).sort_values("start", kind="stable")


def episodes(instants: pd.Series, flag: pd.Series) -> pd.DataFrame:
    """Contiguous runs of ``flag`` over one patient's time-sorted rows.

    Returns one row per run with ``start`` (the first flagged row's instant) and
    ``end`` (the instant of the first unflagged row after it — resolution — or the
    last flagged row when the stay ends during the run) and ``resolved`` (bool).
    """
    flag = flag.astype("bool").to_numpy()
    values = instants.to_numpy()
    if len(flag) == 0 or not flag.any():
        return pd.DataFrame({"start": values[:0], "end": values[:0], "resolved": []})
    padded = np.concatenate(([False], flag, [False]))
    change = np.diff(padded.astype("int8"))
    starts = np.flatnonzero(change == 1)
    stops = np.flatnonzero(change == -1)  # index of the first unflagged row after the run
    resolved = stops < len(flag)
    end_index = np.where(resolved, stops, stops - 1)
    return pd.DataFrame({"start": values[starts], "end": values[end_index], "resolved": resolved})
