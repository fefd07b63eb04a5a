"""Is this a safe way to serve the dashboard? One clear line when it is not.

Shared by the launcher (``python -m ui.serve``, which refuses to start) and every page
(ui.auth, which refuses to show anything): a dashboard of patient data may listen
beyond this machine only with sign-in configured (the ``[auth]`` section of
``.streamlit/secrets.toml``, Streamlit's own OpenID Connect sign-in), unless it was
started with ``--allow-anonymous-network`` on purpose. No Streamlit session is needed
here: the functions take the settings as plain values.
"""

from __future__ import annotations

import ipaddress
import json
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

#: The launcher's (and the app's) flag to serve the network without sign-in, on purpose.
ALLOW_ANONYMOUS_FLAG = "--allow-anonymous-network"
CALLBACK_PATH = "/oauth2callback"
#: The [auth] keys Streamlit's st.login needs for one (the default) provider.
AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
#: Streamlit warns below 14 bytes; a cookie secret signs every sign-in, so ask for more.
MIN_COOKIE_SECRET = 32
HOW_TO_SIGN_IN = (
    "configure sign-in in .streamlit/secrets.toml ([auth] and [access], see the README "
    "section 'Running it as a ward server')"
)


def is_loopback(address: str | None) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    host = (address or "").strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # "" (every interface), 0.0.0.0 or a host name of the network


def exposure_problem(address: str | None, sign_in: bool, allow_anonymous: bool) -> str | None:
    """Why serving on ``address`` is refused, or None when it is safe or explicitly allowed."""
    if sign_in or allow_anonymous or is_loopback(address):
        return None
    where = address or "every network interface"
    return (
        f"Refusing to serve patient data on {where} without sign-in: anyone who reaches "
        f"this address could read every patient. Either {HOW_TO_SIGN_IN}, or listen on "
        f"127.0.0.1, or start with {ALLOW_ANONYMOUS_FLAG} to accept that risk."
    )


def _loopback_host(url: str) -> bool:
    return is_loopback(urlsplit(url).hostname)


def auth_problem(auth: Mapping[str, object], port: int, base_path: str = "") -> str | None:
    """The first problem of the ``[auth]`` section, in one line, or None."""
    missing = [key for key in AUTH_KEYS if not str(auth.get(key) or "").strip()]
    if missing:
        return (
            f"Sign-in is not fully configured: [auth] in .streamlit/secrets.toml lacks "
            f"{', '.join(missing)} (see the README section 'Running it as a ward server')."
        )
    redirect = str(auth["redirect_uri"]).replace("{port}", str(port))
    parts = urlsplit(redirect)
    expected_path = "/" + "/".join(p for p in (base_path.strip("/"), CALLBACK_PATH[1:]) if p)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"[auth] redirect_uri {redirect!r} is not a web address; it must end in {expected_path}."
    if parts.path.rstrip("/") != expected_path:
        return (
            f"[auth] redirect_uri {redirect!r} must end in {expected_path}: the sign-in "
            "service sends the browser back there (register the same address with it)."
        )
    named_port = parts.port or (443 if parts.scheme == "https" else 80)
    if _loopback_host(redirect) and named_port != port:
        return (
            f"[auth] redirect_uri {redirect!r} names port {named_port}, but the "
            f"dashboard listens on port {port}: the browser would not come back to it."
        )
    if parts.scheme != "https" and not _loopback_host(redirect):
        return (
            f"[auth] redirect_uri {redirect!r} must use https: browsers sign in only over "
            "a secure connection (see the README on TLS)."
        )
    metadata = str(auth["server_metadata_url"])
    if not metadata.startswith("https://") and not (
        metadata.startswith("http://") and _loopback_host(metadata)
    ):
        return (
            f"[auth] server_metadata_url {metadata!r} must be the provider's https address "
            "of /.well-known/openid-configuration."
        )
    if len(str(auth["cookie_secret"])) < MIN_COOKIE_SECRET:
        return (
            f"[auth] cookie_secret is shorter than {MIN_COOKIE_SECRET} characters; make "
            "a long random one: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return None


def provider_problem(metadata_url: str, timeout: float = 5.0) -> str | None:
    """None when the provider's discovery document answers, else one line saying why."""
    what = f"The sign-in service ({metadata_url}) "
    try:
        with urllib.request.urlopen(metadata_url, timeout=timeout) as response:
            document = json.loads(response.read(1_000_000))
    except urllib.error.HTTPError as error:
        return what + f"answered {error.code} {error.reason}; sign-in is unavailable."
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", None) or error
        return what + f"cannot be reached ({reason}); sign-in is unavailable until it answers."
    except ValueError:
        return what + "did not answer with its OpenID configuration; check server_metadata_url."
    needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    if not isinstance(document, dict) or any(not document.get(key) for key in needed):
        return what + "did not answer with its OpenID configuration; check server_metadata_url."
    return None


def read_secrets(files: Iterable[str]) -> dict[str, object]:
    """The secrets Streamlit will read: each existing TOML file in order, later files win.

    Raises ValueError with one line for a file that is not valid TOML.
    """
    merged: dict[str, object] = {}
    for name in files:
        path = Path(name).expanduser()
        if not path.is_file():
            continue
        try:
            merged.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ValueError(f"{path} is not valid TOML: {error}") from error
    return merged
