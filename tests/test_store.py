"""The persistent ward store (docs/architecture.md §7), against SQLite and a real
PostgreSQL server started by the tests (tests/pg_server.py). No mocks: failures are
real database errors, concurrency is two real processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from crs.read.columns import CANONICAL, DTYPES, PATIENT_LEVEL, conform
from crs.read.quality import QualityReport, problems_frame
from crs.read.timeaxis import day_to_instant
from crs.store import models, open_store
from crs.store.engine import alembic_config, current_revision
from crs.store.errors import StoreError, StoreFailure
from tests.pg_server import postgres_server  # noqa: F401  (session fixture)

REPO = Path(__file__).resolve().parents[1]
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend (nothing created in it yet)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ward.sqlite3'}"
    return request.getfixturevalue("postgres_server").fresh_database()


@pytest.fixture
def store(store_url: str):
    opened = open_store(store_url)
    yield opened
    opened.close()


def ward(**columns) -> pd.DataFrame:
    """A canonical frame built by hand; ``time`` given as ISO strings."""
    frame = pd.DataFrame(columns)
    if "time" in frame.columns:
        frame["time"] = pd.to_datetime(frame["time"], format="ISO8601").astype("datetime64[us]")
    return conform(frame)


def snapshot(store) -> dict[str, list[tuple]]:
    """Every row of every table of the store, in key order."""
    with store.engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(
                    sa.select(table).order_by(*table.primary_key.columns)
                ).all()
            ]
            for table in models.metadata.sorted_tables
        }


def fever_ward() -> pd.DataFrame:
    return ward(
        patient_id=["P1", "P1", "P1", "P2"],
        time=["2024-05-01T08:00", "2024-05-01T12:00", "2024-05-01T16:00", "2024-05-01T08:00"],
        temp_c=[38.6, 38.9, 38.4, 37.0],
        sbp_mmhg=[120.0, np.nan, 118.0, 125.0],
        weight_kg=[70.0, 70.0, 70.0, 82.0],
    )


# -- schema -----------------------------------------------------------------------------


def test_an_empty_database_is_migrated_to_the_current_schema_on_open(store_url: str) -> None:
    store = open_store(store_url)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert current_revision(store.engine) == head
    with store.engine.connect() as connection:
        # The migration creates exactly the tables, columns and constraints of models.py.
        differences = compare_metadata(MigrationContext.configure(connection), models.metadata)
    assert differences == []
    store.import_frame(fever_ward())
    store.close()
    reopened = open_store(store_url)  # migrating an up-to-date store keeps its data
    assert len(reopened.frame()) == 4
    reopened.close()


# -- import and merge -------------------------------------------------------------------


def test_every_canonical_column_survives_the_round_trip_through_the_store(store) -> None:
    rng = np.random.default_rng(7)
    n = 3
    columns: dict[str, object] = {
        "patient_id": ["Müller, A.", "Müller, A.", 'bed 12 "B"'],
        "time": pd.to_datetime(
            ["2024-05-01T08:00:00.123456", "2024-05-01T09:30", "2024-05-02T00:00"], format="ISO8601"
        ).astype("datetime64[us]"),
        "line": np.array([2, 5, 9], dtype="int64"),
    }
    for name in CANONICAL:
        if name in columns or name in ("instant",) or name in PATIENT_LEVEL:
            continue
        if DTYPES[name] == np.dtype("float64"):
            columns[name] = np.round(rng.uniform(0, 100, n), 6)
    columns["day"] = [0.25, 0.3125, 1.0]
    for name in ("ventilated", "deceased"):
        columns[name] = [1.0, 0.0, np.nan]
    columns["o2_device"] = ["nasal cannula", "NRB", '=HYPERLINK("x")']
    columns["symptoms"] = ["rigors; myalgia", "nausea,\nvomiting", "Übelkeit"]
    columns["other_immunosuppressant"] = ["anakinra", None, "siltuximab"]
    columns.update(
        age_years=[64.5, 64.5, 12.0],
        weight_kg=[71.3, 71.3, 40.0],
        baseline_sbp_mmhg=[131.0, 131.0, 110.0],
        high_risk=[1.0, 1.0, 0.0],
        infusion_time=pd.to_datetime(["2024-04-30T14:00"] * 2 + ["2024-05-01T09:15"]),
        therapy=["axi-cel", "axi-cel", "blinatumomab"],
    )
    frame = conform(pd.DataFrame(columns))
    store.import_frame(frame, file_name="everything.csv")
    pd.testing.assert_frame_equal(store.frame(), frame)


def test_a_day_axis_patient_is_read_back_on_the_day_axis(store) -> None:
    frame = ward(patient_id=["D1", "D1"], day=[0.5, 1.25], temp_c=[38.1, 37.2])
    store.import_frame(frame, axis="day")
    back = store.frame()
    pd.testing.assert_frame_equal(back, frame)
    assert back["time"].isna().all()
    assert back["instant"].tolist() == day_to_instant(pd.Series([0.5, 1.25])).tolist()


def test_importing_the_same_file_twice_changes_nothing_but_the_audit_log_records_it(
    store,
) -> None:
    first = store.import_frame(fever_ward(), file_name="ward.csv")
    before = snapshot(store)
    again = store.import_frame(fever_ward(), file_name="ward.csv", author="Dr Re")
    assert again.already_imported
    assert again.import_id == first.import_id
    after = snapshot(store)
    audit_before, audit_after = before.pop("audit"), after.pop("audit")
    assert after == before
    # Issue #18: every import attempt is audited, an identical re-send included.
    assert audit_after[: len(audit_before)] == audit_before
    resent = store.audit_log().iloc[-1]
    assert len(audit_after) == len(audit_before) + 1
    assert (resent["action"], resent["author"], resent["import_id"]) == ("import", "Dr Re", 1)
    assert resent["what"] == "ward.csv: already imported (import 1, same content); nothing changed."


def test_the_same_values_in_another_file_add_an_import_but_no_change(store) -> None:
    store.import_frame(fever_ward(), file_name="monday.csv")
    rows_before = snapshot(store)
    shuffled = fever_ward().iloc[[3, 1, 0, 2]].reset_index(drop=True)  # another file
    result = store.import_frame(shuffled, file_name="tuesday.csv")
    assert not result.already_imported
    assert (result.points_added, result.values_added, result.values_changed) == (0, 0, 0)
    assert result.values_unchanged == 4 + 3 + 2  # temp_c on 4 rows, sbp on 3, 2 weights
    after = snapshot(store)
    for table in ("observations", "points", "patient_values", "patients", "changes"):
        assert after[table] == rows_before[table]
    assert len(after["imports"]) == 2


def test_a_changed_value_is_updated_and_the_old_value_recorded(store) -> None:
    store.import_frame(fever_ward(), file_name="monday.csv")
    corrected = fever_ward()
    corrected.loc[0, "temp_c"] = 39.1  # the nurse corrected a typing error
    corrected.loc[:2, "weight_kg"] = 68.0  # patient-level value re-weighed
    result = store.import_frame(corrected, file_name="tuesday.csv")
    assert result.values_changed == 2
    assert store.frame().loc[0, "temp_c"] == 39.1
    assert (store.frame().loc[:2, "weight_kg"] == 68.0).all()
    changes = store.changes(patient_id="P1")
    assert changes[["variable", "old_num", "new_num", "file_name", "import_id"]].to_dict(
        "records"
    ) == [
        {
            "variable": "temp_c",
            "old_num": 38.6,
            "new_num": 39.1,
            "file_name": "tuesday.csv",
            "import_id": result.import_id,
        },
        {
            "variable": "weight_kg",
            "old_num": 70.0,
            "new_num": 68.0,
            "file_name": "tuesday.csv",
            "import_id": result.import_id,
        },
    ]
    assert changes.loc[0, "instant"] == pd.Timestamp("2024-05-01T08:00")
    assert pd.isna(changes.loc[1, "instant"])  # patient-level: no instant
    assert changes["changed_at"].notna().all()


def test_rows_and_cells_missing_from_a_newer_export_are_kept(store) -> None:
    store.import_frame(fever_ward(), file_name="full.csv")
    newer = ward(
        patient_id=["P1"],
        time=["2024-05-01T16:00"],
        temp_c=[np.nan],  # a blank cell erases nothing
        sbp_mmhg=[117.0],
        crp_mg_l=[88.0],
    )
    result = store.import_frame(newer, file_name="partial.csv")
    assert (result.values_added, result.values_changed) == (1, 1)
    back = store.frame()
    assert len(back) == 4
    p1 = back[back["patient_id"] == "P1"]
    assert p1["temp_c"].tolist() == [38.6, 38.9, 38.4]
    assert p1["sbp_mmhg"].tolist()[2] == 117.0
    assert p1["crp_mg_l"].tolist()[2] == 88.0
    assert p1["weight_kg"].tolist() == [70.0] * 3


def test_a_text_value_change_is_recorded_as_text(store) -> None:
    store.import_frame(ward(patient_id=["P1"], time=["2024-05-01"], o2_device=["NC"]))
    store.import_frame(ward(patient_id=["P1"], time=["2024-05-01"], o2_device=["NRB"]))
    change = store.changes().iloc[0]
    assert (change["variable"], change["old_text"], change["new_text"]) == (
        "o2_device",
        "NC",
        "NRB",
    )
    assert store.frame()["o2_device"].tolist() == ["NRB"]


def test_a_failed_import_leaves_the_store_exactly_as_it_was(store) -> None:
    store.import_frame(fever_ward(), file_name="monday.csv")
    before = snapshot(store)
    # A real database failure half-way through the file: rows of patient P-bad (the
    # second half) violate a trigger, after P1's changes and new rows were written.
    with store.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(
                "CREATE FUNCTION refuse_bad() RETURNS trigger AS $$ BEGIN "
                "IF NEW.pid = (SELECT id FROM patients WHERE patient_id = 'P-bad') "
                "THEN RAISE EXCEPTION 'refused row'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse_bad BEFORE INSERT ON observations "
                "FOR EACH ROW EXECUTE FUNCTION refuse_bad()"
            )
        else:
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse_bad BEFORE INSERT ON observations "
                "WHEN NEW.pid = (SELECT id FROM patients WHERE patient_id = 'P-bad') "
                "BEGIN SELECT RAISE(ABORT, 'refused row'); END"
            )
    tuesday = ward(
        patient_id=["P1", "P1", "P3", "P-bad", "P-bad"],
        time=["2024-05-01T08:00", "2024-05-02T08:00", "2024-05-01", "2024-05-01", "2024-05-02"],
        temp_c=[39.5, 38.0, 37.5, 40.0, 40.1],
        weight_kg=[69.0, 69.0, 50.0, 90.0, 90.0],
    )
    with pytest.raises(StoreFailure, match="nothing was changed"):
        store.import_frame(tuesday, file_name="tuesday.csv")
    assert snapshot(store) == before
    with store.engine.begin() as connection:
        connection.exec_driver_sql(
            "DROP TRIGGER refuse_bad ON observations"
            if connection.dialect.name == "postgresql"
            else "DROP TRIGGER refuse_bad"
        )
    # The failed file was not remembered as imported: it goes in once the fault is gone.
    result = store.import_frame(tuesday, file_name="tuesday.csv")
    assert not result.already_imported
    assert set(store.frame()["patient_id"]) == {"P1", "P2", "P3", "P-bad"}


def test_a_file_on_another_time_axis_is_refused_and_nothing_of_it_is_stored(store) -> None:
    store.import_frame(fever_ward(), file_name="times.csv")
    before = snapshot(store)
    days = ward(patient_id=["P9", "P1"], day=[0.5, 1.0], temp_c=[38.0, 38.2])
    with pytest.raises(StoreError, match="P1") as refusal:
        store.import_frame(days, axis="day", file_name="days.csv", author="Dr Ax")
    after = snapshot(store)
    audit_before, audit_after = before.pop("audit"), after.pop("audit")
    assert after == before
    # The refused attempt is in the audit log (issue #18), and nothing else changed.
    assert len(audit_after) == len(audit_before) + 1
    refused = store.audit_log().iloc[-1]
    assert (refused["action"], refused["author"]) == ("import", "Dr Ax")
    assert pd.isna(refused["import_id"])
    assert refused["what"] == f"days.csv: not imported, nothing changed: {refusal.value}"


def test_two_imports_in_two_processes_lose_nothing(store_url: str, tmp_path: Path) -> None:
    hours = pd.date_range("2024-05-01", periods=40, freq="h").astype("datetime64[us]")

    def export(patients: range, temp: float) -> pd.DataFrame:
        ids = [f"W{i:02d}" for i in patients]
        return ward(
            patient_id=np.repeat(ids, len(hours)),
            time=np.tile(hours, len(ids)),
            temp_c=np.full(len(ids) * len(hours), temp),
            sbp_mmhg=np.full(len(ids) * len(hours), 100.0 + temp),
        )

    first, second = export(range(0, 20), 37.5), export(range(10, 30), 38.5)
    first.to_parquet(tmp_path / "first.parquet")
    second.to_parquet(tmp_path / "second.parquet")
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                str(REPO / "tests" / "store_worker.py"),
                store_url,
                str(tmp_path / f"{name}.parquet"),
                f"{name}.csv",
                str(go),
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        )
        for name in ("first", "second")
    ]
    go.touch()
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    store = open_store(store_url)
    imports = store.imports()
    assert sorted(imports["file_name"]) == ["first.csv", "second.csv"]
    back = store.frame()
    assert len(back) == 30 * len(hours)  # every row of both files, none twice
    last = imports.sort_values("id")["file_name"].iloc[-1]
    overlap = back[back["patient_id"].isin([f"W{i:02d}" for i in range(10, 20)])]
    expected = 38.5 if last == "second.csv" else 37.5
    assert (overlap["temp_c"] == expected).all()
    # Every overlapping cell changed once (temp and sbp), each change recorded once.
    assert len(store.changes()) == 10 * len(hours) * 2
    only_first = back[back["patient_id"].isin([f"W{i:02d}" for i in range(0, 10)])]
    assert (only_first["temp_c"] == 37.5).all()
    store.close()


def test_the_data_quality_report_of_each_import_is_stored_and_returned(store) -> None:
    report = QualityReport(
        source="monday.csv",
        rows_read=6,
        rows_graded=4,
        rows_merged=1,
        rows_not_graded=1,
        problems=problems_frame(
            [3, 7],
            ["Temp", "time"],
            ["abc", "yesterday"],
            ["not a number", "unparseable time; row not graded"],
            ["unparseable", "not_graded"],
        ),
        unknown_columns=["bed"],
        conversions=["temp_f → temp_c (°F to °C)"],
    )
    result = store.import_frame(fever_ward(), file_name="monday.csv", report=report)
    stored = store.import_report(result.import_id)
    pd.testing.assert_frame_equal(stored.to_frame(), report.to_frame())
    assert stored.summary() == report.summary()
    assert stored.unknown_columns == ["bed"]
    assert stored.conversions == ["temp_f → temp_c (°F to °C)"]
    assert stored.to_text() == report.to_text()
    row = store.imports().iloc[0]
    assert (row["rows_read"], row["rows_graded"], row["rows_not_graded"]) == (6, 4, 1)
    assert store.import_report(999) is None


# -- attribution (spec §5), archiving and the audit log ---------------------------------


def test_an_attribution_removes_fever_and_withdrawing_it_restores_the_grade(store) -> None:
    store.import_frame(fever_ward())
    assert store.graded(["P1"])["grade"].tolist() == [1, 1, 1]
    attribution_id = store.attribute(
        "P1", "fever", "2024-05-01T12:00", "2024-05-01T16:00", "line sepsis", "Dr Lee"
    )
    graded = store.graded(["P1"])
    assert graded["grade"].tolist() == [1, 0, 0]
    assert graded["attributed"].tolist() == ["", "fever", "fever"]
    store.withdraw(attribution_id, "Dr Fry", "blood cultures negative")
    assert store.graded(["P1"])["grade"].tolist() == [1, 1, 1]
    log = store.audit_log("P1")
    assert log[["action", "author", "why", "attribution_id"]].to_dict("records") == [
        {
            "action": "attribute",
            "author": "Dr Lee",
            "why": "line sepsis",
            "attribution_id": attribution_id,
        },
        {
            "action": "withdraw",
            "author": "Dr Fry",
            "why": "blood cultures negative",
            "attribution_id": attribution_id,
        },
    ]
    # The finding in words (the audit log is read by clinicians), not its code.
    assert log.loc[0, "what"].startswith("Fever (temperature ≥ 38 °C) marked as not CRS from")
    assert "2024-05-01T12:00" in log.loc[0, "what"]
    assert log["at"].notna().all()
    kept = store.attributions(["P1"], active_only=False)
    assert kept[["criterion", "withdrawn_by"]].to_dict("records") == [
        {"criterion": "fever", "withdrawn_by": "Dr Fry"}
    ]
    assert store.attributions(["P1"]).empty


def test_active_attributions_are_the_frame_grade_takes(store) -> None:
    store.import_frame(fever_ward())
    store.attribute("P1", "fever", "2024-05-01T08:00", "2024-05-01T08:00", "sepsis", "Dr Lee")
    active = store.attributions()
    assert list(active.columns[:6]) == [
        "patient_id",
        "criterion",
        "start",
        "end",
        "reason",
        "author",
    ]
    assert active["start"].dtype == np.dtype("datetime64[us]")
    assert active.loc[0, "start"] == active.loc[0, "end"] == pd.Timestamp("2024-05-01T08:00")


def test_attribution_bounds_are_read_on_the_patients_own_axis(store) -> None:
    store.import_frame(
        ward(patient_id=["D1"] * 3, day=[0.5, 1.5, 2.5], temp_c=[38.5] * 3), axis="day"
    )
    store.attribute("D1", "fever", 1, "2,5", "drug fever", "Dr Lee")
    assert store.graded(["D1"])["grade"].tolist() == [1, 0, 0]
    with pytest.raises(StoreError, match="day since infusion"):
        store.attribute("D1", "fever", "2024-05-01T08:00", 3, "x", "Dr Lee")
    store.import_frame(fever_ward())
    with pytest.raises(StoreError, match="date-time"):
        store.attribute("P1", "fever", 1.0, 2.0, "x", "Dr Lee")


@pytest.mark.parametrize(
    ("criterion", "start", "end", "reason", "author", "message"),
    [
        ("death", "2024-05-01", "2024-05-02", "r", "a", "cannot be attributed"),
        ("fevr", "2024-05-01", "2024-05-02", "r", "a", "cannot be attributed"),
        ("fever", "2024-05-02", "2024-05-01", "r", "a", "before its start"),
        ("fever", "2024-05-01", "2024-05-02", "  ", "a", "reason is required"),
        ("fever", "2024-05-01", "2024-05-02", "r", "", "author is required"),
        ("fever", "tomorrow", "2024-05-02", "r", "a", "not a date-time"),
    ],
)
def test_an_attribution_that_cannot_be_honoured_is_refused_and_not_logged(
    store, criterion, start, end, reason, author, message
) -> None:
    store.import_frame(fever_ward())
    with pytest.raises(StoreError, match=message):
        store.attribute("P1", criterion, start, end, reason, author)
    assert store.attributions(active_only=False).empty
    assert set(store.audit_log()["action"]) == {"import"}


def test_withdrawing_twice_or_an_unknown_attribution_is_refused(store) -> None:
    store.import_frame(fever_ward())
    with pytest.raises(StoreError, match="not in the ward store"):
        store.attribute("nobody", "fever", "2024-05-01", "2024-05-02", "r", "a")
    attribution_id = store.attribute("P1", "fever", "2024-05-01", "2024-05-02", "r", "a")
    store.withdraw(attribution_id, "b", "wrong patient")
    with pytest.raises(StoreError, match="already withdrawn"):
        store.withdraw(attribution_id, "c", "again")
    with pytest.raises(StoreError, match="no attribution"):
        store.withdraw(attribution_id + 1, "c", "x")


def test_an_archived_patient_leaves_the_ward_round_and_can_be_brought_back(store) -> None:
    store.import_frame(fever_ward())
    store.archive("P2", "Dr Lee", "discharged home")
    assert store.frame()["patient_id"].unique().tolist() == ["P1"]
    assert store.ward_round()["patient_id"].tolist() == ["P1"]
    assert store.frame(include_archived=True)["patient_id"].unique().tolist() == ["P1", "P2"]
    assert store.frame(["P2"], include_archived=True)["temp_c"].tolist() == [37.0]
    # New data for an archived patient is kept, and the import says so.
    result = store.import_frame(ward(patient_id=["P2"], time=["2024-05-03"], temp_c=[38.0]))
    assert result.archived_patients == ("P2",)
    with pytest.raises(StoreError, match="already archived"):
        store.archive("P2", "Dr Lee")
    store.restore("P2", "Dr Fry", "readmitted")
    assert store.ward_round()["patient_id"].tolist() == ["P1", "P2"]
    assert store.frame(["P2"])["temp_c"].tolist() == [37.0, 38.0]
    log = store.audit_log("P2")
    assert log[["action", "author", "why"]].to_dict("records") == [
        {"action": "archive", "author": "Dr Lee", "why": "discharged home"},
        {"action": "restore", "author": "Dr Fry", "why": "readmitted"},
    ]


def test_the_ward_round_reads_patients_in_import_order_with_rows_in_time_order(store) -> None:
    store.import_frame(
        ward(patient_id=["Z", "A"], time=["2024-05-02", "2024-05-01"], temp_c=[37.0, 37.1])
    )
    store.import_frame(
        ward(patient_id=["A", "M"], time=["2024-04-30", "2024-05-01"], temp_c=[36.9, 38.2])
    )
    back = store.frame()
    assert back["patient_id"].tolist() == ["Z", "A", "A", "M"]
    assert back.loc[1, "instant"] < back.loc[2, "instant"]
    assert back.index.equals(pd.RangeIndex(4))
    assert store.frame(["M", "Z"])["patient_id"].tolist() == ["Z", "M"]
    assert store.frame([]).empty


def test_a_nul_character_in_a_text_cell_does_not_take_the_file_down(store) -> None:
    frame = ward(
        patient_id=["P1", "P1"],
        time=["2024-05-01T08:00", "2024-05-01T12:00"],
        symptoms=["rig\x00ors", "myalgia"],
        temp_c=[38.2, 38.4],
    )
    store.import_frame(frame)
    assert store.frame()["symptoms"].tolist() == ["rig\ufffdors", "myalgia"]
    assert store.frame()["temp_c"].tolist() == [38.2, 38.4]


def test_a_patient_without_a_cache_row_is_read_from_the_long_tables(store) -> None:
    # A store migrated from revision 0001 has no cache rows until the next import.
    store.import_frame(fever_ward())
    expected = store.frame()
    with store.engine.begin() as connection:
        connection.execute(models.patient_cache.delete().where(models.patient_cache.c.pid == 1))
    pd.testing.assert_frame_equal(store.frame(), expected)
    with store.engine.begin() as connection:
        connection.execute(models.patient_cache.delete())
    pd.testing.assert_frame_equal(store.frame(), expected)


def test_awkward_numbers_read_back_bit_for_bit(store) -> None:
    values = [0.1 + 0.2, 1 / 3, 38.00000000000001, 5e-324, 1.7976931348623157e308, -2.5e-7]
    frame = ward(
        patient_id=["N"] * len(values),
        time=[f"2024-05-01T{h:02d}:00" for h in range(len(values))],
        crp_mg_l=values,
    )
    store.import_frame(frame)
    back = store.frame(["N"])["crp_mg_l"].to_numpy()
    assert back.tobytes() == np.array(values).tobytes()  # every bit
    assert back.tolist() == values
    with store.engine.begin() as connection:  # and through the long tables (no cache)
        connection.execute(models.patient_cache.delete())
    assert store.frame(["N"])["crp_mg_l"].tolist() == values
