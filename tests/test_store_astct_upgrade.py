"""The ward store's upgrade to reading version 3 (migration 0005, astct.md §1).

A store filled before it (revision 0002, imports of reading version 1) is opened by
today's code: an ICE score that is not a whole number is left out of grading until its
export is imported again, and an import whose unrecognised columns are now read (the
ASTCT 2019 neurological findings) gets an audit note asking for it to be imported again.
Imported again, the findings are stored and graded.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from crs.read.columns import READING_VERSION
from crs.store import open_store
from crs.store.engine import create_store_engine, database_url
from tests.pg_server import postgres_server  # noqa: F401  (session fixture)
from tests.store_v1 import v1_import, v1_store, ward

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
#: A neurological export; version 2 read the ICE column and left the others out.
NEURO = (
    b"patient_id,time,ICE,Level of consciousness,Seizures\n"
    b"P1,2026-03-02T09:00,7.5,awakens to voice,none\n"
    b"P1,2026-03-02T10:00,6,,status epilepticus\n"
)
NEURO_OLD = ward(patient_id=["P1", "P1"], time=["2026-03-02T09:00", "2026-03-02T10:00"])
NEURO_OLD["ice_score"] = [7.5, 6.0]


@pytest.fixture(params=BACKENDS)
def old_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ward.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_server").fresh_database()
    engine = v1_store(url)
    import_id = v1_import(engine, NEURO_OLD, file_name="neuro.csv", data=NEURO)
    report = {"source": "neuro.csv", "unknown_columns": ["Level of consciousness", "Seizures"]}
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE imports SET report_json = :j WHERE id = :i"),
            {"j": json.dumps(report), "i": import_id},
        )
    engine.dispose()
    return url


def test_an_ice_score_that_is_not_whole_is_left_out_until_imported_again(old_url: str) -> None:
    store = open_store(old_url)
    marks = store.reading_marks()
    # A mark leaves out that import's ICE scores of the patient (crs.store.marks).
    assert marks[["patient_id", "variable", "values"]].values.tolist() == [["P1", "ice_score", 2]]
    assert "1 value not a whole number, e.g. ICE score 7.5" in marks["detail"].iloc[0]
    graded = store.graded()
    assert graded["icans_grade"].tolist() == [0, 0]
    assert graded["icans_unknown"].tolist() == ["consciousness;ice"] * 2
    store.close()


def test_an_import_with_columns_now_read_gets_a_note_naming_them(old_url: str) -> None:
    open_store(old_url).close()
    engine = create_store_engine(database_url(old_url))
    with engine.connect() as connection:
        notes = connection.execute(
            sa.text("SELECT import_id, what FROM audit WHERE action = 'note'")
        ).all()
    engine.dispose()
    assert len(notes) == 1
    assert notes[0].import_id == 1
    assert "Level of consciousness (level of consciousness)" in notes[0].what
    assert "Seizures (seizure)" in notes[0].what
    assert "Import that file again" in notes[0].what


def test_imported_again_the_findings_are_stored_and_graded(old_url: str) -> None:
    store = open_store(old_url)
    result = store.import_file(NEURO, name="neuro.csv", author="Dr B")
    assert not result.already_imported
    assert store.imports()["reading_version"].tolist() == [1, READING_VERSION]
    assert store.reading_marks().empty
    graded = store.graded()
    assert graded["consciousness"].tolist()[0] == "awakens to voice"
    assert graded["icans_grade"].tolist() == [2, 4]
    assert graded["icans_drivers"].tolist() == ["consciousness", "seizure"]
    store.close()
