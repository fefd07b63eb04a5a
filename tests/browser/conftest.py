"""Browser fixtures: the app as `make run` starts it, Debian's chromium, and a request log.

A clinician meets the dashboard in a real browser, so these fixtures run the real
front end: one Streamlit server for the whole session (started with the `make run`
command line read from the Makefile, on a free loopback port), one headless
chromium driven by Playwright, and a record of every request and websocket the
pages open, so a test can prove that nothing left the machine.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright
from streamlit_ui import RequestLog

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "screenshots" / "browser"

CHROMIUM = "/usr/bin/chromium"
# Headless, no sandbox (containers, CI as root) and none of chromium's own background
# traffic (component updates, sync, safe-browsing lists): the request log then holds
# what the app's pages ask for, nothing else.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HEALTH_TIMEOUT_S = 60.0
# A ward round on a laptop: wide enough for the census table and the timeline.
VIEWPORT = {"width": 1440, "height": 1000}


def make_run_command(
    python: str, port: int, target: str = "run", host: str = "127.0.0.1"
) -> list[str]:
    """The Makefile's `run` recipe, with this interpreter and a free port.

    Read from the Makefile rather than copied, so the browser tests start the app
    exactly as a clinician's `make run` does (the launcher ui.serve, which checks the
    settings and runs `streamlit run app.py`); `--server.headless true` is added before
    the app's own arguments (`--`) so Streamlit never tries to open a browser itself.
    """
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    match = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, flags=re.MULTILINE)
    recipe = [
        line.strip()
        for line in (match.group(1).splitlines() if match else [])
        if "ui.serve" in line
    ]
    if len(recipe) != 1:
        pytest.fail(f"the Makefile `{target}` target has no single `ui.serve` line to start")
    variables = {"PY": python, "HOST": host, "SERVE_HOST": host, "PORT": str(port), "VENV": ".venv"}
    line = re.sub(r"\$\((\w+)\)", lambda m: variables.get(m.group(1), m.group(0)), recipe[0])
    if "$(" in line:
        pytest.fail(f"unknown Makefile variable in the `{target}` recipe: {line}")
    args = shlex.split(line)
    cut = args.index("--") if "--" in args else len(args)
    return [*args[:cut], "--server.headless", "true", *args[cut:]]


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def health_ok(url: str) -> bool:
    # A test's own self-signed certificate (TLS tests) is not checked: only "is it up".
    context = ssl._create_unverified_context() if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(url, timeout=2, context=context) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextlib.contextmanager
def running_app(
    folder: Path,
    *,
    target: str = "run",
    host: str = "127.0.0.1",
    port: int | None = None,
    options: tuple[str, ...] = (),
    app_args: tuple[str, ...] = (),
    store: str | None = None,
    command: list[str] | None = None,
) -> Iterator[str]:
    """Start the app as `make <target>` does, on a free port; yield http://127.0.0.1:PORT.

    ``options`` are added Streamlit options (e.g. ``--secrets.files``), ``app_args`` the
    app's own arguments (after ``--``); ``store`` the ward store's URL (default: a new
    SQLite file in ``folder``); ``command`` replaces the Makefile's command line whole
    (its port must then be named in it).
    """
    if command is None:
        port = port or free_loopback_port()
        command = make_run_command(sys.executable, port, target, host)
        cut = command.index("--") if "--" in command else len(command)
        command = [*command[:cut], *options, "--", *command[cut + 1 :], *app_args]
    else:
        port = int(command[command.index("--server.port") + 1])
    log_path = folder / "server.log"
    # The server's ward store is a temporary SQLite file, never the user's data directory.
    store = store or f"sqlite:///{folder / 'ward.sqlite3'}"
    # The server's output goes to a file, never a pipe: a full pipe would stall it.
    with log_path.open("w", encoding="utf-8") as log:
        server = subprocess.Popen(
            command,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "CRS_DATABASE_URL": store},
        )
    scheme = "https" if "--server.sslCertFile" in command else "http"
    base = f"{scheme}://127.0.0.1:{port}"
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    try:
        while not health_ok(f"{base}/_stcore/health"):
            if server.poll() is not None or time.monotonic() > deadline:
                state = (
                    f"exited with status {server.returncode}"
                    if server.poll() is not None
                    else f"did not answer /_stcore/health within {HEALTH_TIMEOUT_S:.0f} s"
                )
                pytest.fail(
                    f"the app ({shlex.join(command)}) {state}; its output:\n"
                    + log_path.read_text(encoding="utf-8", errors="replace")
                )
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """http://127.0.0.1:PORT of the app started as `make run` does; stopped after the tests."""
    with running_app(tmp_path_factory.mktemp("streamlit")) as base:
        yield base


@pytest.fixture(scope="session")
def request_log() -> RequestLog:
    """One log for the whole session: the privacy test reads what every page asked for."""
    return RequestLog()


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Debian's chromium, headless; one browser for the whole session."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (it apt-installs chromium)")
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser, request_log: RequestLog) -> Iterator[Page]:
    """A fresh browser context (a new clinician session) whose requests are all recorded."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=False)
    context.set_default_timeout(30_000)
    # The context sees requests from every page and worker it opens, not just the first tab.
    context.on("request", lambda request: request_log.record(request.url))
    page = context.new_page()
    page.on("websocket", lambda socket: request_log.record(socket.url))

    def keep_error(message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            request_log.console_errors.append(
                f"{message.text} ({where})" if where else message.text
            )

    page.on("console", keep_error)
    page.on("pageerror", lambda error: request_log.console_errors.append(f"uncaught: {error}"))
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Git-ignored folder for the screenshots a person reviews after a run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
