"""The patient cache (models.patient_cache): each patient's rows and numeric values as
packed binary arrays, so the ward round reads 500 complete histories in one query of
500 rows (the issue: "Ward round reads for 500 patients in < 1 s").

The cache is derived data, rebuilt from the long tables inside the import transaction
for every patient the import touched; a patient without a cache row (a store migrated
from revision 0001) is read from the long tables instead. It holds the values the ward
round grades: values left out of grading since a reading upgrade (crs.store.marks) are
not in it, and it is rebuilt when they are marked and when they are read again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from crs.store.fetch import fetch_numbers, fetch_points

#: Binary layouts (little-endian, fixed): one record per row / per numeric value.
POINT = np.dtype([("instant", "<i8"), ("line", "<i8")])
NUMBER = np.dtype([("instant", "<i8"), ("var", "<i8"), ("value", "<f8")])


def pack(
    keys: list[int], points: pd.DataFrame, numbers: pd.DataFrame
) -> list[tuple[int, bytes, bytes]]:
    """(pid, points blob, numbers blob) per key; rows in (instant, var) order."""
    point_blocks = _split(points, ["key", "instant"], POINT, {"instant": "instant", "line": "line"})
    number_blocks = _split(
        numbers,
        ["key", "instant", "var"],
        NUMBER,
        {"instant": "instant", "var": "var", "value": "value_num"},
    )
    empty_points = np.zeros(0, dtype=POINT).tobytes()
    empty_numbers = np.zeros(0, dtype=NUMBER).tobytes()
    return [
        (int(k), point_blocks.get(k, empty_points), number_blocks.get(k, empty_numbers))
        for k in keys
    ]


def _split(
    frame: pd.DataFrame, order: list[str], dtype: np.dtype, fields: dict[str, str]
) -> dict[int, bytes]:
    if frame.empty:
        return {}
    sort = np.lexsort([frame[c].to_numpy() for c in reversed(order)])
    packed = np.zeros(len(frame), dtype=dtype)
    for field, column in fields.items():
        packed[field] = frame[column].to_numpy()[sort]
    key = frame["key"].to_numpy(dtype="int64")[sort]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ends = np.r_[starts[1:], len(key)]
    return {int(key[s]): packed[s:e].tobytes() for s, e in zip(starts, ends, strict=True)}


def unpack(rows: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(points, numbers) frames from cache rows (pid, points blob, numbers blob)."""
    point_parts = [np.frombuffer(bytes(r[1]), dtype=POINT) for r in rows]
    number_parts = [np.frombuffer(bytes(r[2]), dtype=NUMBER) for r in rows]
    pids = np.array([r[0] for r in rows], dtype="int64")
    points = np.concatenate(point_parts) if point_parts else np.zeros(0, dtype=POINT)
    numbers = np.concatenate(number_parts) if number_parts else np.zeros(0, dtype=NUMBER)
    return (
        pd.DataFrame(
            {
                "key": np.repeat(pids, [len(p) for p in point_parts]),
                "instant": points["instant"].astype("int64"),
                "line": points["line"].astype("int64"),
            }
        ),
        pd.DataFrame(
            {
                "key": np.repeat(pids, [len(n) for n in number_parts]),
                "instant": numbers["instant"].astype("int64"),
                "var": numbers["var"].astype("int64"),
                "value_num": numbers["value"].astype("float64"),
            }
        ),
    )


def refresh(connection: sa.Connection, keys: list[int]) -> None:
    """Rebuild the cache rows of ``keys`` from the long tables, without the values left
    out of grading (inside the caller's transaction)."""
    from crs.store.marks import marked_rows, without

    if not keys:
        return
    points = fetch_points(connection, keys)
    numbers = without(fetch_numbers(connection, keys), marked_rows(connection, keys))
    rows = pack(keys, points, numbers)
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(
            f"INSERT INTO patient_cache (pid, points, numbers) VALUES ({mark}, {mark}, {mark}) "
            "ON CONFLICT (pid) DO UPDATE SET points = excluded.points, numbers = excluded.numbers",
            rows,
        )
    finally:
        cursor.close()
