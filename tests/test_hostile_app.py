"""The app shows hostile patient ids and free text as text, and its downloads are safe.

Patient ids, file names and free text (symptoms, other_immunosuppressant) come from an
uploaded export: untrusted. On every page they must be shown as text — never passed to
``unsafe_allow_html`` or ``st.html`` (a stored-script attack on the ward PC), never
rendered as a markdown image (the browser would fetch it from outside: a privacy leak).
Every CSV a download button offers neutralises spreadsheet formulas. An upload larger
than the configured limit gets a clear message.
"""

from __future__ import annotations

import ast
import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures_hostile import check_safe_csv

REPO = Path(__file__).resolve().parents[1]
APP_SOURCES = [REPO / "app.py", *sorted((REPO / "pages").glob("*.py"))]
UI_SOURCES = sorted((REPO / "ui").glob("*.py"))

SCRIPT_ID = "<script>alert(1)</script>"
IMG_ID = "<img src=x onerror=alert(1)>"
PIXEL_ID = "![pixel](http://tracker.invalid/p.png)"
FORMULA_ID = '=HYPERLINK("http://evil.invalid","x")'
HOSTILE_IDS = (SCRIPT_ID, IMG_ID, PIXEL_ID, FORMULA_ID)
#: Substrings that must never reach the browser as HTML or markdown.
HTML_PAYLOADS = ("<script", "onerror=", "<img")
MARKDOWN_PAYLOADS = ("](http://tracker.invalid",)


def _quote(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"'


PIXEL_COLUMN = "![column](http://tracker.invalid/c.png)"
HOSTILE_WARD = (
    "patient_id,time,temp_c,sbp,symptoms,other_immunosuppressant,tocilizumab,"
    f"{_quote(PIXEL_COLUMN)}\n"
    f"{_quote(SCRIPT_ID)},2024-05-01T08:00:00,38.6,85,"
    f"{_quote('<script>alert(2)</script> rigors')},,\n"
    f"{_quote(SCRIPT_ID)},2024-05-01T14:00:00,=1+2,80,,{_quote('<img src=y onerror=alert(3)>')},400\n"
    f"{_quote(IMG_ID)},2024-05-01T08:00:00,39.2,120,nausea,,\n"
    f"{_quote(PIXEL_ID)},2024-05-01T08:00:00,37.0,@x,{_quote('nausea ' + PIXEL_ID)},,\n"
    f"{_quote(FORMULA_ID)},2024-05-01T08:00:00,38.1,95,,{_quote('=cmd|calc!A0')},\n"
)
HOSTILE_FILE_NAME = "<img src=x onerror=alert(9)> ![file](http://tracker.invalid/f.png).csv"


# ----------------------------------------------------------------- source scan


def _module_string_constants(paths: list[Path]) -> set[str]:
    """Module-level names bound to a string literal (e.g. PRINT_CSS = "<style>…")."""
    names: set[str] = set()
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.Assign | ast.AnnAssign):
                continue
            value = node.value
            if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _is_constant_text(node: ast.expr, constants: set[str]) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.Name):
        return node.id in constants
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_constant_text(node.left, constants) and _is_constant_text(node.right, constants)
    return False  # f-strings, calls, attributes, subscripts: data may flow in


def _html_calls(path: Path) -> Iterator[tuple[int, ast.Call]]:
    """Calls that render raw HTML: any ``unsafe_allow_html=<not False>``, ``st.html``,
    ``components.html``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        unsafe = any(
            k.arg == "unsafe_allow_html"
            and not (isinstance(k.value, ast.Constant) and k.value.value is False)
            for k in node.keywords
        )
        raw_html = isinstance(node.func, ast.Attribute) and node.func.attr == "html"
        if unsafe or raw_html:
            yield node.lineno, node


def test_unsafe_html_in_pages_and_ui_only_ever_receives_constant_text() -> None:
    sources = [p for p in [*APP_SOURCES, *UI_SOURCES] if p.exists()]
    constants = _module_string_constants(sources)
    offenders = []
    for path in sources:
        for lineno, call in _html_calls(path):
            body = call.args[0] if call.args else None
            body = next((k.value for k in call.keywords if k.arg in ("body", "html")), body)
            unsafe_flag = next(
                (k.value for k in call.keywords if k.arg == "unsafe_allow_html"), None
            )
            flag_is_literal = unsafe_flag is None or isinstance(unsafe_flag, ast.Constant)
            if body is None or not _is_constant_text(body, constants) or not flag_is_literal:
                offenders.append(f"{path.relative_to(REPO)}:{lineno}")
    assert not offenders, f"raw HTML built from data (or a computed flag): {offenders}"


def test_the_source_scan_catches_html_built_from_data(tmp_path: Path) -> None:
    # the scan itself must be able to fail
    page = tmp_path / "page.py"
    page.write_text(
        "import streamlit as st\nSAFE = '<hr>'\npid = input()\n"
        "st.markdown(SAFE, unsafe_allow_html=True)\n"
        "st.markdown(f'<b>{pid}</b>', unsafe_allow_html=True)\n"
        "st.html(pid)\n"
    )
    constants = _module_string_constants([page])
    flagged = [
        lineno
        for lineno, call in _html_calls(page)
        if not _is_constant_text(call.args[0], constants)
    ]
    assert flagged == [5, 6]


# ----------------------------------------------------------------- rendering with AppTest


def _walk(node) -> Iterator[object]:
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _walk(child)
    else:
        yield node
    # labels of expanders, tabs and status blocks are markdown too
    if hasattr(node, "proto") and getattr(node, "type", "") in ("expandable", "tab"):
        yield node


def _rendered_text(element) -> tuple[str, bool] | None:
    """(text rendered as markdown or HTML, is_raw_html) of one element, else None."""
    kind = type(element).__name__
    proto = getattr(element, "proto", None)
    if kind == "Html":
        return str(element.value), True
    if kind in ("Markdown", "Caption", "Latex"):
        return str(element.value), bool(getattr(element, "allow_html", False))
    if kind in ("Error", "Warning", "Info", "Success", "Title", "Header", "Subheader", "Toast"):
        return str(element.value), False
    label = getattr(proto, "label", None) if proto is not None else None
    if isinstance(label, str):
        return label, False
    return None


def assert_no_markup_injection(at) -> None:
    for element in _walk(at._tree):
        rendered = _rendered_text(element)
        if rendered is None:
            continue
        text, raw = rendered
        if raw:
            assert not any(p in text.lower() for p in HTML_PAYLOADS), (
                f"hostile HTML passed raw to the browser: {text[:200]!r}"
            )
        assert not any(p in text for p in MARKDOWN_PAYLOADS), (
            f"hostile markdown image rendered: {text[:200]!r}"
        )


@pytest.fixture(scope="module")
def hostile_ward():
    from ui.session import Upload, load_ward

    return load_ward([Upload(HOSTILE_FILE_NAME, HOSTILE_WARD.encode())])


def run_page(page: Path, ward, patient_id: str | None = None):
    from streamlit.testing.v1 import AppTest

    from ui.session import PATIENT_KEY, WARD_KEY

    at = AppTest.from_file(str(page), default_timeout=120)
    at.session_state[WARD_KEY] = ward
    if patient_id is not None:
        at.session_state[PATIENT_KEY] = patient_id
    at.run()
    return at


@pytest.mark.parametrize("page", APP_SOURCES, ids=lambda p: p.name)
@pytest.mark.parametrize("patient_id", [SCRIPT_ID, PIXEL_ID], ids=["script", "pixel"])
def test_every_page_shows_hostile_ids_and_free_text_as_text(
    page: Path, patient_id: str, hostile_ward, captured_downloads
) -> None:
    at = run_page(page, hostile_ward, patient_id)
    assert not at.exception, [e.value for e in at.exception]
    assert_no_markup_injection(at)


@pytest.mark.parametrize("page", APP_SOURCES, ids=lambda p: p.name)
def test_every_csv_download_of_every_page_neutralises_formulas(
    page: Path, hostile_ward, captured_downloads
) -> None:
    at = run_page(page, hostile_ward, FORMULA_ID)
    assert not at.exception, [e.value for e in at.exception]
    for name, data in captured_downloads.items():
        if name.lower().endswith(".csv") or data[:1] not in (b"%", b"\x89", b"P"):
            check_safe_csv(data)


def test_the_home_page_download_of_the_problems_lists_hostile_raw_cells_neutralised(
    hostile_ward, captured_downloads
) -> None:
    at = run_page(REPO / "app.py", hostile_ward)
    assert not at.exception
    csvs = [data for name, data in captured_downloads.items() if name.endswith(".csv")]
    assert csvs, "the home page offers the data-quality report as CSV"
    text = b"\n".join(csvs).decode("utf-8")
    assert "'=1+2" in text and "'@x" in text
    for data in csvs:
        check_safe_csv(data)


def _home_with_upload(name: str, data: bytes):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.run()
    at.file_uploader[0].set_value((name, data, "text/csv"))
    at.run()
    for button in at.button:
        if "read and grade" in button.label.lower():
            button.click()
    at.run()
    return at


def test_uploading_a_hostile_export_on_the_home_page_grades_it_and_shows_text_only() -> None:
    at = _home_with_upload(HOSTILE_FILE_NAME, HOSTILE_WARD.encode())
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert any("Loaded 4 patients" in s.value for s in at.success)
    assert_no_markup_injection(at)


def test_uploading_an_unusable_file_shows_the_one_clear_message() -> None:
    at = _home_with_upload("login.csv", b"<html><body><form>Sign in</form></body></html>")
    assert not at.exception
    assert len(at.error) == 1
    assert "<html" not in at.error[0].value.lower()


def test_an_upload_over_the_configured_size_gets_a_clear_message() -> None:
    # Streamlit's uploader refuses bigger files in the browser; the app also checks the
    # size it receives against server.maxUploadSize (MB) and says so, without reading.
    from streamlit import config

    old = config.get_option("server.maxUploadSize")
    config.set_option("server.maxUploadSize", 1)
    try:
        big = b"patient_id,time,temp_c\n" + b"P1,2024-05-01T08:00:00,37.0\n" * 50_000
        assert len(big) > 1024 * 1024
        at = _home_with_upload("big.csv", big)
    finally:
        config.set_option("server.maxUploadSize", old)
    assert not at.exception
    messages = " ".join(e.value for e in at.error)
    assert "1 MB" in messages, messages


@pytest.mark.parametrize(
    "script",
    [
        f"import streamlit as st\nst.markdown({SCRIPT_ID!r}, unsafe_allow_html=True)",
        f"import streamlit as st\nst.html({IMG_ID!r})",
        f"import streamlit as st\nst.info('Patient ' + {PIXEL_ID!r})",
        f"import streamlit as st\nst.caption({PIXEL_ID!r})",
    ],
    ids=["markdown_html", "st_html", "alert_image", "caption_image"],
)
def test_the_markup_check_catches_a_page_that_renders_hostile_text(script: str) -> None:
    # the rendering check itself must be able to fail
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(script).run()
    with pytest.raises(AssertionError):
        assert_no_markup_injection(at)


def test_the_markup_check_accepts_hostile_text_shown_as_text() -> None:
    from streamlit.testing.v1 import AppTest

    script = (
        "import streamlit as st\n"
        f"st.text({PIXEL_ID!r})\nst.code({SCRIPT_ID!r})\nst.markdown({SCRIPT_ID!r})\n"
    )
    assert_no_markup_injection(AppTest.from_string(script).run())


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("case1.csv", "case1.csv"),
        # (the word joiner after "http:" stops GitHub's autolink, which ignores escapes)
        ("![p](http://a.invalid/p.png)", "\\!\\[p\\]\\(http\\:\u2060//a.invalid/p.png\\)"),
        ("<script>alert(1)</script>", "\\<script\\>alert\\(1\\)\\</script\\>"),
        ("- not a list", "\\- not a list"),
        ("12. not a list", "12\\. not a list"),
        ("rigors\nnausea", "rigors nausea"),
        ("a_b *c*", "a\\_b \\*c\\*"),
    ],
)
def test_md_escape_turns_markup_in_data_into_literal_text(text: str, shown: str) -> None:
    from ui.text import md_escape

    assert md_escape(text) == shown


def test_an_xlsx_workbook_can_be_uploaded_on_the_home_page_and_is_graded() -> None:
    # The reader and the command line take .xlsx (first sheet); the uploader must too.
    from tests.test_hostile_files import _workbook_bytes

    at = _home_with_upload("ward.xlsx", _workbook_bytes())
    assert "xlsx" in at.file_uploader[0].allowed_type or ".xlsx" in at.file_uploader[0].allowed_type
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert any("Loaded 2 patients" in s.value for s in at.success)


FORMULA_CELLS = ('=HYPERLINK("http://x","y")', "@SUM(1+1)", "+1+2", "-1+2")


def _formula_ward():
    """Ids and therapies that a spreadsheet would run, two rows 25 h apart at the same
    grade: the ward round's own trend label is then "= same"."""
    from ui.session import Upload, load_ward

    lines = ["patient_id,time,temp_c,therapy"]
    for cell in FORMULA_CELLS:
        quoted = _quote(cell)
        lines += [f"{quoted},2024-05-01T08:00:00,38.5,{quoted}"]
        lines += [f"{quoted},2024-05-02T09:00:00,38.6,{quoted}"]
    return load_ward([Upload("formulas.csv", ("\n".join(lines) + "\n").encode())])


def test_the_ward_round_table_downloads_neutralised_including_its_own_same_trend(
    captured_downloads,
) -> None:
    # The grid's own "Download as CSV" is off (.streamlit/config.toml); this is the
    # replacement every table offers (ui.tables.data_table).
    at = run_page(REPO / "pages" / "1_Ward_round.py", _formula_ward())
    assert not at.exception, [e.value for e in at.exception]
    data = captured_downloads["crs_ward_round.csv"]
    check_safe_csv(data)
    cells = {c for row in csv.reader(io.StringIO(data.decode("utf-8"))) for c in row}
    for cell in (*FORMULA_CELLS, "= same"):
        assert "'" + cell in cells, (cell, sorted(cells))


def test_the_grids_own_csv_export_is_turned_off_in_the_apps_configuration() -> None:
    import tomllib

    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["disableDataExport"] is True
