"""The timeline marks findings attributed to another cause (grading.md §5; crs.views.figures).

A grey band covers the attributed range on the grade panel and on the finding's own
panel; a marker on each time point the finding was left out of says who and why.
"""

from __future__ import annotations

import pandas as pd
import pytest

from crs.read.reader import read_export
from crs.read.timeaxis import day_to_instant
from crs.treatment.pipeline import grade_export
from crs.views.figures import timeline_figure

#: Fever at 08:00 and 12:00, none at 16:00 (grade 1, 1, 0 without attribution).
CLOCK = b"""patient_id,time,temp_c,sbp_mmhg
A,2024-03-01T08:00,38.5,120
A,2024-03-01T12:00,39.0,118
A,2024-03-01T16:00,37.0,121
"""
#: The same course on a day axis (no clock times).
DAYS = b"""patient_id,day,temp_c,sbp_mmhg
A,1.0,38.5,120
A,1.5,39.0,118
A,2.0,37.0,121
"""


def _attribution(start, end, author="Dr Cy", reason="line sepsis") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": ["A"],
            "criterion": ["fever"],
            "start": pd.Series([start], dtype="datetime64[us]"),
            "end": pd.Series([end], dtype="datetime64[us]"),
            "reason": [reason],
            "author": [author],
        }
    )


def _figure(content: bytes, attributions: pd.DataFrame):
    graded = grade_export(read_export(content, name="course.csv"), attributions)
    return graded, timeline_figure(graded, attributions=attributions)


def _bands(fig) -> list:
    return [s for s in fig.layout.shapes if s.name == "attribution:fever"]


def _marks(fig):
    return [t for t in fig.data if t.name == "Attributed to another cause"]


def test_a_fever_attributed_on_a_clock_axis_is_banded_on_the_grade_and_temperature_panels():
    attributions = _attribution("2024-03-01T07:00", "2024-03-01T13:00")
    graded, fig = _figure(CLOCK, attributions)
    assert graded["grade"].tolist() == [0, 0, 0]
    panels = fig.layout.meta["panels"]
    bands = _bands(fig)
    assert sorted(b.yref for b in bands) == sorted(
        [f"{panels['grade']} domain", f"{panels['temperature']} domain"]
    )
    # Clipped to the recorded time points: 07:00 is before the first one (08:00).
    assert {pd.Timestamp(b.x0) for b in bands} == {pd.Timestamp("2024-03-01T08:00")}
    assert {pd.Timestamp(b.x1) for b in bands} == {pd.Timestamp("2024-03-01T13:00")}
    [marks] = _marks(fig)
    assert [pd.Timestamp(x) for x in marks.x] == [
        pd.Timestamp("2024-03-01T08:00"),
        pd.Timestamp("2024-03-01T12:00"),
    ]
    assert (
        list(marks.text)
        == ["Fever (temperature ≥ 38 °C) attributed to another cause by Dr Cy: line sepsis"] * 2
    )


def test_on_a_day_axis_the_band_is_drawn_in_days_since_infusion():
    attributions = _attribution(day_to_instant(1.2), day_to_instant(1.6))
    graded, fig = _figure(DAYS, attributions)
    assert graded["grade"].tolist() == [1, 0, 0]
    assert fig.layout.meta["x_kind"] == "day"
    bands = _bands(fig)
    assert len(bands) == 2
    assert [b.x0 for b in bands] == pytest.approx([1.2, 1.2])
    assert [b.x1 for b in bands] == pytest.approx([1.6, 1.6])
    [marks] = _marks(fig)
    assert list(marks.x) == pytest.approx([1.5])


def test_an_open_ended_attribution_runs_to_the_latest_time_point():
    attributions = _attribution("2024-03-01T10:00", pd.NaT)
    graded, fig = _figure(CLOCK, attributions)
    assert graded["grade"].tolist() == [1, 0, 0]
    assert {pd.Timestamp(b.x1) for b in _bands(fig)} == {pd.Timestamp("2024-03-01T16:00")}
    [marks] = _marks(fig)
    assert len(marks.x) == 1  # 12:00: the only febrile time point in the range


def test_an_attribution_outside_the_recorded_course_draws_nothing():
    attributions = _attribution("2024-04-01T00:00", "2024-04-02T00:00")
    graded, fig = _figure(CLOCK, attributions)
    assert graded["grade"].tolist() == [1, 1, 0]
    assert _bands(fig) == []
    assert _marks(fig) == []


def test_the_name_and_reason_typed_by_a_clinician_are_shown_as_text_in_the_hover():
    attributions = _attribution(
        "2024-03-01T07:00", "2024-03-01T13:00", author="<b>Dr X</b>", reason="<a href=x>"
    )
    _, fig = _figure(CLOCK, attributions)
    [marks] = _marks(fig)
    assert "&lt;b&gt;Dr X&lt;/b&gt;" in marks.text[0]
    assert "<a" not in marks.text[0]


def test_without_attributions_the_timeline_has_no_attribution_marks():
    graded = grade_export(read_export(CLOCK, name="course.csv"))
    fig = timeline_figure(graded)
    assert _bands(fig) == [] and _marks(fig) == []
