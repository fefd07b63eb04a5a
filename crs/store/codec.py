"""Canonical frame ↔ the store's long rows (docs/architecture.md §1.1 and §7).

``to_long`` splits a canonical frame into the three things the store keeps — the rows
(patient × instant, with the file line), the row values (one per non-missing cell) and
the patient-level values (one per patient and column) — and ``to_frame`` builds the
canonical frame back from them. Both are vectorised per column: the loops below run
over columns, never over rows.

Missing cells are not stored: a blank cell in a newer export never erases a value a
clinician saw in an earlier one (the issue: "rows missing from a newer export are
kept" — the same holds for cells).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crs.read.columns import DTYPES, PATIENT_LEVEL, conform

#: Columns that identify a row; everything else is a stored value.
IDENTITY = ("patient_id", "instant", "time", "line")
#: Values are numbers (value_num) or text (value_text); times are ISO text.
_ISO = "%Y-%m-%dT%H:%M:%S.%f"
_EPOCH = np.datetime64("1970-01-01T00:00:00", "us")


@dataclass(frozen=True)
class LongRows:
    """One export in the store's shape (all plain columns, ready for a bulk insert)."""

    patients: pd.DataFrame  # patient_id, position
    points: pd.DataFrame  # patient_id, instant (int µs), line
    values: pd.DataFrame  # patient_id, instant, variable, value_num, value_text
    patient_values: pd.DataFrame  # patient_id, variable, value_num, value_text


def instants_to_int(instant: pd.Series) -> np.ndarray:
    """``datetime64[us]`` → int64 microseconds since 1970-01-01."""
    return instant.to_numpy(dtype="datetime64[us]").astype("int64")


def int_to_instants(ticks: np.ndarray) -> np.ndarray:
    """int64 microseconds since 1970-01-01 → ``datetime64[us]``."""
    return np.asarray(ticks, dtype="int64").astype("datetime64[us]")


def to_long(frame: pd.DataFrame) -> LongRows:
    """Split a canonical frame (one row per patient × instant) into the store's rows."""
    patient_id = frame["patient_id"].astype("str").to_numpy(dtype=object)
    ticks = instants_to_int(frame["instant"])
    first = ~pd.Series(patient_id).duplicated().to_numpy()
    patients = pd.DataFrame(
        {"patient_id": patient_id[first], "position": np.arange(int(first.sum()))}
    )
    points = pd.DataFrame(
        {
            "patient_id": patient_id,
            "instant": ticks,
            "line": frame["line"].to_numpy(dtype="int64"),
        }
    )
    row_columns = [c for c in frame.columns if c not in IDENTITY and c not in PATIENT_LEVEL]
    pieces = []
    for column in row_columns:
        num, text, present = _encode(frame[column])
        if not present.any():
            continue
        pieces.append(
            pd.DataFrame(
                {
                    "patient_id": patient_id[present],
                    "instant": ticks[present],
                    "variable": column,
                    "value_num": num[present],
                    "value_text": text[present],
                }
            )
        )
    values = _concat(pieces, ["patient_id", "instant", "variable", "value_num", "value_text"])

    # Patient-level values: the first non-missing value of each patient (the reader
    # already broadcast the earliest row's value, spec §1).
    level_columns = [c for c in PATIENT_LEVEL if c in frame.columns]
    per_patient = (
        frame[["patient_id", *level_columns]]
        .assign(patient_id=frame["patient_id"].astype("str"))
        .groupby("patient_id", sort=False)
        .first()
    )
    level_pieces = []
    for column in level_columns:
        num, text, present = _encode(per_patient[column])
        if not present.any():
            continue
        level_pieces.append(
            pd.DataFrame(
                {
                    "patient_id": per_patient.index.to_numpy(dtype=object)[present],
                    "variable": column,
                    "value_num": num[present],
                    "value_text": text[present],
                }
            )
        )
    patient_values = _concat(level_pieces, ["patient_id", "variable", "value_num", "value_text"])
    return LongRows(patients, points, values, patient_values)


def _encode(series: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(value_num, value_text, present) of one column; ``None`` where a kind does not apply."""
    n = len(series)
    none = np.full(n, None, dtype=object)
    if pd.api.types.is_datetime64_any_dtype(series):
        present = series.notna().to_numpy()
        text = series.dt.strftime(_ISO).to_numpy(dtype=object, na_value=None)
        return none, text, present
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        values = series.astype("float64").to_numpy(dtype="float64", na_value=np.nan)
        # inf is no measurement: it is not stored (the reader never produces it).
        present = np.isfinite(values)
        return values.astype(object), none, present
    # A NUL character is no clinical text, and PostgreSQL cannot store it: one garbled
    # cell must not take the whole file down, so it becomes U+FFFD (the replacement
    # character) on both databases.
    text = series.astype("str").str.replace("\x00", "\ufffd", regex=False)
    stripped = text.str.strip()
    present = (stripped.notna() & (stripped != "")).to_numpy()
    return none, text.to_numpy(dtype=object, na_value=None), present


def _concat(pieces: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not pieces:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    return pd.concat(pieces, ignore_index=True)[columns]


def to_frame(
    patients: pd.DataFrame,
    points: pd.DataFrame,
    values: pd.DataFrame,
    patient_values: pd.DataFrame,
) -> pd.DataFrame:
    """The canonical frame from stored rows (inverse of :func:`to_long`).

    Every table refers to a patient by ``key`` (the store's integer patient key, or the
    patient id itself): ``patients``: key, patient_id, axis; ``points``: key, instant
    (int µs), line — already in ward order then by instant; ``values``: key, instant,
    variable, value_num, value_text; ``patient_values``: key, variable, value_num,
    value_text.
    """
    n = len(points)
    key = points["key"].to_numpy()
    ticks = points["instant"].to_numpy(dtype="int64")
    instant = int_to_instants(ticks)
    by_key = pd.Index(patients["key"].to_numpy())
    owner = by_key.get_indexer(key)
    on_time_axis = patients["axis"].to_numpy(dtype=object)[owner] == "time"
    columns: dict[str, object] = {
        "patient_id": pd.array(patients["patient_id"].to_numpy(dtype=object)[owner], dtype="str"),
        "instant": instant,
        "time": np.where(on_time_axis, instant, np.datetime64("NaT", "us")),
        "line": points["line"].to_numpy(dtype="int64"),
    }
    if len(values):
        row = pd.MultiIndex.from_arrays([key, ticks]).get_indexer(
            pd.MultiIndex.from_arrays(
                [values["key"].to_numpy(), values["instant"].to_numpy(dtype="int64")]
            )
        )
        num = pd.to_numeric(values["value_num"], errors="coerce").to_numpy(dtype="float64")
        text = values["value_text"].to_numpy(dtype=object)
        codes, names = pd.factorize(values["variable"].to_numpy(dtype=object))
        for code, name in enumerate(names):
            mine = codes == code
            columns[name] = _decode(name, row[mine], num[mine], text[mine], n)
    if len(patient_values):
        level_owner = by_key.get_indexer(patient_values["key"].to_numpy())
        variable = patient_values["variable"].to_numpy(dtype=object)
        num = pd.to_numeric(patient_values["value_num"], errors="coerce").to_numpy(dtype="float64")
        text = patient_values["value_text"].to_numpy(dtype=object)
        for name in pd.unique(variable):
            mine = (variable == name) & (level_owner >= 0)
            per_patient = _decode(name, level_owner[mine], num[mine], text[mine], len(by_key))
            columns[name] = per_patient.take(owner).reset_index(drop=True)
    frame = pd.DataFrame(columns, index=pd.RangeIndex(n))
    return conform(frame)


def _decode(name: str, row: np.ndarray, num: np.ndarray, text: np.ndarray, n: int) -> pd.Series:
    """One column of length ``n`` with the stored values at positions ``row``."""
    dtype = DTYPES.get(name)
    if dtype is None:  # a column the reader did not know when the value was stored
        dtype = np.dtype("float64") if np.isfinite(num).any() else "str"
    if dtype == np.dtype("float64"):
        out = np.full(n, np.nan)
        out[row] = num
        return pd.Series(out)
    if dtype == np.dtype("datetime64[us]"):
        out = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
        out[row] = pd.to_datetime(pd.Series(text, dtype="str"), format="ISO8601").to_numpy(
            dtype="datetime64[us]"
        )
        return pd.Series(out)
    out = np.full(n, None, dtype=object)
    out[row] = text
    return pd.Series(pd.array(out, dtype=dtype if dtype != np.dtype("int64") else "str"))
