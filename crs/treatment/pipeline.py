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
    export: Export,
    attributions: pd.DataFrame | None = None,
    *,
    categorical: bool = False,
    with_day: bool | None = None,
) -> pd.DataFrame:
    """``output_table(grade_export(export, attributions), export.axis)``, leaner.

    The command line writes only the spec §4 columns, so of the treatment algorithm it
    asks only for ``recommendation`` and ``alerts`` (not a million ``branch`` sentences);
    the table is the same, cell for cell. With ``categorical`` (see :func:`output_table`)
    ``time``, ``recommendation`` and ``alerts`` are categoricals of the same texts.
    """
    graded = grade(export.frame, attributions)
    advice = recommend(graded, columns=("recommendation", "alerts"), categorical=categorical)
    return output_table(
        graded.assign(**advice), export.axis, categorical=categorical, with_day=with_day
    )


def output_table(
    graded: pd.DataFrame, axis: str, *, categorical: bool = False, with_day: bool | None = None
) -> pd.DataFrame:
    """The spec §4 table: patient_id, time (ISO 8601) and day — or day alone — then results.

    On a time axis ``day`` is kept next to ``time`` when it is known (it is when an
    infusion time was given), because clinicians count days since infusion.
    ``with_day`` decides that instead (a part of a larger table, crs.batch: the whole
    table knows whether any row has a day).

    With ``categorical``, the text columns that come as categoricals without missing
    values (``recommend(..., categorical=True)``) stay categoricals of the same texts
    instead of ``str``: each distinct text once, which
    :func:`crs.safe_csv.write_large_csv` writes once (the same bytes). ``time`` is
    ``str`` either way: on real charting nearly every instant is distinct, so categories
    of it saved nothing downstream and cost more to build than the texts (issue #17).
    """
    out = pd.DataFrame({"patient_id": graded["patient_id"].astype("str")})
    if axis == "time":
        out["time"] = iso_seconds(graded["time"])
        if graded["day"].notna().any() if with_day is None else with_day:
            out["day"] = graded["day"].round(4)
    else:
        out["day"] = graded["day"].round(6)
    out["grade"] = graded["grade"].astype("int64")
    for column in ("drivers", "unknown"):
        out[column] = graded[column].fillna("").astype("str")
    out["ne_eq_ug_min"] = graded["ne_eq_ug_min"].round(3)
    out["explanation"] = three_sentences(graded)
    for column in ("recommendation", "alerts"):
        text = graded[column]
        if not (categorical and isinstance(text.dtype, pd.CategoricalDtype) and not text.hasnans):
            text = text.fillna("").astype("str")
        out[column] = text
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
    them with a space, one Arrow element-wise join over whole columns (on real charting
    nearly every row's combination is distinct, so joining per distinct combination in
    Python cost seconds per million rows, issue #17).
    """
    sentences = [_arrow_text(graded[c]) for c in _SENTENCES]
    joined = pc.binary_join_element_wise(*sentences, pa.scalar(" ", pa.large_string()))
    return pd.Series(pd.arrays.ArrowStringArray(joined), index=graded.index, dtype="str")


def _arrow_text(text: pd.Series) -> pa.Array:
    """A text column as an Arrow large-string array, missing as ""; a categorical decoded."""
    array = pa.array(text.astype("str"))
    return pc.fill_null(array.cast(pa.large_string()), "")


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
