"""Messy generated exports for the registry-scale tests (issue #17), and the helpers that
grade one file whole and in chunks.

The exports look like real charting: values that change from row to row, blanks,
comparators (``<5``), unit text in cells (``80 µmol/L``), unreadable cells, lab columns
without a unit in their name whose unit is read from the whole column's median (spec
grading.md §1 [v2]: a ``creatinine`` column of µmol/L values), FiO2 as a fraction,
decimal commas in semicolon files, two rows of one patient at one instant, patients
split across chunk boundaries or scattered through the file, rows without a patient or
an unreadable time, and a patient whose only rows are the last ones.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st

from crs.batch.engine import Request, grade_file
from crs.errors import UnusableExportError

BASE = datetime(2024, 3, 1, 8, 0)

#: Hypothesis settings of the registry-scale tests. No shrinking: a failing example is
#: printed as found (shrinking one takes minutes).
NO_SHRINK = {
    "deadline": None,
    "suppress_health_check": list(HealthCheck),
    "derandomize": True,
    "phases": (Phase.explicit, Phase.generate),
}


@dataclass(frozen=True)
class Graded:
    """One run's output bytes, text report and problems table (or its clear error)."""

    output: bytes | None
    report_text: str | None
    report_frame: object
    missing: list | None
    error: str | None


def grade(path: Path, block_bytes: int, out: Path, **kwargs) -> Graded:
    """Grade ``path`` with the engine; blocks of ``block_bytes`` (a size above the file's
    reads it whole, as `crs grade` always did)."""
    try:
        done = grade_file(Request(source=path, output=str(out), block_bytes=block_bytes, **kwargs))
    except UnusableExportError as exc:
        return Graded(None, None, None, None, str(exc))
    frame = done.report.to_frame()
    return Graded(out.read_bytes(), done.report.to_text(), frame, done.missing, None)


def assert_same(whole: Graded, chunked: Graded) -> None:
    assert chunked.error == whole.error
    if whole.error is not None:
        return
    assert chunked.report_text == whole.report_text
    assert chunked.report_frame.equals(whole.report_frame)
    assert chunked.output == whole.output
    assert chunked.missing == whole.missing


@dataclass(frozen=True)
class Export:
    data: bytes
    patients: int
    rows: int


def _number(draw, value: float, decimal_comma: bool, digits: int = 1) -> str:
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if decimal_comma else text


@st.composite
def messy_exports(draw) -> Export:
    """A wide export of a few patients (see the module docstring)."""
    decimal_comma = draw(st.booleans())
    separator = ";" if decimal_comma else draw(st.sampled_from([",", ",", "\t"]))
    creatinine_si = draw(st.booleans())  # bare `creatinine` in µmol/L: median above 20
    fibrinogen_si = draw(st.booleans())  # bare `fibrinogen` in g/L: median below 20
    fahrenheit = draw(st.booleans())  # bare `temperature` in °F: median above 50
    fraction = draw(st.booleans())  # FiO2 as 0.21–1.0
    with_day = draw(st.booleans())
    header = [
        "patient_id",
        "time",
        "temperature",
        "sbp",
        "map",
        "norepinephrine",
        "fio2",
        "o2_device",
        "creatinine",
        "bilirubin",
        "fibrinogen",
        "crp",
        "weight_kg",
        "tocilizumab_mg",
        "symptoms",
    ] + (["day"] if with_day else [])
    n_patients = draw(st.integers(1, 5))
    rows: list[tuple[int, list[str]]] = []
    for p in range(n_patients):
        weight = draw(st.floats(40, 120))
        n_rows = draw(st.integers(1, 12))
        start = BASE + timedelta(hours=draw(st.integers(0, 48)))
        for i in range(n_rows):
            when = start + timedelta(hours=4 * i + draw(st.sampled_from([0, 0, 0, -4])))
            rows.append(
                (
                    p,
                    _row(
                        draw,
                        p,
                        when,
                        weight,
                        i,
                        decimal_comma,
                        creatinine_si,
                        fibrinogen_si,
                        fahrenheit,
                        fraction,
                        with_day,
                    ),
                )
            )
    order = draw(st.sampled_from(["grouped", "scattered", "last_alone"]))
    if order == "scattered":
        rows = draw(st.permutations(rows))
    elif order == "last_alone":
        rows = [r for r in rows if r[0] != n_patients - 1] + [
            r for r in rows if r[0] == n_patients - 1
        ]
    cells = [r[1] for r in rows]
    if draw(st.booleans()) and cells:
        broken = draw(st.integers(0, len(cells) - 1))
        cells[broken] = [*cells[broken]]
        cells[broken][draw(st.sampled_from([0, 1]))] = draw(st.sampled_from(["", "not a time"]))
    text = io.StringIO()
    for row in [header, *cells]:
        text.write(separator.join(_quoted(c, separator) for c in row) + "\n")
    return Export(text.getvalue().encode("utf-8"), n_patients, len(cells))


def _quoted(cell: str, separator: str) -> str:
    if separator in cell or '"' in cell or "\n" in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _row(
    draw, p, when, weight, i, comma, creatinine_si, fibrinogen_si, fahrenheit, fraction, with_day
) -> list[str]:
    maybe = st.sampled_from([True, True, True, False])
    temp_c = draw(st.floats(36.0, 41.0))
    temp = temp_c * 9 / 5 + 32 if fahrenheit else temp_c
    creatinine = draw(st.floats(0.5, 4.0))
    fibrinogen = draw(st.floats(80, 450))
    fio2 = draw(st.sampled_from([21, 28, 35, 40, 60, 80, 100]))
    ne = draw(st.sampled_from([0.0, 0.0, 2.0, 5.5, 12.0, 21.0]))
    return [
        f"P{p:03d}" if draw(st.integers(0, 20)) else f" P{p:03d} ",
        when.strftime("%Y-%m-%dT%H:%M:%S"),
        _number(draw, temp, comma) if draw(maybe) else draw(st.sampled_from(["", "n/a"])),
        str(draw(st.integers(60, 150))) if draw(maybe) else "",
        str(draw(st.integers(40, 110))) if draw(maybe) else "",
        _number(draw, ne, comma) if draw(maybe) else "",
        (_number(draw, fio2 / 100, comma, 2) if fraction else str(fio2)) if draw(maybe) else "",
        draw(st.sampled_from(["room air", "NC", "HFNC", "", "nasal cannula"])),
        (
            _number(draw, creatinine * 88.4, comma, 0)
            if creatinine_si
            else _number(draw, creatinine, comma, 2)
        )
        if draw(maybe)
        else draw(st.sampled_from(["", "80 µmol/L", "1.1 mg/dL" if not comma else "1,1 mg/dL"])),
        _number(draw, draw(st.floats(0.2, 3.0)), comma, 1) if draw(maybe) else "",
        (
            _number(draw, fibrinogen / 100, comma, 2)
            if fibrinogen_si
            else _number(draw, fibrinogen, comma, 0)
        )
        if draw(maybe)
        else "",
        draw(st.sampled_from(["<5", "12", "140", "", ">300"])),
        _number(draw, weight + (0.5 if i == 3 else 0.0), comma, 1),
        draw(st.sampled_from(["", "", "", "", "8 mg/kg" if False else "560"])),
        draw(st.sampled_from(["", "", "rigors; myalgia", "headache, nausea"])),
    ] + ([_number(draw, i / 6, comma, 2)] if with_day else [])
