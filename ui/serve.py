"""Start the dashboard, refusing unsafe exposure: ``python -m ui.serve [options] [-- app args]``.

``make run`` and ``make serve`` start the app through this launcher. It reads the
settings exactly as ``streamlit run`` will (``.streamlit/config.toml``, ``STREAMLIT_*``
variables, ``--server.*`` options, the secrets files) and then runs ``streamlit run
app.py`` with the same options, unless:

- the app would listen beyond this machine (not 127.0.0.1 / ::1 / localhost) without
  sign-in configured: one line says how to configure it, exit 2; the explicit
  ``--allow-anonymous-network`` flag starts it anyway (every page then shows a red
  banner);
- sign-in is configured but unusable (a missing client secret, a redirect URI that
  cannot come back to this server, no source of roles): one line, exit 2.

A sign-in service that does not answer is only a warning (it may come back; the
sign-in screen says so meanwhile). Every page repeats the exposure check (ui.auth), so
a plain ``streamlit run app.py --server.address 0.0.0.0`` shows nothing either.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ui.deployment import (
    ALLOW_ANONYMOUS_FLAG,
    auth_problem,
    exposure_problem,
    provider_problem,
    read_secrets,
)

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _settings(streamlit_args: list[str]) -> tuple[str, int, str, list[str], bool]:
    """(address, port, base path, secrets files, XSRF on) as ``streamlit run`` resolves them."""
    from streamlit import config
    from streamlit.web import bootstrap
    from streamlit.web.cli import main_run

    context = main_run.make_context("run", [APP, *streamlit_args])
    flags = {k: v for k, v in context.params.items() if k not in ("target", "args")}
    bootstrap.load_config_options(flag_options=flags)
    return (
        str(config.get_option("server.address") or ""),
        int(config.get_option("server.port")),
        str(config.get_option("server.baseUrlPath") or ""),
        list(config.get_option("secrets.files") or []),
        bool(config.get_option("server.enableXsrfProtection")),
    )


def startup_problem(streamlit_args: list[str], allow_anonymous: bool) -> tuple[str | None, str]:
    """(the reason to refuse, or None; a warning line, or "")."""
    address, port, base_path, secrets_files, xsrf = _settings(streamlit_args)
    try:
        secrets = read_secrets(secrets_files)
    except ValueError as error:
        return f"The secrets file cannot be read: {error}", ""
    auth = secrets.get("auth") or {}
    if not isinstance(auth, dict):
        return "[auth] in the secrets file must be a section of settings.", ""
    exposed = exposure_problem(address, bool(auth), allow_anonymous)
    if exposed:
        return exposed, ""
    if not xsrf:
        return (
            "server.enableXsrfProtection is off; keep it on (it stops other web sites "
            "from submitting forms to the dashboard).",
            "",
        )
    if not auth:
        return None, ""
    from crs.store import AccessConfigError, access_config

    problem = auth_problem(auth, port, base_path)
    if problem is None:
        try:
            access_config(secrets.get("access") or {})  # type: ignore[arg-type]
        except AccessConfigError as error:
            problem = str(error)
    if problem is not None:
        return problem, ""
    return None, provider_problem(str(auth["server_metadata_url"])) or ""


def main(argv: list[str] | None = None) -> int:
    """Check, then replace this process with ``streamlit run app.py …``."""
    args = list(sys.argv[1:] if argv is None else argv)
    cut = args.index("--") if "--" in args else len(args)
    streamlit_args, app_args = args[:cut], args[cut + 1 :]
    allow = ALLOW_ANONYMOUS_FLAG in streamlit_args or ALLOW_ANONYMOUS_FLAG in app_args
    streamlit_args = [a for a in streamlit_args if a != ALLOW_ANONYMOUS_FLAG]
    app_args = [a for a in app_args if a != ALLOW_ANONYMOUS_FLAG]
    import click

    try:
        problem, warning = startup_problem(streamlit_args, allow)
    except click.ClickException as error:  # an unknown or malformed Streamlit option
        problem, warning = error.format_message(), ""
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    if allow:  # the pages show the red banner when the app itself is given the flag
        app_args.append(ALLOW_ANONYMOUS_FLAG)
    command = [sys.executable, "-m", "streamlit", "run", APP, *streamlit_args, "--", *app_args]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, command)
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
