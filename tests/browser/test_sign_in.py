"""The ward server in a real browser (issue "Ward server"): the app started as ``make
serve`` does, against a real OpenID Connect provider on this machine
(tests/server_mode.py), with its own secrets file and a ward store holding the sample
ward.

Before sign-in every address shows only the sign-in screen and nothing about a patient
crosses the network; a viewer sees the ward round but no attribution form; a clinician
marks a finding as not CRS and the audit (page and ``crs audit``) names their e-mail;
signing out returns to the sign-in screen. Started on 0.0.0.0 without sign-in the app
refuses; with ``--allow-anonymous-network`` every page carries a red banner.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import REPO, VIEWPORT, free_loopback_port, running_app
from playwright.sync_api import Browser, BrowserContext, Page, Response, WebSocket
from streamlit_ui import EXCEPTION, open_page, shoot, wait_idle

from tests.server_mode import (
    CLINICIAN,
    VIEWER,
    Person,
    oidc_provider,
    sample_store,
    self_signed_certificate,
    write_secrets,
)

pytestmark = pytest.mark.browser

SIGN_IN = "Sign in with your hospital account"
SIGN_IN_BUTTON = '[data-testid="stButton"] button'


@dataclass
class WardServer:
    base: str
    provider: str
    store_url: str
    patients: list[str]


@pytest.fixture(scope="module")
def ward_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WardServer]:
    """The app in server mode (the Makefile's `serve` recipe, on loopback) and its provider."""
    folder = tmp_path_factory.mktemp("ward_server")
    store_url, patients = sample_store(folder)
    port = free_loopback_port()
    with oidc_provider() as provider:
        secrets = write_secrets(folder, provider, port)
        options = ("--secrets.files", str(secrets))
        with running_app(
            folder, target="serve", port=port, options=options, store=store_url
        ) as base:
            yield WardServer(base, provider, store_url, patients)


@dataclass
class Traffic:
    """Everything the server sent one browser context: HTTP bodies and websocket frames."""

    responses: list[Response] = field(default_factory=list)
    frames: list[bytes] = field(default_factory=list)

    def watch(self, context: BrowserContext, page: Page) -> None:
        context.on("response", lambda response: self.responses.append(response))

        def frames_of(socket: WebSocket) -> None:
            socket.on(
                "framereceived",
                lambda p: self.frames.append(p if isinstance(p, bytes) else p.encode()),
            )

        page.on("websocket", frames_of)

    def containing(self, needles: list[str]) -> list[str]:
        found = []
        for response in self.responses:
            try:
                body = response.body()
            except Exception:  # a redirect has no body
                continue
            found += [f"{n} in {response.url}" for n in needles if n.encode() in body]
        for frame in self.frames:
            found += [f"{n} in a websocket message" for n in needles if n.encode() in frame]
        return found


def new_page(browser: Browser, width: int = VIEWPORT["width"]) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": width, "height": 1000})
    context.set_default_timeout(30_000)
    return context, context.new_page()


def as_shown(email: str) -> str:
    """A pattern for an e-mail address as the page shows it: with a word joiner after "@",
    which keeps it from becoming a live link (ui.text.md_escape)."""
    return re.escape(email).replace("@", "@\u2060?")


def sign_in(page: Page, server: WardServer, person: Person) -> None:
    """Through the provider's own sign-in page, as the person would."""
    open_page(page, server.base + "/")
    page.get_by_role("button", name=SIGN_IN).click()
    page.wait_for_url(f"{server.provider}/oauth2/authorize*")
    page.get_by_role("button", name=person.subject, exact=True).click()
    page.wait_for_url(server.base + "/")
    wait_idle(page)
    page.get_by_text(re.compile(f"Signed in as {as_shown(person.email)}")).wait_for()


def sign_out(page: Page, server: WardServer) -> None:
    page.get_by_role("button", name="Sign out").click()
    # The provider ends its session too (its end-session page), then sends the browser back.
    page.wait_for_url(f"{server.provider}/oauth2/end_session*")
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(server.base + "/")
    wait_idle(page)


def test_before_sign_in_every_address_shows_only_the_sign_in_screen_and_no_patient(
    browser: Browser, ward_server: WardServer, screenshots: Path
) -> None:
    patient = ward_server.patients[0]
    for width in (1280, 1400):
        context, page = new_page(browser, width)
        traffic = Traffic()
        traffic.watch(context, page)
        for address in ("/", "/Ward_round", f"/Patient?patient={patient}"):
            open_page(page, ward_server.base + address)
            page.get_by_role("button", name=SIGN_IN).wait_for()
            body = page.locator("body").inner_text()
            assert [p for p in ward_server.patients if p in body] == [], address
            assert page.locator('[data-testid="stSidebarNav"]').count() == 0
            assert page.locator('[data-testid="stDataFrame"]').count() == 0
        shoot(page, screenshots, f"sign_in_screen_{width}")
        assert traffic.responses and traffic.frames  # the check below saw the traffic
        assert traffic.containing(ward_server.patients) == []
        context.close()


def test_a_viewer_sees_the_ward_round_but_no_attribution_form_then_signs_out(
    browser: Browser, ward_server: WardServer, screenshots: Path
) -> None:
    context, page = new_page(browser, 1280)
    sign_in(page, ward_server, VIEWER)
    traffic = Traffic()
    traffic.watch(context, page)
    open_page(page, ward_server.base + "/Ward_round")
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
    assert "(viewer)" in page.locator('[data-testid="stSidebar"]').inner_text()
    # Signed in, the same check finds the patients: it would have seen them before.
    assert traffic.containing(ward_server.patients)
    shoot(page, screenshots, "viewer_ward_round_1280")
    page.set_viewport_size({"width": 1400, "height": 1000})
    shoot(page, screenshots, "viewer_ward_round_1400")

    open_page(page, f"{ward_server.base}/Patient?patient={ward_server.patients[0]}")
    page.get_by_text("Marking a finding as not CRS needs the clinician role").wait_for()
    assert page.get_by_role("button", name="Mark as not CRS").count() == 0
    assert page.get_by_label("Your name").count() == 0
    assert page.locator(EXCEPTION).count() == 0

    sign_out(page, ward_server)
    page.get_by_role("button", name=SIGN_IN).wait_for()
    open_page(page, ward_server.base + "/Ward_round")
    page.get_by_role("button", name=SIGN_IN).wait_for()
    assert page.locator('[data-testid="stDataFrame"]').count() == 0
    context.close()


def test_a_clinician_attributes_a_finding_and_the_audit_shows_their_e_mail(
    browser: Browser, ward_server: WardServer, screenshots: Path
) -> None:
    patient = "CASE3"  # the form offers the finding that drives the worst grade
    context, page = new_page(browser, 1400)
    sign_in(page, ward_server, CLINICIAN)
    open_page(page, f"{ward_server.base}/Patient?patient={patient}")
    page.get_by_label("Other cause (reason)").fill("Streptococcus mitis bacteraemia")
    assert page.get_by_label("Your name").count() == 0
    page.get_by_role("button", name="Mark as not CRS").click()
    by = as_shown(CLINICIAN.email)
    page.get_by_text(re.compile(f"marked as not CRS for CASE3 by {by}")).wait_for()
    wait_idle(page)
    audit = page.locator('[data-testid="stDataFrame"]').last
    audit.scroll_into_view_if_needed()
    shoot(page, screenshots, "clinician_attribution_1400")
    assert page.locator(EXCEPTION).count() == 0

    written = subprocess.run(
        [sys.executable, "-m", "crs", "audit", "--database", ward_server.store_url, "-o", "-"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    [row] = [line for line in written.splitlines() if ",attribute," in line]
    assert "carl.clinician@hospital.example (sign-in id carl-0002)" in row
    assert "CASE3" in row
    context.close()


def test_streamlits_own_tls_serves_the_sign_in_and_a_viewer_signs_in_over_https(
    browser: Browser, tmp_path: Path
) -> None:
    """The README's first TLS way: server.sslCertFile / server.sslKeyFile."""
    store_url, _ = sample_store(tmp_path)
    cert, key = self_signed_certificate(tmp_path)
    port = free_loopback_port()
    with oidc_provider() as provider:
        secrets = write_secrets(
            tmp_path,
            provider,
            port,
            auth={"redirect_uri": f"https://127.0.0.1:{port}/oauth2callback"},
        )
        options = ("--secrets.files", str(secrets), "--server.sslCertFile", str(cert))
        options += ("--server.sslKeyFile", str(key))
        with running_app(
            tmp_path, target="serve", port=port, options=options, store=store_url
        ) as base:
            assert base.startswith("https://")
            context = browser.new_context(viewport=VIEWPORT, ignore_https_errors=True)
            page = context.new_page()
            sign_in(page, WardServer(base, provider, store_url, []), VIEWER)
            open_page(page, base + "/Ward_round")
            page.locator('[data-testid="stDataFrame"]').first.wait_for()
            context.close()


def test_an_unreachable_sign_in_service_is_one_line_at_start_and_on_the_sign_in_screen(
    browser: Browser, tmp_path: Path
) -> None:
    port = free_loopback_port()
    secrets = write_secrets(tmp_path, "http://localhost:9", port)
    options = ("--secrets.files", str(secrets))
    with running_app(tmp_path, target="serve", port=port, options=options) as base:
        log = (tmp_path / "server.log").read_text(encoding="utf-8")
        [warning] = [line for line in log.splitlines() if line.startswith("warning:")]
        assert warning.startswith(
            "warning: The sign-in service (http://localhost:9/.well-known/openid-configuration)"
            " cannot be reached ("
        )
        context, page = new_page(browser)
        open_page(page, base + "/")
        page.get_by_text("sign-in is unavailable until it answers").wait_for()
        assert page.get_by_role("button", name=SIGN_IN).is_disabled()
        assert "Traceback" not in page.locator("body").inner_text()
        context.close()


def test_with_the_explicit_flag_every_page_carries_the_red_banner(
    browser: Browser, tmp_path: Path, screenshots: Path
) -> None:
    options = ("--secrets.files", str(tmp_path / "none.toml"), "--allow-anonymous-network")
    with running_app(tmp_path, target="serve", host="0.0.0.0", options=options) as base:
        for width, address in ((1280, "/"), (1400, "/Reference")):
            context, page = new_page(browser, width)
            open_page(page, base + address)
            banner = page.locator('[data-testid="stAlertContentError"]').first
            banner.wait_for()
            assert banner.inner_text().startswith("Open to the network without sign-in.")
            shoot(page, screenshots, f"anonymous_network_banner_{width}")
            context.close()


def test_streamlit_run_on_every_interface_without_the_launcher_shows_no_patient(
    browser: Browser, tmp_path: Path
) -> None:
    """Started past the launcher (a bare `streamlit run`), each page still refuses."""
    store_url, patients = sample_store(tmp_path)
    port = free_loopback_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--server.address", "0.0.0.0", "--server.port", str(port)]
    command += ["--secrets.files", str(tmp_path / "none.toml")]
    with running_app(tmp_path, command=command, store=store_url) as base:
        context, page = new_page(browser)
        for address in ("/", "/Ward_round", f"/Patient?patient={patients[0]}"):
            open_page(page, base + address)
            page.get_by_text("Refusing to serve patient data on 0.0.0.0 without sign-in").wait_for()
            body = page.locator("body").inner_text()
            assert [p for p in patients if p in body] == []
        context.close()
