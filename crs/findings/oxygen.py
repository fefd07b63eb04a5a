"""Oxygen requirement and ventilator support (spec grading.md §3.3 and §3 `ventilation`).

Lee et al. 2014 Table 2: "oxygen requirement < 40%" is grade 2, "≥ 40%" grade 3, and
"requirement for ventilator support" grade 4; the text adds that patients who "require
more than low flow oxygen" are grade 3. Records rarely state FiO2 outside the ICU, so
the spec (version 2) fixes an order of precedence **[decision]**:

1. documented FiO2: grade 2 when 21 < FiO2 < 40, grade 3 when FiO2 ≥ 40;
2. else a flow on nasal cannula (or with no device): ≤ 6 L/min is low-flow oxygen,
   grade 2 (the estimate 21 + 4 × flow is shown, not graded); > 6 L/min is high flow,
   grade 3; a flow of 0 is no oxygen;
3. else high-flow nasal cannula, face mask, non-rebreather or Venturi without FiO2:
   "more than low flow oxygen", grade 3;
4. else nasal cannula without a flow, or blow-by (astct.md §1.4): low-flow, grade 2;
5. else room air or nothing: no supplemental oxygen.

A room-air entry charted later than the FiO2 or the flow in effect stops them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Device words, matched loosely on lower-cased text with punctuation as spaces. Order
#: matters: the first matching device wins, so "high flow nasal cannula" is HFNC, not a
#: nasal cannula, and "non-invasive ventilation" is NIV, not a ventilator. Blow-by
#: (``blow-by``, ``blow by``, ``blowby``) is the device word of astct.md §1.4. Words of
#: real exports (issue #12), from MIMIC-IV's "O2 Delivery Device(s)" values as its
#: ventilation concept reads them: "Endotracheal tube" is invasive ventilation; "Bipap
#: mask", "CPAP mask" positive pressure; "High flow nasal cannula", "High flow neb" high
#: flow; "Face tent", "Aerosol-cool", "Medium conc mask" masks; "Oxymizer" a (reservoir)
#: nasal cannula; "None" room air. [reader decision] "Tracheostomy tube", "Trach mask",
#: "trach collar" and "T-piece" do not say how much oxygen or whether a ventilator is
#: connected: left unrecognised, so oxygen is unknown there unless FiO2 or ventilation is
#: charted (MIMIC-IV's own concept also sets tracheostomy apart).
DEVICE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("hfnc", r"\bhfnc\b|\bhfno\b|\bhigh ?flow\b|\boptiflow\b|\bairvo\b|\bvapotherm\b"),
    ("non_rebreather", r"\bnrb\b|\bnrm\b|\bnon ?re ?breath|\breservoir mask\b"),
    ("venturi", r"\bventuri\b|\bventi ?mask\b"),
    ("bipap", r"\bbi ?pap\b|\bbi ?level\b"),
    ("cpap", r"\bcpap\b"),
    ("niv", r"\bniv\b|\bnippv\b|\bnon ?invasive\b"),
    (
        "ventilator",
        r"\bventilat|\bvent\b|\bmv\b|\bimv\b|\bett\b|\bintubat|\bendotracheal\b",
    ),
    ("blow_by", r"\bblow ?by\b"),
    ("nasal_cannula", r"\bnc\b|\bnasal\b|\bcannula\b|\bprongs\b|\boxymizer\b"),
    (
        "face_mask",
        r"\bface ?mask\b|\bsimple mask\b|\bfm\b|(?<!trach )(?<!tracheostomy )\bmask\b"
        r"|\bface tent\b|\baerosol\b|\boxymask\b",
    ),
    ("room_air", r"\bra\b|\broom ?air\b|\bnone\b|\bno (?:o2|oxygen)\b|\bambient\b"),
)
#: A recorded device word that matches none of the above.
UNRECOGNISED = "other"
#: Devices that are ventilator support (spec §3, `ventilation`, **[decision]**).
VENTILATOR_SUPPORT: frozenset[str] = frozenset({"cpap", "bipap", "niv", "ventilator"})
#: Rule 2 (spec §3.3): a flow is read on a nasal cannula, or when no device is charted.
FLOW_DEVICES: frozenset[str] = frozenset({"nasal_cannula"})
#: Rule 3: without a documented FiO2, "more than low flow oxygen" (the paper's text): 3.
MORE_THAN_LOW_FLOW_DEVICES: frozenset[str] = frozenset(
    {"hfnc", "face_mask", "non_rebreather", "venturi"}
)
#: Rule 4: a nasal cannula without a flow, or blow-by: low-flow oxygen, grade 2.
LOW_FLOW_DEVICES: frozenset[str] = frozenset({"nasal_cannula", "blow_by"})
#: Rule 2: up to and including 6 L/min is low-flow oxygen (grade 2), above it high flow.
LOW_FLOW_MAX_L_MIN = 6.0
#: Rule 2: the FiO2 estimate shown next to a flow, 21 + 4 × flow (L/min), 100% at most.
ROOM_AIR_FIO2 = 21.0
FIO2_PER_LITRE = 4.0
#: Table 2 threshold: oxygen requirement ≥ 40% is grade 3.
FIO2_GRADE3 = 40.0
#: Table 2: oxygen < 40% (or low-flow) is grade 2, ≥ 40% (or more than low flow) grade 3.
LOW_FLOW_GRADE = 2
MORE_THAN_LOW_FLOW_GRADE = 3

#: Shown in explanations.
DEVICE_LABELS: dict[str, str] = {
    "hfnc": "high-flow nasal cannula",
    "non_rebreather": "non-rebreather mask",
    "venturi": "Venturi mask",
    "bipap": "BiPAP",
    "cpap": "CPAP",
    "niv": "non-invasive ventilation",
    "ventilator": "mechanical ventilation",
    "blow_by": "blow-by oxygen",
    "nasal_cannula": "nasal cannula",
    "face_mask": "face mask",
    "room_air": "room air",
    UNRECOGNISED: "unrecognised device",
}


#: Device names by code: the order of DEVICE_PATTERNS, then the unrecognised word, then
#: "" for no device (code -1 and NaN both map to it).
DEVICES: tuple[str, ...] = (*(name for name, _ in DEVICE_PATTERNS), UNRECOGNISED)
#: Oxygen bases (architecture §2 ``oxygen_basis``) by code, one per rule of spec §3.3;
#: the last, "", is none (no oxygen documented, or ventilator support alone).
BASES: tuple[str, ...] = (
    "fio2",
    "flow",
    "device_more_than_low_flow",
    "device_low_flow",
    "room_air",
    "",
)
#: How each basis is said in plain words (the timeline's hover).
BASIS_LABELS: dict[str, str] = {
    "fio2": "documented FiO2",
    "flow": "estimated from the oxygen flow as 21 + 4 × L/min; the flow grades, not this",
    "device_more_than_low_flow": "device without documented FiO2: more than low-flow oxygen",
    "device_low_flow": "device without documented flow: low-flow oxygen",
    "room_air": "room air",
    "": "nothing documented",
}


def device_codes(devices: pd.Series | np.ndarray) -> np.ndarray:
    """Device words → codes into ``DEVICES`` (float64, NaN where no device is recorded).

    Classified once per distinct recorded word, then mapped back to the rows. Float, so
    the codes carry forward like any other value.
    """
    if isinstance(devices, pd.Series) and devices.dtype == "str":
        # The canonical column: factorized as is (no conversion of every row to object).
        codes, uniques = pd.factorize(devices)
    else:
        codes, uniques = pd.factorize(pd.Series(devices, dtype="object"))
    text = (
        pd.Series(uniques, dtype="str")
        .str.lower()
        .str.replace(r"[^a-z0-9]+", " ", regex=True)
        .str.strip()
    )
    named = np.full(len(text), float(len(DEVICE_PATTERNS)))  # unrecognised by default
    found = np.zeros(len(text), dtype=bool)
    for code, (_, pattern) in enumerate(DEVICE_PATTERNS):
        hit = text.str.contains(pattern, regex=True).to_numpy(dtype=bool) & ~found
        named[hit] = code
        found |= hit
    lookup = np.append(named, np.nan)  # factorize code -1 (missing) → NaN
    return lookup[codes]


def device_names(codes: np.ndarray) -> np.ndarray:
    """Codes of ``device_codes`` → device names (object array, "" where none)."""
    table = np.array([*DEVICES, ""], dtype=object)
    return table[np.where(np.isnan(codes), len(DEVICES), codes).astype(np.int64, copy=False)]


def normalise_device(devices: pd.Series | np.ndarray) -> np.ndarray:
    """Device words → canonical device names (object array, "" where none recorded)."""
    return device_names(device_codes(devices))


def _is(code: np.ndarray, *names: str) -> np.ndarray:
    return np.isin(code, [DEVICES.index(name) for name in names])


def oxygen(
    fio2: np.ndarray,
    flow: np.ndarray,
    device: np.ndarray,
    ventilated: np.ndarray,
    fio2_source: np.ndarray,
    flow_source: np.ndarray,
    device_source: np.ndarray,
) -> dict[str, np.ndarray]:
    """Spec §3.3 precedence on carried values (``device``: carried ``device_codes``).

    ``*_source`` are the rows the carried values came from: a room-air entry recorded
    after the FiO2 or flow in effect means oxygen was stopped (spec §3.3, version 2).
    """
    no_device = np.isnan(device)
    room_air = _is(device, "room_air")
    weaned_fio2 = room_air & (device_source > fio2_source)
    weaned_flow = room_air & (device_source > flow_source)
    has_fio2 = ~np.isnan(fio2) & ~weaned_fio2
    on_cannula = no_device | _is(device, *FLOW_DEVICES)
    has_flow = ~np.isnan(flow) & on_cannula & ~weaned_flow
    conditions = [
        has_fio2,
        has_flow,
        _is(device, *MORE_THAN_LOW_FLOW_DEVICES),
        _is(device, *LOW_FLOW_DEVICES),
        room_air,
    ]
    basis = np.select(conditions, range(5), len(BASES) - 1).astype(np.int64, copy=False)
    # Rule 2 shows the estimate 21 + 4 × flow (capped at 100%); it does not grade.
    estimated = np.minimum(ROOM_AIR_FIO2 + FIO2_PER_LITRE * flow, 100.0)
    fio2_used = np.select(conditions[:2], [fio2, estimated], np.nan)
    by = {name: basis == BASES.index(name) for name in BASES[:4]}
    with np.errstate(invalid="ignore"):
        grade = np.select(
            [
                by["fio2"] & (fio2 >= FIO2_GRADE3),
                by["fio2"] & (fio2 > ROOM_AIR_FIO2),
                by["flow"] & (flow > LOW_FLOW_MAX_L_MIN),
                by["flow"] & (flow > 0),
                by["device_more_than_low_flow"],
                by["device_low_flow"],
            ],
            [MORE_THAN_LOW_FLOW_GRADE, LOW_FLOW_GRADE] * 3,
            0,
        )
    ventilated_used = ventilated == 1.0
    support = ventilated_used | _is(device, *VENTILATOR_SUPPORT)
    # Unknown when nothing about oxygen is in its window, or only a device word we cannot
    # read and no FiO2: the grade is then a lower bound.
    nothing = np.isnan(fio2) & np.isnan(flow) & no_device & np.isnan(ventilated)
    unreadable = _is(device, UNRECOGNISED) & ~has_fio2 & ~support
    device_code = np.where(no_device, len(DEVICES), device).astype(np.int64, copy=False)
    return {
        "fio2_used": fio2_used,
        "oxygen_basis": (basis, np.array(BASES, dtype=object)),
        "o2_device_used": (device_code, np.array([*DEVICES, ""], dtype=object)),
        "ventilated_used": ventilated_used,
        "grade_oxygen": grade.astype(np.int64, copy=False),
        "grade_ventilation": np.where(support, 4, 0).astype(np.int64, copy=False),
        "unknown": nothing | unreadable,
    }
