"""Server mode in the pages (issue "Ward server"), with Streamlit's AppTest: the settings
of a hospital's deployment ([auth] and [access]), a signed-in person as ``st.user``, a
temporary ward store, and a real OpenID Connect provider on this machine for the
sign-in screen's check. The browser flow through the provider is in
tests/browser/test_sign_in.py.
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from crs.store import open_store
from tests.markdown_text import seen_all
from tests.server_mode import (
    ADMIN,
    CLINICIAN,
    NO_ROLE_CLAIM,
    VIEWER,
    Person,
    oidc_provider,
    write_secrets,
)

REPO = Path(__file__).resolve().parents[1]
HOME = str(REPO / "app.py")
WARD_ROUND = str(REPO / "pages" / "1_Ward_round.py")
PATIENT = str(REPO / "pages" / "2_Patient.py")
TIMEOUT = 120
#: Distinctive identifiers, so that finding none in a page proves none was sent.
COURSE = b"""patient_id,time,temp_c,sbp_mmhg
ZEBRA01,2024-03-01T08:00,38.5,120
ZEBRA01,2024-03-01T12:00,39.0,118
ZEBRA01,2024-03-01T16:00,37.0,121
ZEBRA02,2024-03-01T09:00,37.2,82
"""
APPTEST_PORT = 8501  # server.port as AppTest reads it


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with oidc_provider() as url:
        yield url


@pytest.fixture(autouse=True)
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'ward.sqlite3'}"
    monkeypatch.setenv("CRS_DATABASE_URL", url)
    store = open_store(url)
    store.import_file(COURSE, name="course.csv", author="set-up")
    store.close()
    return url


def secrets(tmp_path: Path, provider: str, **settings) -> dict:
    """The deployment's secrets.toml, as Streamlit reads it."""
    text = write_secrets(tmp_path, provider, APPTEST_PORT, **settings).read_text()
    return tomllib.loads(text)


def signed_in(person: Person, **extra) -> dict:
    return {"is_logged_in": True, "sub": person.subject, "iat": int(time.time())} | (
        person.claims() | extra
    )


def page(path: str, settings: dict, user: dict, **query: str) -> AppTest:
    at = AppTest.from_file(path, default_timeout=TIMEOUT)
    at.secrets = settings
    at.user = user
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def everything(at: AppTest) -> str:
    """Every element the page sent, as text (labels, values, tables, messages)."""
    parts: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


def texts(elements) -> str:
    """The elements' text as a person reads it (markdown escapes removed)."""
    return seen_all(elements)


@pytest.mark.parametrize(
    ("path", "query"),
    [(HOME, {}), (WARD_ROUND, {}), (PATIENT, {"patient": "ZEBRA01"})],
    ids=["home", "ward round", "patient by link"],
)
def test_before_sign_in_a_page_sends_only_the_sign_in_screen(
    tmp_path, provider, path, query
) -> None:
    at = page(path, secrets(tmp_path, provider), {"is_logged_in": False}, **query)
    assert [b.label for b in at.button] == ["Sign in with your hospital account"]
    assert not at.button[0].proto.disabled
    assert [t.value for t in at.title] == ["CRS ward dashboard"]
    sent = everything(at)
    assert "ZEBRA" not in sent
    assert "Ward store" not in sent and not at.dataframe and not at.error


def test_a_viewer_sees_the_patient_but_no_attribution_form_or_name_box(tmp_path, provider) -> None:
    at = page(PATIENT, secrets(tmp_path, provider), signed_in(VIEWER), patient="ZEBRA01")
    assert "ZEBRA01" in everything(at)
    labels = [b.label for b in at.button]
    assert "Mark as not CRS" not in labels
    assert not [t for t in at.text_input if "name" in t.label.lower()]
    assert "Marking a finding as not CRS needs the clinician role" in texts(at.caption)
    assert "Signed in as **vera.viewer@hospital.example** (viewer)" in texts(at.sidebar.caption)
    assert "Sign out" in [b.label for b in at.sidebar.button]


def forged_attribution() -> None:
    """What a tampered page would run: the page's own action, for a viewer."""
    import streamlit as st

    from crs.errors import UnusableExportError
    from ui.judgment import record_attribution

    try:
        number, who = record_attribution(
            "ZEBRA01", "fever", "2024-03-01T07:00", "2024-03-01T13:00", "forged", "Dr Anyone"
        )
        st.success(f"recorded {number} by {who}")
    except UnusableExportError as error:
        st.error(str(error))


def test_a_forged_attribution_by_a_viewer_is_refused_by_the_server(
    tmp_path, provider, store_url
) -> None:
    at = AppTest.from_function(forged_attribution, default_timeout=TIMEOUT)
    at.secrets = secrets(tmp_path, provider)
    at.user = signed_in(VIEWER)
    at.run()
    assert not at.success
    assert texts(at.error).startswith(
        "vera.viewer@hospital.example is signed in as viewer and may not mark a finding as "
        "not CRS (this needs the clinician role); nothing was changed."
    )
    assert open_store(store_url).attributions().empty


def test_a_forged_attribution_without_sign_in_is_refused(tmp_path, provider, store_url) -> None:
    at = AppTest.from_function(forged_attribution, default_timeout=TIMEOUT)
    at.secrets = secrets(tmp_path, provider)
    at.user = {"is_logged_in": False}
    at.run()
    assert texts(at.error) == "Sign in first; nothing was changed."
    assert open_store(store_url).attributions().empty


def test_a_clinician_attributes_without_a_name_box_and_the_audit_names_them(
    tmp_path, provider, store_url
) -> None:
    at = page(PATIENT, secrets(tmp_path, provider), signed_in(CLINICIAN), patient="ZEBRA01")
    assert not [t for t in at.text_input if t.key == "attr_author_0"]
    at.text_area(key="attr_reason_0").input("line sepsis, cultures positive")
    [button] = [b for b in at.button if b.label == "Mark as not CRS"]
    at = button.click().run()
    assert not at.exception
    store = open_store(store_url)
    assert store.attributions(["ZEBRA01"])["author"].tolist() == [CLINICIAN.author()]
    assert store.audit_log("ZEBRA01")["author"].tolist() == [CLINICIAN.author()]
    [audit] = [d.value for d in at.dataframe if "Who" in d.value.columns]
    assert audit["Who"].tolist()[-1] == "carl.clinician@hospital.example (sign-in id carl-0002)"


def test_only_an_admin_gets_the_upload_and_imports_under_their_identity(
    tmp_path, provider, store_url
) -> None:
    settings = secrets(tmp_path, provider)
    viewer = page(HOME, settings, signed_in(VIEWER))
    assert not viewer.get("file_uploader")
    assert "Importing exports needs the admin role" in texts(viewer.caption)
    admin = page(HOME, settings, signed_in(ADMIN))
    [uploader] = admin.get("file_uploader")
    assert not [t for t in admin.text_input if t.key == "import_author"]
    [imports] = [d.value for d in admin.dataframe if "By" in d.value.columns]
    assert imports["By"].tolist() == ["set-up"]


def test_an_id_token_without_the_role_claim_means_no_access_stated_plainly(
    tmp_path, provider
) -> None:
    at = page(WARD_ROUND, secrets(tmp_path, provider), signed_in(NO_ROLE_CLAIM))
    assert texts(at.error) == (
        "Your sign-in (nora.norole@hospital.example) did not include the 'groups' claim "
        "that names your role and is not on the dashboard's list of users: no access. Ask "
        "the team that runs the dashboard to give you a role."
    )
    assert [b.label for b in at.button] == ["Sign out"]
    assert "ZEBRA" not in everything(at)


def test_a_sign_in_older_than_the_session_hours_must_be_renewed(tmp_path, provider) -> None:
    stale = signed_in(CLINICIAN, iat=int(time.time()) - 13 * 3600)
    at = page(WARD_ROUND, secrets(tmp_path, provider), stale)
    assert texts(at.error) == "Your sign-in is older than 12 hours; sign in again."
    assert [b.label for b in at.button] == ["Sign in with your hospital account"]
    assert "ZEBRA" not in everything(at)


def test_a_missing_client_secret_is_one_line_on_every_page_never_a_traceback(
    tmp_path, provider
) -> None:
    at = page(WARD_ROUND, secrets(tmp_path, provider, omit=("client_secret",)), signed_in(ADMIN))
    assert texts(at.error) == (
        "Sign-in is not fully configured: [auth] in .streamlit/secrets.toml lacks "
        "client_secret (see the README section 'Running it as a ward server')."
    )
    assert "ZEBRA" not in everything(at)


def test_an_unreachable_sign_in_service_is_said_on_the_sign_in_screen(tmp_path) -> None:
    settings = secrets(tmp_path, "http://localhost:9")
    at = page(HOME, settings, {"is_logged_in": False})
    assert texts(at.error).startswith(
        "The sign-in service (http://localhost:9/.well-known/openid-configuration) cannot "
        "be reached ("
    )
    assert "sign-in is unavailable until it answers" in texts(at.error)
    [button] = at.button
    assert button.proto.disabled


def test_a_browser_at_another_address_than_the_redirect_uri_is_told_where_to_go(
    tmp_path, provider
) -> None:
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    at.secrets = secrets(tmp_path, provider)
    at.user = {"is_logged_in": False}
    at.context = {"url": "http://localhost:8501/"}
    at.run()
    assert texts(at.error) == (
        "Sign-in is set up for http://127.0.0.1:8501, not for this address: open the "
        "dashboard at http://127.0.0.1:8501/ (or correct redirect_uri in [auth])."
    )
    assert at.button[0].proto.disabled


def test_an_identity_too_long_for_the_audit_log_gets_no_access_stated_plainly(
    tmp_path, provider
) -> None:
    long_subject = signed_in(CLINICIAN, sub="s" * 180)
    at = page(WARD_ROUND, secrets(tmp_path, provider), long_subject)
    assert texts(at.error).startswith(
        "Your sign-in's e-mail and id are longer than the audit log's 200 characters"
    )
    assert "ZEBRA" not in everything(at)
