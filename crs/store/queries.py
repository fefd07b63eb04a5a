"""Reading the ward store back: the canonical frame, patients, imports and changes.

The ward round grades each patient from their complete history (creatinine baseline,
runs of grade ≥ 3 and tocilizumab 24–72 h before, spec §3.4 and treatment.md §2), so
``read_frame`` returns every stored row of the selected patients. Reads are three
set-based queries and one vectorised pivot (crs.store.codec.to_frame); they run in a
deferred (read-only) transaction so an import in progress never blocks the ward round.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa

from crs.read.columns import READING_VERSION
from crs.store import cache, marks, models
from crs.store.codec import int_to_instants, to_frame
from crs.store.fetch import fetch_frame, fetch_numbers, fetch_points, fetch_rows
from crs.store.reports import report_from_json


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
    instant, with a fresh RangeIndex. Rows and numeric values come from the patient
    cache (crs.store.cache: one binary row per patient), text and patient-level values
    from the long tables; a patient without a cache row is read from the long tables.
    Values left out of grading since a reading upgrade (crs.store.marks) are missing
    here, whichever way they were read (the cache is built without them).
    """
    patients = patients_frame(connection, patient_ids, include_archived=include_archived)
    keys = patients["key"].tolist()
    cached = fetch_rows(connection, "SELECT pid, points, numbers FROM patient_cache", keys)
    points, numbers = cache.unpack(cached)
    seen = {int(row[0]) for row in cached}
    missing = [k for k in keys if k not in seen]
    if missing:  # the cache is built without values left out of grading; these are not
        long = marks.without(
            fetch_numbers(connection, missing), marks.marked_rows(connection, missing)
        )
        points = pd.concat([points, fetch_points(connection, missing)], ignore_index=True)
        numbers = pd.concat([numbers, long], ignore_index=True)
    texts = fetch_frame(
        connection,
        "SELECT pid, instant, var, value_text FROM observations WHERE value_num IS NULL",
        keys,
        ["key", "instant", "var", "value_text"],
    )
    values = pd.concat(
        [numbers.assign(value_text=None), texts.assign(value_num=np.nan)], ignore_index=True
    )
    patient_values = fetch_frame(
        connection,
        "SELECT pid, var, value_num, value_text FROM patient_values",
        keys,
        ["key", "var", "value_num", "value_text"],
    )
    patient_values = marks.without(patient_values, marks.marked_levels(connection, keys))
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


def earlier_import(
    connection: sa.Connection, sha256: str, patients_sha256: str | None
) -> int | None:
    """The id of an import of the same bytes (and patients table) read under the current
    reading version, if any: the same bytes read under an older version are read anew."""
    table = models.imports
    found = connection.execute(
        sa.select(table.c.id)
        .where(table.c.sha256 == sha256)
        .where(table.c.patients_sha256.is_not_distinct_from(patients_sha256))
        .where(table.c.reading_version == READING_VERSION)
        .order_by(table.c.id)
        .limit(1)
    ).scalar()
    return None if found is None else int(found)


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
