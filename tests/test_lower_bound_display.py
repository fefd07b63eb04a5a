"""A lower-bound grade looks like one on every screen (grading.md §4, version 2).

The ``unknown`` domains — temperature, blood pressure, oxygen not documented in their
window, and a vasopressor running per kilogram without a weight — are shown in plain
words next to the grade, never as codes: on the ward round, the patient page and the
timeline's hover. The ward is P006 of the sample ward without its patients table: his
norepinephrine is charted in μg/kg/min and his weight is unknown.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from crs.views.figures import timeline_figure
from tests.markdown_text import seen_all
from ui.session import PATIENT_KEY, WARD_KEY, Ward, read_and_grade

REPO = Path(__file__).resolve().parents[1]
WARD = REPO / "data" / "sample_ward.csv"
WORDS = "vasopressor dose (μg/kg/min without a weight)"


@cache
def _graded_without_weights() -> tuple[pd.DataFrame, object, str]:
    return read_and_grade(WARD.read_bytes(), WARD.name, None, None)


def _ward() -> Ward:
    graded, report, axis = _graded_without_weights()
    return Ward(graded=graded, reports=[report], axis=axis, sources=[WARD.name])


def _p006() -> pd.DataFrame:
    graded = _graded_without_weights()[0]
    return graded[graded["patient_id"] == "P006"].reset_index(drop=True)


def test_p006_without_a_weight_is_a_lower_bound_by_his_vasopressor_dose() -> None:
    latest = _p006().iloc[-1]
    assert latest["grade"] == 2
    assert latest["unknown"] == "vasopressor_dose"


def test_the_timeline_hover_words_what_is_not_known() -> None:
    fig = timeline_figure(_p006())
    [trace] = [t for t in fig.data if t.name == "CRS grade: lower bound (not documented)"]
    assert trace.customdata[-1][2] == WORDS
    assert "lower bound" in trace.hovertemplate
    assert trace.marker.symbol == "triangle-up-open"
    assert not any("_" in str(row[2]) for row in trace.customdata)


def test_the_ward_round_shows_the_lower_bound_in_words() -> None:
    at = AppTest.from_file(str(REPO / "pages/1_Ward_round.py"), default_timeout=120)
    at.session_state[WARD_KEY] = _ward()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # The grid shows "≥ 2" (a display format of the grade); the words are written in
    # full below it, and in the "more columns" view.
    markdown = seen_all(at.markdown)
    assert f"**P006** — grade 2 is a lower bound — not known: {WORDS}" in markdown
    at.toggle[0].set_value(True).run()
    [table] = [d.value for d in at.dataframe if "Patient" in d.value.columns]
    column = "Lower bound — not known"
    row = table[table["Patient"] == "P006"].iloc[0]
    assert row[column] == WORDS
    assert not table[column].str.contains("_").any()


def test_the_patient_page_says_the_grade_may_be_higher() -> None:
    at = AppTest.from_file(str(REPO / "pages/2_Patient.py"), default_timeout=120)
    at.session_state[WARD_KEY] = _ward()
    at.session_state[PATIENT_KEY] = "P006"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    [grade_now] = [m for m in at.metric if m.label == "Grade now"]
    assert grade_now.value == "≥ 2"
    markdown = seen_all(at.markdown)
    assert "Grade 2 or higher (lower bound)" in markdown
    captions = seen_all(at.caption)
    assert f"Not known at this time point: {WORDS} — the grade may be higher." in captions
    [rows] = [d.value for d in at.dataframe if "Explanation" in d.value.columns]
    assert (rows["Lower bound — not known"].iloc[-1]) == WORDS
