"""The column mappings remembered by the ward store (issue #12; crs.read.mapping).

A mapping confirmed in the app (or imported with ``crs mapping import``) is kept per raw
name, so the next export that uses the same name is offered the same variable and unit.
Saving one is a change of the ward store like any other: one audit row, under who saved
it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from crs.read.mapping import ColumnMapping, Mapped
from crs.store import models
from crs.store.engine import lock_for_writing


def read_mappings(connection: sa.Connection) -> ColumnMapping:
    """Every remembered mapping, oldest save first."""
    table = models.column_mappings
    rows = connection.execute(
        sa.select(table.c.raw_name, table.c.variable, table.c.unit).order_by(
            table.c.saved_at, table.c.name_key
        )
    ).all()
    return ColumnMapping(Mapped(raw, variable, unit or "") for raw, variable, unit in rows)


def save_mappings(engine: sa.Engine, mapping: ColumnMapping, author: str | None) -> int:
    """Remember every entry of ``mapping`` (replacing the same raw names), in one
    transaction with its audit row; returns how many entries changed."""
    table = models.column_mappings
    now = datetime.now(UTC)
    with engine.begin() as connection:
        lock_for_writing(connection)
        stored = read_mappings(connection)
        changed = [m for m in mapping if stored.get(m.key) != m]
        if not changed:
            return 0
        connection.execute(table.delete().where(table.c.name_key.in_([m.key for m in changed])))
        connection.execute(
            table.insert(),
            [
                {
                    "name_key": m.key,
                    "raw_name": m.raw,
                    "variable": m.variable,
                    "unit": m.unit,
                    "author": author,
                    "saved_at": now,
                }
                for m in changed
            ],
        )
        connection.execute(
            models.audit.insert().values(
                at=now,
                author=author or "unknown",
                action="mapping",
                what="column mapping saved: " + "; ".join(m.sentence() for m in changed),
                why="",
            )
        )
    return len(changed)
