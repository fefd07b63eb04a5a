"""The ASTCT 2019 CRS grade (astct.md §2), beside Lee 2014 over the same findings.

Lee DW, Santomasso BD, Locke FL et al., Biol Blood Marrow Transplant 2019;25:625-638,
the CRS table: fever is required for grades 1-4 (or masked fever after tocilizumab or
steroids, astct.md §2.1); hypotension without vasopressor is 2; oxygen by low-flow nasal
cannula (≤ 6 L/min) or blow-by is 2; one vasopressor (with or without vasopressin) is 3;
high-flow oxygen (> 6 L/min nasal cannula, face mask, non-rebreather, Venturi) is 3;
multiple vasopressors (excluding vasopressin) is 4; positive pressure is 4. Organ
toxicity never grades CRS here. Death is 5 (astct.md §2.5).

The findings are those every scale reads (crs.findings.row_findings, computed once):
hypotension (crs.findings.hypotension), running vasopressors (crs.findings.vasopressors),
the oxygen values and device classes in effect (crs.findings.oxygen), the temperature;
with the attributions. This module only applies the
consensus table to them, as data.
"""

from __future__ import annotations

import numpy as np

from crs.findings.oxygen import (
    DEVICES,
    FIO2_GRADE3,
    LOW_FLOW_MAX_L_MIN,
    MORE_THAN_LOW_FLOW_DEVICES,
    ROOM_AIR_FIO2,
    VENTILATOR_SUPPORT,
)
from crs.findings.row_findings import FEVER_C  # noqa: F401  (astct.md §2.1 (a): 38.0 °C)
from crs.findings.vasopressors import AGENTS

#: astct.md §2.2: each criterion and its grade (the consensus CRS table).
CRITERION_GRADE: dict[str, int] = {
    "fever": 1,
    "hypotension": 2,
    "low_flow_oxygen": 2,
    "one_vasopressor": 3,
    "high_flow_oxygen": 3,
    "two_vasopressors": 4,
    "ventilation": 4,
    "death": 5,
}
#: astct.md §2.6 driver codes, sorted as written in ``astct_drivers``.
CRITERIA: tuple[str, ...] = (
    "death",
    "fever",
    "hypotension",
    "oxygen",
    "vasopressor",
    "ventilation",
)
DRIVER_CODES: tuple[str, ...] = tuple(sorted((*CRITERIA, "masked_fever")))
#: astct.md §2.4: agents other than vasopressin count toward "multiple vasopressors".
VASOPRESSIN_BIT = 1 << [a.name for a in AGENTS].index("vasopressin")

#: astct.md §2.3, the device in effect → oxygen class (None: decided by FiO2 and flow).
#: Classes: "none", "low" (2), "high" (3), "cannula" (by flow), "blow_by" (2), "room_air".
DEVICE_CLASS: dict[str, str] = {
    **{d: "none" for d in VENTILATOR_SUPPORT},  # positive pressure: `ventilation`
    **{d: "high" for d in MORE_THAN_LOW_FLOW_DEVICES},
    "nasal_cannula": "cannula",
    "blow_by": "low",
    "room_air": "room_air",
}
#: Oxygen "basis" codes of the ASTCT oxygen criterion, for explanations.
OXYGEN_BASES: tuple[str, ...] = ("", "device", "cannula_flow", "fio2", "flow")


#: Device classes by code (crs.findings.oxygen ``DEVICES``, then -1: none in effect):
#: 0 decided elsewhere (positive pressure), 1 high, 2 low, 3 cannula, 4 room air, 5 by
#: FiO2 and flow (no device, or a word the table does not know).
_CLASS_CODES: dict[str, int] = {"none": 0, "high": 1, "low": 2, "cannula": 3, "room_air": 4}
_DEVICE_CLASS_CODE = np.array(
    [_CLASS_CODES[DEVICE_CLASS[d]] if d in DEVICE_CLASS else 5 for d in DEVICES] + [5],
    dtype=np.uint8,
)


def _oxygen_rule(
    cls: np.ndarray, fio2_band: np.ndarray, flow_state: np.ndarray, fio2_after: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """astct.md §2.3 as (grade, basis): ``cls`` the device class (above); ``fio2_band`` 0
    (≤ 21 % or none), 1 (above room air), 2 (≥ 40 %); ``flow_state`` 0 (0 L/min), 1
    (none, or below 0), 2 (up to 6 L/min), 3 (above); ``fio2_after``: the FiO2 was
    charted at or after the device."""
    fio2_grade = np.array([0, 2, 3])[fio2_band]
    flow_grade = np.array([0, 0, 2, 3])[flow_state]
    cannula_grade = np.array([0, 2, 2, 3])[flow_state]
    by_device, cannula, free = (cls == 1) | (cls == 2), cls == 3, cls == 5
    after_room_air = (cls == 4) & fio2_after
    grade = np.select(
        [by_device, cannula, free, after_room_air],
        [np.where(cls == 1, 3, 2), cannula_grade, np.maximum(fio2_grade, flow_grade), fio2_grade],
        0,
    )
    basis = np.select(
        [
            by_device,
            cannula,
            free & (fio2_grade >= flow_grade) & (fio2_grade > 0),
            free & (flow_grade > 0),
            after_room_air & (fio2_grade > 0),
        ],
        [1, 2, 3, 4, 3],
        0,
    )
    return grade, basis


def _rule_tables() -> tuple[np.ndarray, np.ndarray]:
    """:func:`_oxygen_rule` over every combination of its four small codes, indexed by
    ``((cls × 3 + fio2_band) × 4 + flow_state) × 2 + fio2_after``."""
    cls, band, flow, after = np.meshgrid(
        np.arange(6), np.arange(3), np.arange(4), np.arange(2), indexing="ij"
    )
    grade, basis = _oxygen_rule(cls.ravel(), band.ravel(), flow.ravel(), after.ravel() == 1)
    return grade.astype(np.int64), basis.astype(np.int64)


_RULE_GRADE, _RULE_BASIS = _rule_tables()


def oxygen_grade(
    fio2: np.ndarray,
    flow: np.ndarray,
    device: np.ndarray,
    fio2_source: np.ndarray,
    device_source: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """astct.md §2.3 on the values in effect: (grade 0/2/3, basis code into OXYGEN_BASES).

    ``device`` holds crs.findings.oxygen device codes (NaN: none in effect). The device in effect
    decides; FiO2 only without a device or a word the table does not know, or after
    room air when charted at or after the room-air entry. Each row is reduced to four
    small codes and the rule (:func:`_oxygen_rule`), applied once to every combination
    of them, is looked up.
    """
    # fmax: NaN (no device) → -1, the table's last entry.
    cls = _DEVICE_CLASS_CODE[np.fmax(device, -1).astype(np.intp)]
    with np.errstate(invalid="ignore"):  # NaN: no value in effect, never above a limit
        band = (fio2 > ROOM_AIR_FIO2).view(np.uint8) + (fio2 >= FIO2_GRADE3).view(np.uint8)
        flow_state = (flow != 0).view(np.uint8) + (flow > 0).view(np.uint8)
        flow_state += (flow > LOW_FLOW_MAX_L_MIN).view(np.uint8)
    after = (fio2_source >= device_source) & (fio2_source >= 0)
    index = cls.astype(np.intp) * 3 + band
    index *= 4
    index += flow_state
    index *= 2
    index += after.view(np.uint8)
    return _RULE_GRADE[index], _RULE_BASIS[index]


def vasopressor_grade(n_running: np.ndarray, running_code: np.ndarray) -> np.ndarray:
    """astct.md §2.4: ≥ 2 agents other than vasopressin → 4; any running agent → 3."""
    vasopressin = (running_code & VASOPRESSIN_BIT) != 0
    others = n_running - vasopressin
    one, two = CRITERION_GRADE["one_vasopressor"], CRITERION_GRADE["two_vasopressors"]
    # Two others are two running: one's grade, raised to two's (arithmetic, not select).
    grade = (n_running >= 1).astype(np.int64) * one
    grade += (others >= 2) * (two - one)
    return grade


def astct_grade(
    *,
    fever_now: np.ndarray,
    masked: np.ndarray,
    hypotension: np.ndarray,
    oxygen: np.ndarray,
    vasopressor: np.ndarray,
    ventilation: np.ndarray,
    deceased: np.ndarray,
    covered: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """astct.md §2.1-§2.6 from the findings in effect (before the fever requirement).

    ``fever_now``: temperature in effect ≥ 38.0; ``masked``: §2.1 (b); ``hypotension``
    (bool, Lee's definition), ``oxygen`` and ``vasopressor`` (ASTCT grades of
    :func:`oxygen_grade`, :func:`vasopressor_grade`), ``ventilation`` (bool: positive
    pressure); ``covered``: rows each attributed code covers (§4: a shared code removes
    the finding from both scales; ``fever`` removes (a) and (b)).

    Returns ``grade``, per-criterion grades ``g_<code>``, ``masked_driver``,
    ``requirement`` (the fever requirement met), ``pending`` (criteria met that do not
    count without fever, as grades).
    """
    no_fever = covered["fever"]
    fever = fever_now & ~no_fever
    requirement = (fever | masked) & ~no_fever
    # Small integers (int8) throughout: a million rows of grades, several times over.
    found = {
        "hypotension": (hypotension & ~covered["hypotension"]).astype(np.int8)
        * np.int8(CRITERION_GRADE["hypotension"]),
        "oxygen": np.where(covered["oxygen"], np.int8(0), oxygen.astype(np.int8)),
        "vasopressor": np.where(covered["vasopressor"], np.int8(0), vasopressor.astype(np.int8)),
        "ventilation": (ventilation & ~covered["ventilation"]).astype(np.int8)
        * np.int8(CRITERION_GRADE["ventilation"]),
    }
    # Criteria met where the fever requirement is not: they "do not count without fever".
    pending = {c: g * ~requirement for c, g in found.items()}
    graded = {"fever": fever.astype(np.int8) * np.int8(CRITERION_GRADE["fever"])}
    graded |= {c: g * requirement for c, g in found.items()}
    graded["death"] = deceased.astype(np.int8) * np.int8(CRITERION_GRADE["death"])
    grade = np.zeros(len(fever), dtype=np.int8)
    for g in graded.values():
        np.maximum(grade, g, out=grade)
    masked_driver = (grade >= 2) & (grade <= 4) & ~fever
    return {
        "grade": grade,
        **{f"g_{c}": g for c, g in graded.items()},
        "masked_driver": masked_driver,
        "requirement": requirement,
        "fever": fever,
        "pending": pending,
    }


def driver_bits(result: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """astct.md §2.6: each driver code's rows (criteria at the row's grade, and
    ``masked_fever`` at grades 2-4 met by masking only)."""
    grade = result["grade"]
    graded = grade > 0
    bits = {c: (result[f"g_{c}"] == grade) & graded for c in CRITERIA}
    bits["masked_fever"] = result["masked_driver"]
    return bits
