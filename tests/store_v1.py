"""A ward store as version 1 of the reading rules left it: migrated to revision 0002 (the
schema before reading versions) and filled the way the importer of that time filled it.

The rows are written with that importer's SQL (imports, patients, variables, points,
observations, patient values, the patient cache and the audit row), from a canonical
frame holding what the version-1 reader made of the file: a bare ``Creatinine`` of 80
stored as 80 mg/dL, a bare ``Fibrinogen`` of 2.5 as 2.5 mg/dL. ``open_store`` then
upgrades the store to the current revision.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from crs.read.columns import conform
from crs.store import cache
from crs.store.codec import to_long
from crs.store.engine import create_store_engine, database_url, migrate
from crs.store.fetch import fetch_numbers, fetch_points

#: The revision before reading versions (migration 0003).
V1_REVISION = "0002"


def v1_store(url: str) -> sa.Engine:
    """An empty store at revision 0002."""
    engine = create_store_engine(database_url(url))
    migrate(engine, V1_REVISION)
    return engine


def ward(**columns) -> pd.DataFrame:
    """A canonical frame built by hand; ``time`` given as ISO strings."""
    frame = pd.DataFrame(columns)
    frame["time"] = pd.to_datetime(frame["time"], format="ISO8601").astype("datetime64[us]")
    return conform(frame)


def v1_import(
    engine: sa.Engine,
    frame: pd.DataFrame,
    *,
    file_name: str,
    data: bytes,
    author: str = "Nurse V1",
    axis: str = "time",
) -> int:
    """Store ``frame`` (what the version-1 reader read from ``data``) as an import of
    revision 0002 did; the import id. New rows and values only (no merge)."""
    rows = to_long(frame)
    now = datetime.now(UTC)
    when = sa.bindparam("now", type_=sa.DateTime(timezone=True))
    report = {
        "source": file_name,
        "rows_read": len(frame),
        "rows_graded": len(frame),
        "rows_merged": 0,
        "rows_not_graded": 0,
        "unknown_columns": [],
        "conversions": [],
        "problems": [],
    }
    with engine.begin() as connection:
        import_id = connection.execute(
            sa.text(
                "INSERT INTO imports (file_name, sha256, imported_at, author, axis, rows_read, "
                "rows_graded, points_added, values_added, report_json, report_text) VALUES "
                "(:file, :sha, :now, :author, :axis, :n, :n, :n, :values, :json, :text) "
                "RETURNING id"
            ).bindparams(when),
            {
                "file": file_name,
                "sha": hashlib.sha256(data).hexdigest(),
                "now": now,
                "author": author,
                "axis": axis,
                "n": len(frame),
                "values": len(rows.values) + len(rows.patient_values),
                "json": json.dumps(report),
                "text": f"{file_name}: {len(frame)} rows read.",
            },
        ).scalar_one()
        for patient_id in rows.patients["patient_id"]:
            connection.execute(
                sa.text(
                    "INSERT INTO patients (patient_id, axis, archived, first_import_id) "
                    "VALUES (:p, :axis, false, :iid) ON CONFLICT (patient_id) DO NOTHING"
                ),
                {"p": str(patient_id), "axis": axis, "iid": import_id},
            )
        names = sorted(set(rows.values["variable"]) | set(rows.patient_values["variable"]))
        for name in names:
            connection.execute(
                sa.text("INSERT INTO variables (name) VALUES (:n) ON CONFLICT (name) DO NOTHING"),
                {"n": str(name)},
            )
        pids = dict(connection.execute(sa.text("SELECT patient_id, id FROM patients")).all())
        variables = dict(connection.execute(sa.text("SELECT name, id FROM variables")).all())
        connection.execute(
            sa.text(
                "INSERT INTO points (pid, instant, line, import_id) VALUES (:pid, :t, :line, :iid)"
            ),
            [
                {"pid": pids[p], "t": int(t), "line": int(line), "iid": import_id}
                for p, t, line in rows.points[["patient_id", "instant", "line"]].itertuples(
                    index=False
                )
            ],
        )
        _values(connection, "observations", rows.values, pids, variables, import_id)
        _values(connection, "patient_values", rows.patient_values, pids, variables, import_id)
        _cache_as_of_0002(connection, sorted(pids[p] for p in rows.patients["patient_id"]))
        connection.execute(
            sa.text(
                "INSERT INTO audit (at, author, action, import_id, what, why) "
                "VALUES (:now, :author, 'import', :iid, :what, '')"
            ).bindparams(when),
            {"now": now, "author": author, "iid": import_id, "what": f"{file_name}: import"},
        )
    return int(import_id)


def _cache_as_of_0002(connection: sa.Connection, keys: list[int]) -> None:
    """The patient cache as revision 0002 built it: every stored number of the patients."""
    rows = cache.pack(keys, fetch_points(connection, keys), fetch_numbers(connection, keys))
    connection.execute(
        sa.text(
            "INSERT INTO patient_cache (pid, points, numbers) VALUES (:pid, :points, :numbers) "
            "ON CONFLICT (pid) DO UPDATE SET points = excluded.points, numbers = excluded.numbers"
        ),
        [{"pid": pid, "points": points, "numbers": numbers} for pid, points, numbers in rows],
    )


def _values(connection, table, values, pids, variables, import_id) -> None:
    if values.empty:
        return
    instant = "instant" in values.columns
    columns = "pid, instant, var" if instant else "pid, var"
    marks = ":pid, :t, :var" if instant else ":pid, :var"
    connection.execute(
        sa.text(
            f"INSERT INTO {table} ({columns}, value_num, value_text, import_id) "
            f"VALUES ({marks}, :num, :text, :iid)"
        ),
        [
            {
                "pid": pids[row["patient_id"]],
                "t": int(row["instant"]) if instant else None,
                "var": variables[row["variable"]],
                "num": None if row["value_num"] is None else float(row["value_num"]),
                "text": row["value_text"],
                "iid": import_id,
            }
            for row in values.to_dict("records")
        ],
    )


def v1_attribution(
    engine: sa.Engine,
    patient_id: str,
    criterion: str,
    start: str,
    end: str,
    reason: str,
    author: str,
) -> int:
    """An attribution recorded at revision 0002 (criterion code as stored then)."""
    ticks = [
        int(np.datetime64(pd.Timestamp(t).to_datetime64(), "us").astype("int64"))
        for t in (start, end)
    ]
    now = datetime.now(UTC)
    when = sa.bindparam("now", type_=sa.DateTime(timezone=True))
    with engine.begin() as connection:
        attribution_id = connection.execute(
            sa.text(
                "INSERT INTO attributions (patient_id, criterion, start_instant, "
                "end_instant, reason, author, created_at) VALUES (:p, :c, :s, :e, :r, :a, "
                ":now) RETURNING id"
            ).bindparams(when),
            {
                "p": patient_id,
                "c": criterion,
                "s": ticks[0],
                "e": ticks[1],
                "r": reason,
                "a": author,
                "now": now,
            },
        ).scalar_one()
        # The audit row as revision 0002 wrote it: the criterion's code, not its words.
        connection.execute(
            sa.text(
                "INSERT INTO audit (at, author, action, patient_id, attribution_id, what, why) "
                "VALUES (:now, :a, 'attribute', :p, :id, :what, :r)"
            ).bindparams(when),
            {
                "now": now,
                "a": author,
                "p": patient_id,
                "id": attribution_id,
                "what": f"{criterion} marked as not CRS from {start} to {end} "
                f"(attribution {attribution_id})",
                "r": reason,
            },
        )
    return int(attribution_id)
