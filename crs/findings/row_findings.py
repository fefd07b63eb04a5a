"""The findings of every row, computed once and read by every grading scale.

``findings(frame)`` sorts a canonical frame by (patient, instant) once (grading.md §2)
and computes, as whole columns, what the record shows in effect at each row: the
temperature, blood pressure and hypotension (grading.md §3.1), the vasopressors running
with their doses and the high-dose state (§3.2, Lee 2014 Table 3), the oxygen device,
flow and FiO2 (§3.3), the organ grades and the entered neurotoxicity grade (§3.4),
constitutional symptoms, death, the masking treatment given (astct.md §2.1) and the
ICANS findings (astct.md §1: ICE/CAPD, consciousness, seizure, motor, oedema). Where an
explanation cites a value, the row it was charted on comes with it (``*_source``: a row
position into ``rows``, -1 when none is in effect).

Every value is computed by the physiology modules beside this one; this module only
calls each of them once, in order, and hands the results over as one object. The scales
(crs.scales.lee, crs.scales.astct, crs.scales.icans) read it and add no physiology.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crs.findings.carry import WINDOWS, Timeline, carry_forward, carry_values
from crs.findings.hypotension import hypotension, mean_arterial_pressure
from crs.findings.icans_findings import neurologic_findings, word_findings
from crs.findings.masking import FEVER_C, masking_agent
from crs.findings.organ import organ_toxicity
from crs.findings.oxygen import device_codes, oxygen
from crs.findings.symptoms import constitutional_symptoms
from crs.findings.vasopressors import vasopressor_state
from crs.read.columns import CANONICAL, DTYPES, empty_column

__all__ = ["FEVER_C", "Findings", "complete", "findings", "sort_order"]


@dataclass(frozen=True)
class Findings:
    """The findings in effect at each row of ``rows`` (see the module docstring and
    docs/architecture.md "The Findings contract"). Arrays are aligned with ``rows``."""

    rows: pd.DataFrame  # the complete canonical rows, sorted by (patient, instant)
    timeline: Timeline
    codes: np.ndarray  # patient code of each row
    temp: np.ndarray  # °C in effect (6 h), NaN: none
    fever: np.ndarray  # temp ≥ FEVER_C (38.0 °C: grading.md §3, astct.md §2.1 (a))
    symptoms: np.ndarray  # constitutional symptoms on the row (bool)
    sbp: np.ndarray
    sbp_source: np.ndarray
    dbp: np.ndarray
    dbp_source: np.ndarray
    map_documented: np.ndarray
    map_source: np.ndarray
    map_used: np.ndarray  # the newer of the documented and the computed MAP
    map_computed: np.ndarray  # bool: map_used is computed from SBP and DBP
    low_bp: dict  # crs.findings.hypotension.hypotension: met, sbp_low, map_low, …
    pressors: dict  # crs.findings.vasopressors.vasopressor_state
    fio2: np.ndarray
    fio2_source: np.ndarray
    flow: np.ndarray
    flow_source: np.ndarray
    device: np.ndarray  # crs.findings.oxygen device code in effect, NaN: none
    device_source: np.ndarray
    oxygen: dict  # crs.findings.oxygen.oxygen: Lee's oxygen/ventilation grades, basis …
    organs: dict  # crs.findings.organ.organ_toxicity: organ_<name>, neurotox_used, …
    ice: np.ndarray  # ICE score in effect for Lee's timeline (24 h)
    deceased: np.ndarray  # bool
    masking_agent: tuple[np.ndarray, np.ndarray]  # (code per row, names by code)
    words: dict  # per ICANS word column: (code per row, distinct texts, grade per row)
    neuro: dict  # crs.findings.icans_findings.neurologic_findings


def complete(frame: pd.DataFrame) -> pd.DataFrame:
    """Add any canonical column a caller left out, all missing (architecture §1.1)."""
    missing = [c for c in CANONICAL if c not in frame.columns]
    if not missing:
        return frame
    extra = {}
    for name in missing:
        column = empty_column(name, len(frame))
        column.index = frame.index
        extra[name] = column.astype(DTYPES[name]) if name != "line" else column
    return pd.concat([frame, pd.DataFrame(extra, index=frame.index)], axis=1)


def sort_order(codes: np.ndarray, instant: np.ndarray) -> np.ndarray | None:
    """Row order by (patient code, instant), stable; ``None`` when already in that order.

    Readers hand over sorted frames, so a linear check usually replaces the sort.
    """
    if len(codes) < 2:
        return None
    same, later = codes[1:] == codes[:-1], codes[1:] > codes[:-1]
    if (later | (same & (instant[1:] >= instant[:-1]))).all():
        return None
    return np.lexsort((instant, codes))


def _float(frame: pd.DataFrame, name: str) -> np.ndarray:
    return frame[name].to_numpy(dtype="float64", na_value=np.nan)


def _sorted_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, Timeline]:
    """The complete frame sorted by (patient first appearance, instant), its codes and
    timeline (grading.md §2)."""
    frame = complete(frame)
    codes, _ = pd.factorize(frame["patient_id"].astype("str"), use_na_sentinel=False)
    instant = frame["instant"].to_numpy(dtype="datetime64[us]")
    order = sort_order(codes, instant.view("int64"))
    if order is None:
        rows = frame.reset_index(drop=True)
    else:
        rows = frame.take(order).reset_index(drop=True)
        codes = codes[order]
    return rows, codes, Timeline(codes, rows["instant"].to_numpy(dtype="datetime64[us]"))


def _blood_pressure(rows: pd.DataFrame, timeline: Timeline) -> dict[str, object]:
    """grading.md §3.1: the pressures in effect, the MAP used (the newest of the
    documented and the computed, version 2) and hypotension by its rules."""
    sbp, sbp_source = carry_forward(_float(rows, "sbp_mmhg"), timeline, WINDOWS["sbp_mmhg"])
    dbp, dbp_source = carry_forward(_float(rows, "dbp_mmhg"), timeline, WINDOWS["dbp_mmhg"])
    map_documented, map_source = carry_forward(
        _float(rows, "map_mmhg"), timeline, WINDOWS["map_mmhg"]
    )
    charted_at = timeline.t  # a source of -1 reads some instant, unused: its value is NaN
    map_used, map_computed = mean_arterial_pressure(
        map_documented,
        sbp,
        dbp,
        charted_at[map_source],
        charted_at[sbp_source],
        charted_at[dbp_source],
    )
    low_bp = hypotension(
        sbp, map_used, _float(rows, "age_years"), _float(rows, "baseline_sbp_mmhg")
    )
    return {
        "sbp": sbp,
        "sbp_source": sbp_source,
        "dbp": dbp,
        "dbp_source": dbp_source,
        "map_documented": map_documented,
        "map_source": map_source,
        "map_used": map_used,
        "map_computed": map_computed,
        "low_bp": low_bp,
    }


def _oxygen(rows: pd.DataFrame, timeline: Timeline) -> dict[str, object]:
    """grading.md §3.3: FiO2, flow, device and ventilation in effect, and Lee's reading."""
    fio2, fio2_source = carry_forward(_float(rows, "fio2"), timeline, WINDOWS["fio2"])
    flow, flow_source = carry_forward(
        _float(rows, "o2_flow_l_min"), timeline, WINDOWS["o2_flow_l_min"]
    )
    device, device_source = carry_forward(
        device_codes(rows["o2_device"]), timeline, WINDOWS["o2_device"]
    )
    ventilated = carry_values(_float(rows, "ventilated"), timeline, WINDOWS["ventilated"])
    oxy = oxygen(fio2, flow, device, ventilated, fio2_source, flow_source, device_source)
    return {
        "fio2": fio2,
        "fio2_source": fio2_source,
        "flow": flow,
        "flow_source": flow_source,
        "device": device,
        "device_source": device_source,
        "oxygen": oxy,
    }


def findings(frame: pd.DataFrame) -> Findings:
    """The findings of every row of a canonical frame (not modified), sorted by patient
    (first appearance) then instant; each physiology function runs once."""
    rows, codes, timeline = _sorted_rows(frame)
    temp = carry_values(_float(rows, "temp_c"), timeline, WINDOWS["temp_c"])
    with np.errstate(invalid="ignore"):
        fever = temp >= FEVER_C
    words = word_findings(rows)
    return Findings(
        rows=rows,
        timeline=timeline,
        codes=codes,
        temp=temp,
        fever=fever,
        symptoms=constitutional_symptoms(rows["symptoms"]),
        **_blood_pressure(rows, timeline),
        pressors=vasopressor_state(rows, timeline, codes),
        **_oxygen(rows, timeline),
        organs=organ_toxicity(rows, timeline),
        ice=carry_values(_float(rows, "ice_score"), timeline, WINDOWS["ice_score"]),
        deceased=_float(rows, "deceased") == 1.0,
        masking_agent=masking_agent(rows),
        words=words,
        neuro=neurologic_findings(rows, timeline, {c: w[2] for c, w in words.items()}),
    )
