"""The patient timeline in the style of Lee et al. 2014, Figure 3 (docs/architecture.md §6).

Figure 3 of the paper draws one hypothetical patient's course: fever, then hypotension
treated with a low-dose vasopressor, tocilizumab at decompensation, cytokines and CRP
rising and falling, and neurologic symptoms that may begin before or after tocilizumab
and outlast it. :func:`timeline_figure` draws the same story from one patient's graded
rows (architecture §2), as stacked panels sharing the time axis (issue #15):

1. the CRS grade (Table 2) and CRP on one panel, the tallest: the grade as a step line
   over coloured bands 0–5, solid where the grade is known and dashed with hollow
   up-pointing markers where it is a lower bound (something not documented in its
   window, grading.md §4) — so a time point without a recent temperature never looks
   like a recovery; CRP on a logarithmic axis at the right, its peak marked once past;
   each alert kind with its own marker and colour where it begins; death;
2. treatment given: every tocilizumab, corticosteroid and other immunosuppressant dose
   on its own row, labelled without overlap (crs.treatment.given), tocilizumab also as a dotted
   line through every panel;
3. temperature with the 38 °C fever line (grading.md §3);
4. SBP and MAP with this patient's hypotension threshold (§3.1) and baseline SBP;
5. vasopressors as norepinephrine equivalent (Table 3, VASST) with high-dose periods;
6. oxygen: FiO2 documented (solid) or estimated from a cannula flow (dotted, not
   graded), with the device in effect as a strip of its own colour (§3.3);
7. neurotoxicity by severity: a band per entered CTCAE grade, the ICE score when
   charted, neurologic words as markers (crs.findings.neuro);
8. IL-6, IFN-γ and ferritin on a logarithmic axis.

A panel with nothing to show is left out (no oxygen panel for a patient on room air).
Every hover gives the date-time and the day since infusion. Values the reader left out
(unreadable or impossible cells, crs.read.quality) are marked on their variable's panel at
their time point. A finding a clinician attributed to another cause (grading.md §5) is a
grey band over its time range on the grade panel and the finding's own panel, with a
marker on each time point it was left out of. The function is pure: it never modifies
its input and returns a ``plotly.graph_objects.Figure``; the page only draws it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from crs.findings.neuro import carried_grade, neurologic_symptom, severity_runs
from crs.findings.oxygen import BASIS_LABELS, DEVICE_LABELS
from crs.read.identifiers import visible
from crs.read.timeaxis import instant_to_day
from crs.scales.criteria import criterion_label
from crs.scales.explain import unknown_words_column
from crs.scales.scale_explain import driver_words_column
from crs.treatment.given import doses_given
from crs.treatment.trends import crp_caveat, fold_change
from crs.views.problem_rows import left_out
from crs.views.reference import ALERT_LABELS, alert_words

#: Colours of the grade bands and badges, 0–5 (Table 2): green to black as severity rises.
GRADE_COLOURS: dict[int, str] = {
    0: "#4caf50",
    1: "#fbc02d",
    2: "#fb8c00",
    3: "#e53935",
    4: "#8e0000",
    5: "#212121",
}

#: Fever threshold, grading.md §3 [decision]: temp_c ≥ 38.0 °C.
FEVER_C = 38.0
#: Table 2: oxygen requirement < 40 % is grade 2, ≥ 40 % grade 3.
FIO2_HIGH_PCT = 40.0
#: grading.md §3.1: MAP < 65 mmHg is hypotension for adults (age ≥ 18 or unknown).
MAP_THRESHOLD_MMHG = 65.0
#: grading.md §3.1: "relative hypotension" is SBP more than 20 % below baseline.
RELATIVE_HYPOTENSION_FRACTION = 0.8

#: Above this many points a trace is drawn with WebGL (Scattergl) to stay responsive.
WEBGL_ABOVE_POINTS = 3000


@dataclass(frozen=True)
class GradeScale:
    """One grade drawn as a step line on the grade panel. The panel's traces come from
    :data:`GRADE_SCALES`, so another scale (ASTCT 2019, ICANS) is one more entry."""

    name: str  # trace name, e.g. "CRS grade"
    column: str  # graded-frame column of the grade (int 0–5)
    unknown: str  # column naming the domains not documented ("" = the grade is known)
    colour: str  # colour of the step line
    drivers: str = "drivers"  # column of its drivers (codes, ``;``)
    explanation: str = "explanation"  # column of its sentence
    symbol: str = "circle"  # marker of each row's grade
    dash: str = "solid"  # step line
    #: Drawn this far above the grade (so lines at one grade stay apart); the hover
    #: always says the grade itself.
    offset: float = 0.0
    #: Marker size (the other scales' a little larger than Lee's, and 0.3 apart from it,
    #: so Lee's point under the cursor keeps its own hover where the courses meet).
    size: int = 6


#: Lee 2014 (the source of this tool) and, beside it, ASTCT 2019 CRS and ICANS
#: (astct.md §5: "two more step traces on the grade axis").
GRADE_SCALES: tuple[GradeScale, ...] = (
    GradeScale("CRS grade", "grade", "unknown", "#212121"),
    GradeScale(
        "ASTCT CRS grade",
        "astct_grade",
        "unknown",
        "#1565c0",
        "astct_drivers",
        "astct_explanation",
        "square",
        "dot",
        0.3,
        7,
    ),
    GradeScale(
        "ICANS grade",
        "icans_grade",
        "icans_unknown",
        "#ad1457",
        "icans_drivers",
        "icans_explanation",
        "diamond",
        "dashdot",
        -0.3,
        7,
    ),
)

#: Alerts (treatment.md §2): each kind its own marker and colour, explained in the legend.
ALERT_STYLES: dict[str, tuple[str, str]] = {
    "untreated_severe": ("diamond", "#c62828"),
    "no_improvement_after_tocilizumab": ("hexagon", "#6a1b9a"),
    "crp_past_peak": ("triangle-down", "#2e7d32"),
}
#: The legend's words for each alert (the hover gives the full sentence).
ALERT_LEGEND: dict[str, str] = {
    "untreated_severe": "Alert: grade ≥ 3 untreated",
    "no_improvement_after_tocilizumab": "Alert: no improvement after tocilizumab",
    "crp_past_peak": "Alert: CRP past its peak",
}
#: Height on the grade axis of the alert markers (below the grade-0 band).
ALERT_Y = -0.45

#: Immunosuppressants of the treatment strip: drug → (trace name, row, symbol, colour).
TREATMENT_ROWS: dict[str, tuple[str, int, str, str]] = {
    "tocilizumab": ("Tocilizumab dose", 3, "triangle-down", "#1565c0"),
    "methylprednisolone": ("Methylprednisolone dose", 2, "square", "#6a1b9a"),
    "dexamethasone": ("Dexamethasone dose", 1, "diamond", "#00838f"),
}
OTHER_TREATMENT: tuple[str, int, str, str] = ("Other immunosuppressant", 0, "circle", "#455a64")
#: Dose labels closer than this share of the time span alternate above and below; a
#: third in a row is left to the hover (labels never overlap).
LABEL_GAP_SHARE = 0.06

#: Colours of the oxygen device strip (crs.findings.oxygen codes).
DEVICE_COLOURS: dict[str, str] = {
    "nasal_cannula": "#90caf9",
    "blow_by": "#bbdefb",
    "face_mask": "#4fc3f7",
    "venturi": "#29b6f6",
    "non_rebreather": "#0288d1",
    "hfnc": "#0277bd",
    "cpap": "#5c6bc0",
    "bipap": "#3949ab",
    "niv": "#3949ab",
    "ventilator": "#1a237e",
    "other": "#9e9e9e",
}
#: Height of the device strip on the oxygen axis (FiO2 starts at 21 %).
DEVICE_STRIP_Y = 8.0

#: Neurotoxicity bands by entered CTCAE grade (1–4), lightest to darkest.
NEURO_COLOURS: dict[int, str] = {1: "#d1c4e9", 2: "#9575cd", 3: "#5e35b1", 4: "#311b92"}

#: Cytokines and ferritin of the lower log panel: column, label, unit, colour.
CYTOKINES: tuple[tuple[str, str, str, str], ...] = (
    ("il6_pg_ml", "IL-6", "pg/mL", "#c62828"),
    ("ifng_pg_ml", "IFN-γ", "pg/mL", "#2e7d32"),
    ("ferritin_ng_ml", "Ferritin", "ng/mL", "#6d4c41"),
)

#: grading.md §5: the panel showing each attributable finding's own values, where its
#: "not CRS" band is drawn besides the grade panel.
ATTRIBUTION_PANELS: dict[str, str] = {
    "fever": "temperature",
    "hypotension": "blood_pressure",
    "vasopressor": "vasopressors",
    "oxygen": "oxygen",
    "ventilation": "oxygen",
}
#: Grey: a finding that is not counted (attributed to another cause).
ATTRIBUTED_COLOUR = "#616161"
#: Height on the grade panel of the "left out here" markers (below the dose markers).
ATTRIBUTED_MARKER_Y = 5.2

#: The panel of each canonical column, for the marks of values left out; any other
#: column is marked on the grade panel.
PANEL_OF_COLUMN: dict[str, str] = {
    "temp_c": "temperature",
    "sbp_mmhg": "blood_pressure",
    "dbp_mmhg": "blood_pressure",
    "map_mmhg": "blood_pressure",
    "norepinephrine_ug_min": "vasopressors",
    "norepinephrine_ug_kg_min": "vasopressors",
    "epinephrine_ug_min": "vasopressors",
    "epinephrine_ug_kg_min": "vasopressors",
    "phenylephrine_ug_min": "vasopressors",
    "phenylephrine_ug_kg_min": "vasopressors",
    "dopamine_ug_kg_min": "vasopressors",
    "vasopressin_u_min": "vasopressors",
    "fio2": "oxygen",
    "o2_flow_l_min": "oxygen",
    "o2_device": "oxygen",
    "crp_mg_l": "crp",
    "il6_pg_ml": "cytokines",
    "ifng_pg_ml": "cytokines",
    "ferritin_ng_ml": "cytokines",
    "neurotox_grade": "neurotoxicity",
    "ice_score": "neurotoxicity",
    "capd_score": "neurotoxicity",
    "consciousness": "neurotoxicity",
    "rass": "neurotoxicity",
    "seizure": "neurotoxicity",
    "motor_weakness": "neurotoxicity",
    "cerebral_edema": "neurotoxicity",
    "tocilizumab_mg": "treatment",
    "methylprednisolone_mg": "treatment",
    "dexamethasone_mg": "treatment",
}
PROBLEM_COLOUR = "#d50000"

#: Download button of plotly's own modebar: a PNG made in the browser (no outside service).
FIGURE_CONFIG: dict[str, object] = {
    "displaylogo": False,
    "responsive": True,
    "toImageButtonOptions": {
        "format": "png",
        "filename": "crs_timeline",
        "width": 1600,
        "height": 1400,
        "scale": 1,
    },
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    log: bool = False
    weight: float = 1.0


PANELS: tuple[Panel, ...] = (
    Panel("grade", "CRS grades (Lee 2014, ASTCT 2019), ICANS grade", weight=2.3),
    Panel("treatment", "Treatment given", weight=0.55),
    Panel("temperature", "Temperature (°C)", weight=0.85),
    Panel("blood_pressure", "Blood pressure (mmHg)"),
    Panel("vasopressors", "Vasopressors (norepinephrine equivalent, μg/min)", weight=0.8),
    Panel("oxygen", "Oxygen (FiO2 %) and device", weight=0.9),
    Panel("neurotoxicity", "Neurotoxicity (CTCAE grade) and ICE score (at the right)", weight=0.8),
    Panel("cytokines", "IL-6, IFN-γ (pg/mL), ferritin (ng/mL) (log)", log=True, weight=0.9),
)
#: Panels whose row has a second y-axis at the right (CRP, ICE).
SECONDARY: dict[str, str] = {"grade": "crp", "neurotoxicity": "ice"}
#: Pixels per unit of panel weight, and around the panels.
PX_PER_WEIGHT = 150
MARGIN_PX = 150


@dataclass(frozen=True)
class Axis:
    """The shared x-axis: days since infusion, or clock time when no infusion is known."""

    kind: str  # "day" or "time"
    title: str
    values: pd.Series


def x_axis(graded_patient: pd.DataFrame) -> Axis:
    """Days since infusion when every row has a day; otherwise the date-time of each row."""
    day = pd.to_numeric(graded_patient["day"], errors="coerce")
    if len(day) and day.notna().all():
        return Axis("day", "Days since infusion", day.astype("float64"))
    time = graded_patient["time"] if "time" in graded_patient.columns else None
    if time is None or time.isna().any():
        time = graded_patient["instant"]
    return Axis("time", "Date and time (no infusion time recorded)", time)


def when_labels(rows: pd.DataFrame) -> pd.Series:
    """'Mon 16 Sep 2024 08:00 · day 6.9' per row (the hover's time), vectorised."""
    day = pd.to_numeric(rows["day"], errors="coerce")
    day_text = ("day " + day.round(1).map("{:g}".format)).where(day.notna(), "")
    time = rows["time"] if "time" in rows.columns else pd.Series(pd.NaT, index=rows.index)
    clock = pd.to_datetime(time).dt.strftime("%a %d %b %Y %H:%M").fillna("")
    both = (clock + " · " + day_text).str.strip(" ·")
    return both.where(both != "", "time not known").astype("str")


def _scatter(n_points: int) -> type[go.Scatter] | type[go.Scattergl]:
    """SVG for ordinary stays; WebGL when a trace is long (a month of minute data)."""
    return go.Scattergl if n_points > WEBGL_ABOVE_POINTS else go.Scatter


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[column], errors="coerce").astype("float64")


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype="str")
    return frame[column].fillna("").astype("str")


def _plain(text: str | pd.Series) -> str | pd.Series:
    """Text of a file (or typed by a person) as Plotly shows it literally: Plotly reads
    ``<a href>``, ``<b>``, ``<br>`` in titles and hover texts (an outside link on the
    ward PC), and a right-to-left override would reorder an id; so ``<``, ``>``, ``&``
    become entities and hidden characters code points (crs.read.identifiers.visible)."""
    if isinstance(text, pd.Series):
        return text.map(_plain)
    return escape(visible(text), quote=False)


def _flag(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(False, index=frame.index)
    # Booleans arrive as bool or as float 1.0 / 0.0 / NaN (architecture §1.1).
    return (frame[column] == 1).fillna(False).astype("bool")


def _runs(flag: pd.Series, x: pd.Series) -> list[tuple[object, object]]:
    """(start, end) x of each run of ``flag``; a run ends at the next unflagged row."""
    from crs.findings.neuro import episodes

    frame = episodes(x.reset_index(drop=True), flag.reset_index(drop=True))
    return list(zip(frame["start"], frame["end"], strict=True))


def _full_height(fig: go.Figure, kind: str, x0: object, x1: object, name: str, **style) -> None:
    """A named line or band spanning every panel at x0..x1 (tocilizumab, death)."""
    fig.add_shape(type=kind, xref="x", x0=x0, x1=x1, yref="paper", y0=0, y1=1, name=name, **style)


def _step_segments(
    x: pd.Series, y: pd.Series, keep: np.ndarray
) -> tuple[list[object], list[float | None]]:
    """Coordinates of a step line (horizontal from each row to the next) drawn only from
    the rows in ``keep``; the vertical to the next row only when it is kept too, so a row
    left out (a lower bound) is a gap in the line, never a dip or a rise."""
    xs: list[object] = []
    ys: list[float | None] = []
    values, places = y.to_numpy(dtype="float64"), list(x)
    n = len(places)
    for i in np.flatnonzero(keep):  # the kept rows of one patient: a stay, not a ward
        end = places[i + 1] if i + 1 < n else places[i]
        xs += [places[i], end]
        ys += [float(values[i]), float(values[i])]
        if i + 1 < n and keep[i + 1]:
            xs.append(end)
            ys.append(float(values[i + 1]))
        else:
            xs.append(None)
            ys.append(None)
    return xs, ys


@dataclass
class _Chart:
    """The figure being built, with each panel's y-axis and the hover's time labels."""

    fig: go.Figure
    rows: pd.DataFrame
    x: pd.Series
    axis: Axis
    when: pd.Series
    row_of: dict[str, int]
    yaxis_of: dict[str, str]

    def add(self, trace: go.BaseTraceType, key: str) -> None:
        secondary = key in SECONDARY.values()
        panel = next((p for p, s in SECONDARY.items() if s == key), key) if secondary else key
        trace.legendgroup = panel
        self.fig.add_trace(trace, row=self.row_of[panel], col=1, secondary_y=secondary)

    def has(self, key: str) -> bool:
        return key in self.yaxis_of

    def hline(self, key: str, y: float, colour: str, label: str) -> None:
        self.fig.add_shape(
            type="line",
            xref="x domain",
            x0=0,
            x1=1,
            yref=self.yaxis_of[key],
            y0=y,
            y1=y,
            line={"color": colour, "dash": "dash", "width": 1},
            name=label,
        )
        self.fig.add_annotation(
            xref="x domain",
            x=1,
            yref=self.yaxis_of[key],
            y=y,
            text=label,
            showarrow=False,
            xanchor="right",
            yanchor="bottom",
            font={"size": 10, "color": colour},
        )


def _panels_present(rows: pd.DataFrame) -> list[Panel]:
    """The panels with something to show (the grade panel always)."""
    device = _text(rows, "o2_device_used")
    basis = _text(rows, "oxygen_basis")
    neuro_charted = (
        carried_grade(rows).notna().any()
        or _numeric(rows, "ice_used").notna().any()
        or _numeric(rows, "ice_score").notna().any()
        or neurologic_symptom(_text(rows, "symptoms")).any()
        or _numeric(rows, "capd_score").notna().any()
        or _numeric(rows, "icans_grade").gt(0).any()
    )
    present = {
        "grade": True,
        "treatment": not doses_given(rows).empty,
        "temperature": _numeric(rows, "temp_c").notna().any(),
        "blood_pressure": (
            _numeric(rows, "sbp_mmhg").notna().any() or _numeric(rows, "map_mmhg").notna().any()
        ),
        "vasopressors": (
            _numeric(rows, "ne_eq_ug_min").gt(0).any()
            or _text(rows, "vasopressors").ne("").any()
            or _flag(rows, "dose_unknown").any()
        ),
        "oxygen": (
            (_numeric(rows, "fio2_used").gt(21) & basis.ne("room_air")).any()
            or (~device.isin(["", "room_air"])).any()
            or _flag(rows, "ventilated_used").any()
        ),
        "neurotoxicity": bool(neuro_charted),
        "cytokines": any(_numeric(rows, c).gt(0).any() for c, *_ in CYTOKINES),
    }
    return [p for p in PANELS if present[p.key]]


#: Added to the grade panel's title when CRP is drawn on its right axis.
CRP_TITLE = " and CRP (mg/L, log scale at the right)"


def _title(panel: Panel, rows: pd.DataFrame) -> str:
    crp = panel.key == "grade" and _numeric(rows, "crp_mg_l").gt(0).any()
    return panel.title + CRP_TITLE if crp else panel.title


def _new_chart(rows: pd.DataFrame) -> _Chart:
    axis = x_axis(rows)
    panels = _panels_present(rows)
    weights = [p.weight for p in panels]
    fig = make_subplots(
        rows=len(panels),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.045 if len(panels) > 4 else 0.07,
        row_heights=[w / sum(weights) for w in weights],
        subplot_titles=[_title(p, rows) for p in panels],
        specs=[[{"secondary_y": p.key in SECONDARY}] for p in panels],
    )
    row_of = {p.key: i + 1 for i, p in enumerate(panels)}
    yaxis_of = {}
    for panel in panels:
        primary = fig.get_subplot(row_of[panel.key], 1)
        yaxis_of[panel.key] = primary.yaxis.plotly_name.replace("axis", "")
        if panel.key in SECONDARY:
            second = fig.get_subplot(row_of[panel.key], 1, secondary_y=True)
            yaxis_of[SECONDARY[panel.key]] = second.yaxis.plotly_name.replace("axis", "")
    fig.update_layout(
        height=int(PX_PER_WEIGHT * sum(weights) + MARGIN_PX),
        meta={"panels": yaxis_of, "x_kind": axis.kind},
    )
    return _Chart(
        fig, rows, axis.values.reset_index(drop=True), axis, when_labels(rows), row_of, yaxis_of
    )


def timeline_figure(
    graded_patient: pd.DataFrame,
    *,
    crp_peaks: Iterable[object] | None = None,
    title: str | None = None,
    attributions: pd.DataFrame | None = None,
    problems: pd.DataFrame | None = None,
) -> go.Figure:
    """Figure 3 style timeline of one patient's graded rows.

    Parameters
    ----------
    graded_patient
        The graded rows of ONE patient (architecture §2, with ``alerts`` when the
        treatment algorithm ran), sorted by instant. Not modified.
    crp_peaks
        Instants (``instant`` values) of CRP peaks to mark, e.g. from
        ``crs.treatment.trends``; each is marked only where a CRP value was recorded.
    title
        Figure title, plain text (shown as written); defaults to "Patient <id>".
    attributions
        Attributions in effect for this patient (grading.md §5; the columns
        ``criterion, start, end, reason, author`` of ``Store.attributions``, ``start``
        and ``end`` as instants, an empty ``end`` open-ended). Each gets a grey band
        named ``attribution:<criterion>``; the rows whose ``attributed`` column names a
        criterion get a marker in the trace "Attributed to another cause".
    problems
        This patient's data-quality problems (``line, column, raw, reason, kind`` of
        crs.read.quality); the values left out are marked on their panel at their row
        (trace "Value left out (data problem)").

    Returns
    -------
    plotly Figure. ``fig.layout.meta["panels"]`` maps each panel key drawn (see
    :data:`PANELS`; ``crp`` and ``ice`` are the grade and neurotoxicity panels' right
    axes) to its y-axis name (``"y"``, ``"y2"``, …), ``meta["x_kind"]`` says whether x
    is ``"day"`` or ``"time"``.
    """
    rows = graded_patient.reset_index(drop=True)
    chart = _new_chart(rows)
    _grade_panel(chart)
    _crp(chart, crp_peaks)
    _alerts(chart)
    _death(chart)
    _attribution_marks(chart, attributions)
    for key, draw in PANEL_DRAWERS.items():
        if chart.has(key):
            draw(chart)
    _problem_marks(chart, problems)
    _layout(chart, title)
    return chart.fig


def _grade_panel(chart: _Chart) -> None:
    """Bands 0–5, then each grade scale as a step: solid and filled where known, dashed
    with hollow up-pointing markers where a lower bound (grading.md §4)."""
    for grade, colour in GRADE_COLOURS.items():
        chart.fig.add_shape(
            type="rect",
            xref="x domain",
            x0=0,
            x1=1,
            yref="y",
            y0=grade - 0.5,
            y1=grade + 0.5,
            fillcolor=colour,
            opacity=0.13,
            line={"width": 0},
            layer="below",
            name=f"grade band {grade}",
        )
    # Lee's course drawn last, on top: its points win the hover where courses meet; the
    # legend still lists Lee first.
    for scale in reversed(GRADE_SCALES):
        if scale.column == "icans_grade" and not _neuro_assessed(chart.rows):
            _not_drawn(chart, scale, "no ICE, CAPD or level of consciousness charted")
            continue
        _grade_steps(chart, scale)
    for rank, scale in enumerate(GRADE_SCALES, start=1):
        chart.fig.update_traces(
            legendrank=rank, selector=lambda t, name=scale.name: (t.name or "").startswith(name)
        )


#: The ICANS findings (astct.md §1.1): without any, the ICANS course is not drawn.
ICANS_FINDINGS: tuple[str, ...] = (
    "ice_score",
    "capd_score",
    "consciousness",
    "rass",
    "seizure",
    "motor_weakness",
    "cerebral_edema",
)


def _neuro_assessed(rows: pd.DataFrame) -> bool:
    return any(c in rows.columns and rows[c].notna().any() for c in ICANS_FINDINGS)


def _not_drawn(chart: _Chart, scale: GradeScale, why: str) -> None:
    """A legend entry saying why a scale has no course (nothing to grade it from)."""
    chart.add(
        go.Scatter(
            x=[None],
            y=[None],
            name=f"{scale.name}: not drawn ({why})",
            mode="markers",
            marker={"symbol": f"{scale.symbol}-open", "color": scale.colour, "size": 8},
            hoverinfo="skip",
        ),
        "grade",
    )


def _grade_steps(chart: _Chart, scale: GradeScale) -> None:
    rows, x = chart.rows, chart.x
    if scale.column not in rows.columns:
        return
    grade = rows[scale.column].astype("int64")
    unknown = _text(rows, scale.unknown)
    lower = unknown.ne("").to_numpy()
    colours = np.array([GRADE_COLOURS[int(g)] for g in grade.clip(0, 5)], dtype=object)
    custom = np.column_stack(
        [
            _plain(driver_words_column(_text(rows, scale.drivers))).replace("", "none"),
            _plain(_text(rows, scale.explanation)),  # quotes recorded symptoms
            unknown_words_column(unknown).replace("", "none"),
            _text(rows, "recommendation").str.replace("_", " ").replace("", "—"),
            chart.when,
            grade.astype("str"),
        ]
    )
    shown = grade + scale.offset  # apart from the other scales at the same grade
    lee = scale.column == "grade"
    for known, suffix, dash, colour in (
        (True, "", scale.dash, scale.colour),
        (False, " — lower bound", "dash", "#757575" if lee else scale.colour),
    ):
        keep = ~lower if known else lower
        xs, ys = _step_segments(x, shown, keep)
        if not xs:
            continue
        chart.add(
            _scatter(len(xs))(
                x=xs,
                y=ys,
                mode="lines",
                name=f"{scale.name} course{suffix}",
                line={"color": colour, "width": 2.2 if known else 1.6, "dash": dash},
                hoverinfo="skip",
                showlegend=False,
            ),
            "grade",
        )
    n = int((~lower).sum())
    if n == 0:
        return _lower_bound_markers(chart, scale, shown, lower, colours, custom)
    label = "Grade" if scale.column == "grade" else scale.name
    suggestion = "<br>Suggestion: %{customdata[3]}" if scale.column == "grade" else ""
    chart.add(
        _scatter(n)(
            x=x[~lower],
            y=shown[~lower],
            name=scale.name,
            mode="markers",
            marker={
                "color": list(colours[~lower]),
                "size": scale.size,
                "symbol": scale.symbol,
                "line": {"color": scale.colour, "width": 1},
            },
            customdata=custom[~lower],
            hovertemplate=(
                f"<b>{label} %{{customdata[5]}}</b> · %{{customdata[4]}}<br>%{{customdata[1]}}<br>"
                f"Drivers: %{{customdata[0]}}{suggestion}<extra></extra>"
            ),
        ),
        "grade",
    )
    _lower_bound_markers(chart, scale, shown, lower, colours, custom)


def _lower_bound_markers(
    chart: _Chart,
    scale: GradeScale,
    grade: pd.Series,
    lower: np.ndarray,
    colours: np.ndarray,
    custom: np.ndarray,
) -> None:
    """Hollow up-pointing markers at the grades that are lower bounds, the hover saying
    what was not documented (grading.md §4)."""
    x = chart.x
    if lower.any():
        chart.add(
            _scatter(int(lower.sum()))(
                x=x[lower],
                y=grade[lower],
                name=f"{scale.name}: lower bound (not documented)",
                mode="markers",
                marker={
                    "color": list(colours[lower]),
                    "size": 10,
                    "symbol": "triangle-up-open",
                    "line": {"width": 2},
                },
                customdata=custom[lower],
                hovertemplate=(
                    f"<b>{'Grade' if scale.column == 'grade' else scale.name} ≥ "
                    "%{customdata[5]}: a lower bound</b> · %{customdata[4]}<br>"
                    "Not documented within its window: %{customdata[2]} — the grade may be "
                    "higher<br>%{customdata[1]}<br>Drivers: %{customdata[0]}<extra></extra>"
                ),
            ),
            "grade",
        )


def _crp(chart: _Chart, crp_peaks: Iterable[object] | None) -> None:
    """CRP on the grade panel's right axis (log), fold change over baseline in the hover,
    the peak once it is past (treatment.md §4)."""
    rows, x = chart.rows, chart.x
    crp = _numeric(rows, "crp_mg_l")
    measured = crp.notna() & (crp > 0)
    if not measured.any():
        return
    chart.add(
        go.Scatter(
            x=x[measured],
            y=crp[measured],
            name="CRP (mg/L)",
            mode="lines+markers",
            line={"color": "#f57f17", "width": 1.5},
            marker={"size": 5},
            customdata=np.column_stack(
                [fold_change(rows, "crp_mg_l")[measured], chart.when[measured]]
            ),
            hovertemplate=(
                "CRP %{y:g} mg/L (× %{customdata[0]:.1f} baseline)<br>%{customdata[1]}"
                "<extra></extra>"
            ),
        ),
        "crp",
    )
    if crp_peaks is None:
        return
    peak_at = rows["instant"].isin(pd.to_datetime(pd.Series(list(crp_peaks)))) & measured
    if peak_at.any():
        chart.add(
            go.Scatter(
                x=x[peak_at],
                y=crp[peak_at],
                mode="markers",
                name="CRP peak (past)",
                marker={"symbol": "star", "size": 14, "color": "#bf360c"},
                text=chart.when[peak_at],
                hovertemplate=(
                    "CRP peak %{y:g} mg/L, confirmed by two falls after it · %{text}<br>"
                    + crp_caveat(rows)
                    + "<extra></extra>"
                ),
            ),
            "crp",
        )


def _alerts(chart: _Chart) -> None:
    """Each alert kind (treatment.md §2) marked where it begins, its own marker."""
    rows, x = chart.rows, chart.x
    alerts = _text(rows, "alerts")
    after_tocilizumab = _flag(rows, "after_tocilizumab")
    for code, label in ALERT_LABELS.items():
        present = alerts.str.split(";").map(lambda codes, c=code: c in codes)
        begins = present & ~present.shift(1, fill_value=False)
        if not begins.any():
            continue
        # The CRP alert says, after tocilizumab, that tocilizumab lowers CRP (treatment §2).
        words = [alert_words(code, bool(after))[0] for after in after_tocilizumab[begins]]
        symbol, colour = ALERT_STYLES.get(code, ("circle", "#d81b60"))
        chart.add(
            go.Scatter(
                x=x[begins],
                y=np.full(int(begins.sum()), ALERT_Y),
                mode="markers",
                name=ALERT_LEGEND.get(code, f"Alert: {label}"),
                marker={
                    "symbol": symbol,
                    "size": 12,
                    "color": colour,
                    "line": {"color": "#ffffff", "width": 1},
                },
                customdata=np.column_stack([words, chart.when[begins]]),
                hovertemplate="Alert begins · %{customdata[1]}<br>%{customdata[0]}<extra></extra>",
            ),
            "grade",
        )


def _death(chart: _Chart) -> None:
    rows, x = chart.rows, chart.x
    died = _flag(rows, "deceased") | (rows["grade"].astype("int64") == 5)
    if not died.any():
        return
    death_x = x[died].iloc[0]
    chart.add(
        go.Scatter(
            x=[death_x],
            y=[5],
            mode="markers",
            name="Death",
            marker={"symbol": "x-thin-open", "size": 16, "line": {"width": 3}, "color": "#000"},
            text=[chart.when[died].iloc[0]],
            hovertemplate="Death recorded · %{text}<extra></extra>",
        ),
        "grade",
    )
    _full_height(chart.fig, "line", death_x, death_x, "death", line={"color": "#000", "width": 2})


def _treatment(chart: _Chart) -> None:
    """Every dose given (crs.treatment.given) on its drug's row, labelled without overlap; a dotted
    line through every panel at each tocilizumab dose (Figure 3)."""
    rows, x = chart.rows, chart.x
    given = doses_given(rows)
    position = pd.Series(np.arange(len(rows)), index=rows["instant"].to_numpy())
    at = position[~position.index.duplicated()].reindex(given["instant"].to_numpy()).to_numpy()
    given = given.assign(x=x.to_numpy()[at.astype("int64")], when=chart.when.to_numpy()[at])
    span = _span(x)
    style = given["drug"].map(lambda d: TREATMENT_ROWS.get(str(d), OTHER_TREATMENT))
    given = given.assign(trace=style.map(lambda s: s[0]))
    for (name, row, symbol, colour), part in given.groupby(style, sort=False):  # a few drugs
        label = np.where(
            part["dose_mg"].notna(), part["dose_mg"].map("{:g} mg".format), part["drug"].map(_plain)
        )
        hours = part["hours_ago"].map("{:.1f}".format)
        number = np.where(
            part["of"] > 0,
            "dose "
            + part["number"].astype("str")
            + " of "
            + part["of"].astype("str")
            + " on the label",
            "",
        )
        hover = (
            _plain(part["dose"])
            + " · "
            + part["when"]
            + "<br>"
            + hours
            + " h before the latest time point<br>"
            + number
            + "<br>"
            + part["note"]
        )
        chart.add(
            go.Scatter(
                x=part["x"],
                y=np.full(len(part), row),
                mode="markers+text",
                name=name,
                marker={"symbol": symbol, "size": 11, "color": colour},
                text=_labels_without_overlap(part["x"], label, span),
                textposition=_label_positions(part["x"], span),
                textfont={"size": 10, "color": colour},
                hovertext=hover.str.replace(r"(<br>)+$", "", regex=True),
                hovertemplate="%{hovertext}<extra></extra>",
                cliponaxis=False,
            ),
            "treatment",
        )
        if name == TREATMENT_ROWS["tocilizumab"][0]:
            for value in part["x"]:
                _full_height(
                    chart.fig,
                    "line",
                    value,
                    value,
                    "dose:tocilizumab_mg",
                    line={"color": colour, "width": 1.2, "dash": "dot"},
                )
    used = sorted({TREATMENT_ROWS.get(str(d), OTHER_TREATMENT)[1] for d in given["drug"]})
    names = {v[1]: v[0].removesuffix(" dose") for v in [*TREATMENT_ROWS.values(), OTHER_TREATMENT]}
    chart.fig.update_yaxes(
        row=chart.row_of["treatment"],
        col=1,
        tickvals=used,
        ticktext=[names[u] for u in used],
        range=[min(used) - 0.9, max(used) + 0.9],
        fixedrange=True,
        showgrid=False,
    )


def _span(x: pd.Series) -> float:
    if len(x) < 2:
        return 1.0
    if pd.api.types.is_datetime64_any_dtype(x):
        return max((x.max() - x.min()).total_seconds(), 1.0)
    return max(float(x.max() - x.min()), 1e-9)


def _gaps(x: pd.Series, span: float) -> np.ndarray:
    """Each dose's distance to the previous dose of its row, as a share of the span."""
    values = pd.Series(x).reset_index(drop=True)
    diff = values.diff()
    if pd.api.types.is_timedelta64_dtype(diff):
        diff = diff.dt.total_seconds()
    return (diff.astype("float64") / span).fillna(np.inf).to_numpy()


def _label_positions(x: pd.Series, span: float) -> list[str]:
    """Above, then below when the previous label is close: neighbours never overlap."""
    close = _gaps(x, span) < LABEL_GAP_SHARE
    positions, above = [], True
    for near in close:  # the doses of one drug of one patient
        above = not above if near else True
        positions.append("top center" if above else "bottom center")
    return positions


def _labels_without_overlap(x: pd.Series, labels: np.ndarray, span: float) -> list[str]:
    """A label for each dose, except a third within reach of two before it (its hover
    still says it): two positions, above and below, hold two close labels."""
    close = _gaps(x, span) < LABEL_GAP_SHARE
    shown, run = [], 0
    for label, near in zip(labels, close, strict=True):
        run = run + 1 if near else 0
        shown.append(str(label) if run < 2 else "")
    return shown


def _temperature(chart: _Chart) -> None:
    temp = _numeric(chart.rows, "temp_c")
    measured = temp.notna()
    chart.add(
        _scatter(int(measured.sum()))(
            x=chart.x[measured],
            y=temp[measured],
            name="Temperature",
            mode="lines+markers",
            marker={"size": 4},
            line={"color": "#e65100"},
            text=chart.when[measured],
            hovertemplate="%{y:.1f} °C · %{text}<extra>Temperature</extra>",
        ),
        "temperature",
    )
    chart.hline("temperature", FEVER_C, "#e65100", "38 °C")


def _blood_pressure(chart: _Chart) -> None:
    """SBP and MAP with this patient's threshold and baseline (grading.md §3.1)."""
    rows, x = chart.rows, chart.x
    for column, label, colour in (("sbp_mmhg", "SBP", "#1565c0"), ("map_mmhg", "MAP", "#00897b")):
        values = _numeric(rows, column)
        measured = values.notna()
        if not measured.any():
            continue
        chart.add(
            _scatter(int(measured.sum()))(
                x=x[measured],
                y=values[measured],
                name=label,
                mode="lines+markers",
                marker={"size": 4},
                line={"color": colour},
                text=chart.when[measured],
                hovertemplate=f"{label} %{{y:.0f}} mmHg · %{{text}}<extra></extra>",
            ),
            "blood_pressure",
        )
    threshold = _numeric(rows, "sbp_threshold")
    if threshold.notna().any():
        chart.add(
            _scatter(len(rows))(
                x=x,
                y=threshold,
                name="SBP hypotension threshold",
                mode="lines",
                line={"color": "#b71c1c", "dash": "dash", "width": 1, "shape": "hv"},
                hovertemplate="Hypotension below SBP %{y:.0f} mmHg<extra></extra>",
            ),
            "blood_pressure",
        )
    age = _numeric(rows, "age_years")
    if age.isna().all() or (age >= 18).any():
        chart.hline("blood_pressure", MAP_THRESHOLD_MMHG, "#00897b", "MAP 65")
    baseline = _numeric(rows, "baseline_sbp_mmhg").dropna()
    if len(baseline):
        chart.hline("blood_pressure", float(baseline.iloc[0]), "#546e7a", "baseline SBP")
        chart.hline(
            "blood_pressure",
            float(baseline.iloc[0]) * RELATIVE_HYPOTENSION_FRACTION,
            "#90a4ae",
            "20 % below baseline",
        )


def _vasopressors(chart: _Chart) -> None:
    """Norepinephrine equivalent (Table 3) with the agents; high-dose periods shaded."""
    rows, x = chart.rows, chart.x
    ne_eq = _numeric(rows, "ne_eq_ug_min")
    agents = _text(rows, "vasopressors").str.replace(";", ", ")
    chart.add(
        _scatter(len(rows))(
            x=x,
            y=ne_eq,
            name="Norepinephrine equivalent",
            mode="lines",
            line={"shape": "hv", "color": "#ad1457"},
            customdata=np.column_stack([agents, chart.when]),
            hovertemplate=(
                "%{y:.1f} μg/min (%{customdata[0]}) · %{customdata[1]}<extra>NE equivalent</extra>"
            ),
            connectgaps=False,
        ),
        "vasopressors",
    )
    unknown_dose = _flag(rows, "dose_unknown")
    if unknown_dose.any():
        chart.add(
            go.Scatter(
                x=x[unknown_dose],
                y=np.zeros(int(unknown_dose.sum())),
                mode="markers",
                name="Vasopressor running, dose unknown (no weight)",
                marker={"symbol": "line-ew-open", "size": 10, "color": "#ad1457"},
                text=chart.when[unknown_dose],
                hovertemplate="Vasopressor running; dose unknown (no weight) · %{text}"
                "<extra></extra>",
            ),
            "vasopressors",
        )
    for start, end in _runs(_flag(rows, "high_dose_now"), x):
        chart.fig.add_shape(
            type="rect",
            xref="x",
            x0=start,
            x1=end,
            yref=f"{chart.yaxis_of['vasopressors']} domain",
            y0=0,
            y1=1,
            fillcolor="#ad1457",
            opacity=0.15,
            line={"width": 0},
            layer="below",
            name="high dose vasopressor",
        )
    chart.fig.update_yaxes(row=chart.row_of["vasopressors"], col=1, rangemode="tozero")


def _oxygen(chart: _Chart) -> None:
    """FiO2 documented (solid) or estimated from a flow (dotted, never graded), and the
    device in effect as a coloured strip under it (grading.md §3.3)."""
    rows, x = chart.rows, chart.x
    fio2 = _numeric(rows, "fio2_used")
    basis = _text(rows, "oxygen_basis")
    device = _text(rows, "o2_device_used")
    words = np.column_stack(
        [
            basis.map(BASIS_LABELS).fillna("—"),
            device.map(DEVICE_LABELS).fillna("no device charted"),
            chart.when,
        ]
    )
    for name, keep, dash in (
        ("FiO2 (documented)", basis.eq("fio2"), "solid"),
        ("FiO2 ≈ 21 + 4 × flow (not graded)", basis.eq("flow"), "dot"),
    ):
        if not keep.any():
            continue
        chart.add(
            _scatter(len(rows))(
                x=x,
                y=fio2.where(keep),
                name=name,
                mode="lines+markers",
                marker={"size": 4},
                line={"shape": "hv", "color": "#0277bd", "dash": dash},
                customdata=words,
                hovertemplate=(
                    "FiO2 %{y:.0f} % (%{customdata[0]}; %{customdata[1]}) · %{customdata[2]}"
                    "<extra></extra>"
                ),
                connectgaps=False,
            ),
            "oxygen",
        )
    for code in pd.unique(device[~device.isin(["", "room_air"])]):  # a few devices
        xs, ys = _step_segments(
            x, pd.Series(DEVICE_STRIP_Y, index=rows.index), device.eq(code).to_numpy()
        )
        chart.add(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                name=f"Device: {DEVICE_LABELS.get(code, code)}",
                line={"color": DEVICE_COLOURS.get(code, "#9e9e9e"), "width": 9},
                hovertemplate=f"{DEVICE_LABELS.get(code, code)}<extra></extra>",
            ),
            "oxygen",
        )
    chart.hline("oxygen", FIO2_HIGH_PCT, "#0277bd", "40 %")
    chart.fig.update_yaxes(row=chart.row_of["oxygen"], col=1, range=[0, 105])


def _neurotoxicity(chart: _Chart) -> None:
    """By severity: a band per entered CTCAE grade in effect, the ICE score where charted
    (right axis, 10 = normal), neurologic words of Table 1 as markers (never a band)."""
    rows, x = chart.rows, chart.x
    grade = carried_grade(rows)
    for run in severity_runs(x, grade).itertuples(index=False):  # episodes, not rows
        chart.fig.add_shape(
            type="rect",
            xref="x",
            x0=run.start,
            x1=run.end,
            yref=chart.yaxis_of["neurotoxicity"],
            y0=0,
            y1=run.grade,
            fillcolor=NEURO_COLOURS.get(int(run.grade), NEURO_COLOURS[4]),
            opacity=0.8,
            line={"width": 0},
            layer="below",
            name=f"neurotoxicity grade {run.grade}",
        )
    if grade.notna().any():
        chart.add(
            go.Scatter(
                x=x,
                y=grade,
                name="Neurotoxicity grade (CTCAE, entered)",
                mode="lines",
                line={"shape": "hv", "color": "#4527a0", "width": 1.5},
                text=chart.when,
                hovertemplate="Neurotoxicity grade %{y:g} · %{text}<extra></extra>",
                connectgaps=False,
            ),
            "neurotoxicity",
        )
    _score(
        chart, "ice_score", "ICE score (10 = normal)", "circle-open", "#00695c", "ICE %{y:g} of 10"
    )
    capd_top = _capd(chart)
    _icans_onsets(chart)
    signs = neurologic_symptom(_text(rows, "symptoms"))
    if signs.any():
        chart.add(
            go.Scatter(
                x=x[signs],
                y=np.zeros(int(signs.sum())),
                name="Neurologic sign written",
                mode="markers",
                marker={"symbol": "star-diamond-open", "size": 9, "color": "#4527a0"},
                customdata=np.column_stack(
                    [_plain(_text(rows, "symptoms")[signs]), chart.when[signs]]
                ),
                hovertemplate="%{customdata[0]} · %{customdata[1]}<extra></extra>",
            ),
            "neurotoxicity",
        )
    chart.fig.update_yaxes(
        row=chart.row_of["neurotoxicity"],
        col=1,
        secondary_y=False,
        range=[-0.3, 4.6],
        tickvals=[0, 1, 2, 3, 4],
        fixedrange=True,
        title_text="grade",
    )
    chart.fig.update_yaxes(
        row=chart.row_of["neurotoxicity"],
        col=1,
        secondary_y=True,
        range=[-0.5, max(10.5, capd_top)],
        tickvals=[0, 5, 10] if capd_top <= 10.5 else [0, 9, 18, 27],
        fixedrange=True,
        title_text="ICE" if capd_top <= 10.5 else "ICE · CAPD",
        showgrid=False,
    )


def _capd(chart: _Chart) -> float:
    """The CAPD score (children under 12, astct.md §3.1) where charted, on the ICE axis;
    the top of that axis it needs (0 when none is charted)."""
    name = "CAPD score (0 = normal, 9 or more: ICANS grade 3)"
    top = _score(chart, "capd_score", name, "square-open", "#6d4c41", "CAPD %{y:g}")
    return top + 1.5 if top else 0.0


def _score(chart: _Chart, column: str, name: str, symbol: str, colour: str, hover: str) -> float:
    """A neurologic score (ICE, CAPD) where charted, on the panel's right axis; its
    highest value (0 when none is charted)."""
    score = _numeric(chart.rows, column)
    charted = score.notna()
    if not charted.any():
        return 0.0
    chart.add(
        go.Scatter(
            x=chart.x[charted],
            y=score[charted],
            name=name,
            mode="lines+markers",
            marker={"size": 5, "symbol": symbol},
            line={"color": colour, "width": 1.2},
            text=chart.when[charted],
            hovertemplate=hover + " · %{text}<extra></extra>",
        ),
        "ice",
    )
    return float(score[charted].max())


def _icans_onsets(chart: _Chart) -> None:
    """Where each ICANS episode begins (astct.md §3): a marker at its first grade, on the
    neurotoxicity panel, the hover naming the domains."""
    rows, x = chart.rows, chart.x
    if "icans_grade" not in rows.columns:
        return
    grade = _numeric(rows, "icans_grade").fillna(0)
    flagged = (grade > 0).reset_index(drop=True)
    onset = flagged & ~flagged.shift(1, fill_value=False)
    if not onset.any():
        return
    at = onset.to_numpy()
    words = driver_words_column(_text(rows, "icans_drivers"))
    chart.add(
        go.Scatter(
            x=x[at],
            y=grade[at],
            name="ICANS onset (ASTCT 2019)",
            mode="markers",
            marker={"symbol": "triangle-right", "size": 11, "color": "#ad1457"},
            customdata=np.column_stack([_plain(words[at]), chart.when[at]]),
            hovertemplate=(
                "<b>ICANS onset, grade %{y:g}</b> · %{customdata[1]}<br>"
                "%{customdata[0]}<extra></extra>"
            ),
        ),
        "neurotoxicity",
    )


def _cytokines(chart: _Chart) -> None:
    rows, x = chart.rows, chart.x
    for column, label, unit, colour in CYTOKINES:
        values = _numeric(rows, column)
        measured = values.notna() & (values > 0)
        if not measured.any():
            continue
        chart.add(
            go.Scatter(
                x=x[measured],
                y=values[measured],
                name=label,
                mode="lines+markers",
                line={"color": colour},
                customdata=np.column_stack(
                    [fold_change(rows, column)[measured], chart.when[measured]]
                ),
                hovertemplate=(
                    f"{label} %{{y:g}} {unit} (× %{{customdata[0]:.1f}} baseline) · "
                    "%{customdata[1]}<extra></extra>"
                ),
            ),
            "cytokines",
        )


PANEL_DRAWERS: dict[str, Callable[[_Chart], None]] = {
    "treatment": _treatment,
    "temperature": _temperature,
    "blood_pressure": _blood_pressure,
    "vasopressors": _vasopressors,
    "oxygen": _oxygen,
    "neurotoxicity": _neurotoxicity,
    "cytokines": _cytokines,
}


def _floor(chart: _Chart, key: str) -> float:
    """Where a left-out value's mark sits on a panel: at the bottom of what is drawn."""
    fixed = {"grade": -0.75, "oxygen": 2.0, "neurotoxicity": -0.2, "treatment": -0.5}
    if key in fixed:
        return fixed[key]
    ys = [
        np.asarray(t.y, dtype="float64")
        for t in chart.fig.data
        if t.yaxis == chart.yaxis_of[key] and t.y is not None and len(t.y)
    ]
    values = np.concatenate(ys) if ys else np.array([])
    values = values[np.isfinite(values)]
    if not len(values):
        return 0.0
    low, high = float(values.min()), float(values.max())
    return low - 0.08 * max(high - low, abs(low) * 0.1, 1.0)


def _problem_marks(chart: _Chart, problems: pd.DataFrame | None) -> None:
    """A red cross on its variable's panel at each row whose value was left out."""
    if problems is None or problems.empty or "line" not in chart.rows.columns:
        return
    out = left_out(problems)
    position = pd.Series(np.arange(len(chart.rows)), index=chart.rows["line"].astype("int64"))
    position = position[~position.index.duplicated()]
    out = out[out["line"].isin(position.index)]
    if out.empty:
        return
    out = out.assign(
        row=position.reindex(out["line"].astype("int64")).to_numpy(),
        panel=out["canonical"].map(PANEL_OF_COLUMN).fillna("grade"),
    )
    out["panel"] = out["panel"].where(out["panel"].map(chart.has), "grade")
    hover = (
        "Left out: "
        + _plain(out["column"].astype("str"))
        + " = '"
        + _plain(out["raw"].astype("str"))
        + "' (line "
        + out["line"].astype("int64").astype("str")
        + ")<br>"
        + _plain(out["reason"].astype("str"))
    )
    for panel, part in out.groupby("panel", sort=False):  # a few panels, not rows
        key = str(panel)
        chart.add(
            go.Scatter(
                x=chart.x.to_numpy()[part["row"].to_numpy()],
                y=np.full(len(part), _floor(chart, key)),
                mode="markers",
                name="Value left out (data problem)",
                legendgroup="problems",
                showlegend=not any(
                    t.name == "Value left out (data problem)" for t in chart.fig.data
                ),
                marker={"symbol": "x", "size": 10, "color": PROBLEM_COLOUR},
                customdata=np.column_stack(
                    [hover[part.index], chart.when.to_numpy()[part["row"].to_numpy()]]
                ),
                hovertemplate="%{customdata[0]}<br>%{customdata[1]}<extra></extra>",
            ),
            key,
        )


def _layout(chart: _Chart, title: str | None) -> None:
    fig, rows = chart.fig, chart.rows
    fig.update_yaxes(
        row=1,
        col=1,
        secondary_y=False,
        range=[-0.95, 5.9],
        tickvals=[0, 1, 2, 3, 4, 5],
        fixedrange=True,
        title_text="grade",
    )
    crp = _numeric(rows, "crp_mg_l")
    crp = crp[crp > 0]
    if len(crp):
        # Whole decades, at least 1–1,000 mg/L: CRP rises "by several logs" (paper's
        # text) and never hugs the grade line.
        low = min(0.0, float(np.floor(np.log10(crp.min()))))
        high = max(3.0, float(np.ceil(np.log10(crp.max()))))
        fig.update_yaxes(
            row=1,
            col=1,
            secondary_y=True,
            type="log",
            dtick=1,
            showgrid=False,
            title_text="CRP mg/L",
            range=[low - 0.3, high + 0.1],
        )
    if chart.has("cytokines"):
        # Whole decades only: CRP rises "by several logs" (paper's text).
        fig.update_yaxes(type="log", dtick=1, row=chart.row_of["cytokines"], col=1)
    last = max(chart.row_of.values())
    fig.update_xaxes(title_text=chart.axis.title, row=last, col=1)
    # Day labels under the grade panel and the last panel only: the spike line and the
    # hover give the time anywhere, and every tick label is text a browser must measure
    # (issue #15: the page drawn in under a second).
    fig.update_xaxes(showgrid=True, showspikes=True, spikemode="across", showticklabels=False)
    fig.update_xaxes(showticklabels=True, row=1, col=1)
    fig.update_xaxes(showticklabels=True, row=last, col=1)
    for annotation in fig.layout.annotations:  # the panel titles: left, readable
        if annotation.text in {p.title for p in PANELS} | {PANELS[0].title + CRP_TITLE}:
            annotation.update(x=0, xanchor="left", font={"size": 12})
    fig.update_layout(
        title={
            "text": _plain(title if title is not None else f"Patient {rows['patient_id'].iloc[0]}")
        }
        if len(rows)
        else None,
        margin={"l": 95, "r": 60, "t": 80, "b": 50},
        hovermode="closest",
        # Legend on the right, grouped by panel: it never covers a panel.
        legend={
            "orientation": "v",
            "yanchor": "top",
            "y": 1,
            "x": 1.06,
            "font": {"size": 11},
            "groupclick": "toggleitem",
            "tracegroupgap": 8,
        },
        template="plotly_white",
    )


def _instants_to_x(instants: pd.Series, rows: pd.DataFrame, x: pd.Series, axis: Axis) -> pd.Series:
    """Instants on the chart's x: the instant itself on a clock axis; on a day axis the
    day, which advances one per 24 h of instant (grading.md §2), from the first row."""
    instants = pd.Series(instants, dtype="datetime64[us]").reset_index(drop=True)
    if axis.kind == "time":
        return instants
    offset = float(x.iloc[0]) - float(instant_to_day(rows["instant"].iloc[0]))
    return instant_to_day(instants) + offset


def _attribution_marks(chart: _Chart, attributions: pd.DataFrame | None) -> None:
    """Grey bands over attributed ranges and hover markers where a finding was left out
    (grading.md §5: the grade is computed as if the finding were not met there)."""
    rows, x, axis, yaxis_of = chart.rows, chart.x, chart.axis, chart.yaxis_of
    if attributions is None or attributions.empty or rows.empty:
        return
    instant = rows["instant"].astype("datetime64[us]").reset_index(drop=True)
    first, last = instant.iloc[0], instant.iloc[-1]
    start = attributions["start"].astype("datetime64[us]").reset_index(drop=True)
    # An empty end is open (still in effect): up to the latest time point.
    end = attributions["end"].astype("datetime64[us]").reset_index(drop=True).fillna(last)
    shown = (start <= last) & (end >= first)
    x0 = _instants_to_x(start.clip(lower=first), rows, x, axis)
    x1 = _instants_to_x(end.clip(upper=last), rows, x, axis)
    attributed = ";" + _text(rows, "attributed").reset_index(drop=True) + ";"
    hover = pd.Series("", index=attributed.index, dtype="str")
    for i in np.flatnonzero(shown.to_numpy()):  # a few attributions, not rows
        code = str(attributions["criterion"].iloc[i])
        for key in ("grade", ATTRIBUTION_PANELS.get(code)):
            if key is None or key not in yaxis_of:
                continue
            chart.fig.add_shape(
                type="rect",
                xref="x",
                x0=x0.iloc[i],
                x1=x1.iloc[i],
                yref=f"{yaxis_of[key]} domain",
                y0=0,
                y1=1,
                fillcolor=ATTRIBUTED_COLOUR,
                opacity=0.18,
                line={"color": ATTRIBUTED_COLOUR, "width": 1, "dash": "dot"},
                layer="below",
                name=f"attribution:{code}",
            )
        chart.fig.add_annotation(
            x=x0.iloc[i],
            xref="x",
            y=1.0,
            yref=f"{yaxis_of['grade']} domain",
            text=f"{_plain(criterion_label(code).split(' (')[0].lower())}: not CRS",
            showarrow=False,
            xanchor="left",
            yanchor="top",
            font={"size": 10, "color": ATTRIBUTED_COLOUR},
        )
        covered = (
            (instant >= start.iloc[i])
            & (instant <= end.iloc[i])
            & attributed.str.contains(f";{code};", regex=False)
        )
        sentence = _plain(  # the reason and the name are typed by people
            f"{criterion_label(code)} attributed to another cause by "
            f"{attributions['author'].iloc[i]}: {attributions['reason'].iloc[i]}"
        )
        hover = hover.where(~covered, hover + np.where(hover == "", "", "<br>") + sentence)
    marked = hover != ""
    if not marked.any():
        return
    chart.add(
        go.Scatter(
            x=x[marked],
            y=np.full(int(marked.sum()), ATTRIBUTED_MARKER_Y),
            mode="markers",
            name="Attributed to another cause",
            marker={
                "symbol": "x-thin-open",
                "size": 9,
                "line": {"width": 2},
                "color": ATTRIBUTED_COLOUR,
            },
            text=hover[marked],
            hovertemplate="%{text}<extra></extra>",
        ),
        "grade",
    )
