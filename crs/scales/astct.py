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


def _is(device: np.ndarray, names: list[str]) -> np.ndarray:
    return np.isin(device, [DEVICES.index(d) for d in names])


def _device_class(device: np.ndarray, name: str) -> np.ndarray:
    return _is(device, [d for d, c in DEVICE_CLASS.items() if c == name])


def _fio2_rule(fio2: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.select([fio2 >= FIO2_GRADE3, fio2 > ROOM_AIR_FIO2], [3, 2], 0)


def _flow_rule(flow: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.select([flow > LOW_FLOW_MAX_L_MIN, flow > 0], [3, 2], 0)


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
    room air when charted at or after the room-air entry.
    """
    cannula = _device_class(device, "cannula")
    room_air = _device_class(device, "room_air")
    by_device = _device_class(device, "high") | _device_class(device, "low")
    other = np.isnan(device) | _is(device, ["other"])
    fio2_after_room_air = room_air & (fio2_source >= device_source) & (fio2_source >= 0)
    fio2_grade, flow_grade = _fio2_rule(fio2), _flow_rule(flow)
    with np.errstate(invalid="ignore"):
        cannula_grade = np.where(flow == 0, 0, np.where(flow > LOW_FLOW_MAX_L_MIN, 3, 2))
    free = np.maximum(fio2_grade, flow_grade)
    grade = np.select(
        [
            by_device,
            cannula,
            other,
            fio2_after_room_air,
        ],
        [np.where(_device_class(device, "high"), 3, 2), cannula_grade, free, fio2_grade],
        0,
    )
    basis = np.select(
        [
            by_device,
            cannula,
            other & (fio2_grade >= flow_grade) & (fio2_grade > 0),
            other & (flow_grade > 0),
            fio2_after_room_air & (fio2_grade > 0),
        ],
        [1, 2, 3, 4, 3],
        0,
    )
    return grade.astype(np.int64), basis.astype(np.int64)


def vasopressor_grade(n_running: np.ndarray, running_code: np.ndarray) -> np.ndarray:
    """astct.md §2.4: ≥ 2 agents other than vasopressin → 4; any running agent → 3."""
    vasopressin = (running_code & VASOPRESSIN_BIT) != 0
    others = n_running - vasopressin
    return np.select(
        [others >= 2, n_running >= 1],
        [CRITERION_GRADE["two_vasopressors"], CRITERION_GRADE["one_vasopressor"]],
        0,
    ).astype(np.int64)


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
    bits = {c: (result[f"g_{c}"] == grade) & (grade > 0) for c in CRITERIA}
    bits["masked_fever"] = result["masked_driver"]
    return bits
