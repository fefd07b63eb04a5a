"""Values stored under an older reading of units: marked, left out of grading, read again.

The store keeps values converted at import, not the file's cells (docs/architecture.md
§7). Version 2 of the reading rules (spec grading.md §1 and §1.1) reads a bare
``Creatinine`` column with a median above 20 as µmol/L, where version 1 stored 80 µmol/L
as 80 mg/dL (CRS grade 4 by "creatinine > 6 × ULN"); it also rejects values outside the
physiological limits of every laboratory test, age and weight. The store cannot read
such a value again, so it judges what it holds, with the reader's own rules
(crs/tables/unit_checks.csv through :func:`crs.read.units.check_of`, limits from
:data:`crs.read.columns.SPECS`):

- for every import read under an older version (``imports.reading_version``) and every
  variable with a unit check, the check is applied to the values that import stored for
  the variable, across the import, as the reader applies it to a file's column. Those
  values are already in the canonical unit, so a check that is met means the reader of
  today reads the column in another unit;
- a stored value outside today's limits is one the reader of today rejects.

Either way (patient, variable, import) is **marked**. While a mark is active, the values
that import stored for that patient and variable are left out of grading: the patient
cache (the ward round's copy of each patient's numbers) is rebuilt without them, and the
long tables are read without them (:func:`marked_rows`, :func:`marked_levels`); the
pages and ``crs database`` name them, asking for the export to be imported again. An
import under the current reading that brings a marked value again
replaces it (or confirms it); re-importing the very same file also removes the marked
values it no longer gives (a cell the reader now rejects), the old value kept in
``changes``. A mark with no value left is cleared. Marking and clearing are audited.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from crs.read.columns import READING_VERSION, SPECS
from crs.read.units import check_of, check_unit
from crs.store import cache

#: Who marks values at an upgrade (the audit log's author).
SYSTEM_AUTHOR = f"system: reading version {READING_VERSION} upgrade"
#: Audit actions: values left out at an upgrade; values read again by an import; a note.
LEFT_OUT = "left out"
READ_AGAIN = "read again"
NOTE = "note"

#: Why marked values are left out (Home, the Patient page and ``crs database``).
HEADLINE = (
    "Some values were imported before the dashboard checked laboratory units, limits and "
    "whole-number scores as it does now: they may have been read in the wrong unit, or be "
    "impossible. The store kept the values, not the file, so it cannot read them again itself: they are "
    "left out of grading until their export is imported again."
)
ASK = (
    "Import those exports again (the same file is accepted again and read anew): each "
    "value read again replaces the old one, and every change is recorded."
)
_WHY = (
    "Version {version} of the reading rules checks the unit of laboratory columns "
    "without a unit in their name from their values, and rejects values outside the "
    "physiological limits; values stored under version {old} are judged by those rules."
)


@dataclass(frozen=True)
class _Mark:
    pid: int
    var: int
    import_id: int
    reason: str  # unit | limit
    detail: str


# -- marking at the upgrade ------------------------------------------------------------


def mark_old_readings(connection: sa.Connection, now: datetime) -> int:
    """Mark the values of every import read under an older version; the marks added.

    Runs inside the caller's transaction (the migration's). Only columns that exist
    since migration 0003 are used, so a later schema does not change what it does.
    Already marked (patient, variable, import) are skipped: it may run again.
    """
    old = connection.execute(
        sa.text("SELECT id, file_name, reading_version FROM imports WHERE reading_version < :v"),
        {"v": READING_VERSION},
    ).all()
    if not old:
        return 0
    files = {int(row.id): (str(row.file_name), int(row.reading_version)) for row in old}
    variables = {
        int(key): str(name)
        for key, name in connection.execute(sa.text("SELECT id, name FROM variables"))
    }
    found: dict[tuple[int, int, int], list[_Mark]] = {}
    for mark in [
        *_unit_marks(connection, variables),
        *_limit_marks(connection, variables),
        *_whole_marks(connection, variables),
    ]:
        found.setdefault((mark.pid, mark.var, mark.import_id), []).append(mark)
    existing = {
        (int(r.pid), int(r.var), int(r.import_id))
        for r in connection.execute(sa.text("SELECT pid, var, import_id FROM reading_marks"))
    }
    marks = [_combined(parts) for key, parts in sorted(found.items()) if key not in existing]
    if not marks:
        return 0
    connection.execute(
        sa.text(
            "INSERT INTO reading_marks (pid, var, import_id, reason, detail, marked_at) "
            "VALUES (:pid, :var, :import_id, :reason, :detail, :now)"
        ).bindparams(sa.bindparam("now", type_=sa.DateTime(timezone=True))),
        [{**m.__dict__, "now": now} for m in marks],
    )
    # The patient cache holds the values the ward round grades: rebuilt without these.
    cache.refresh(connection, sorted({m.pid for m in marks}))
    patients = {
        int(key): str(patient_id)
        for key, patient_id in connection.execute(sa.text("SELECT id, patient_id FROM patients"))
    }
    _audit(
        connection,
        [
            {
                "author": SYSTEM_AUTHOR,
                "action": LEFT_OUT,
                "patient_id": patients[m.pid],
                "import_id": m.import_id,
                "what": (
                    f"{_words(variables[m.var])} of this patient from {files[m.import_id][0]} "
                    f"(import {m.import_id}) left out of grading until that export is "
                    f"imported again: {m.detail}"
                ),
                "why": _WHY.format(version=READING_VERSION, old=files[m.import_id][1]),
            }
            for m in marks
        ],
        now,
    )
    return len(marks)


def _unit_marks(connection: sa.Connection, variables: dict[int, str]) -> list[_Mark]:
    """Marks where a variable's unit check (crs.read.units) is met on one import's values of
    that variable, taken together as the reader takes a file's column."""
    checked = {var: name for var, name in variables.items() if check_of(name) is not None}
    if not checked:
        return []
    old = [
        int(i)
        for i in connection.execute(
            sa.text("SELECT id FROM imports WHERE reading_version < :v"), {"v": READING_VERSION}
        ).scalars()
    ]
    # Every stored value of the checked variables (a temperature column is most of a
    # ward): through the DBAPI cursor into one numeric array, not row objects.
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    cursor = connection.connection.cursor()
    try:
        cursor.execute(
            "SELECT var, import_id, pid, value_num FROM observations WHERE value_num IS NOT "
            f"NULL AND var IN ({', '.join(mark for _ in checked)})",
            sorted(checked),
        )
        block = np.array(cursor.fetchall(), dtype="float64").reshape(-1, 4)
    finally:
        cursor.close()
    values = pd.DataFrame(block, columns=["var", "import_id", "pid", "value"])
    values = values[np.isin(values["import_id"], old) & np.isfinite(values["value"])]
    marks = []
    # One group per variable and import: the reader checks a file's column as a whole.
    for (var, import_id), group in values.groupby(["var", "import_id"], sort=True):
        name = checked[int(var)]
        check = check_of(name)
        measured = check.measure(group["value"].to_numpy(dtype="float64"))
        if not check.met(measured):
            continue
        detail = (
            f"{check.words(measured, True)} in that file, so the dashboard now reads these "
            f"values as {check_unit(name, check).label}, but they were stored as "
            f"{SPECS[name].unit}"
        )
        marks.extend(
            _Mark(int(pid), int(var), int(import_id), "unit", detail)
            for pid in sorted(pd.unique(group["pid"]))
        )
    return marks


def _limit_marks(connection: sa.Connection, variables: dict[int, str]) -> list[_Mark]:
    """Marks where an import stored a value outside today's limits (crs.read.columns.SPECS):
    one pass over each table, the limits of every variable in one CASE."""
    bounded = {
        var: SPECS[name]
        for var, name in variables.items()
        if name in SPECS
        and SPECS[name].kind == "numeric"
        and (math.isfinite(SPECS[name].low) or math.isfinite(SPECS[name].high))
    }
    if not bounded:
        return []
    params: dict[str, float | int] = {"v": READING_VERSION}
    cases = {"low": [], "high": []}
    for number, (var, spec) in enumerate(sorted(bounded.items())):
        params[f"var{number}"] = var
        for side, bound in (("low", spec.low), ("high", spec.high)):
            if math.isfinite(bound):
                params[f"{side}{number}"] = float(bound)
                cases[side].append(f"WHEN :var{number} THEN :{side}{number}")
    outside = " OR ".join(
        f"o.value_num {sign} CASE o.var {' '.join(cases[side])} END"
        for side, sign in (("low", "<"), ("high", ">"))
        if cases[side]
    )
    marks = []
    for table in ("observations", "patient_values"):
        rows = connection.execute(
            sa.text(
                "SELECT o.var, o.import_id, o.pid, count(*) AS n, min(o.value_num) AS low_seen, "
                f"max(o.value_num) AS high_seen FROM {table} o "
                "JOIN imports i ON i.id = o.import_id "
                f"WHERE i.reading_version < :v AND ({outside}) "
                "GROUP BY o.var, o.import_id, o.pid"
            ),
            params,
        ).all()
        for row in rows:
            spec = bounded[int(row.var)]
            seen = row.high_seen if row.high_seen > spec.high else row.low_seen
            detail = (
                f"{_count(int(row.n))} outside the possible range ({_range_words(spec)}), "
                f"e.g. {seen:g} {spec.unit}"
            )
            marks.append(_Mark(int(row.pid), int(row.var), int(row.import_id), "limit", detail))
    return marks


def _whole_marks(connection: sa.Connection, variables: dict[int, str]) -> list[_Mark]:
    """Marks where an import stored a score that is not a whole number (version 3,
    astct.md §1.3: an ICE score of 7.5 is impossible)."""
    from crs.store.consensus_upgrade import whole_number_rows

    return [
        _Mark(pid, var, import_id, "limit", detail)
        for pid, var, import_id, detail in whole_number_rows(connection, variables)
    ]


def _combined(parts: list[_Mark]) -> _Mark:
    """One mark per (patient, variable, import): a wrong unit explains more than a limit."""
    first = min(parts, key=lambda m: m.reason != "unit")
    detail = "; ".join(dict.fromkeys(m.detail for m in parts))
    return _Mark(first.pid, first.var, first.import_id, first.reason, detail)


def _count(n: int) -> str:
    return "1 value" if n == 1 else f"{n} values"


def _range_words(spec) -> str:
    low = "" if math.isinf(spec.low) else f"{spec.low:g}"
    high = "" if math.isinf(spec.high) else f"{spec.high:g}"
    if low and high:
        return f"{low}–{high} {spec.unit}"
    if low:
        return f"from {low} {spec.unit}"
    return f"up to {high} {spec.unit}"


def _label(variable: str) -> str:
    """A variable in plain words (crs.read.columns labels: ``creatinine``, ``ALT``)."""
    spec = SPECS.get(variable)
    return spec.words if spec is not None else variable.replace("_", " ")


def _words(variable: str) -> str:
    """A variable in plain words, capitalised to begin a sentence."""
    words = _label(variable)
    return words[:1].upper() + words[1:]


def note_old_attributions(connection: sa.Connection, now: datetime) -> int:
    """Note in the audit log what an attribution of organ toxicity made before version 2
    covers now: organ toxicity only (spec grading.md §3 [v2]: neurotoxicity is its own
    criterion, attributed on its own). The attribution itself is unchanged."""
    rows = connection.execute(
        sa.text(
            "SELECT id, patient_id FROM attributions "
            "WHERE criterion = 'organ_toxicity' AND withdrawn_at IS NULL ORDER BY id"
        )
    ).all()
    _audit(
        connection,
        [
            {
                "author": SYSTEM_AUTHOR,
                "action": NOTE,
                "patient_id": str(row.patient_id),
                "attribution_id": int(row.id),
                "what": (
                    f"Attribution {int(row.id)} (organ toxicity not CRS) was recorded when "
                    "neurotoxicity counted as organ toxicity. It now covers organ toxicity "
                    "only: a neurotoxicity in its time range counts as CRS again unless "
                    "neurotoxicity is itself marked as not CRS."
                ),
                "why": "Neurotoxicity is its own finding since version 2 of the grading rules.",
            }
            for row in rows
        ],
        now,
    )
    return len(rows)


def _audit(connection: sa.Connection, rows: list[dict], now: datetime) -> None:
    if not rows:
        return
    connection.execute(
        sa.text(
            "INSERT INTO audit (at, author, action, patient_id, attribution_id, import_id, "
            "what, why) VALUES (:at, :author, :action, :patient_id, :attribution_id, "
            ":import_id, :what, :why)"
        ).bindparams(sa.bindparam("at", type_=sa.DateTime(timezone=True))),
        [{"attribution_id": None, "import_id": None, "why": "", **row, "at": now} for row in rows],
    )


# -- left out of grading ---------------------------------------------------------------


def active_marks(connection: sa.Connection, patient_ids: list[str] | None = None) -> pd.DataFrame:
    """Active marks with the values still left out, in ward order: patient_id, archived,
    variable, words, import_id, file_name, imported_at, reason, detail, values,
    marked_at."""
    rows = connection.execute(
        sa.text(
            "SELECT p.patient_id, p.archived, v.name AS variable, m.import_id, i.file_name, "
            "i.imported_at, m.reason, m.detail, m.marked_at, "
            "(SELECT count(*) FROM observations o WHERE o.pid = m.pid AND o.var = m.var "
            "AND o.import_id = m.import_id) + (SELECT count(*) FROM patient_values o "
            "WHERE o.pid = m.pid AND o.var = m.var AND o.import_id = m.import_id) AS n "
            "FROM reading_marks m JOIN patients p ON p.id = m.pid "
            "JOIN variables v ON v.id = m.var JOIN imports i ON i.id = m.import_id "
            "WHERE m.cleared_at IS NULL ORDER BY p.id, m.import_id, v.id"
        )
    ).all()
    columns = [
        "patient_id",
        "archived",
        "variable",
        "import_id",
        "file_name",
        "imported_at",
        "reason",
        "detail",
        "marked_at",
        "values",
    ]
    out = pd.DataFrame(rows, columns=columns)
    out["patient_id"] = out["patient_id"].astype("str")
    out["archived"] = out["archived"].astype("bool")
    out["values"] = out["values"].astype("int64")
    out.insert(3, "words", out["variable"].map(_label))
    if patient_ids is not None:
        out = out[out["patient_id"].isin([str(p) for p in patient_ids])]
    return out.reset_index(drop=True)


def mark_lines(marks: pd.DataFrame) -> list[str]:
    """One sentence per mark: patient, variable, how many values, which file, why."""
    return [
        f"{row.patient_id}{' (archived)' if row.archived else ''}, {row.words}: "
        f"{_count(int(row.values))} from {row.file_name} (import {int(row.import_id)}) — "
        f"{row.detail}."
        for row in marks.itertuples(index=False)
    ]


# -- read again by an import under the current reading ---------------------------------


def read_again(
    connection: sa.Connection,
    import_id: int,
    same_file_imports: list[int],
    now: datetime,
    author: str | None,
) -> tuple[int, tuple[str, ...]]:
    """After an import merged its staging tables: the marked values it brought again
    become its own, and when it is the very file a mark came from
    (``same_file_imports``), the marked values it no longer gives at its rows are
    removed (old value recorded in ``changes``). Marks with no value left are cleared
    and audited. Returns (values removed, "patient: variable" of the cleared marks).
    """
    touched = connection.execute(
        sa.text(
            "SELECT count(*) FROM reading_marks m JOIN patients p ON p.id = m.pid "
            "JOIN stage_patients s ON s.patient_id = p.patient_id WHERE m.cleared_at IS NULL"
        )
    ).scalar_one()
    if not touched:
        return 0, ()
    params = {"iid": import_id}
    for table, stage, keys in (
        ("observations", "stage_values", ("pid", "instant", "var")),
        ("patient_values", "stage_patient_values", ("pid", "var")),
    ):
        names = ", ".join(keys)
        connection.execute(
            sa.text(
                f"UPDATE {table} SET import_id = :iid WHERE ({names}) IN ("
                f"SELECT {', '.join('o.' + k for k in keys)} FROM reading_marks m "
                f"JOIN {table} o ON o.pid = m.pid AND o.var = m.var AND o.import_id = m.import_id "
                f"JOIN {stage} s ON {' AND '.join(f's.{k} = o.{k}' for k in keys)} "
                "WHERE m.cleared_at IS NULL)"
            ),
            params,
        )
    removed = _remove_not_given(connection, import_id, same_file_imports, now)
    return removed, _clear(connection, import_id, now, author)


#: Marked values of the same file that an import under the current reading no longer
#: gives at a row (or for a patient) it read: what the reader of today makes of that cell.
#: Per table: (FROM … the values, their instant, the table's key, the key selected).
_NOT_GIVEN = {
    "observations": (
        "FROM reading_marks m JOIN observations o "
        "ON o.pid = m.pid AND o.var = m.var AND o.import_id = m.import_id "
        "JOIN stage_points s ON s.pid = o.pid AND s.instant = o.instant",
        "o.instant",
        "(pid, instant, var)",
        "o.pid, o.instant, o.var",
    ),
    "patient_values": (
        "FROM reading_marks m JOIN patient_values o "
        "ON o.pid = m.pid AND o.var = m.var AND o.import_id = m.import_id "
        "JOIN patients q ON q.id = o.pid JOIN stage_patients s ON s.patient_id = q.patient_id",
        "NULL",
        "(pid, var)",
        "o.pid, o.var",
    ),
}
#: The marks of the same file; the ``o.pid IN`` lets the database find the marked
#: patients' values by primary key instead of scanning every stored value.
_OF_SAME_FILE = (
    " WHERE m.cleared_at IS NULL AND m.import_id IN :same AND o.pid IN (SELECT pid FROM "
    "reading_marks WHERE cleared_at IS NULL AND import_id IN :same)"
)


def _remove_not_given(
    connection: sa.Connection, import_id: int, same: list[int], now: datetime
) -> int:
    if not same:
        return 0
    removed = 0
    same_param = sa.bindparam("same", expanding=True)
    for table, (values, instant, key, selected) in _NOT_GIVEN.items():
        removed += connection.execute(
            sa.text(
                "INSERT INTO changes (import_id, patient_id, instant, variable, old_num, "
                f"old_text, new_num, new_text, changed_at) SELECT :iid, p.patient_id, "
                f"{instant}, v.name, o.value_num, o.value_text, NULL, NULL, :now {values} "
                "JOIN patients p ON p.id = o.pid JOIN variables v ON v.id = o.var" + _OF_SAME_FILE
            ).bindparams(same_param, sa.bindparam("now", type_=sa.DateTime(timezone=True))),
            {"iid": import_id, "now": now, "same": same},
        ).rowcount
        connection.execute(
            sa.text(
                f"DELETE FROM {table} WHERE {key} IN (SELECT {selected} {values}"
                + _OF_SAME_FILE
                + ")"
            ).bindparams(same_param),
            {"same": same},
        )
    return int(removed)


def _clear(
    connection: sa.Connection, import_id: int, now: datetime, author: str | None
) -> tuple[str, ...]:
    """Clear the marks of this file's patients with no value left; audit each."""
    rows = connection.execute(
        sa.text(
            "SELECT m.id, p.patient_id, v.name FROM reading_marks m "
            "JOIN patients p ON p.id = m.pid JOIN variables v ON v.id = m.var "
            "JOIN stage_patients s ON s.patient_id = p.patient_id "
            "WHERE m.cleared_at IS NULL AND NOT EXISTS (SELECT 1 FROM observations o "
            "WHERE o.pid = m.pid AND o.var = m.var AND o.import_id = m.import_id) "
            "AND NOT EXISTS (SELECT 1 FROM patient_values o "
            "WHERE o.pid = m.pid AND o.var = m.var AND o.import_id = m.import_id) "
            "ORDER BY p.id, v.id"
        )
    ).all()
    if not rows:
        return ()
    connection.execute(
        sa.text(
            "UPDATE reading_marks SET cleared_at = :now, cleared_by_import = :iid WHERE id = :id"
        ).bindparams(sa.bindparam("now", type_=sa.DateTime(timezone=True))),
        [{"now": now, "iid": import_id, "id": int(row.id)} for row in rows],
    )
    _audit(
        connection,
        [
            {
                "author": author or "unknown",
                "action": READ_AGAIN,
                "patient_id": str(row.patient_id),
                "import_id": import_id,
                "what": (
                    f"{_words(str(row.name))} of this patient read again by import {import_id} "
                    "under the current reading of units: back in grading."
                ),
            }
            for row in rows
        ],
        now,
    )
    return tuple(f"{row.patient_id}: {_label(str(row.name))}" for row in rows)
