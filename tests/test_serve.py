"""The launcher (``python -m ui.serve``, how ``make run`` and ``make serve`` start the app)
refuses unsafe or broken set-ups with one clear line and exit status 2, before anything
listens: patient data on the network without sign-in, a misconfigured ``[auth]`` or
``[access]`` section, XSRF protection turned off. Never a traceback.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.server_mode import write_secrets

REPO = Path(__file__).resolve().parents[1]
#: Nothing listens here: the launcher must refuse before starting the server.
PORT = 8599
PROVIDER = "http://localhost:9"  # the discard port: no sign-in service answers


def launch(*options: str, secrets: Path | None = None) -> subprocess.CompletedProcess[str]:
    files = ("--secrets.files", str(secrets)) if secrets else ("--secrets.files", "/nonexistent")
    return subprocess.run(
        [sys.executable, "-m", "ui.serve", "--server.port", str(PORT), *files, *options],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_the_app_refuses_to_listen_on_every_interface_without_sign_in() -> None:
    line = one_error_line(launch("--server.address", "0.0.0.0"))
    assert line.startswith(
        "error: Refusing to serve patient data on 0.0.0.0 without sign-in: anyone who "
        "reaches this address could read every patient."
    )
    assert "configure sign-in in .streamlit/secrets.toml" in line
    assert "--allow-anonymous-network" in line


def test_a_host_name_of_the_network_is_refused_too_and_loopback_names_are_not() -> None:
    line = one_error_line(launch("--server.address", "ward-pc.hospital.example"))
    assert "on ward-pc.hospital.example without sign-in" in line
    from ui.deployment import is_loopback

    assert [is_loopback(a) for a in ("127.0.0.1", "127.0.1.1", "::1", "localhost")] == [True] * 4
    assert [is_loopback(a) for a in ("0.0.0.0", "", "::", "10.1.2.3")] == [False] * 4


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {"omit": ("client_secret",)},
            "Sign-in is not fully configured: [auth] in .streamlit/secrets.toml lacks "
            "client_secret",
        ),
        (
            {"auth": {"redirect_uri": f"http://127.0.0.1:{PORT}/callback"}},
            f"[auth] redirect_uri 'http://127.0.0.1:{PORT}/callback' must end in /oauth2callback",
        ),
        (
            {"auth": {"redirect_uri": "http://127.0.0.1:9999/oauth2callback"}},
            "names port 9999, but the dashboard listens on port 8599",
        ),
        (
            {"auth": {"redirect_uri": "http://crs.hospital.example/oauth2callback"}},
            "must use https",
        ),
        ({"auth": {"cookie_secret": "short"}}, "cookie_secret is shorter than 32 characters"),
        (
            {"access": {"role_claim": "", "allow_list": ""}},
            "[access] gives no source of roles",
        ),
        ({"access": {"allow_list": "/nonexistent/users.csv"}}, "cannot be read"),
    ],
    ids=[
        "missing client secret",
        "wrong redirect path",
        "redirect to another port",
        "plain http to the network",
        "short cookie secret",
        "no source of roles",
        "missing allow list",
    ],
)
def test_misconfigured_sign_in_is_one_clear_line_at_start(
    tmp_path: Path, settings: dict, expected: str
) -> None:
    secrets = write_secrets(tmp_path, PROVIDER, PORT, **settings)
    line = one_error_line(launch("--server.address", "0.0.0.0", secrets=secrets))
    assert expected in line


def test_a_secrets_file_that_is_not_toml_is_one_clear_line(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("[auth\nclient_id = 1\n", encoding="utf-8")
    line = one_error_line(launch(secrets=secrets))
    assert line.startswith(f"error: The secrets file cannot be read: {secrets} is not valid TOML")


def test_xsrf_protection_cannot_be_turned_off(tmp_path: Path) -> None:
    line = one_error_line(launch("--server.enableXsrfProtection", "false"))
    assert "server.enableXsrfProtection is off; keep it on" in line


def test_a_mistyped_option_is_one_line_not_a_traceback() -> None:
    line = one_error_line(launch("--server.adress", "0.0.0.0"))
    assert line.startswith("error: No such option '--server.adress'.")
