"""The ward server's test bed: a real OpenID Connect provider on this machine and the
settings of a hospital's deployment, written to a temporary folder.

The provider is ``oidc-provider-mock`` (a real OIDC server: discovery document, signed
ID tokens, authorization-code flow with PKCE, end-session endpoint) on a free loopback
port, over plain HTTP: Authlib accepts http:// for loopback addresses (RFC 8252 §7.3),
and so do browsers for the sign-in cookie. Its sign-in page lists the people below;
choosing one signs in as them. The app gets its own secrets file (``--secrets.files``),
never the developer's ``.streamlit/secrets.toml``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from oidc_provider_mock import User, run_server_in_thread

from crs.store import open_store

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample_ward.csv"


@dataclass(frozen=True)
class Person:
    """Someone of the hospital's directory, as the provider signs them in."""

    subject: str
    email: str
    groups: tuple[str, ...] | None  # the role claim; None: the token has no such claim

    def claims(self) -> dict[str, object]:
        """The ID token's claims about this person (without sub)."""
        claims: dict[str, object] = {"email": self.email, "email_verified": True}
        claims["name"] = self.email.split("@")[0].replace(".", " ").title()
        if self.groups is not None:
            claims["groups"] = list(self.groups)
        return claims

    def user(self) -> User:
        return User(sub=self.subject, claims=self.claims())

    def author(self) -> str:
        """How the audit log names this person (crs.store.access.Identity.author)."""
        return f"{self.email} (sign-in id {self.subject})"


VIEWER = Person("vera-0001", "vera.viewer@hospital.example", ("staff", "crs-viewer"))
CLINICIAN = Person("carl-0002", "carl.clinician@hospital.example", ("crs-clinician",))
# The admin has no role claim: the allow list gives the role.
ADMIN = Person("ada-0003", "ada.admin@hospital.example", None)
NO_ROLE_CLAIM = Person("nora-0004", "nora.norole@hospital.example", None)
PEOPLE = (VIEWER, CLINICIAN, ADMIN, NO_ROLE_CLAIM)

#: The [access] settings of the test hospital: groups claim, mapped values, allow list.
ROLE_VALUES = {"viewer": ["crs-viewer"], "clinician": ["crs-clinician"], "admin": ["crs-admin"]}
COOKIE_SECRET = "test-cookie-secret-" + "x" * 40


@contextlib.contextmanager
def oidc_provider() -> Iterator[str]:
    """The provider on a free port: yields its base URL, http://localhost:PORT."""
    with run_server_in_thread(port=0, user_claims=[p.user() for p in PEOPLE]) as server:
        yield f"http://localhost:{server.server_port}"


def _toml_value(value: object) -> str:
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)  # strings, numbers and lists of strings read the same in TOML


def write_secrets(
    folder: Path,
    provider: str,
    app_port: int,
    *,
    auth: Mapping[str, object] | None = None,
    access: Mapping[str, object] | None = None,
    omit: tuple[str, ...] = (),
) -> Path:
    """A secrets.toml as a hospital's IT writes it (``auth``/``access`` override keys)."""
    allow_list = folder / "dashboard_users.csv"
    allow_list.write_text(f"email,role\n{ADMIN.email},admin\n", encoding="utf-8")
    auth_section = {
        "redirect_uri": f"http://127.0.0.1:{app_port}/oauth2callback",
        "cookie_secret": COOKIE_SECRET,
        "client_id": "crs-ward-dashboard",
        "client_secret": "test-client-secret",
        "server_metadata_url": f"{provider}/.well-known/openid-configuration",
        **(auth or {}),
    }
    access_section = {
        "role_claim": "groups",
        "allow_list": str(allow_list),
        "role_values": ROLE_VALUES,
        **(access or {}),
    }
    lines = ["[auth]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in auth_section.items() if k not in omit]
    lines += ["", "[access]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in access_section.items() if k not in omit]
    path = folder / "secrets.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sample_store(folder: Path) -> tuple[str, list[str]]:
    """A ward store holding the sample ward: (its URL, the patient identifiers in it)."""
    url = f"sqlite:///{folder / 'ward.sqlite3'}"
    store = open_store(url)
    try:
        store.import_file(SAMPLE, author="test set-up")
        patients = store.patients()["patient_id"].astype(str).tolist()
    finally:
        store.close()
    return url, patients


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, made for this test: (cert, key) files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path
