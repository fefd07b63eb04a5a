"""Who may change the ward store: roles, the signed-in identity, and the server-side check
(issue "Ward server: sign-in, roles and an audit that names real people").

Three roles, each including the one before:

- ``viewer``: the ward round, the patients and the reference (reads only);
- ``clinician``: also marks a finding as not CRS, withdraws their own attributions and
  archives a discharged patient;
- ``admin``: also imports exports, brings archived patients back and withdraws anyone's
  attribution.

The check runs where the change is made (``crs.store.Store``), not in the page: a
Store method given an :class:`Identity` refuses an action the identity's role does not
allow, whatever the page showed. A plain author name (the workstation and the command
line, where whoever runs the program owns the database) is recorded as given.
"""

from __future__ import annotations

from dataclasses import dataclass

from crs.store.errors import StoreError

#: Roles in increasing order of what they may do.
ROLES = ("viewer", "clinician", "admin")

#: The least role each change of the ward store needs.
ACTION_ROLES = {
    "attribute": "clinician",
    "withdraw_own": "clinician",
    "archive": "clinician",
    "import": "admin",
    "restore": "admin",
    "withdraw_any": "admin",
}

#: What each action is called in a refusal (plain words).
ACTION_WORDS = {
    "attribute": "mark a finding as not CRS",
    "withdraw_own": "withdraw an attribution",
    "archive": "archive a patient",
    "import": "import exports",
    "restore": "bring an archived patient back",
    "withdraw_any": "withdraw another clinician's attribution",
}

#: Longest author text the audit log keeps (crs.store.models.ID_LENGTH).
AUTHOR_LENGTH = 200


class AccessDenied(StoreError):
    """The signed-in person's role does not allow this change; nothing was changed."""


@dataclass(frozen=True)
class Identity:
    """A signed-in person: the ID token's subject and e-mail, and the role granted."""

    subject: str
    email: str
    role: str
    name: str = ""

    @property
    def author(self) -> str:
        """How the audit log names this person: e-mail and the provider's subject."""
        who = self.email or self.name or "unknown e-mail"
        return f"{who} (sign-in id {self.subject})"

    def may(self, action: str) -> bool:
        """True when the role allows ``action`` (a key of ACTION_ROLES)."""
        return role_rank(self.role) >= role_rank(ACTION_ROLES[action])


def role_rank(role: str | None) -> int:
    """0 for no role, then 1 viewer, 2 clinician, 3 admin."""
    return ROLES.index(role) + 1 if role in ROLES else 0


def authorize(identity: Identity, action: str) -> None:
    """Raise AccessDenied unless the identity's role allows ``action``."""
    if identity.may(action):
        return
    needed = ACTION_ROLES[action]
    raise AccessDenied(
        f"{identity.email or identity.subject} is signed in as {identity.role or 'no role'} "
        f"and may not {ACTION_WORDS[action]} (this needs the {needed} role); nothing was "
        "changed."
    )


def author_for(actor: str | Identity | None, action: str) -> str | None:
    """The author text to record for ``action``, after the role check for an Identity.

    A plain name (workstation, command line) is returned as given.
    """
    if isinstance(actor, Identity):
        authorize(actor, action)
        return actor.author
    return actor


def may(actor: str | Identity | None, action: str) -> bool:
    """True for a plain author (workstation) or an identity whose role allows ``action``."""
    return actor.may(action) if isinstance(actor, Identity) else True
