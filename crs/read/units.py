"""Units of measurement, as data (spec grading.md §1 and §1.1 [v2]).

Two tables under ``crs/tables/``:

- ``units.csv``: one row per unit of a variable as written (normalised, crs.read.names
  :func:`~crs.read.names.normalise_unit`), with the canonical column it fills and its
  conversion ``(value + offset) × factor`` (``factor`` may be written as a ratio,
  ``5/9`` or ``1/88.4``, applied as × 5 ÷ 9 so that 100.4 °F is exactly 38 °C);
- ``unit_checks.csv``: the columns whose unit is read from their values when the name
  gives none (a temperature with a median above 50 is °F; [v2] a creatinine with a
  median above 20 is µmol/L …).

The same table serves a header's unit (``crp_mg_dl``), a cell's own unit (``80 µmol/L``)
and the long layout's ``unit`` column. A variable is named by its canonical column
(``creatinine_mg_dl``); a unit may fill another column of the same variable
(``norepinephrine`` in µg/kg/min fills ``norepinephrine_ug_kg_min``). The laboratory's
reference limits (``creatinine_uln`` …, spec §3.4) take the units of their laboratory
value.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from crs.read.aliases import ALIAS_ROWS, NOT_GRADED, NotGraded
from crs.read.columns import (
    NOT_GRADED_PREFIX,
    REFERENCE_LIMITS,
    SPECS,
    canonical_alias,
    name_target,
)
from crs.read.names import normalise_unit

TABLES = Path(__file__).parents[1] / "tables"
UNITS_FILE = TABLES / "units.csv"
CHECKS_FILE = TABLES / "unit_checks.csv"


@dataclass(frozen=True)
class Unit:
    """One unit of a variable, and how a value written in it becomes canonical."""

    variable: str  # the variable's canonical column (creatinine_mg_dl)
    unit: str  # as written, normalised (umol_l)
    target: str  # the canonical column the value fills
    multiply: float
    divide: float
    offset: float
    label: str  # for the report (µmol/L)
    source: str  # where the conversion comes from

    @property
    def converts(self) -> bool:
        """Whether a value changes (µg/L for ferritin does not; µmol/L for creatinine does)."""
        return not (self.multiply == self.divide and self.offset == 0)

    @property
    def reading(self) -> tuple[str, float, float, float]:
        """Units with the same reading give the same value in the same column (°C = degC)."""
        return (self.target, self.multiply, self.divide, self.offset)

    @property
    def scale(self) -> float:
        """Canonical units per unit written (the precision of a value carries over by it)."""
        return abs(self.multiply / self.divide)

    def apply(self, values):
        """``(values + offset) × multiply ÷ divide`` (numpy or pandas, never in place)."""
        out = values
        if self.offset:
            out = out + self.offset
        if self.multiply != 1:
            out = out * self.multiply
        if self.divide != 1:
            out = out / self.divide
        return out

    def rule(self) -> str:
        """The conversion in words, for the report: ``÷ 88.4``, ``× 10``, ``(°F − 32) × 5/9``."""
        if self.offset:
            sign = "−" if self.offset < 0 else "+"
            return f"({self.label} {sign} {abs(self.offset):g}) × {self.multiply:g}/{self.divide:g}"
        if self.multiply == 1:
            return f"÷ {self.divide:g}"
        if self.divide == 1:
            return f"× {self.multiply:g}"
        return f"× {self.multiply:g}/{self.divide:g}"


@dataclass(frozen=True)
class UnitCheck:
    """A unit read from a column's values when its name gives none (spec §1)."""

    variable: str
    statistic: str  # median | maximum
    comparison: str  # above | below | at_most
    threshold: float
    unit: str  # the unit read when the check is met
    applies_to: str  # bare: only names without a unit; any: whatever the name says
    source: str

    def measure(self, values: np.ndarray) -> float:
        """The statistic over the values (finite, non-empty)."""
        return float(np.median(values) if self.statistic == "median" else np.max(values))

    def met(self, measured: float) -> bool:
        if self.comparison == "above":
            return measured > self.threshold
        if self.comparison == "below":
            return measured < self.threshold
        return measured <= self.threshold

    def words(self, measured: float, met: bool) -> str:
        """``median 80 is above 20`` / ``median 1.1 is not above 20``."""
        what = {"above": "above", "below": "below", "at_most": "at most"}[self.comparison]
        if self.statistic == "maximum":
            name, verb = ("every value", "is") if met else (f"the largest, {measured:g},", "is not")
        else:
            name, verb = f"median {measured:g}", "is" if met else "is not"
        return f"{name} {verb} {what} {self.threshold:g}"


def _factor(text: str) -> tuple[float, float]:
    """``5/9`` → (5, 9); ``100`` → (100, 1)."""
    if "/" in text:
        top, bottom = text.split("/")
        return float(top), float(bottom)
    return float(text), 1.0


def _read_units() -> tuple[Unit, ...]:
    with UNITS_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    units = []
    for row in rows:
        multiply, divide = _factor(row["factor"])
        units.append(
            Unit(
                variable=row["variable"],
                unit=row["unit"],
                target=row["target"],
                multiply=multiply,
                divide=divide,
                offset=float(row["offset"]),
                label=row["label"],
                source=row["source"],
            )
        )
    return tuple(units)


def _read_checks() -> tuple[UnitCheck, ...]:
    with CHECKS_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return tuple(
        UnitCheck(
            variable=row["variable"],
            statistic=row["statistic"],
            comparison=row["comparison"],
            threshold=float(row["threshold"]),
            unit=row["unit"],
            applies_to=row["applies_to"],
            source=row["source"],
        )
        for row in rows
    )


#: The units table (crs/tables/units.csv), in its order.
UNITS: tuple[Unit, ...] = _read_units()

#: The unit checks (crs/tables/unit_checks.csv).
CHECKS: tuple[UnitCheck, ...] = _read_checks()


def _validate() -> None:
    """The tables name numeric canonical columns and units in their normalised spelling;
    each column belongs to one variable (a broken table fails at import, not at a ward)."""
    owner: dict[str, str] = {}
    for u in UNITS:
        for column in (u.variable, u.target):
            if column not in SPECS or SPECS[column].kind != "numeric":
                raise ValueError(f"units.csv: {column} is not a numeric canonical column")
        if normalise_unit(u.unit) != u.unit:
            raise ValueError(f"units.csv: unit {u.unit} is not written as normalised")
        if owner.setdefault(u.target, u.variable) != u.variable:
            raise ValueError(f"units.csv: {u.target} belongs to two variables")
        if u.multiply == 0 or u.divide == 0:
            raise ValueError(f"units.csv: {u.variable} {u.unit} has a zero factor")
    for check in CHECKS:
        if (check.variable, check.unit) not in {(u.variable, u.unit) for u in UNITS}:
            raise ValueError(f"unit_checks.csv: {check.variable} has no unit {check.unit}")
        if (
            check.statistic not in ("median", "maximum")
            or check.comparison not in ("above", "below", "at_most")
            or check.applies_to not in ("bare", "any")
        ):
            raise ValueError(f"unit_checks.csv: {check.variable}: unknown rule words")


_validate()


def _units_by_column() -> dict[str, dict[str, Unit]]:
    """Per canonical column: the units a value of that column may be written in.

    A column of a variable takes every unit of the variable (a ``norepinephrine`` cell
    in µg/kg/min fills the weight-based column). A reference limit takes the units of
    its laboratory value that fill that value's own column, and fills itself.
    """
    variable_of = {u.target: u.variable for u in UNITS}
    by_variable: dict[str, dict[str, Unit]] = {}
    for u in UNITS:
        by_variable.setdefault(u.variable, {})[u.unit] = u
    out: dict[str, dict[str, Unit]] = {}
    for column in SPECS:
        if column in variable_of:
            out[column] = by_variable[variable_of[column]]
        elif column in REFERENCE_LIMITS:
            lab = REFERENCE_LIMITS[column]
            out[column] = {
                key: Unit(
                    variable=column,
                    unit=u.unit,
                    target=column,
                    multiply=u.multiply,
                    divide=u.divide,
                    offset=u.offset,
                    label=u.label,
                    source=u.source,
                )
                for key, u in by_variable.get(variable_of.get(lab, ""), {}).items()
                if u.target == lab
            }
    return out


_BY_COLUMN: dict[str, dict[str, Unit]] = _units_by_column()


def _checks_by_column() -> dict[str, UnitCheck]:
    """Per canonical column: the check of its variable (a reference limit: its lab's)."""
    variable_of = {u.target: u.variable for u in UNITS}
    by_variable = {check.variable: check for check in CHECKS}
    out = {}
    for column in SPECS:
        variable = variable_of.get(REFERENCE_LIMITS.get(column, column))
        if variable in by_variable:
            out[column] = by_variable[variable]
    return out


_CHECK_OF: dict[str, UnitCheck] = _checks_by_column()


def units_of(canonical: str) -> dict[str, Unit]:
    """The units (normalised spelling → :class:`Unit`) a value of ``canonical`` may be
    written in; empty for a column without units (grades, scores)."""
    return _BY_COLUMN.get(canonical, {})


def unit_of(canonical: str, written: str) -> Unit | None:
    """The unit ``written`` (as in the file) for a value of ``canonical``, or None."""
    return units_of(canonical).get(normalise_unit(written))


def check_of(canonical: str) -> UnitCheck | None:
    """The unit check of ``canonical``'s values when its name gives no unit, if any."""
    return _CHECK_OF.get(canonical)


def check_unit(canonical: str, check: UnitCheck) -> Unit:
    """The unit a met check reads ``canonical``'s values in."""
    return units_of(canonical)[check.unit]


def canonical_reading(canonical: str) -> tuple[str, float, float, float]:
    """The :attr:`Unit.reading` of a value already in ``canonical``'s unit."""
    return (canonical, 1.0, 1.0, 0.0)


def accepted(canonical: str) -> str:
    """The units accepted for ``canonical``, in words (``mg/dL, µmol/L``)."""
    labels = list(dict.fromkeys(u.label for u in units_of(canonical).values()))
    return ", ".join(labels)


@dataclass(frozen=True)
class NameMatch:
    """A column name (or flowsheet variable) read: the canonical column its values fill,
    and the unit the name gives (None: the name gives no unit)."""

    canonical: str
    unit: Unit | None


def _unit_in_name(key: str, canonical: str) -> Unit | None:
    """The unit an accepted name ends with (``temp_c``: °C; ``bolus_ml``: mL), if any."""
    named = [
        unit
        for spelling, unit in units_of(canonical).items()
        if unit.target == canonical and key.endswith("_" + spelling)
    ]
    return max(named, key=lambda unit: len(unit.unit), default=None)


@lru_cache(maxsize=4096)
def match_name(key: str) -> NameMatch | None:
    """Read a normalised column name (spec §1 [v2]).

    An accepted name (a canonical name or a name of crs/tables/aliases.csv, in any word
    order) is its column; otherwise a name made of an accepted name without a unit, ``_``
    and a unit of that variable is read through the units table, for every variable
    alike: ``crp_mg_dl``, ``creatinine_umol_l``, ``temp_f``, ``il6_ng_l``,
    ``norepinephrine_mcg_kg_min`` (which fills the weight-based column). None when the
    name matches nothing.
    """
    canonical = canonical_alias(key)
    if canonical is not None:
        implied = _ALIAS_UNITS.get(key)
        unit = units_of(canonical)[implied] if implied else _unit_in_name(key, canonical)
        return NameMatch(unit.target if unit is not None else canonical, unit)
    for base, written in _splits(key):
        unit = units_of(base).get(normalise_unit(written))
        if unit is not None:
            return NameMatch(unit.target, unit)
    return None


def _splits(key: str) -> list[tuple[str, str]]:
    """(column, rest) for each ``_`` of ``key`` whose left part is an accepted name of a
    numeric column that gives no unit (``temperature`` | ``f``), leftmost first."""
    out = []
    at = key.find("_")
    while at > 0:
        base = canonical_alias(key[:at])
        if (
            base is not None
            and SPECS[base].kind == "numeric"
            and _unit_in_name(key[:at], base) is None
        ):
            out.append((base, key[at + 1 :]))
        at = key.find("_", at + 1)
    return out


def unit_near_miss(key: str) -> tuple[str, str] | None:
    """(column, rest) when ``key`` starts with an accepted name of a variable with units
    but the rest is not one of its units (``creatinine_mmhg``), else None: the column is
    left out, and the report says which units that variable takes."""
    if match_name(key) is not None:
        return None
    splits = [(base, rest) for base, rest in _splits(key) if units_of(base)]
    return splits[-1] if splits else None


def _alias_units() -> dict[str, str]:
    """Names of aliases.csv that imply a unit without writing it → that unit; a unit that
    is not one of its variable's fails at import."""
    out = {}
    for row in ALIAS_ROWS:
        if row.unit and row.variable in SPECS:
            if row.unit not in units_of(row.variable):
                raise ValueError(f"aliases.csv: {row.alias}: {row.unit} is not a unit of it")
            out[row.key] = row.unit
    return out


_ALIAS_UNITS: dict[str, str] = _alias_units()


@lru_cache(maxsize=1024)
def not_graded_match(key: str) -> NotGraded | None:
    """A normalised name of a variable recognised but not graded (crs/tables/
    not_graded.csv): SpO2, heart rate, a charted ICANS grade …, with or without one of
    its units (``heart_rate_bpm``, ``spo2_%``). None otherwise."""
    target = name_target(key)
    if target is not None:
        return (
            NOT_GRADED.get(target.removeprefix(NOT_GRADED_PREFIX))
            if target.startswith(NOT_GRADED_PREFIX)
            else None
        )
    at = key.find("_")
    while at > 0:
        base = name_target(key[:at])
        if base is not None and base.startswith(NOT_GRADED_PREFIX):
            variable = NOT_GRADED[base.removeprefix(NOT_GRADED_PREFIX)]
            if normalise_unit(key[at + 1 :]) in variable.units:
                return variable
        at = key.find("_", at + 1)
    return None
