"""The ward loaded in this browser session (``st.session_state``) and how it is loaded.

Parsing and grading are cached on the uploaded BYTES (never on DataFrames as keys):
:func:`read_and_grade` takes ``(bytes, name, patients_bytes, patient_id)`` and calls the
real reader and pipeline (docs/architecture.md §1, §4). The result is kept in
``st.session_state`` so moving between pages does not read anything again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import streamlit as st

from crs.errors import UnusableExportError
from crs.views import census

if TYPE_CHECKING:
    from crs.read import QualityReport

REPO = Path(__file__).resolve().parents[1]
SAMPLE_WARD = REPO / "data" / "sample_ward.csv"
SAMPLE_PATIENTS = REPO / "data" / "sample_ward_patients.csv"

WARD_KEY = "crs_ward"
PATIENT_KEY = "crs_patient_id"


@st.cache_data(show_spinner=False, max_entries=8)
def read_and_grade(
    data: bytes, name: str, patients_bytes: bytes | None, patient_id: str | None
) -> tuple[pd.DataFrame, QualityReport, str]:
    """Read one export (with its optional patients table) and grade it: graded frame,
    data-quality report and axis. Raises UnusableExportError with the reader's message."""
    from crs.read import read_export
    from crs.treatment import grade_export

    export = read_export(data, patients=patients_bytes, patient_id=patient_id, name=name)
    graded = grade_export(export)
    return graded, export.report, export.axis


@st.cache_data(show_spinner=False, max_entries=16)
def _census_of(key: str, _graded: pd.DataFrame) -> pd.DataFrame:
    """The census of the ward whose rows ``key`` names (shared by every session showing
    that ward: a new browser session on the same ward does not compute it again)."""
    return census(_graded)


@dataclass
class Ward:
    """Everything the pages show: the graded rows of every patient and the reports."""

    graded: pd.DataFrame
    reports: list[QualityReport]
    axis: str
    sources: list[str]
    #: Where the rows come from: "store" (the ward store, docs/architecture.md §7),
    #: "sample" (the bundled made-up ward, read-only, never stored) or "session"
    #: (graded in this browser session only, not stored).
    kind: str = "session"
    #: Archived (discharged) patients among ``graded`` (store wards only).
    archived: frozenset[str] = frozenset()
    #: Names these rows for caches shared between sessions (ui.cached): the sha256 of
    #: the uploaded bytes, or the store's address and version; "" when unknown.
    key: str = ""
    _census: pd.DataFrame | None = field(default=None, repr=False)
    _rows_of: dict[str, np.ndarray] | None = field(default=None, repr=False)
    _lines_of: dict[str, str] = field(default_factory=dict, repr=False)

    def census(self) -> pd.DataFrame:
        """The ward round table (crs.views.census), computed once per load."""
        if self._census is None:
            self._census = _census_of(self.key, self.graded) if self.key else census(self.graded)
        return self._census

    def patient_ids(self) -> list[str]:
        """Patients, sickest first (the census order)."""
        return self.census()["patient_id"].astype("str").tolist()

    def patient(self, patient_id: str) -> pd.DataFrame:
        """The graded rows of one patient, in time order."""
        if self._rows_of is None:
            self._rows_of = self.graded.groupby("patient_id", sort=False).indices
        positions = self._rows_of.get(patient_id)
        if positions is None:
            return self.graded.iloc[0:0]
        return self.graded.iloc[positions]

    def problems(self) -> pd.DataFrame:
        """Every data-quality problem of every file, with the file name first."""
        return problems_of(self.reports)

    def patient_problems(self, patient_id: str) -> pd.DataFrame:
        """Problems on the file lines of this patient's graded rows (merged rows included
        when the reader reports them on the line of the row they were merged into)."""
        rows = self.patient(patient_id)
        problems = self.problems()
        if problems.empty or rows.empty:
            return problems.iloc[0:0]
        source = rows["source"].iloc[0] if "source" in rows.columns else None
        mask = problems["line"].isin(rows["line"].astype("int64").tolist())
        if source is not None:
            mask &= problems["file"] == source
        return problems[mask].reset_index(drop=True)


def problems_of(reports: list[QualityReport]) -> pd.DataFrame:
    """The problems tables of several reports (grading.md §1.1), with the file name first."""
    frames = []
    for report in reports:
        frame = report.to_frame().copy()
        frame.insert(0, "file", report.source)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["file", "line", "column", "raw", "reason", "kind"])
    return pd.concat(frames, ignore_index=True)


def current_ward() -> Ward | None:
    ward = st.session_state.get(WARD_KEY)
    return ward if isinstance(ward, Ward) else None


def set_ward(ward: Ward | None) -> None:
    st.session_state[WARD_KEY] = ward
    st.session_state.pop(PATIENT_KEY, None)


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its name and bytes."""

    name: str
    data: bytes


def load_ward(
    exports: list[Upload],
    patients: Upload | None = None,
    patient_id: str | None = None,
    on_progress: Callable[[float, str | None], None] | None = None,
) -> Ward:
    """Read and grade every export (each with the patients table), as one ward.

    ``on_progress`` is an optional callable ``(fraction done, name of the file being
    read)``, the name None when done; the caller shows it (escaped: ui.text).
    A patient appearing in two exports is refused with a clear message rather than
    merged silently (which rows win would be a guess).
    """
    if not exports:
        raise UnusableExportError("No time-series export was uploaded; upload at least one CSV.")
    graded_frames, reports, axes, sources = [], [], [], []
    key = hashlib.sha256(str(patient_id).encode())
    for upload in [*exports, *([patients] if patients is not None else [])]:
        key.update(hashlib.sha256(upload.data).digest() + upload.name.encode() + b"\0")
    seen: dict[str, str] = {}
    for number, upload in enumerate(exports):
        if on_progress is not None:
            on_progress(number / len(exports), upload.name)
        graded, report, axis = read_and_grade(
            upload.data,
            upload.name,
            patients.data if patients is not None else None,
            patient_id or None,
        )
        for pid in pd.unique(graded["patient_id"].astype("str")):
            if pid in seen:
                raise UnusableExportError(
                    f"Patient {pid} is in both {seen[pid]} and {upload.name}. "
                    "Upload one export per patient (or combine the files first)."
                )
            seen[pid] = upload.name
        graded_frames.append(graded.assign(source=upload.name))
        reports.append(report)
        axes.append(axis)
        sources.append(upload.name)
    if len(set(axes)) > 1:
        raise UnusableExportError(
            "Some exports give clock times and others only days since infusion; "
            "upload files that use the same time axis together."
        )
    if on_progress is not None:
        on_progress(1.0, None)
    graded = (
        pd.concat(graded_frames, ignore_index=True) if len(graded_frames) > 1 else graded_frames[0]
    )
    if patients is not None:
        sources.append(f"{patients.name} (patients table)")
    return Ward(graded=graded, reports=reports, axis=axes[0], sources=sources, key=key.hexdigest())


@st.cache_resource(show_spinner=False, max_entries=2)
def _sample_ward(key: str, _exports: list[Upload], _patients: Upload | None) -> Ward:
    # One shared, read-only Ward for every session that opens the sample ward (issue
    # #15: a new session, a new tab, a link, must not read and grade it again).
    ward = load_ward(_exports, _patients)
    # Made-up patients: shown read-only in this session, never written to the ward store.
    ward.kind = "sample"
    ward.census()
    return ward


def load_sample(on_progress: Callable[[float, str | None], None] | None = None) -> Ward:
    """The bundled sample ward (data/sample_ward.csv with data/sample_ward_patients.csv),
    read and graded once per process and shared by the sessions that open it."""
    exports = [Upload(SAMPLE_WARD.name, SAMPLE_WARD.read_bytes())]
    patients = (
        Upload(SAMPLE_PATIENTS.name, SAMPLE_PATIENTS.read_bytes())
        if SAMPLE_PATIENTS.exists()
        else None
    )
    key = hashlib.sha256()
    for upload in [*exports, *([patients] if patients is not None else [])]:
        key.update(hashlib.sha256(upload.data).digest())
    if on_progress is not None:
        on_progress(0.0, SAMPLE_WARD.name)
    ward = _sample_ward(key.hexdigest(), exports, patients)
    if on_progress is not None:
        on_progress(1.0, None)
    return ward
