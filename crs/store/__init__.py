"""The persistent ward store (docs/architecture.md §7): imports merged into SQLite or
PostgreSQL, read back as the canonical frame, attributions (spec grading.md §5) and an
audit log, and who may do what (``access``, ``roles``). ``open_store()`` is the entry
point; ``crs.cli.commands.store`` the command line.

May import: ``crs.views`` and everything upstream of it (``crs.treatment``, ``crs.scales``,
``crs.findings``, ``crs.read``) and the shared leaf modules; never ``crs.cli``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crs.store.access import ACTION_ROLES, AUTHOR_LENGTH, AccessDenied, Identity
    from crs.store.engine import database_url, default_database_url, describe_database
    from crs.store.errors import StoreFailure
    from crs.store.importer import ImportResult
    from crs.store.marks import ASK, HEADLINE, mark_lines
    from crs.store.roles import AccessConfig, AccessConfigError, access_config, grant
    from crs.store.store import Store, mapping_key, open_store

#: Where each public name lives. Loaded on first use (PEP 562), so that
#: ``python -m crs grade`` does not pay for importing SQLAlchemy and Alembic.
_LAZY = {
    "database_url": "crs.store.engine",
    "default_database_url": "crs.store.engine",
    "describe_database": "crs.store.engine",
    "ImportResult": "crs.store.importer",
    "Store": "crs.store.store",
    "open_store": "crs.store.store",
    "mapping_key": "crs.store.store",
    "ACTION_ROLES": "crs.store.access",
    "AUTHOR_LENGTH": "crs.store.access",
    "AccessDenied": "crs.store.access",
    "Identity": "crs.store.access",
    "StoreFailure": "crs.store.errors",
    "ASK": "crs.store.marks",
    "HEADLINE": "crs.store.marks",
    "mark_lines": "crs.store.marks",
    "AccessConfig": "crs.store.roles",
    "AccessConfigError": "crs.store.roles",
    "access_config": "crs.store.roles",
    "grant": "crs.store.roles",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'crs.store' has no attribute {name!r}")


__all__ = [
    "ACTION_ROLES",
    "ASK",
    "AUTHOR_LENGTH",
    "AccessConfig",
    "AccessConfigError",
    "AccessDenied",
    "HEADLINE",
    "Identity",
    "ImportResult",
    "StoreFailure",
    "Store",
    "database_url",
    "default_database_url",
    "describe_database",
    "access_config",
    "grant",
    "mapping_key",
    "mark_lines",
    "open_store",
]
