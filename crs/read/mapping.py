"""A hospital's own column names, mapped to the dashboard's variables (issue #12).

An export may name a variable in a way the alias table (crs/tables/aliases.csv) does not
know: ``Art line sys``, ``Levo gtt``. Such a column is mapped by a person — in the app's
mapping step, or with a mapping file (``--mapping FILE``: CSV ``raw_name, variable,
unit``) — to a canonical variable and its unit, or to "not used". The reader applies the
mapping before its own name matching (crs.read.reader.read_export ``mapping=``), so two
columns mapped to one variable are combined row by row like any two columns of one
variable (spec grading.md §1 [v2], crs.read.combine).

A mapping is refused, with one sentence, when its unit is not a unit of its variable, or
when the column's own name gives a unit (``Core temp (F)``, ``Pressure [mmHg]``) that
the mapping contradicts: nothing is graded on a mapping that reads a value in the wrong
unit.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from crs.errors import UnusableExportError
from crs.read.columns import COLUMN_SPECS, SPECS, canonical_alias
from crs.read.names import normalise_name, normalise_unit
from crs.read.units import UNITS, Unit, accepted, match_name, units_of

#: What a person writes (or picks) for a column that is left out.
NOT_USED = "not used"
#: Header of a mapping file (crs mapping export writes it; import accepts it or none).
MAPPING_COLUMNS: tuple[str, str, str] = ("raw_name", "variable", "unit")
#: Canonical columns a mapping may not target (derived by the reader).
_NOT_TARGETS = frozenset({"instant", "line"})
#: A unit written at the end of a name: in brackets, or a per-cent sign.
_NAME_UNIT = re.compile(r"(?:[(\[]\s*([^()\[\]]+?)\s*[)\]]|\s(%))\s*$")
#: Every unit spelling of the units table → its label (for a name's own unit).
_KNOWN_UNITS: dict[str, str] = {}
for _unit in UNITS:
    _KNOWN_UNITS.setdefault(_unit.unit, _unit.label)


class MappingError(UnusableExportError):
    """A mapping that cannot be used: one sentence saying which row and why."""


@dataclass(frozen=True)
class Mapped:
    """One raw name's mapping: a canonical variable (the units table's variable, e.g.
    ``norepinephrine_ug_min``) and a unit of it (normalised; "" when none is given), or
    ``variable=None`` for "not used"."""

    raw: str
    variable: str | None
    unit: str = ""

    @property
    def key(self) -> str:
        return normalise_name(self.raw)

    @property
    def used(self) -> bool:
        return self.variable is not None

    def unit_object(self) -> Unit | None:
        return units_of(self.variable).get(self.unit) if self.variable and self.unit else None

    def target(self) -> tuple[str, Unit | None]:
        """(canonical column the values fill, unit they are written in)."""
        unit = self.unit_object()
        return (unit.target if unit is not None else str(self.variable)), unit

    def words(self) -> str:
        """``systolic pressure (mmHg)``, ``norepinephrine (µg/kg/min)``, ``not used``."""
        if self.variable is None:
            return NOT_USED
        unit = self.unit_object()
        return variable_words(self.variable) + (f" ({unit.label})" if unit is not None else "")

    def sentence(self) -> str:
        """How the report says it: ``'Art line sys' read as systolic pressure (mmHg)``."""
        if self.variable is None:
            return f"'{self.raw}' not used (left out of grading, as mapped)"
        return f"'{self.raw}' read as {self.words()} (as mapped)"


def variable_words(variable: str) -> str:
    """A canonical variable in plain words (its label)."""
    return SPECS[variable].words


class ColumnMapping:
    """Raw names (matched after normalisation) → :class:`Mapped`; later entries win."""

    def __init__(self, entries: Iterable[Mapped] = ()) -> None:
        self._by_key: dict[str, Mapped] = {}
        for entry in entries:
            self._by_key[entry.key] = entry

    def get(self, key: str) -> Mapped | None:
        """The mapping of a normalised name, or None."""
        return self._by_key.get(key)

    def __iter__(self) -> Iterator[Mapped]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ColumnMapping) and list(self) == list(other)

    def updated(self, entries: Iterable[Mapped]) -> ColumnMapping:
        """This mapping with ``entries`` added (replacing the same raw names)."""
        return ColumnMapping([*self, *entries])

    def to_frame(self) -> pd.DataFrame:
        """``raw_name, variable, unit`` (unit as written for people: °F, µg/kg/min)."""
        rows = [
            (
                m.raw,
                m.variable if m.variable is not None else NOT_USED,
                m.unit_object().label if m.unit_object() is not None else "",
            )
            for m in self
        ]
        return pd.DataFrame(rows, columns=list(MAPPING_COLUMNS), dtype="str")


def _variable_of(written: str, where: str) -> tuple[str | None, str]:
    """(units-table variable, unit the name implies) of a ``variable`` cell; None for not used."""
    key = normalise_name(written)
    if key in ("", "not_used", "none", "unused", "ignore", "left_out"):
        return None, ""
    canonical = canonical_alias(key)
    match = match_name(key) if canonical is None else None
    if canonical is None and match is not None:
        canonical = match.canonical
    if canonical is None or canonical in _NOT_TARGETS:
        raise MappingError(
            f"{where}'{written}' is not a variable of the dashboard (see docs/columns.md for "
            f"the names; or write '{NOT_USED}')."
        )
    implied = match.unit.unit if match is not None and match.unit is not None else ""
    # A weight-based column belongs to its variable (norepinephrine in µg/kg/min).
    for unit in UNITS:
        if unit.target == canonical and unit.target != unit.variable:
            return unit.variable, implied or unit.unit
    return canonical, implied


def mapped(raw: str, variable: str, unit: str = "", *, where: str = "") -> Mapped:
    """A checked mapping of ``raw`` to ``variable`` in ``unit`` (MappingError if refused).

    ``variable`` is a canonical column or an accepted name of one (``temp_c``,
    ``temperature``), or "not used"; ``unit`` as written (``°F``, ``mcg/kg/min``) or
    empty. ``where`` starts the error sentence (e.g. ``mapping.csv line 3: ``).
    """
    raw = str(raw).strip()
    if not raw:
        raise MappingError(f"{where}a mapping needs the column's name as written.")
    canonical, implied = _variable_of(str(variable), where)
    if canonical is None:
        return Mapped(raw, None, "")
    written = str(unit).strip()
    spelling = normalise_unit(written) if written else implied
    units = units_of(canonical)
    if spelling and spelling not in units:
        words = variable_words(canonical)
        why = (
            f"'{written}' is not a unit of {words} (accepted: {accepted(canonical)})"
            if units
            else f"{words} is written without a unit, not '{written}'"
        )
        raise MappingError(f"{where}'{raw}' → {words}: {why}.")
    entry = Mapped(raw, canonical, spelling)
    conflict = name_conflict(entry)
    if conflict is not None:
        raise MappingError(f"{where}{conflict}")
    return effective(entry)


def name_unit(raw: str) -> str | None:
    """The unit a column's own name ends with (``Core temp (F)`` → ``f``, ``Sat %`` →
    ``%``), when it is a unit of the units table; None otherwise (``Temp (calc)``)."""
    found = _NAME_UNIT.search(str(raw))
    if found is None:
        return None
    spelling = normalise_unit(found.group(1) or found.group(2))
    return spelling if spelling in _KNOWN_UNITS else None


def name_conflict(entry: Mapped) -> str | None:
    """Why ``entry`` contradicts the unit its raw name gives, as one sentence; None when
    it does not (then a mapping without a unit takes the name's unit: :func:`effective`)."""
    if entry.variable is None:
        return None
    spelling = name_unit(entry.raw)
    if spelling is None:
        return None
    words = variable_words(entry.variable)
    label = _KNOWN_UNITS[spelling]
    own = units_of(entry.variable).get(spelling)
    if own is None:
        accepted_units = accepted(entry.variable)
        tail = f" (accepted: {accepted_units})" if accepted_units else " (it has no unit)"
        return (
            f"'{entry.raw}' cannot be {words}: its name gives the unit {label}, which is "
            f"not a unit of {words}{tail}."
        )
    chosen = entry.unit_object()
    if chosen is not None and chosen.reading != own.reading:
        return (
            f"'{entry.raw}' cannot be {words} in {chosen.label}: its name gives the unit "
            f"{own.label}."
        )
    return None


def effective(entry: Mapped) -> Mapped:
    """``entry`` with the unit its raw name gives when the mapping names none."""
    if entry.variable is None or entry.unit:
        return entry
    spelling = name_unit(entry.raw)
    if spelling is not None and spelling in units_of(entry.variable):
        return Mapped(entry.raw, entry.variable, spelling)
    return entry


def checked(entry: Mapped, label: str) -> Mapped:
    """``entry`` as the reader applies it to a file (``label``): refused whole when its
    name contradicts it (a mapping saved earlier is checked again), else
    :func:`effective`."""
    conflict = name_conflict(entry)
    if conflict is not None:
        raise MappingError(f"{label}: the mapping is refused: {conflict} Nothing was graded.")
    return effective(entry)


def read_mapping(source: str | os.PathLike | bytes, *, name: str | None = None) -> ColumnMapping:
    """A mapping file: CSV ``raw_name, variable, unit`` (header optional; unit optional).

    Raises MappingError naming the file's line for the first row it refuses.
    """
    label = name or (Path(source).name if not isinstance(source, bytes) else "the mapping")
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    rows = list(csv.reader(io.StringIO(text)))
    entries = []
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and normalise_name(cells[0]) in ("raw_name", "raw", "column", "name"):
            continue
        if len(cells) < 2:
            raise MappingError(
                f"{label} line {number}: a mapping row is raw name, variable[, unit]."
            )
        unit = cells[2] if len(cells) > 2 else ""
        entries.append(mapped(cells[0], cells[1], unit, where=f"{label} line {number}: "))
    return ColumnMapping(entries)


def choices() -> list[tuple[str, str]]:
    """The app's choices for a column: (code, words), "not used" first, then every
    variable a value can fill, once per unit (``temperature (°C)``, ``temperature
    (°F)``). Codes are ``variable|unit``."""
    out = [("", NOT_USED)]
    for spec in COLUMN_SPECS:
        if spec.canonical in _NOT_TARGETS or spec.kind in ("id", "time", "day"):
            continue
        units = units_of(spec.canonical)
        if any(u.variable != spec.canonical for u in units.values()):
            continue  # a weight-based column: offered under its variable
        labels: dict[str, str] = {}
        for spelling, unit in units.items():
            labels.setdefault(unit.label, spelling)
        if not labels:
            out.append((f"{spec.canonical}|", spec.words))
        for label, spelling in labels.items():
            out.append((f"{spec.canonical}|{spelling}", f"{spec.words} ({label})"))
    return out


def choice_code(entry: Mapped | None) -> str:
    """The :func:`choices` code of an entry ("" for not used or none)."""
    if entry is None or entry.variable is None:
        return ""
    unit = entry.unit_object()
    if unit is None:
        return f"{entry.variable}|"
    # The code of the first spelling with the same label (°F for fahrenheit).
    for spelling, other in units_of(entry.variable).items():
        if other.label == unit.label:
            return f"{entry.variable}|{spelling}"
    return f"{entry.variable}|{entry.unit}"


def from_choice(raw: str, code: str) -> Mapped:
    """The checked mapping of ``raw`` for a :func:`choices` code (MappingError if refused)."""
    if not code:
        return Mapped(raw, None, "")
    variable, _, unit = code.partition("|")
    return mapped(raw, variable, unit)
