"""The dashboard on the ward store (issue "Ward memory"; docs/architecture.md §7), with
Streamlit's AppTest and a temporary SQLite store per test.

Uploads are merged into the store and survive a restart; the same file twice changes
nothing; a clinician's attribution (grading.md §5) changes the grade shown, is drawn on
the chart, is withdrawn and audited; archiving takes a patient off the ward round; the
audit log downloads as a formula-safe CSV; the sample ward never enters the store.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import plotly.io
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from crs.store import open_store

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
HOME = str(REPO / "app.py")
WARD_ROUND = str(REPO / "pages" / "1_Ward_round.py")
PATIENT = str(REPO / "pages" / "2_Patient.py")
TIMEOUT = 120

#: Patient A: fever at 08:00 and 12:00 (grade 1, driver fever), afebrile at 16:00.
#: Patient B: hypotension (grade 2) at one time point.
FEVER_COURSE = b"""patient_id,time,temp_c,sbp_mmhg
A,2024-03-01T08:00,38.5,120
A,2024-03-01T12:00,39.0,118
A,2024-03-01T16:00,37.0,121
B,2024-03-01T09:00,37.2,82
"""


@pytest.fixture(autouse=True)
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh temporary SQLite store for every test (never the clinician's data)."""
    url = f"sqlite:///{tmp_path / 'ward.sqlite3'}"
    monkeypatch.setenv("CRS_DATABASE_URL", url)
    return url


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _click(at: AppTest, label: str) -> AppTest:
    [button] = [b for b in at.button if b.label == label]
    return button.click().run()


def _upload(files: list[tuple[str, bytes]], author: str = "") -> AppTest:
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT).run()
    at.file_uploader[0].set_value([(name, data, "text/csv") for name, data in files]).run()
    if author:
        at.text_input(key="import_author").input(author).run()
    return _click(at, "Read and grade")


def _stored(store_url: str, content: bytes = FEVER_COURSE) -> None:
    open_store(store_url).import_file(content, name="course.csv", author="Nurse N")


def _census(at: AppTest):
    [table] = [d for d in at.dataframe if "Patient" in d.value.columns]
    return table.value


def _patient_page(patient: str) -> AppTest:
    at = AppTest.from_file(PATIENT, default_timeout=TIMEOUT)
    at.query_params["patient"] = patient
    return at.run()


def _graded_rows(at: AppTest):
    [rows] = [d for d in at.dataframe if "Explanation" in d.value.columns]
    return rows.value


def _frame_with(at: AppTest, column: str):
    """The one table on the page with that column (AppTest does not expose table keys)."""
    [table] = [d for d in at.dataframe if column in d.value.columns]
    return table.value


def _audit(at: AppTest):
    return _frame_with(at, "Action")


def test_an_upload_is_merged_into_the_store_and_survives_a_restart(store_url):
    at = _upload(
        [
            ("case1.csv", (DATA / "case1.csv").read_bytes()),
            ("patients.csv", (DATA / "paper_cases_patients.csv").read_bytes()),
        ],
        author="Dr Ada",
    )
    _no_exception(at)
    assert not at.error, _texts(at.error)
    assert "Loaded 1 patients, 81 graded time points" in _texts(at.success)
    assert "81 new time points" in _texts(at.caption)

    # A restart: a new process has no cached Store and no session; same database file.
    st.cache_resource.clear()
    at = AppTest.from_file(WARD_ROUND, default_timeout=TIMEOUT).run()
    _no_exception(at)
    census = _census(at)
    assert census["Patient"].tolist() == ["CASE1"]
    stored = open_store(store_url)
    assert stored.imports()["author"].tolist() == ["Dr Ada"]
    # The patients table was used: CASE1's age (11 years) is stored with the rows.
    assert stored.frame()["age_years"].iloc[0] == 11


def test_uploading_the_same_file_twice_changes_nothing(store_url):
    files = [("case3.csv", (DATA / "case3.csv").read_bytes())]
    _upload(files)
    before = open_store(store_url).frame()
    at = _upload(files)
    _no_exception(at)
    assert "already imported" in _texts(at.caption)
    store = open_store(store_url)
    assert len(store.imports()) == 1
    assert store.frame().equals(before)


def test_every_upload_attempt_is_in_the_audit_log_a_resend_and_a_refused_file_included(
    store_url,
):
    # Issue #18: the audit log records every import attempt, with who made it.
    files = [("case3.csv", (DATA / "case3.csv").read_bytes())]
    _upload(files, author="Dr Ada")
    _no_exception(_upload(files, author="Dr Bo"))
    at = _upload([("login.csv", b"<html><body>Sign in</body></html>")], author="Dr Cy")
    _no_exception(at)
    assert len(at.error) == 1
    audit = open_store(store_url).audit_log()
    assert audit["action"].tolist() == ["import"] * 3
    assert audit["author"].tolist() == ["Dr Ada", "Dr Bo", "Dr Cy"]
    imported, resent, refused = audit["what"].tolist()
    assert imported.startswith("case3.csv: import 1:")
    assert resent == "case3.csv: already imported (import 1, same content); nothing changed."
    assert refused.startswith("login.csv: not imported, nothing changed: ")
    assert audit["import_id"].tolist()[:2] == [1, 1] and pd.isna(audit["import_id"].iloc[2])


def test_an_unusable_upload_is_named_visibly_and_nothing_is_stored(store_url):
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT).run()
    at.file_uploader[0].set_value(("notes.csv", b"just,some\nwords,here\n", "text/csv")).run()
    at = _click(at, "Read and grade")
    _no_exception(at)
    assert len(at.error) == 1 and "patient" in at.error[0].value.lower()
    # Not hidden inside the collapsed progress box.
    assert all(len(box.error) == 0 for box in at.get("status"))
    assert open_store(store_url).imports().empty


def test_the_home_page_names_the_store_and_lists_each_import_with_its_report(store_url):
    _stored(store_url)
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT).run()
    _no_exception(at)
    assert "ward.sqlite3" in _texts(at.markdown)
    imports = _frame_with(at, "New time points")
    assert imports["File"].tolist() == ["course.csv"]
    assert imports["Rows read"].tolist() == [4]
    assert "Import 1 (course.csv): 4 read = 4 graded" in _texts(at.caption).replace("\\", "")


def test_opening_the_sample_ward_writes_nothing_into_the_store(store_url):
    at = _click(AppTest.from_file(HOME, default_timeout=TIMEOUT).run(), "Open the sample ward")
    _no_exception(at)
    assert "Sample ward" in _texts(at.info)
    assert open_store(store_url).imports().empty


def test_the_ward_round_lists_every_stored_patient_once(store_url):
    _stored(store_url)
    at = AppTest.from_file(WARD_ROUND, default_timeout=TIMEOUT).run()
    _no_exception(at)
    census = _census(at)
    assert census["Patient"].tolist() == ["B", "A"]  # sickest first: grade 2, then 0
    assert census["Grade now"].tolist() == [2, 0]


def test_archiving_removes_a_patient_from_the_ward_round_and_restoring_brings_it_back(
    store_url,
):
    _stored(store_url)
    at = AppTest.from_file(WARD_ROUND, default_timeout=TIMEOUT).run()
    at.selectbox(key="archive_patient").set_value("B").run()
    at = _click(at, "Archive (discharged)")
    assert "your name is required" in _texts(at.error).lower()
    assert open_store(store_url).patients(include_archived=False)["patient_id"].tolist() == [
        "A",
        "B",
    ]

    at.text_input(key="archive_author_ward_round").input("Dr Bea").run()
    at = _click(at, "Archive (discharged)")
    _no_exception(at)
    assert _census(at)["Patient"].tolist() == ["A"]

    at.checkbox(key="crs_show_archived").check().run()
    census = _census(at)
    assert sorted(census["Patient"]) == ["A", "B"]
    assert census.set_index("Patient").loc["B", "Archived"] == "archived"

    at.selectbox(key="archive_patient").set_value("B").run()
    at.text_input(key="archive_author_ward_round").input("Dr Bea").run()
    at = _click(at, "Bring back to the ward round")
    _no_exception(at)
    at.checkbox(key="crs_show_archived").uncheck().run()
    assert sorted(_census(at)["Patient"]) == ["A", "B"]
    actions = open_store(store_url).audit_log("B")["action"].tolist()
    assert actions == ["archive", "restore"]


def _attribute(at: AppTest, reason: str, author: str) -> AppTest:
    # The form's defaults: the chosen time point (first at the worst grade: A's 08:00,
    # driver fever) ± 12 h, which covers both febrile time points.
    at.text_area(key="attr_reason_0").input(reason)
    at.text_input(key="attr_author_0").input(author)
    return _click(at, "Mark as not CRS")


def test_an_attribution_changes_the_grade_shown_draws_on_the_chart_and_is_audited(store_url):
    _stored(store_url)
    at = _patient_page("A")
    _no_exception(at)
    assert _graded_rows(at)["Grade"].tolist() == [1, 1, 0]
    assert at.selectbox(key="attr_criterion_0").value == "fever"

    at = _attribute(at, "line sepsis, cultures positive", "Dr Cy")
    _no_exception(at)
    rows = _graded_rows(at)
    assert rows["Grade"].tolist() == [0, 0, 0]
    assert rows["Not CRS here (attributed)"].str.startswith("Fever").tolist() == [
        True,
        True,
        False,
    ]
    audit = _audit(at)
    assert audit["Action"].tolist()[-1] == "attribute"
    assert audit["Who"].tolist()[-1] == "Dr Cy"
    assert audit["Why"].tolist()[-1] == "line sepsis, cultures positive"
    listed = _frame_with(at, "Finding not CRS")
    assert listed["Status"].tolist() == ["in effect"]

    figure = plotly.io.from_json(at.get("plotly_chart")[0].proto.spec)
    assert any(shape.name == "attribution:fever" for shape in figure.layout.shapes)
    [marks] = [t for t in figure.data if t.name == "Attributed to another cause"]
    assert len(marks.text) == 2
    assert "by Dr Cy: line sepsis" in marks.text[0]


def test_an_attribution_needs_a_reason_and_a_name(store_url):
    _stored(store_url)
    at = _attribute(_patient_page("A"), "", "")
    _no_exception(at)
    assert "A reason and your name are required" in _texts(at.error)
    assert open_store(store_url).attributions().empty
    assert _graded_rows(at)["Grade"].tolist() == [1, 1, 0]


def test_withdrawing_an_attribution_restores_the_grade_and_is_audited(store_url):
    _stored(store_url)
    at = _attribute(_patient_page("A"), "line sepsis", "Dr Cy")
    assert _graded_rows(at)["Grade"].tolist() == [0, 0, 0]

    at.text_input(key="withdraw_reason").input("cultures were contaminated")
    at.text_input(key="withdraw_author").input("Dr Dee")
    at = _click(at, "Withdraw attribution")
    _no_exception(at)
    assert _graded_rows(at)["Grade"].tolist() == [1, 1, 0]
    audit = _audit(at)
    assert audit["Action"].tolist()[-2:] == ["attribute", "withdraw"]
    assert audit["Who"].tolist()[-1] == "Dr Dee"
    # Nothing is deleted: the withdrawn attribution is still listed, marked as such.
    status = _frame_with(at, "Finding not CRS")["Status"].iloc[0]
    assert status.startswith("withdrawn") and "Dr Dee: cultures were contaminated" in status


@pytest.fixture
def downloads(captured_downloads: dict[str, bytes]) -> dict[str, bytes]:
    """Bytes given to every st.download_button, by file name (tests/conftest.py)."""
    return captured_downloads


def test_the_audit_log_downloads_as_a_formula_safe_csv(store_url, downloads):
    _stored(store_url)
    at = _attribute(_patient_page("A"), "+cmd|' /C calc'!A0", '=HYPERLINK("http://x.invalid")')
    _no_exception(at)
    data = downloads["crs_audit_log.csv"]
    cells = [cell for row in csv.reader(io.StringIO(data.decode("utf-8"))) for cell in row]
    assert '\'=HYPERLINK("http://x.invalid")' in cells
    assert "'+cmd|' /C calc'!A0" in cells
    # No cell a spreadsheet would run as a formula.
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]


def test_an_archived_patient_opened_by_link_can_be_brought_back_from_the_patient_page(
    store_url,
):
    _stored(store_url)
    open_store(store_url).archive("B", "Dr Bea", "discharged home")
    at = _patient_page("B")
    _no_exception(at)
    assert "archived" in _texts(at.warning)
    at.text_input(key="archive_author_patient").input("Dr Bea").run()
    at = _click(at, "Bring back to the ward round")
    _no_exception(at)
    assert open_store(store_url).patients(include_archived=False)["patient_id"].tolist() == [
        "A",
        "B",
    ]


def test_on_a_day_axis_the_attribution_range_is_entered_in_days_since_infusion(store_url):
    days = b"patient_id,day,temp_c\nD,1.0,38.5\nD,1.5,39.0\nD,2.0,37.0\n"
    _stored(store_url, days)
    at = _patient_page("D")
    # Defaults: the chosen time point (day 1.0, the first at the worst grade) ± half a day.
    assert at.number_input(key="attr_start_0").value == pytest.approx(0.5)
    assert at.number_input(key="attr_end_0").value == pytest.approx(1.5)
    at.number_input(key="attr_end_0").set_value(1.25)
    at = _attribute(at, "drug fever", "Dr Eve")
    _no_exception(at)
    assert _graded_rows(at)["Grade"].tolist() == [0, 1, 0]
    listed = _frame_with(at, "Finding not CRS")
    assert listed[["From", "To"]].iloc[0].tolist() == ["day 0.50", "day 1.25"]
