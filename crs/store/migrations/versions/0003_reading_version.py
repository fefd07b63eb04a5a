"""Reading version: each import records the version of the reading rules that read it;
values stored under version 1 that version 2 reads otherwise are marked and left out of
grading until their export is imported again (crs.store.marks).

Version 2 of the grading contract (grading.md §1, §1.1) reads a bare laboratory column
by its median (a ``Creatinine`` of 80 is µmol/L) and rejects values outside the limits
of every laboratory test, age and weight; version 1 stored such a creatinine as
80 mg/dL. The imports made before this revision are version 1. Attributions of organ
toxicity made before it get an audit note: they no longer cover neurotoxicity (§3 [v2]).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from crs.store.marks import mark_old_readings, note_old_attributions

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "imports",
        sa.Column("reading_version", sa.Integer, nullable=False, server_default="1"),
    )
    op.create_table(
        "reading_marks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("var", sa.Integer, nullable=False),
        sa.Column("import_id", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True)),
        sa.Column("cleared_by_import", sa.Integer),
        sa.PrimaryKeyConstraint("id", name="pk_reading_marks"),
        sa.UniqueConstraint("pid", "var", "import_id", name="uq_reading_marks_value"),
    )
    op.create_index("ix_reading_marks_pid", "reading_marks", ["pid"])
    now = datetime.now(UTC)
    connection = op.get_bind()
    mark_old_readings(connection, now)
    note_old_attributions(connection, now)


def downgrade() -> None:
    op.drop_index("ix_reading_marks_pid", table_name="reading_marks")
    op.drop_table("reading_marks")
    with op.batch_alter_table("imports") as batch:
        batch.drop_column("reading_version")
