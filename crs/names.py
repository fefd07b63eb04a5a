"""Column-name matching (spec grading.md §1).

Names are matched after lower-casing and collapsing runs of spaces, dashes, dots,
slashes and brackets to one ``_``, trimmed at both ends, so ``CRP (mg/dL)`` is
``crp_mg_dl``. The same rule normalises a flowsheet's ``variable`` and ``unit`` cells.
"""

from __future__ import annotations

import re

import pandas as pd

#: Spaces, dashes, dots, slashes and brackets (spec §1); underscores join the run so that
#: ``temp _c`` and ``temp__c`` read alike.
_SEPARATORS = re.compile(r"[\s\-./\\()\[\]{}_]+")
_SEPARATORS_PATTERN = r"[\s\-./\\()\[\]{}_]+"


def normalise_name(name: object) -> str:
    """``CRP (mg/dL)`` → ``crp_mg_dl``; ``µ``/``μ`` read as ``u`` (``µmol/L`` → ``umol_l``)."""
    text = str(name).replace("\ufeff", "").strip().lower().replace("µ", "u").replace("μ", "u")
    return _SEPARATORS.sub("_", text).strip("_")


def normalise_names(values: pd.Series) -> pd.Series:
    """:func:`normalise_name` over a column of cells, vectorised (flowsheet variables, units)."""
    text = values.astype("str").str.strip().str.lower()
    text = text.str.replace("µ", "u", regex=False).str.replace("μ", "u", regex=False)
    text = text.str.replace(_SEPARATORS_PATTERN, "_", regex=True).str.strip("_")
    return text.where(values.notna())
