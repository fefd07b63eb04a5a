"""Which role a signed-in person has: from a claim of the ID token, or an allow list.

Configured in the ``[access]`` section of ``.streamlit/secrets.toml`` (README,
"Running it as a ward server"):

    [access]
    role_claim = "roles"            # the ID-token claim naming the roles ("groups",
                                    # "realm_access.roles" …); "" for the allow list only
    allow_list = "/etc/crs/users.csv"   # optional: lines "e-mail,role"
    session_hours = 12              # sign in again after this long (default 12)
    [access.role_values]            # optional: claim values that grant each role
    clinician = ["crs-clinician", "4f0c…-group-object-id"]

Without ``role_values`` a claim value grants the role of the same name (``viewer``,
``clinician``, ``admin``). Both sources may be used; the person gets the highest role
either grants. Nobody gets a role by default: a token without the claim and an e-mail
not on the list mean no access, and the message says which.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from crs.store.access import ROLES, role_rank

DEFAULT_CLAIM = "roles"
DEFAULT_SESSION_HOURS = 12.0


class AccessConfigError(ValueError):
    """The ``[access]`` settings cannot be used; the message is one line saying why."""


@dataclass(frozen=True)
class AccessConfig:
    """Where roles come from, and how long a sign-in lasts."""

    role_claim: str = DEFAULT_CLAIM
    role_values: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {role: (role,) for role in ROLES}
    )
    allow_list: Mapping[str, str] = field(default_factory=dict)
    allow_list_path: str = ""
    session_hours: float = DEFAULT_SESSION_HOURS


@dataclass(frozen=True)
class Grant:
    """The role granted (None: no access) and, without one, the sentence saying why."""

    role: str | None
    reason: str = ""


def access_config(section: Mapping[str, object] | None) -> AccessConfig:
    """Read the ``[access]`` section (a missing section means the defaults)."""
    section = dict(section or {})
    unknown = sorted(set(section) - {"role_claim", "allow_list", "session_hours", "role_values"})
    if unknown:
        raise AccessConfigError(
            f"[access] has unknown settings {', '.join(unknown)}; the settings are role_claim, "
            "allow_list, session_hours and role_values."
        )
    claim = str(section.get("role_claim", DEFAULT_CLAIM) or "").strip()
    path = str(section.get("allow_list", "") or "").strip()
    if not claim and not path:
        raise AccessConfigError(
            "[access] gives no source of roles: set role_claim (the ID-token claim naming "
            "the roles) or allow_list (a file of e-mail,role lines)."
        )
    try:
        hours = float(section.get("session_hours", DEFAULT_SESSION_HOURS))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        hours = -1.0
    if not hours > 0:
        raise AccessConfigError("[access] session_hours must be a number of hours above 0.")
    return AccessConfig(
        role_claim=claim,
        role_values=_role_values(section.get("role_values")),
        allow_list=read_allow_list(path) if path else {},
        allow_list_path=path,
        session_hours=hours,
    )


def _role_values(raw: object) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {role: (role,) for role in ROLES}
    if not isinstance(raw, Mapping):
        raise AccessConfigError("[access.role_values] must map viewer, clinician, admin to lists.")
    unknown = sorted(set(raw) - set(ROLES))
    if unknown:
        raise AccessConfigError(
            f"[access.role_values] names unknown roles {', '.join(map(str, unknown))}; "
            "the roles are viewer, clinician and admin."
        )
    values: dict[str, tuple[str, ...]] = {}
    for role, granted in raw.items():
        items = [granted] if isinstance(granted, str) else list(granted or [])
        values[str(role)] = tuple(str(item) for item in items)
    return values


def read_allow_list(path: str | Path) -> dict[str, str]:
    """``e-mail,role`` lines (a header line and ``#`` comments allowed) → {e-mail: role}."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise AccessConfigError(
            f"The allow list {path} cannot be read: {error.strerror or error}."
        ) from error
    allowed: dict[str, str] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and [c.lower() for c in cells[:2]] == ["email", "role"]:
            continue
        if len(cells) < 2 or "@" not in cells[0] or cells[1].lower() not in ROLES:
            raise AccessConfigError(
                f"The allow list {path}, line {number}, is not 'e-mail,role' with a role of "
                f"viewer, clinician or admin: {','.join(cells)!r}."
            )
        allowed[cells[0].lower()] = cells[1].lower()
    return allowed


def claim_value(claims: Mapping[str, object], name: str) -> object:
    """A claim by name; a dotted name reaches into nested claims (realm_access.roles)."""
    value: object = claims
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _claim_role(claims: Mapping[str, object], config: AccessConfig) -> str | None:
    raw = claim_value(claims, config.role_claim)
    values = {raw} if isinstance(raw, str) else {str(v) for v in raw or []}  # type: ignore[union-attr]
    granted = [role for role, accepted in config.role_values.items() if values & set(accepted)]
    return max(granted, key=role_rank, default=None)


def grant(claims: Mapping[str, object], config: AccessConfig) -> Grant:
    """The highest role the ID token's claims or the allow list grant, or why none."""
    email = str(claims.get("email") or "").strip().lower()
    # An e-mail the provider says it has not verified is not used to look a person up.
    verified = claims.get("email_verified") is not False
    roles = []
    if config.role_claim:
        roles.append(_claim_role(claims, config))
    if email and verified:
        roles.append(config.allow_list.get(email))
    role = max((r for r in roles if r), key=role_rank, default=None)
    if role is not None:
        return Grant(role)
    why = []
    if config.role_claim and claim_value(claims, config.role_claim) is None:
        why.append(f"did not include the '{config.role_claim}' claim that names your role")
    elif config.role_claim:
        why.append("has none of the dashboard's roles (viewer, clinician, admin)")
    if config.allow_list_path and not verified:
        why.append("gave an e-mail the sign-in service has not verified")
    elif config.allow_list_path:
        why.append("is not on the dashboard's list of users")
    who = email or str(claims.get("sub") or "this account")
    return Grant(
        None,
        f"Your sign-in ({who}) {' and '.join(why)}: no access. Ask the team that runs the "
        "dashboard to give you a role.",
    )
