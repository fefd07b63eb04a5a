"""The ward store's public face: ``open_store(url) -> Store`` (docs/architecture.md §7).

Pages and the command line call only this class; it hides SQL, transactions and
migrations. Every method either reads (a deferred transaction, never blocked by an
import) or writes in exactly one transaction.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import sqlalchemy as sa

from crs.errors import UnusableExportError
from crs.read.identifiers import check_patient_id
from crs.store import attribution as attribution_log
from crs.store import marks, queries
from crs.store.access import Identity, author_for
from crs.store.engine import create_store_engine, database_url, describe_database, migrate
from crs.store.errors import StoreError, StoreFailure
from crs.store.importer import ImportResult, merge_frame, record_attempt

Source = str | os.PathLike | bytes
#: Who makes a change: a signed-in Identity (its role is checked here, crs.store.access), or a
#: plain name from the workstation or the command line (recorded as given).
Actor = str | Identity
_T = TypeVar("_T")


def _database_errors(method: Callable[..., _T]) -> Callable[..., _T]:
    """A database failure (unreachable, locked too long) becomes one StoreFailure sentence."""

    @functools.wraps(method)
    def run(self: Store, *args: Any, **kwargs: Any) -> _T:
        try:
            return method(self, *args, **kwargs)
        except sa.exc.DBAPIError as exc:
            reason = str(exc.orig or exc).strip().splitlines()
            raise StoreFailure(
                f"The ward store ({self.describe()}) failed; nothing was changed: "
                f"{reason[0] if reason else 'database error'}"
            ) from exc

    return run


class Store:
    """A migrated ward store. Create it with :func:`open_store`."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    # -- where ----------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    def describe(self) -> str:
        """Where the ward data is kept, in one sentence (for the home page)."""
        return describe_database(self.engine.url)

    def close(self) -> None:
        self.engine.dispose()

    def _read(self) -> sa.Connection:
        return self.engine.connect().execution_options(crs_read_only=True)

    # -- import ---------------------------------------------------------------------
    @_database_errors
    def import_file(
        self,
        source: Source,
        *,
        patients: Source | None = None,
        patient_id: str | None = None,
        name: str | None = None,
        patients_name: str | None = None,
        author: Actor | None = None,
        mapping: Any | None = None,
    ) -> ImportResult:
        """Read an export (crs.read.reader.read_export) and merge it into the store.

        A file whose bytes (and patients table) were imported before changes nothing.
        ``mapping`` (crs.read.mapping.ColumnMapping) maps the file's own column names; the same
        bytes read with another mapping are another import.
        Raises crs.errors.UnusableExportError for a file that cannot be used at all;
        then nothing is stored.
        """
        from crs.read.reader import read_export

        author = author_for(author, "import")
        data, file_name = _bytes_and_name(source, name)
        patients_data, patients_file = (
            _bytes_and_name(patients, patients_name) if patients is not None else (None, None)
        )
        key = hashlib.sha256(data)
        if patient_id is not None:  # one file named for two patients is two imports
            key.update(b"\0patient_id=" + str(patient_id).encode("utf-8"))
        if mapping:
            key.update(b"\0mapping=" + mapping_key(mapping))
        patients_hash = (
            hashlib.sha256(patients_data).hexdigest() if patients_data is not None else None
        )
        with self._read() as connection:
            earlier = queries.earlier_import(connection, key.hexdigest(), patients_hash)
        if earlier is not None:  # same bytes: no need to read the file again
            result = ImportResult(earlier, file_name, key.hexdigest(), already_imported=True)
            record_attempt(self.engine, result.summary(), author, earlier)
            return result
        with self._attempt(file_name, author):
            export = read_export(
                data,
                patients=patients_data,
                patient_id=patient_id,
                name=file_name,
                mapping=mapping,
            )
            return merge_frame(
                self.engine,
                export.frame,
                axis=export.axis,
                file_name=file_name,
                sha256=key.hexdigest(),
                patients_file_name=patients_file,
                patients_sha256=patients_hash,
                report=export.report,
                author=author,
            )

    @_database_errors
    def import_export(
        self,
        export: Any,
        *,
        file_name: str,
        sha256: str,
        patients_sha256: str | None = None,
        author: Actor | None = None,
    ) -> ImportResult:
        """Merge an already read ``Export`` (e.g. the upload the page has just shown)."""
        author = author_for(author, "import")
        with self._attempt(file_name, author):
            return merge_frame(
                self.engine,
                export.frame,
                axis=export.axis,
                file_name=file_name,
                sha256=sha256,
                patients_sha256=patients_sha256,
                report=export.report,
                author=author,
            )

    @_database_errors
    def import_frame(
        self,
        frame: pd.DataFrame,
        *,
        axis: str | None = None,
        file_name: str = "frame",
        report: Any | None = None,
        author: Actor | None = None,
    ) -> ImportResult:
        """Merge a canonical frame built in code (its content hash stands in for the file's)."""
        author = author_for(author, "import")
        if axis is None:
            axis = "time" if frame["time"].notna().any() else "day"
        digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        digest.update(",".join(map(str, frame.columns)).encode("utf-8"))
        with self._attempt(file_name, author):
            return merge_frame(
                self.engine,
                frame,
                axis=axis,
                file_name=file_name,
                sha256=digest.hexdigest(),
                report=report,
                author=author,
            )

    @_database_errors
    def refused_import(self, file_name: str, reason: str, *, author: Actor | None = None) -> None:
        """Record in the audit log an import refused before it reached the store (e.g. a
        file the app could not read): the log holds every attempt, under who tried."""
        who = author.author if isinstance(author, Identity) else author
        record_attempt(self.engine, _refused(file_name, reason), who)

    @contextlib.contextmanager
    def _attempt(self, file_name: str, author: str | None) -> Iterator[None]:
        """An import refused (unusable file, store refusal) is still one audit row."""
        try:
            yield
        except UnusableExportError as exc:  # StoreError included
            record_attempt(self.engine, _refused(file_name, str(exc)), author)
            raise

    @_database_errors
    def imports(self) -> pd.DataFrame:
        """Every import with its counts, oldest first."""
        with self._read() as connection:
            return queries.imports_frame(connection)

    @_database_errors
    def import_report(self, import_id: int) -> Any:
        """The data-quality report stored with an import (QualityReport), None if unknown."""
        with self._read() as connection:
            return queries.import_report(connection, import_id)

    @_database_errors
    def changes(self, patient_id: str | None = None, import_id: int | None = None) -> pd.DataFrame:
        """Changed values (old, new, which file, when), oldest first."""
        with self._read() as connection:
            return queries.changes_frame(connection, patient_id, import_id)

    @_database_errors
    def reading_marks(self, patient_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Values left out of grading because they were imported under an older reading
        of units and limits (crs.store.marks), one row per patient, variable and import:
        patient_id, archived, variable, words, import_id, file_name, imported_at, reason,
        detail, values (how many are still left out), marked_at. Empty when every
        stored value is graded."""
        with self._read() as connection:
            return marks.active_marks(
                connection, None if patient_ids is None else [str(p) for p in patient_ids]
            )

    # -- column mappings (issue #12) ---------------------------------------------------
    @_database_errors
    def column_mapping(self) -> Any:
        """The remembered column mappings (crs.read.mapping.ColumnMapping)."""
        from crs.store.mappings import read_mappings

        with self._read() as connection:
            return read_mappings(connection)

    @_database_errors
    def save_column_mapping(self, mapping: Any, *, author: Actor | None = None) -> int:
        """Remember ``mapping`` (a crs.read.mapping.ColumnMapping) for the next exports; one
        audit row. Needs the role that may import. Returns how many entries changed."""
        from crs.store.mappings import save_mappings

        return save_mappings(self.engine, mapping, author_for(author, "import"))

    # -- reading back ---------------------------------------------------------------
    @_database_errors
    def patients(self, include_archived: bool = True) -> pd.DataFrame:
        """Stored patients in ward order, with ``archived``."""
        with self._read() as connection:
            return queries.patients_frame(connection, include_archived=include_archived)

    @_database_errors
    def frame(
        self, patient_ids: Sequence[str] | None = None, include_archived: bool = False
    ) -> pd.DataFrame:
        """The canonical frame (architecture §1.1) of the ward, or of ``patient_ids``."""
        with self._read() as connection:
            return queries.read_frame(connection, patient_ids, include_archived=include_archived)

    @_database_errors
    def attributions(
        self, patient_ids: Sequence[str] | None = None, *, active_only: bool = True
    ) -> pd.DataFrame:
        """Attributions: the first six columns are what crs.scales.grading.grade takes."""
        with self._read() as connection:
            return attribution_log.attributions_frame(
                connection,
                None if patient_ids is None else list(patient_ids),
                active_only=active_only,
            )

    @_database_errors
    def graded(
        self, patient_ids: Sequence[str] | None = None, include_archived: bool = False
    ) -> pd.DataFrame:
        """The graded frame (grade + treatment, crs.treatment.pipeline) with active attributions applied."""
        from crs.treatment.pipeline import grade_frame

        with self._read() as connection:
            frame = queries.read_frame(connection, patient_ids, include_archived=include_archived)
            # All active attributions (few), kept for the patients read: no IN list that
            # could outgrow a database's parameter limit on a large ward.
            active = attribution_log.attributions_frame(connection)
        active = active[active["patient_id"].isin(frame["patient_id"].unique())]
        return grade_frame(frame, active[attribution_log.GRADE_COLUMNS] if len(active) else None)

    @_database_errors
    def ward_round(self) -> pd.DataFrame:
        """The latest graded row of every patient on the ward (archived patients left out)."""
        graded = self.graded()
        return graded.groupby("patient_id", sort=False).tail(1).reset_index(drop=True)

    @_database_errors
    def axis(self, patient_ids: Sequence[str] | None = None) -> str:
        """'time', 'day' or 'mixed': the time axis of the selected patients (for exports)."""
        patients = self.patients()
        if patient_ids is not None:
            patients = patients[patients["patient_id"].isin([str(p) for p in patient_ids])]
        axes = set(patients["axis"])
        return axes.pop() if len(axes) == 1 else ("time" if not axes else "mixed")

    # -- clinical judgment (spec §5) and the audit log -------------------------------
    @_database_errors
    def attribute(
        self,
        patient_id: str,
        criterion: str,
        start: object,
        end: object,
        reason: str,
        author: Actor,
    ) -> int:
        """Mark ``criterion`` as not CRS for a patient in [start, end]; the attribution id.

        A signed-in ``author`` needs the clinician role (crs.store.access.AccessDenied if not).
        """
        return attribution_log.attribute(
            self.engine,
            _patient(patient_id),
            criterion,
            start,
            end,
            reason,
            author_for(author, "attribute"),
        )

    @_database_errors
    def withdraw(self, attribution_id: int, author: Actor, reason: str) -> None:
        """Withdraw an attribution (kept, marked withdrawn, audited).

        A signed-in clinician may withdraw only their own attributions; an admin anyone's.
        """
        own_only = isinstance(author, Identity) and not author.may("withdraw_any")
        attribution_log.withdraw(
            self.engine,
            attribution_id,
            author_for(author, "withdraw_own"),
            reason,
            own_only=own_only,
        )

    @_database_errors
    def archive(self, patient_id: str, author: Actor, reason: str = "") -> None:
        """Archive a discharged patient: left out of the ward round, nothing deleted."""
        attribution_log.set_archived(
            self.engine, _patient(patient_id), True, author_for(author, "archive"), reason
        )

    @_database_errors
    def restore(self, patient_id: str, author: Actor, reason: str = "") -> None:
        """Bring an archived patient back to the ward round (a signed-in admin only)."""
        attribution_log.set_archived(
            self.engine, _patient(patient_id), False, author_for(author, "restore"), reason
        )

    @_database_errors
    def audit_log(self, patient_id: str | None = None) -> pd.DataFrame:
        """Who did what, when and why (imports, attributions, withdrawals, archiving)."""
        with self._read() as connection:
            return attribution_log.audit_frame(connection, patient_id)


def open_store(url: str | None = None) -> Store:
    """Open the ward store and migrate it to the current schema.

    ``url``: an SQLAlchemy URL; default ``$CRS_DATABASE_URL``, else the SQLite file in
    the user's data directory (crs.store.engine.default_database_url).
    """
    parsed = database_url(url)
    engine: sa.Engine | None = None
    try:
        engine = create_store_engine(parsed)
        migrate(engine)
    except (sa.exc.DBAPIError, OSError) as exc:
        if engine is not None:
            engine.dispose()
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise StoreFailure(
            f"Cannot open the ward store ({describe_database(parsed)}): "
            f"{reason[0] if reason else 'database error'}"
        ) from exc
    return Store(engine)


def _patient(patient_id: object) -> str:
    """A patient id given to the store, checked by the reader's rules (crs.read.identifiers)."""
    try:
        return check_patient_id(patient_id)
    except UnusableExportError as exc:
        raise StoreError(str(exc)) from None


def mapping_key(mapping: Any) -> bytes:
    """The bytes a column mapping adds to an import's key (the same file read with another
    mapping is another import)."""
    return "\n".join(f"{m.key}\t{m.variable or ''}\t{m.unit}" for m in mapping).encode("utf-8")


def _refused(file_name: str, reason: str) -> str:
    return f"{file_name}: not imported, nothing changed: {reason}"


def _bytes_and_name(source: Source, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, name or "upload"
    path = Path(source)
    return path.read_bytes(), name or path.name
