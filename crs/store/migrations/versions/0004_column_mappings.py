"""Column mappings: a hospital's own column names mapped to the dashboard's variables
(issue #12), remembered so the next export is offered the same mapping.

Revision ID: 0004
Revises: 0003 (the ward store's upgrade to version 2 of the grading contract)
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "column_mappings",
        # The raw name normalised as the reader compares names (crs.read.names.normalise_name).
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("raw_name", sa.Text, nullable=False),
        # A canonical variable (crs.read.columns); NULL: "not used".
        sa.Column("variable", sa.String(64)),
        sa.Column("unit", sa.String(32), nullable=False, server_default=""),
        sa.Column("author", sa.String(200)),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name_key", name="pk_column_mappings"),
    )


def downgrade() -> None:
    op.drop_table("column_mappings")
