"""The ICANS findings in effect (astct.md §1.1-§1.2): the windows of the neurological
columns, RASS as a level of consciousness, and the consciousness domain as the latest of
the charted level and the RASS.

Lee DW, Santomasso BD et al., Biol Blood Marrow Transplant 2019;25:625-638, the ICANS
tables. The words themselves are read by crs.read.neuro_words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crs.findings.carry import Timeline, carry_forward, carry_values
from crs.findings.masking import sparse_factorize
from crs.read.neuro_words import word_grade

#: astct.md §1.2: RASS → ICANS consciousness grade (+4 … 0 alert; −1 … −3 awakens to
#: voice; −4 awakens only to tactile stimulus; −5 unarousable) [decision].
RASS_GRADE: dict[int, int] = {4: 0, 3: 0, 2: 0, 1: 0, 0: 0, -1: 2, -2: 2, -3: 2, -4: 3, -5: 4}
#: The consciousness level of each domain grade, in the words of the ICANS table.
LEVEL_WORDS: dict[int, str] = {
    0: "alert",
    1: "awakens spontaneously",
    2: "awakens to voice",
    3: "awakens only to tactile stimulus",
    4: "unarousable",
}

#: astct.md §3.1: the ICE score from age 12 (or unknown age); CAPD below.
CAPD_BELOW_AGE = 12.0
#: The ICANS columns charted in words (astct.md §1.2): consciousness, then the events.
WORD_COLUMNS: tuple[str, ...] = ("consciousness", "seizure", "motor_weakness", "cerebral_edema")
#: The event columns (astct.md §3.2), carried within their windows.
EVENT_WORD_COLUMNS: tuple[str, ...] = WORD_COLUMNS[1:]

#: astct.md §1.1 windows (the latest value at or before the row, edges inclusive).
WINDOWS: dict[str, pd.Timedelta] = {
    "ice_score": pd.Timedelta(hours=12),  # 24 h for Lee's timeline band, 12 h for ICANS
    "capd_score": pd.Timedelta(hours=12),
    "consciousness": pd.Timedelta(hours=12),
    "rass": pd.Timedelta(hours=12),
    "seizure": pd.Timedelta(hours=24),
    "motor_weakness": pd.Timedelta(hours=24),
    "cerebral_edema": pd.Timedelta(hours=72),
}


def rass_grade(rass: np.ndarray) -> np.ndarray:
    """astct.md §1.2 RASS table: the ICANS consciousness grade (NaN where no RASS)."""
    table = np.full(10, np.nan)
    for score, grade in RASS_GRADE.items():
        table[score + 5] = grade
    table = np.append(table, np.nan)  # read by index -1: no RASS
    # NaN stays NaN through clip and trunc, then fmax makes it -1.
    index = np.fmax(np.trunc(np.clip(rass, -5, 4)) + 5, -1)
    return table[index.astype(np.intp)]


def consciousness_in_effect(
    words: np.ndarray, rass: np.ndarray, timeline: Timeline
) -> dict[str, np.ndarray]:
    """The consciousness domain at each row (astct.md §1.1): the latest of the word and
    the RASS, each carried 12 h; both at one instant, the worse one [decision].
    ``words`` holds the grades of the consciousness words (:func:`word_grades`).

    Returns ``grade`` (float, NaN when neither is in effect), ``by_rass`` (the RASS
    decided), ``rass`` (the RASS in effect) and ``source`` (the row it came from).
    """
    word_value, word_source = carry_forward(words, timeline, WINDOWS["consciousness"])
    rass_value, rass_source = carry_forward(rass, timeline, WINDOWS["rass"])
    rass_level = rass_grade(rass_value)
    use_rass = (rass_source > word_source) | (
        (rass_source == word_source) & (rass_source >= 0) & (rass_level > word_value)
    )
    grade = np.where(use_rass, rass_level, word_value)
    return {
        "grade": grade,
        "by_rass": use_rass,
        "rass": rass_value,
        "source": np.where(use_rass, rass_source, word_source),
    }


def _float(rows: pd.DataFrame, name: str) -> np.ndarray:
    return rows[name].to_numpy(dtype="float64", na_value=np.nan)


def word_findings(rows: pd.DataFrame) -> dict[str, tuple[np.ndarray, list[str], np.ndarray]]:
    """Each word column read once (astct.md §1.2): (code per row, -1 where missing; its
    distinct texts; the grade of each row's word, NaN: none or unreadable)."""
    read = {}
    for column in WORD_COLUMNS:
        codes, texts = sparse_factorize(rows[column])
        grades = np.array([word_grade(column, t) for t in texts] + [np.nan])
        read[column] = (codes, texts, grades[codes])
    return read


def neurologic_findings(
    rows: pd.DataFrame, timeline: Timeline, words: dict[str, np.ndarray]
) -> dict[str, object]:
    """The ICANS findings in effect at every row (astct.md §1.1, §3.1; rows sorted as
    ``timeline``); ``words``: the grade of each row's word per word column.

    Returns ``child`` (CAPD is the tool), ``ice`` and ``capd`` (the score in effect,
    NaN for the other tool), ``consciousness`` (:func:`consciousness_in_effect`) and,
    per event column, ``events[column]`` = (grade in effect, source row).
    """
    age = _float(rows, "age_years")
    with np.errstate(invalid="ignore"):
        child = age < CAPD_BELOW_AGE
    # One score per patient: ICE, or CAPD under 12; the other tool's score is ignored
    # for grading [decision], so one column is carried (both have a 12 h window).
    charted = np.where(child, _float(rows, "capd_score"), _float(rows, "ice_score"))
    score = carry_values(charted, timeline, WINDOWS["ice_score"])
    events = {c: carry_forward(words[c], timeline, WINDOWS[c]) for c in EVENT_WORD_COLUMNS}
    return {
        "child": child,
        "ice": np.where(child, np.nan, score),
        "capd": np.where(child, score, np.nan),
        "consciousness": consciousness_in_effect(
            words["consciousness"], _float(rows, "rass"), timeline
        ),
        "events": events,
    }
