"""Hostile content in a real browser (issue #18): file names, ids and cells built to run
script, fetch outside images, open outside links, spoof a patient or run as a formula.

An attacker who can put a file on the ward PC (or a colleague's mistyped export) must
not make the dashboard fetch anything from outside, open a dialog, render a link to
another host or a ``javascript:`` link, show a right-to-left id as another patient's,
or hand out a CSV whose cells a spreadsheet runs. This module starts a server of its
own (its own ward store), uploads such files on Home, visits every page of that browser
session (Home, Ward round, Patient for several hostile ids, Reference) and reads the
DOM, the request log, the dialogs and the downloads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from conftest import VIEWPORT, running_app
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from streamlit_ui import (
    EXCEPTION,
    FILE_INPUT,
    NAV_LINKS,
    PLOT,
    RequestLog,
    hover_text,
    leaves_machine,
    open_page,
    open_selectbox,
    plot_traces,
    shoot,
    wait_idle,
)

pytestmark = pytest.mark.browser

GRADING_TIMEOUT_MS = 90_000

#: Upload names: a Markdown image (the reported leak), a link, HTML and javascript: URLs.
WARD_NAME = "ward![i](http://evil.example/i.png).csv"
RESENT_NAME = "<img src=x onerror=alert(9)>[l](javascript:alert(8)).csv"
UNUSABLE_NAME = "[x](javascript:alert(7)) <b>b</b> ![e](http://evil.example/e.png).csv"

REAL = "P001"
RTL = "\u202e100P"  # displays as "P001" where the browser applies the override
JOINED = "P00\u200d1"  # a zero-width joiner: looks exactly like P001
SCRIPT_ID = "<script>alert(1)</script>"
IMG_ID = "<img src=x onerror=alert(2)>"
PIXEL_ID = "![p](http://evil.example/p.png)"
JS_ID = "[j](javascript:alert(3))"
FORMULA_ID = '=HYPERLINK("http://evil.example","y")'
PLUS_ID, MINUS_ID = "+1+2", "-1+2"
IDS = (REAL, RTL, JOINED, SCRIPT_ID, IMG_ID, PIXEL_ID, JS_ID, FORMULA_ID, PLUS_ID, MINUS_ID)
ACCEPTED = [i for i in IDS if i not in (RTL, JOINED)]
SYMPTOMS = (
    "<script>alert(4)</script> rigors",
    "<img src=y onerror=alert(5)>",
    "![s](http://evil.example/s.png)",
    "[click](http://evil.example/c) www.evil.example :material/home:",
    "nausea a@evil.example",
)
#: A column named like an image, cells of the therapy column run as formulas.
HEADER = ["patient_id", "time", "temp_c", "sbp_mmhg", "symptoms"]
HEADER += ["other_immunosuppressant", "therapy", "![c](http://evil.example/c.png)"]


def hostile_ward() -> bytes:
    """Two rows 25 h apart per id, the same grade: the ward round's trend is "= same"."""
    rows = [HEADER]
    for number, patient in enumerate(IDS):
        for time in ("2024-05-01T08:00:00", "2024-05-02T09:00:00"):
            rows.append(
                [
                    patient,
                    time,
                    "38.5",
                    "120",
                    SYMPTOMS[number % len(SYMPTOMS)],
                    '<a href="http://evil.example/a">x</a>' if patient == REAL else "",
                    "@SUM(1+1)" if number % 2 else "<b>axi-cel</b>",
                    "![v](http://evil.example/v.png)",
                ]
            )
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


@dataclass
class Session:
    """One clinician's browser session on this module's server, and what it saw."""

    page: Page
    base: str
    store_url: str
    log: RequestLog
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(address, ward store URL) of a server of this module's own."""
    folder = tmp_path_factory.mktemp("streamlit_hostile")
    with running_app(folder) as base:
        yield base, f"sqlite:///{folder / 'ward.sqlite3'}"


@pytest.fixture(scope="module")
def request_log() -> RequestLog:
    return RequestLog()


def new_session(browser: Browser, server: tuple[str, str], log: RequestLog) -> Session:
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(30_000)
    context.on("request", lambda request: log.record(request.url))
    page = context.new_page()
    page.on("websocket", lambda socket: log.record(socket.url))
    session = Session(page, server[0], server[1], log)
    # An alert(), confirm() or prompt() would mean a script of the file ran.
    page.on("dialog", lambda dialog: (session.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: log.console_errors.append(f"uncaught: {error}"))
    open_page(page, session.base)
    return session


def upload(page: Page, files: list[tuple[str, bytes]]) -> None:
    page.locator(FILE_INPUT).set_input_files(
        [{"name": name, "mimeType": "text/csv", "buffer": data} for name, data in files]
    )
    button = page.get_by_role("button", name="Read and grade")
    button.wait_for()
    wait_idle(page)
    button.click()


@pytest.fixture(scope="module")
def hostile(browser: Browser, server: tuple[str, str], request_log: RequestLog) -> Session:
    """A session that uploaded the hostile ward under two hostile names (the second is
    the same bytes: an identical re-send) and now shows the ward store."""
    session = new_session(browser, server, request_log)
    data = hostile_ward()
    upload(session.page, [(WARD_NAME, data), (RESENT_NAME, data)])
    session.page.get_by_text("Read and graded").wait_for(timeout=GRADING_TIMEOUT_MS)
    wait_idle(session.page)
    return session


# ----------------------------------------------------------------- what the DOM may hold

#: Every link and every element that loads something, with the address it points to.
_ADDRESSES = """() => {
    const found = [];
    for (const a of document.querySelectorAll('a')) {
        found.push(['a', a.getAttribute('href') || a.getAttribute('xlink:href') || '']);
    }
    for (const e of document.querySelectorAll('img, image, iframe, video, audio, source, object, embed')) {
        found.push([e.tagName.toLowerCase(),
            e.getAttribute('src') || e.getAttribute('href') || e.getAttribute('xlink:href')
            || e.getAttribute('data') || '']);
    }
    const handlers = [];
    for (const e of document.querySelectorAll('*')) {
        for (const attribute of e.attributes) {
            if (attribute.name.startsWith('on')) handlers.push(e.outerHTML.slice(0, 160));
        }
    }
    return {found, handlers, html: document.body.innerHTML, text: document.body.innerText};
}"""

#: Characters that must never reach the screen as themselves (crs.read.identifiers).
HIDDEN = ("\u202e", "\u200d", "\u200b", "\ufeff")


def assert_nothing_hostile_rendered(session: Session, where: str) -> None:
    """No outside or javascript: link, nothing loaded from another host, no inline event
    handler, no script element from the file, no hidden character shown raw."""
    page = session.page
    assert page.locator(EXCEPTION).count() == 0, f"{where}: an exception frame is shown"
    state = page.evaluate(_ADDRESSES)
    bad = []
    for tag, address in state["found"]:
        if not address or address.startswith("#"):
            continue
        absolute = urljoin(page.url, address.strip())
        scheme = urlsplit(absolute).scheme.lower()
        if scheme in ("javascript", "vbscript") or leaves_machine(absolute):
            bad.append(f"<{tag}> {address}")
    assert not bad, f"{where}: outside links or loads rendered: {bad}"
    assert not state["handlers"], f"{where}: inline event handlers: {state['handlers']}"
    # As text these read &lt;script&gt;… in the HTML; as elements, as here.
    for payload in ("<script>alert", "<img src=", "<b>axi-cel", '<a href="http://evil'):
        assert payload not in state["html"], f"{where}: {payload!r} reached the page as HTML"
    shown = [c for c in HIDDEN if c in state["text"]]
    assert not shown, f"{where}: hidden characters shown as themselves: {shown}"
    assert not session.dialogs, f"{where}: a dialog opened: {session.dialogs}"


def go_to(page: Page, title: str) -> None:
    """Another page of the same session, through the navigation bar at the top (a new URL
    would start a new session)."""
    page.locator(NAV_LINKS).filter(has_text=title).first.click()
    page.locator("h1").filter(has_text=title).first.wait_for()
    wait_idle(page)


def choose(page: Page, label: str, option: str, attempts: int = 4) -> None:
    """Pick an option of a select box; a rerun that lands between opening the list and
    the click closes it, so the person (and this helper) opens it again."""
    for _ in range(attempts):
        open_selectbox(page, label)
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=3_000)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise AssertionError(f"could not choose {option!r} in {label!r}")


# ----------------------------------------------------------------- the tests


def test_an_unusable_upload_with_a_hostile_name_gets_its_message_as_text_and_is_audited(
    browser: Browser, server: tuple[str, str], request_log: RequestLog, screenshots: Path
) -> None:
    from crs.store import open_store

    session = new_session(browser, server, request_log)
    upload(session.page, [(UNUSABLE_NAME, b"time,temp_c\n2024-05-01T08:00:00,38.5\n")])
    error = session.page.locator('[data-testid="stAlertContentError"]').first
    error.wait_for(timeout=GRADING_TIMEOUT_MS)
    wait_idle(session.page)
    shoot(session.page, screenshots, "hostile_01_unusable_upload")
    # The name is shown as written, in the file-type label and in the error box.
    assert UNUSABLE_NAME in (error.text_content() or "").replace("\u2060", "")
    assert_nothing_hostile_rendered(session, "Home, unusable upload")
    refused = open_store(session.store_url).audit_log()
    assert any(
        what.startswith(f"{UNUSABLE_NAME}: not imported, nothing changed")
        for what in refused["what"]
    ), refused["what"].tolist()
    session.page.context.close()


def test_home_after_the_hostile_upload_shows_names_and_counts_as_text(
    hostile: Session, screenshots: Path
) -> None:
    page = hostile.page
    shoot(page, screenshots, "hostile_02_home_after_upload")
    text = page.locator("body").inner_text().replace("\u2060", "")
    # Both names as written; the two refused ids are not among the patients loaded.
    assert WARD_NAME in text and RESENT_NAME in text
    assert f"Loaded {len(ACCEPTED)} patients" in text
    assert "already imported" in text
    assert_nothing_hostile_rendered(hostile, "Home")


def test_the_identical_resend_and_every_import_are_in_the_audit_log(hostile: Session) -> None:
    from crs.store import open_store

    audit = open_store(hostile.store_url).audit_log()
    imports = audit[audit["action"] == "import"]["what"].tolist()
    assert any(w.startswith(f"{WARD_NAME}: import ") for w in imports), imports
    assert f"{RESENT_NAME}: already imported (import" in " ".join(imports), imports


def test_the_data_quality_report_names_each_refused_id_once_with_its_code_points(
    hostile: Session,
) -> None:
    page = hostile.page
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the problems as CSV").first.click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    refused = {row["raw"]: row for row in rows if row["column"] == "patient_id"}
    assert set(refused) == {"\\u202e100P", "P00\\u200d1"}, rows
    assert refused["\\u202e100P"]["line"] == "4"  # header = line 1, two rows per id
    assert "right-to-left override (U+202E)" in refused["\\u202e100P"]["reason"]
    assert "zero width joiner (U+200D)" in refused["P00\\u200d1"]["reason"]


def test_the_ward_round_shows_each_patient_once_and_never_the_rtl_id_as_p001(
    hostile: Session, screenshots: Path
) -> None:
    page = hostile.page
    go_to(page, "Ward round")
    census = page.locator('[data-testid="stDataFrame"]').first
    census.wait_for()
    shoot(page, screenshots, "hostile_03_ward_round")
    rowcount = census.locator("[aria-rowcount]").first.get_attribute("aria-rowcount")
    assert rowcount is not None and int(rowcount) - 1 == len(ACCEPTED)
    options = open_selectbox(page, "Open a patient's timeline")
    page.keyboard.press("Escape")
    assert sorted(options) == sorted(ACCEPTED)
    assert options.count(REAL) == 1
    assert not [o for o in options if any(c in o for c in HIDDEN) or "100P" in o]
    assert_nothing_hostile_rendered(hostile, "Ward round")


def test_the_ward_round_grid_has_no_csv_export_of_its_own_and_the_apps_is_neutralised(
    hostile: Session,
) -> None:
    page = hostile.page
    go_to(page, "Ward round")
    census = page.locator('[data-testid="stDataFrame"]').first
    census.hover()
    toolbar = page.locator('[data-testid="stElementToolbar"]').first
    toolbar.wait_for()
    labels = toolbar.locator("button").evaluate_all(
        "buttons => buttons.map(b => b.getAttribute('aria-label') || b.title || b.innerText)"
    )
    assert labels, "the grid's toolbar did not show"
    assert not [label for label in labels if "download" in label.lower()], labels
    # The page's run must have finished, or the click can land on a button the next
    # render replaces (the download then never starts).
    wait_idle(page)
    button = page.get_by_role("button", name="Download the ward round as CSV")
    button.wait_for()
    with page.expect_download(timeout=60_000) as download:
        button.click()
    data = Path(download.value.path()).read_bytes()
    cells = {cell for row in csv.reader(io.StringIO(data.decode("utf-8"))) for cell in row}
    for neutralised in (f"'{FORMULA_ID}", f"'{PLUS_ID}", f"'{MINUS_ID}", "'@SUM(1+1)", "'= same"):
        assert neutralised in cells, (neutralised, sorted(cells))
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], sorted(cells)


@pytest.mark.parametrize("patient", [REAL, SCRIPT_ID, PIXEL_ID, JS_ID, FORMULA_ID])
def test_each_hostile_patient_page_shows_the_id_and_the_cells_as_text(
    hostile: Session, patient: str, screenshots: Path
) -> None:
    page = hostile.page
    go_to(page, "Patient")
    choose(page, "Patient (sickest first)", patient)
    wait_idle(page)
    page.locator(PLOT).first.wait_for(timeout=GRADING_TIMEOUT_MS)
    # The chart is drawn again for the patient chosen: its title shows the id as text.
    title = page.locator(".js-plotly-plot .gtitle").first
    expect(title).to_have_text(f"Patient {patient}", timeout=GRADING_TIMEOUT_MS)
    wait_idle(page)
    traces = {t["name"]: t for t in plot_traces(page)}
    for name in ("CRS grade", "Other immunosuppressant"):
        if name in traces:  # the hover quotes the file's text: shown, never as markup
            hover_text(page, int(traces[name]["index"]), 0)
            assert_nothing_hostile_rendered(hostile, f"Patient {patient!r}, hover {name}")
    shoot(page, screenshots, f"hostile_04_patient_{ACCEPTED.index(patient)}")
    assert_nothing_hostile_rendered(hostile, f"Patient {patient!r}")


def test_the_reference_page_of_that_session_renders_nothing_hostile(hostile: Session) -> None:
    go_to(hostile.page, "Reference")
    assert_nothing_hostile_rendered(hostile, "Reference")


def test_nothing_any_page_asked_for_left_the_machine_and_no_dialog_opened(
    hostile: Session, request_log: RequestLog
) -> None:
    assert request_log.urls, "no page was opened before this test"
    outside = sorted({url for url in request_log.urls if leaves_machine(url)})
    assert not outside, f"requests that left the machine: {outside}"
    assert not hostile.dialogs, hostile.dialogs
    uncaught = [e for e in request_log.console_errors if e.startswith("uncaught")]
    assert not uncaught, uncaught
