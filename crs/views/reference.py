"""Reference text shown to clinicians (Reference page), kept as data so it is testable.

Sources: Lee et al., Blood 2014;124(2):188-195 — Table 2 (revised CRS grading), Table 3
(high-dose vasopressors, VASST equivalent), Figure 2 (treatment algorithm) — and every
**[decision]** of the project's contracts ``spec/grading.md`` and ``spec/treatment.md``,
in plain words. No Streamlit here: the page renders these strings as Markdown.
"""

from __future__ import annotations

from crs.treatment import trends

#: Shown at the top of every page (decision support, not orders; grading.md §5).
DISCLAIMER = (
    "Decision support, not orders. A grade summarises the findings recorded in the "
    "uploaded export (Lee et al., Blood 2014); it cannot tell CRS from sepsis or another "
    "cause, so attribution to CRS needs clinical judgment."
)

#: grading.md §5 and the paper ("accurate application of this grading system requires
#: clinical judgment to confirm that the symptoms are most likely due to CRS").
WHAT_A_GRADE_IS = (
    "A grade summarises the findings recorded in the export at that time point. It is not "
    "a diagnosis: fever, hypotension, hypoxia and organ dysfunction also come from "
    "infection, sepsis, tumour lysis and other complications. Attribution to CRS needs "
    "clinical judgment (Lee et al. 2014: 'accurate application of this grading system "
    "requires clinical judgment to confirm that the symptoms are most likely due to CRS "
    "rather than another medical condition'). Where a domain was not documented recently "
    "enough, or a vasopressor's dose is not known (a rate per kilogram without the "
    "patient's weight), the grade is a lower bound and what is not known is listed with "
    "it. A clinician can mark one finding as not CRS, for example an acute kidney injury "
    "caused by a drug: only that finding leaves the grade, and a neurotoxicity, a finding "
    "of its own, still counts."
)

#: Table 2, Lee et al. 2014 (revised CRS grading system). Grades 2–4 organ toxicity per
#: CTCAE v4.0.
TABLE_2: tuple[tuple[str, str], ...] = (
    (
        "Grade 1",
        "Symptoms are not life threatening and require symptomatic treatment only, e.g. "
        "fever, nausea, fatigue, headache, myalgias, malaise.",
    ),
    (
        "Grade 2",
        "Symptoms require and respond to moderate intervention: oxygen requirement < 40 %, "
        "or hypotension responsive to fluids or low dose of one vasopressor, or grade 2 "
        "organ toxicity.",
    ),
    (
        "Grade 3",
        "Symptoms require and respond to aggressive intervention: oxygen requirement ≥ 40 %, "
        "or hypotension requiring high dose or multiple vasopressors, or grade 3 organ "
        "toxicity or grade 4 transaminitis.",
    ),
    (
        "Grade 4",
        "Life-threatening symptoms: requirement for ventilator support, or grade 4 organ "
        "toxicity (excluding transaminitis).",
    ),
    ("Grade 5", "Death."),
)

#: Table 3, Lee et al. 2014 (high-dose vasopressors; all doses required for ≥ 3 hours).
TABLE_3: tuple[tuple[str, str], ...] = (
    ("Norepinephrine monotherapy", "≥ 20 μg/min"),
    ("Dopamine monotherapy", "≥ 10 μg/kg/min"),
    ("Phenylephrine monotherapy", "≥ 200 μg/min"),
    ("Epinephrine monotherapy", "≥ 10 μg/min"),
    ("If on vasopressin", "vasopressin + norepinephrine equivalent ≥ 10 μg/min"),
    ("If on combination vasopressors (not vasopressin)", "norepinephrine equivalent ≥ 20 μg/min"),
)

#: Table 3 footnote: the VASST trial vasopressor equivalent equation.
VASST_EQUATION = (
    "Norepinephrine equivalent dose = norepinephrine (μg/min) + dopamine (μg/kg/min) ÷ 2 "
    "+ epinephrine (μg/min) + phenylephrine (μg/min) ÷ 10"
)

#: Figure 2, Lee et al. 2014 (treatment algorithm), one step per grade.
FIGURE_2: tuple[tuple[str, str], ...] = (
    (
        "Grade 1",
        "Vigilant supportive care: assess for infection (and treat fever and neutropenia if "
        "present), monitor fluid balance, antipyretics and analgesics as needed.",
    ),
    (
        "Grade 2",
        "Vigilant supportive care, monitoring cardiac and other organ function closely. "
        "Patients with extensive comorbidities or older age: consider tocilizumab "
        "± corticosteroids.",
    ),
    (
        "Grade 3",
        "Vigilant supportive care and tocilizumab ± corticosteroids.",
    ),
    (
        "Grade 4",
        "Vigilant supportive care (including mechanical ventilation when needed) and "
        "tocilizumab ± corticosteroids.",
    ),
    (
        "Neurologic dysfunction",
        "For grade 3 or 4 CRS with neurologic dysfunction and without significant "
        "hemodynamic instability or other life-threatening findings, corticosteroids may be "
        "considered as first-line immunosuppression (tocilizumab does not cross the "
        "blood–brain barrier).",
    ),
)

#: Every [decision] of spec/grading.md and spec/treatment.md, in plain words:
#: (where it is decided, what was decided).
DECISIONS: tuple[tuple[str, str], ...] = (
    (
        "Grading — values carried forward",
        "A measurement counts for a limited time after it was recorded: temperature and "
        "blood pressure 6 hours; FiO2, oxygen flow, oxygen device and ventilation 12 hours; "
        "vasopressor rates, neurotoxicity and organ toxicity grades and the ICE score 24 "
        "hours; laboratory values 48 hours. Symptoms, doses, fluid boluses and death count "
        "only on the row where they are recorded. A documented vasopressor rate of 0 stops "
        "the infusion at once. A domain with nothing recent enough is shown as 'not "
        "documented' and the grade is then a lower bound.",
    ),
    (
        "Grading — fever",
        "Fever is a temperature of 38.0 °C or more (38.0 itself counts).",
    ),
    (
        "Grading — ventilator support",
        "Grade 4 'ventilator support' includes invasive ventilation and non-invasive "
        "support: CPAP, BiPAP / NIV or a ventilator recorded as the oxygen device.",
    ),
    (
        "Grading — hypotension",
        "Adults (18 or older, or age unknown): systolic below 90 mmHg, or mean arterial "
        "pressure below 65 mmHg. The mean arterial pressure used is the most recent one: "
        "the documented value, or the one computed as (systolic + 2 × diastolic) ÷ 3 when "
        "a systolic and diastolic pressure were both charted after it (the pair counts "
        "from the older of its two values); charted at the same time, the documented value "
        "is used. So a documented 70 followed two hours later by 95/40 gives 58: "
        "hypotension. Children 10–17: systolic below 90. Children 1–9: systolic below "
        "70 + 2 × age in years. Under 1 year: systolic below 70. The baseline blood "
        "pressure does not change the grade; the chart shows it, and systolic more than "
        "20 % below it is flagged as relative hypotension.",
    ),
    (
        "Grading — three hours of high-dose vasopressors",
        "Table 3 requires each high dose for at least 3 hours. The grade never looks into "
        "the future: a time point is graded high-dose only once the high dose has already "
        "held without a break for 3 hours (two or more vasopressors give grade 3 at once).",
    ),
    (
        "Grading — a vasopressor dose that is not known",
        "A vasopressor charted per kilogram (μg/kg/min) without the patient's weight is "
        "running, but its dose cannot be compared with Table 3: it never counts as high "
        "dose, and the grade is shown as a lower bound ('vasopressor dose not known') for as "
        "long as it runs. Add the weight (patients table) to grade the dose.",
    ),
    (
        "Grading — oxygen",
        "In this order: (1) a documented FiO2: above 21 % and below 40 % is grade 2, 40 % "
        "or more grade 3; (2) else an oxygen flow by nasal cannula (or with no device "
        "charted): up to 6 L/min is low-flow oxygen, grade 2, and more than 6 L/min is high "
        "flow, grade 3 (the estimate 21 % + 4 % per L/min is shown but does not change the "
        "grade; a flow of 0 is no oxygen); (3) else high-flow nasal cannula, face mask, "
        "non-rebreather or Venturi mask without a documented FiO2: more than low-flow "
        "oxygen, grade 3, as the paper's text says; (4) else a nasal cannula without a flow, "
        "or blow-by oxygen: low-flow oxygen, grade 2; (5) else room air. Room air charted "
        "after a FiO2 or a flow means the oxygen was stopped. A FiO2 still within its 12 "
        "hours is used before a newer flow: chart the FiO2 or room air when weaning.",
    ),
    (
        "Grading — neurotoxicity",
        "A neurotoxicity grade entered by a clinician (CTCAE: encephalopathy, seizure …) of "
        "2 or more is a finding of its own, with the grade as entered: 2, 3 or 4. The paper "
        "counts neurologic signs among the signs of CRS, but they follow their own course, "
        "so this finding can be marked as not CRS apart from organ toxicity: an acute "
        "kidney injury caused by a drug can be left out while the encephalopathy still "
        "counts. ICE scores and neurologic words in the notes are shown on the timeline but "
        "do not change the grade.",
    ),
    (
        "Grading — laboratory reference limits",
        "Without the laboratory's own limits in the file, CTCAE grades use upper limits of "
        "normal of creatinine 1.2 mg/dL, AST 40 U/L, ALT 40 U/L, bilirubin 1.2 mg/dL, INR "
        "1.2, and a lower limit of fibrinogen of 200 mg/dL. Organ toxicity covers every "
        "organ but the nervous system (kidney, liver, clotting, heart, and an organ grade "
        "entered by a clinician).",
    ),
    (
        "High risk at grade 2",
        "A patient is high risk (older age or extensive comorbidities, Figure 2) when the "
        "export says so. When it does not, age 65 or more counts as older age and nothing "
        "else does; the app then says that comorbidities were not recorded.",
    ),
)

#: The treatment algorithm's own readings where the paper is silent (treatment.md §1-§3
#: and docs/decisions.md), in plain words: (title, what was decided).
TREATMENT_DECISIONS: tuple[tuple[str, str], ...] = (
    (
        "Neurologic dysfunction attributed to another cause",
        "Corticosteroids are suggested first only for neurologic dysfunction of CRS: a "
        "neurotoxicity grade of 1 or more that a clinician has not marked as due to another "
        "cause at that time point. Marking an organ toxicity (for example a kidney injury "
        "due to a drug) as not CRS leaves the neurologic finding in the decision.",
    ),
    (
        "Alert: grade 3 or 4 without immunosuppression",
        "Raised at grade 3 or 4 when no tocilizumab, corticosteroid or other "
        "immunosuppressant was recorded from 24 hours before the current spell of grade 3 "
        "or more began up to that time point (24 hours exactly still counts). A patient on "
        "dexamethasone every 6 hours is treated. A time point at grade 5 (death) gets no "
        "alerts.",
    ),
    (
        "Alert: CRP likely past its peak",
        "Raised when the three most recent CRP values fell twice in a row (each within 48 "
        "hours of the next, the last within 48 hours), the latest is at most 75 % of the "
        "highest CRP of the 7 days up to and including it (a fall of at least a quarter; "
        "the 7 days are counted back from the latest CRP), and the grade is not higher than "
        "24 hours earlier. The grade 24 hours earlier is that of the latest time point at "
        "or before then; when the record began less than 24 hours ago, that of the first "
        "time point. On the chart the peak is marked once this alert confirms it.",
    ),
    (
        "Doses: the label first",
        "The tocilizumab dose is computed from the current product label for the patient's "
        "weight (0.3 to 400 kg) and capped at 800 mg. The paper's 2014 tocilizumab dose is "
        "shown per kg beside it but not computed: an erratum corrected a dose in that text, "
        "and the label dose is the one in use.",
    ),
)

#: What the paper advises beyond Figure 2's boxes (Lee et al. 2014, text on grading and
#: treatment, Biomarkers), quoted: (title, the paper's words).
PAPER_ADVICE: tuple[tuple[str, str], ...] = (
    (
        "Grade 3: intensive monitoring",
        "'Patients with grade 3 CRS need to be monitored very closely, likely in an "
        "intensive care unit with 1:1 nursing care.'",
    ),
    (
        "Grades 2 and 3: cardiac function",
        "'Importantly, in patients with grade 2 or grade 3 CRS, careful attention should be "
        "paid to cardiac function, as cardiac decompensation may occur and may not be "
        "readily evident without careful monitoring. Frequent echocardiographic monitoring "
        "may be indicated in patients in whom there is a concern of cardiac dysfunction.'",
    ),
    (
        "Grades 3 and 4: why immunosuppression",
        "All patients with grade 3 CRS should be treated with immunosuppressive agents "
        "'because of the risk for progression and the potential for irreversible organ "
        "dysfunction, with the goal of preventing progression to grade 4'; all patients "
        "with grade 4 CRS as well.",
    ),
    (
        "No improvement after tocilizumab",
        "'If the patient's condition does not improve or stabilize within 24 hours of the "
        "tocilizumab dose, administration of a second dose of tocilizumab and/or a second "
        "immunosuppressive agent, such as corticosteroids, should be considered.'",
    ),
)

#: The paper's text on CRP and ferritin (Lee et al. 2014, Biomarkers), quoted.
CRP_TEXT = (
    "CRP is made by the liver 'largely in response to IL-6', and 'CRP levels serve as a "
    "reliable surrogate for IL-6 bioactivity'. The authors found that 'declining CRP "
    "levels, although potentially lagging behind declines in cytokine levels by 1 to 2 "
    "days, may be useful to identify the peak of the syndrome'; but 'CRP levels are also "
    "elevated during infection and "
    "cannot be used to distinguish between infection-associated and noninfectious "
    "inflammation'. Because tocilizumab blocks the IL-6 receptor, CRP falls after "
    "tocilizumab whatever the course of CRS: after a dose, a falling CRP no longer shows "
    "that the syndrome has peaked (IL-6 itself 'typically rise[s] transiently' after "
    "tocilizumab, the paper notes)."
)
FERRITIN_TEXT = (
    "The paper 'noted extreme elevations of ferritin in many patients with CRS after CAR "
    "T-cell infusion, which further supports a link between CRS and macrophage activation "
    "syndrome/HLH, but in our experience, ferritin has not demonstrated utility in "
    "predicting CRS severity'. CRS 'may also be associated with findings of macrophage "
    "activation syndrome/hemophagocytic lymphohistiocytosis (HLH), and the physiology of "
    "the syndromes may have some overlap'."
)

#: Choices the dashboard makes where the contracts are silent (shown on the Reference page).
DASHBOARD_DECISIONS: tuple[tuple[str, str], ...] = (
    (
        "Ward round — trend over 24 hours",
        "The current grade is compared with the grade in effect 24 hours before the latest "
        "time point (worse, same or better). When less than 24 hours are recorded the "
        "trend is not guessed.",
    ),
    (
        "Timeline — neurotoxicity by severity",
        "The neurotoxicity panel draws a band for each neurotoxicity grade a clinician "
        "entered (CTCAE 1 to 4, darker as it is more severe), from the time point it takes "
        "effect to the first time point at another grade; the ICE score is drawn where it "
        "was charted (10 is normal); a neurologic sign of the paper's Table 1 written in the "
        "symptoms (headache, confusion, tremor …) is a marker, not a band. A sign charted "
        "with an entered grade of 0 is not counted as neurotoxicity on the ward round.",
    ),
    (
        "Timeline — a grade that is a lower bound",
        "Where something was not documented within its window (a temperature older than 6 "
        "hours at a time point that charts only a laboratory value, say), the grade is at "
        "least the one shown: it is drawn as a hollow triangle on a dashed grey step, and "
        "the line of known grades leaves a gap there rather than falling to it, so it never "
        "looks like a recovery. The hover names what was not documented.",
    ),
    (
        "Ward round — the last 24 hours",
        "Tmax and the lowest systolic and mean arterial pressure are taken from the values "
        "charted in the 24 hours up to the patient's latest time point (a mean pressure "
        "computed from a systolic and diastolic pair charted on that time point counts; a "
        "value carried from an earlier time point does not). Hours since tocilizumab, and "
        'every "hours ago" of the treatment given, count back from the latest time point '
        "of the export, not from the computer's clock.",
    ),
)

#: Plain words for the treatment.md §1 recommendation codes.
RECOMMENDATION_LABELS: dict[str, str] = {
    "none": "No CRS treatment step (grade 0 or 5)",
    "supportive_care": "Vigilant supportive care",
    "consider_immunosuppression": "Consider tocilizumab ± corticosteroids (high risk)",
    "immunosuppression": "Tocilizumab ± corticosteroids",
    "corticosteroids_preferred": "Consider corticosteroids first-line (neurologic dysfunction)",
}

#: Plain words for the treatment.md §2 alert codes.
ALERT_LABELS: dict[str, str] = {
    "untreated_severe": "Grade 3 or 4 and no immunosuppressant since 24 h before it began",
    "no_improvement_after_tocilizumab": "No improvement 24–72 h after tocilizumab",
    "crp_past_peak": "CRP down by a quarter or more: likely past the peak",
}

#: Alerts that ask for action (a grade ≥ 3 untreated, no improvement after tocilizumab);
#: ``crp_past_peak`` is information (the syndrome is likely past its peak).
WARNING_ALERTS: frozenset[str] = frozenset({"untreated_severe", "no_improvement_after_tocilizumab"})

#: Treatment.md §4 and the paper's text on CRP and ferritin (worded once, in crs.treatment.trends).
CRP_CAVEAT = trends.CRP_CAVEAT
FERRITIN_NOTE = trends.FERRITIN_CAVEAT
#: Added to the CRP alert and caveat once tocilizumab was given (treatment.md §2 [v2]).
TOCILIZUMAB_CRP_NOTE = trends.TOCILIZUMAB_CRP_NOTE


def label_codes(codes: str, labels: dict[str, str]) -> str:
    """Plain words for a ';'-joined code string (unknown codes are shown as they are)."""
    parts = [code for code in str(codes or "").split(";") if code]
    return "; ".join(labels.get(code, code) for code in parts)


def alert_words(codes: str, after_tocilizumab: bool = False) -> list[str]:
    """Plain words for each alert of a ';'-joined code string; after a tocilizumab dose the
    CRP alert says that tocilizumab lowers CRP whatever the course of CRS."""
    words = []
    for code in (code for code in str(codes or "").split(";") if code):
        label = ALERT_LABELS.get(code, code)
        if code == "crp_past_peak" and after_tocilizumab:
            label = f"{label} — {TOCILIZUMAB_CRP_NOTE}"
        words.append(label)
    return words


def label_alerts(codes: str, after_tocilizumab: bool = False) -> str:
    """:func:`alert_words` joined by '; ' (for a table cell)."""
    return "; ".join(alert_words(codes, after_tocilizumab))


def reference_markdown() -> str:
    """The whole Reference page as Markdown (static text, no patient data)."""
    from crs.views.astct_reference import astct_markdown

    lines = ["## What a grade is", "", WHAT_A_GRADE_IS, ""]
    lines += ["## Table 2 — revised CRS grading (Lee et al. 2014)", ""]
    lines += ["| Grade | Toxicity |", "|---|---|"]
    lines += [f"| {grade} | {text} |" for grade, text in TABLE_2]
    lines += ["", "Grades 2–4 organ toxicity refer to CTCAE v4.0.", ""]
    lines += ["## Table 3 — high-dose vasopressors (all doses for ≥ 3 hours)", ""]
    lines += ["| Pressor | Dose |", "|---|---|"]
    lines += [f"| {pressor} | {dose} |" for pressor, dose in TABLE_3]
    lines += ["", f"VASST equation: {VASST_EQUATION}.", ""]
    lines += ["## Figure 2 — treatment algorithm", ""]
    lines += [f"- **{step}.** {text}" for step, text in FIGURE_2]
    lines += [
        "",
        "Vigilant supportive care, including empiric treatment of concurrent bacterial "
        "infection and maintenance of hydration and blood pressure, applies at every grade.",
        "",
        "### What the paper's text adds",
        "",
    ]
    lines += [f"- **{title}.** {text}" for title, text in PAPER_ADVICE]
    lines += [
        "",
        "## Decisions where the paper is silent",
        "",
    ]
    lines += [f"- **{where}.** {text}" for where, text in DECISIONS]
    lines += ["", "### Treatment suggestions, alerts and doses", ""]
    lines += [f"- **{where}.** {text}" for where, text in TREATMENT_DECISIONS]
    lines += ["", "### Dashboard choices", ""]
    lines += [f"- **{where}.** {text}" for where, text in DASHBOARD_DECISIONS]
    lines += ["", astct_markdown(), ""]
    lines += ["", "## Laboratory trends (shown, not graded)", ""]
    lines += [f"**CRP.** {CRP_TEXT}", "", f"**Ferritin.** {FERRITIN_TEXT}", ""]
    return "\n".join(lines)
