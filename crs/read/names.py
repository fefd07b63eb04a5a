"""Column-name and unit matching (spec grading.md §1).

Names are matched after lower-casing and collapsing runs of spaces, dashes, dots,
slashes and brackets to one ``_``, trimmed at both ends, so ``CRP (mg/dL)`` is
``crp_mg_dl``. The same rule normalises a flowsheet's ``variable`` and ``unit`` cells.
Units are normalised further: ``µ``, ``μ``, ``u`` and ``mc`` are one micro prefix
(``mcg/kg/min`` is ``ug_kg_min``), and the degree sign is dropped (``°F`` is ``f``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: Spaces, dashes, dots, slashes and brackets (spec §1); underscores join the run so that
#: ``temp _c`` and ``temp__c`` read alike.
_SEPARATORS = re.compile(r"[\s\-./\\()\[\]{}_]+")

#: ``mc`` before these base units is the micro prefix (spec §1 [v2]: µ, μ, u and mc are
#: the same): ``mcg`` = µg, ``mcmol`` = µmol, ``mcl`` = µL.
_MC_MICRO = re.compile(r"(?:(?<=_)|^)mc(?=(?:g|mol|l)(?:_|$))")


def normalise_name(name: object) -> str:
    """``CRP (mg/dL)`` → ``crp_mg_dl``; ``µ``/``μ`` read as ``u`` (``µmol/L`` → ``umol_l``)."""
    text = str(name).replace("\ufeff", "").strip().lower().replace("µ", "u").replace("μ", "u")
    return _SEPARATORS.sub("_", text).strip("_")


#: Spaces and ASCII punctuation but the per-cent sign separate words of a name; any other
#: character (a hidden one included) stays part of its word, so it never makes a match.
_WORDS = re.compile(r"[\s!-$&-/:-@\[-`{-~]+")


def word_key(key: str) -> str:
    """The words of a normalised name, in alphabetical order: ``bp_systolic`` and
    ``systolic_bp`` are both ``bp_systolic``; ``bilirubin,_total`` is ``bilirubin_total``.
    Names are matched by this key when they do not match as written (issue #12: word
    order and punctuation vary between exports)."""
    return "_".join(sorted(word for word in _WORDS.split(key) if word))


def normalise_unit(unit: object) -> str:
    """A unit as written, in the spelling of the units table (crs/tables/units.csv):
    ``µmol/L`` → ``umol_l``, ``mcg/kg/min`` → ``ug_kg_min``, ``°F`` → ``f``."""
    key = normalise_name(str(unit).replace("°", " "))
    return _MC_MICRO.sub("u", key)


def _normalise_each(values: pd.Series, normalise) -> pd.Series:
    # A flowsheet repeats a few dozen names over millions of rows: each distinct name is
    # normalised once and the result spread back by its code.
    codes, uniques = pd.factorize(values)
    names = np.array([normalise(u) for u in uniques] + [None], dtype=object)
    out = pd.Series(names[codes], index=values.index, dtype="str")
    return out.where(values.notna())


def normalise_names(values: pd.Series) -> pd.Series:
    """:func:`normalise_name` over a column of cells (flowsheet variables)."""
    return _normalise_each(values, normalise_name)


def normalise_units(values: pd.Series) -> pd.Series:
    """:func:`normalise_unit` over a column of cells (a flowsheet's units)."""
    return _normalise_each(values, normalise_unit)
