"""Sign-in and roles in the dashboard (issue "Ward server"; README "Running it as a ward
server").

Two modes, one app. Without an ``[auth]`` section in ``.streamlit/secrets.toml`` the
dashboard is the single-user workstation of ``make run``: no sign-in, the person at the
machine types their name where the audit log needs one. With ``[auth]`` (the hospital's
OpenID Connect provider, through Streamlit's own ``st.login`` / ``st.user`` /
``st.logout``) every page runs :func:`gate` first: until someone is signed in, with a
role, the page shows the sign-in screen (or why there is no access) and stops before
anything about a patient is read. The role comes from crs.store.roles; the check that counts
is in the ward store (crs.store.access), which refuses a change the role does not allow.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import streamlit as st

from crs.store import AUTHOR_LENGTH, AccessConfig, AccessConfigError, Identity, access_config, grant
from ui.deployment import (
    ALLOW_ANONYMOUS_FLAG,
    auth_problem,
    exposure_problem,
    is_loopback,
    provider_problem,
)
from ui.text import md_escape

SIGN_IN_LABEL = "Sign in with your hospital account"
SIGN_OUT_LABEL = "Sign out"
#: How long a provider check (one HTTP request to its discovery document) is trusted.
PROVIDER_CHECK_TTL_S = 30

ANONYMOUS_BANNER = (
    "**Open to the network without sign-in.** This dashboard was started with "
    f"`{ALLOW_ANONYMOUS_FLAG}`: anyone who can reach this address can read every patient "
    "and change the ward store, and the audit log records only the names people type. "
    "Configure sign-in for a ward server (README, 'Running it as a ward server')."
)


def _section(name: str) -> dict[str, Any]:
    """A section of st.secrets as a plain dict ({} without a secrets file or section)."""
    try:
        value = st.secrets.get(name)
    except FileNotFoundError:  # no secrets file at all (the workstation)
        return {}
    if not isinstance(value, Mapping):
        return {}
    return {key: value[key] for key in value}


def sign_in_configured() -> bool:
    """True in server mode: the secrets have an ``[auth]`` section."""
    return bool(_section("auth"))


def awaiting_sign_in() -> bool:
    """True in server mode while nobody is signed in in this browser."""
    return sign_in_configured() and not st.user.to_dict().get("is_logged_in")


def anonymous_network_allowed(argv: list[str] | None = None) -> bool:
    """True when the app was started with ``--allow-anonymous-network``."""
    return ALLOW_ANONYMOUS_FLAG in (sys.argv[1:] if argv is None else argv)


def access_settings() -> AccessConfig:
    """The ``[access]`` settings (role claim, allow list); AccessConfigError if unusable."""
    return access_config(_section("access"))


def identity_of(user: Mapping[str, Any], settings: AccessConfig) -> tuple[Identity | None, str]:
    """(Identity, "") for a signed-in person with a role, else (None, why not)."""
    granted = grant(user, settings)
    if granted.role is None:
        return None, granted.reason
    identity = Identity(
        subject=str(user.get("sub") or ""),
        email=str(user.get("email") or ""),
        role=granted.role,
        name=str(user.get("name") or ""),
    )
    if not identity.subject:
        return None, "Your sign-in did not include a subject (sub) claim: no access."
    if len(identity.author) > AUTHOR_LENGTH:
        return None, (
            f"Your sign-in's e-mail and id are longer than the audit log's {AUTHOR_LENGTH} "
            "characters, so changes could not be recorded under your name: no access."
        )
    return identity, ""


def current_identity() -> Identity | None:
    """The signed-in person (server mode) or None (the workstation).

    In server mode anyone not signed in with a role gets crs.store.access.AccessDenied
    here: a page that called an action without passing the gate still changes nothing.
    """
    if not sign_in_configured():
        return None
    from crs.store import AccessDenied

    user = st.user.to_dict()
    if not user.get("is_logged_in"):
        raise AccessDenied("Sign in first; nothing was changed.")
    try:
        settings = access_settings()
    except AccessConfigError as error:
        raise AccessDenied(f"{error} Nothing was changed.") from error
    identity, why = identity_of(user, settings)
    if identity is None or _expired(user, settings):
        raise AccessDenied((why or "Your sign-in has expired.") + " Nothing was changed.")
    return identity


def _expired(user: Mapping[str, Any], settings: AccessConfig) -> bool:
    """True when the ID token was issued longer ago than [access] session_hours."""
    issued = user.get("iat")
    if not isinstance(issued, (int, float)):
        return False  # a provider without iat: Streamlit's cookie lifetime applies
    return time.time() - float(issued) > settings.session_hours * 3600


@st.cache_data(ttl=PROVIDER_CHECK_TTL_S, show_spinner=False)
def _provider_problem(metadata_url: str) -> str | None:
    return provider_problem(metadata_url)


def _origin_problem(redirect_uri: str) -> str | None:
    """Sign-in returns to the redirect URI's address; from another address it cannot work."""
    url = st.context.url
    if not url:
        return None
    here, there = urlsplit(url), urlsplit(redirect_uri)
    if (here.scheme, here.netloc) == (there.scheme, there.netloc):
        return None
    origin = f"{there.scheme}://{there.netloc}"
    return (
        f"Sign-in is set up for {origin}, not for this address: open the dashboard at "
        f"{origin}/ (or correct redirect_uri in [auth])."
    )


def _stop_with(message: str, *, sign_in: bool = False, sign_out: bool = False) -> None:
    st.error(md_escape(message))
    if sign_in and st.button(SIGN_IN_LABEL, type="primary", key="crs_sign_in"):
        st.login()
    if sign_out and st.button(SIGN_OUT_LABEL, key="crs_sign_out"):
        st.logout()
    st.stop()


def sign_in_screen(auth: Mapping[str, Any]) -> None:
    """The only thing shown before sign-in: what this is, and the sign-in button."""
    st.title("CRS ward dashboard")
    st.markdown(
        "This dashboard shows the patients of the ward. Sign in with your hospital "
        "account to continue."
    )
    redirect = str(auth["redirect_uri"]).replace("{port}", str(st.get_option("server.port")))
    problem = _origin_problem(redirect) or _provider_problem(str(auth["server_metadata_url"]))
    if problem:
        st.error(md_escape(problem))
    if st.button(SIGN_IN_LABEL, type="primary", key="crs_sign_in", disabled=bool(problem)):
        st.login()
    st.stop()


def gate() -> Identity | None:
    """Run first on every page: stop it unless it may be shown to this browser.

    Returns the signed-in Identity (server mode) or None (the workstation). Stops the
    page (st.stop) after one clear message when the app is exposed without sign-in,
    sign-in is misconfigured, nobody is signed in, or the person has no role.
    """
    # AppTest runs pages without a server (no address, nothing listens): like loopback.
    testing = bool(st.get_option("global.appTest"))
    address = "127.0.0.1" if testing else st.get_option("server.address")
    exposed = exposure_problem(address, sign_in_configured(), anonymous_network_allowed())
    if exposed:
        _stop_with(exposed)
    if not sign_in_configured():
        if anonymous_network_allowed() and not is_loopback(address):
            st.error(ANONYMOUS_BANNER)
        return None
    auth = _section("auth")
    problem = auth_problem(
        auth, int(st.get_option("server.port")), st.get_option("server.baseUrlPath") or ""
    )
    try:
        settings = access_settings()
    except AccessConfigError as error:
        problem = problem or str(error)
    if problem:
        _stop_with(problem)
    user = st.user.to_dict()
    if not user.get("is_logged_in"):
        sign_in_screen(auth)
    if _expired(user, settings):
        _stop_with(
            f"Your sign-in is older than {settings.session_hours:g} hours; sign in again.",
            sign_in=True,
        )
    identity, why = identity_of(user, settings)
    if identity is None:
        _stop_with(why, sign_out=True)
    signed_in_sidebar(identity)
    return identity


def signed_in_sidebar(identity: Identity) -> None:
    """Who is signed in, with which role, and the way out."""
    with st.sidebar:
        st.caption(
            f"Signed in as **{md_escape(identity.email or identity.subject)}** "
            f"({md_escape(identity.role)})"
        )
        if st.button(SIGN_OUT_LABEL, key="crs_sign_out"):
            st.logout()
