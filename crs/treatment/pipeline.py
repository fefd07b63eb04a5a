"""From a read export to the graded table (docs/architecture.md §4; spec grading.md §4).

``grade_export`` is what the app, the store and the command line all call, so the
three always agree: grade (Tables 2–3, with attributions of §5) and then the Figure 2
treatment algorithm on the graded rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crs.scales.consensus import CONSENSUS_COLUMNS
from crs.scales.explain import factorize_rows
from crs.scales.grading import grade
from crs.treatment.treatment import annotate, recommend

if TYPE_CHECKING:
    from crs.read.reader import Export

#: Columns of `python -m crs grade` (spec grading.md §4), after the time columns.
OUTPUT_COLUMNS = (
    "grade",
    "drivers",
    "unknown",
    "ne_eq_ug_min",
    "explanation",
    "recommendation",
    "alerts",
    # astct.md §5: ASTCT 2019 CRS and ICANS, always written after ``alerts``.
    "astct_grade",
    "astct_drivers",
    "icans_grade",
    "icans_drivers",
    "icans_unknown",
)


def grade_frame(frame: pd.DataFrame, attributions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Grade a canonical frame and apply the treatment algorithm: the full graded frame."""
    return annotate(grade(frame, attributions))


def grade_export(export: Export, attributions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Grade a read export (see :func:`grade_frame`)."""
    return grade_frame(export.frame, attributions)


def grade_to_table(
    export: Export, attributions: pd.DataFrame | None = None, *, categorical: bool = False
) -> pd.DataFrame:
    """``output_table(grade_export(export, attributions), export.axis)``, leaner.

    The command line writes only the spec §4 columns, so of the treatment algorithm it
    asks only for ``recommendation`` and ``alerts`` (not a million ``branch`` sentences);
    the table is the same, cell for cell. With ``categorical`` (see :func:`output_table`)
    ``time``, ``recommendation`` and ``alerts`` are categoricals of the same texts.
    """
    graded = grade(export.frame, attributions)
    advice = recommend(graded, columns=("recommendation", "alerts"), categorical=categorical)
    return output_table(graded.assign(**advice), export.axis, categorical=categorical)


def output_table(graded: pd.DataFrame, axis: str, *, categorical: bool = False) -> pd.DataFrame:
    """The spec §4 table: patient_id, time (ISO 8601) and day — or day alone — then results.

    On a time axis ``day`` is kept next to ``time`` when it is known (it is when an
    infusion time was given), because clinicians count days since infusion.

    With ``categorical``, the ``time`` column and the text columns that come as
    categoricals without missing values (``recommend(..., categorical=True)``) are
    categoricals of the same texts instead of ``str``: each distinct text once, which
    :func:`crs.safe_csv.write_large_csv` writes once (the same bytes).
    """
    out = pd.DataFrame({"patient_id": graded["patient_id"].astype("str")})
    if axis == "time":
        out["time"] = (iso_categories if categorical else iso_seconds)(graded["time"])
        if graded["day"].notna().any():
            out["day"] = graded["day"].round(4)
    else:
        out["day"] = graded["day"].round(6)
    out["grade"] = graded["grade"].astype("int64")
    for column in ("drivers", "unknown"):
        out[column] = graded[column].fillna("").astype("str")
    out["ne_eq_ug_min"] = graded["ne_eq_ug_min"].round(3)
    for column in ("explanation", "recommendation", "alerts"):
        text = graded[column]
        if not (categorical and isinstance(text.dtype, pd.CategoricalDtype) and not text.hasnans):
            text = text.fillna("").astype("str")
        out[column] = text
    out["explanation"] = three_sentences(graded)
    for column in CONSENSUS_COLUMNS:
        values = graded[column]
        if column.endswith("_grade"):
            values = values.astype("int64")
        elif not (categorical and isinstance(values.dtype, pd.CategoricalDtype)):
            values = values.astype("str").fillna("")
        out[column] = values
    return out


def three_sentences(graded: pd.DataFrame) -> pd.Series:
    """astct.md §5 ``explanation``: the Lee sentence, the ASTCT sentence, the ICANS one.

    The graded frame keeps them apart (``explanation``, ``astct_explanation``,
    ``icans_explanation``) so the app can show each beside its grade; the table joins
    them, each distinct combination once.
    """
    factorized = [_factorized(graded[c]) for c in _SENTENCES]
    codes, first = factorize_rows([code for code, _ in factorized])
    joined = [" ".join(str(words[code[i]]) for code, words in factorized) for i in first]
    return pd.Series(pd.array(joined, dtype="str").take(codes), index=graded.index)


def _factorized(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(code per row, distinct texts) of a text column; a categorical's own codes."""
    if isinstance(text.dtype, pd.CategoricalDtype):
        words = np.append(np.asarray(text.cat.categories, dtype=object), "")
        return text.cat.codes.to_numpy(), words  # code -1 (missing) → the last, ""
    return pd.factorize(text.fillna("").astype("str"))


#: The three sentences of the explanation column, in order (astct.md §5).
_SENTENCES = ("explanation", "astct_explanation", "icans_explanation")


#: Instants written by :func:`iso_seconds` without falling back to ``strftime``: four-digit
#: years, where numpy's and Python's ISO dates agree.
_FAST_ISO_RANGE = (
    np.datetime64("1000-01-01T00:00:00", "s"),
    np.datetime64("9999-12-31T23:59:59", "s"),
)


def iso_seconds(times: pd.Series) -> pd.Series:
    """``times.dt.strftime("%Y-%m-%dT%H:%M:%S")``, the same strings (NaT → missing), fast.

    A ward export repeats few calendar days and few clock times, so each distinct day and
    each distinct second of the day is written once and the two are joined per row.
    """
    values = times.to_numpy()
    if not (isinstance(values.dtype, np.dtype) and values.dtype.kind == "M"):
        return times.dt.strftime("%Y-%m-%dT%H:%M:%S")
    missing = np.isnat(values)
    seconds = values.astype("datetime64[s]")  # floor, as strftime drops the fraction
    known = seconds[~missing]
    if len(known) and (known.min() < _FAST_ISO_RANGE[0] or known.max() > _FAST_ISO_RANGE[1]):
        return times.dt.strftime("%Y-%m-%dT%H:%M:%S")
    seconds[missing] = _FAST_ISO_RANGE[0]
    days = seconds.astype("datetime64[D]")
    clock = (seconds - days).astype("int64")
    day_code, distinct_days = pd.factorize(days.view("int64"))
    clock_code, distinct_clocks = pd.factorize(clock)
    day_words = np.datetime_as_string(distinct_days.view("datetime64[D]"), unit="D")
    clock_words = [f"T{c // 3600:02d}:{c // 60 % 60:02d}:{c % 60:02d}" for c in distinct_clocks]
    text = pc.binary_join_element_wise(
        pa.array(day_words.tolist(), type=pa.large_string()).take(pa.array(day_code)),
        pa.array(clock_words, type=pa.large_string()).take(pa.array(clock_code)),
        pa.scalar("", pa.large_string()),
    )
    if missing.any():
        text = pc.if_else(pa.array(missing), pa.scalar(None, pa.large_string()), text)
    return pd.Series(pd.array(text, dtype="str"), index=times.index, name=times.name)


def iso_categories(times: pd.Series) -> pd.Series:
    """:func:`iso_seconds` as a categorical: each distinct second written once.

    The same texts (NaT → missing); times that are not plain ``datetime64`` values (e.g.
    with a time zone) get :func:`iso_seconds` itself.
    """
    values = times.to_numpy()
    if not (isinstance(values.dtype, np.dtype) and values.dtype.kind == "M"):
        return iso_seconds(times)
    codes, seconds = pd.factorize(values.astype("datetime64[s]"))  # NaT → -1
    words = iso_seconds(pd.Series(seconds))
    numbers, distinct = pd.factorize(words)  # the same text for two seconds: one category
    text = pd.Categorical.from_codes(
        np.append(numbers, -1)[codes], categories=distinct, validate=False
    )
    return pd.Series(text, index=times.index, name=times.name)
