"""ASTCT 2019 CRS and ICANS beside Lee in a real browser (issue #14): the ward round shows
the three grades and sorts by any of them; the patient timeline draws the three courses.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page
from streamlit_ui import PLOT, open_page, open_selectbox, plot_traces, shoot, wait_idle
from test_clinician_journey import GRADING_TIMEOUT_MS, SAMPLE_PATIENTS, SAMPLE_WARD, read_and_grade

pytestmark = pytest.mark.browser


def test_the_timeline_draws_the_lee_astct_and_icans_courses(
    page: Page, app_url: str, screenshots: Path
) -> None:
    open_page(page, app_url)
    read_and_grade(page, [SAMPLE_WARD, SAMPLE_PATIENTS])
    page.get_by_text("Read and graded").wait_for(timeout=GRADING_TIMEOUT_MS)
    wait_idle(page)
    page.get_by_role("link", name="Open the ward round").click()
    page.get_by_text(re.compile(r"Sickest first")).wait_for()
    wait_idle(page)
    page.locator('[data-testid="stDataFrame"]').first.wait_for()

    # Sort by ICANS: the caption says so; P007 (ICANS 3, first of the Lee order) leads.
    open_selectbox(page, "Sort by")
    page.get_by_role("option", name="ICANS grade", exact=True).click()
    wait_idle(page)
    page.get_by_text(re.compile(r"Sickest first by ICANS grade")).wait_for()
    wait_idle(page)
    page.wait_for_timeout(1_500)  # the grid repaints after the rerun
    shoot(page, screenshots, "astct_00_ward_round_by_icans")
    options = open_selectbox(page, "Open a patient's timeline")
    assert options[:2] == ["P007", "P015"], options
    page.get_by_role("option", name="P007", exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name="Open timeline").click()
    page.wait_for_url(re.compile(r"/Patient\?patient=P007"))
    page.locator(PLOT).first.wait_for(timeout=GRADING_TIMEOUT_MS)
    wait_idle(page)
    shoot(page, screenshots, "astct_01_p007_three_courses")

    traces = {t["name"]: t for t in plot_traces(page)}
    for name in ("CRS grade", "ASTCT CRS grade", "ICANS grade"):
        assert name in traces, sorted(traces)
        assert traces[name]["points"] > 0, name
    # Each course its own step line, apart from the others at the same grade.
    icans = [round(float(y), 2) for y in traces["ICANS grade"]["ys"]]
    assert max(icans) == pytest.approx(3 - 0.3)
    assert "ICANS onset (ASTCT 2019)" in traces
    assert "ICE score (10 = normal)" in traces
