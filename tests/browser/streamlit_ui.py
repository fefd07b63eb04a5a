"""What a clinician does in the browser, as small Playwright steps over Streamlit's front end.

Selectors are Streamlit's stable `data-testid` attributes, roles and visible text, never
generated CSS class names, so the tests survive restyling of the pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

APP = '[data-testid="stApp"]'
# Streamlit marks the app root with the script state; "notRunning" means the rerun that
# an upload or a click started has finished drawing.
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
FILE_INPUT = '[data-testid="stFileUploaderDropzoneInput"]'
EXCEPTION = '[data-testid="stException"]'
PLOT = ".js-plotly-plot"
#: The app's pages as links in the navigation bar at the top (app.py: st.navigation).
NAV_LINKS = '[data-testid="stTopNav"] a[data-testid="stTopNavLink"]'
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
# In-page URLs that never touch a network.
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})


def wait_idle(page: Page, timeout_ms: float = 60_000) -> None:
    """Wait until the app is connected and no script run is in progress."""
    page.wait_for_selector(APP, timeout=timeout_ms)
    page.wait_for_selector(APP_IDLE, timeout=timeout_ms)
    page.wait_for_function(
        """() => {
            const status = document.querySelector('[data-testid="stStatusWidget"]');
            return !status || !/running/i.test(status.textContent || "");
        }""",
        timeout=timeout_ms,
    )


def open_page(page: Page, url: str) -> None:
    """Load a URL and wait for the first run of its script to finish."""
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=60_000
    )
    wait_idle(page)


def open_selectbox(page: Page, label: str, attempts: int = 5) -> list[str]:
    """Open a selectbox by its label and return its options' texts, in order.

    A rerun that lands just after the click re-mounts the widget and closes the list,
    so the click is repeated (a person would click again too) until the list shows.
    """
    chooser = page.get_by_label(label, exact=True)
    for _ in range(attempts):
        wait_idle(page)
        chooser.click()
        try:
            page.get_by_role("option").first.wait_for(timeout=2_500)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            continue
        return [text.strip() for text in page.get_by_role("option").all_inner_texts()]
    raise AssertionError(f"the selectbox {label!r} did not open after {attempts} clicks")


def shoot(page: Page, folder: Path, name: str) -> Path:
    """A full-page screenshot for a person to review (screenshots/ is git-ignored)."""
    path = folder / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


def plot_traces(page: Page, nth: int = 0) -> list[dict[str, object]]:
    """Name, axes, type and number of drawn points of every trace of the n-th Plotly chart.

    Read from Plotly's own state (`_fullData`, `calcdata`), which holds the decoded data
    whatever encoding the server sent (lists, typed arrays, dates).
    """
    return page.evaluate(
        """(nth) => {
            const gd = document.querySelectorAll('.js-plotly-plot')[nth];
            return (gd._fullData || []).map((t, i) => ({
                index: i,
                name: t.name === undefined ? "" : String(t.name),
                xaxis: t.xaxis || "x",
                yaxis: t.yaxis || "y",
                type: t.type || "scatter",
                visible: t.visible,
                points: (gd.calcdata[i] || []).filter(
                    (pt) => Number.isFinite(pt.x) && Number.isFinite(pt.y)).length,
                ys: (gd.calcdata[i] || []).map((pt) => pt.y),
            }));
        }""",
        nth,
    )


def point_position(page: Page, trace: int, point: int, nth: int = 0) -> dict[str, float]:
    """Viewport pixel position of one drawn point of one trace, from the chart's own axes."""
    return page.evaluate(
        """([nth, trace, point]) => {
            const gd = document.querySelectorAll('.js-plotly-plot')[nth];
            const t = gd._fullData[trace];
            const pt = gd.calcdata[trace][point];
            const layout = gd._fullLayout;
            const xa = layout[(t.xaxis || "x").replace("x", "xaxis")];
            const ya = layout[(t.yaxis || "y").replace("y", "yaxis")];
            const box = gd.getBoundingClientRect();
            return {
                x: box.left + xa._offset + xa.c2p(pt.x),
                y: box.top + ya._offset + ya.c2p(pt.y),
            };
        }""",
        [nth, trace, point],
    )


def hover_text(page: Page, trace: int, point: int, nth: int = 0) -> str:
    """Move the mouse over a point, as a clinician does, and read Plotly's hover label."""
    page.locator(PLOT).nth(nth).scroll_into_view_if_needed()
    where = point_position(page, trace, point, nth)
    page.mouse.move(where["x"] - 8, where["y"] - 8)
    page.mouse.move(where["x"], where["y"], steps=4)
    # "closest" hover draws .hovertext; "x unified" draws a legend box: wait for either.
    page.wait_for_function(
        """(nth) => {
            const layer = document.querySelectorAll('.js-plotly-plot')[nth]
                .querySelector('.hoverlayer');
            return layer && (layer.textContent || "").trim().length > 0;
        }""",
        arg=nth,
        timeout=10_000,
    )
    # The way in passes near other markers (the ASTCT and ICANS courses sit 0.3 grade
    # above and below Lee's): read the label only once it has stopped changing, so it
    # is the one for where the mouse came to rest, not for a point passed on the way.
    layer = page.locator(PLOT).nth(nth).locator(".hoverlayer")
    text = layer.text_content() or ""
    for _ in range(20):
        page.wait_for_timeout(150)
        now = layer.text_content() or ""
        if now == text:
            break
        text = now
    return text


def leaves_machine(url: str) -> bool:
    """True when a URL would reach a host other than this machine's loopback."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return False
    return parts.hostname not in LOCAL_HOSTS


@dataclass
class RequestLog:
    """Every URL the pages asked for (HTTP requests and websockets), in order, and every
    error the pages' scripts reported in the browser console."""

    urls: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def record(self, url: str) -> None:
        self.urls.append(url)
