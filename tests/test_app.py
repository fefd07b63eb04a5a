"""The dashboard with Streamlit's AppTest: the real reader, grader and treatment pipeline.

Uploads go through st.file_uploader (AppTest 1.67 supports ``set_value`` with file
bytes), so the Home page's own upload code path is exercised end to end.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from crs.store import open_store
from tests.markdown_text import seen, seen_all
from ui.session import WARD_KEY, Ward, load_sample
from ui.text import md_escape

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
APP = str(REPO / "app.py")
PAGES = ["pages/1_Ward_round.py", "pages/2_Patient.py", "pages/3_Reference.py"]
TIMEOUT = 120


@pytest.fixture(autouse=True)
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Uploads go to the ward store: a fresh temporary SQLite file per test."""
    url = f"sqlite:///{tmp_path / 'ward.sqlite3'}"
    monkeypatch.setenv("CRS_DATABASE_URL", url)
    return url


def _home() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT).run()


def _click(at: AppTest, label: str) -> AppTest:
    [button] = [b for b in at.button if b.label == label]
    return button.click().run()


def _texts(elements) -> str:
    return seen_all(elements)


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture(scope="module")
def sample_ward() -> Ward:
    return load_sample()


def _with_ward(path: str, ward: Ward) -> AppTest:
    at = AppTest.from_file(str(REPO / path), default_timeout=TIMEOUT)
    at.session_state[WARD_KEY] = ward
    return at


def test_home_page_without_data_offers_upload_and_the_sample_ward():
    at = _home()
    _no_exception(at)
    assert len(at.file_uploader) == 1
    assert any(b.label == "Open the sample ward" for b in at.button)
    assert "Decision support, not orders" in _texts(at.caption)


def test_sample_ward_loads_with_its_quality_report():
    at = _click(_home(), "Open the sample ward")
    _no_exception(at)
    ward = at.session_state[WARD_KEY]
    patients = ward.graded["patient_id"].nunique()
    assert patients == len(
        (DATA / "sample_ward_patients.csv").read_text(encoding="utf-8").strip().splitlines()[1:]
    )
    assert f"Loaded {patients} patients" in _texts(at.success)
    assert any(m.label == "Rows read" for m in at.metric)


def test_uploaded_export_and_patients_table_are_recognised_and_graded(store_url):
    at = _home()
    at.file_uploader[0].set_value(
        [
            ("case1.csv", (DATA / "case1.csv").read_bytes(), "text/csv"),
            ("patients.csv", (DATA / "paper_cases_patients.csv").read_bytes(), "text/csv"),
        ]
    ).run()
    _no_exception(at)
    # Labels are markdown: a file name is shown escaped (case1\\.csv reads case1.csv).
    roles = {r.label.replace("\\", ""): r.value for r in at.radio}
    assert roles["case1.csv"].startswith("Time series")
    assert roles["patients.csv"].startswith("Patients table")
    at = _click(at, "Read and grade")
    _no_exception(at)
    graded = open_store(store_url).graded()
    assert set(graded["patient_id"]) == {"CASE1"}
    # The patients table was used: CASE1's age comes from it.
    assert graded["age_years"].iloc[0] == 11
    assert graded["grade"].max() >= 1


def test_unusable_file_shows_its_message_and_no_exception():
    at = _home()
    at.file_uploader[0].set_value(("notes.csv", b"just,some\nwords,here\n", "text/csv")).run()
    at = _click(at, "Read and grade")
    _no_exception(at)
    assert len(at.error) == 1
    message = at.error[0].value
    assert "patient" in message.lower()
    # Not hidden inside the collapsed progress box.
    assert all(len(box.error) == 0 for box in at.get("status"))
    assert WARD_KEY not in at.session_state or at.session_state[WARD_KEY] is None


def test_one_patient_file_without_patient_column_is_graded_once_named(store_url):
    content = b"time,temp_c,sbp_mmhg\n2024-03-01T08:00,38.4,120\n2024-03-01T12:00,39.0,85\n"
    at = _home()
    at.file_uploader[0].set_value(("one.csv", content, "text/csv")).run()
    [name_box] = [box for box in at.text_input if "no patient column" in box.label]
    name_box.input("Bed 7").run()
    at = _click(at, "Read and grade")
    _no_exception(at)
    graded = open_store(store_url).graded()
    assert list(graded["patient_id"].unique()) == ["Bed 7"]
    assert list(graded["grade"]) == [1, 2]


def test_census_has_one_row_per_patient(sample_ward):
    at = _with_ward(PAGES[0], sample_ward).run()
    _no_exception(at)
    [table] = [d for d in at.dataframe if "Patient" in d.value.columns]
    assert len(table.value) == sample_ward.graded["patient_id"].nunique()
    assert table.value["Patient"].is_unique
    grades = table.value["Grade now"].tolist()
    assert grades == sorted(grades, reverse=True)


def test_filter_by_grade_keeps_only_that_grade(sample_ward):
    at = _with_ward(PAGES[0], sample_ward).run()
    at.multiselect[0].set_value([3]).run()
    _no_exception(at)
    [table] = [d for d in at.dataframe if "Patient" in d.value.columns]
    expected = (sample_ward.census()["grade"] == 3).sum()
    assert len(table.value) == expected
    assert set(table.value["Grade now"]) <= {3}


def test_selecting_a_patient_opens_its_timeline(sample_ward):
    at = _with_ward("app.py", sample_ward).run()
    at.switch_page(PAGES[0]).run()
    sickest = sample_ward.census()["patient_id"].iloc[0]
    # The ward round's own chooser (the first selectbox sorts the round).
    [chooser] = [box for box in at.selectbox if box.label == "Open a patient's timeline"]
    chooser.set_value(sickest).run()
    at = _click(at, "Open timeline")
    _no_exception(at)
    assert at.query_params.get("patient") == sickest
    assert at.selectbox[0].value == sickest
    assert len(at.get("plotly_chart")) == 1


def test_patient_page_opened_by_link_shows_that_patient(sample_ward):
    patient = sample_ward.census()["patient_id"].iloc[-1]
    at = _with_ward(PAGES[1], sample_ward)
    at.query_params["patient"] = patient
    at.run()
    _no_exception(at)
    assert at.selectbox[0].value == patient
    [rows] = [d for d in at.dataframe if "Explanation" in d.value.columns]
    assert len(rows.value) == len(sample_ward.patient(patient))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opened_directly_without_data_runs(page):
    at = AppTest.from_file(str(REPO / page), default_timeout=TIMEOUT).run()
    _no_exception(at)
    if page != "pages/3_Reference.py":
        assert "No ward is loaded" in _texts(at.info)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_with_the_sample_ward(page, sample_ward):
    at = _with_ward(page, sample_ward).run()
    _no_exception(at)
    assert not at.error


def test_reference_page_shows_the_tables_and_decisions():
    at = AppTest.from_file(str(REPO / PAGES[2]), default_timeout=TIMEOUT).run()
    text = _texts(at.markdown)
    assert "Table 2" in text and "Table 3" in text and "Figure 2" in text
    assert "clinical judgment" in text


# --- treatment panels (treatment.md §1–§4) ---------------------------------------------

GRADE_2_COURSE = b"""patient_id,time,temp_c,sbp_mmhg,crp_mg_l,tocilizumab_mg,age_years,weight_kg
X,2024-03-01T08:00,38.4,120,10,,70,80
X,2024-03-01T12:00,39.0,85,100,,70,80
X,2024-03-02T12:00,38.6,86,200,,70,80
X,2024-03-03T12:00,37.0,110,120,,70,80
X,2024-03-04T12:00,37.0,112,60,,70,80
"""


def _uploaded_ward(content: bytes) -> Ward:
    from ui.session import Upload, load_ward

    return load_ward([Upload("course.csv", content)])


def _patient_page(ward: Ward, patient: str) -> AppTest:
    at = _with_ward(PAGES[1], ward)
    at.query_params["patient"] = patient
    return at.run()


def _decoded(values) -> list:
    """Plotly's JSON sends arrays typed ({dtype, bdata} in base64): decode them."""
    import base64

    import numpy as np

    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def _chart(at: AppTest):
    import plotly.io

    [chart] = at.get("plotly_chart")
    return plotly.io.from_json(chart.proto.spec)


def test_dose_panel_shows_the_label_dose_first_with_sources_erratum_and_local_protocols():
    at = _patient_page(_uploaded_ward(GRADE_2_COURSE), "X")
    # Behind an expander whose title says what the doses are not; built when opened.
    [doses] = [
        e for e in at.expander if e.label == "Reference doses — not doses given or prescribed"
    ]
    assert not [t for t in at.table if "For this patient" in t.value.columns]
    at.session_state["reference_doses"] = True
    at.run()
    _no_exception(at)
    text = _texts(at.markdown) + _texts(at.caption)
    assert "Reference doses — not doses given or prescribed" in text
    assert "weight 80 kg" in text
    assert "Blood 2015;126(8):1048" in text and "dosage error in article text" in text
    assert "product label" in text and "Lee DW et al." in text
    assert "local protocols" in " ".join(info.value for info in at.info)
    tables = [t.value for t in at.table if "For this patient" in t.value.columns]
    label, paper = tables[0], tables[1]
    # Label (treatment.md §3): 8 mg/kg from 30 kg, 640 mg for 80 kg; shown first.
    assert label.loc["30 kg or more", "For this patient"] == "640 mg per dose"
    assert label.loc["30 kg or more", "Per kg"] == "8 mg/kg"
    # The paper's 4 mg/kg for adults beside it, not computed.
    assert paper.loc[md_escape("adults (18 years and older)"), "Per kg"] == "4 mg/kg"
    assert "not computed" in paper.loc[md_escape("adults (18 years and older)"), "For this patient"]
    assert "up to 3 further doses at least 8 hours apart" in text


def test_grade_2_panel_says_why_the_patient_is_high_risk_and_comorbidities_not_recorded():
    at = _patient_page(_uploaded_ward(GRADE_2_COURSE), "X")
    # The other time point defaults to the latest (issue #15); row 1 is the grade 2.
    assert at.selectbox[1].value == 4
    at.selectbox[1].set_value(1).run()
    text = _texts(at.markdown) + _texts(at.caption)
    assert "High risk at grade 2: **yes** (age ≥ 65)" in text
    assert "Comorbidities were not recorded" in text


def test_crp_peak_is_marked_on_the_timeline_once_past_peak_holds():
    at = _patient_page(_uploaded_ward(GRADE_2_COURSE), "X")
    [peak] = [t for t in _chart(at).data if t.name == "CRP peak (past)"]
    assert _decoded(peak.y) == [200.0]
    assert "infection" in peak.hovertemplate


TOCILIZUMAB_COURSE = b"""patient_id,time,temp_c,sbp_mmhg,crp_mg_l,tocilizumab_mg,age_years,weight_kg
T,2024-03-01T08:00,39.0,85,200,,70,80
T,2024-03-01T12:00,38.5,86,250,640,70,80
T,2024-03-02T12:00,37.0,110,150,,70,80
T,2024-03-03T12:00,37.0,112,90,,70,80
"""


def test_after_tocilizumab_the_crp_alert_and_caveats_say_tocilizumab_lowers_crp():
    # treatment.md §2 [v2]: CRP 250 -> 150 -> 90 (36 % of the peak), grade 0 as 24 h
    # before, after tocilizumab 640 mg: the alert and every CRP caveat carry the note.
    from crs.views.reference import TOCILIZUMAB_CRP_NOTE

    at = _patient_page(_uploaded_ward(TOCILIZUMAB_COURSE), "T")
    _no_exception(at)
    [alert] = [seen(i.value) for i in at.info if "likely past the peak" in i.value][:1]
    assert TOCILIZUMAB_CRP_NOTE in alert
    captions = [seen(c.value) for c in at.caption if "lags the cytokines" in c.value]
    assert len(captions) == 2
    assert all(TOCILIZUMAB_CRP_NOTE in c for c in captions)
    [peak] = [t for t in _chart(at).data if t.name == "CRP peak (past)"]
    assert _decoded(peak.y) == [250.0]
    assert TOCILIZUMAB_CRP_NOTE in peak.hovertemplate


def test_fold_change_table_and_ferritin_note_are_shown():
    at = _patient_page(_uploaded_ward(GRADE_2_COURSE), "X")

    folds = next(t.value for t in at.table if "Peak × baseline" in t.value.columns)
    # Baseline = first CRP (no value before infusion): 10 mg/L; peak 200 → × 20.
    # (st.table cells are Markdown: the labels are escaped, and render as written.)
    assert folds.loc[md_escape("CRP (mg/L)"), "Peak × baseline"] == "× 20.0"
    assert "has not predicted" in _texts(at.caption)


def test_alert_filter_on_the_ward_round_keeps_only_patients_with_alerts(sample_ward):
    at = _with_ward(PAGES[0], sample_ward).run()
    at.checkbox[0].check().run()
    _no_exception(at)
    [table] = [d for d in at.dataframe if "Patient" in d.value.columns]
    expected = (sample_ward.census()["alerts"] != "").sum()
    assert len(table.value) == expected
    assert (table.value["Alerts"] != "").all()
