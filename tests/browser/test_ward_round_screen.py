"""A ward round on a 1,280 × 800 laptop in Debian's chromium (issue #15).

The census shows the round's columns without scrolling sideways and ten patients above
the fold; the timeline draws a lower bound differently from a grade 0 and each alert
kind with its own marker (read from the chart's own data); the treatment table lists a
dose with its time. Screenshots go to screenshots/browser/ for a person to look at.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO, running_app
from playwright.sync_api import Browser, Page
from streamlit_ui import EXCEPTION, PLOT, open_page, shoot, wait_idle

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}
FILES = REPO / "tests" / "files"
GRID = '[data-testid="stDataFrame"]'
#: The round's columns (pages/1_Ward_round.py) and the grid's row-selection column.
ROUND_COLUMNS = 14 + 1  # with ASTCT and ICANS now (issue #14)


@pytest.fixture
def laptop(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=LAPTOP)
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="module")
def lower_bound_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own whose ward store holds tests/files/lower_bound_ward.csv."""
    folder = tmp_path_factory.mktemp("lower_bound_app")
    store = f"sqlite:///{folder / 'ward.sqlite3'}"
    subprocess.run(
        [sys.executable, "-m", "crs", "import", str(FILES / "lower_bound_ward.csv")]
        + ["--patients", str(FILES / "lower_bound_patients.csv")]
        + ["--database", store, "--author", "test"],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    # `make serve` on this machine's loopback: the ward store's patients, no sample ward.
    with running_app(folder, target="serve", store=store) as base:
        yield base


def traces(page: Page) -> list[dict[str, object]]:
    """Every trace of the chart as Plotly drew it: name, axis, marker symbol and colour,
    whether the legend shows it."""
    return page.evaluate(
        """() => document.querySelector('.js-plotly-plot')._fullData.map((t) => ({
            name: String(t.name), yaxis: t.yaxis, showlegend: t.showlegend,
            symbol: t.marker ? t.marker.symbol : null,
            color: t.marker ? String(t.marker.color) : null,
        }))"""
    )


def test_the_census_fits_1280_px_with_ten_patients_above_the_fold(
    laptop: Page, app_url: str, screenshots: Path
) -> None:
    open_page(laptop, f"{app_url}/Ward_round")
    laptop.locator(f"{GRID} [aria-rowcount]").first.wait_for(state="attached")
    wait_idle(laptop)
    shoot(laptop, screenshots, "ward_round_1280x800")
    assert laptop.locator(EXCEPTION).count() == 0
    size = laptop.evaluate(
        """(selector) => {
            const grid = document.querySelector(selector);
            const scroller = grid.querySelector('.dvn-scroller');
            const box = grid.getBoundingClientRect();
            const table = grid.querySelector('[aria-rowcount]');
            return {
                scrollWidth: scroller.scrollWidth, clientWidth: scroller.clientWidth,
                left: box.left, right: box.right, top: box.top, height: box.height,
                rows: Number(table.getAttribute('aria-rowcount')),
                columns: Number(table.getAttribute('aria-colcount')),
                pageWidth: document.documentElement.clientWidth,
            };
        }""",
        GRID,
    )
    # Every column of the round in view: nothing to scroll sideways, inside the window.
    assert size["columns"] == ROUND_COLUMNS, size
    assert size["scrollWidth"] <= size["clientWidth"], size
    assert size["left"] >= 0 and size["right"] <= size["pageWidth"], size
    # The grid shows every row (20 patients and the header) at one height per row; the
    # header and the first ten patients end above the fold of an 800 px window.
    patients = size["rows"] - 1
    assert patients == 20
    row_height = size["height"] / size["rows"]
    assert size["top"] + 11 * row_height <= LAPTOP["height"], size
    # The grade filter's chips take their grade's colour (not all red).
    colours = laptop.evaluate(
        """() => [...document.querySelectorAll('.st-key-grade_filter [data-tag]')]
            .map((tag) => getComputedStyle(tag).backgroundColor)"""
    )
    assert len(colours) == 6 and len(set(colours)) == 6, colours
    assert "rgb(229, 57, 53)" in colours  # grade 3, #e53935


def test_each_alert_kind_has_its_own_marker_and_the_treatment_table_lists_the_dose(
    laptop: Page, app_url: str, screenshots: Path
) -> None:
    open_page(laptop, f"{app_url}/Patient?patient=CASE3")
    laptop.locator(PLOT).first.wait_for(timeout=90_000)
    laptop.get_by_text("Treatment given", exact=True).first.wait_for()
    wait_idle(laptop)
    shoot(laptop, screenshots, "patient_case3_1280x800")
    alerts = [t for t in traces(laptop) if t["name"].startswith("Alert: ")]
    assert len(alerts) == 2, alerts
    assert len({t["symbol"] for t in alerts}) == 2 and len({t["color"] for t in alerts}) == 2
    assert all(t["showlegend"] for t in alerts)
    legend = laptop.locator(PLOT).first.locator(".legend").first.text_content() or ""
    for alert in alerts:
        assert alert["name"] in legend
    # CASE3: tocilizumab 240 mg on 14 September at 15:30, 40.5 h before the round.
    table = laptop.locator('[data-testid="stTable"]').filter(has_text="tocilizumab 240 mg")
    text = table.first.inner_text()
    assert "2024-09-14 15:30" in text and "40.5 h" in text and "1 of 4" in text

    open_page(laptop, f"{app_url}/Patient?patient=FIG3")
    laptop.locator(PLOT).first.wait_for(timeout=90_000)
    wait_idle(laptop)
    [crp] = [t for t in traces(laptop) if t["name"].startswith("Alert: ")]
    assert crp["symbol"] not in {t["symbol"] for t in alerts}


def test_a_lower_bound_is_drawn_unlike_a_grade_0_and_a_patient_without_oxygen_has_no_oxygen_panel(
    browser: Browser, lower_bound_app: str, screenshots: Path
) -> None:
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    try:
        open_page(page, f"{lower_bound_app}/Patient?patient=LB1")
        page.locator(PLOT).first.wait_for(timeout=90_000)
        wait_idle(page)
        shoot(page, screenshots, "patient_lower_bound_1280x800")
        drawn = {t["name"]: t for t in traces(page)}
        known, lower = drawn["CRS grade"], drawn["CRS grade: lower bound (not documented)"]
        assert known["symbol"] == "circle"
        assert lower["symbol"] == "triangle-up-open"
        ys = page.evaluate(
            """() => { const gd = document.querySelector('.js-plotly-plot');
                const i = gd._fullData.findIndex((t) => t.name === 'CRS grade course');
                return gd.calcdata[i].map((p) => p.y); }"""
        )
        assert 0 not in ys  # the known grade's line never dips to the lower bound

        open_page(page, f"{lower_bound_app}/Patient?patient=NOO2")
        page.locator(PLOT).first.wait_for(timeout=90_000)
        wait_idle(page)
        shoot(page, screenshots, "patient_without_oxygen_1280x800")
        titles = page.evaluate(
            """() => [...document.querySelectorAll('.js-plotly-plot .annotation-text')]
                .map((e) => e.textContent || '')"""
        )
        assert any(t.startswith("Temperature") for t in titles), titles
        assert not [t for t in titles if t.startswith("Oxygen")], titles
        header = page.locator(".st-key-patient_header").inner_text()
        assert "Patient NOO2 · grade now ≥ 0" in header
    finally:
        context.close()
