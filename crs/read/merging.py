"""Rows of one patient at one instant become one row (spec grading.md §1.1), and the
canonical frame is put in order (docs/architecture.md §1.1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from crs.read.columns import CANONICAL, DTYPES, PATIENT_LEVEL, empty_column
from crs.read.quality import problems_frame
from crs.read.readstate import ROW, Cols, ReadWork, Source, raw_at


def patient_codes(patient_id: pd.Series) -> np.ndarray:
    """Integer codes of the patients in order of first appearance (0, 1, …)."""
    codes, _ = pd.factorize(patient_id)
    return codes


def strictly_ordered(codes: np.ndarray, instant: pd.Series) -> bool:
    """Whether the rows are grouped by patient in order of first appearance, with
    strictly increasing instants within each patient (exports usually are): then no
    two rows share a (patient, instant) and the rows are already in the frame's order.
    ``codes`` are :func:`patient_codes` of the same rows."""
    if len(codes) < 2:
        return True
    step_code = np.diff(codes)
    step_time = np.diff(instant.to_numpy().view("int64"))
    return bool(np.all((step_code > 0) | ((step_code == 0) & (step_time > 0))))


def merge_same_instant(
    cols: Cols,
    sources: list[Source],
    raws: dict[str, pd.Series],
    long_layout: bool,
    work: ReadWork,
    *,
    ordered: bool = False,
) -> tuple[Cols, int]:
    """One row per (patient, instant); the later row wins a conflict (spec §1.1).

    Only the rows that share an instant are grouped (a file without duplicates costs one
    ``duplicated`` pass, and none when ``ordered``: the caller found the rows
    :func:`strictly_ordered`), on integer group ids, with numpy per column.
    """
    if ordered:
        return cols, 0
    duplicate = _shares_instant(cols["patient_id"], cols["instant"])
    if not duplicate.any():
        return cols, 0
    keys = pd.DataFrame({"patient_id": cols["patient_id"], "instant": cols["instant"]})
    at = np.flatnonzero(duplicate)  # rows are still in file order
    group = {name: column.iloc[at].reset_index(drop=True) for name, column in cols.items()}
    gid = keys.iloc[at].groupby(["patient_id", "instant"], sort=False).ngroup().to_numpy()
    m = len(at)
    n_groups = int(gid.max()) + 1
    _, first_at = np.unique(gid, return_index=True)  # the first row of each group in file
    line = group["line"].to_numpy()
    file_row = group[ROW].to_numpy()
    first_line = line[first_at][gid]
    labels: dict[str, str] = {}
    for s in sources:
        labels.setdefault(s.canonical, s.label)
    fixed = {"patient_id", "instant", "line", "time", ROW, *PATIENT_LEVEL}
    merged: dict[str, pd.Series] = {
        name: group[name].iloc[first_at].reset_index(drop=True) for name in fixed if name in group
    }
    positions = np.arange(m)
    for column in (c for c in group if c not in fixed):
        values = group[column]
        documented = values.notna().to_numpy()
        last = np.full(n_groups, -1, dtype="int64")
        np.maximum.at(last, gid, np.where(documented, positions, -1))
        taken = values.iloc[np.maximum(last, 0)].reset_index(drop=True)
        merged[column] = taken.where(pd.Series(last >= 0)) if (last < 0).any() else taken
        if np.bincount(gid[documented], minlength=n_groups).max(initial=0) < 2:
            continue  # at most one value per instant: nothing can conflict
        winner_at = last[gid]
        winner = values.iloc[np.maximum(winner_at, 0)].reset_index(drop=True)
        lost = documented & (winner_at >= 0) & (values != winner).fillna(False).to_numpy()
        if not lost.any():
            continue
        loser_at = np.flatnonzero(lost)
        win_at = winner_at[loser_at]
        work.problems.append(
            problems_frame(
                pd.Series(line[loser_at]),
                labels.get(column, column),
                raw_at(raws, column, values.iloc[loser_at], file_row[loser_at]),
                "conflicts with '"
                + raw_at(raws, column, values.iloc[win_at], file_row[win_at]).to_numpy()
                + "' on line "
                + pd.Series(line[win_at]).astype("str").to_numpy()
                + " (same patient and instant); the later row wins",
                "conflict",
            )
        )
    folded = line != first_line
    if not long_layout and folded.any():
        work.problems.append(
            problems_frame(
                pd.Series(line[folded]),
                "",
                None,
                "same patient and instant as line "
                + pd.Series(first_line[folded]).astype("str")
                + "; merged into that row",
                "merged",
            )
        )
    single = ~duplicate
    out = {
        name: pd.concat([column[single], merged[name]], ignore_index=True)
        for name, column in cols.items()
    }
    if long_layout:
        work.conversions.append(
            f"long layout: {len(duplicate)} rows pivoted into {len(out['line'])} time points"
        )
    return out, int(folded.sum())


def _shares_instant(patient_id: pd.Series, instant: pd.Series) -> np.ndarray:
    """Rows whose (patient, instant) another row shares (``duplicated(keep=False)``).

    One int64 key per row from the two factorised columns: a third of the memory of
    ``DataFrame.duplicated`` on a 3-million-row export, and twice as fast.
    """
    patient_code, _ = pd.factorize(patient_id, use_na_sentinel=False)
    instant_code, instants = pd.factorize(instant.to_numpy().view("int64"))
    key = patient_code.astype("int64") * len(instants) + instant_code
    del patient_code, instant_code
    return pd.Series(key, copy=False).duplicated(keep=False).to_numpy()


def _missing_column(name: str, n: int, shared: dict[object, pa.ChunkedArray]) -> pd.Series:
    """A canonical column the file did not give: all missing, and free of memory.

    Most exports fill a dozen of the ~65 canonical columns; 50 full float64 columns of a
    3-million-row export are 1.4 GB. A zero-stride read-only view of one NaN/NaT holds
    the same values in 8 bytes, and pandas copies it before any write (hostile-input
    benchmark: reading a 200 MB export must stay under 2 GB). The all-missing text
    columns share one immutable Arrow array (``shared``, one per dtype): its offsets
    alone are 8 bytes a row.
    """
    dtype = DTYPES[name]
    if dtype == np.dtype("float64"):
        return pd.Series(np.broadcast_to(np.float64(np.nan), (n,)), copy=False)
    if dtype == np.dtype("datetime64[us]"):
        return pd.Series(np.broadcast_to(np.datetime64("NaT", "us"), (n,)), copy=False)
    if name == "line" or dtype == np.dtype("int64"):
        return empty_column(name, n)
    if dtype not in shared:
        shared[dtype] = pa.chunked_array([pa.nulls(n, pa.large_string())])
    # A fresh pandas array around the same immutable Arrow buffers: a later write to one
    # column (which replaces its array's Arrow data) can never reach another.
    return pd.Series(pd.arrays.ArrowStringArray(shared[dtype], dtype=dtype))


def sort_and_conform(cols: Cols, *, ordered: bool = False) -> pd.DataFrame:
    """Patients in order of first appearance, then instant; every canonical column.

    ``ordered``: the caller found the rows, in file order, :func:`strictly_ordered`, so
    they are already in this order.

    ``cols`` is consumed (emptied): each unsorted column is released as soon as its
    sorted copy exists, so a large export never holds two copies of the frame
    (hostile-input benchmark: a 200 MB export read in under 2 GB). The caller must hold
    no other reference to the columns for that memory to be returned.
    """
    n = len(cols["line"])
    order = None if ordered else _order(cols)
    columns = []
    shared: dict[object, pa.ChunkedArray] = {}
    for name in CANONICAL:
        if name in cols:
            column = cols.pop(name)
            if order is not None:
                column = column.iloc[order]
            column = column.reset_index(drop=True)
            if column.dtype != DTYPES[name]:
                column = column.astype(DTYPES[name])
        else:
            column = _missing_column(name, n, shared)
        columns.append(column.rename(name))
        del column  # only the list holds the sorted column
    cols.clear()  # the reader's own helper columns (file row) are not part of the frame
    # Column-wise concat keeps one block per column: no 400 MB consolidation copy.
    return pd.concat(columns, axis=1)


def _order(cols: Cols) -> np.ndarray | None:
    """The permutation putting rows in (first appearance of patient, instant, line)
    order, or None when they already are (exports are usually sorted)."""
    line = cols["line"].to_numpy()
    n = len(line)
    by_line = np.argsort(line, kind="stable")
    codes, _ = pd.factorize(cols["patient_id"].iloc[by_line])
    patient_rank = np.empty(n, dtype="int64")
    patient_rank[by_line] = codes
    del by_line, codes
    instant = cols["instant"].to_numpy().view("int64")
    in_order = n < 2 or bool(
        np.all(
            (np.diff(patient_rank) > 0) | ((np.diff(patient_rank) == 0) & (np.diff(instant) >= 0))
        )
    )
    return None if in_order else np.lexsort((line, instant, patient_rank))
