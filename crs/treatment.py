"""Figure 2 treatment algorithm: one recommendation and the alerts for every graded row.

Implements ``shared/spec/treatment.md`` §1 (recommendation) and §2 (alerts) on the graded
frame of ``docs/architecture.md`` §2, after Lee et al., Blood 2014;124(2):188-195, Figure 2
and the text that accompanies it. Decision support, not orders: each row also gets the
``branch`` sentence naming the Figure 2 branch taken and why.

Every rule looks only at rows of the same patient at or before the row (cumulative sums,
forward fills and shifts over the patient's rows in time order), so a row's recommendation
and alerts never change when later data arrive. Nothing loops over rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

_TABLES = Path(__file__).parent / "tables"

#: Wording the app shows per recommendation code (paraphrase of Figure 2, treatment.md §1).
RECOMMENDATIONS: pd.DataFrame = pd.read_csv(
    _TABLES / "treatment_recommendations.csv", dtype=str, keep_default_na=False
)
#: Wording the app shows per alert code (treatment.md §2).
ALERTS: pd.DataFrame = pd.read_csv(
    _TABLES / "treatment_alerts.csv", dtype=str, keep_default_na=False
)

RECOMMENDATION_CODES: tuple[str, ...] = tuple(RECOMMENDATIONS["code"])
ALERT_CODES: tuple[str, ...] = tuple(sorted(ALERTS["code"]))

#: treatment.md §1 [decision]: without a recorded high_risk, "older age" (Figure 2) is
#: age ≥ 65 years; comorbidities cannot be inferred from the export.
HIGH_RISK_AGE_YEARS = 65.0

#: Criteria that mean "significant hemodynamic instability or other life-threatening
#: symptomatology" (text accompanying Figure 2) and so rule out the corticosteroid-first
#: branch; read after attribution (graded frame ``g_*`` columns, treatment.md §1).
HEMODYNAMIC_CRITERIA: dict[str, str] = {
    "g_vasopressor": "a vasopressor",
    "g_hypotension": "hypotension",
    "g_ventilation": "ventilation",
}

#: Non-neurologic organ toxicity grades (CTCAE v4.0) in the graded frame. A grade 4 in any
#: of them is life-threatening and rules out the corticosteroid-first branch. Grade-4
#: transaminitis counts: Table 2 only lowers its CRS grade to 3, it is still a CTCAE
#: grade-4 organ toxicity (treatment.md §1 says "no non-neurologic organ toxicity of CTCAE
#: grade 4"). ``organ_tox_used`` is the clinician-entered grade for "any other organ".
NON_NEUROLOGIC_ORGAN_COLUMNS: tuple[str, ...] = (
    "organ_creatinine",
    "organ_ast",
    "organ_alt",
    "organ_bilirubin",
    "organ_fibrinogen",
    "organ_inr",
    "organ_lvef",
    "organ_tox_used",
)
LIFE_THREATENING_ORGAN_GRADE = 4

#: Dose columns whose value > 0 means an immunosuppressant was given at that instant.
IMMUNOSUPPRESSANT_DOSE_COLUMNS: tuple[str, ...] = (
    "tocilizumab_mg",
    "methylprednisolone_mg",
    "dexamethasone_mg",
)
#: Free-text entries in ``other_immunosuppressant`` that record that nothing was given
#: [decision]: a record export often writes "none" or "0" rather than leaving it empty.
NO_AGENT_WORDS: frozenset[str] = frozenset(
    {"", "0", "-", "--", "no", "none", "nil", "n/a", "na", "not given", "false"}
)

#: Figure 2 text: "If the patient's condition does not improve or stabilize within 24
#: hours of the tocilizumab dose ... a second dose ... should be considered"; the option to
#: repeat is for 24-48 h, and the alert stays up to 72 h (treatment.md §2), bounds inclusive.
TOCILIZUMAB_REVIEW_FROM = pd.Timedelta(hours=24)
TOCILIZUMAB_REVIEW_UNTIL = pd.Timedelta(hours=72)
#: treatment.md §2: consecutive CRP values count as one trend only within 48 h of each
#: other, and the trend is current only within 48 h of the last value (inclusive).
CRP_TREND_GAP = pd.Timedelta(hours=48)

#: Columns recommend() cannot work without; every other column of the graded frame is
#: read when present and taken as not recorded when absent.
REQUIRED_COLUMNS: tuple[str, ...] = ("patient_id", "instant", "grade")

OUTPUT_COLUMNS: tuple[str, ...] = (
    "recommendation",
    "alerts",
    "branch",
    "high_risk_used",
    "high_risk_basis",
)


def recommendation_table() -> pd.DataFrame:
    """The app's wording per recommendation code (paraphrase of Figure 2; treatment.md §1).

    Columns ``code, when, wording, source``; a copy, so callers may change it freely.
    """
    return RECOMMENDATIONS.copy()


def alert_table() -> pd.DataFrame:
    """The app's wording per alert code (treatment.md §2); columns ``code, when, wording, source``."""
    return ALERTS.copy()


def annotate(graded: pd.DataFrame) -> pd.DataFrame:
    """Return ``graded`` with the columns of :func:`recommend` added (input not mutated).

    Existing columns of the same name are replaced in the returned copy.
    """
    advice = recommend(graded)
    return graded.drop(columns=list(OUTPUT_COLUMNS), errors="ignore").join(advice)


def recommend(graded: pd.DataFrame) -> pd.DataFrame:
    """Figure 2 recommendation and alerts for every row of a graded frame.

    Parameters
    ----------
    graded
        The graded frame of docs/architecture.md §2: one row per patient and instant.
        Needs ``patient_id``, ``instant`` and ``grade``; the other columns used
        (``g_vasopressor g_hypotension g_ventilation``, ``organ_*``, ``neurotox_used``,
        ``organ_tox_used``, ``attributed``, ``high_risk``, ``age_years``, the dose columns,
        ``other_immunosuppressant``, ``crp_mg_l``) count as not recorded when absent.
        Rows may come in any order; each patient's rows are read in ``instant`` order.

    Returns
    -------
    DataFrame with the index of ``graded`` and the columns
    ``recommendation`` (one code of treatment.md §1), ``alerts`` (codes of §2, sorted,
    joined by ``;``, "" when none), ``branch`` (one sentence naming the Figure 2 branch
    taken), ``high_risk_used`` (bool) and ``high_risk_basis`` (``recorded``, ``age ≥ 65``,
    ``age < 65; comorbidities not recorded`` or ``age and comorbidities not recorded``).

    Assumptions
    -----------
    Uses only each patient's rows at or before the row, so appending later rows never
    changes an earlier row's output.
    """
    missing = [name for name in REQUIRED_COLUMNS if name not in graded.columns]
    if missing:
        raise ValueError(
            "The treatment algorithm needs a graded frame with the columns "
            f"{', '.join(REQUIRED_COLUMNS)}; missing: {', '.join(missing)}."
        )
    rows, patient = _in_patient_time_order(graded)

    high_risk, basis = _high_risk(rows)
    recommendation, branch = _recommendation(rows, high_risk, basis)
    alerts = _join_codes(
        {
            "crp_past_peak": _crp_past_peak(rows, patient),
            "no_improvement_after_tocilizumab": _no_improvement_after_tocilizumab(rows, patient),
            "untreated_severe": _untreated_severe(rows, patient),
        }
    )
    result = pd.DataFrame(
        {
            "recommendation": recommendation,
            "alerts": alerts,
            "branch": branch,
            "high_risk_used": high_risk,
            "high_risk_basis": basis,
        },
        index=rows.index,
    ).sort_index()
    result.index = graded.index
    return result.astype(
        {
            "recommendation": "str",
            "alerts": "str",
            "branch": "str",
            "high_risk_used": "bool",
            "high_risk_basis": "str",
        }
    )


# ---------------------------------------------------------------------------------------
# Row order and column access
# ---------------------------------------------------------------------------------------


def _in_patient_time_order(graded: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The rows by patient (first appearance) then instant, indexed by input position.

    Returns the reordered rows and the patient group key aligned with them. A stable sort
    keeps the input order of rows that share an instant.
    """
    rows = graded.reset_index(drop=True)
    patient_code = pd.Series(
        pd.factorize(rows["patient_id"].astype("str"), use_na_sentinel=False)[0],
        index=rows.index,
    )
    rows = rows.assign(
        instant=pd.to_datetime(rows["instant"]),
        _patient_code=patient_code,
    ).sort_values(["_patient_code", "instant"], kind="stable")
    return rows, rows["_patient_code"]


def _numeric(rows: pd.DataFrame, name: str) -> pd.Series:
    """A numeric column as float, all missing when the frame lacks it."""
    if name not in rows.columns:
        return pd.Series(np.nan, index=rows.index, dtype="float64")
    column = rows[name]
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.astype("float64")
    return pd.to_numeric(column, errors="coerce").astype("float64")


def _text(rows: pd.DataFrame, name: str) -> pd.Series:
    """A text column, stripped, "" where missing or absent."""
    if name not in rows.columns:
        return pd.Series("", index=rows.index, dtype="str")
    return rows[name].astype("str").where(rows[name].notna(), "").str.strip()


def _has_code(joined: pd.Series, code: str) -> pd.Series:
    """Whether a ``;``-joined code list (e.g. ``attributed``) contains ``code``."""
    return (";" + joined + ";").str.contains(f";{code};", regex=False)


def _number_words(values: pd.Series) -> pd.Series:
    """Numbers as a clinician writes them (2, 2.5), "?" where missing."""
    words = values.round(1).astype("str").str.removesuffix(".0")
    return words.where(values.notna(), "?")


def _join_codes(flags: dict[str, pd.Series]) -> pd.Series:
    """Join the codes whose flag holds, sorted alphabetically, with ``;``."""
    index = next(iter(flags.values())).index
    joined = pd.Series("", index=index, dtype="str")
    for code in sorted(flags):
        joined = joined + np.where(flags[code], code + ";", "")
    return joined.str.rstrip(";")


# ---------------------------------------------------------------------------------------
# Recommendation (treatment.md §1)
# ---------------------------------------------------------------------------------------


def _high_risk(rows: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """High risk per treatment.md §1 [decision], and the basis for it.

    The recorded ``high_risk`` (extensive comorbidities or older age, Figure 2) wins;
    without it, age ≥ 65 counts as older age and nothing else does, because
    comorbidities are not in the export.
    """
    recorded = _numeric(rows, "high_risk")
    age = _numeric(rows, "age_years")
    is_recorded = recorded.notna()
    older = age >= HIGH_RISK_AGE_YEARS
    high_risk = pd.Series(np.where(is_recorded, recorded > 0, older), index=rows.index)
    basis = pd.Series(
        np.select(
            [is_recorded, older, age.notna()],
            ["recorded", "age ≥ 65", "age < 65; comorbidities not recorded"],
            default="age and comorbidities not recorded",
        ),
        index=rows.index,
        dtype="str",
    )
    return high_risk.astype("bool"), basis


def _neurologic_branch(rows: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Inputs of the corticosteroid-first branch (text accompanying Figure 2).

    Returns ``neurologic`` (carried neurotoxicity grade ≥ 1), ``blocked`` (a hemodynamic
    criterion met or a grade-4 non-neurologic organ toxicity) and ``blockers`` (the
    plain words for what blocked it, ``", "``-joined).

    A clinician's attribution of ``organ_toxicity`` as "not CRS" at a row removes both the
    neurologic finding and the organ grades from that row's branch [decision]: in the
    graded frame neurotoxicity is part of the organ_toxicity criterion (grading.md §3.4),
    and spec §5 says recommendations follow attributions.
    """
    organ_attributed = _has_code(_text(rows, "attributed"), "organ_toxicity")
    neurologic = (_numeric(rows, "neurotox_used") >= 1) & ~organ_attributed

    organ_grade = pd.concat(
        [_numeric(rows, name) for name in NON_NEUROLOGIC_ORGAN_COLUMNS], axis=1
    ).max(axis=1)
    organ_grade_4 = (organ_grade >= LIFE_THREATENING_ORGAN_GRADE) & ~organ_attributed

    blockers = pd.Series("", index=rows.index, dtype="str")
    blocked = organ_grade_4.copy()
    for column, words in HEMODYNAMIC_CRITERIA.items():
        met = _numeric(rows, column).fillna(0) > 0
        blocked = blocked | met
        blockers = blockers + np.where(met, words + ", ", "")
    blockers = blockers + np.where(organ_grade_4, "a grade-4 non-neurologic organ toxicity, ", "")
    return neurologic, blocked, blockers.str.removesuffix(", ")


def _recommendation(
    rows: pd.DataFrame, high_risk: pd.Series, basis: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """The recommendation code and branch sentence per row (treatment.md §1)."""
    grade = _numeric(rows, "grade")
    neurologic, blocked, blockers = _neurologic_branch(rows)
    neurotox = _numeric(rows, "neurotox_used")

    severe = grade.isin([3, 4])
    steroids_first = severe & neurologic & ~blocked
    conditions = [
        grade.eq(1),
        grade.eq(2) & high_risk,
        grade.eq(2),
        steroids_first,
        severe,
    ]
    recommendation = pd.Series(
        np.select(
            conditions,
            [
                "supportive_care",
                "consider_immunosuppression",
                "supportive_care",
                "corticosteroids_preferred",
                "immunosuppression",
            ],
            default="none",
        ),
        index=rows.index,
        dtype="str",
    )

    grade_words = "Grade " + _number_words(grade)
    why_risk = _risk_clause(rows, high_risk, basis)
    neuro_words = "neurotoxicity grade " + _number_words(neurotox)
    branch = pd.Series(
        np.select(
            conditions,
            [
                grade_words + ": Figure 2 suggests vigilant supportive care (symptomatic "
                "treatment only).",
                grade_words + " in a patient " + why_risk + ": Figure 2 suggests considering "
                "tocilizumab ± corticosteroids (immunosuppression instituted earlier).",
                grade_words + " in a patient " + why_risk + ": Figure 2 suggests vigilant "
                "supportive care, monitoring cardiac and other organ function closely.",
                grade_words + " with neurologic dysfunction (" + neuro_words + ") and no "
                "vasopressor, hypotension, ventilation or grade-4 non-neurologic organ "
                "toxicity: consider corticosteroids as first-line immunosuppression "
                "(text accompanying Figure 2; tocilizumab does not cross the blood–brain "
                "barrier).",
                grade_words
                + pd.Series(
                    np.where(
                        neurologic,
                        " with neurologic dysfunction ("
                        + neuro_words
                        + ") but also "
                        + blockers
                        + ", so corticosteroids are not preferred first line",
                        "",
                    ),
                    index=rows.index,
                    dtype="str",
                )
                + ": Figure 2 recommends immunosuppression (tocilizumab ± corticosteroids) "
                "for every grade 3 or 4, with vigilant supportive care.",
            ],
            default=np.where(
                grade.eq(5),
                "Grade 5 (death): Figure 2 has no treatment step.",
                np.where(
                    grade.eq(0),
                    "Grade 0: no CRS finding recorded, so no Figure 2 step applies.",
                    "Grade unknown: no Figure 2 step applies.",
                ),
            ),
        ),
        index=rows.index,
        dtype="str",
    )
    return recommendation, branch


def _risk_clause(rows: pd.DataFrame, high_risk: pd.Series, basis: pd.Series) -> pd.Series:
    """Why a grade-2 patient is or is not high risk, in words (treatment.md §1 [decision])."""
    age = _numeric(rows, "age_years")
    age_words = "aged " + np.floor(age).astype("Int64").astype("str").fillna("?")
    return pd.Series(
        np.select(
            [
                basis.eq("recorded") & high_risk,
                basis.eq("recorded"),
                basis.eq("age ≥ 65"),
                basis.eq("age < 65; comorbidities not recorded"),
            ],
            [
                "recorded as high risk (extensive comorbidities or older age)",
                "recorded as not high risk",
                age_words + ", high risk by older age (≥ 65 years); comorbidities were "
                "not recorded",
                age_words + ", not high risk (only age ≥ 65 counts as older age); "
                "comorbidities were not recorded",
            ],
            default="of unknown age, not counted as high risk; age and comorbidities "
            "were not recorded",
        ),
        index=rows.index,
        dtype="str",
    )


# ---------------------------------------------------------------------------------------
# Alerts (treatment.md §2)
# ---------------------------------------------------------------------------------------


def immunosuppressant_given(rows: pd.DataFrame) -> pd.Series:
    """Whether an immunosuppressant was recorded on the row itself (doses: row only).

    Tocilizumab, methylprednisolone or dexamethasone > 0 mg, or an ``other_immunosuppressant``
    entry other than an explicit "none" (:data:`NO_AGENT_WORDS`).
    """
    given = pd.Series(False, index=rows.index)
    for column in IMMUNOSUPPRESSANT_DOSE_COLUMNS:
        given = given | (_numeric(rows, column) > 0)
    other = _text(rows, "other_immunosuppressant").str.lower()
    return given | ~other.isin(NO_AGENT_WORDS)


def _untreated_severe(rows: pd.DataFrame, patient: pd.Series) -> pd.Series:
    """Grade ≥ 3 with no immunosuppressant since the current run of grade ≥ 3 began.

    Figure 2: "Immunosuppression should be used in all patients with grade 3 or 4 CRS".
    The run is the patient's consecutive rows with grade ≥ 3 up to this one; a dip below 3
    ends it, and the next run starts over (a dose before the run does not count).
    """
    severe = _numeric(rows, "grade") >= 3
    previous_severe = severe.groupby(patient).shift(1, fill_value=False).astype("bool")
    run = (severe & ~previous_severe).astype("int64").groupby(patient).cumsum()
    treated_in_run = (immunosuppressant_given(rows) & severe).astype("int64").groupby(
        [patient, run]
    ).cumsum() > 0
    return severe & ~treated_in_run


def _no_improvement_after_tocilizumab(rows: pd.DataFrame, patient: pd.Series) -> pd.Series:
    """No improvement 24-72 h after the latest tocilizumab dose (treatment.md §2).

    Text accompanying Figure 2: without improvement or stabilisation within 24 h of
    tocilizumab, a second dose and/or a second immunosuppressant should be considered.
    "No improvement" is grade ≥ 2 and not lower than the grade on the dose's row. Any
    immunosuppressant given after the dose (up to and including the row) ends the alert:
    that consideration has been acted on. One given at the same instant as the dose is
    not "after it" [decision].
    """
    instant = rows["instant"]
    grade = _numeric(rows, "grade")
    tocilizumab = _numeric(rows, "tocilizumab_mg") > 0
    dose_instant = instant.where(tocilizumab).groupby(patient).ffill()
    dose_grade = grade.where(tocilizumab).groupby(patient).ffill()
    last_agent_instant = instant.where(immunosuppressant_given(rows)).groupby(patient).ffill()
    since_dose = instant - dose_instant
    return (
        dose_instant.notna()
        & (since_dose >= TOCILIZUMAB_REVIEW_FROM)
        & (since_dose <= TOCILIZUMAB_REVIEW_UNTIL)
        & (last_agent_instant <= dose_instant)
        & (grade >= 2)
        & (grade >= dose_grade)
    )


def _crp_past_peak(rows: pd.DataFrame, patient: pd.Series | None = None) -> pd.Series:
    """CRP has fallen twice in a row (c₁ > c₂ > c₃), recently (treatment.md §2).

    CRP, driven by IL-6, is a practical surrogate of cytokine activity and declining CRP
    suggests the syndrome has peaked (Lee et al. 2014, text on CRP). Consecutive values
    must be within 48 h of each other, and the last within 48 h of the row; the three are
    the patient's most recent ``crp_mg_l`` values at or before the row.

    ``rows`` must be in patient then instant order; ``patient`` is the group key (default:
    ``patient_id``). Returns a boolean Series aligned with ``rows``.
    """
    if patient is None:
        patient = rows["patient_id"].astype("str")
    instant = rows["instant"]
    crp = _numeric(rows, "crp_mg_l")
    measured = crp.notna()

    values = crp[measured]
    times = instant[measured]
    by_patient = patient[measured]
    c1, c2 = values.groupby(by_patient).shift(2), values.groupby(by_patient).shift(1)
    t1, t2 = times.groupby(by_patient).shift(2), times.groupby(by_patient).shift(1)
    falling = (c1 > c2) & (c2 > values) & (t2 - t1 <= CRP_TREND_GAP) & (times - t2 <= CRP_TREND_GAP)

    # Carry the latest triple's verdict and its last instant to the rows after it.
    falling_then = falling.astype("float64").reindex(rows.index).groupby(patient).ffill()
    last_measured = instant.where(measured).groupby(patient).ffill()
    return (falling_then == 1.0) & (instant - last_measured <= CRP_TREND_GAP)
