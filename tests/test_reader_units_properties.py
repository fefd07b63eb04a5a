"""Properties of units (spec grading.md §1 and §1.1 [v2]): writing a laboratory value (or
a temperature) in any of its accepted units, in a header, in the cell or in the long
layout's unit column, never changes a grade; and a value outside its physiological
limit never reaches the grader."""

from __future__ import annotations

import csv
import io
import math

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crs.read.columns import SPECS
from crs.read.reader import read_export
from crs.read.units import Unit, units_of
from crs.scales.grading import grade

#: The variables written in many units, with a plain alias and the values they take on
#: a ward (canonical unit; two decimals, as laboratories report them).
LABS: dict[str, tuple[str, float, float]] = {
    "creatinine_mg_dl": ("creatinine", 0.2, 15.0),
    "bilirubin_mg_dl": ("bilirubin", 0.1, 40.0),
    "fibrinogen_mg_dl": ("fibrinogen", 20.0, 900.0),
    "crp_mg_l": ("crp", 0.0, 500.0),
    "ferritin_ng_ml": ("ferritin", 5.0, 60_000.0),
    "il6_pg_ml": ("il6", 0.0, 8_000.0),
    "ifng_pg_ml": ("ifng", 0.0, 8_000.0),
    "ast_u_l": ("ast", 5.0, 4_000.0),
    "alt_u_l": ("alt", 5.0, 4_000.0),
    "temp_c": ("temperature", 35.0, 41.5),
}
TIMES = [f"2024-03-05T{h:02d}:00" for h in range(8, 20)]
MICRO = ("µ", "μ", "u", "mc")


def _units(column: str) -> list[Unit]:
    """Each distinct reading of the column's own values (one spelling each)."""
    seen, out = set(), []
    for unit in units_of(column).values():
        if unit.target == column and unit.reading not in seen:
            seen.add(unit.reading)
            out.append(unit)
    return out


def _written(unit: Unit, micro: str) -> str:
    return unit.label.replace("µ", micro)


def _in_unit(value: float, unit: Unit) -> str:
    """The canonical ``value`` written in ``unit`` (inverse of the table's conversion)."""
    return f"{value * unit.divide / unit.multiply - unit.offset:.15g}"


@st.composite
def courses(draw, *, lo_hi=None):
    """Rows (patient, time, {column: canonical value or None})."""
    columns = draw(st.lists(st.sampled_from(sorted(LABS)), min_size=1, max_size=4, unique=True))
    rows = []
    for patient in draw(st.sampled_from((["P1"], ["P1", "P2"]))):
        for time in draw(st.lists(st.sampled_from(TIMES), min_size=1, max_size=5, unique=True)):
            values = {}
            for column in columns:
                lo, hi = lo_hi(column) if lo_hi else LABS[column][1:]
                value = draw(st.none() | st.floats(lo, hi).map(lambda v: round(v, 2)))
                values[column] = value
            rows.append((patient, time, values))
    return columns, rows


@st.composite
def writings(draw, columns):
    """Per column: (form, unit, micro spelling); one layout for the file."""
    layout = draw(st.sampled_from(("wide", "long")))
    chosen = {}
    for column in columns:
        unit = draw(st.sampled_from(_units(column)))
        form = "unit column" if layout == "long" else draw(st.sampled_from(("header", "cell")))
        chosen[column] = (form, unit, draw(st.sampled_from(MICRO)))
    return layout, chosen


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _canonical_file(columns, rows) -> bytes:
    body = [[p, t, *("" if v[c] is None else repr(v[c]) for c in columns)] for p, t, v in rows]
    return _csv(["patient_id", "time", *columns], body)


def _written_file(columns, rows, layout, chosen) -> bytes:
    if layout == "long":
        body = []
        for p, t, values in rows:
            for column in columns:
                _, unit, micro = chosen[column]
                value = values[column]
                cell = "" if value is None else _in_unit(value, unit)
                body.append([p, t, LABS[column][0], cell, _written(unit, micro)])
        return _csv(["patient_id", "time", "variable", "value", "unit"], body)
    header = ["patient_id", "time"]
    for column in columns:
        form, unit, micro = chosen[column]
        alias = LABS[column][0]
        header.append(f"{alias} ({_written(unit, micro)})" if form == "header" else alias)
    body = []
    for p, t, values in rows:
        cells = [p, t]
        for column in columns:
            form, unit, micro = chosen[column]
            value = values[column]
            cell = "" if value is None else _in_unit(value, unit)
            if value is not None and form == "cell":
                cell = f"{cell} {_written(unit, micro)}"
            cells.append(cell)
        body.append(cells)
    return _csv(header, body)


_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@_SETTINGS
@given(st.data())
def test_writing_a_value_in_any_of_its_units_never_changes_a_grade(data) -> None:
    columns, rows = data.draw(courses())
    layout, chosen = data.draw(writings(columns))
    canonical = read_export(_canonical_file(columns, rows), name="canonical.csv")
    written = read_export(_written_file(columns, rows, layout, chosen), name="written.csv")
    a, b = grade(canonical.frame), grade(written.frame)
    criteria = [c for c in a.columns if c.startswith("g_")]
    compared = ["patient_id", "instant", "grade", "drivers", "unknown", *criteria]
    pd.testing.assert_frame_equal(a[compared], b[compared])
    for column in columns:
        pd.testing.assert_series_equal(
            canonical.frame[column], written.frame[column], rtol=1e-12, check_exact=False
        )
    assert not (written.report.problems["kind"] == "impossible").any()


def _wide_limits(column: str) -> tuple[float, float]:
    """Values around and beyond the physiological limits of §1.1."""
    spec = SPECS[column]
    return spec.low - 100.0, spec.high * 3 + 100.0


def _clearly(value: float, column: str) -> str:
    spec = SPECS[column]
    margin = 1e-6 * max(1.0, abs(value))
    if spec.low + margin <= value <= spec.high - margin:
        return "inside"
    if value < spec.low - margin or value > spec.high + margin:
        return "outside"
    return "edge"


@_SETTINGS
@given(st.data())
def test_a_value_outside_its_physiological_limit_never_reaches_the_grader(data) -> None:
    columns, rows = data.draw(courses(lo_hi=_wide_limits))
    layout, chosen = data.draw(writings(columns))
    export = read_export(_written_file(columns, rows, layout, chosen), name="limits.csv")
    frame = export.frame
    for column in columns:
        spec = SPECS[column]
        values = frame[column].dropna()
        assert ((values >= spec.low) & (values <= spec.high)).all(), (column, values)
    impossible = export.report.problems.query("kind == 'impossible'")
    outside = sum(
        1
        for _, _, values in rows
        for column in columns
        if values[column] is not None and _clearly(values[column], column) == "outside"
    )
    edges = sum(
        1
        for _, _, values in rows
        for column in columns
        if values[column] is not None and _clearly(values[column], column) == "edge"
    )
    assert outside <= len(impossible) <= outside + edges
    # every value clearly inside its limits is read as written (one row per instant)
    by_instant = frame.set_index(["patient_id", "time"])
    for patient, time, values in rows:
        for column in columns:
            value = values[column]
            if value is not None and _clearly(value, column) == "inside":
                read = by_instant.loc[(patient, pd.Timestamp(time)), column]
                assert math.isclose(read, value, rel_tol=1e-12, abs_tol=1e-12), (column, value)
