"""Merging one export into the ward store (the "Ward memory" issue; spec grading.md §1.1).

One import is one transaction holding the write lock (SQLite ``BEGIN IMMEDIATE``,
PostgreSQL advisory lock), so a failure leaves the store exactly as it was and two
imports at once run one after the other. The export's rows are bulk-loaded into
temporary staging tables (``executemany`` on SQLite, ``COPY`` on PostgreSQL) and
merged with set-based SQL:

1. rows (patient × instant) not yet stored are added; stored ones are kept as they are;
2. every value that differs from the stored one is first copied to ``changes`` (old
   value, new value, which import, when) and then updated;
3. new values are added; values absent from the file are kept (a blank cell or a
   missing row in a newer export erases nothing).

A file whose bytes (and patients table) were already imported under the current reading
version (crs.read.columns.READING_VERSION) changes nothing; read under an older version, the
same bytes are read anew and merged like any newer export. Values an older reading left
out of grading (crs.store.marks) that this import brings again are its own from then on.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from crs.read.columns import READING_VERSION
from crs.read.identifiers import id_refusal, lookalike_message, lookalikes
from crs.store import cache, marks, models
from crs.store.codec import LongRows, to_long
from crs.store.engine import lock_for_writing
from crs.store.errors import StoreError, StoreFailure
from crs.store.queries import earlier_import
from crs.store.reports import report_to_json

_NOW = sa.bindparam("now", type_=models.When)


@dataclass(frozen=True)
class ImportResult:
    """What one import did (shown after an upload and printed by ``python -m crs import``)."""

    import_id: int
    file_name: str
    sha256: str
    already_imported: bool = False
    patients_added: int = 0
    points_added: int = 0
    values_added: int = 0
    values_changed: int = 0
    values_unchanged: int = 0
    archived_patients: tuple[str, ...] = field(default=())
    report: Any | None = None
    #: "patient: variable" whose values left out since a reading upgrade were all read
    #: again by this import (back in grading).
    read_again: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        """One sentence for the user."""
        if self.already_imported:
            return (
                f"{self.file_name}: already imported (import {self.import_id}, same "
                "content); nothing changed."
            )
        text = (
            f"{self.file_name}: import {self.import_id}: {self.patients_added} new patients, "
            f"{self.points_added} new time points, {self.values_added} new values, "
            f"{self.values_changed} changed values (recorded), {self.values_unchanged} "
            "unchanged."
        )
        if self.archived_patients:
            text += f" Archived patients updated: {', '.join(self.archived_patients)}."
        if self.read_again:
            text += (
                " Read again under the current reading of units, back in grading: "
                f"{'; '.join(self.read_again)}."
            )
        return text


@dataclass(frozen=True)
class _Staging:
    """Names and SQL column types of the staging tables."""

    name: str
    columns: tuple[tuple[str, str], ...]


_STAGES = {
    "patients": _Staging("stage_patients", (("patient_id", "TEXT"), ("position", "BIGINT"))),
    "points": _Staging(
        "stage_points", (("pid", "BIGINT"), ("instant", "BIGINT"), ("line", "BIGINT"))
    ),
    "values": _Staging(
        "stage_values",
        (
            ("pid", "BIGINT"),
            ("instant", "BIGINT"),
            ("var", "BIGINT"),
            ("value_num", "DOUBLE PRECISION"),
            ("value_text", "TEXT"),
        ),
    ),
    "patient_values": _Staging(
        "stage_patient_values",
        (
            ("pid", "BIGINT"),
            ("var", "BIGINT"),
            ("value_num", "DOUBLE PRECISION"),
            ("value_text", "TEXT"),
        ),
    ),
}


def merge_frame(
    engine: sa.Engine,
    frame: pd.DataFrame,
    *,
    axis: str,
    file_name: str,
    sha256: str,
    patients_file_name: str | None = None,
    patients_sha256: str | None = None,
    report: Any | None = None,
    author: str | None = None,
) -> ImportResult:
    """Merge a canonical frame (architecture §1.1) into the store, in one transaction."""
    if axis not in ("time", "day"):
        raise ValueError(f"axis must be 'time' or 'day', not {axis!r}")
    _check_frame(frame, file_name)
    rows = to_long(frame)
    report_json, report_text, counts = report_to_json(report, source=file_name, rows=len(frame))
    now = datetime.now(UTC)
    try:
        return _merge(
            engine,
            rows,
            now,
            axis,
            file_name,
            sha256,
            patients_file_name,
            patients_sha256,
            report,
            report_json,
            report_text,
            counts,
            author,
        )
    except sa.exc.DBAPIError as exc:
        raise StoreFailure(
            f"The ward store could not import {file_name}; nothing was changed "
            f"({_first_line(exc.orig)})."
        ) from exc


def _first_line(error: BaseException | None) -> str:
    text = str(error or "database error").strip()
    return text.splitlines()[0] if text else "database error"


def _merge(
    engine: sa.Engine,
    rows: LongRows,
    now: datetime,
    axis: str,
    file_name: str,
    sha256: str,
    patients_file_name: str | None,
    patients_sha256: str | None,
    report: Any | None,
    report_json: str,
    report_text: str,
    counts: dict,
    author: str | None,
) -> ImportResult:
    with engine.begin() as connection:
        lock_for_writing(connection)
        earlier = earlier_import(connection, sha256, patients_sha256)
        if earlier is not None:
            result = ImportResult(int(earlier), file_name, sha256, already_imported=True)
            _audit_import(connection, now, result.summary(), author, int(earlier))
            return result
        _check_lookalikes(connection, rows.patients["patient_id"], file_name)
        import_id = connection.execute(
            models.imports.insert()
            .values(
                file_name=file_name,
                sha256=sha256,
                patients_file_name=patients_file_name,
                patients_sha256=patients_sha256,
                imported_at=now,
                author=author,
                axis=axis,
                report_json=report_json,
                report_text=report_text,
                reading_version=READING_VERSION,
                **counts,
            )
            .returning(models.imports.c.id)
        ).scalar_one()
        _drop_stages(connection)
        _stage(connection, "patients", rows.patients)
        _check_axis(connection, axis, file_name)
        archived = _archived_in_file(connection)
        params = {"iid": import_id, "axis": axis}
        patients_added = _execute(
            connection,
            "INSERT INTO patients (patient_id, axis, archived, first_import_id) "
            "SELECT patient_id, :axis, false, :iid FROM stage_patients WHERE true "
            "ORDER BY position ON CONFLICT (patient_id) DO NOTHING",
            params,
        )
        pids = _patient_keys(connection)
        variables = _variable_keys(connection, rows)
        _stage(connection, "points", _keyed(rows.points, pids, None))
        _stage(connection, "values", _keyed(rows.values, pids, variables))
        _stage(connection, "patient_values", _keyed(rows.patient_values, pids, variables))
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE stage_points")
            points_sql = (
                "INSERT INTO points (pid, instant, line, import_id) "
                "SELECT pid, instant, line, :iid FROM stage_points s WHERE NOT EXISTS "
                "(SELECT 1 FROM points o WHERE o.pid = s.pid AND o.instant = s.instant)"
            )
        else:
            points_sql = (
                "INSERT INTO points (pid, instant, line, import_id) "
                "SELECT pid, instant, line, :iid FROM stage_points WHERE true "
                "ON CONFLICT (pid, instant) DO NOTHING"
            )
        points_added = _execute(connection, points_sql, params)
        added, changed = _merge_values(
            connection, "observations", "stage_values", ("pid", "instant", "var"), now, import_id
        )
        level_added, level_changed = _merge_values(
            connection, "patient_values", "stage_patient_values", ("pid", "var"), now, import_id
        )
        removed, read_again = marks.read_again(
            connection,
            import_id,
            _same_file(connection, sha256, patients_sha256, import_id),
            now,
            author,
        )
        cache.refresh(connection, sorted(pids.values()))
        staged = len(rows.values) + len(rows.patient_values)
        result = ImportResult(
            import_id=import_id,
            file_name=file_name,
            sha256=sha256,
            patients_added=patients_added,
            points_added=points_added,
            values_added=added + level_added,
            values_changed=changed + level_changed + removed,
            values_unchanged=staged - added - level_added - changed - level_changed,
            archived_patients=archived,
            report=report,
            read_again=read_again,
        )
        connection.execute(
            models.imports.update()
            .where(models.imports.c.id == import_id)
            .values(
                patients_added=result.patients_added,
                points_added=result.points_added,
                values_added=result.values_added,
                values_changed=result.values_changed,
                values_unchanged=result.values_unchanged,
            )
        )
        _audit_import(connection, now, result.summary(), author, import_id)
        _drop_stages(connection)
    return result


def _same_file(
    connection: sa.Connection, sha256: str, patients_sha256: str | None, import_id: int
) -> list[int]:
    """Earlier imports of these very bytes (under an older reading version)."""
    table = models.imports
    return [
        int(i)
        for i in connection.execute(
            sa.select(table.c.id)
            .where(table.c.sha256 == sha256)
            .where(table.c.patients_sha256.is_not_distinct_from(patients_sha256))
            .where(table.c.id != import_id)
        ).scalars()
    ]


def _check_frame(frame: pd.DataFrame, file_name: str) -> None:
    """A canonical frame always has a patient and an instant (architecture §1.1)."""
    for column in ("patient_id", "instant", "line"):
        if column not in frame.columns:
            raise StoreError(f"{file_name}: the rows have no {column} column to store.")
    if frame["patient_id"].isna().any() or frame["instant"].isna().any():
        raise StoreError(
            f"{file_name}: some rows have no patient or no time; they cannot be stored."
        )
    if frame.duplicated(["patient_id", "instant"]).any():
        raise StoreError(
            f"{file_name}: two rows share a patient and an instant; merge them before storing."
        )
    # The reader's rules (crs.read.identifiers) for frames that did not come through it.
    ids = frame["patient_id"].astype("str")
    odd = ~ids.str.fullmatch(r"[ -~]*") | (ids.str.len() > models.ID_LENGTH)
    for position in np.flatnonzero(odd.to_numpy() & ~ids.duplicated().to_numpy()):
        why = id_refusal(ids.iloc[position])
        if why is not None:
            raise StoreError(
                f"{file_name}: {why} (line {int(frame['line'].iloc[position])}); "
                "nothing was imported."
            )
    pairs = lookalikes(pd.unique(ids[odd]) if odd.any() else [], pd.unique(ids[~odd]))
    if pairs:
        raise StoreError(f"{file_name}: {lookalike_message(*pairs[0])} Nothing was imported.")


def _check_lookalikes(connection: sa.Connection, ids: pd.Series, file_name: str) -> None:
    """Refuse a file whose patient id reads the same as a stored patient's but is
    written differently (crs.read.identifiers.lookalikes): one patient must not become two,
    nor two patients one."""
    stored = connection.execute(sa.select(models.patients.c.patient_id)).scalars().all()
    pairs = lookalikes(ids.astype("str"), stored)
    if pairs:
        new, earlier = pairs[0]
        raise StoreError(
            f"{file_name}: {lookalike_message(new, earlier)} Nothing was imported; correct "
            "the id in the export."
        )


def record_attempt(
    engine: sa.Engine, what: str, author: str | None, import_id: int | None = None
) -> None:
    """One audit row for an import attempt that changed nothing (a file refused, or sent
    again): the audit log records every attempt. Best effort: when the database itself
    failed, the caller's error is the one to report."""
    try:
        with engine.begin() as connection:
            lock_for_writing(connection)
            _audit_import(connection, datetime.now(UTC), what, author, import_id)
    except sa.exc.DBAPIError:
        pass


def _audit_import(
    connection: sa.Connection, now: datetime, what: str, author: str | None, import_id: int | None
) -> None:
    """The audit row of one import attempt (an import, a re-send, a refusal)."""
    connection.execute(
        models.audit.insert().values(
            at=now,
            author=author or "unknown",
            action="import",
            import_id=import_id,
            what=what,
            why="",
        )
    )


def _stage(connection: sa.Connection, key: str, data: pd.DataFrame) -> None:
    """Bulk-load rows into a temporary staging table (this transaction only)."""
    postgres = connection.dialect.name == "postgresql"
    stage = _STAGES[key]
    columns = ", ".join(f"{name} {kind}" for name, kind in stage.columns)
    suffix = " ON COMMIT DROP" if postgres else ""
    connection.exec_driver_sql(f"CREATE TEMP TABLE {stage.name} ({columns}){suffix}")
    names = [name for name, _ in stage.columns]
    if data.empty:
        return
    cursor = connection.connection.cursor()
    try:
        if postgres:
            buffer = io.StringIO()
            data[names].to_csv(buffer, header=False, index=False, quoting=csv.QUOTE_MINIMAL)
            with cursor.copy(
                f"COPY {stage.name} ({', '.join(names)}) FROM STDIN (FORMAT csv)"
            ) as copy:
                copy.write(buffer.getvalue())
        else:
            marks = ", ".join("?" for _ in names)
            cursor.executemany(
                f"INSERT INTO {stage.name} ({', '.join(names)}) VALUES ({marks})",
                zip(*(data[name].tolist() for name in names), strict=True),
            )
    finally:
        cursor.close()


def _patient_keys(connection: sa.Connection) -> dict[str, int]:
    """patient_id → patients.id for the patients of this file."""
    rows = connection.exec_driver_sql(
        "SELECT p.patient_id, p.id FROM patients p JOIN stage_patients s "
        "ON s.patient_id = p.patient_id"
    ).all()
    return {str(patient_id): int(pid) for patient_id, pid in rows}


def _variable_keys(connection: sa.Connection, rows: LongRows) -> dict[str, int]:
    """variable name → variables.id, numbering names not seen before."""
    names = sorted(
        {str(n) for n in pd.unique(rows.values["variable"])}
        | {str(n) for n in pd.unique(rows.patient_values["variable"])}
    )
    if names:
        connection.execute(
            sa.text("INSERT INTO variables (name) VALUES (:name) ON CONFLICT (name) DO NOTHING"),
            [{"name": name} for name in names],
        )
    return {
        str(name): int(key)
        for key, name in connection.execute(
            sa.select(models.variables.c.id, models.variables.c.name)
        )
    }


def _keyed(
    data: pd.DataFrame, pids: dict[str, int], variables: dict[str, int] | None
) -> pd.DataFrame:
    """Replace patient ids (and variable names) by their integer keys."""
    out = data.drop(columns=["patient_id", "variable"], errors="ignore")
    out.insert(0, "pid", _lookup(data["patient_id"], pids))
    if variables is not None:
        out["var"] = _lookup(data["variable"], variables)
    return out


def _lookup(names: pd.Series, keys: dict[str, int]) -> np.ndarray:
    """Integer keys of a long column of names (one dictionary lookup per distinct name)."""
    codes, uniques = pd.factorize(names)
    return np.array([keys[str(u)] for u in uniques], dtype="int64")[codes]


def _drop_stages(connection: sa.Connection) -> None:
    if connection.dialect.name == "postgresql":
        for stage in _STAGES.values():
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS pg_temp.{stage.name}")
    else:
        for stage in _STAGES.values():
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{stage.name}")


def _check_axis(connection: sa.Connection, axis: str, file_name: str) -> None:
    """A patient's rows are all on one axis: times and days cannot be put in one order."""
    clash = (
        connection.execute(
            sa.text(
                "SELECT p.patient_id, p.axis FROM patients p JOIN stage_patients s "
                "ON s.patient_id = p.patient_id WHERE p.axis <> :axis ORDER BY p.id"
            ),
            {"axis": axis},
        )
        .mappings()
        .all()
    )
    if clash:
        names = ", ".join(str(row["patient_id"]) for row in clash[:5])
        more = f" and {len(clash) - 5} more" if len(clash) > 5 else ""
        stored = "days since infusion" if clash[0]["axis"] == "day" else "date-times"
        given = "days since infusion" if axis == "day" else "date-times"
        raise StoreError(
            f"{file_name} gives {given}, but patient {names}{more} is stored with {stored}; "
            "rows of one patient must use one time axis. Nothing was imported."
        )


def _archived_in_file(connection: sa.Connection) -> tuple[str, ...]:
    rows = connection.execute(
        sa.text(
            "SELECT p.patient_id FROM patients p JOIN stage_patients s "
            "ON s.patient_id = p.patient_id WHERE p.archived ORDER BY p.id"
        )
    ).scalars()
    return tuple(str(r) for r in rows)


def _merge_values(
    connection: sa.Connection,
    table: str,
    stage: str,
    keys: tuple[str, ...],
    now: datetime,
    import_id: int,
) -> tuple[int, int]:
    """Record then apply every changed value, add the new ones: (added, changed)."""
    join = " AND ".join(f"o.{k} = s.{k}" for k in keys)
    differs = (
        "(o.value_num IS DISTINCT FROM s.value_num OR o.value_text IS DISTINCT FROM s.value_text)"
    )
    instant = "s.instant" if "instant" in keys else "NULL"
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        # Few stored values change: probing the primary key once per staged value beats
        # hashing the whole observations table, which the planner otherwise prefers.
        connection.exec_driver_sql("SET LOCAL enable_hashjoin = off")
        connection.exec_driver_sql("SET LOCAL enable_mergejoin = off")
    changed = _execute(
        connection,
        "INSERT INTO changes (import_id, patient_id, instant, variable, old_num, old_text, "
        "new_num, new_text, changed_at) "
        f"SELECT :iid, p.patient_id, {instant}, v.name, o.value_num, o.value_text, "
        f"s.value_num, s.value_text, :now FROM {stage} s JOIN {table} o ON {join} "
        "JOIN patients p ON p.id = s.pid JOIN variables v ON v.id = s.var "
        f"WHERE {differs}",
        {"iid": import_id, "now": now},
        now_param=True,
    )
    if postgres:
        connection.exec_driver_sql("SET LOCAL enable_hashjoin = on")
        connection.exec_driver_sql("SET LOCAL enable_mergejoin = on")
    names = ", ".join(keys)
    written = _execute(
        connection,
        f"INSERT INTO {table} ({names}, value_num, value_text, import_id) "
        f"SELECT {names}, value_num, value_text, :iid FROM {stage} WHERE true "
        f"ON CONFLICT ({names}) DO UPDATE SET value_num = excluded.value_num, "
        "value_text = excluded.value_text, import_id = excluded.import_id "
        f"WHERE {table}.value_num IS DISTINCT FROM excluded.value_num "
        f"OR {table}.value_text IS DISTINCT FROM excluded.value_text",
        {"iid": import_id},
    )
    return written - changed, changed


def _execute(connection: sa.Connection, sql: str, params: dict, *, now_param: bool = False) -> int:
    statement = sa.text(sql)
    if now_param:
        statement = statement.bindparams(_NOW)
    return int(connection.execute(statement, params).rowcount)
