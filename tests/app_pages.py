"""Shared AppTest helpers: a ward loaded from files, and one page run on it."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui.session import PATIENT_KEY, WARD_KEY, Upload, Ward, load_ward

REPO = Path(__file__).resolve().parents[1]


def ward_from(export: Path, patients: Path) -> Ward:
    """The ward the Home page would load from this export and patients table."""
    return load_ward(
        [Upload(export.name, export.read_bytes())],
        Upload(patients.name, patients.read_bytes()),
    )


def run_page(name: str, ward: Ward, patient: str | None, timeout: float) -> AppTest:
    """Run ``pages/<name>`` on ``ward`` (and a chosen patient); it must not raise."""
    at = AppTest.from_file(str(REPO / "pages" / name), default_timeout=timeout)
    at.session_state[WARD_KEY] = ward
    if patient is not None:
        at.session_state[PATIENT_KEY] = patient
        at.query_params["patient"] = patient
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at
