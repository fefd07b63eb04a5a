"""Reading version 3 (astct.md §1): the ASTCT 2019 neurological findings are read, and
an ICE score that is not a whole number is impossible.

The store's tables keep any canonical variable already (one row per value), so the new
findings — CAPD, level of consciousness, RASS, seizure, motor weakness, cerebral oedema —
are stored by every import under version 3 and graded (ASTCT 2019 CRS and ICANS) from
the store like any other value. Imports read before this revision are version 2 or
older: an ICE score they stored that is not a whole number is marked and left out of
grading (crs.store.marks), and an import whose unrecognised columns version 3 reads gets
an audit note asking for that file to be imported again (crs.store.consensus_upgrade).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import op

from crs.store.consensus_upgrade import note_unread_columns
from crs.store.marks import mark_old_readings

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    now = datetime.now(UTC)
    connection = op.get_bind()
    mark_old_readings(connection, now)
    note_unread_columns(connection, now)


def downgrade() -> None:
    # Marks and notes are data, kept in the audit trail; version 2 ignores nothing new.
    pass
