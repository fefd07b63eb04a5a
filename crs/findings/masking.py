"""Masked fever (astct.md §2.1 (b)): ASTCT's fever requirement after tocilizumab or
corticosteroids.

ASTCT 2019 (Lee, Santomasso et al.) requires fever for CRS grades 1-4, but "in patients
who have CRS then receive antipyretic or anticytokine therapy such as tocilizumab or
steroids, fever is no longer required to grade subsequent CRS severity". The contract
reads this as: at a row, fever is masked when a masking agent was given at an instant
*d* at or before the row and a fever (a recorded ``temp_c`` ≥ 38.0, not a carried one)
was documented at *f* with infusion ≤ *f* ≤ *d*. Masking has no end within the file;
a clinician ends it by attributing ``fever`` (astct.md §4).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from crs.findings.carry import Timeline

#: astct.md §2.1 masking agents [decision]: any dose > 0 of these; antipyretics do not mask.
MASKING_DOSES: dict[str, str] = {
    "tocilizumab_mg": "tocilizumab",
    "methylprednisolone_mg": "methylprednisolone",
    "dexamethasone_mg": "dexamethasone",
}
#: ``other_immunosuppressant`` masks when it holds any text but these (trimmed, lower case).
NO_IMMUNOSUPPRESSANT: frozenset[str] = frozenset({"none", "no", "0", "n/a", "nil"})
#: A documented fever (astct.md §2.1 (a) and grading.md §3 [decision]).
FEVER_C = 38.0
#: Day 0 on a day axis (crs.timeaxis: instant = 1970-01-01 + day × 24 h).
DAY_ZERO = np.datetime64("1970-01-01T00:00:00", "us")


def _float(frame: pd.DataFrame, name: str) -> np.ndarray:
    return frame[name].to_numpy(dtype="float64", na_value=np.nan)


def masking_agent(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the masking agent given there: (code, names), ``names[code]`` its name
    and code 0 ("") none.

    With two agents at one instant the first of tocilizumab, methylprednisolone,
    dexamethasone, then the other immunosuppressant's own words, is named.
    """
    # Each distinct text of the other immunosuppressant judged once (mostly missing).
    codes, distinct = sparse_factorize(rows["other_immunosuppressant"])
    named = [str(t).strip() for t in distinct]
    table = [t if t and t.lower() not in NO_IMMUNOSUPPRESSANT else "" for t in named]
    names = np.array(["", *MASKING_DOSES.values(), *table], dtype=object)
    first_other = 1 + len(MASKING_DOSES)
    masks = np.array([0, *(first_other + i if t else 0 for i, t in enumerate(table))])
    agent = masks[codes + 1]
    for number, column in reversed(list(enumerate(MASKING_DOSES, start=1))):
        with np.errstate(invalid="ignore"):
            given = _float(rows, column) > 0
        agent[given] = number
    return agent, names


def sparse_factorize(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """A text column as (code per row, -1 where missing; its distinct texts), reading
    only the documented cells (a ward's free-text columns are mostly empty)."""
    values = column.array
    arrow = getattr(values, "_pa_array", None)
    if arrow is None:
        codes, distinct = pd.factorize(column, use_na_sentinel=True)
        return codes.astype(np.int64), [str(t) for t in distinct]
    arrow = arrow.combine_chunks() if isinstance(arrow, pa.ChunkedArray) else arrow
    codes = np.full(len(arrow), -1, dtype=np.int64)
    documented = np.flatnonzero(arrow.is_valid().to_numpy(zero_copy_only=False))
    if not len(documented):
        return codes, []
    encoded = arrow.take(pa.array(documented)).dictionary_encode()
    codes[documented] = encoded.indices.to_numpy(zero_copy_only=False)
    return codes, [str(t) for t in encoded.dictionary.to_pylist()]


def _last_within_patient(hit: np.ndarray, timeline: Timeline) -> np.ndarray:
    """Per row, the position of the patient's last ``hit`` row at or before it (-1: none)."""
    if not timeline.n:
        return np.zeros(0, dtype=np.int64)
    last = np.maximum.accumulate(np.where(hit, timeline.positions, -1))
    return np.where(last >= timeline.start, last, -1)


def masked_fever(
    rows: pd.DataFrame,
    timeline: Timeline,
    fever_attributed: np.ndarray,
    agent: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """astct.md §2.1 (b) at every row (rows sorted as ``timeline``).

    ``fever_attributed``: rows covered by an attribution of ``fever`` (astct.md §4): a
    fever documented there never counts as the fever *f*, and the requirement is not met
    there at all (that last part is the caller's). ``agent``: :func:`masking_agent` of
    ``rows`` when the caller has it already.

    Returns ``masked`` (bool), ``dose_row`` (the row of the latest masking dose that
    masks, -1: none) and ``fever_row`` (the latest countable fever at or before that
    dose, -1: none), ``agent`` (the code of the agent given on each row, 0: none) and
    ``agent_names`` (the agents' names by code).
    """
    with np.errstate(invalid="ignore"):
        documented_fever = _float(rows, "temp_c") >= FEVER_C
    infusion = rows["infusion_time"].to_numpy(dtype="datetime64[us]").copy()
    # On a day axis (no clock time) the infusion is day 0, the axis's origin [decision].
    day_axis = np.isnat(rows["time"].to_numpy(dtype="datetime64[us]"))
    infusion[np.isnat(infusion) & day_axis] = DAY_ZERO
    after_infusion = np.isnat(infusion) | (timeline.t >= infusion.view("int64"))
    countable = documented_fever & ~fever_attributed & after_infusion
    agent, names = masking_agent(rows) if agent is None else agent
    latest_fever = _last_within_patient(countable, timeline)
    # A dose at the fever's own instant counts (f ≤ d): one row after merging.
    masking_dose = (agent > 0) & (latest_fever >= 0)
    dose_row = _last_within_patient(masking_dose, timeline)
    fever_row = np.where(dose_row >= 0, latest_fever[np.maximum(dose_row, 0)], -1)
    return {
        "masked": dose_row >= 0,
        "dose_row": dose_row,
        "fever_row": fever_row,
        "agent": agent,
        "agent_names": names,
    }
