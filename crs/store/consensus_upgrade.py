"""The ward store's upgrade to reading version 3 (astct.md §1): ASTCT 2019 and ICANS.

Version 3 of the reading rules reads the neurological findings of astct.md §1.1 (CAPD,
level of consciousness, RASS, seizure, motor weakness, cerebral oedema), which version
2 left out as unrecognised columns, and rejects an ICE score that is not a whole number
(§1.3: ``7.5`` is impossible). The store keeps values, not files, so:

- an ICE score stored under an older version that is not a whole number is **marked**
  (crs.store.marks), left out of grading until its export is imported again;
- an import whose report listed columns that version 3 reads gets an audit **note**
  naming them: importing that export again (the same file is accepted again under a new
  reading) stores the findings, and the ICANS grade is graded from them.
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa

from crs.read.columns import READING_VERSION, SPECS, canonical_alias
from crs.read.names import normalise_name
from crs.read.neuro_words import WHOLE_NUMBER_COLUMNS

#: The audit log's author and action of the notes (as crs.store.marks writes them).
AUTHOR = f"system: reading version {READING_VERSION} upgrade"
NOTE = "note"


def whole_number_rows(connection: sa.Connection, variables: dict[int, str]) -> list[tuple]:
    """(pid, var, import_id, count, example) where an import read under an older version
    stored a score that is not a whole number (astct.md §1.3)."""
    scores = {var: name for var, name in variables.items() if name in WHOLE_NUMBER_COLUMNS}
    if not scores:
        return []
    # A whole number equals its integer cast in SQLite and PostgreSQL alike.
    rows = connection.execute(
        sa.text(
            "SELECT o.pid, o.var, o.import_id, count(*) AS n, min(o.value_num) AS seen "
            "FROM observations o JOIN imports i ON i.id = o.import_id "
            "WHERE i.reading_version < :v AND o.value_num IS NOT NULL "
            "AND CAST(o.value_num AS INTEGER) <> o.value_num "
            f"AND o.var IN ({', '.join(str(int(v)) for v in sorted(scores))}) "
            "GROUP BY o.pid, o.var, o.import_id"
        ),
        {"v": READING_VERSION},
    ).all()
    return [
        (
            int(r.pid),
            int(r.var),
            int(r.import_id),
            f"{'1 value' if int(r.n) == 1 else f'{int(r.n)} values'} not a whole number, "
            f"e.g. {SPECS[scores[int(r.var)]].words} {float(r.seen):g}",
        )
        for r in rows
    ]


def note_unread_columns(connection: sa.Connection, now: datetime) -> int:
    """An audit note for every import read under an older version whose unrecognised
    columns version 3 reads; the number of notes."""
    old = connection.execute(
        sa.text(
            "SELECT id, file_name, report_json FROM imports WHERE reading_version < :v ORDER BY id"
        ),
        {"v": READING_VERSION},
    ).all()
    notes = []
    for row in old:
        try:
            unknown = json.loads(row.report_json or "{}").get("unknown_columns", [])
        except (TypeError, ValueError):
            continue
        now_read = [
            (str(c), canonical_alias(normalise_name(str(c))))
            for c in unknown
            if canonical_alias(normalise_name(str(c))) is not None
        ]
        if not now_read:
            continue
        named = ", ".join(f"{c} ({SPECS[canonical].words})" for c, canonical in now_read)
        notes.append(
            {
                "at": now,
                "author": AUTHOR,
                "action": NOTE,
                "patient_id": None,
                "attribution_id": None,
                "import_id": int(row.id),
                "what": (
                    f"Import {int(row.id)} ({row.file_name}) had columns the dashboard now "
                    f"reads for the ASTCT 2019 and ICANS grades: {named}. Import that file "
                    "again to grade from them."
                ),
                "why": "Version 3 of the reading rules reads the ASTCT 2019 neurological findings.",
            }
        )
    if notes:
        connection.execute(
            sa.text(
                "INSERT INTO audit (at, author, action, patient_id, attribution_id, "
                "import_id, what, why) VALUES (:at, :author, :action, :patient_id, "
                ":attribution_id, :import_id, :what, :why)"
            ).bindparams(sa.bindparam("at", type_=sa.DateTime(timezone=True))),
            notes,
        )
    return len(notes)
