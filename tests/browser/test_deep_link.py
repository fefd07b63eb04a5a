"""A server's first visitor may arrive by a link a colleague sent, not at Home.

Streamlit takes the ``pages/`` folder for its old multipage layout until app.py has run
once: a first visitor arriving at ``/Patient?patient=…`` used to get the page without
app.py's navigation, and every visitor after them, until someone opened ``/``, saw a
sidebar of "app", "Home" (at /Home) and the rest. These tests start a server of their
own, so that the link really is the first thing it serves.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import running_app
from playwright.sync_api import Browser, Page
from streamlit_ui import EXCEPTION, NAV_LINKS, PLOT, open_page, open_selectbox, shoot, wait_idle

pytestmark = pytest.mark.browser

#: app.py's pages (ui/navigation.py), as the navigation bar at the top should list them,
#: and their addresses (issue #15 moved them out of the sidebar: a 1,280 px screen needs
#: the sidebar's width for the ward round).
SIDEBAR = [("Home", "/"), ("Ward round", "/Ward_round"), ("Patient", "/Patient")]
SIDEBAR += [("Reference", "/Reference")]
PATIENT = "CASE3"  # in the bundled sample ward


@pytest.fixture(scope="module")
def fresh_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of this module's own that no one has visited yet."""
    with running_app(tmp_path_factory.mktemp("streamlit_deep_link")) as base:
        yield base


def sidebar(page: Page, base: str) -> list[tuple[str, str]]:
    links = page.locator(NAV_LINKS)
    links.first.wait_for()
    return [
        (text.strip(), (links.nth(i).get_attribute("href") or "").removeprefix(base))
        for i, text in enumerate(links.all_inner_texts())
    ]


def visit(browser: Browser, url: str) -> Page:
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    open_page(page, url)
    return page


def test_a_first_visitor_by_a_patient_link_gets_that_patient_and_the_apps_sidebar(
    browser: Browser, fresh_app: str, screenshots: Path
) -> None:
    page = visit(browser, f"{fresh_app}/Patient?patient={PATIENT}")
    page.locator(PLOT).first.wait_for(timeout=90_000)
    shoot(page, screenshots, "deep_link_first_visitor")
    assert sidebar(page, fresh_app) == SIDEBAR
    assert page.locator("h1").first.inner_text().strip() == "Patient"
    assert f"Patient {PATIENT}" in page.locator("body").inner_text()
    assert page.locator(EXCEPTION).count() == 0
    # The page works on in that first session: choosing another patient shows them and
    # the address follows (a widget keyed before the switch would have kept CASE3).
    other = next(
        name for name in open_selectbox(page, "Patient (sickest first)") if name != PATIENT
    )
    page.get_by_role("option", name=other, exact=True).click()
    page.wait_for_url(f"**/Patient?patient={other}", timeout=60_000)
    wait_idle(page)
    assert f"Patient {other}" in page.locator("body").inner_text()
    page.context.close()


def test_the_next_visitor_by_a_link_gets_the_same_sidebar(browser: Browser, fresh_app: str) -> None:
    page = visit(browser, f"{fresh_app}/Ward_round")
    assert sidebar(page, fresh_app) == SIDEBAR
    assert page.locator("h1").first.inner_text().strip() == "Ward round"
    page.context.close()
