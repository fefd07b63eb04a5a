"""Grading variables missing from a whole upload (issue #12, "loud when a grading
variable is missing").

A domain that decides grades — temperature, blood pressure, vasopressors, oxygen (spec
grading.md §3) — with no value anywhere in an upload usually means its columns were not
recognised, not that nobody measured it. Each row already lists such domains in
``unknown`` (the grade is a lower bound); this says it once for the whole upload, in
words, so it is seen before the grades are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Domain:
    """A domain that decides grades, the canonical columns that document it, and what
    its absence means for the grades (plain words)."""

    code: str
    words: str
    columns: tuple[str, ...]
    consequence: str


#: Spec §3: the criteria fever (temperature), hypotension (SBP, MAP; the MAP computed from
#: SBP and DBP), vasopressor (§3.2, the five agents) and oxygen/ventilation (§3.3).
DOMAINS: tuple[Domain, ...] = (
    Domain(
        "temperature",
        "temperature",
        ("temp_c",),
        "fever cannot be graded, so every grade is a lower bound",
    ),
    Domain(
        "blood_pressure",
        "blood pressure",
        ("sbp_mmhg", "dbp_mmhg", "map_mmhg"),
        "hypotension cannot be graded, so every grade is a lower bound",
    ),
    Domain(
        "vasopressors",
        "vasopressors",
        (
            "norepinephrine_ug_min",
            "norepinephrine_ug_kg_min",
            "epinephrine_ug_min",
            "epinephrine_ug_kg_min",
            "phenylephrine_ug_min",
            "phenylephrine_ug_kg_min",
            "dopamine_ug_kg_min",
            "vasopressin_u_min",
        ),
        "every patient is graded as receiving none",
    ),
    Domain(
        "oxygen",
        "oxygen (FiO2, flow, device or ventilation)",
        ("fio2", "o2_flow_l_min", "o2_device", "ventilated"),
        "oxygen and ventilation cannot be graded, so every grade is a lower bound",
    ),
)


def missing_domains(frames: Iterable[pd.DataFrame]) -> list[Domain]:
    """The domains with no value in any of the canonical ``frames`` (one upload)."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return []
    return [
        domain
        for domain in DOMAINS
        if not any(f[c].notna().any() for f in frames for c in domain.columns if c in f)
    ]


def missing_warning(domains: list[Domain]) -> str:
    """One paragraph: what is missing from the whole upload and what it means."""
    if not domains:
        return ""
    words = [d.words for d in domains]
    named = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
    consequences = "; ".join(f"without {d.words.split(' (')[0]}, {d.consequence}" for d in domains)
    return (
        f"Nothing in this upload records {named}: {consequences}. If the export has these "
        "values under other column names, map those columns to them and upload it again."
    )
