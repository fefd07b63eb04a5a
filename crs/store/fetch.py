"""Rows of the long tables (points, observations, patient values) for a list of patient
keys, through the DBAPI cursor in chunks (PostgreSQL: COPY), and which of them are left
out of grading (values under an active reading mark, crs.store.marks). Shared by the
queries that read the store back (crs.store.queries), the patient cache they rebuild
(crs.store.cache) and the marking at an upgrade (which rebuilds the cache), so none of
those imports another to read.
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


def graded_numbers(connection: sa.Connection, keys: list[int]) -> pd.DataFrame:
    """:func:`fetch_numbers` without the values left out of grading (active marks)."""
    return without(fetch_numbers(connection, keys), marked_rows(connection, keys))


# -- left out of grading (crs.store.marks) ----------------------------------------------


def marked_rows(connection: sa.Connection, keys: list[int]) -> pd.DataFrame:
    """(key, instant, var) of the row values of patients ``keys`` under an active mark
    (``key`` is the store's patient key). Marks concern numeric values only."""
    return _marked(connection, "observations", ["pid", "instant", "var"], keys)


def marked_levels(connection: sa.Connection, keys: list[int]) -> pd.DataFrame:
    """(key, var) of the patient-level values of patients ``keys`` under an active mark."""
    return _marked(connection, "patient_values", ["pid", "var"], keys)


def _marked(
    connection: sa.Connection, table: str, columns: list[str], keys: list[int]
) -> pd.DataFrame:
    """Key columns (``pid`` as ``key``) of ``table``'s values under the active marks of
    the patients ``keys``: the marks first (usually none, and then nothing else is
    read), then those patients' values of the marked variables, by primary key."""
    out = ["key", *columns[1:]]
    active = pd.DataFrame(
        connection.execute(
            sa.text("SELECT pid, var, import_id FROM reading_marks WHERE cleared_at IS NULL")
        ).all(),
        columns=["key", "var", "import_id"],
        dtype="int64",
    )
    active = active[active["key"].isin(keys)]
    if active.empty:
        return pd.DataFrame(columns=out, dtype="int64")
    pids = sorted(int(p) for p in pd.unique(active["key"]))
    variables = sorted(int(v) for v in pd.unique(active["var"]))
    statement = sa.text(
        f"SELECT {', '.join(columns)}, import_id FROM {table} WHERE pid IN :pids AND var IN :vars"
    ).bindparams(sa.bindparam("pids", expanding=True), sa.bindparam("vars", expanding=True))
    found = [
        row
        for i in range(0, len(pids), _CHUNK)
        for row in connection.execute(
            statement, {"pids": pids[i : i + _CHUNK], "vars": variables}
        ).all()
    ]
    stored = pd.DataFrame(found, columns=[*out, "import_id"], dtype="int64")
    return stored.merge(active, on=["key", "var", "import_id"])[out]


def without(values: pd.DataFrame, excluded: pd.DataFrame) -> pd.DataFrame:
    """``values`` without the rows whose key columns (those of ``excluded``) match."""
    if excluded.empty or values.empty:
        return values
    keys = list(excluded.columns)
    stored = pd.MultiIndex.from_arrays([values[k].to_numpy(dtype="int64") for k in keys])
    gone = stored.isin(pd.MultiIndex.from_frame(excluded[keys]))
    return values[~gone].reset_index(drop=True)
