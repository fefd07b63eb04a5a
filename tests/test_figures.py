"""The Figure 3 style timeline (crs.figures.timeline_figure) on hand-built graded rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from hand_graded import graded_frame, hourly

from crs.figures import FIGURE_CONFIG, timeline_figure
from crs.reference import ALERT_LABELS, TOCILIZUMAB_CRP_NOTE


def _patient() -> pd.DataFrame:
    """Figure 3's story: fever on day 3, pressor on day 5, tocilizumab on day 6."""
    rows = [
        {"patient_id": "P1", "day": 0.0, "grade": 0, "temp_c": 37.0, "crp_mg_l": 5.0},
        {"patient_id": "P1", "day": 3.0, "grade": 1, "drivers": "fever", "temp_c": 38.6},
        {
            "patient_id": "P1",
            "day": 5.0,
            "grade": 2,
            "drivers": "vasopressor",
            "explanation": "Grade 2: norepinephrine 8 μg/min",
            "ne_eq_ug_min": 8.0,
            "crp_mg_l": 150.0,
        },
        {
            "patient_id": "P1",
            "day": 6.0,
            "grade": 3,
            "drivers": "vasopressor",
            "ne_eq_ug_min": 25.0,
            "high_dose_now": True,
            "tocilizumab_mg": 320.0,
            "crp_mg_l": 250.0,
            "il6_pg_ml": 900.0,
            "symptoms": "confusion",
        },
        {
            "patient_id": "P1",
            "day": 6.5,
            "grade": 3,
            "high_dose_now": True,
            "tocilizumab_mg": 320.0,
            "symptoms": "tremor",
        },
        {"patient_id": "P1", "day": 7.0, "grade": 2, "neurotox_used": 2.0, "crp_mg_l": 120.0},
        {"patient_id": "P1", "day": 8.0, "grade": 1, "dexamethasone_mg": 10.0},
        {"patient_id": "P1", "day": 9.0, "grade": 0, "crp_mg_l": 30.0},
    ]
    return graded_frame(rows)


def _trace(fig: go.Figure, name: str) -> go.BaseTraceType:
    matches = [t for t in fig.data if t.name == name]
    assert len(matches) == 1, [t.name for t in fig.data]
    return matches[0]


def _axis(fig: go.Figure, panel: str) -> go.layout.YAxis:
    name = fig.layout.meta["panels"][panel]
    return fig.layout["yaxis" if name == "y" else f"yaxis{name[1:]}"]


def test_every_panel_of_figure_3_is_drawn():
    fig = timeline_figure(_patient())
    panels = fig.layout.meta["panels"]
    assert list(panels) == [
        "grade",
        "temperature",
        "blood_pressure",
        "vasopressors",
        "oxygen",
        "crp",
        "cytokines",
    ]
    titles = [a.text for a in fig.layout.annotations]
    assert "CRS grade (Table 2)" in titles
    assert "CRP (mg/L, log)" in titles


def test_cytokine_panel_is_left_out_when_nothing_was_measured():
    frame = _patient().assign(il6_pg_ml=np.nan)
    assert "cytokines" not in timeline_figure(frame).layout.meta["panels"]


def test_crp_axis_is_logarithmic():
    fig = timeline_figure(_patient())
    assert _axis(fig, "crp").type == "log"
    assert _axis(fig, "temperature").type != "log"


def test_grade_trace_values_equal_the_graded_rows():
    frame = _patient()
    trace = _trace(timeline_figure(frame), "CRS grade")
    assert list(trace.y) == list(frame["grade"])
    assert list(trace.x) == list(frame["day"])
    assert trace.line.shape == "hv"


def test_grade_hover_shows_drivers_and_explanation():
    trace = _trace(timeline_figure(_patient()), "CRS grade")
    assert trace.customdata[2][0] == "vasopressor"
    assert trace.customdata[2][1] == "Grade 2: norepinephrine 8 μg/min"
    assert "customdata[0]" in trace.hovertemplate and "customdata[1]" in trace.hovertemplate


def test_one_marker_per_dose_at_the_day_it_was_given():
    fig = timeline_figure(_patient())
    toci = _trace(fig, "Tocilizumab dose")
    assert list(toci.x) == [6.0, 6.5]
    assert list(_trace(fig, "Dexamethasone dose").x) == [8.0]
    lines = [s for s in fig.layout.shapes if s.name == "dose:tocilizumab_mg"]
    assert sorted(s.x0 for s in lines) == [6.0, 6.5]
    assert all(s.yref == "paper" for s in lines)
    assert not [t for t in fig.data if t.name == "Methylprednisolone dose"]


def test_neurotoxicity_band_starts_at_onset_and_ends_at_resolution():
    # Confusion on day 6 (Table 1 sign), neurotox grade 2 on day 7, nothing on day 8.
    bands = [s for s in timeline_figure(_patient()).layout.shapes if s.name == "neurotoxicity"]
    assert [(b.x0, b.x1) for b in bands] == [(6.0, 8.0)]


def test_neurotoxicity_still_present_at_the_end_runs_to_the_last_row():
    frame = graded_frame(
        [
            {"patient_id": "N", "day": 1.0},
            {"patient_id": "N", "day": 2.0, "ice_used": 6.0},
            {"patient_id": "N", "day": 3.0, "ice_used": 8.0},
        ]
    )
    bands = [s for s in timeline_figure(frame).layout.shapes if s.name == "neurotoxicity"]
    assert [(b.x0, b.x1) for b in bands] == [(2.0, 3.0)]


def test_high_dose_vasopressor_period_is_shaded_on_the_vasopressor_panel():
    fig = timeline_figure(_patient())
    shaded = [s for s in fig.layout.shapes if s.name == "high dose vasopressor"]
    assert [(s.x0, s.x1) for s in shaded] == [(6.0, 7.0)]
    assert shaded[0].yref == f"{fig.layout.meta['panels']['vasopressors']} domain"


def test_fever_line_is_at_38_degrees_on_the_temperature_panel():
    fig = timeline_figure(_patient())
    axis = fig.layout.meta["panels"]["temperature"]
    lines = [s for s in fig.layout.shapes if s.yref == axis and s.type == "line"]
    assert [s.y0 for s in lines] == [38.0]


def test_hypotension_threshold_and_baseline_are_drawn_for_this_patient():
    frame = _patient().assign(sbp_threshold=76.0, baseline_sbp_mmhg=110.0, sbp_mmhg=100.0)
    fig = timeline_figure(frame)
    assert set(_trace(fig, "SBP hypotension threshold").y) == {76.0}
    baseline = [s for s in fig.layout.shapes if s.name == "baseline SBP"]
    assert [s.y0 for s in baseline] == [110.0]


def test_crp_fold_change_over_baseline_is_in_the_hover():
    trace = _trace(timeline_figure(_patient()), "CRP")
    # Baseline is the day-0 value 5 mg/L (last value at or before infusion).
    assert list(trace.customdata) == [1.0, 30.0, 50.0, 24.0, 6.0]


def test_crp_peak_is_marked_only_when_given():
    frame = _patient()
    assert not [t for t in timeline_figure(frame).data if t.name == "CRP peak (past)"]
    peak_instant = frame.loc[frame["day"] == 6.0, "instant"]
    trace = _trace(timeline_figure(frame, crp_peaks=peak_instant), "CRP peak (past)")
    assert list(trace.x) == [6.0]
    assert list(trace.y) == [250.0]
    assert "infection" in trace.hovertemplate


def test_alert_is_marked_where_it_begins():
    frame = _patient()
    frame["alerts"] = ["", "", "", "untreated_severe", "untreated_severe", "", "", ""]
    trace = _trace(timeline_figure(frame), f"Alert: {ALERT_LABELS['untreated_severe']}")
    assert list(trace.x) == [6.0]


def test_after_tocilizumab_the_crp_marks_say_that_tocilizumab_lowers_crp():
    # treatment.md §2 [v2]: wherever the CRP alert or caveat is shown after a dose.
    frame = _patient()
    frame["alerts"] = ["", "", "crp_past_peak", "", "", "crp_past_peak", "", ""]
    frame["after_tocilizumab"] = [False, False, False, True, True, True, True, True]
    trace = _trace(timeline_figure(frame), f"Alert: {ALERT_LABELS['crp_past_peak']}")
    assert list(trace.x) == [5.0, 7.0]
    before, after = trace.text
    assert TOCILIZUMAB_CRP_NOTE not in before
    assert after.endswith(TOCILIZUMAB_CRP_NOTE)
    peak_instant = frame.loc[frame["day"] == 6.0, "instant"]
    peak = _trace(timeline_figure(frame, crp_peaks=peak_instant), "CRP peak (past)")
    assert TOCILIZUMAB_CRP_NOTE in peak.hovertemplate


def test_death_is_marked():
    frame = graded_frame(
        [
            {"patient_id": "D", "day": 1.0, "grade": 4},
            {"patient_id": "D", "day": 2.0, "grade": 5, "deceased": 1.0},
        ]
    )
    fig = timeline_figure(frame)
    assert list(_trace(fig, "Death").x) == [2.0]
    assert [s.x0 for s in fig.layout.shapes if s.name == "death"] == [2.0]


def test_without_infusion_time_the_x_axis_is_date_time():
    frame = graded_frame(
        [
            {"patient_id": "T", "time": "2024-03-01 08:00", "grade": 1},
            {"patient_id": "T", "time": "2024-03-01 12:00", "grade": 2, "tocilizumab_mg": 400.0},
        ]
    )
    fig = timeline_figure(frame)
    assert fig.layout.meta["x_kind"] == "time"
    assert pd.Timestamp(_trace(fig, "Tocilizumab dose").x[0]) == pd.Timestamp("2024-03-01 12:00")


def test_a_month_of_hourly_rows_stays_one_point_per_row():
    frame = graded_frame(hourly("H", 30, grade=lambda d: int(d // 6) % 4, temp_c=38.2))
    fig = timeline_figure(frame)
    trace = _trace(fig, "CRS grade")
    assert len(trace.y) == len(frame) == 721


def test_png_download_uses_plotlys_own_button():
    options = FIGURE_CONFIG["toImageButtonOptions"]
    assert options["format"] == "png"
    assert "sendDataToCloud" not in str(FIGURE_CONFIG.get("modeBarButtonsToAdd", ""))


def test_timeline_does_not_modify_its_input():
    frame = _patient()
    before = frame.copy()
    timeline_figure(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_neurologic_signs_charted_hours_apart_are_one_band():
    # Confusion at day 1 and day 1.5 (resolved in between for 6 h), again at day 4.
    frame = graded_frame(
        [
            {"patient_id": "N", "day": 1.0, "symptoms": "confusion"},
            {"patient_id": "N", "day": 1.25},
            {"patient_id": "N", "day": 1.5, "symptoms": "tremor"},
            {"patient_id": "N", "day": 1.75},
            {"patient_id": "N", "day": 4.0, "neurotox_used": 1.0},
            {"patient_id": "N", "day": 5.0},
        ]
    )
    bands = [s for s in timeline_figure(frame).layout.shapes if s.name == "neurotoxicity"]
    assert [(b.x0, b.x1) for b in bands] == [(1.0, 1.75), (4.0, 5.0)]
