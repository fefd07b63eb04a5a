"""The ward store in the dashboard (docs/architecture.md §7; issue "Ward memory").

One :class:`crs.store.Store` per process and database URL (``st.cache_resource``): the
URL comes from ``$CRS_DATABASE_URL``, else the SQLite file in the user's data
directory, and ``open_store`` migrates the database when the app starts. The pages read
the ward as a :class:`ui.session.Ward` built from ``store.graded()``; it is graded again
only when the store changed, which the audit log tells (every import that changed
something, attribution, withdrawal, archiving and restoring writes one audit row).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from crs.scales import CRITERION_LABELS
from crs.store import ASK, HEADLINE, Store, StoreFailure, database_url, mark_lines, open_store
from ui.session import Ward
from ui.text import md

#: Flash message shown once after a write (the page reruns to show the re-graded ward).
FLASH_KEY = "crs_store_flash"
#: Session toggle: the ward round (and patient page) also show archived patients.
SHOW_ARCHIVED_KEY = "crs_show_archived"


def database_address() -> str:
    """The database URL to use now ($CRS_DATABASE_URL or the default SQLite file)."""
    return database_url(None).render_as_string(hide_password=False)


@st.cache_resource(show_spinner="Opening the ward store …", max_entries=4)
def _open(url: str) -> Store:
    # Keyed by the URL: a test (or a second deployment) pointing CRS_DATABASE_URL at
    # another database gets its own Store, never the clinician's.
    return open_store(url)


def ward_store() -> Store:
    """The process's Store for the current database URL, migrated to the current schema.

    Raises crs.errors.UnusableExportError (a bad URL) or StoreFailure (the database
    cannot be opened); pages show either message in a red box.
    """
    return _open(database_address())


def store_version(store: Store) -> tuple[int, int]:
    """(audit rows, last audit id): changes whenever anything in the store changed."""
    audit = store.audit_log()
    return len(audit), int(audit["id"].max()) if len(audit) else 0


@st.cache_resource(show_spinner="Grading the ward …", max_entries=6)
def _ward(url: str, version: tuple[int, int], include_archived: bool) -> Ward:
    # A shared, read-only object (cache_resource: no copy per rerun); the pages never
    # modify a Ward's frames.
    store = _open(url)
    patients = store.patients(include_archived=True)
    archived = frozenset(patients.loc[patients["archived"].astype(bool), "patient_id"].astype(str))
    graded = store.graded(include_archived=include_archived)
    axes = set(patients["axis"].astype(str)) if len(patients) else {"time"}
    return Ward(
        graded=graded,
        reports=[],
        axis=axes.pop() if len(axes) == 1 else "mixed",
        sources=[store.describe()],
        kind="store",
        archived=archived,
        key=f"store:{url}:{version}:{include_archived}",
    )


def store_ward(include_archived: bool = False) -> Ward | None:
    """The ward store's patients, graded with their active attributions; None when empty."""
    store = ward_store()
    ward = _ward(database_address(), store_version(store), include_archived)
    return ward if len(ward.graded) else None


def show_archived() -> bool:
    return bool(st.session_state.get(SHOW_ARCHIVED_KEY, False))


def flash(message: str) -> None:
    """Keep a message for the next run (after st.rerun shows the re-graded ward)."""
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    from ui.text import md_escape

    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(md_escape(message))


def store_message(error: Exception) -> str:
    """The one sentence for a store problem (StoreError / StoreFailure / a bad URL)."""
    text = str(error).strip().splitlines()
    if isinstance(error, StoreFailure):
        first = text[0] if text else "The ward store failed."
        return first if "nothing was changed" in first.lower() else first + " Nothing was changed."
    return text[0] if text else "The ward store could not do that."


def upload_key(data: bytes, patient_id: str | None = None, mapping: object = None) -> str:
    """The import key of an upload: sha256 of its bytes (and of the name given to a
    one-patient file, and of the column mapping it was read with, as
    ``Store.import_file`` does: one file named for two patients is two imports)."""
    from crs.store import mapping_key

    key = hashlib.sha256(data)
    if patient_id is not None:
        key.update(b"\0patient_id=" + str(patient_id).encode("utf-8"))
    if mapping:
        key.update(b"\0mapping=" + mapping_key(mapping))
    return key.hexdigest()


@dataclass(frozen=True)
class ImportShown:
    """What the home page shows after an upload (kept in the session across reruns)."""

    summaries: list[str]
    reports: list[object]
    patients: int
    points: int
    files: list[str]
    #: Grading variables missing from the whole upload (crs.read.coverage), said above the rest.
    warning: str = ""


def patient_axis(store: Store, patient_id: str) -> str:
    """'time' or 'day': the axis a stored patient's rows (and attributions) use."""
    patients = store.patients(include_archived=True)
    axis = patients.loc[patients["patient_id"] == patient_id, "axis"]
    return str(axis.iloc[0]) if len(axis) else "time"


def audit_table(audit: pd.DataFrame) -> pd.DataFrame:
    """The audit log as clinicians read it (UTC time, who, what, why).

    Attributions recorded before their audit text named the finding in words start
    with the criterion's code (``organ_toxicity marked as not CRS …``): shown in words.
    """
    what = audit["what"].fillna("").astype("str")
    attribute = (audit["action"] == "attribute").to_numpy()
    for code, label in CRITERION_LABELS.items():
        coded = attribute & what.str.startswith(code + " marked as not CRS").to_numpy()
        what = what.mask(coded, label + what.str.slice(len(code)))
    return pd.DataFrame(
        {
            "When (UTC)": audit["at"].dt.strftime("%Y-%m-%d %H:%M:%S"),
            "Who": audit["author"].fillna("").astype("str"),
            "Action": audit["action"].astype("str"),
            "Patient": audit["patient_id"].fillna("").astype("str"),
            "What": what,
            "Why": audit["why"].fillna("").astype("str"),
        }
    )


def reading_marks_warning(store: Store, patient_id: str | None = None) -> None:
    """Values left out of grading since the reading of units and limits changed
    (crs.store.marks): the whole list on Home, one short line on a patient's page."""
    marks = store.reading_marks(None if patient_id is None else [patient_id])
    if marks.empty:
        return
    if patient_id is None:
        lines = mark_lines(marks)
        template = "{}\n\n" + "\n".join("- {}" for _ in lines) + "\n\n{}"
        st.warning(md(template, HEADLINE, *lines, ASK))
        return
    st.warning(
        md(
            "Left out of this patient's grade until {} is imported again on Home: {}. They "
            "were imported before the dashboard checked laboratory units and limits as it "
            "does now.",
            ", ".join(dict.fromkeys(marks["file_name"].astype("str"))),
            ", ".join(dict.fromkeys(marks["words"].astype("str"))),
        )
    )
