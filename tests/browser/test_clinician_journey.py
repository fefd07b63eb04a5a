"""A clinician's session in a real browser: upload, ward round, patient timeline, print.

AppTest runs the page scripts but not Streamlit's front end; these tests drive the real
React front end in Debian's chromium, against the app started as `make run` starts it
(`--sample`: a new browser session opens on the bundled sample ward). Each test opens a
new browser context, i.e. a new Streamlit session. Screenshots of every step go to
screenshots/browser/ (git-ignored) for a person to look at.

The last test reads the request log that every page of this module filled and proves
that nothing the pages asked for left the machine (README: "no external requests").
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

import pypdf
import pytest
from playwright.sync_api import Page
from streamlit_ui import (
    EXCEPTION,
    FILE_INPUT,
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

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
CASE1 = DATA / "case1.csv"
SAMPLE_WARD = DATA / "sample_ward.csv"
SAMPLE_PATIENTS = DATA / "sample_ward_patients.csv"
NO_PATIENT_COLUMN = Path(__file__).parent / "files" / "no_patient_column.csv"

#: grading.md §3: the criteria a driver can be, as the hover words them (issue #15:
#: "organ toxicity", not organ_toxicity).
CRITERIA_CODES = {
    "fever",
    "symptoms",
    "hypotension",
    "vasopressor",
    "oxygen",
    "ventilation",
    "organ_toxicity",
    "neurotoxicity",
    "death",
}
CRITERIA = {code.replace("_", " ") for code in CRITERIA_CODES}
GRADING_TIMEOUT_MS = 90_000


def data_rows(path: Path) -> list[dict[str, str]]:
    """The file's data rows, read with the csv module (independent of the app's reader)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def patients_in(path: Path) -> Counter[str]:
    """Rows per patient id in a wide export with a patient_id column."""
    return Counter(row["patient_id"].strip() for row in data_rows(path))


def assert_no_error_frame(page: Page) -> None:
    """No Streamlit exception box and no Python traceback anywhere on the page."""
    assert page.locator(EXCEPTION).count() == 0, "an exception frame is on the page"
    text = page.locator("body").inner_text()
    for words in ("Traceback", "This app has encountered an error", 'File "/'):
        assert words not in text, f"{words!r} is shown to the user"


def read_and_grade(page: Page, files: list[Path]) -> None:
    """Choose files in the Home uploader and press "Read and grade"."""
    page.locator(FILE_INPUT).set_input_files(files)
    button = page.get_by_role("button", name="Read and grade")
    button.wait_for()
    wait_idle(page)
    button.click()


def metric(page: Page, label: str) -> str:
    """The value shown by an st.metric with that label."""
    box = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label)
    )
    return box.first.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_uploading_an_export_shows_its_data_quality_summary_with_the_rows_read(
    page: Page, app_url: str, screenshots: Path
) -> None:
    open_page(page, app_url)
    shoot(page, screenshots, "01_home_on_the_sample_ward")

    read_and_grade(page, [CASE1])
    # The balance sentence names the uploaded file: it proves this upload was graded
    # (the session already showed the sample ward's report before).
    balance = page.get_by_text(re.compile(r"^case1\.csv: the counts balance"))
    balance.wait_for(timeout=GRADING_TIMEOUT_MS)
    wait_idle(page)
    shoot(page, screenshots, "02_home_case1_data_quality")

    assert metric(page, "Rows read") == str(len(data_rows(CASE1)))
    counts = re.search(
        r"(\d+) read = (\d+) graded \+ (\d+) merged \+ (\d+) not graded", balance.inner_text()
    )
    assert counts is not None, balance.inner_text()
    read, graded, merged, not_graded = map(int, counts.groups())
    assert read == len(data_rows(CASE1)) == graded + merged + not_graded
    assert metric(page, "Rows graded") == str(graded)
    assert_no_error_frame(page)


def test_ward_round_lists_each_patient_once_and_the_timeline_hover_shows_the_drivers(
    page: Page, app_url: str, screenshots: Path
) -> None:
    expected = patients_in(SAMPLE_WARD)
    open_page(page, app_url)
    read_and_grade(page, [SAMPLE_WARD, SAMPLE_PATIENTS])
    page.get_by_text("Read and graded").wait_for(timeout=GRADING_TIMEOUT_MS)
    wait_idle(page)

    # Through the page's own link, in the same session (the uploaded ward stays loaded).
    page.get_by_role("link", name="Open the ward round").click()
    page.get_by_text(re.compile(r"Sickest first")).wait_for()
    wait_idle(page)
    census = page.locator('[data-testid="stDataFrame"]').first
    census.wait_for()
    shoot(page, screenshots, "03_ward_round")

    # The census grid announces its size to screen readers (header row included); only
    # the rows in view are in the DOM, so the count is read from aria-rowcount.
    rowcount = census.locator("[aria-rowcount]").first.get_attribute("aria-rowcount")
    assert rowcount is not None
    assert int(rowcount) - 1 == len(expected)

    options = open_selectbox(page, "Open a patient's timeline")
    assert sorted(options) == sorted(expected)
    # The sickest patient comes first: the one a ward round opens first.
    sickest = options[0]
    page.get_by_role("option", name=sickest, exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name="Open timeline").click()

    page.wait_for_url(re.compile(r"/Patient\?patient="))
    assert f"patient={sickest}" in page.url
    page.locator(PLOT).first.wait_for(timeout=GRADING_TIMEOUT_MS)
    wait_idle(page)
    shoot(page, screenshots, "04_patient_timeline")

    traces = {t["name"]: t for t in plot_traces(page)}
    assert "CRS grade" in traces, sorted(traces)
    grade_trace = traces["CRS grade"]
    grades = [int(g) for g in grade_trace["ys"]]
    assert 0 < len(grades) <= expected[sickest]
    assert set(grades) <= set(range(6))
    # Grade 5 is death, drawn with its own marker over the line (that marker's hover
    # says "Death recorded"); the drivers are checked on the worst grade below it.
    worst_grade = max((g for g in grades if g < 5), default=0)
    assert worst_grade > 0, f"{sickest}, the sickest patient of the sample ward, has no CRS"

    worst = grades.index(worst_grade)
    label = hover_text(page, int(grade_trace["index"]), worst)
    shoot(page, screenshots, "05_hover_shows_drivers")
    assert f"Grade {worst_grade}" in label, label
    drivers = re.search(r"Drivers: ([a-z;, ]+)", label)
    assert drivers is not None, label
    named = {d.strip() for d in re.split(r"[;,]", drivers.group(1)) if d.strip()}
    assert named, f"a grade {worst_grade} point names no driver: {label}"
    assert named <= CRITERIA, label
    assert_no_error_frame(page)


def test_a_file_without_a_patient_column_gets_one_clear_visible_message_and_no_traceback(
    page: Page, app_url: str, screenshots: Path
) -> None:
    open_page(page, app_url)
    read_and_grade(page, [NO_PATIENT_COLUMN])
    error = page.locator('[data-testid="stAlertContentError"]').first
    error.wait_for(state="attached", timeout=GRADING_TIMEOUT_MS)
    wait_idle(page)
    shoot(page, screenshots, "06_file_without_patient_column")

    message = error.text_content() or ""
    assert "no patient column" in message, message
    # The message names the accepted column names (grading.md §1.1).
    for accepted in ("patient_id", "mrn", "subject_id"):
        assert accepted in message, message
    # A clinician must be able to read it without opening anything.
    assert error.is_visible(), (
        "the message is on the page but hidden (inside a collapsed box): " + message
    )
    assert_no_error_frame(page)


def test_the_patient_page_prints_on_a4_landscape_with_the_timeline_and_the_graded_rows(
    page: Page, app_url: str, screenshots: Path
) -> None:
    patient = next(iter(patients_in(SAMPLE_WARD)))
    # A direct link, as a colleague would send it; the session opens on the sample ward.
    open_page(page, f"{app_url}/Patient?patient={patient}")
    page.locator(PLOT).first.wait_for(timeout=GRADING_TIMEOUT_MS)
    page.get_by_text("Graded time points").wait_for()
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
    wait_idle(page)
    assert_no_error_frame(page)

    page.emulate_media(media="print")
    pdf_bytes = page.pdf(format="A4", landscape=True, print_background=True)
    (screenshots / "07_patient_page.pdf").write_bytes(pdf_bytes)
    shoot(page, screenshots, "07_patient_page_print_media")
    page.emulate_media(media="screen")

    pdf = pypdf.PdfReader(io.BytesIO(pdf_bytes))
    width, height = pdf.pages[0].mediabox.width, pdf.pages[0].mediabox.height
    assert width > height, "not landscape"
    assert abs(float(width) - 842) < 3 and abs(float(height) - 595) < 3, "not A4"
    # The patient's header line (identifier, grade, when shown) on every printed page
    # (ui.style.PRINT_CSS repeats the page's own header element; issue #15).
    for number, printed in enumerate(pdf.pages, start=1):
        assert f"Patient {patient} · grade now" in (printed.extract_text() or ""), number
    text = "\n".join(p.extract_text() or "" for p in pdf.pages)
    # The chart is drawn as vector text and lines: its title and panel titles are there.
    for words in (f"Patient {patient}", "CRS grades (Lee 2014, ASTCT 2019)", "Temperature"):
        assert words in text, f"{words!r} is not in the printed page"
    # The graded rows are printed as text: after their heading come rows, each with its
    # time point and its one-sentence explanation (grading.md §4).
    assert "Graded time points" in text, "the graded rows' heading is not printed"
    after = text.split("Graded time points", 1)[1]
    explained = re.findall(
        r"(?:day -?\d+(?:\.\d+)?|\d{4}-\d\d-\d\d)[^\n]*?\b[0-5]\b[^\n]*Grade [0-5]: ", after
    )
    assert len(explained) >= 2, "the graded rows are not on the printed page:\n" + after[:800]


def test_every_request_the_pages_made_went_to_this_machine(
    page: Page, app_url: str, request_log: RequestLog, screenshots: Path
) -> None:
    # Visit the one page the journey above did not, so every page is covered even when
    # this test runs alone.
    open_page(page, f"{app_url}/Reference")
    page.get_by_text("Table 3").first.wait_for()
    shoot(page, screenshots, "08_reference")

    urls = list(request_log.urls)
    assert any("/_stcore/stream" in url for url in urls), "the app's websocket was not recorded"
    assert any(url.startswith(app_url) for url in urls)
    offenders = sorted({url for url in urls if leaves_machine(url)})
    assert not offenders, "requests that left the machine:\n" + "\n".join(offenders)


def test_no_page_reported_a_script_error_in_the_browser(request_log: RequestLog) -> None:
    # A front-end error (a chart that fails to draw, a widget that breaks) shows nothing
    # on the server: only the browser console knows. Read after every page above ran.
    assert request_log.urls, "no page was opened before this test"
    # Opened by a direct link (/Patient?…), Streamlit's front end first looks for its
    # server under the page's path (/Patient/_stcore/health), gets 404 and falls back to
    # the root: that probe is how Streamlit finds its base URL, not an error of the app.
    base_url_probe = re.compile(r"404 .*\(https?://[^/]+/[^/]+/_stcore/(health|host-config)\)$")
    errors = [e for e in request_log.console_errors if not base_url_probe.search(e)]
    assert not errors, "\n".join(errors)
