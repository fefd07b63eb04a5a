"""The patient timeline in the style of Lee et al. 2014, Figure 3 (docs/architecture.md §6).

Figure 3 of the paper draws one hypothetical patient's course: fever, then hypotension
treated with a low-dose vasopressor, tocilizumab at decompensation, cytokines and CRP
rising and falling, and neurologic symptoms that may begin before or after tocilizumab
and outlast it. :func:`timeline_figure` draws the same story from one patient's graded
rows (architecture §2), as stacked panels sharing the time axis:

1. the CRS grade (Table 2) as a step line over coloured bands 0–5, with the drivers and
   the explanation in the hover, and markers for doses, alerts and death;
2. temperature with the 38 °C fever line (grading.md §3);
3. SBP and MAP with this patient's hypotension threshold (§3.1) and baseline SBP;
4. vasopressors as norepinephrine equivalent (Table 3, VASST) with high-dose periods;
5. oxygen as FiO2 in effect (§3.3) with the 40 % line of Table 2;
6. CRP on a logarithmic axis (treatment.md §4), the peak marked once it is past;
7. IL-6, IFN-γ and ferritin on a logarithmic axis, when any was measured.

Vertical markers run through every panel for each tocilizumab and corticosteroid dose,
a shaded band covers neurotoxicity from onset to resolution (:mod:`crs.neuro`), and a
marker shows death. A finding a clinician attributed to another cause (grading.md §5)
is drawn as a grey band over its time range, on the grade panel and on the finding's
own panel, with a marker on each time point it was left out of, whose hover says who
attributed it and why. The function is pure: it never modifies its input and returns a
``plotly.graph_objects.Figure``; the page only draws it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from crs.criteria import criterion_label
from crs.explain import unknown_words_column
from crs.identifiers import visible
from crs.neuro import episodes, neurotoxicity
from crs.oxygen import BASIS_LABELS, DEVICE_LABELS
from crs.reference import ALERT_LABELS, alert_words
from crs.timeaxis import instant_to_day
from crs.trends import crp_caveat, fold_change

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

#: Neurotoxicity episodes closer than this are drawn as one band (dashboard decision).
NEURO_BRIDGE_HOURS = 24.0

#: Above this many points a trace is drawn with WebGL (Scattergl) to stay responsive.
WEBGL_ABOVE_POINTS = 3000

#: Immunosuppressant doses drawn as vertical markers (treatment.md §3, paper's text).
DOSE_MARKERS: dict[str, tuple[str, str]] = {
    "tocilizumab_mg": ("Tocilizumab", "#1565c0"),
    "methylprednisolone_mg": ("Methylprednisolone", "#6a1b9a"),
    "dexamethasone_mg": ("Dexamethasone", "#00838f"),
}

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
    Panel("grade", "CRS grade (Table 2)", weight=1.3),
    Panel("temperature", "Temperature (°C)"),
    Panel("blood_pressure", "Blood pressure (mmHg)"),
    Panel("vasopressors", "Vasopressors (norepinephrine equivalent, μg/min)"),
    Panel("oxygen", "Oxygen (FiO2 %)"),
    Panel("crp", "CRP (mg/L, log)", log=True),
    Panel("cytokines", "IL-6, IFN-γ (pg/mL), ferritin (ng/mL) (log)", log=True),
)


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
    become entities and hidden characters code points (crs.identifiers.visible)."""
    if isinstance(text, pd.Series):
        return text.map(_plain)
    return escape(visible(text), quote=False)


def _flag(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(False, index=frame.index)
    # Booleans arrive as bool or as float 1.0 / 0.0 / NaN (architecture §1.1).
    return (frame[column] == 1).fillna(False).astype("bool")


def _runs(
    flag: pd.Series, x: pd.Series, bridge: object | None = None
) -> list[tuple[object, object]]:
    """(start, end) x of each run of ``flag``; a run ends at the next unflagged row.

    With ``bridge`` (an x distance), runs separated by a shorter gap are drawn as one.
    """
    frame = episodes(x.reset_index(drop=True), flag.reset_index(drop=True))
    runs = list(zip(frame["start"], frame["end"], strict=True))
    if bridge is None or len(runs) < 2:
        return runs
    merged = [runs[0]]
    for start, end in runs[1:]:  # a handful of episodes, not rows
        if start - merged[-1][1] < bridge:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _full_height(fig: go.Figure, kind: str, x0: object, x1: object, name: str, **style) -> None:
    """A named line or band spanning every panel at x0..x1 (doses, death, neurotoxicity)."""
    fig.add_shape(type=kind, xref="x", x0=x0, x1=x1, yref="paper", y0=0, y1=1, name=name, **style)


def _event_rows(flag: pd.Series) -> pd.Series:
    return flag.fillna(False).astype("bool")


def timeline_figure(
    graded_patient: pd.DataFrame,
    *,
    crp_peaks: Iterable[object] | None = None,
    title: str | None = None,
    attributions: pd.DataFrame | None = None,
) -> go.Figure:
    """Figure 3 style timeline of one patient's graded rows.

    Parameters
    ----------
    graded_patient
        The graded rows of ONE patient (architecture §2, with ``alerts`` when the
        treatment algorithm ran), sorted by instant. Not modified.
    crp_peaks
        Instants (``instant`` values) of CRP peaks to mark, e.g. from
        ``crs.trends``; each is marked only where a CRP value was recorded.
    title
        Figure title, plain text (shown as written); defaults to "Patient <id>".
    attributions
        Attributions in effect for this patient (grading.md §5; the columns
        ``criterion, start, end, reason, author`` of ``Store.attributions``, ``start``
        and ``end`` as instants, an empty ``end`` open-ended). Each gets a grey band
        named ``attribution:<criterion>``; the rows whose ``attributed`` column names a
        criterion get a marker in the trace "Attributed to another cause".

    Returns
    -------
    plotly Figure. ``fig.layout.meta["panels"]`` maps each panel key (see
    :data:`PANELS`) to its y-axis name (``"y"``, ``"y2"``, …), ``meta["x_kind"]`` says
    whether x is ``"day"`` or ``"time"``.
    """
    rows = graded_patient.reset_index(drop=True)
    axis = x_axis(rows)
    x = axis.values.reset_index(drop=True)

    has_cytokines = any(_numeric(rows, column).notna().any() for column, *_ in CYTOKINES)
    panels = [p for p in PANELS if p.key != "cytokines" or has_cytokines]
    weights = [p.weight for p in panels]
    fig = make_subplots(
        rows=len(panels),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        row_heights=[w / sum(weights) for w in weights],
        subplot_titles=[p.title for p in panels],
    )
    row_of = {p.key: i + 1 for i, p in enumerate(panels)}
    yaxis_of = {p.key: "y" if i == 0 else f"y{i + 1}" for i, p in enumerate(panels)}

    def add(trace: go.BaseTraceType, key: str) -> None:
        fig.add_trace(trace, row=row_of[key], col=1)

    def hline(key: str, y: float, colour: str, label: str) -> None:
        fig.add_shape(
            type="line",
            xref="x domain",
            x0=0,
            x1=1,
            yref=yaxis_of[key],
            y0=y,
            y1=y,
            line={"color": colour, "dash": "dash", "width": 1},
            name=label,
        )
        fig.add_annotation(
            xref="x domain",
            x=1,
            yref=yaxis_of[key],
            y=y,
            text=label,
            showarrow=False,
            xanchor="right",
            yanchor="bottom",
            font={"size": 10, "color": colour},
        )

    # 1. Grade: coloured bands 0–5, then the step line with drivers and explanation.
    for grade, colour in GRADE_COLOURS.items():
        fig.add_shape(
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
    grade = rows["grade"].astype("int64")
    custom = np.column_stack(
        [
            _text(rows, "drivers").replace("", "none"),
            _plain(_text(rows, "explanation")),  # quotes recorded symptoms
            unknown_words_column(_text(rows, "unknown")).replace("", "none"),
            _text(rows, "recommendation").replace("", "—"),
        ]
    )
    add(
        _scatter(len(rows))(
            x=x,
            y=grade,
            name="CRS grade",
            mode="lines+markers" if len(rows) <= 400 else "lines",
            line={"shape": "hv", "color": "#212121", "width": 2},
            marker={"color": [GRADE_COLOURS[int(g)] for g in grade.clip(0, 5)], "size": 6},
            customdata=custom,
            hovertemplate=(
                "<b>Grade %{y}</b><br>%{customdata[1]}<br>Drivers: %{customdata[0]}"
                "<br>Not known (grade is a lower bound): %{customdata[2]}"
                "<br>Suggestion: %{customdata[3]}<extra></extra>"
            ),
        ),
        "grade",
    )

    # Doses: a marker on the grade panel and a labelled vertical line through every panel.
    for column, (label, colour) in DOSE_MARKERS.items():
        given = _numeric(rows, column)
        at = given > 0
        if not at.any():
            continue
        dose_x = x[at]
        add(
            go.Scatter(
                x=dose_x,
                y=np.full(int(at.sum()), 5.55),
                mode="markers",
                name=f"{label} dose",
                marker={"symbol": "triangle-down", "size": 12, "color": colour},
                customdata=given[at].to_numpy(),
                hovertemplate=f"{label} %{{customdata:g}} mg<extra></extra>",
            ),
            "grade",
        )
        for value, dose in zip(dose_x, given[at], strict=True):
            _full_height(
                fig,
                "line",
                value,
                value,
                f"dose:{column}",
                line={"color": colour, "width": 1.2, "dash": "dot"},
            )
            fig.add_annotation(
                x=value,
                xref="x",
                y=1.0,
                yref="paper",
                text=f"{label} {dose:g} mg",
                showarrow=False,
                textangle=-90,
                xanchor="right",
                yanchor="top",
                font={"size": 10, "color": colour},
            )
    other = _text(rows, "other_immunosuppressant")
    other_at = (other != "") & (other.str.lower() != "nan")
    if other_at.any():
        add(
            go.Scatter(
                x=x[other_at],
                y=np.full(int(other_at.sum()), 5.55),
                mode="markers",
                name="Other immunosuppressant",
                marker={"symbol": "triangle-down", "size": 12, "color": "#455a64"},
                text=_plain(other[other_at]),
                hovertemplate="%{text}<extra></extra>",
            ),
            "grade",
        )

    # Alerts (treatment.md §2), marked where each begins.
    alerts = _text(rows, "alerts")
    after_tocilizumab = _flag(rows, "after_tocilizumab")
    for code, label in ALERT_LABELS.items():
        present = alerts.str.split(";").map(lambda codes, c=code: c in codes)
        begins = present & ~present.shift(1, fill_value=False)
        if not begins.any():
            continue
        # The CRP alert says, after tocilizumab, that tocilizumab lowers CRP (treatment §2).
        words = [alert_words(code, bool(after))[0] for after in after_tocilizumab[begins]]
        add(
            go.Scatter(
                x=x[begins],
                y=np.full(int(begins.sum()), -0.35),
                mode="markers",
                name=f"Alert: {label}",
                marker={"symbol": "diamond", "size": 11, "color": "#d81b60"},
                text=words,
                hovertemplate="Alert begins: %{text}<extra></extra>",
            ),
            "grade",
        )

    # Death (grade 5): a marker and a vertical line.
    died = _flag(rows, "deceased") | (grade == 5)
    if died.any():
        death_x = x[died].iloc[0]
        add(
            go.Scatter(
                x=[death_x],
                y=[5],
                mode="markers",
                name="Death",
                marker={"symbol": "x-thin-open", "size": 16, "line": {"width": 3}, "color": "#000"},
                hovertemplate="Death recorded<extra></extra>",
            ),
            "grade",
        )
        _full_height(fig, "line", death_x, death_x, "death", line={"color": "#000", "width": 2})

    # Neurotoxicity band from onset to resolution (Figure 3; Table 1 neurologic signs).
    # Neurologic signs charted a few hours apart belong to one episode (Figure 3 draws one
    # band): gaps shorter than NEURO_BRIDGE_HOURS are bridged.
    bridge = (
        NEURO_BRIDGE_HOURS / 24 if axis.kind == "day" else pd.Timedelta(hours=NEURO_BRIDGE_HOURS)
    )
    for start, end in _runs(neurotoxicity(rows), x, bridge):
        _full_height(
            fig,
            "rect",
            start,
            end,
            "neurotoxicity",
            fillcolor="#7e57c2",
            opacity=0.12,
            line={"width": 0},
            layer="below",
        )
        fig.add_annotation(
            x=start,
            xref="x",
            y=0.0,
            yref="paper",
            text="Neurotoxicity",
            showarrow=False,
            xanchor="left",
            yanchor="bottom",
            font={"size": 10, "color": "#5e35b1"},
        )

    _attribution_marks(fig, rows, x, axis, attributions, yaxis_of, add)

    # 2. Temperature with the fever line.
    temp = _numeric(rows, "temp_c")
    measured = temp.notna()
    add(
        _scatter(int(measured.sum()))(
            x=x[measured],
            y=temp[measured],
            name="Temperature",
            mode="lines+markers",
            marker={"size": 4},
            line={"color": "#e65100"},
            hovertemplate="%{y:.1f} °C<extra>Temperature</extra>",
        ),
        "temperature",
    )
    hline("temperature", FEVER_C, "#e65100", "38 °C")

    # 3. Blood pressure with this patient's threshold and baseline.
    for column, label, colour in (
        ("sbp_mmhg", "SBP", "#1565c0"),
        ("map_mmhg", "MAP", "#00897b"),
    ):
        values = _numeric(rows, column)
        measured = values.notna()
        if not measured.any():
            continue
        add(
            _scatter(int(measured.sum()))(
                x=x[measured],
                y=values[measured],
                name=label,
                mode="lines+markers",
                marker={"size": 4},
                line={"color": colour},
                hovertemplate=f"{label} %{{y:.0f}} mmHg<extra></extra>",
            ),
            "blood_pressure",
        )
    threshold = _numeric(rows, "sbp_threshold")
    if threshold.notna().any():
        add(
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
        hline("blood_pressure", MAP_THRESHOLD_MMHG, "#00897b", "MAP 65")
    baseline = _numeric(rows, "baseline_sbp_mmhg").dropna()
    if len(baseline):
        hline("blood_pressure", float(baseline.iloc[0]), "#546e7a", "baseline SBP")
        hline(
            "blood_pressure",
            float(baseline.iloc[0]) * RELATIVE_HYPOTENSION_FRACTION,
            "#90a4ae",
            "20 % below baseline",
        )

    # 4. Vasopressors as norepinephrine equivalent; high-dose periods shaded (Table 3).
    ne_eq = _numeric(rows, "ne_eq_ug_min")
    add(
        _scatter(len(rows))(
            x=x,
            y=ne_eq,
            name="Norepinephrine equivalent",
            mode="lines",
            line={"shape": "hv", "color": "#ad1457"},
            customdata=_text(rows, "vasopressors").str.replace(";", ", "),
            hovertemplate="%{y:.1f} μg/min (%{customdata})<extra>NE equivalent</extra>",
            connectgaps=False,
        ),
        "vasopressors",
    )
    unknown_dose = _flag(rows, "dose_unknown")
    if unknown_dose.any():
        add(
            go.Scatter(
                x=x[unknown_dose],
                y=np.zeros(int(unknown_dose.sum())),
                mode="markers",
                name="Vasopressor running, dose unknown (no weight)",
                marker={"symbol": "line-ew-open", "size": 10, "color": "#ad1457"},
                hovertemplate="Vasopressor running; dose unknown (no weight)<extra></extra>",
            ),
            "vasopressors",
        )
    for start, end in _runs(_flag(rows, "high_dose_now"), x):
        fig.add_shape(
            type="rect",
            xref="x",
            x0=start,
            x1=end,
            yref=f"{yaxis_of['vasopressors']} domain",
            y0=0,
            y1=1,
            fillcolor="#ad1457",
            opacity=0.15,
            line={"width": 0},
            layer="below",
            name="high dose vasopressor",
        )

    # 5. Oxygen: FiO2 in effect, with how it was known (documented, or a flow's estimate).
    fio2 = _numeric(rows, "fio2_used")
    basis = np.column_stack(
        [
            _text(rows, "oxygen_basis").map(BASIS_LABELS).fillna("—"),
            _text(rows, "o2_device_used").map(DEVICE_LABELS).fillna("no device charted"),
        ]
    )
    add(
        _scatter(len(rows))(
            x=x,
            y=fio2,
            name="FiO2",
            mode="lines",
            line={"shape": "hv", "color": "#0277bd"},
            customdata=basis,
            hovertemplate="FiO2 %{y:.0f} % (%{customdata[0]}; %{customdata[1]})<extra></extra>",
        ),
        "oxygen",
    )
    ventilated = _flag(rows, "ventilated_used")
    if ventilated.any():
        add(
            _scatter(int(ventilated.sum()))(
                x=x[ventilated],
                y=np.full(int(ventilated.sum()), 100.0),
                mode="markers",
                name="Ventilator support",
                marker={"symbol": "square", "size": 5, "color": "#01579b"},
                hovertemplate="Ventilator support<extra></extra>",
            ),
            "oxygen",
        )
    hline("oxygen", FIO2_HIGH_PCT, "#0277bd", "40 %")

    # 6. CRP on a log axis, fold change over baseline in the hover; the peak once past.
    crp = _numeric(rows, "crp_mg_l")
    measured = crp.notna() & (crp > 0)
    add(
        go.Scatter(
            x=x[measured],
            y=crp[measured],
            name="CRP",
            mode="lines+markers",
            line={"color": "#f57f17"},
            customdata=fold_change(rows, "crp_mg_l")[measured],
            hovertemplate="CRP %{y:g} mg/L (×%{customdata:.1f} baseline)<extra></extra>",
        ),
        "crp",
    )
    if crp_peaks is not None:
        peak_at = rows["instant"].isin(pd.to_datetime(pd.Series(list(crp_peaks)))) & measured
        if peak_at.any():
            add(
                go.Scatter(
                    x=x[peak_at],
                    y=crp[peak_at],
                    mode="markers",
                    name="CRP peak (past)",
                    marker={"symbol": "star", "size": 14, "color": "#bf360c"},
                    hovertemplate=(
                        "CRP peak %{y:g} mg/L, confirmed by two falls after it.<br>"
                        + crp_caveat(rows)
                        + "<extra></extra>"
                    ),
                ),
                "crp",
            )

    # 7. IL-6, IFN-γ and ferritin (log), when measured.
    if has_cytokines:
        for column, label, unit, colour in CYTOKINES:
            values = _numeric(rows, column)
            measured = values.notna() & (values > 0)
            if not measured.any():
                continue
            add(
                go.Scatter(
                    x=x[measured],
                    y=values[measured],
                    name=label,
                    mode="lines+markers",
                    line={"color": colour},
                    customdata=fold_change(rows, column)[measured],
                    hovertemplate=(
                        f"{label} %{{y:g}} {unit} (×%{{customdata:.1f}} baseline)<extra></extra>"
                    ),
                ),
                "cytokines",
            )

    # Axes.
    fig.update_yaxes(
        row=row_of["grade"],
        col=1,
        range=[-0.6, 5.9],
        tickvals=[0, 1, 2, 3, 4, 5],
        fixedrange=True,
        title_text="grade",
    )
    for panel in panels:
        if panel.log:
            # Whole decades only: CRP rises "by several logs" (paper's text).
            fig.update_yaxes(type="log", dtick=1, row=row_of[panel.key], col=1)
    fig.update_yaxes(row=row_of["oxygen"], col=1, range=[15, 105])
    fig.update_yaxes(row=row_of["vasopressors"], col=1, rangemode="tozero")
    fig.update_xaxes(title_text=axis.title, row=len(panels), col=1)
    fig.update_xaxes(showticklabels=True, showgrid=True, showspikes=True, spikemode="across")
    n_panels = len(panels)
    fig.update_layout(
        title={
            "text": _plain(title if title is not None else f"Patient {rows['patient_id'].iloc[0]}")
        }
        if len(rows)
        else None,
        height=140 * n_panels + 150,
        margin={"l": 60, "r": 20, "t": 80, "b": 50},
        hovermode="closest",
        # Legend on the right, top-aligned: it never covers a panel, whatever the width.
        legend={"orientation": "v", "yanchor": "top", "y": 1, "x": 1.01, "font": {"size": 11}},
        template="plotly_white",
        meta={"panels": yaxis_of, "x_kind": axis.kind},
    )
    return fig


def _instants_to_x(instants: pd.Series, rows: pd.DataFrame, x: pd.Series, axis: Axis) -> pd.Series:
    """Instants on the chart's x: the instant itself on a clock axis; on a day axis the
    day, which advances one per 24 h of instant (grading.md §2), from the first row."""
    instants = pd.Series(instants, dtype="datetime64[us]").reset_index(drop=True)
    if axis.kind == "time":
        return instants
    offset = float(x.iloc[0]) - float(instant_to_day(rows["instant"].iloc[0]))
    return instant_to_day(instants) + offset


def _attribution_marks(
    fig: go.Figure,
    rows: pd.DataFrame,
    x: pd.Series,
    axis: Axis,
    attributions: pd.DataFrame | None,
    yaxis_of: dict[str, str],
    add: object,
) -> None:
    """Grey bands over attributed ranges and hover markers where a finding was left out
    (grading.md §5: the grade is computed as if the finding were not met there)."""
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
            fig.add_shape(
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
        fig.add_annotation(
            x=x0.iloc[i],
            xref="x",
            y=1.0,
            yref=f"{yaxis_of['grade']} domain",
            text=f"{_plain(code.replace('_', ' '))}: not CRS",
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
    add(  # type: ignore[operator]
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
