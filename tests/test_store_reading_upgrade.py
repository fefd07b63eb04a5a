"""The ward store stays truthful across version 2 of the reading rules (issue #11 item 9).

A store at revision 0002 is filled as the version-1 reader filled it (tests/store_v1.py):
a European export with bare ``Creatinine`` (80 µmol/L) and ``Fibrinogen`` (2.5 g/L)
columns stored as 80 mg/dL and 2.5 mg/dL — CRS grade 4 by "creatinine > 6 × ULN" and
"fibrinogen < 50 mg/dL" — and a normal creatinine of 1.1 mg/dL from another import.
``open_store`` upgrades it. Expected values are worked out by hand from grading.md §1,
§1.1 and §3.4 (80 ÷ 88.4 = 0.905 mg/dL; 2.5 g/L × 100 = 250 mg/dL). Every test runs on
SQLite and on a real PostgreSQL server (tests/pg_server.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from crs.cli import main
from crs.read.columns import READING_VERSION
from crs.store import cache, open_store
from crs.store.marks import SYSTEM_AUTHOR
from crs.treatment.pipeline import grade_frame
from tests.markdown_text import seen, seen_all
from tests.pg_server import postgres_server  # noqa: F401  (session fixture)
from tests.store_v1 import v1_attribution, v1_import, v1_store, ward

REPO = Path(__file__).resolve().parents[1]
HOME = str(REPO / "app.py")
PATIENT = str(REPO / "pages" / "2_Patient.py")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

#: The European export: bare lab headers, creatinine in µmol/L, fibrinogen in g/L.
EUROPE = (
    b"patient_id,time,temperature,Creatinine,Fibrinogen\n"
    b"P1,2024-05-01T08:00,38.4,80,2.5\n"
    b"P1,2024-05-01T20:00,37.2,85,2.4\n"
)
#: What the version-1 reader stored from it (no unit check of bare lab columns).
EUROPE_V1 = ward(
    patient_id=["P1", "P1"],
    time=["2024-05-01T08:00", "2024-05-01T20:00"],
    temp_c=[38.4, 37.2],
    creatinine_mg_dl=[80.0, 85.0],
    fibrinogen_mg_dl=[2.5, 2.4],
)
#: Another import: a normal creatinine, in mg/dL by its name.
OTHER = b"patient_id,time,creatinine_mg_dl\nP2,2024-05-01T09:00,1.1\n"
OTHER_V1 = ward(patient_id=["P2"], time=["2024-05-01T09:00"], creatinine_mg_dl=[1.1])


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ward.sqlite3'}"
    return request.getfixturevalue("postgres_server").fresh_database()


@pytest.fixture
def v1_url(empty_url: str) -> str:
    """A store at revision 0002 holding the two imports as version 1 stored them."""
    engine = v1_store(empty_url)
    v1_import(engine, EUROPE_V1, file_name="europe.csv", data=EUROPE)
    v1_import(engine, OTHER_V1, file_name="other.csv", data=OTHER)
    engine.dispose()
    return empty_url


@pytest.fixture
def upgraded(v1_url: str):
    store = open_store(v1_url)
    yield store
    store.close()


def marked(store) -> set[tuple[str, str, int]]:
    marks = store.reading_marks()
    return set(zip(marks["patient_id"], marks["variable"], marks["values"], strict=True))


def column(frame: pd.DataFrame, patient: str, name: str) -> list[float]:
    return frame.loc[frame["patient_id"] == patient, name].tolist()


def test_the_version_1_values_are_the_dangerous_case_grade_4_by_creatinine_and_fibrinogen():
    graded = grade_frame(EUROPE_V1)
    assert graded["grade"].tolist() == [4, 4]
    assert graded["organ_creatinine"].tolist() == [4, 4]
    assert graded["organ_fibrinogen"].tolist() == [4, 4]


def test_the_upgrade_marks_the_misread_labs_and_leaves_them_out_of_grading(upgraded) -> None:
    # P1's creatinine (median 82.5 > 20: µmol/L) and fibrinogen (median 2.45 < 20: g/L);
    # P2's creatinine of 1.1 from another import reads the same today: not marked.
    assert marked(upgraded) == {("P1", "creatinine_mg_dl", 2), ("P1", "fibrinogen_mg_dl", 2)}
    assert upgraded.imports()["reading_version"].tolist() == [1, 1]
    assert cached_numbers(upgraded) == {
        ("P1", "temp_c"),  # the cache the ward round reads holds no marked value
        ("P2", "creatinine_mg_dl"),
    }
    graded = upgraded.graded()
    # Fever at 08:00 (38.4 °C) is all that is left: grade 1, then 0 — no longer 4.
    assert column(graded, "P1", "grade") == [1, 0]
    assert column(graded, "P1", "drivers") == ["fever", ""]
    assert column(graded, "P1", "organ_creatinine") == [0, 0]
    assert column(graded, "P1", "organ_fibrinogen") == [0, 0]
    frame = upgraded.frame()
    assert np.isnan(column(frame, "P1", "creatinine_mg_dl")).all()
    assert np.isnan(column(frame, "P1", "fibrinogen_mg_dl")).all()
    assert column(frame, "P2", "creatinine_mg_dl") == [1.1]
    assert column(upgraded.ward_round(), "P1", "grade") == [0]
    # A patient without a cache row (a store migrated from revision 0001) is read from
    # the long tables: the marked values are left out there too.
    with upgraded.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM patient_cache"))
    pd.testing.assert_frame_equal(upgraded.graded(), graded)


def cached_numbers(store) -> set[tuple[str, str]]:
    """(patient, variable) of every number in the patient cache."""
    with store.engine.connect() as connection:
        rows = [tuple(r) for r in connection.execute(sa.text("SELECT * FROM patient_cache"))]
        patients = dict(connection.execute(sa.text("SELECT id, patient_id FROM patients")).all())
        names = dict(connection.execute(sa.text("SELECT id, name FROM variables")).all())
    _, numbers = cache.unpack(rows)
    return {(patients[k], names[v]) for k, v in zip(numbers["key"], numbers["var"], strict=True)}


def test_the_marking_is_in_the_audit_log_in_words_under_the_system(upgraded) -> None:
    audit = upgraded.audit_log("P1")
    left_out = audit[audit["author"] == SYSTEM_AUTHOR]
    assert left_out["action"].tolist() == ["left out", "left out"]
    assert left_out["import_id"].tolist() == [1, 1]
    creatinine, fibrinogen = left_out["what"].tolist()
    assert creatinine.startswith("Creatinine of this patient from europe.csv (import 1) left out")
    assert "median 82.5 is above 20" in creatinine and "µmol/L" in creatinine
    assert fibrinogen.startswith("Fibrinogen of this patient from europe.csv (import 1) left out")
    assert "median 2.45 is below 20" in fibrinogen and "g/L" in fibrinogen
    assert "_mg_dl" not in creatinine + fibrinogen


def test_re_importing_the_same_file_reads_it_anew_records_the_changes_and_clears_the_marks(
    upgraded,
) -> None:
    result = upgraded.import_file(EUROPE, name="europe.csv", author="Dr B")
    assert not result.already_imported
    assert result.values_changed == 4  # two creatinine and two fibrinogen values
    assert result.read_again == ("P1: creatinine", "P1: fibrinogen")
    assert "back in grading: P1: creatinine; P1: fibrinogen" in result.summary()
    assert upgraded.imports()["reading_version"].tolist() == [1, 1, READING_VERSION]
    assert upgraded.reading_marks().empty
    assert ("P1", "creatinine_mg_dl") in cached_numbers(upgraded)  # back in the cache
    changes = upgraded.changes("P1")
    assert changes["variable"].tolist() == ["creatinine_mg_dl"] * 2 + ["fibrinogen_mg_dl"] * 2
    assert changes["old_num"].tolist() == [80.0, 85.0, 2.5, 2.4]
    np.testing.assert_allclose(changes["new_num"], [80 / 88.4, 85 / 88.4, 250.0, 240.0])
    graded = upgraded.graded()
    np.testing.assert_allclose(column(graded, "P1", "grade"), [1, 0])  # fever only
    # 0.905 ≤ ULN 1.2; then 0.962 is 1.06 × the baseline 0.905: CTCAE grade 1, which is
    # below the organ toxicity criterion (grade ≥ 2).
    assert column(graded, "P1", "organ_creatinine") == [0, 1]
    assert column(graded, "P1", "organ_fibrinogen") == [0, 0]  # 250 ≥ LLN 200
    frame = upgraded.frame()
    np.testing.assert_allclose(column(frame, "P1", "creatinine_mg_dl"), [80 / 88.4, 85 / 88.4])
    audit = upgraded.audit_log("P1")
    read_again = audit[audit["action"] == "read again"]
    assert read_again["author"].tolist() == ["Dr B", "Dr B"]
    assert (
        read_again["what"].iloc[0].startswith("Creatinine of this patient read again by import 3")
    )


def test_an_identical_file_sent_again_under_the_same_version_is_already_imported(
    upgraded,
) -> None:
    upgraded.import_file(EUROPE, name="europe.csv", author="Dr B")
    before = upgraded.frame()
    again = upgraded.import_file(EUROPE, name="europe.csv", author="Dr C")
    assert again.already_imported and again.import_id == 3
    assert (
        again.summary() == "europe.csv: already imported (import 3, same content); nothing changed."
    )
    pd.testing.assert_frame_equal(upgraded.frame(), before)
    assert len(upgraded.imports()) == 3
    last = upgraded.audit_log().iloc[-1]
    assert (last["author"], last["action"], last["import_id"]) == ("Dr C", "import", 3)
    assert last["what"] == again.summary()


def test_another_file_that_brings_one_marked_value_again_leaves_the_other_marked(
    upgraded,
) -> None:
    # A newer export in mg/dL by name, with P1's 08:00 creatinine only: the 20:00 value
    # of europe.csv is still the one read under version 1, so it stays left out.
    newer = b"patient_id,time,creatinine_mg_dl\nP1,2024-05-01T08:00,0.9\n"
    result = upgraded.import_file(newer, name="newer.csv", author="Dr B")
    assert result.read_again == ()
    assert marked(upgraded) == {("P1", "creatinine_mg_dl", 1), ("P1", "fibrinogen_mg_dl", 2)}
    frame = upgraded.frame()
    assert column(frame, "P1", "creatinine_mg_dl")[0] == 0.9
    assert np.isnan(column(frame, "P1", "creatinine_mg_dl")[1])


def test_values_outside_todays_limits_are_marked_and_a_re_read_that_rejects_them_removes_them(
    empty_url: str,
) -> None:
    # ALT 150,000 U/L (limit 100,000) and weight 500 kg (limit 400): version 1 stored them.
    data = b"patient_id,time,temp_c,alt,weight\nP3,2024-05-01T08:00,37.0,150000,500\nP3,2024-05-01T12:00,37.1,40,500\n"
    frame = ward(
        patient_id=["P3", "P3"],
        time=["2024-05-01T08:00", "2024-05-01T12:00"],
        temp_c=[37.0, 37.1],
        alt_u_l=[150000.0, 40.0],
        weight_kg=[500.0, 500.0],
    )
    engine = v1_store(empty_url)
    v1_import(engine, frame, file_name="limits.csv", data=data)
    engine.dispose()
    store = open_store(empty_url)
    assert marked(store) == {("P3", "alt_u_l", 2), ("P3", "weight_kg", 1)}
    marks = store.reading_marks()
    details = dict(zip(marks["variable"], marks["detail"], strict=True))
    assert details["weight_kg"] == "1 value outside the possible range (0.3–400 kg), e.g. 500 kg"
    stored = store.frame()
    assert np.isnan(stored["alt_u_l"]).all() and np.isnan(stored["weight_kg"]).all()

    result = store.import_file(data, name="limits.csv", author="Dr B")
    # Read again: ALT 40 confirmed; ALT 150,000 and weight 500 are impossible today, so
    # the very file no longer gives them: removed, the old values kept in the changes.
    assert result.read_again == ("P3: ALT", "P3: weight")
    assert store.reading_marks().empty
    changes = store.changes("P3")
    assert set(
        zip(changes["variable"], changes["old_num"], changes["new_num"].isna(), strict=True)
    ) == {
        ("alt_u_l", 150000.0, True),
        ("weight_kg", 500.0, True),
    }
    stored = store.frame()
    assert stored["alt_u_l"].tolist()[1] == 40.0 and np.isnan(stored["alt_u_l"].tolist()[0])
    assert np.isnan(stored["weight_kg"]).all()
    store.close()


def test_a_store_made_under_the_current_version_records_it_and_marks_nothing(
    empty_url: str,
) -> None:
    store = open_store(empty_url)
    store.import_file(EUROPE, name="europe.csv")
    assert store.imports()["reading_version"].tolist() == [READING_VERSION]
    assert store.reading_marks().empty
    np.testing.assert_allclose(store.frame()["fibrinogen_mg_dl"], [250.0, 240.0])
    store.close()


# -- an organ toxicity attribution made under version 1 (grading.md §3 [v2]) -----------


def test_an_old_organ_toxicity_attribution_no_longer_removes_a_neurotoxicity(
    empty_url: str,
) -> None:
    # N1: creatinine 4.0 mg/dL (3.3 × ULN: CTCAE grade 3) and an entered neurotoxicity
    # grade 3 at both time points; under version 1 "organ toxicity" covered both, and a
    # clinician attributed it to vancomycin. Version 2: the attribution covers the kidney
    # only; the neurotoxicity (grade 3) counts as CRS.
    data = b"patient_id,time,creatinine_mg_dl,neurotox_grade\nN1,2024-05-01T08:00,4.0,3\nN1,2024-05-01T12:00,4.0,3\n"
    frame = ward(
        patient_id=["N1", "N1"],
        time=["2024-05-01T08:00", "2024-05-01T12:00"],
        creatinine_mg_dl=[4.0, 4.0],
        neurotox_grade=[3.0, 3.0],
    )
    engine = v1_store(empty_url)
    v1_import(engine, frame, file_name="neuro.csv", data=data)
    number = v1_attribution(
        engine,
        "N1",
        "organ_toxicity",
        "2024-05-01T00:00",
        "2024-05-02T00:00",
        "vancomycin nephrotoxicity",
        "Dr V1",
    )
    engine.dispose()
    store = open_store(empty_url)
    assert store.reading_marks().empty  # creatinine median 4 is not above 20
    attributions = store.attributions(["N1"])
    assert attributions["criterion"].tolist() == ["organ_toxicity"]  # kept as recorded
    graded = store.graded(["N1"])
    assert graded["g_organ_toxicity"].tolist() == [0, 0]
    assert graded["attributed"].tolist() == ["organ_toxicity", "organ_toxicity"]
    assert graded["g_neurotoxicity"].tolist() == [3, 3]
    assert graded["grade"].tolist() == [3, 3]
    assert graded["drivers"].tolist() == ["neurotoxicity", "neurotoxicity"]
    note = store.audit_log("N1").iloc[-1]
    assert (note["author"], note["action"], note["attribution_id"]) == (
        SYSTEM_AUTHOR,
        "note",
        number,
    )
    assert "now covers organ toxicity only" in note["what"]
    assert "organ_toxicity" not in note["what"]
    store.close()


def test_the_audit_view_names_an_old_attribution_in_words(empty_url: str) -> None:
    from ui.judgment import attributions_table
    from ui.store import audit_table

    engine = v1_store(empty_url)
    v1_import(engine, EUROPE_V1, file_name="europe.csv", data=EUROPE)
    v1_attribution(
        engine, "P1", "organ_toxicity", "2024-05-01T00:00", "2024-05-02T00:00", "AKI", "Dr V1"
    )
    engine.dispose()
    store = open_store(empty_url)
    store.attribute("P1", "fever", "2024-05-01T07:00", "2024-05-01T09:00", "line sepsis", "Dr B")
    shown = audit_table(store.audit_log("P1"))
    attributed = shown.loc[shown["Action"] == "attribute", "What"].tolist()
    assert attributed[0].startswith("Organ toxicity (CTCAE v4.0: kidney, liver")
    assert attributed[1].startswith("Fever (temperature ≥ 38 °C) marked as not CRS from")
    assert not shown["What"].str.contains("organ_toxicity|_mg_dl").any()
    labels = attributions_table(store.attributions(["P1"]), "time")["Finding not CRS"]
    assert labels.tolist()[0].startswith("Organ toxicity")
    store.close()


# -- what clinicians read: Home, the Patient page and `crs database` --------------------


@pytest.fixture
def app_on(upgraded, monkeypatch: pytest.MonkeyPatch):
    """The app opens the upgraded store."""
    monkeypatch.setenv("CRS_DATABASE_URL", _url(upgraded))
    st.cache_resource.clear()
    yield upgraded
    st.cache_resource.clear()


def _url(store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def test_home_names_the_patients_and_values_left_out_and_asks_for_the_export_again(
    app_on,
) -> None:
    at = AppTest.from_file(HOME, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    [warning] = [w for w in at.warning if "left out of grading" in seen(w.value)]
    text = seen(warning.value)
    assert "P1, creatinine: 2 values from europe.csv (import 1)" in text
    assert "P1, fibrinogen: 2 values from europe.csv (import 1)" in text
    assert "median 82.5 is above 20" in text and "µmol/L" in text
    assert "Import those exports again" in text
    assert "P2" not in text
    assert "_mg_dl" not in text and "organ_toxicity" not in text

    # The same file uploaded again on Home: read anew, the warning gone.
    at.file_uploader[0].set_value([("europe.csv", EUROPE, "text/csv")]).run()
    [button] = [b for b in at.button if b.label == "Read and grade"]
    at = button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not [w for w in at.warning if "left out of grading" in seen(w.value)]
    assert app_on.reading_marks().empty
    assert "back in grading: P1: creatinine; P1: fibrinogen" in seen_all(at.caption)


def test_the_patient_page_says_which_values_are_left_out(app_on) -> None:
    at = AppTest.from_file(PATIENT, default_timeout=120)
    at.query_params["patient"] = "P1"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = seen_all(at.warning)
    assert (
        "Left out of this patient's grade until europe.csv is imported again on Home: "
        "creatinine, fibrinogen." in text
    )
    at.query_params["patient"] = "P2"
    at.run()
    assert "Left out of this patient's grade" not in seen_all(at.warning)


def test_crs_database_names_the_values_left_out_in_words(
    upgraded, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _url(upgraded)
    assert main(["database", "--database", url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "2 patients (0 archived), from 2 imports."
    assert (
        "  - P1, creatinine: 2 values from europe.csv (import 1) — median 82.5 is above 20 in that file, so the dashboard now reads these values as µmol/L, but they were stored as mg/dL; 2 values outside the possible range (0–30 mg/dL), e.g. 85 mg/dL."
        in lines
    )
    assert (
        "  - P1, fibrinogen: 2 values from europe.csv (import 1) — median 2.45 is below 20 in that file, so the dashboard now reads these values as g/L, but they were stored as mg/dL."
        in lines
    )
    assert lines[-1].startswith("Import those exports again")
    assert not any("_mg_dl" in line or "reading_marks" in line for line in lines)

    upgraded.import_file(EUROPE, name="europe.csv")
    assert main(["database", "--database", url]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "2 patients (0 archived), from 3 imports.",
        "No stored value is left out of grading.",
    ]


def test_crs_imports_lists_the_reading_version_of_every_import(
    upgraded, capsys: pytest.CaptureFixture[str]
) -> None:
    upgraded.import_file(EUROPE, name="europe.csv")
    assert main(["imports", "--database", _url(upgraded)]) == 0
    rows = capsys.readouterr().out.splitlines()
    header = rows[0].split(",")
    versions = [row.split(",")[header.index("reading_version")] for row in rows[1:]]
    assert versions == ["1", "1", str(READING_VERSION)]
