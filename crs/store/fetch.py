"""Rows of the long tables (points, observations, patient values) for a list of patient
keys, through the DBAPI cursor in chunks (PostgreSQL: COPY). Shared by the queries that
read the store back (crs.store.queries) and the patient cache they rebuild
(crs.store.cache), so neither imports the other.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import sqlalchemy as sa

#: dtype of fetched columns (None → NaN for value_num); the rest are integer keys.
_FETCH_DTYPES = {"value_num": "float64", "value_text": object}


#: Patient ids per IN (...) list: below SQLite's and PostgreSQL's parameter limits.
_CHUNK = 5_000


def fetch_points(connection: sa.Connection, keys: list[int]) -> pd.DataFrame:
    """Stored rows (key, instant, line) of the patient keys, from the long tables."""
    return fetch_frame(
        connection, "SELECT pid, instant, line FROM points", keys, ["key", "instant", "line"]
    )


def fetch_numbers(connection: sa.Connection, keys: list[int]) -> pd.DataFrame:
    """Numeric values (key, instant, var, value_num) of the patient keys, exactly."""
    return fetch_frame(
        connection,
        "SELECT pid, instant, var, value_num FROM observations WHERE value_num IS NOT NULL",
        keys,
        ["key", "instant", "var", "value_num"],
    )


def fetch_rows(connection: sa.Connection, sql: str, keys: list[int]) -> list[tuple]:
    """Rows of one query for the patient keys, through the DBAPI cursor (in chunks)."""
    where = " AND " if " WHERE " in sql else " WHERE "
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    cursor = connection.connection.cursor()
    rows: list[tuple] = []
    try:
        for i in range(0, len(keys), _CHUNK):
            chunk = keys[i : i + _CHUNK]
            cursor.execute(f"{sql}{where}pid IN ({', '.join(mark for _ in chunk)})", chunk)
            rows.extend(cursor.fetchall())
    finally:
        cursor.close()
    return rows


def fetch_frame(
    connection: sa.Connection, sql: str, keys: list[int], columns: list[str]
) -> pd.DataFrame:
    """Rows of one query for the patient keys as a frame.

    Uses the DBAPI cursor directly: per-row Python work would cost seconds on a ward. A
    result without text becomes one numeric array in a single C call (µs instants are
    exact in float64 below 2**53, i.e. until the year 2255).
    """
    if connection.dialect.name == "postgresql" and "value_text" not in columns:
        return _copy_out(connection, sql, keys, columns)
    rows = fetch_rows(connection, sql, keys)
    if not rows:
        return pd.DataFrame(
            {c: pd.Series([], dtype=_FETCH_DTYPES.get(c, "int64")) for c in columns}
        )
    if "value_text" not in columns:
        block = np.array(rows, dtype="float64" if "value_num" in columns else "int64")
        return pd.DataFrame(
            {
                name: block[:, i].astype(_FETCH_DTYPES.get(name, "int64"))
                for i, name in enumerate(columns)
            }
        )
    return pd.DataFrame(
        {
            name: np.array(column, dtype=_FETCH_DTYPES.get(name, "int64"))
            for name, column in zip(columns, zip(*rows, strict=True), strict=True)
        }
    )


def _copy_out(
    connection: sa.Connection, sql: str, keys: list[int], columns: list[str]
) -> pd.DataFrame:
    """PostgreSQL: numeric rows through COPY … TO STDOUT and pandas' C parser.

    PostgreSQL writes each double in its shortest exact form and pandas' parser
    reads it back bit for bit. The keys are integers from the store itself, written
    into the statement because COPY takes no parameters.
    """
    where = " AND " if " WHERE " in sql else " WHERE "
    cursor = connection.connection.cursor()
    blocks: list[bytes] = []
    try:
        for i in range(0, len(keys), _CHUNK):
            chunk = ", ".join(str(int(k)) for k in keys[i : i + _CHUNK])
            with cursor.copy(f"COPY ({sql}{where}pid IN ({chunk})) TO STDOUT (FORMAT csv)") as copy:
                blocks.extend(bytes(block) for block in copy)
    finally:
        cursor.close()
    dtypes = {c: _FETCH_DTYPES.get(c, "int64") for c in columns}
    if not any(blocks):
        return pd.DataFrame({c: pd.Series([], dtype=d) for c, d in dtypes.items()})
    return pd.read_csv(
        io.BytesIO(b"".join(blocks)),
        header=None,
        names=columns,
        dtype=dtypes,
        keep_default_na=False,
        na_values=[""],
    )
