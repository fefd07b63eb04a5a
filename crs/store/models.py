"""Tables of the ward store (SQLAlchemy Core). The migrations in ``migrations/versions``
create exactly these; ``metadata`` is Alembic's target.

Design (clinical reason first):
- ``observations`` is long — one row per patient, instant and canonical variable — so
  every canonical column of the reader (docs/architecture.md §1.1) is kept, a value can
  be updated alone, and each change is recorded alone (who sent it, what it was).
- ``points`` keeps every (patient, instant) row even when all its values are missing:
  such a row is still graded (its grade is a lower bound with unknown domains).
- Rows refer to patients and variables by small integer keys (``patients.id``,
  ``variables.id``): the ward round reads hundreds of thousands of values, and integers
  are read several times faster than repeated text.
- On SQLite the three big tables are ``WITHOUT ROWID``: the primary key is the table,
  so a patient's rows are stored together and read in one range scan.
- Instants are integers, microseconds since 1970-01-01 (naive UTC; a day axis is
  1970-01-01 + day × 24 h, crs.read.timeaxis), so both databases store them identically
  and reading back needs no date parsing.
- Nothing clinical is ever deleted: attributions are withdrawn, patients archived,
  changed values overwritten only after the old value is written to ``changes``.
"""

from __future__ import annotations

import sqlalchemy as sa

from crs.read.identifiers import MAX_LENGTH

metadata = sa.MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
)

#: Patient ids (and names of people): the one limit of crs.read.identifiers, so the store
#: refuses nothing the reader accepted.
ID_LENGTH = MAX_LENGTH
VARIABLE_LENGTH = 64
Instant = sa.BigInteger  # µs since 1970-01-01
When = sa.DateTime(timezone=True)

imports = sa.Table(
    "imports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("patients_file_name", sa.Text),
    sa.Column("patients_sha256", sa.String(64)),
    sa.Column("imported_at", When, nullable=False),
    sa.Column("author", sa.String(ID_LENGTH)),
    sa.Column("axis", sa.String(4), nullable=False),
    sa.Column("rows_read", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rows_graded", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rows_merged", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rows_not_graded", sa.Integer, nullable=False, server_default="0"),
    sa.Column("patients_added", sa.Integer, nullable=False, server_default="0"),
    sa.Column("points_added", sa.Integer, nullable=False, server_default="0"),
    sa.Column("values_added", sa.Integer, nullable=False, server_default="0"),
    sa.Column("values_changed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("values_unchanged", sa.Integer, nullable=False, server_default="0"),
    # The data-quality report of the file (architecture §1.2) as JSON, problems as rows.
    sa.Column("report_json", sa.Text, nullable=False),
    sa.Column("report_text", sa.Text, nullable=False),
    # crs.read.columns.READING_VERSION of the reader that read the file (migration 0003: the
    # imports made before it are version 1). The same bytes read by a newer reader are a
    # new import, not "already imported".
    sa.Column("reading_version", sa.Integer, nullable=False, server_default="1"),
    sa.CheckConstraint("axis IN ('time', 'day')", name="axis"),
)

patients = sa.Table(
    "patients",
    metadata,
    # Insertion order: the order patients appear on the ward round and in exports.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("patient_id", sa.String(ID_LENGTH), nullable=False, unique=True),
    sa.Column("axis", sa.String(4), nullable=False),
    sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("archived_at", When),
    sa.Column("first_import_id", sa.Integer),
    sa.CheckConstraint("axis IN ('time', 'day')", name="axis"),
)

variables = sa.Table(
    "variables",
    metadata,
    # Canonical column names (crs.read.columns.CANONICAL), numbered as first stored.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(VARIABLE_LENGTH), nullable=False, unique=True),
)

points = sa.Table(
    "points",
    metadata,
    sa.Column("pid", sa.Integer, primary_key=True),  # patients.id
    sa.Column("instant", Instant, primary_key=True),
    # File line and import of the first file that brought this row (for the report).
    sa.Column("line", sa.Integer, nullable=False),
    sa.Column("import_id", sa.Integer, nullable=False),
    sqlite_with_rowid=False,
)

observations = sa.Table(
    "observations",
    metadata,
    sa.Column("pid", sa.Integer, primary_key=True),  # patients.id
    sa.Column("instant", Instant, primary_key=True),
    sa.Column("var", sa.Integer, primary_key=True),  # variables.id
    sa.Column("value_num", sa.Float(precision=53)),
    sa.Column("value_text", sa.Text),
    sa.Column("import_id", sa.Integer, nullable=False),
    # A missing cell is never stored: it would erase nothing and mean nothing.
    sa.CheckConstraint("value_num IS NOT NULL OR value_text IS NOT NULL", name="has_value"),
    sqlite_with_rowid=False,
)

patient_values = sa.Table(
    "patient_values",
    metadata,
    sa.Column("pid", sa.Integer, primary_key=True),  # patients.id
    sa.Column("var", sa.Integer, primary_key=True),  # variables.id
    sa.Column("value_num", sa.Float(precision=53)),
    sa.Column("value_text", sa.Text),
    sa.Column("import_id", sa.Integer, nullable=False),
    sa.CheckConstraint("value_num IS NOT NULL OR value_text IS NOT NULL", name="has_value"),
    sqlite_with_rowid=False,
)

changes = sa.Table(
    "changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("import_id", sa.Integer, nullable=False, index=True),
    sa.Column("patient_id", sa.String(ID_LENGTH), nullable=False, index=True),
    # NULL for a patient-level value (age, weight, infusion time, ...).
    sa.Column("instant", Instant),
    sa.Column("variable", sa.String(VARIABLE_LENGTH), nullable=False),
    sa.Column("old_num", sa.Float(precision=53)),
    sa.Column("old_text", sa.Text),
    sa.Column("new_num", sa.Float(precision=53)),
    sa.Column("new_text", sa.Text),
    sa.Column("changed_at", When, nullable=False),
)

attributions = sa.Table(
    "attributions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("patient_id", sa.String(ID_LENGTH), nullable=False, index=True),
    sa.Column("criterion", sa.String(32), nullable=False),
    sa.Column("start_instant", Instant, nullable=False),
    sa.Column("end_instant", Instant, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("author", sa.String(ID_LENGTH), nullable=False),
    sa.Column("created_at", When, nullable=False),
    sa.Column("withdrawn_at", When),
    sa.Column("withdrawn_by", sa.String(ID_LENGTH)),
    sa.Column("withdraw_reason", sa.Text),
    sa.CheckConstraint("end_instant >= start_instant", name="interval"),
)

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", When, nullable=False),
    sa.Column("author", sa.String(ID_LENGTH), nullable=False),
    # attribute, withdraw, archive, restore, import
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("patient_id", sa.String(ID_LENGTH), index=True),
    sa.Column("attribution_id", sa.Integer),
    sa.Column("import_id", sa.Integer),
    sa.Column("what", sa.Text, nullable=False),
    sa.Column("why", sa.Text, nullable=False, server_default=""),
)

patient_cache = sa.Table(
    "patient_cache",
    metadata,
    # Read-optimised copy of each patient's rows and numeric values, rebuilt in the
    # transaction of every import that touches the patient: the ward round reads 500
    # patients' complete histories as 500 binary rows instead of ~250,000 values.
    # Derived data only: the long tables above remain the record.
    sa.Column("pid", sa.Integer, primary_key=True, autoincrement=False),  # patients.id
    sa.Column("points", sa.LargeBinary, nullable=False),  # int64 instant, int64 line
    sa.Column("numbers", sa.LargeBinary, nullable=False),  # int64 instant, int64 var, float64
)

reading_marks = sa.Table(
    "reading_marks",
    metadata,
    # Values an import stored under an older reading (imports.reading_version) that the
    # reader of today would read otherwise: a bare lab column whose median says another
    # unit, or a value outside today's physiological limits (crs.store.marks). The store
    # kept no raw cells, so it cannot re-read them: the values of (patient, variable)
    # that this import stored are left out of grading while the mark is active, and the
    # mark is cleared when a current import has read every one of them again.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("pid", sa.Integer, nullable=False, index=True),  # patients.id
    sa.Column("var", sa.Integer, nullable=False),  # variables.id
    sa.Column("import_id", sa.Integer, nullable=False),  # the import that stored them
    sa.Column("reason", sa.String(16), nullable=False),  # unit | limit
    sa.Column("detail", sa.Text, nullable=False),  # why, in words
    sa.Column("marked_at", When, nullable=False),
    sa.Column("cleared_at", When),
    sa.Column("cleared_by_import", sa.Integer),
    sa.UniqueConstraint("pid", "var", "import_id", name="uq_reading_marks_value"),
)

column_mappings = sa.Table(
    "column_mappings",
    metadata,
    # A hospital's own column name (as the reader compares names: crs.read.names.normalise_name)
    # → the variable and unit a person mapped it to (issue #12); offered again for the
    # next export. Replaced when mapped again; every save is in the audit log.
    sa.Column("name_key", sa.String(ID_LENGTH), primary_key=True),
    sa.Column("raw_name", sa.Text, nullable=False),
    sa.Column("variable", sa.String(VARIABLE_LENGTH)),  # NULL: "not used"
    sa.Column("unit", sa.String(32), nullable=False, server_default=""),
    sa.Column("author", sa.String(ID_LENGTH)),
    sa.Column("saved_at", When, nullable=False),
)
