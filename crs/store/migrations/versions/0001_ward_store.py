"""Ward store: imports, patients, variables, points, observations, patient values, changes,
attributions (spec grading.md §5) and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(200)
VARIABLE = sa.String(64)
WHEN = sa.DateTime(timezone=True)
NUM = sa.Float(precision=53)


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("patients_file_name", sa.Text),
        sa.Column("patients_sha256", sa.String(64)),
        sa.Column("imported_at", WHEN, nullable=False),
        sa.Column("author", ID),
        sa.Column("axis", sa.String(4), nullable=False),
        *(
            sa.Column(name, sa.Integer, nullable=False, server_default="0")
            for name in (
                "rows_read",
                "rows_graded",
                "rows_merged",
                "rows_not_graded",
                "patients_added",
                "points_added",
                "values_added",
                "values_changed",
                "values_unchanged",
            )
        ),
        sa.Column("report_json", sa.Text, nullable=False),
        sa.Column("report_text", sa.Text, nullable=False),
        sa.CheckConstraint("axis IN ('time', 'day')", name="axis"),
        sa.PrimaryKeyConstraint("id", name="pk_imports"),
    )
    op.create_index("ix_imports_sha256", "imports", ["sha256"])
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("axis", sa.String(4), nullable=False),
        sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("archived_at", WHEN),
        sa.Column("first_import_id", sa.Integer),
        sa.CheckConstraint("axis IN ('time', 'day')", name="axis"),
        sa.PrimaryKeyConstraint("id", name="pk_patients"),
        sa.UniqueConstraint("patient_id", name="uq_patients_patient_id"),
    )
    op.create_table(
        "variables",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", VARIABLE, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_variables"),
        sa.UniqueConstraint("name", name="uq_variables_name"),
    )
    op.create_table(
        "points",
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("instant", sa.BigInteger, nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("import_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("pid", "instant", name="pk_points"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "observations",
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("instant", sa.BigInteger, nullable=False),
        sa.Column("var", sa.Integer, nullable=False),
        sa.Column("value_num", NUM),
        sa.Column("value_text", sa.Text),
        sa.Column("import_id", sa.Integer, nullable=False),
        sa.CheckConstraint("value_num IS NOT NULL OR value_text IS NOT NULL", name="has_value"),
        sa.PrimaryKeyConstraint("pid", "instant", "var", name="pk_observations"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "patient_values",
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("var", sa.Integer, nullable=False),
        sa.Column("value_num", NUM),
        sa.Column("value_text", sa.Text),
        sa.Column("import_id", sa.Integer, nullable=False),
        sa.CheckConstraint("value_num IS NOT NULL OR value_text IS NOT NULL", name="has_value"),
        sa.PrimaryKeyConstraint("pid", "var", name="pk_patient_values"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("import_id", sa.Integer, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("instant", sa.BigInteger),
        sa.Column("variable", VARIABLE, nullable=False),
        sa.Column("old_num", NUM),
        sa.Column("old_text", sa.Text),
        sa.Column("new_num", NUM),
        sa.Column("new_text", sa.Text),
        sa.Column("changed_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_changes"),
    )
    op.create_index("ix_changes_import_id", "changes", ["import_id"])
    op.create_index("ix_changes_patient_id", "changes", ["patient_id"])
    op.create_table(
        "attributions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("criterion", sa.String(32), nullable=False),
        sa.Column("start_instant", sa.BigInteger, nullable=False),
        sa.Column("end_instant", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("author", ID, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("withdrawn_at", WHEN),
        sa.Column("withdrawn_by", ID),
        sa.Column("withdraw_reason", sa.Text),
        sa.CheckConstraint("end_instant >= start_instant", name="interval"),
        sa.PrimaryKeyConstraint("id", name="pk_attributions"),
    )
    op.create_index("ix_attributions_patient_id", "attributions", ["patient_id"])
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("author", ID, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("patient_id", ID),
        sa.Column("attribution_id", sa.Integer),
        sa.Column("import_id", sa.Integer),
        sa.Column("what", sa.Text, nullable=False),
        sa.Column("why", sa.Text, nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name="pk_audit"),
    )
    op.create_index("ix_audit_patient_id", "audit", ["patient_id"])


def downgrade() -> None:
    for table in (
        "audit",
        "attributions",
        "changes",
        "patient_values",
        "observations",
        "points",
        "variables",
        "patients",
        "imports",
    ):
        op.drop_table(table)
