"""Oxygen requirement and ventilator support (spec grading.md §3.3 and §3 `ventilation`).

Lee et al. 2014 Table 2: "oxygen requirement < 40%" is grade 2, "≥ 40%" grade 3, and
"requirement for ventilator support" grade 4. Records rarely state FiO2 outside the ICU,
so the spec fixes an order of precedence to find the FiO2 in effect **[decision]**:
documented FiO2; else 21 + 4 × flow on nasal cannula (or no device); else a
non-rebreather is ≥ 40%; else any other low-flow device is supplemental oxygen < 40%;
else room air.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Device words, matched loosely on lower-cased text with punctuation as spaces. Order
#: matters: the first matching device wins, so "high flow nasal cannula" is HFNC, not a
#: nasal cannula, and "non-invasive ventilation" is NIV, not a ventilator.
DEVICE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("hfnc", r"\bhfnc\b|\bhfno\b|\bhigh ?flow\b|\boptiflow\b|\bairvo\b"),
    ("non_rebreather", r"\bnrb\b|\bnrm\b|\bnon ?re ?breath|\breservoir mask\b"),
    ("venturi", r"\bventuri\b|\bventi ?mask\b"),
    ("bipap", r"\bbi ?pap\b|\bbi ?level\b"),
    ("cpap", r"\bcpap\b"),
    ("niv", r"\bniv\b|\bnippv\b|\bnon ?invasive\b"),
    ("ventilator", r"\bventilat|\bvent\b|\bmv\b|\bimv\b|\bett\b|\bintubat"),
    ("nasal_cannula", r"\bnc\b|\bnasal\b|\bcannula\b|\bprongs\b"),
    ("face_mask", r"\bface ?mask\b|\bsimple mask\b|\bfm\b|\bmask\b"),
    ("room_air", r"\bra\b|\broom ?air\b|\bnone\b|\bno (?:o2|oxygen)\b|\bambient\b"),
)
#: A recorded device word that matches none of the above.
UNRECOGNISED = "other"
#: Devices that are ventilator support (spec §3, `ventilation`, **[decision]**).
VENTILATOR_SUPPORT: frozenset[str] = frozenset({"cpap", "bipap", "niv", "ventilator"})
#: Rule 4 devices: supplemental oxygen of unknown FiO2, taken as < 40% (spec §3.3).
LOW_FLOW_DEVICES: frozenset[str] = frozenset({"nasal_cannula", "face_mask", "venturi", "hfnc"})
#: Rule 2 (spec §3.3): FiO2 ≈ 21 + 4 × flow (L/min) on nasal cannula; 100% at most.
ROOM_AIR_FIO2 = 21.0
FIO2_PER_LITRE = 4.0
#: Table 2 threshold: oxygen requirement ≥ 40% is grade 3.
FIO2_GRADE3 = 40.0

#: Shown in explanations.
DEVICE_LABELS: dict[str, str] = {
    "hfnc": "high-flow nasal cannula",
    "non_rebreather": "non-rebreather mask",
    "venturi": "Venturi mask",
    "bipap": "BiPAP",
    "cpap": "CPAP",
    "niv": "non-invasive ventilation",
    "ventilator": "mechanical ventilation",
    "nasal_cannula": "nasal cannula",
    "face_mask": "face mask",
    "room_air": "room air",
    UNRECOGNISED: "unrecognised device",
}


#: Device names by code: the order of DEVICE_PATTERNS, then the unrecognised word, then
#: "" for no device (code -1 and NaN both map to it).
DEVICES: tuple[str, ...] = (*(name for name, _ in DEVICE_PATTERNS), UNRECOGNISED)
#: Oxygen bases (architecture §2 ``oxygen_basis``) by code; code 5 is "" (none applies).
BASES: tuple[str, ...] = ("fio2", "flow", "non_rebreather", "device", "room_air", "")


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
    after the FiO2 or flow in effect means oxygen was stopped **[decision]**.
    """
    no_device = np.isnan(device)
    room_air = _is(device, "room_air")
    weaned_fio2 = room_air & (device_source > fio2_source)
    weaned_flow = room_air & (device_source > flow_source)
    has_fio2 = ~np.isnan(fio2) & ~weaned_fio2
    on_cannula = no_device | _is(device, "nasal_cannula")
    has_flow = ~np.isnan(flow) & on_cannula & ~weaned_flow
    conditions = [
        has_fio2,
        has_flow,
        _is(device, "non_rebreather"),
        _is(device, *LOW_FLOW_DEVICES),
        room_air,
    ]
    basis = np.select(conditions, range(5), len(BASES) - 1).astype(np.int64, copy=False)
    estimated = np.minimum(ROOM_AIR_FIO2 + FIO2_PER_LITRE * flow, 100.0)
    fio2_used = np.select(conditions[:2], [fio2, estimated], np.nan)
    with np.errstate(invalid="ignore"):
        grade = np.select(
            [
                fio2_used >= FIO2_GRADE3,
                fio2_used > ROOM_AIR_FIO2,
                basis == BASES.index("non_rebreather"),
                basis == BASES.index("device"),
            ],
            [3, 2, 3, 2],
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
