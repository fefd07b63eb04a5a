"""Decisions taken on the whole file, fixed while a chunk of it is read (issue #17;
the chunks are cut by crs.batch).

The reader decides some things on a whole column or the whole file (spec grading.md
§1): the type pyarrow gives a column, whether the file writes decimal commas, the unit
of a lab column without one in its name (the median of its values), and whether the
time axis is the date-time or the day column. Reading one patient-complete chunk must
take the file's decisions, not the chunk's own, or chunking would change output cells.

:func:`fixed` sets them for the reads inside a ``with`` block; the reader asks
:func:`current` at each of those points (None outside a chunked read: the reader
decides on what it reads, as always). A context variable rather than a parameter
threaded through the reader: the decisions are one value for one read, and every
read outside the chunked engine is untouched.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from crs.read.units import Unit


@dataclass(frozen=True)
class UnitReading:
    """The unit a column's values gave on the whole file, and the report's sentence."""

    unit: Unit | None
    sentence: str | None


@dataclass(frozen=True)
class Decided:
    """What the whole file decided (see the module docstring)."""

    #: written column name → the Arrow type of the whole column (pyarrow's inference).
    column_types: dict[str, pa.DataType] = field(default_factory=dict)
    decimal_comma: bool = False
    #: column as written → its unit read from the whole column's values.
    units: dict[str, UnitReading] = field(default_factory=dict)
    axis: str | None = None  # "time" or "day"
    #: the file line of each data row of the chunk (header = line 1), or None.
    lines: np.ndarray | None = None


_DECIDED: ContextVar[Decided | None] = ContextVar("crs.read.decided", default=None)


def current() -> Decided | None:
    """The whole file's decisions while a chunk is read, else None."""
    return _DECIDED.get()


@contextlib.contextmanager
def fixed(decided: Decided) -> Iterator[None]:
    """Read with ``decided`` in force inside the block."""
    token = _DECIDED.set(decided)
    try:
        yield
    finally:
        _DECIDED.reset(token)
