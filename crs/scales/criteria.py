"""Plain words for the criterion codes of grading.md §3 (Lee et al. 2014, Table 2).

The codes are what the grader writes in ``drivers`` and ``attributed``; clinicians pick
a finding to attribute to another cause (grading.md §5) by these words. Neurotoxicity is
its own finding (version 2), so an acute kidney injury can be attributed to a drug
without also leaving out an encephalopathy.
"""

from __future__ import annotations

from crs.scales.grading import ATTRIBUTABLE, ATTRIBUTION_CODES

__all__ = ["ATTRIBUTABLE", "ATTRIBUTION_CODES", "CRITERION_LABELS", "criterion_label"]

#: One phrase per criterion code of grading.md §3, in the order of the spec's table.
CRITERION_LABELS: dict[str, str] = {
    "fever": "Fever (temperature ≥ 38 °C)",
    "symptoms": "Constitutional symptoms (rigors, malaise, myalgia, nausea …)",
    "hypotension": "Hypotension",
    "vasopressor": "Vasopressor requirement",
    "oxygen": "Oxygen requirement",
    "ventilation": "Ventilatory support (CPAP, BiPAP, intubation)",
    "organ_toxicity": "Organ toxicity (CTCAE v4.0: kidney, liver, clotting, heart …)",
    "neurotoxicity": "Neurotoxicity (encephalopathy, seizure …: entered CTCAE grade ≥ 2)",
    "death": "Death",
    # astct.md §4: the ICANS domains (ASTCT 2019 neurotoxicity), attributable on their own.
    "ice": "ICANS: ICE score (adults and children from 12)",
    "capd": "ICANS: CAPD score (children under 12)",
    "consciousness": "ICANS: depressed level of consciousness (e.g. under sedation)",
    "seizure": "ICANS: seizure",
    "motor": "ICANS: motor weakness",
    "cerebral_edema": "ICANS: cerebral oedema or raised intracranial pressure",
}


def criterion_label(code: str) -> str:
    """The plain words for a criterion code (the code itself when unknown)."""
    return CRITERION_LABELS.get(code, code)
