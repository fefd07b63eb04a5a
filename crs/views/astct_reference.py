"""The Reference page's section on the ASTCT 2019 consensus grades, in plain words.

Lee DW, Santomasso BD, Locke FL et al., Biol Blood Marrow Transplant 2019;25:625-638:
the CRS table, the ICE score and the ICANS tables for adults and for children under 12
(CAPD). ASTCT_DECISIONS says every [decision] of astct.md in a clinician's words (no
column names, no section numbers).
"""

from __future__ import annotations

ASTCT_INTRO = (
    "Since 2019 most CAR T-cell wards, trials and product labels grade CRS by the ASTCT "
    "consensus and neurotoxicity by its ICANS grade. The two CRS scales often disagree, so "
    "this tool shows both side by side, over the same findings, each with the reason for "
    "its grade. The Lee 2014 grade stays the grade that drives the treatment suggestions."
)

#: The consensus CRS table (ASTCT 2019), fever required for grades 1-4.
ASTCT_CRS_TABLE: tuple[tuple[str, str, str, str], ...] = (
    ("1", "≥ 38.0 °C", "none", "none"),
    (
        "2",
        "≥ 38.0 °C",
        "not requiring vasopressors",
        "low-flow nasal cannula (≤ 6 L/min) or blow-by",
    ),
    (
        "3",
        "≥ 38.0 °C",
        "one vasopressor, with or without vasopressin",
        "high-flow nasal cannula (> 6 L/min), face mask, non-rebreather or Venturi mask",
    ),
    (
        "4",
        "≥ 38.0 °C",
        "several vasopressors (not counting vasopressin)",
        "positive pressure (CPAP, BiPAP, intubation and mechanical ventilation)",
    ),
    ("5", "", "death from CRS (no other principal cause)", ""),
)

#: ICANS by domain (ASTCT 2019; ICE from age 12, CAPD under 12).
ICANS_TABLE: tuple[tuple[str, str, str, str, str], ...] = (
    ("ICE score (age 12 and over)", "7–9", "3–6", "0–2", "0 and unarousable"),
    ("CAPD (under 12)", "1–8", "1–8 and awakens to voice", "9 or more", "unable to perform"),
    (
        "Level of consciousness",
        "awakens spontaneously",
        "awakens to voice",
        "awakens only to touch",
        "unarousable, or needs vigorous or repeated touch; stupor; coma",
    ),
    (
        "Seizure",
        "—",
        "—",
        "a seizure that resolves quickly, or a non-convulsive seizure on EEG that "
        "resolves with treatment",
        "a prolonged seizure (over 5 minutes) or repeated seizures without recovery between",
    ),
    ("Motor weakness", "—", "—", "—", "deep focal weakness such as hemiparesis or paraparesis"),
    (
        "Raised intracranial pressure or cerebral oedema",
        "—",
        "—",
        "focal or local oedema on imaging",
        "diffuse oedema; decerebrate or decorticate posturing; sixth cranial nerve palsy; "
        "papilloedema; Cushing's triad",
    ),
)

ICE_TEXT = (
    "The ICE score has 10 points: orientation to year, month, city and hospital (4); "
    "naming three objects (3); following simple commands (1); writing a standard sentence "
    "(1); counting backwards from 100 by ten (1). 10 is normal. Children under 12 are "
    "assessed with the Cornell Assessment of Pediatric Delirium (CAPD, 0–32, 0 normal)."
)

#: Every decision of the ASTCT contract, in plain words: (where, what).
ASTCT_DECISIONS: tuple[tuple[str, str], ...] = (
    (
        "ASTCT — fever required",
        "ASTCT requires fever for every grade from 1 to 4. Without a temperature of "
        "38.0 °C or more in the last 6 hours, hypotension, vasopressors and oxygen do not "
        "count and the ASTCT grade is 0 (the sentence says which finding does not count "
        "without fever). Death is the one exception.",
    ),
    (
        "ASTCT — fever masked by treatment",
        "After tocilizumab, methylprednisolone, dexamethasone or another immunosuppressant "
        "given after a fever recorded since the infusion (a dose at the fever's own time "
        "counts), fever is no longer required: hypotension and oxygen grade on their own. "
        "This masking never gives grade 1 by itself, has no end within the record, and is "
        "ended by marking the fever as not CRS. Paracetamol and other antipyretics do not "
        "mask. When the infusion time is not known, every recorded fever counts. On a "
        "day-numbered record the infusion is day 0. The sentence names the latest masking "
        "dose and the latest fever before it.",
    ),
    (
        "ASTCT — oxygen by device",
        "The oxygen device in effect decides, not the FiO2: nasal cannula up to and "
        "including 6 L/min, without a charted flow, or blow-by is low-flow (grade 2); above "
        "6 L/min, high-flow nasal cannula, any face mask, non-rebreather or Venturi mask is "
        "high-flow (grade 3); a charted flow of 0 is no oxygen. Without a device (or with a "
        "device word the tool does not know) the higher of two rules applies: FiO2 above 21 "
        "and under 40 % is low-flow, 40 % or more high-flow; a flow up to 6 L/min is "
        "low-flow, above it high-flow. After room air only a FiO2 charted at or after it "
        "counts. Values count for 12 hours.",
    ),
    (
        "ASTCT — vasopressors",
        "Any running vasopressor counts, whatever its dose (dopamine included): one, with or "
        "without vasopressin, is grade 3; vasopressin alone is one; two or more besides "
        "vasopressin are grade 4. A rate counts for 24 hours and a charted 0 stops it at once. "
        "There is no high-dose or 3-hour rule.",
    ),
    (
        "ASTCT — what never counts",
        "Organ toxicity, the CTCAE neurotoxicity grade typed in by a clinician and "
        "constitutional symptoms never change the ASTCT grade. A grade charted in the record "
        "(an ASTCT or ICANS grade column) is never read: both grades are computed.",
    ),
    (
        "ASTCT — death",
        "A recorded death is ASTCT grade 5, with or without fever. The record cannot tell "
        "whether CRS was the principal cause: ASTCT grade 5 requires no other principal "
        "cause, which is the clinician's judgment. A death cannot be marked as not CRS.",
    ),
    (
        "ICANS — which tool",
        "From age 12, or when the age is not recorded, the ICE score grades; under 12 the "
        "CAPD. 12.0 years is ICE. The other tool's score is shown but not graded.",
    ),
    (
        "ICANS — how long a finding counts",
        "ICE, CAPD, level of consciousness and RASS count for 12 hours; seizure and motor "
        "weakness for 24 hours; cerebral oedema and signs of raised intracranial pressure "
        "for 72 hours. The latest charted value wins: 'none' charted after a seizure ends "
        "it at once.",
    ),
    (
        "ICANS — level of consciousness",
        "The latest of the charted level of consciousness and the RASS counts; when both are "
        "charted at the same time, the worse. AVPU letters read as A alert, V awakens to "
        "voice, P awakens only to touch, U unarousable. RASS 0 to +4 is alert (agitation is "
        "not a depressed level), −1 to −3 awakens to voice, −4 awakens only to touch, −5 "
        "unarousable. Depressed consciousness under sedation should be marked as not CRS "
        "over the sedation.",
    ),
    (
        "ICANS — words the tool reads",
        "Seizure, motor weakness and oedema are read from words: 'status', 'prolonged', "
        "'repetitive', 'recurrent' or 'cluster' seizures are grade 4, any other seizure "
        "grade 3 (durations are not read: write prolonged or status); hemiparesis or "
        "paraparesis is grade 4; tremor and myoclonus are read but are not ICANS findings; "
        "oedema of unstated extent is read as focal (grade 3). A word the tool cannot read "
        "is reported and left out; write the finding, or 'none'. Text such as 'unable' in "
        "an ICE or CAPD column is reported too: record an unarousable patient in the level "
        "of consciousness or RASS.",
    ),
    (
        "ICANS — lower bound",
        "When no ICE (or CAPD) score, or no level of consciousness, is charted in the last "
        "12 hours, the ICANS grade is a lower bound. Seizure, motor weakness and oedema are "
        "events: when none is charted there is no finding, and they are never listed as "
        "not known.",
    ),
    (
        "ICANS — grade 5 and the CTCAE grade",
        "ICANS grade 5 (death due to neurotoxicity) is not computed: the record cannot say "
        "what caused a death. The CTCAE neurotoxicity grade typed in by a clinician keeps "
        "its role in the Lee grade and is not an ICANS domain.",
    ),
    (
        "Both scales — findings marked as not CRS",
        "Marking fever, hypotension, vasopressors, oxygen or ventilation as not CRS removes "
        "it from the Lee and the ASTCT grade alike. A fever marked as not CRS also never "
        "starts masking. The ICANS domains can be marked on their own; the constitutional "
        "symptoms, organ toxicity and CTCAE neurotoxicity concern the Lee grade only.",
    ),
    (
        "Both scales — treatment suggestions",
        "The Figure 2 suggestions and alerts follow the Lee 2014 grade, as before.",
    ),
    (
        "Lee 2014 — blow-by oxygen",
        "Blow-by oxygen is read as an oxygen device; the Lee grade counts it as low-flow "
        "oxygen (grade 2), like a nasal cannula without a charted flow.",
    ),
)


def astct_markdown() -> str:
    """The Reference page's ASTCT 2019 section as Markdown (static text)."""
    lines = ["## ASTCT 2019 consensus grades, beside Lee 2014", "", ASTCT_INTRO, ""]
    lines += ["### ASTCT CRS grade (fever required for grades 1–4)", ""]
    lines += ["| Grade | Fever | Hypotension | Hypoxia |", "|---|---|---|---|"]
    lines += [f"| {g} | {f} | {h} | {o} |" for g, f, h, o in ASTCT_CRS_TABLE]
    lines += ["", "The grade is the most severe finding.", ""]
    lines += ["### ICANS grade (the worst domain)", ""]
    lines += ["| Domain | Grade 1 | Grade 2 | Grade 3 | Grade 4 |", "|---|---|---|---|---|"]
    lines += [f"| {d} | {a} | {b} | {c} | {e} |" for d, a, b, c, e in ICANS_TABLE]
    lines += ["", ICE_TEXT, ""]
    lines += ["### Decisions where the consensus is silent", ""]
    lines += [f"- **{where}.** {text}" for where, text in ASTCT_DECISIONS]
    return "\n".join(lines)
