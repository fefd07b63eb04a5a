"""What a person waits for, in a real browser (not a timed test): Debian's chromium through
Playwright, against the app started as ``make run`` starts it.

Time is measured from navigation (or from the click) to the last element drawn: an
observer installed before the page loads records the time of every change to the page;
after the app says its script run is over (``data-test-script-state="notRunning"``) and
nothing has changed for :data:`QUIET_MS`, the last change is the moment the page was
complete. "Interactive" is the moment the script run was over.

Scenarios, each in a new browser context (a new Streamlit session) unless said:

- **sample ward** (``--sample``, 17 patients): Home first load (a fresh server, cold
  caches); then, warm, full loads of Home, Ward round and a Patient deep link, and in one
  session the clicks of a round: sidebar → Ward round, → Patient, another patient.
- **500 patients** (``--patients 500``): a ward store of 500 patients × ``--days`` days
  hourly (benchmarks/app_bench.py's synthetic ward) imported first; then the same pages.

Run: ``.venv/bin/python benchmarks/browser_bench.py [--runs 3] [--patients 500] [--days 30]
[--skip-large]``. Goals (issue #15): every page under 1 s warm on the sample ward and
under 1.5 s at 500 patients; Home's first load under 2 s.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 800}
#: No change to the page for this long after the script run ends: the page is complete.
QUIET_MS = 1500
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CONNECTED = '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'

#: Records the time of the last change anywhere in the document (performance.now(), ms
#: since navigation started) and when the script run last ended.
OBSERVER = """
window.__crsLast = 0;
new MutationObserver(() => { window.__crsLast = performance.now(); })
  .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def app(store_url: str, *, sample: bool) -> Iterator[str]:
    """The app as `make run` starts it (ui.serve), on a free port; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "ui.serve", "--server.address", "127.0.0.1"]
    command += ["--server.port", str(port), "--server.headless", "true"]
    command += ["--", "--sample"] if sample else []
    env = {**os.environ, "CRS_DATABASE_URL": store_url, "PYTHONUNBUFFERED": "1"}
    log = tempfile.TemporaryFile()  # noqa: SIM115 (read back when the app fails)
    server = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response,
            ):
                if response.status == 200:
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise SystemExit("the app did not start:\n" + log.read().decode(errors="replace"))
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)


def settle(page: Page, started_ms: float, timeout_s: float = 90.0) -> tuple[float, float]:
    """(interactive, complete) in seconds after ``started_ms`` (performance.now())."""
    page.wait_for_selector(CONNECTED, timeout=timeout_s * 1000)
    page.wait_for_selector(IDLE, timeout=timeout_s * 1000)
    interactive = page.evaluate("performance.now()")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now, last = page.evaluate("[performance.now(), window.__crsLast]")
        running = page.locator(IDLE).count() == 0
        if not running and now - last >= QUIET_MS:
            # The observer also saw the end of the run: the earlier of the two is when
            # the person could act; the last change is when the page was complete.
            return (min(interactive, last) - started_ms) / 1000, (last - started_ms) / 1000
        time.sleep(0.1)
    raise SystemExit("the page never settled")


def full_load(
    browser: Browser, url: str, context: BrowserContext | None = None
) -> tuple[float, float]:
    """A new session opening ``url`` (typed, or a link a colleague sent): in a new browser
    profile (cold: nothing cached), or in ``context``, a browser that has shown the app
    before (warm: the app's scripts in its cache, as on a ward PC)."""
    own = context is None
    context = context or browser.new_context(viewport=VIEWPORT)
    context.add_init_script(OBSERVER)
    page = context.new_page()
    page.goto(url, wait_until="commit")
    result = settle(page, 0.0)
    page.close()
    if own:
        context.close()
    return result


def clicks(browser: Browser, base: str, other: str) -> dict[str, tuple[float, float]]:
    """One session's round: Home, then the sidebar's Ward round and Patient, then another
    patient chosen in the page's select box."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(OBSERVER)
    page = context.new_page()
    page.goto(base, wait_until="commit")
    settle(page, 0.0)
    out = {}

    def step(name: str, action: Callable[[], None]) -> None:
        started = page.evaluate("performance.now()")
        action()
        page.wait_for_timeout(50)
        out[name] = settle(page, started)

    nav = page.locator('[data-testid="stTopNav"]')
    step("click: Ward round", lambda: nav.get_by_text("Ward round", exact=True).click())
    step("click: Patient", lambda: nav.get_by_text("Patient", exact=True).click())

    def choose() -> None:
        page.get_by_label("Patient (sickest first)", exact=True).click()
        page.get_by_role("option", name=other, exact=True).click()
        # The rerun has started once the address names the new patient.
        page.wait_for_url(f"**patient={other}", timeout=30_000)

    step("select another patient", choose)
    context.close()
    return out


def report(label: str, samples: list[tuple[float, float]], goal: float) -> str:
    interactive = statistics.median(s[0] for s in samples)
    complete = statistics.median(s[1] for s in samples)
    worst = max(s[1] for s in samples)
    verdict = "met" if complete < goal else "NOT met"
    return (
        f"| {label} | {interactive:.2f} s | {complete:.2f} s | {worst:.2f} s | "
        f"< {goal:g} s: {verdict} |"
    )


def measure(browser: Browser, base: str, patient: str, other: str, runs: int, goal: float):
    lines = []
    urls = {
        "Home (new session, warm browser)": base + "/",
        "Ward round (new session, warm browser)": base + "/Ward_round",
        f"Patient {patient} (deep link, warm browser)": f"{base}/Patient?patient={patient}",
    }
    warm = browser.new_context(viewport=VIEWPORT)
    for url in urls.values():  # the server's caches and the browser's, once
        full_load(browser, url, warm)
    for label, url in urls.items():
        lines.append(report(label, [full_load(browser, url, warm) for _ in range(runs)], goal))
    warm.close()
    steps: dict[str, list[tuple[float, float]]] = {}
    for _ in range(runs):
        for name, value in clicks(browser, base, other).items():
            steps.setdefault(name, []).append(value)
    lines += [report(name, values, goal) for name, values in steps.items()]
    return lines


def large_store(folder: Path, patients: int, days: int) -> str:
    """A SQLite ward store holding the synthetic ward (crs import, as a nightly job)."""
    from app_bench import synthetic_ward

    export, table = synthetic_ward(patients, days)
    (folder / "ward.csv").write_bytes(export)
    (folder / "patients.csv").write_bytes(table)
    url = f"sqlite:///{folder / 'ward.sqlite3'}"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "crs", "import", str(folder / "ward.csv")]
        + ["--patients", str(folder / "patients.csv"), "--database", url, "--author", "bench"],
        cwd=REPO,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"imported {patients} patients × {days} days in {time.perf_counter() - started:.0f} s")
    return url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--patients", type=int, default=500)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--skip-large", action="store_true", help="only the sample ward")
    args = parser.parse_args()
    header = "| page | interactive | complete (median) | complete (worst) | goal |\n|---|---|---|---|---|"
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as driver:
        folder = Path(tmp)
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        print(f"Sample ward (17 patients), {VIEWPORT['width']} × {VIEWPORT['height']}:")
        with app(f"sqlite:///{folder / 'empty.sqlite3'}", sample=True) as base:
            first = full_load(browser, base + "/")
            print(header)
            print(report("Home, first load after start (cold browser)", [first], 2.0))
            for line in measure(browser, base, "CASE3", "P007", args.runs, 1.0):
                print(line, flush=True)
        if not args.skip_large:
            url = large_store(folder, args.patients, args.days)
            print(f"\nWard store of {args.patients} patients × {args.days} days hourly:")
            with app(url, sample=False) as base:
                print(header)
                for line in measure(browser, base, "W0001", "W0002", args.runs, 1.5):
                    print(line, flush=True)
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
