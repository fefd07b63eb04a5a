"""The names exports give the variables, as data (spec grading.md §1; issue #12).

Two tables under ``crs/tables/``:

- ``aliases.csv``: one row per accepted name — ``variable`` (a canonical column, a
  variable that is recognised but not graded, or a column of the long layout:
  ``variable``, ``value``, ``unit``), ``alias`` (the name as an export writes it),
  ``unit`` (optional: the unit the name implies without writing it) and ``family``
  (where the name comes from: ``spec``, ``EHR flowsheet (Epic, Cerner)``, ``MIMIC-IV
  d_items`` …). Adding a hospital's name is one line here.
- ``not_graded.csv``: variables an export often carries that the Lee 2014 grade does
  not use (SpO2, heart rate, a charted ICANS grade …): recognised and reported as such,
  never as unknown columns, never offered for mapping.

Names are compared after :func:`crs.read.names.normalise_name`, and also by their set of
words (:func:`crs.read.names.word_key`): ``BP Systolic`` is ``Systolic BP``, ``Bilirubin,
Total`` is ``Total Bilirubin``. crs.read.columns checks at import that no key (exact or word
set) names two variables, so word order can never make a name ambiguous.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from crs.read.names import normalise_name, normalise_unit, word_key

TABLES = Path(__file__).parents[1] / "tables"
ALIASES_FILE = TABLES / "aliases.csv"
NOT_GRADED_FILE = TABLES / "not_graded.csv"

#: The long ("flowsheet") layout's own columns (spec §1): the variable's name, its value
#: and optionally its unit, one row per value.
LAYOUT_COLUMNS: tuple[str, ...] = ("variable", "value", "unit")


@dataclass(frozen=True)
class Alias:
    """One accepted name of a variable (a row of aliases.csv)."""

    variable: str
    alias: str  # as an export writes it
    unit: str  # normalised unit spelling the name implies ("" when none)
    family: str

    @property
    def key(self) -> str:
        return normalise_name(self.alias)

    @property
    def words(self) -> str:
        return word_key(self.key)


@dataclass(frozen=True)
class NotGraded:
    """A variable recognised in exports but not used by the grade (not_graded.csv)."""

    variable: str
    label: str  # in plain words
    why: str  # why it is not graded, in plain words
    units: tuple[str, ...]  # normalised units its names may end with


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_aliases() -> tuple[Alias, ...]:
    """aliases.csv, in its order."""
    return tuple(
        Alias(
            variable=row["variable"].strip(),
            alias=row["alias"].strip(),
            unit=normalise_unit(row["unit"]) if row["unit"].strip() else "",
            family=row["family"].strip(),
        )
        for row in _rows(ALIASES_FILE)
    )


def read_not_graded() -> dict[str, NotGraded]:
    """not_graded.csv by variable."""
    out = {}
    for row in _rows(NOT_GRADED_FILE):
        units = tuple(normalise_unit(u) for u in row["units"].split(";") if u.strip())
        out[row["variable"]] = NotGraded(row["variable"], row["label"], row["why"], units)
    return out


#: The alias table (crs/tables/aliases.csv).
ALIAS_ROWS: tuple[Alias, ...] = read_aliases()

#: The variables recognised but not graded (crs/tables/not_graded.csv).
NOT_GRADED: dict[str, NotGraded] = read_not_graded()
