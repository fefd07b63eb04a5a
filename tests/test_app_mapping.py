"""The column-mapping step and the missing-variable warning on the Home page (issue #12),
with Streamlit's AppTest, the real reader and a temporary SQLite ward store per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from crs.store import open_store
from tests.markdown_text import seen, seen_all
from ui.text import md

REPO = Path(__file__).resolve().parents[1]
HOME = str(REPO / "app.py")
TIMEOUT = 120

#: Two clinical columns nobody's alias table knows ("Art line sys", "Levo gtt"), a bed
#: number, and a known temperature.
EXPORT = (
    b"patient_id,time,Art line sys,Levo gtt (mcg/min),Bed,Temp (C),FiO2\n"
    b"P1,2024-03-05T08:00,84,25,12,38.5,30\n"
    b"P1,2024-03-05T10:00,82,25,12,38.7,30\n"
    b"P1,2024-03-05T12:00,80,25,12,38.9,30\n"
)


@pytest.fixture(autouse=True)
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'ward.sqlite3'}"
    monkeypatch.setenv("CRS_DATABASE_URL", url)
    return url


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _uploaded(name: str, data: bytes) -> AppTest:
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT).run()
    at.file_uploader[0].set_value([(name, data, "text/csv")]).run()
    _no_exception(at)
    return at


def _button(at: AppTest, label: str):
    [button] = [b for b in at.button if b.label == label]
    return button


def _chooser(at: AppTest, raw: str):
    [box] = [s for s in at.selectbox if s.label == md("What {} holds", raw)]
    return box


def _confirm(at: AppTest, choices: dict[str, str]) -> AppTest:
    for raw, code in choices.items():
        _chooser(at, raw).set_value(code)
    at = _button(at, "Confirm the mapping").click().run()
    _no_exception(at)
    return at


def _in_order(at: AppTest) -> list[tuple[str, str]]:
    """(element type, text) of every alert on the page, top to bottom."""
    out = []

    def walk(node) -> None:
        kind = getattr(node, "type", "")
        if kind in ("warning", "success", "error", "info"):
            out.append((kind, seen(node.value)))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return out


def test_unknown_clinical_columns_are_mapped_confirmed_then_graded(store_url) -> None:
    at = _uploaded("icu.csv", EXPORT)
    assert "Columns to map before grading" in seen_all(at.subheader)
    # Only the columns that hold numbers and match no name; with a few of their values.
    assert {s.label for s in at.selectbox} == {
        md("What {} holds", name) for name in ("Art line sys", "Levo gtt (mcg/min)", "Bed")
    }
    assert "84, 82, 80" in seen_all(at.markdown)
    # Nothing is graded before the mapping is confirmed.
    assert _button(at, "Read and grade").disabled
    at = _confirm(
        at,
        {
            "Art line sys": "sbp_mmhg|mmhg",
            "Levo gtt (mcg/min)": "norepinephrine_ug_min|ug_min",
            "Bed": "",
        },
    )
    assert "Mapping confirmed" in seen_all(at.caption)
    assert not _button(at, "Read and grade").disabled
    at = _button(at, "Read and grade").click().run()
    _no_exception(at)
    assert not at.error, seen_all(at.error)
    stored = open_store(store_url).frame()
    assert stored["sbp_mmhg"].tolist() == [84.0, 82.0, 80.0]
    assert stored["norepinephrine_ug_min"].tolist() == [25.0, 25.0, 25.0]
    captions = seen_all(at.caption)
    # The data-quality report shows the mapping used, "not used" included.
    assert "Column mapping used: 'Art line sys' read as systolic pressure (mmHg)" in captions
    assert "'Bed' not used (left out of grading, as mapped)" in captions
    assert "not recognised" not in captions


def test_the_next_upload_is_offered_the_saved_mapping(store_url) -> None:
    at = _confirm(
        _uploaded("monday.csv", EXPORT),
        {"Art line sys": "sbp_mmhg|mmhg", "Levo gtt (mcg/min)": "norepinephrine_ug_min|ug_min"},
    )
    _button(at, "Read and grade").click().run()
    assert [m.raw for m in open_store(store_url).column_mapping()] == [
        "Art line sys",
        "Bed",
        "Levo gtt (mcg/min)",
    ]
    tuesday = EXPORT.replace(b"2024-03-05", b"2024-03-06")
    at = _uploaded("tuesday.csv", tuesday)
    assert _chooser(at, "Art line sys").value == "sbp_mmhg|mmhg"
    assert _chooser(at, "Levo gtt (mcg/min)").value == "norepinephrine_ug_min|ug_min"
    assert _chooser(at, "Bed").value == ""
    # Offered, not applied: the person still confirms.
    assert _button(at, "Read and grade").disabled


def test_a_mapping_with_an_incompatible_unit_is_refused_in_one_line(store_url) -> None:
    data = b"patient_id,time,Core T (F),sbp\nP1,2024-03-05T08:00,101.3,120\n"
    at = _confirm(_uploaded("core.csv", data), {"Core T (F)": "temp_c|c"})
    [error] = at.error
    assert seen(error.value).startswith(
        "'Core T (F)' cannot be temperature in °C: its name gives the unit °F."
    )
    assert _button(at, "Read and grade").disabled
    assert open_store(store_url).imports().empty
    # Choosing the unit the name gives is accepted.
    at = _confirm(at, {"Core T (F)": "temp_c|f"})
    assert not at.error and not _button(at, "Read and grade").disabled


def test_a_file_without_blood_pressure_is_warned_about_above_the_success(store_url) -> None:
    data = b"patient_id,time,temp_c,fio2,norepinephrine_ug_min\nA,2024-03-05T08:00,38.5,30,2\n"
    at = _uploaded("no_bp.csv", data)
    at = _button(at, "Read and grade").click().run()
    _no_exception(at)
    alerts = _in_order(at)
    kinds = [kind for kind, _ in alerts]
    assert "warning" in kinds and "success" in kinds
    assert kinds.index("warning") < kinds.index("success")
    warning = next(text for kind, text in alerts if kind == "warning")
    assert warning.startswith("Nothing in this upload records blood pressure:")
    assert "hypotension cannot be graded, so every grade is a lower bound" in warning


def test_a_complete_file_gets_no_missing_variable_warning(store_url) -> None:
    data = (
        b"patient_id,time,temp_c,sbp_mmhg,fio2,norepinephrine_ug_min\n"
        b"A,2024-03-05T08:00,38.5,110,30,2\n"
    )
    at = _button(_uploaded("full.csv", data), "Read and grade").click().run()
    _no_exception(at)
    assert not at.warning


def test_a_picture_renamed_csv_is_refused_at_once_not_asked_for_a_patient(store_url) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)) * 4
    at = _uploaded("ward.csv", png)
    [error] = at.error
    assert "is not a text table" in seen(error.value)
    assert not [t for t in at.text_input if "has no patient column" in t.label]
    assert not at.radio
