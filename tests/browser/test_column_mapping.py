"""The column-mapping step in a real browser (issue #12): an export with two clinical
columns nobody's alias table knows is mapped, confirmed and graded; the next upload is
offered the saved mapping; "not used" is said in the report; a unit the column's own
name contradicts is refused. Screenshots go to screenshots/browser/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from streamlit_ui import FILE_INPUT, open_page, open_selectbox, shoot, wait_idle

from ui.text import md

pytestmark = pytest.mark.browser

GRADING_TIMEOUT_MS = 90_000

MONDAY = (
    "patient_id,time,Art line sys,Levo gtt,Bed,Temp (C),FiO2\n"
    "MAP1,2024-03-05T08:00,84,25,12,38.5,30\n"
    "MAP1,2024-03-05T10:00,82,25,12,38.7,30\n"
    "MAP1,2024-03-05T12:00,80,25,12,38.9,30\n"
)


def _upload(page: Page, path: Path) -> None:
    page.locator(FILE_INPUT).set_input_files([path])
    page.get_by_text("Columns to map before grading").wait_for(timeout=GRADING_TIMEOUT_MS)
    wait_idle(page)


def _label(raw: str) -> str:
    """The select box's accessible name: its Markdown label as the page passes it."""
    return md("What {} holds", raw)


def _choose(page: Page, raw: str, words: str) -> None:
    options = open_selectbox(page, _label(raw))
    assert words in options, options
    page.get_by_role("option", name=words, exact=True).click()
    wait_idle(page)


def _chosen(page: Page, raw: str) -> str:
    return page.get_by_label(_label(raw), exact=True).input_value()


def test_two_unknown_columns_are_mapped_confirmed_graded_and_offered_again(
    page: Page, app_url: str, screenshots: Path, tmp_path: Path
) -> None:
    monday = tmp_path / "icu_monday.csv"
    monday.write_text(MONDAY, encoding="utf-8")
    open_page(page, app_url)
    _upload(page, monday)
    read_and_grade = page.get_by_role("button", name="Read and grade")
    expect(read_and_grade).to_be_disabled()  # nothing graded before the mapping is confirmed
    _choose(page, "Art line sys", "systolic pressure (mmHg)")
    _choose(page, "Levo gtt", "norepinephrine (µg/min)")
    _choose(page, "Bed", "not used")
    shoot(page, screenshots, "20_mapping_step")
    page.get_by_role("button", name="Confirm the mapping").click()
    page.get_by_text(re.compile(r"^Mapping confirmed")).wait_for()
    wait_idle(page)
    expect(read_and_grade).to_be_enabled()
    read_and_grade.click()
    page.get_by_text(re.compile(r"^Column mapping used")).wait_for(timeout=GRADING_TIMEOUT_MS)
    wait_idle(page)
    shoot(page, screenshots, "21_mapping_in_the_report")
    report = page.get_by_text(re.compile(r"^Column mapping used")).inner_text()
    assert "'Art line sys' read as systolic pressure (mmHg)" in report
    assert "'Bed' not used (left out of grading, as mapped)" in report

    # The next export (a new browser session) is offered the saved mapping.
    tuesday = tmp_path / "icu_tuesday.csv"
    tuesday.write_text(MONDAY.replace("2024-03-05", "2024-03-06"), encoding="utf-8")
    context = page.context.browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        second = context.new_page()
        open_page(second, app_url)
        _upload(second, tuesday)
        assert _chosen(second, "Art line sys") == "systolic pressure (mmHg)"
        assert _chosen(second, "Levo gtt") == "norepinephrine (µg/min)"
        assert _chosen(second, "Bed") == "not used"
        expect(second.get_by_role("button", name="Read and grade")).to_be_disabled()
        shoot(second, screenshots, "22_mapping_offered_again")
    finally:
        context.close()


def test_a_unit_the_column_name_contradicts_is_refused_in_one_line(
    page: Page, app_url: str, screenshots: Path, tmp_path: Path
) -> None:
    export = tmp_path / "core.csv"
    export.write_text(
        "patient_id,time,Core T (F),sbp\nMAP2,2024-03-05T08:00,101.3,120\n", encoding="utf-8"
    )
    open_page(page, app_url)
    _upload(page, export)
    _choose(page, "Core T (F)", "temperature (°C)")
    page.get_by_role("button", name="Confirm the mapping").click()
    error = page.locator('[data-testid="stAlertContentError"]')
    error.wait_for()
    wait_idle(page)
    shoot(page, screenshots, "23_mapping_refused")
    assert error.inner_text().startswith(
        "'Core T (F)' cannot be temperature in °C: its name gives the unit °F."
    )
    expect(page.get_by_role("button", name="Read and grade")).to_be_disabled()
