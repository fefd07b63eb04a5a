"""Patient ids and column names checked at the door (issue #18; crs/read/identifiers.py).

The rules, per character class (docs/decisions.md "Identifiers"): bidirectional
controls, zero-width characters, other control and format characters and ids longer
than 200 characters are refused — the id's rows are not graded, one report line per id
with its first line and its hidden characters as code points; spaces before or after
are removed (one note); two ids that read the same once hidden characters are set aside
and Unicode NFKC is applied are a conflict (the first spelling keeps its rows). Column
names lose their hidden characters (noted). The app's reader, ``python -m crs grade``,
``python -m crs import`` and the store's own entry points refuse the same ids with the
same sentence.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crs.cli import main
from crs.errors import UnusableExportError
from crs.read.columns import conform
from crs.read.reader import read_export
from crs.store import open_store
from crs.store.errors import StoreError

HEADER = "patient_id,time,temp_c\n"

#: Expected by hand from the module's table: (id, refused, words the reason must hold).
CASES = [
    ("P001", False, ""),
    ("Müller, A.", False, ""),
    ('bed 12 "B"', False, ""),
    ("Ｐ００１", False, ""),  # alone in its file: kept as written
    ("x" * 200, False, ""),
    ("x" * 201, True, "201 characters long; at most 200 are accepted"),
    ("x" * 5000, True, "5,000 characters long"),
    ("\u202e100P", True, "right-to-left override (U+202E)"),
    ("P\u202a1", True, "left-to-right embedding (U+202A)"),
    ("P\u202b1", True, "right-to-left embedding (U+202B)"),
    ("P\u202c1", True, "pop directional formatting (U+202C)"),
    ("P\u202d1", True, "left-to-right override (U+202D)"),
    ("P\u20661", True, "left-to-right isolate (U+2066)"),
    ("P\u20671", True, "right-to-left isolate (U+2067)"),
    ("P\u20681", True, "first strong isolate (U+2068)"),
    ("P\u20691", True, "pop directional isolate (U+2069)"),
    ("P\u200e1", True, "left-to-right mark (U+200E)"),
    ("P\u200f1", True, "right-to-left mark (U+200F)"),
    ("P\u061c1", True, "arabic letter mark (U+061C)"),
    ("P001\u200b", True, "zero width space (U+200B)"),
    ("P0\u200c01", True, "zero width non-joiner (U+200C)"),
    ("P00\u200d1", True, "zero width joiner (U+200D)"),
    ("P\u2060001", True, "word joiner (U+2060)"),
    ("P\ufeff001", True, "zero width no-break space (U+FEFF)"),
    ("P\x1b1", True, "control character (U+001B)"),
    ("P\t1", True, "control character (U+0009)"),
    ("P\u00ad1", True, "soft hyphen (U+00AD)"),
    ("P\u20281", True, "line separator (U+2028)"),
]


def _ward(*ids: str, times: int = 1) -> bytes:
    """One row per id and hour (ids quoted, so commas and quotes stay in the cell)."""
    lines = [HEADER]
    for hour in range(times):
        for patient in ids:
            cell = '"' + patient.replace('"', '""') + '"'
            lines.append(f"{cell},2024-05-01T{8 + hour:02d}:00:00,38.5\n")
    return "".join(lines).encode("utf-8")


def _id_lines(report) -> pd.DataFrame:
    problems = report.to_frame()
    return problems[problems["column"] == "patient_id"].reset_index(drop=True)


@pytest.mark.parametrize(("patient", "refused", "words"), CASES, ids=range(len(CASES)))
def test_each_character_class_is_refused_or_accepted_as_the_table_says(
    patient: str, refused: bool, words: str
) -> None:
    export = read_export(_ward("P9", patient, times=2), name="ward.csv")
    assert export.report.balanced
    graded = set(export.frame["patient_id"])
    lines = _id_lines(export.report)
    if not refused:
        assert patient in graded and lines.empty, lines.to_dict("records")
        return
    assert graded == {"P9"}
    assert export.report.rows_not_graded == 2
    [line] = lines.to_dict("records")  # one line for the id, not one per row
    assert line["line"] == 3 and line["kind"] == "not_graded"
    assert words in line["reason"], line["reason"]
    assert line["reason"].endswith("its 2 rows (lines 3, 5) are not graded")
    # The raw value is shown with its hidden characters as code points.
    assert line["raw"].isascii() or "Ｐ" in line["raw"]
    assert all(c.isprintable() for c in line["raw"])


def test_the_refused_id_is_quoted_with_its_code_points_and_what_it_could_be_taken_for() -> None:
    export = read_export(_ward("P001", "P001\u200b"), name="ward.csv")
    [line] = _id_lines(export.report).to_dict("records")
    assert line["raw"] == "P001\\u200b"
    assert line["reason"] == (
        "patient id 'P001\\u200b' holds zero width space (U+200B), which is invisible, so "
        "the id can look exactly like another patient's; it reads as patient id 'P001'; "
        "its row is not graded"
    )


@pytest.mark.parametrize(
    ("first", "second", "written"),
    [
        ("P0\u00e9", "P0e\u0301", "P0e\\u0301"),  # NFC: composed é, then e + combining acute
        ("P001", "Ｐ００１", "\\uff30\\uff10\\uff10\\uff11"),  # NFKC: full-width letters
        ("Ｐ００１", "P001", None),  # the first spelling keeps its rows, whichever it is
    ],
    ids=["nfc", "nfkc", "nfkc_first"],
)
def test_two_ids_that_read_the_same_are_a_conflict_and_the_later_spelling_is_not_graded(
    first: str, second: str, written: str | None
) -> None:
    export = read_export(_ward(first, second, times=2), name="ward.csv")
    assert set(export.frame["patient_id"]) == {first}
    assert export.report.rows_not_graded == 2 and export.report.balanced
    [line] = _id_lines(export.report).to_dict("records")
    assert (line["kind"], line["line"]) == ("conflict", 3)
    assert f"reads the same as patient id '{first}'" in line["reason"]
    assert "on line 2" in line["reason"]
    if written is not None:
        assert f"(written {written})" in line["reason"]


def test_spaces_around_an_id_are_removed_and_noted_once_per_spelling() -> None:
    export = read_export(_ward("P1", " P1 ", " P1 ", times=1), name="ward.csv")
    # " P1 " is P1: one patient, its rows merged at the same instant.
    assert export.frame["patient_id"].tolist() == ["P1"]
    [note] = _id_lines(export.report).to_dict("records")
    assert (note["line"], note["raw"], note["kind"]) == (3, " P1 ", "note")
    assert note["reason"] == "spaces before or after the patient id were removed: read as 'P1'"


def test_a_patient_named_with_a_hidden_character_when_reading_is_refused_whole() -> None:
    data = b"time,temp_c\n2024-05-01T08:00:00,38.5\n"
    with pytest.raises(UnusableExportError, match=r"right-to-left override \(U\+202E\)"):
        read_export(data, patient_id="\u202eX", name="bed.csv")


def test_hidden_characters_in_a_column_name_are_removed_and_the_column_read() -> None:
    data = "patient_id,time,te\u200bmp_c\nP1,2024-05-01T08:00:00,38.5\n".encode()
    export = read_export(data, name="ward.csv")
    assert export.frame["temp_c"].tolist() == [38.5]
    [note] = export.report.to_frame().to_dict("records")
    assert (note["line"], note["column"], note["kind"]) == (1, "te\\u200bmp_c", "note")
    assert note["reason"] == (
        "column name holds zero width space (U+200B); removed, read as 'temp_c'"
    )


def test_a_column_name_that_would_repeat_another_is_left_out_and_says_so() -> None:
    data = "patient_id,time,temp_c,temp_c\u200b\nP1,2024-05-01T08:00:00,38.5,40\n".encode()
    export = read_export(data, name="ward.csv")
    assert export.frame["temp_c"].tolist() == [38.5]
    assert "temp_c\u200b" in export.report.unknown_columns
    notes = export.report.to_frame()
    # (The units reader also says the look-alike names no unit of temperature.)
    assert (
        notes["reason"].str.contains("not read (another column has that name)", regex=False).any()
    )


# ----------------------------------------------------------------- the ward store's doors


@pytest.fixture
def store(tmp_path: Path):
    store = open_store(f"sqlite:///{tmp_path / 'ward.sqlite3'}")
    store.import_file(_ward("P001", "P002"), name="ward.csv", author="Dr A")
    yield store
    store.close()


@pytest.mark.parametrize("action", ["attribute", "archive", "restore"])
def test_the_stores_entry_points_refuse_a_hidden_character_with_the_readers_sentence(
    store, action: str
) -> None:
    patient = "P001\u200b"
    calls = {
        "attribute": lambda: store.attribute(
            patient, "fever", "2024-05-01T07:00", "2024-05-01T09:00", "line sepsis", "Dr B"
        ),
        "archive": lambda: store.archive(patient, "Dr B"),
        "restore": lambda: store.restore(patient, "Dr B"),
    }
    with pytest.raises(StoreError) as refusal:
        calls[action]()
    # The same clause as the reader's report line, as a sentence of its own.
    reason = _id_lines(read_export(_ward(patient), name="x.csv").report)["reason"].iloc[0]
    clause = reason.removesuffix("; its row is not graded")
    assert str(refusal.value) == clause[0].upper() + clause[1:] + "."


def test_a_frame_built_in_code_with_a_refused_id_is_not_imported_at_all(store) -> None:
    before = store.patients()
    frame = conform(
        pd.DataFrame(
            {
                "patient_id": ["P003", "\u202e300P"],
                "time": pd.to_datetime(["2024-05-01T08:00", "2024-05-01T08:00"]).astype(
                    "datetime64[us]"
                ),
                "line": [2, 3],
            }
        )
    )
    with pytest.raises(StoreError, match=r"right-to-left override .*\(line 3\); nothing was"):
        store.import_frame(frame, file_name="frame.csv")
    pd.testing.assert_frame_equal(store.patients(), before)


def test_an_export_whose_id_reads_as_a_stored_patients_is_refused_whole_and_audited(
    store,
) -> None:
    before = store.frame()
    with pytest.raises(StoreError) as refusal:
        store.import_file(_ward("P003", "Ｐ００１"), name="later.csv", author="Dr C")
    message = str(refusal.value)
    assert message.startswith("later.csv: Patient id 'Ｐ００１' (written \\uff30")
    assert "reads the same as patient id 'P001' but is written with other characters" in message
    pd.testing.assert_frame_equal(store.frame(), before)  # not even P003
    last = store.audit_log().iloc[-1]
    assert last["what"] == f"later.csv: not imported, nothing changed: {message}"
    assert last["author"] == "Dr C"


# ----------------------------------------------------------------- one rule at every door


def _refusals(report) -> dict[str, str]:
    """raw → reason of the report lines about refused ids."""
    lines = _id_lines(report)
    lines = lines[lines["kind"].isin(["not_graded", "conflict"])]
    # A cell that is empty once stripped has no raw value; the CSV report writes it "".
    return dict(zip(lines["raw"].fillna(""), lines["reason"], strict=True))


def _cli_refusals(path: Path, folder: Path) -> tuple[dict[str, str], dict[str, str], set[str]]:
    """What `crs grade` and `crs import` refused, and which ids the store holds."""
    report = folder / "report.csv"
    assert main(["grade", str(path), "-o", str(folder / "out.csv"), "--report", str(report)]) == 0
    problems = pd.read_csv(report, dtype="str", keep_default_na=False)
    problems = problems[
        (problems["column"] == "patient_id") & problems["kind"].isin(["not_graded", "conflict"])
    ]
    # Written by the formula-safe writer: a raw cell "=x" is written "'=x".
    raw = problems["raw"].where(
        ~problems["raw"].str.match(r"'[=+\-@\t\r]"), problems["raw"].str[1:]
    )
    graded = dict(zip(raw, problems["reason"], strict=True))
    url = f"sqlite:///{folder / 'ward.sqlite3'}"
    assert main(["import", str(path), "--database", url, "--author", "test"]) == 0
    store = open_store(url)
    stored = _refusals(store.import_report(1))
    patients = set(store.patients()["patient_id"])
    store.close()
    return graded, stored, patients


HIDDEN = "\u202e\u202a\u2066\u200e\u061c\u200b\u200c\u200d\u2060\ufeff\x07\u00ad\u2028"
ids = st.one_of(
    st.text(alphabet=st.sampled_from("P01éeÉ\u0301Ｐ０１ -=+@" + HIDDEN), min_size=1, max_size=8),
    st.integers(150, 5000).map(lambda n: "P" * n),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(patient=ids)
@example(patient="\u2028")  # only a line separator: no id at all once stripped
def test_any_id_the_apps_reader_refuses_crs_grade_and_crs_import_refuse_with_the_same_sentence(
    patient: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _ward("P01", patient, times=2)
    # The app reads the uploaded bytes exactly so (pages/0_Home.py, ui.session).
    app = _refusals(read_export(data, name="ward.csv").report)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ward.csv"
        path.write_bytes(data)
        graded, stored, patients = _cli_refusals(path, Path(folder))
    capsys.readouterr()
    assert graded == app
    assert stored == app
    # What the reader refused is not in the store; what it accepted is.
    read = set(read_export(data, name="ward.csv").frame["patient_id"])
    assert patients == read
    assert not any(c in HIDDEN for p in patients for c in p)
    assert all(len(p) <= 200 for p in patients)


def test_the_command_line_refuses_the_5000_character_id_the_app_refuses(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_bytes(_ward("P01", "L" * 5000))
    graded, stored, patients = _cli_refusals(path, tmp_path)
    assert patients == {"P01"}
    [reason] = graded.values()
    assert reason.startswith("patient id 'LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL…' is 5,000")
    assert graded == stored
    out = pd.read_csv(tmp_path / "out.csv", dtype="str")
    assert set(out["patient_id"]) == {"P01"}
