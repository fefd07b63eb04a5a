"""Findings: the physiology of each row, computed once and shared by every grading scale —
values carried forward within their windows, hypotension, vasopressors and the
high-dose state (Lee 2014 Table 3), oxygen device and FiO2, organ toxicity (CTCAE v4),
neurologic findings and constitutional symptoms. ``findings(frame)`` runs each once and
returns the ``Findings`` every scale reads (docs/architecture.md, "The Findings contract").

May import: ``crs.read`` (column definitions) and the shared leaf modules.
"""

from crs.findings.carry import carry_forward, carry_values
from crs.findings.hypotension import hypotension, mean_arterial_pressure
from crs.findings.neuro import neurotoxicity, neurotoxicity_grade
from crs.findings.organ import ORGANS, organ_toxicity
from crs.findings.oxygen import DEVICE_LABELS, oxygen
from crs.findings.row_findings import Findings, findings
from crs.findings.symptoms import constitutional_symptoms
from crs.findings.vasopressors import AGENTS, vasopressor_state

__all__ = [
    "AGENTS",
    "DEVICE_LABELS",
    "ORGANS",
    "Findings",
    "carry_forward",
    "carry_values",
    "constitutional_symptoms",
    "findings",
    "hypotension",
    "mean_arterial_pressure",
    "neurotoxicity",
    "neurotoxicity_grade",
    "organ_toxicity",
    "oxygen",
    "vasopressor_state",
]
