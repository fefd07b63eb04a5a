"""Reading the ward store back: the canonical frame, patients, imports and changes.

The ward round grades each patient from their complete history (creatinine baseline,
runs of grade ≥ 3 and tocilizumab 24–72 h before, spec §3.4 and treatment.md §2), so
``read_frame`` returns every stored row of the selected patients. Reads are three
set-based queries and one vectorised pivot (crs.store.codec.to_frame); they run in a
deferred (read-only) transaction so an import in progress never blocks the ward round.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa

from crs.store import models
from crs.store.codec import int_to_instants, to_frame
from crs.store.reports import report_from_json

#: dtype of fetched columns (None → NaN for value_num); the rest are integer keys.
_FETCH_DTYPES = {"value_num": "float64", "value_text": object}
#: Values SQLite's printf('%!.17g') writes exactly (see read_frame).
_PACKABLE = "(value_num = 0 OR (abs(value_num) >= 1e-15 AND abs(value_num) < 1e15))"
#: Patient ids per IN (...) list: below SQLite's and PostgreSQL's parameter limits.
_CHUNK = 5_000


def patients_frame(
    connection: sa.Connection,
    patient_ids: Sequence[str] | None = None,
    *,
    include_archived: bool = True,
) -> pd.DataFrame:
    """Stored patients in ward order: key, patient_id, axis, archived, archived_at,
    first_import_id (``key`` is the store's integer patient key)."""
    table = models.patients
    query = sa.select(
        table.c.id,
        table.c.patient_id,
        table.c.axis,
        table.c.archived,
        table.c.archived_at,
        table.c.first_import_id,
    ).order_by(table.c.id)
    if not include_archived:
        query = query.where(table.c.archived.is_(sa.false()))
    out = pd.DataFrame(
        [tuple(row) for row in connection.execute(query)],
        columns=["key", "patient_id", "axis", "archived", "archived_at", "first_import_id"],
    )
    out["key"] = out["key"].astype("int64")
    out["patient_id"] = out["patient_id"].astype("str")
    out["axis"] = out["axis"].astype("str")
    out["archived"] = out["archived"].astype("bool")
    if patient_ids is not None:
        wanted = pd.Index([str(p) for p in patient_ids])
        out = out[out["patient_id"].isin(wanted)].reset_index(drop=True)
    return out


def read_frame(
    connection: sa.Connection,
    patient_ids: Sequence[str] | None = None,
    *,
    include_archived: bool = False,
) -> pd.DataFrame:
    """The canonical frame (architecture §1.1) of the selected patients, ready for grade().

    Rows are in ward order (patients in the order they were first imported) then by
    instant, with a fresh RangeIndex.
    """
    patients = patients_frame(connection, patient_ids, include_archived=include_archived)
    keys = patients["key"].tolist()
    everyone = patient_ids is None and include_archived
    # Numbers and text are read apart. Numbers arrive as whole arrays, which makes 500
    # patients' histories readable in well under a second. On SQLite they are packed per
    # patient by group_concat: keys are integers, and values as printf('%!.17g'), which
    # reads back bit for bit for magnitudes 1e-15 to 1e15 (every clinical value; tested);
    # the rare value outside that band is read row by row, exactly.
    if connection.dialect.name == "sqlite":
        points = _fetch_packed(connection, "points", ("instant", "line"), "", keys, everyone)
        numbers = _fetch_packed(
            connection,
            "observations",
            ("instant", "var", "printf('%!.17g', value_num)"),
            f"value_num IS NOT NULL AND {_PACKABLE}",
            keys,
            everyone,
        )
        points.columns = ["key", "instant", "line"]
        numbers.columns = ["key", "instant", "var", "value_num"]
        extreme = _fetch(
            connection,
            "SELECT pid, instant, var, value_num FROM observations "
            f"WHERE value_num IS NOT NULL AND NOT {_PACKABLE}",
            keys,
            everyone,
            ["key", "instant", "var", "value_num"],
        )
        if len(extreme):
            numbers = pd.concat([numbers, extreme], ignore_index=True)
    else:
        points = _fetch(
            connection,
            "SELECT pid, instant, line FROM points",
            keys,
            everyone,
            ["key", "instant", "line"],
        )
        numbers = _fetch(
            connection,
            "SELECT pid, instant, var, value_num FROM observations WHERE value_num IS NOT NULL",
            keys,
            everyone,
            ["key", "instant", "var", "value_num"],
        )
    texts = _fetch(
        connection,
        "SELECT pid, instant, var, value_text FROM observations WHERE value_num IS NULL",
        keys,
        everyone,
        ["key", "instant", "var", "value_text"],
    )
    values = pd.concat(
        [numbers.assign(value_text=None), texts.assign(value_num=np.nan)], ignore_index=True
    )
    patient_values = _fetch(
        connection,
        "SELECT pid, var, value_num, value_text FROM patient_values",
        keys,
        everyone,
        ["key", "var", "value_num", "value_text"],
    )
    names = _variable_names(connection)
    values["variable"] = names.reindex(values["var"].to_numpy(dtype="int64")).to_numpy()
    patient_values["variable"] = names.reindex(
        patient_values["var"].to_numpy(dtype="int64")
    ).to_numpy()
    position = pd.Index(keys).get_indexer(points["key"].to_numpy(dtype="int64"))
    order = np.lexsort((points["instant"].to_numpy(dtype="int64"), position))
    points = points.iloc[order].reset_index(drop=True)
    return to_frame(patients, points, values, patient_values)


def _variable_names(connection: sa.Connection) -> pd.Series:
    rows = connection.execute(sa.select(models.variables.c.id, models.variables.c.name)).all()
    return pd.Series([name for _, name in rows], index=[int(key) for key, _ in rows], dtype=object)


def _fetch_packed(
    connection: sa.Connection,
    table: str,
    expressions: tuple[str, ...],
    condition: str,
    keys: list[int],
    everyone: bool,
) -> pd.DataFrame:
    """SQLite: numeric columns of ``table`` for the patient keys, one packed row per patient.

    ``group_concat`` joins each patient's values in one string per column, in the table's
    key order (the same row order for every aggregate of one group), so the values cross
    from SQLite to numpy as a few long strings instead of a Python tuple per value.
    Columns: pid, then one per expression.
    """
    where = [condition] if condition else []
    if not everyone:
        where.append("pid IN ({marks})")
    sql = (
        f"SELECT pid, count(*), {', '.join(f'group_concat({e})' for e in expressions)} FROM {table}"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " GROUP BY pid"
    chunks = [None] if everyone else [keys[i : i + _CHUNK] for i in range(0, len(keys), _CHUNK)]
    cursor = connection.connection.cursor()
    rows: list[tuple] = []
    try:
        for chunk in chunks:
            if chunk is None:
                cursor.execute(sql)
            else:
                cursor.execute(sql.format(marks=", ".join("?" for _ in chunk)), chunk)
            rows.extend(cursor.fetchall())
    finally:
        cursor.close()
    counts = np.array([row[1] for row in rows], dtype="int64")
    out = {"pid": np.repeat(np.array([row[0] for row in rows], dtype="int64"), counts)}
    for i, expression in enumerate(expressions):
        text = ",".join(row[2 + i] for row in rows)
        values = np.array(text.split(",") if text else [], dtype="float64")
        out[expression] = values if "value_num" in expression else values.astype("int64")
    return pd.DataFrame(out)


def _fetch(
    connection: sa.Connection,
    sql: str,
    keys: list[int],
    everyone: bool,
    columns: list[str],
) -> pd.DataFrame:
    """Rows of one query for the patient keys ``keys`` (all rows when ``everyone``).

    Uses the DBAPI cursor directly: the ward round reads hundreds of thousands of
    values, and per-row Python work would cost seconds. A result without text becomes
    one numeric array in a single C call.
    """
    if everyone:
        chunks: Iterable[list[int] | None] = [None]
    elif not keys:
        chunks = []
    else:
        chunks = (keys[i : i + _CHUNK] for i in range(0, len(keys), _CHUNK))
    where = " AND " if " WHERE " in sql else " WHERE "
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    cursor = connection.connection.cursor()
    rows: list[tuple] = []
    try:
        for chunk in chunks:
            if chunk is None:
                cursor.execute(sql)
            else:
                marks = ", ".join(mark for _ in chunk)
                cursor.execute(f"{sql}{where}pid IN ({marks})", chunk)
            rows.extend(cursor.fetchall())
    finally:
        cursor.close()
    textual = "value_text" in columns
    if not rows:
        return pd.DataFrame(
            {c: pd.Series([], dtype=_FETCH_DTYPES.get(c, "int64")) for c in columns}
        )
    if not textual:
        block = np.array(rows, dtype="float64" if "value_num" in columns else "int64")
        return pd.DataFrame(
            {
                name: block[:, i].astype(_FETCH_DTYPES.get(name, "int64"))
                for i, name in enumerate(columns)
            }
        )
    data = {
        name: np.array(column, dtype=_FETCH_DTYPES.get(name, "int64"))
        for name, column in zip(columns, zip(*rows, strict=True), strict=True)
    }
    return pd.DataFrame(data)


def imports_frame(connection: sa.Connection) -> pd.DataFrame:
    """Every import, newest last, with its counts (the report itself: ``import_report``)."""
    table = models.imports
    columns = [c for c in table.c if c.name not in ("report_json", "report_text")]
    rows = connection.execute(sa.select(*columns).order_by(table.c.id)).all()
    return pd.DataFrame(rows, columns=[c.name for c in columns])


def import_report(connection: sa.Connection, import_id: int):
    """The data-quality report stored with an import (a QualityReport), or None."""
    table = models.imports
    row = connection.execute(
        sa.select(table.c.report_json, table.c.report_text).where(table.c.id == int(import_id))
    ).first()
    if row is None:
        return None
    return report_from_json(row.report_json, row.report_text)


def changes_frame(
    connection: sa.Connection,
    patient_id: str | None = None,
    import_id: int | None = None,
) -> pd.DataFrame:
    """Recorded changes (old → new value, which file, when), oldest first.

    ``instant`` is the row's instant (NaT for a patient-level value); ``file_name`` is
    the file that brought the new value.
    """
    table = models.changes
    query = (
        sa.select(
            table.c.id,
            table.c.import_id,
            models.imports.c.file_name,
            table.c.changed_at,
            table.c.patient_id,
            table.c.instant,
            table.c.variable,
            table.c.old_num,
            table.c.old_text,
            table.c.new_num,
            table.c.new_text,
        )
        .join(models.imports, models.imports.c.id == table.c.import_id)
        .order_by(table.c.id)
    )
    if patient_id is not None:
        query = query.where(table.c.patient_id == str(patient_id))
    if import_id is not None:
        query = query.where(table.c.import_id == int(import_id))
    names = [
        "id",
        "import_id",
        "file_name",
        "changed_at",
        "patient_id",
        "instant",
        "variable",
        "old_num",
        "old_text",
        "new_num",
        "new_text",
    ]
    out = pd.DataFrame(connection.execute(query).all(), columns=names)
    ticks = pd.to_numeric(out["instant"], errors="coerce")
    instants = np.full(len(out), np.datetime64("NaT"), dtype="datetime64[us]")
    known = ticks.notna().to_numpy()
    instants[known] = int_to_instants(ticks[known].to_numpy(dtype="int64"))
    out["instant"] = instants
    for column in ("old_num", "new_num"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    return out
