"""The persistent ward store (docs/architecture.md §7): imports merged into SQLite or
PostgreSQL, read back as the canonical frame, attributions (spec grading.md §5) and an
audit log. ``open_store()`` is the entry point; ``crs.store.commands`` the command line.
"""

from crs.store.engine import database_url, default_database_url, describe_database
from crs.store.importer import ImportResult
from crs.store.store import Store, open_store

__all__ = [
    "ImportResult",
    "Store",
    "database_url",
    "default_database_url",
    "describe_database",
    "open_store",
]
