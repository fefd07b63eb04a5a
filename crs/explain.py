"""One readable sentence per graded row (spec grading.md §4 `explanation`, §5).

The paper insists that a grade is only as good as the findings behind it, so each row
names its driving findings with their values and the Table 2 / Table 3 / CTCAE rule
they meet, e.g. "Grade 3: norepinephrine 22 μg/min for 3.5 h (high dose, Table 3)."
Sentences are assembled criterion by criterion, only on the rows that criterion
drives, with vectorised string operations (no loop over rows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crs.hypotension import ADULT_MAP_BELOW
from crs.oxygen import DEVICE_LABELS, FIO2_GRADE3
from crs.vasopressors import AGENTS

#: How unknown domains are named in a sentence.
DOMAIN_LABELS: dict[str, str] = {
    "blood_pressure": "blood pressure",
    "oxygen": "oxygen",
    "temperature": "temperature",
}
#: Organ values named in explanations: label and unit.
ORGAN_LABELS: dict[str, tuple[str, str]] = {
    "creatinine": ("creatinine", "mg/dL"),
    "ast": ("AST", "U/L"),
    "alt": ("ALT", "U/L"),
    "bilirubin": ("bilirubin", "mg/dL"),
    "fibrinogen": ("fibrinogen", "mg/dL"),
    "inr": ("INR", ""),
    "lvef": ("LVEF", "%"),
}


def number(values: np.ndarray) -> np.ndarray:
    """Numbers as short text: at most two decimals, no trailing zeros (22, 38.4, 0.03)."""
    values = np.round(np.asarray(values, dtype="float64"), 2)
    return np.char.mod("%g", values).astype(object)


def _text(values: np.ndarray | pd.Series) -> np.ndarray:
    return np.asarray(values, dtype=object)


def _add(sentence: np.ndarray, rows: np.ndarray, piece: np.ndarray, sep: str = "; ") -> None:
    """Append ``piece`` to ``sentence`` at ``rows`` (separated when not the first piece)."""
    if not len(rows):
        return
    current = sentence[rows]
    joiner = np.where(current == "", "", sep).astype(object)
    sentence[rows] = current + joiner + piece


def _vasopressor_pieces(rows: np.ndarray, pressors: dict) -> np.ndarray:
    agents = np.full(len(rows), "", dtype=object)
    for agent in AGENTS:
        on = pressors["running"][agent.name][rows]
        at = np.flatnonzero(on)
        if not len(at):
            continue
        dose = pressors["dose"][agent.name][rows][at]
        known = ~np.isnan(dose)
        piece = np.where(
            known,
            agent.name + " " + number(dose) + f" {agent.unit}",
            agent.name + " (dose unknown: no weight for a μg/kg/min rate)",
        ).astype(object)
        _add(agents, at, piece, sep=" + ")
    hours = number(pressors["high_dose_hours"][rows])
    sustained = pressors["high_dose_sustained"][rows]
    high_now = pressors["high_dose_now"][rows]
    several = pressors["n_vasopressors"][rows] >= 2
    ne_eq = pressors["ne_eq_ug_min"][rows]
    ne_text = np.where(
        several & ~np.isnan(ne_eq), ", norepinephrine equivalent " + number(ne_eq) + " μg/min", ""
    ).astype(object)
    suffix = np.select(
        [sustained, several, high_now],
        [
            " for " + hours + " h (high dose, Table 3)",
            np.full(len(rows), " (multiple vasopressors)", dtype=object),
            " (high dose for " + hours + " h, not yet the 3 h of Table 3; one vasopressor)",
        ],
        " (one vasopressor, not high dose)",
    ).astype(object)
    return agents + ne_text + suffix


def _oxygen_pieces(rows: np.ndarray, graded: pd.DataFrame, flow: np.ndarray) -> np.ndarray:
    basis = _text(graded["oxygen_basis"])[rows]
    fio2 = graded["fio2_used"].to_numpy()[rows]
    device = pd.Series(_text(graded["o2_device_used"])[rows]).map(DEVICE_LABELS).fillna("")
    band = np.where(fio2 >= FIO2_GRADE3, f"≥ {FIO2_GRADE3:g}%", f"< {FIO2_GRADE3:g}%")
    return np.select(
        [basis == "fio2", basis == "flow", basis == "non_rebreather"],
        [
            "FiO2 " + number(fio2) + "% (" + band + ", oxygen)",
            "FiO2 ≈ "
            + number(fio2)
            + "% from "
            + number(flow[rows])
            + " L/min (21 + 4 × flow; "
            + band
            + ", oxygen)",
            np.full(len(rows), "non-rebreather mask (FiO2 ≥ 40%, oxygen)", dtype=object),
        ],
        device.to_numpy(dtype=object) + ", FiO2 not documented (taken as < 40%, oxygen)",
    ).astype(object)


def _hypotension_pieces(rows: np.ndarray, graded: pd.DataFrame, low_bp: dict) -> np.ndarray:
    sbp_low = low_bp["sbp_low"][rows]
    map_low = low_bp["map_low"][rows]
    sbp = "SBP " + number(graded["sbp_used"].to_numpy()[rows]) + " mmHg (< "
    sbp = sbp + number(low_bp["sbp_threshold"][rows]) + ", hypotension)"
    computed = np.where(graded["map_computed"].to_numpy()[rows], " computed from SBP/DBP", "")
    map_text = "MAP " + number(graded["map_used"].to_numpy()[rows]) + " mmHg" + computed
    map_text = map_text + f" (< {ADULT_MAP_BELOW:g}, hypotension)"
    return np.select([sbp_low & map_low, sbp_low], [sbp + ", " + map_text, sbp], map_text).astype(
        object
    )


def _organ_pieces(rows: np.ndarray, organs: dict, crs_grade: np.ndarray) -> np.ndarray:
    pieces = np.full(len(rows), "", dtype=object)
    target = crs_grade[rows]
    for organ, (label, unit) in ORGAN_LABELS.items():
        ctcae = organs[f"organ_{organ}"][rows]
        transaminase = organ in ("ast", "alt")
        counts = np.minimum(ctcae, 3) if transaminase else ctcae
        at = np.flatnonzero((counts == target) & (ctcae >= 2))
        if not len(at):
            continue
        value = number(organs[f"{organ}_value"][rows][at])
        piece = label + " " + value + (f" {unit}" if unit else "")
        note = np.where(
            transaminase & (ctcae[at] == 4),
            " (CTCAE grade 4 transaminitis, CRS grade 3 by Table 2)",
            " (CTCAE grade " + number(ctcae[at]) + " organ toxicity)",
        )
        _add(pieces, at, piece + note, sep=", ")
    for key, label in (("neurotox_used", "neurotoxicity"), ("organ_tox_used", "organ toxicity")):
        entered = np.floor(np.nan_to_num(organs[key][rows]))
        at = np.flatnonzero((entered == target) & (entered >= 2))
        if len(at):
            _add(
                pieces,
                at,
                f"{label} CTCAE grade " + number(entered[at]) + " (entered by a clinician)",
                ", ",
            )
    return pieces


def explain(
    graded: pd.DataFrame,
    *,
    driving: dict[str, np.ndarray],
    pressors: dict,
    low_bp: dict,
    organs: dict,
    flow: np.ndarray,
) -> pd.Series:
    """The explanation column: "Grade g: finding (rule); finding (rule)." per row."""
    n = len(graded)
    sentence = np.full(n, "", dtype=object)
    grade = graded["grade"].to_numpy()

    def rows_of(criterion: str) -> np.ndarray:
        return np.flatnonzero(driving[criterion])

    at = rows_of("fever")
    temp = graded["temp_c_used"].to_numpy()[at]
    _add(sentence, at, "temperature " + number(temp) + " °C (≥ 38.0, fever)")
    at = rows_of("symptoms")
    _add(sentence, at, "symptoms recorded: " + _text(graded["symptoms"])[at])
    at = rows_of("hypotension")
    _add(sentence, at, _hypotension_pieces(at, graded, low_bp))
    at = rows_of("vasopressor")
    _add(sentence, at, _vasopressor_pieces(at, pressors))
    at = rows_of("oxygen")
    _add(sentence, at, _oxygen_pieces(at, graded, flow))
    at = rows_of("ventilation")
    ventilated = graded["ventilated_used"].to_numpy()[at]
    device = pd.Series(_text(graded["o2_device_used"])[at]).map(DEVICE_LABELS).fillna("")
    label = np.where(ventilated, "mechanical ventilation", device.to_numpy(dtype=object))
    _add(sentence, at, label.astype(object) + " (ventilator support)")
    at = rows_of("organ_toxicity")
    pieces = _organ_pieces(at, organs, graded["g_organ_toxicity"].to_numpy())
    _add(sentence, at, pieces)
    at = rows_of("death")
    _add(sentence, at, np.full(len(at), "death recorded", dtype=object))

    zero = grade == 0
    sentence[zero] = "no CRS finding recorded"
    prefix = np.array([f"Grade {g}: " for g in range(6)], dtype=object)[grade]
    unknown = _text(graded["unknown"])
    domains = (
        pd.Series(unknown).str.replace("blood_pressure", "blood pressure").str.replace(";", ", ")
    )
    lower_bound = np.where(
        unknown != "",
        "; "
        + domains.to_numpy(dtype=object)
        + " not documented in its window, so the grade is a lower bound",
        "",
    ).astype(object)
    attributed = _text(graded["attributed"])
    not_crs = np.where(
        attributed != "",
        "; attributed to another cause by a clinician: "
        + pd.Series(attributed).str.replace(";", ", ").to_numpy(dtype=object),
        "",
    ).astype(object)
    return pd.Series(prefix + sentence + lower_bound + not_crs + ".", dtype="str")
