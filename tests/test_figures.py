"""The Figure 3 style timeline (crs.views.figures.timeline_figure) on hand-built graded rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from hand_graded import graded_frame, hourly

from crs.views.figures import ALERT_LEGEND, DEVICE_STRIP_Y, FIGURE_CONFIG, timeline_figure
from crs.views.reference import ALERT_LABELS, TOCILIZUMAB_CRP_NOTE


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


def test_every_panel_with_something_to_show_is_drawn_with_crp_beside_the_grade():
    fig = timeline_figure(_patient())
    panels = fig.layout.meta["panels"]
    # No oxygen charted: no oxygen panel (issue #15: empty panels left out).
    assert list(panels) == [
        "grade",
        "crp",
        "treatment",
        "temperature",
        "vasopressors",
        "neurotoxicity",
        "ice",
        "cytokines",
    ]
    titles = [a.text for a in fig.layout.annotations]
    assert (
        "CRS grades (Lee 2014, ASTCT 2019), ICANS grade and CRP (mg/L, log scale at the right)"
        in titles
    )
    # CRP shares the grade panel's row: its axis overlays the grade axis.
    assert _axis(fig, "crp").overlaying == "y"


def test_the_grade_panel_is_the_tallest():
    fig = timeline_figure(_patient())
    heights = {
        key: _axis(fig, key).domain[1] - _axis(fig, key).domain[0]
        for key in ("grade", "temperature", "vasopressors", "cytokines")
    }
    assert heights["grade"] > 2 * max(v for k, v in heights.items() if k != "grade")


def test_cytokine_panel_is_left_out_when_nothing_was_measured():
    frame = _patient().assign(il6_pg_ml=np.nan)
    assert "cytokines" not in timeline_figure(frame).layout.meta["panels"]


def test_crp_axis_is_logarithmic():
    fig = timeline_figure(_patient())
    assert _axis(fig, "crp").type == "log"
    assert _axis(fig, "temperature").type != "log"


def test_grade_markers_equal_the_graded_rows_and_the_line_is_a_step():
    frame = _patient()
    fig = timeline_figure(frame)
    trace = _trace(fig, "CRS grade")
    assert list(trace.y) == list(frame["grade"])
    assert list(trace.x) == list(frame["day"])
    course = _trace(fig, "CRS grade course")
    # Day 3 (grade 1) to day 5 (grade 2): flat at 1 until day 5, then up to 2.
    points = list(zip(course.x, course.y, strict=True))
    assert points[3:6] == [(3.0, 1.0), (5.0, 1.0), (5.0, 2.0)]


def test_grade_hover_shows_drivers_explanation_and_date_time_and_day():
    frame = _patient().assign(time=pd.date_range("2024-05-01 08:00", periods=8, freq="D"))
    trace = _trace(timeline_figure(frame), "CRS grade")
    assert trace.customdata[2][0] == "vasopressor"
    assert trace.customdata[2][1] == "Grade 2: norepinephrine 8 μg/min"
    assert trace.customdata[2][4] == "Fri 03 May 2024 08:00 · day 5"
    assert "customdata[4]" in trace.hovertemplate


def test_a_lower_bound_is_a_hollow_marker_on_a_dashed_step_never_a_dip_of_the_line():
    # 38.9 °C at 0 h, 8 h and 16 h; a CRP alone at 7 h: temperature not known there.
    frame = graded_frame(
        [
            {"patient_id": "L", "day": 1.0, "grade": 1, "drivers": "fever"},
            {"patient_id": "L", "day": 1 + 7 / 24, "grade": 0, "unknown": "temperature"},
            {"patient_id": "L", "day": 1 + 8 / 24, "grade": 1, "drivers": "fever"},
            {"patient_id": "L", "day": 1 + 16 / 24, "grade": 1, "drivers": "fever"},
        ]
    )
    fig = timeline_figure(frame)
    known = _trace(fig, "CRS grade")
    lower = _trace(fig, "CRS grade: lower bound (not documented)")
    assert list(known.y) == [1, 1, 1]
    assert list(lower.y) == [0]
    assert known.marker.symbol == "circle"
    assert lower.marker.symbol == "triangle-up-open"
    assert "temperature" in lower.customdata[0][2]
    assert "lower bound" in lower.hovertemplate
    # The known line never reaches 0: it stops before the lower bound and starts again.
    course = _trace(fig, "CRS grade course")
    assert 0.0 not in [y for y in course.y if y is not None]
    assert None in course.y
    dashed = _trace(fig, "CRS grade course — lower bound")
    assert dashed.line.dash == "dash"
    assert [y for y in dashed.y if y is not None] == [0.0, 0.0]


def test_one_marker_per_dose_on_the_treatment_strip_with_labels_that_do_not_overlap():
    fig = timeline_figure(_patient())
    toci = _trace(fig, "Tocilizumab dose")
    assert list(toci.x) == [6.0, 6.5]
    assert toci.yaxis == fig.layout.meta["panels"]["treatment"]
    # Half a day apart in a 9-day course: the second label goes below the first.
    assert list(toci.text) == ["320 mg", "320 mg"]
    assert list(toci.textposition) == ["top center", "bottom center"]
    assert "dose 2 of 4 on the label" in toci.hovertext[1]
    assert list(_trace(fig, "Dexamethasone dose").x) == [8.0]
    lines = [s for s in fig.layout.shapes if s.name == "dose:tocilizumab_mg"]
    assert sorted(s.x0 for s in lines) == [6.0, 6.5]
    assert all(s.yref == "paper" for s in lines)
    assert not [t for t in fig.data if t.name == "Methylprednisolone dose"]
    assert not [a for a in fig.layout.annotations if " mg" in str(a.text) and "CRP" not in a.text]


def test_a_third_close_dose_leaves_its_label_to_the_hover():
    rows = [{"patient_id": "X", "day": d, "dexamethasone_mg": 10.0} for d in (1.0, 1.25, 1.5)] + [
        {"patient_id": "X", "day": 9.0}
    ]
    trace = _trace(timeline_figure(graded_frame(rows)), "Dexamethasone dose")
    assert list(trace.text) == ["10 mg", "10 mg", ""]


def test_neurotoxicity_is_drawn_by_severity_from_the_entered_grade():
    frame = graded_frame(
        [
            {"patient_id": "N", "day": 1.0, "neurotox_used": 0.0},
            {"patient_id": "N", "day": 2.0, "neurotox_used": 1.0, "ice_score": 8.0},
            {"patient_id": "N", "day": 3.0, "neurotox_used": 3.0, "ice_score": 3.0},
            {"patient_id": "N", "day": 4.0, "neurotox_used": 1.0},
            {"patient_id": "N", "day": 5.0, "neurotox_used": 0.0, "ice_score": 10.0},
        ]
    )
    fig = timeline_figure(frame)
    bands = [
        (s.name, s.x0, s.x1, s.y1)
        for s in fig.layout.shapes
        if str(s.name).startswith("neurotoxicity grade")
    ]
    assert sorted(bands) == [
        ("neurotoxicity grade 1", 2.0, 3.0, 1),
        ("neurotoxicity grade 1", 4.0, 5.0, 1),
        ("neurotoxicity grade 3", 3.0, 4.0, 3),
    ]
    ice = _trace(fig, "ICE score (10 = normal)")
    assert list(ice.y) == [8.0, 3.0, 10.0]
    assert ice.yaxis == fig.layout.meta["panels"]["ice"]


def test_a_headache_charted_with_neurotoxicity_grade_0_draws_no_band():
    frame = graded_frame(
        [
            {"patient_id": "H", "day": 1.0},
            {"patient_id": "H", "day": 2.0, "symptoms": "headache", "neurotox_used": 0.0},
            {"patient_id": "H", "day": 3.0},
        ]
    )
    fig = timeline_figure(frame)
    assert not [s for s in fig.layout.shapes if "neurotoxicity" in str(s.name)]
    assert list(_trace(fig, "Neurologic sign written").x) == [2.0]


def test_each_alert_kind_has_its_own_marker_and_colour_in_the_legend():
    frame = _patient()
    frame["alerts"] = [
        "",
        "",
        "crp_past_peak",
        "untreated_severe",
        "untreated_severe",
        "no_improvement_after_tocilizumab",
        "",
        "",
    ]
    fig = timeline_figure(frame)
    alerts = [t for t in fig.data if str(t.name).startswith("Alert: ")]
    assert len(alerts) == 3
    assert len({t.marker.symbol for t in alerts}) == 3
    assert len({t.marker.color for t in alerts}) == 3
    assert all(t.showlegend is not False for t in alerts)


def test_the_device_is_a_strip_not_a_value_on_the_fio2_axis():
    frame = graded_frame(
        [
            {
                "patient_id": "V",
                "day": 1.0,
                "o2_device_used": "room_air",
                "oxygen_basis": "room_air",
            },
            {
                "patient_id": "V",
                "day": 2.0,
                "o2_device_used": "ventilator",
                "ventilated_used": True,
                "fio2_used": 60.0,
                "oxygen_basis": "fio2",
            },
            {
                "patient_id": "V",
                "day": 3.0,
                "o2_device_used": "ventilator",
                "ventilated_used": True,
            },
        ]
    )
    fig = timeline_figure(frame)
    strip = _trace(fig, "Device: mechanical ventilation")
    assert {y for y in strip.y if y is not None} == {DEVICE_STRIP_Y}
    assert not [t for t in fig.data if t.name == "Ventilator support"]
    assert [y for y in _trace(fig, "FiO2 (documented)").y if y == y] == [60.0]


def test_a_patient_on_room_air_has_no_oxygen_panel():
    frame = graded_frame(
        [
            {
                "patient_id": "R",
                "day": d,
                "o2_device_used": "room_air",
                "fio2_used": 21.0,
                "oxygen_basis": "room_air",
                "temp_c": 37.0,
            }
            for d in (1.0, 2.0)
        ]
    )
    assert "oxygen" not in timeline_figure(frame).layout.meta["panels"]


def test_values_left_out_are_marked_on_their_panel_at_their_row():
    frame = _patient().assign(line=range(2, 10))
    problems = pd.DataFrame(
        {
            "line": [4, 5, 3],
            "column": ["Temperature (F)", "crp_mg_l", "temp_c"],
            "raw": ["1O1", "<5", "85"],
            "reason": ["not a number", "read as its bound 5", "impossible"],
            "kind": ["unparseable", "comparator", "impossible"],
        }
    )
    fig = timeline_figure(frame, problems=problems)
    [mark] = [t for t in fig.data if t.name == "Value left out (data problem)"]
    # Line 4 is the day-5 row, line 3 the day-3 row; the CRP read as its bound is not
    # left out, so it has no mark.
    assert sorted(mark.x) == [3.0, 5.0]
    assert mark.yaxis == fig.layout.meta["panels"]["temperature"]
    assert "1O1" in " ".join(str(c[0]) for c in mark.customdata)


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
    trace = _trace(timeline_figure(_patient()), "CRP (mg/L)")
    # Baseline is the day-0 value 5 mg/L (last value at or before infusion).
    assert [float(c[0]) for c in trace.customdata] == [1.0, 30.0, 50.0, 24.0, 6.0]


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
    trace = _trace(timeline_figure(frame), ALERT_LEGEND["untreated_severe"])
    assert list(trace.x) == [6.0]
    assert trace.customdata[0][0] == ALERT_LABELS["untreated_severe"]


def test_after_tocilizumab_the_crp_marks_say_that_tocilizumab_lowers_crp():
    # treatment.md §2 [v2]: wherever the CRP alert or caveat is shown after a dose.
    frame = _patient()
    frame["alerts"] = ["", "", "crp_past_peak", "", "", "crp_past_peak", "", ""]
    frame["after_tocilizumab"] = [False, False, False, True, True, True, True, True]
    trace = _trace(timeline_figure(frame), ALERT_LEGEND["crp_past_peak"])
    assert list(trace.x) == [5.0, 7.0]
    before, after = (str(c[0]) for c in trace.customdata)
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
