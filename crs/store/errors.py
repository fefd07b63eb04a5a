"""Errors of the ward store: one sentence for the user, never a traceback."""

from __future__ import annotations

from crs.errors import UnusableExportError


class StoreError(UnusableExportError):
    """A request the store cannot carry out (unknown patient, bad attribution, a file on
    another time axis); nothing was changed. The command line exits 2 with the message."""


class StoreFailure(RuntimeError):
    """The database failed (unreachable, locked too long, a constraint); the transaction
    was rolled back, so nothing was changed. The command line exits 1 with the message."""
