"""Column-name matching (spec grading.md §1).

Names are matched after lower-casing and collapsing runs of spaces, dashes, dots,
slashes and brackets to one ``_``, trimmed at both ends, so ``CRP (mg/dL)`` is
``crp_mg_dl``. The same rule normalises a flowsheet's ``variable`` and ``unit`` cells.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: Spaces, dashes, dots, slashes and brackets (spec §1); underscores join the run so that
#: ``temp _c`` and ``temp__c`` read alike.
_SEPARATORS = re.compile(r"[\s\-./\\()\[\]{}_]+")


def normalise_name(name: object) -> str:
    """``CRP (mg/dL)`` → ``crp_mg_dl``; ``µ``/``μ`` read as ``u`` (``µmol/L`` → ``umol_l``)."""
    text = str(name).replace("\ufeff", "").strip().lower().replace("µ", "u").replace("μ", "u")
    return _SEPARATORS.sub("_", text).strip("_")


def normalise_names(values: pd.Series) -> pd.Series:
    """:func:`normalise_name` over a column of cells (flowsheet variables, units).

    A flowsheet repeats a few dozen names over millions of rows: each distinct name is
    normalised once and the result spread back by its code.
    """
    codes, uniques = pd.factorize(values)
    names = np.array([normalise_name(u) for u in uniques] + [None], dtype=object)
    out = pd.Series(names[codes], index=values.index, dtype="str")
    return out.where(values.notna())
