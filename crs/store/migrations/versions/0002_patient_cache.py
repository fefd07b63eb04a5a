"""Patient cache: a read-optimised binary copy of each patient's rows for the ward round.

Stores migrated from 0001 have no cache rows yet; the ward round reads such patients
from the long tables until their next import rebuilds the cache.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patient_cache",
        sa.Column("pid", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("points", sa.LargeBinary, nullable=False),
        sa.Column("numbers", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("pid", name="pk_patient_cache"),
    )


def downgrade() -> None:
    op.drop_table("patient_cache")
