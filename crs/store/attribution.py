"""Attributions ("not CRS", spec grading.md §5), archiving, and the audit log.

The paper insists that CRS is a diagnosis of exclusion made by clinical judgment
(Lee 2014, text on attribution): a fever from line sepsis is not CRS. A clinician
marks such a finding, for one patient and an interval, and the grade is computed as
if that criterion were not met. Nothing here is ever deleted: an attribution is
withdrawn (who, when, why) and stays in the log; a discharged patient is archived
and can be brought back. Every creation, withdrawal, archiving and restoring is one
row of the audit log, written in the same transaction as the change itself.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from crs.read.timeaxis import day_to_instant, instant_to_day
from crs.scales.criteria import criterion_label
from crs.scales.grading import ATTRIBUTION_CODES
from crs.store import models
from crs.store.access import AccessDenied
from crs.store.codec import int_to_instants
from crs.store.engine import lock_for_writing
from crs.store.errors import StoreError

#: Columns of the attributions frame grade() takes (docs/architecture.md §2).
GRADE_COLUMNS = ["patient_id", "criterion", "start", "end", "reason", "author"]


def patient_axis(connection: sa.Connection, patient_id: str) -> tuple[str, bool]:
    """(axis, archived) of a stored patient, or a clear error when it is not stored."""
    row = connection.execute(
        sa.select(models.patients.c.axis, models.patients.c.archived).where(
            models.patients.c.patient_id == patient_id
        )
    ).first()
    if row is None:
        raise StoreError(
            f"Patient {patient_id!r} is not in the ward store; import their data first."
        )
    return str(row.axis), bool(row.archived)


def to_instant(value: object, axis: str, what: str) -> int:
    """An attribution bound on the patient's own axis (ISO time, or day) → µs instant."""
    if isinstance(value, str):
        text = value.strip()
        if axis == "day":
            try:
                value = float(text.replace(",", "."))
            except ValueError as exc:
                raise StoreError(
                    f"{what} {value!r} must be a day since infusion (this patient is recorded in days)."
                ) from exc
        else:
            value = text
    if axis == "day":
        if isinstance(value, (int, float, np.integer, np.floating)) and np.isfinite(value):
            instant = day_to_instant(float(value))
        else:
            raise StoreError(f"{what} {value!r} must be a day since infusion (e.g. 2.5).")
    else:
        if isinstance(value, (int, float, np.integer, np.floating)):
            raise StoreError(
                f"{what} {value!r} must be a date-time such as 2024-05-01T08:00 "
                "(this patient is recorded in date-times)."
            )
        try:
            instant = pd.Timestamp(value)
        except (TypeError, ValueError) as exc:
            raise StoreError(
                f"{what} {value!r} is not a date-time; write it as 2024-05-01T08:00."
            ) from exc
        if instant.tzinfo is not None:  # offsets to UTC then naive, as the reader does
            instant = instant.tz_convert("UTC").tz_localize(None)
    if pd.isna(instant):
        raise StoreError(f"{what} is missing.")
    return int(
        np.datetime64(pd.Timestamp(instant).as_unit("us").to_datetime64(), "us").astype("int64")
    )


def describe_instant(ticks: int, axis: str) -> str:
    """An instant as the clinician wrote it: ISO time, or 'day 2.5'."""
    instant = pd.Timestamp(int_to_instants(np.array([ticks]))[0])
    if axis == "day":
        return f"day {instant_to_day(instant):g}"
    return instant.isoformat(timespec="minutes")


def _required(text: str | None, what: str) -> str:
    if text is None or not str(text).strip():
        raise StoreError(f"{what} is required (the audit log records who and why).")
    return str(text).strip()


def attribute(
    engine: sa.Engine,
    patient_id: str,
    criterion: str,
    start: object,
    end: object,
    reason: str,
    author: str,
) -> int:
    """Record that ``criterion`` is not CRS for ``patient_id`` in [start, end]; its id."""
    code = str(criterion).strip().lower()
    if code not in ATTRIBUTION_CODES:
        raise StoreError(
            f"{criterion!r} cannot be attributed; use one of {', '.join(ATTRIBUTION_CODES)}."
        )
    reason = _required(reason, "A reason")
    author = _required(author, "An author")
    now = datetime.now(UTC)
    with engine.begin() as connection:
        lock_for_writing(connection)
        axis, _ = patient_axis(connection, patient_id)
        first = to_instant(start, axis, "The start")
        last = to_instant(end, axis, "The end")
        if last < first:
            raise StoreError("The end of an attribution must not be before its start.")
        attribution_id = connection.execute(
            models.attributions.insert()
            .values(
                patient_id=patient_id,
                criterion=code,
                start_instant=first,
                end_instant=last,
                reason=reason,
                author=author,
                created_at=now,
            )
            .returning(models.attributions.c.id)
        ).scalar_one()
        connection.execute(
            models.audit.insert().values(
                at=now,
                author=author,
                action="attribute",
                patient_id=patient_id,
                attribution_id=attribution_id,
                what=(
                    f"{criterion_label(code)} marked as not CRS from "
                    f"{describe_instant(first, axis)} "
                    f"to {describe_instant(last, axis)} (attribution {attribution_id})"
                ),
                why=reason,
            )
        )
    return int(attribution_id)


def withdraw(
    engine: sa.Engine, attribution_id: int, author: str, reason: str, *, own_only: bool = False
) -> None:
    """Withdraw an attribution: the finding counts as CRS again; the record stays.

    ``own_only`` (a signed-in clinician, crs.store.access): only an attribution recorded by the
    same author may be withdrawn.
    """
    reason = _required(reason, "A reason")
    author = _required(author, "An author")
    now = datetime.now(UTC)
    table = models.attributions
    with engine.begin() as connection:
        lock_for_writing(connection)
        row = connection.execute(sa.select(table).where(table.c.id == int(attribution_id))).first()
        if row is None:
            raise StoreError(f"There is no attribution {attribution_id}.")
        if row.withdrawn_at is not None:
            raise StoreError(
                f"Attribution {attribution_id} was already withdrawn by {row.withdrawn_by}."
            )
        if own_only and row.author != author:
            raise AccessDenied(
                f"Attribution {attribution_id} was recorded by {row.author}; a clinician may "
                "withdraw only their own attributions (an admin may withdraw anyone's). "
                "Nothing was changed."
            )
        connection.execute(
            table.update()
            .where(table.c.id == int(attribution_id))
            .values(withdrawn_at=now, withdrawn_by=author, withdraw_reason=reason)
        )
        connection.execute(
            models.audit.insert().values(
                at=now,
                author=author,
                action="withdraw",
                patient_id=row.patient_id,
                attribution_id=int(attribution_id),
                what=f"attribution {attribution_id} ({row.criterion} not CRS) withdrawn",
                why=reason,
            )
        )


def set_archived(
    engine: sa.Engine, patient_id: str, archived: bool, author: str, reason: str = ""
) -> None:
    """Archive (discharge) or bring back a patient; recorded in the audit log."""
    author = _required(author, "An author")
    now = datetime.now(UTC)
    with engine.begin() as connection:
        lock_for_writing(connection)
        _, was = patient_axis(connection, patient_id)
        if was == archived:
            state = "archived" if archived else "on the ward"
            raise StoreError(f"Patient {patient_id!r} is already {state}.")
        connection.execute(
            models.patients.update()
            .where(models.patients.c.patient_id == patient_id)
            .values(archived=archived, archived_at=now if archived else None)
        )
        connection.execute(
            models.audit.insert().values(
                at=now,
                author=author,
                action="archive" if archived else "restore",
                patient_id=patient_id,
                what=f"patient {patient_id} " + ("archived" if archived else "brought back"),
                why=(reason or "").strip(),
            )
        )


def attributions_frame(
    connection: sa.Connection,
    patient_ids: list[str] | None = None,
    *,
    active_only: bool = True,
) -> pd.DataFrame:
    """Attributions with their status; the first six columns are what grade() takes."""
    table = models.attributions
    query = sa.select(table, models.patients.c.axis).join(
        models.patients, models.patients.c.patient_id == table.c.patient_id
    )
    if active_only:
        query = query.where(table.c.withdrawn_at.is_(None))
    if patient_ids is not None:
        query = query.where(table.c.patient_id.in_([str(p) for p in patient_ids]))
    rows = pd.DataFrame(connection.execute(query.order_by(table.c.id)).mappings().all())
    columns = [
        *GRADE_COLUMNS,
        "attribution_id",
        "created_at",
        "withdrawn_at",
        "withdrawn_by",
        "withdraw_reason",
        "axis",
    ]
    if rows.empty:
        out = pd.DataFrame({c: pd.Series([], dtype="str") for c in columns})
        out["start"] = out["start"].astype("datetime64[us]")
        out["end"] = out["end"].astype("datetime64[us]")
        out["attribution_id"] = out["attribution_id"].astype("int64")
        return out
    return pd.DataFrame(
        {
            "patient_id": rows["patient_id"].astype("str"),
            "criterion": rows["criterion"].astype("str"),
            "start": int_to_instants(rows["start_instant"].to_numpy(dtype="int64")),
            "end": int_to_instants(rows["end_instant"].to_numpy(dtype="int64")),
            "reason": rows["reason"].astype("str"),
            "author": rows["author"].astype("str"),
            "attribution_id": rows["id"].astype("int64"),
            "created_at": rows["created_at"],
            "withdrawn_at": rows["withdrawn_at"],
            "withdrawn_by": rows["withdrawn_by"],
            "withdraw_reason": rows["withdraw_reason"],
            "axis": rows["axis"].astype("str"),
        }
    )


def audit_frame(connection: sa.Connection, patient_id: str | None = None) -> pd.DataFrame:
    """The audit log (who, when, what, why), oldest first; one patient's when named."""
    table = models.audit
    query = sa.select(
        table.c.id,
        table.c.at,
        table.c.author,
        table.c.action,
        table.c.patient_id,
        table.c.attribution_id,
        table.c.import_id,
        table.c.what,
        table.c.why,
    ).order_by(table.c.id)
    if patient_id is not None:
        query = query.where(table.c.patient_id == str(patient_id))
    rows = connection.execute(query).mappings().all()
    columns = [
        "id",
        "at",
        "author",
        "action",
        "patient_id",
        "attribution_id",
        "import_id",
        "what",
        "why",
    ]
    out = pd.DataFrame(rows, columns=columns)
    out["at"] = pd.to_datetime(out["at"], utc=True)
    for column in ("attribution_id", "import_id"):
        out[column] = out[column].astype("Int64")
    return out
