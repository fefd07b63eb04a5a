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

import operator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crs.scales.explain import factorize_rows

_TABLES = Path(__file__).parents[1] / "tables"

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
#: treatment.md §1: neurologic dysfunction is a carried neurotoxicity grade of 1 or more
#: (the grading criterion ``neurotoxicity`` starts at 2; Figure 2's branch at any grade).
NEUROLOGIC_DYSFUNCTION_GRADE = 1

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
#: treatment.md §2 [v2]: a dose from 24 h before the current run of grade ≥ 3 began
#: counts as treatment (a patient on dexamethasone every 6 h is treated), bound inclusive.
SEVERE_RUN_LOOKBACK = pd.Timedelta(hours=24)
#: treatment.md §2 [v2]: the latest CRP must be at most 75 % of the highest CRP of the
#: 7 days up to and including it (a fall of at least a quarter), bounds inclusive.
CRP_PEAK_WINDOW = pd.Timedelta(days=7)
CRP_FALL_RATIO = 0.75
#: treatment.md §2 [v2]: no ``crp_past_peak`` while the grade is higher than 24 h before.
GRADE_TREND_LOOKBACK = pd.Timedelta(hours=24)
#: treatment.md §2: a grade-5 row (death) gets no alerts at all.
NO_ALERT_GRADE = 5

#: Columns recommend() cannot work without; every other column of the graded frame is
#: read when present and taken as not recorded when absent.
REQUIRED_COLUMNS: tuple[str, ...] = ("patient_id", "instant", "grade")

OUTPUT_COLUMNS: tuple[str, ...] = (
    "recommendation",
    "alerts",
    "branch",
    "high_risk_used",
    "high_risk_basis",
    "after_tocilizumab",
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


def recommend(
    graded: pd.DataFrame,
    *,
    columns: tuple[str, ...] = OUTPUT_COLUMNS,
    categorical: bool = False,
) -> pd.DataFrame:
    """Figure 2 recommendation and alerts for every row of a graded frame.

    Parameters
    ----------
    graded
        The graded frame of docs/architecture.md §2: one row per patient and instant.
        Needs ``patient_id``, ``instant`` and ``grade``; the other columns used
        (``g_vasopressor g_hypotension g_ventilation g_neurotoxicity``, ``organ_*``,
        ``neurotox_used``, ``organ_tox_used``, ``attributed``, ``high_risk``, ``age_years``, the dose columns,
        ``other_immunosuppressant``, ``crp_mg_l``) count as not recorded when absent.
        Rows may come in any order; each patient's rows are read in ``instant`` order.
    columns
        The output columns wanted (default: all of :data:`OUTPUT_COLUMNS`). The command
        line asks only for ``recommendation`` and ``alerts``, the columns it writes, and
        so skips a million branch sentences.
    categorical
        Give the text columns as categoricals (the same texts; each distinct text is held
        once) instead of ``str``: the command line's CSV writer writes them per distinct
        text. Missing values never occur, whichever the dtype.

    Returns
    -------
    DataFrame with the index of ``graded`` and the ``columns`` (in this order):
    ``recommendation`` (one code of treatment.md §1), ``alerts`` (codes of §2, sorted,
    joined by ``;``, "" when none), ``branch`` (one sentence naming the Figure 2 branch
    taken), ``high_risk_used`` (bool), ``high_risk_basis`` (``recorded``, ``age ≥ 65``,
    ``age < 65; comorbidities not recorded`` or ``age and comorbidities not recorded``)
    and ``after_tocilizumab`` (bool: a tocilizumab dose was recorded at or before the row;
    the app then adds to the CRP alert that tocilizumab lowers CRP whatever the course of
    CRS, treatment.md §2 [v2]).

    Assumptions
    -----------
    Uses only each patient's rows at or before the row, so appending later rows never
    changes an earlier row's output.

    Notes
    -----
    The recommendation and its branch sentence depend on the row alone (treatment.md §1),
    so they are decided and worded once per distinct combination of the values that
    decide them and then spread to the rows: a ward has a few hundred combinations, not a
    million sentences. Asked for no words but the recommendation code, the same rule
    (:func:`_recommendation_numbers`) is applied to every row at once instead. The alerts (§2) are whole-column arithmetic over each patient's
    rows in time order (positions carried forward with cumulative maxima, patient starts
    as boundaries), never a loop over rows or patients.
    """
    _check_request(graded, columns)
    spread = _categories if categorical else _spread
    result: dict[str, object] = _recommendation_columns(graded, columns, spread)
    if "alerts" in columns:
        result["alerts"] = spread(ALERT_COMBINATIONS, _alert_codes(graded))
    if "after_tocilizumab" in columns:
        result["after_tocilizumab"] = after_tocilizumab(graded)
    return pd.DataFrame(
        {name: result[name] for name in OUTPUT_COLUMNS if name in columns}, index=graded.index
    )


def _check_request(graded: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """A graded frame with the columns the algorithm needs, and output columns it gives."""
    missing = [name for name in REQUIRED_COLUMNS if name not in graded.columns]
    if missing:
        raise ValueError(
            "The treatment algorithm needs a graded frame with the columns "
            f"{', '.join(REQUIRED_COLUMNS)}; missing: {', '.join(missing)}."
        )
    unknown = [name for name in columns if name not in OUTPUT_COLUMNS]
    if unknown:
        raise ValueError(
            f"recommend() gives {', '.join(OUTPUT_COLUMNS)}; not {', '.join(unknown)}."
        )


def _recommendation_columns(
    graded: pd.DataFrame, columns: tuple[str, ...], spread
) -> dict[str, object]:
    """The recommendation and the columns decided with it (branch, high-risk status and
    basis) among ``columns``: per distinct combination of what decides them, spread to
    the rows; the recommendation code alone, for every row at once."""
    result: dict[str, object] = {}
    if set(columns) - {"alerts", "recommendation"}:
        combos, combo_of_row = _distinct(_determinants(graded))
        high_risk, basis = _high_risk(combos)
        recommendation, branch = _recommendation(combos, high_risk, basis)
        per_combination = {
            "recommendation": recommendation,
            "branch": branch,
            "high_risk_basis": basis,
        }
        for name in set(columns) & set(per_combination):
            result[name] = spread(per_combination[name], combo_of_row)
        result["high_risk_used"] = high_risk.to_numpy(dtype="bool")[combo_of_row]
    elif "recommendation" in columns:
        rows = _determinants(graded)
        high_risk = _high_risk_flags(rows["high_risk"], rows["age_years"])
        numbers = _recommendation_numbers(rows, high_risk)
        result["recommendation"] = spread(RECOMMENDATION_CHOICES, numbers)
    return result


# ---------------------------------------------------------------------------------------
# Column access and spreading per-combination words to rows
# ---------------------------------------------------------------------------------------


def _numeric(rows: pd.DataFrame, name: str) -> pd.Series:
    """A numeric column as float, all missing when the frame lacks it."""
    if name not in rows.columns:
        return pd.Series(np.nan, index=rows.index, dtype="float64")
    column = rows[name]
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.astype("float64")
    return pd.to_numeric(column, errors="coerce").astype("float64")


def _compare(rows: pd.DataFrame, name: str, op, bound: float) -> np.ndarray:
    """``op(_numeric(rows, name), bound)`` as a bool array (e.g. ``operator.gt``, 0).

    A plain integer or float column is compared as it is, without a float copy: for the
    small whole bounds used here the answer is the same.
    """
    column = rows[name] if name in rows.columns else None
    if column is not None and isinstance(column.dtype, np.dtype) and column.dtype.kind in "iuf":
        return op(column.to_numpy(), bound)
    return op(_numeric(rows, name).to_numpy(), bound)


def _text_matches(rows: pd.DataFrame, name: str, matches) -> np.ndarray:
    """``matches`` applied to the stripped text of the recorded cells of ``name``.

    Missing and empty cells (and an absent column) read as "" and are not passed to
    ``matches``, which must be False for "": most rows record no attribution and no other
    immunosuppressant, so the text work is done only where something was written.
    Returns a bool array (False where nothing was written).
    """
    result = np.zeros(len(rows), dtype="bool")
    if name not in rows.columns:
        return result
    column = rows[name]
    recorded = column.notna().to_numpy(dtype="bool")
    if recorded.any() and isinstance(column.dtype, pd.StringDtype):
        # Not "" (lengths are read from the offsets, the text is not compared).
        length = pc.binary_length(pa.array(column, type=pa.large_string(), from_pandas=True))
        recorded = recorded & (pc.fill_null(length, 0).to_numpy(zero_copy_only=False) > 0)
    if recorded.any():
        text = column[recorded].astype("str").str.strip()
        result[recorded] = np.asarray(matches(text), dtype="bool")
    return result


def _has_code(joined: pd.Series, code: str) -> pd.Series:
    """Whether a ``;``-joined code list (e.g. ``attributed``) contains ``code``."""
    return (";" + joined + ";").str.contains(f";{code};", regex=False)


def _number_words(values: pd.Series) -> pd.Series:
    """Numbers as a clinician writes them (2, 2.5), "?" where missing."""
    words = values.round(1).astype("str").str.removesuffix(".0")
    return words.where(values.notna(), "?")


def _distinct(columns: dict[str, np.ndarray]) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct combinations of ``columns`` and, per row, the number of its combination.

    Floats are compared by their exact bits, so two rows share a combination only when
    every deciding value is identical and the words built for one are right for the other.
    """
    keys, widths = [], []
    for values in columns.values():
        if values.dtype == np.bool_:
            keys.append(values.astype("int64"))  # codes 0/1, packed as they are
            widths.append(3)
        else:
            keys.append(np.ascontiguousarray(values, dtype="float64").view("int64"))
            widths.append(None)
    combo, first_row = factorize_rows(keys, widths)
    combos = pd.DataFrame({name: values[first_row] for name, values in columns.items()})
    return combos, combo.astype("intp")


def _spread(words: pd.Series | list[str], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Words per combination, taken for every row (a ``str`` array, one copy of the text)."""
    table = pa.array(list(words), type=pa.large_string())
    return pd.array(table.take(pa.array(codes)), dtype="str")


def _categories(words: pd.Series | list[str], codes: np.ndarray) -> pd.Categorical:
    """:func:`_spread` as a categorical: the distinct words once, a number per row."""
    numbers, distinct = pd.factorize(pd.Series(list(words), dtype="str"))
    return pd.Categorical.from_codes(numbers[codes], categories=distinct, validate=False)


# ---------------------------------------------------------------------------------------
# Recommendation (treatment.md §1)
# ---------------------------------------------------------------------------------------


def _determinants(graded: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per row, the values that decide the recommendation and its branch sentence.

    Neurologic dysfunction (treatment.md §1 [v2]) is a carried neurotoxicity grade ≥ 1
    (``neurotox_used``; the grade of the ``neurotoxicity`` criterion, ``g_neurotoxicity``,
    stands in when only that was recorded) that a clinician has not attributed to another
    cause at that row (``neurotoxicity`` in ``attributed``). Attributing
    ``organ_toxicity`` removes the organ grades from the branch, never the neurologic
    finding: since grading v2 neurotoxicity is its own criterion (grading.md §3.4), so an
    acute kidney injury put down to a drug leaves the encephalopathy in the decision.
    """
    organ_attributed = _text_matches(
        graded, "attributed", lambda text: _has_code(text, "organ_toxicity")
    )
    neuro_attributed = _text_matches(
        graded, "attributed", lambda text: _has_code(text, "neurotoxicity")
    )
    neurotox = _numeric(graded, "neurotox_used").to_numpy()
    criterion = _numeric(graded, "g_neurotoxicity").to_numpy()
    neurotox = np.where(np.isnan(neurotox) & (criterion > 0), criterion, neurotox)
    # A non-neurologic organ grade (CTCAE v4.0) of 4 or more; what was not graded is not.
    organ_grade_4 = np.zeros(len(graded), dtype="bool")
    for name in NON_NEUROLOGIC_ORGAN_COLUMNS:
        organ_grade_4 |= _compare(graded, name, operator.ge, LIFE_THREATENING_ORGAN_GRADE)
    dysfunction = neurotox >= NEUROLOGIC_DYSFUNCTION_GRADE
    determinants = {
        "grade": _numeric(graded, "grade").to_numpy(),
        "high_risk": _numeric(graded, "high_risk").to_numpy(),
        "age_years": _numeric(graded, "age_years").to_numpy(),
        "neurotox_used": neurotox,
        "neurologic": dysfunction & ~neuro_attributed,
        "neurologic_attributed": dysfunction & neuro_attributed,
        "organ_grade_4": organ_grade_4 & ~organ_attributed,
    }
    for column in HEMODYNAMIC_CRITERIA:
        determinants[column] = _compare(graded, column, operator.gt, 0)
    return determinants


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
    high_risk = pd.Series(_high_risk_flags(recorded.to_numpy(), age.to_numpy()), index=rows.index)
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


def _high_risk_flags(recorded: np.ndarray, age: np.ndarray) -> np.ndarray:
    """High risk (bool per row) from the recorded ``high_risk`` and the age (float arrays):
    the recorded value wins, else age ≥ 65 (:func:`_high_risk`)."""
    return np.where(~np.isnan(recorded), recorded > 0, age >= HIGH_RISK_AGE_YEARS)


def _neurologic_branch(rows: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Inputs of the corticosteroid-first branch (text accompanying Figure 2).

    ``rows`` holds the :func:`_determinants`. Returns ``neurologic`` (carried
    neurotoxicity grade ≥ 1), ``blocked`` (a hemodynamic criterion met or a grade-4
    non-neurologic organ toxicity) and ``blockers`` (the plain words for what blocked it,
    ``", "``-joined).
    """
    neurologic = rows["neurologic"].astype("bool")
    organ_grade_4 = rows["organ_grade_4"].astype("bool")
    blockers = pd.Series("", index=rows.index, dtype="str")
    blocked = pd.Series(_blocked(rows), index=rows.index)
    for column, words in HEMODYNAMIC_CRITERIA.items():
        met = rows[column].astype("bool")
        blockers = blockers + np.where(met, words + ", ", "")
    blockers = blockers + np.where(organ_grade_4, "a grade-4 non-neurologic organ toxicity, ", "")
    return neurologic, blocked, blockers.str.removesuffix(", ")


def _blocked(rows: pd.DataFrame | dict[str, np.ndarray]) -> np.ndarray:
    """Whether the corticosteroid-first branch is ruled out (bool per row of the
    :func:`_determinants`): a hemodynamic criterion met or a grade-4 organ toxicity."""
    blocked = np.asarray(rows["organ_grade_4"], dtype="bool")
    for column in HEMODYNAMIC_CRITERIA:
        blocked = blocked | np.asarray(rows[column], dtype="bool")
    return blocked


#: The recommendation codes of the Figure 2 branches (:func:`_branch_conditions`), in
#: order, then the code when none applies.
RECOMMENDATION_CHOICES: tuple[str, ...] = (
    "supportive_care",
    "consider_immunosuppression",
    "supportive_care",
    "corticosteroids_preferred",
    "immunosuppression",
    "none",
)


def _branch_conditions(
    grade: np.ndarray, high_risk: np.ndarray, neurologic: np.ndarray, blocked: np.ndarray
) -> list[np.ndarray]:
    """Per row, whether each Figure 2 branch applies (treatment.md §1); the first that
    does is taken: grade 1; grade 2 and high risk; grade 2; grade 3-4 with neurologic
    dysfunction and nothing that blocks corticosteroids first; grade 3-4."""
    severe = (grade == 3) | (grade == 4)
    return [
        grade == 1,
        (grade == 2) & high_risk,
        grade == 2,
        severe & neurologic & ~blocked,
        severe,
    ]


def _recommendation_numbers(rows: dict[str, np.ndarray], high_risk: np.ndarray) -> np.ndarray:
    """Per row of the :func:`_determinants`, the number of its recommendation code in
    :data:`RECOMMENDATION_CHOICES` (the rule :func:`_recommendation` words)."""
    conditions = _branch_conditions(
        np.asarray(rows["grade"], dtype="float64"),
        np.asarray(high_risk, dtype="bool"),
        np.asarray(rows["neurologic"], dtype="bool"),
        _blocked(rows),
    )
    numbers = np.full(len(conditions[0]), len(conditions), dtype="intp")
    for number in reversed(range(len(conditions))):  # the first branch that applies wins
        numbers[conditions[number]] = number
    return numbers


def _recommendation(
    rows: pd.DataFrame, high_risk: pd.Series, basis: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """The recommendation code and branch sentence per row (treatment.md §1)."""
    grade = _numeric(rows, "grade")
    neurologic, blocked, blockers = _neurologic_branch(rows)
    neurotox = _numeric(rows, "neurotox_used")

    numbers = _recommendation_numbers(rows, high_risk.to_numpy(dtype="bool"))
    conditions = [numbers == i for i in range(len(RECOMMENDATION_CHOICES) - 1)]
    recommendation = pd.Series(
        np.asarray(RECOMMENDATION_CHOICES, dtype=object)[numbers], index=rows.index, dtype="str"
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
                + pd.Series(
                    np.where(
                        rows["neurologic_attributed"].astype("bool"),
                        " (" + neuro_words + " attributed to another cause, so not counted "
                        "as neurologic dysfunction of CRS)",
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

#: The ``alerts`` text for every combination of alerts: combination number ``k`` holds the
#: code ``ALERT_CODES[i]`` when bit ``i`` of ``k`` is set (codes sorted, joined by ``;``).
ALERT_COMBINATIONS: tuple[str, ...] = tuple(
    ";".join(code for i, code in enumerate(ALERT_CODES) if k >> i & 1)
    for k in range(2 ** len(ALERT_CODES))
)


def immunosuppressant_given(rows: pd.DataFrame) -> pd.Series:
    """Whether an immunosuppressant was recorded on the row itself (doses: row only).

    Tocilizumab, methylprednisolone or dexamethasone > 0 mg, or an ``other_immunosuppressant``
    entry other than an explicit "none" (:data:`NO_AGENT_WORDS`).
    """
    given = _text_matches(
        rows, "other_immunosuppressant", lambda text: ~text.str.lower().isin(NO_AGENT_WORDS)
    )
    for column in IMMUNOSUPPRESSANT_DOSE_COLUMNS:
        given = given | _compare(rows, column, operator.gt, 0)
    return pd.Series(given, index=rows.index)


class _PatientTime:
    """The graded rows by patient (first appearance) then instant, as whole-column arrays.

    ``order`` lists the input positions in that order (a stable sort: rows sharing an
    instant keep their input order; a missing instant sorts last), or is None when the
    rows already come so, as the grader's do. ``patient`` is each ordered row's patient
    number (ascending), ``start`` the position of its patient's first row: a value carried
    forward from before it belongs to another patient.
    """

    def __init__(self, graded: pd.DataFrame) -> None:
        patient = pd.factorize(graded["patient_id"].astype("str"), use_na_sentinel=False)[0]
        instant = pd.to_datetime(graded["instant"])
        if isinstance(instant.dtype, pd.DatetimeTZDtype):
            instant = instant.dt.tz_convert(None)
        instant = instant.to_numpy().astype("datetime64[us]")
        self.missing_instant = np.isnat(instant)
        key = instant.view("int64").copy()
        key[self.missing_instant] = np.iinfo("int64").max
        same_patient = patient[1:] == patient[:-1]
        in_order = bool(np.all(patient[1:] >= patient[:-1])) and bool(
            np.all(~same_patient | (key[1:] >= key[:-1]))
        )
        self.order: np.ndarray | None = None if in_order else np.lexsort((key, patient))
        if self.order is not None:
            patient = patient[self.order]
            instant = instant[self.order]
            self.missing_instant = self.missing_instant[self.order]
            same_patient = patient[1:] == patient[:-1]
        self.patient = patient
        self.instant = instant
        self.position = np.arange(len(patient))
        first_row = np.concatenate(([True], ~same_patient)) if len(patient) else np.zeros(0, bool)
        self.start = np.maximum.accumulate(np.where(first_row, self.position, 0))

    def ordered(self, values: np.ndarray | pd.Series) -> np.ndarray:
        """Input-order values in patient-time order."""
        values = np.asarray(values)
        return values if self.order is None else values[self.order]

    def to_input_order(self, values: np.ndarray) -> np.ndarray:
        """Patient-time-order values back in input order."""
        if self.order is None:
            return values
        result = np.empty_like(values)
        result[self.order] = values
        return result

    def latest(self, where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per row, the position of the patient's latest row at or before it where
        ``where`` holds (a forward fill), and whether there is one."""
        latest = np.maximum.accumulate(np.where(where, self.position, -1))
        found = latest >= self.start
        return np.where(found, latest, 0), found

    def latest_instant(self, where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The instant of :meth:`latest` (rows without an instant are skipped)."""
        latest, found = self.latest(where & ~self.missing_instant)
        return self.instant[latest], found


def _patient_searchsorted(
    patient: np.ndarray,
    instant: np.ndarray,
    query_patient: np.ndarray,
    query_instant: np.ndarray,
    side: str,
) -> np.ndarray:
    """``np.searchsorted`` of (patient, instant) pairs in rows sorted by patient then
    instant (a missing instant last within its patient).

    With ``side="left"`` the answer is the first row of the query's patient at or after
    the query instant; with ``"right"`` one past the last row at or before it. Each query
    is searched for within its own patient's rows only: a binary search run on every
    query at once, halving all their ranges per step, so the instants are never ranked
    or made into one key across patients (ranking every instant with ``np.unique`` cost
    most of the alerts' time on real charting, issue #17) and no date can overflow.
    """
    low = np.searchsorted(patient, query_patient, side="left")
    high = np.searchsorted(patient, query_patient, side="right")
    keys, wanted = _instant_keys(instant), _instant_keys(query_instant)
    open_ = np.flatnonzero(low < high)
    while len(open_):
        middle = (low[open_] + high[open_]) // 2
        seen, sought = keys[middle], wanted[open_]
        before = seen < sought if side == "left" else seen <= sought
        low[open_] = np.where(before, middle + 1, low[open_])
        high[open_] = np.where(before, high[open_], middle)
        open_ = open_[low[open_] < high[open_]]
    return low


def _instant_keys(instants: np.ndarray) -> np.ndarray:
    """Instants as integers in the order of :class:`_PatientTime` (a missing one last)."""
    keys = instants.astype("datetime64[us]").view("int64").copy()
    keys[np.isnat(instants)] = np.iinfo("int64").max
    return keys


def after_tocilizumab(graded: pd.DataFrame) -> np.ndarray:
    """Per row (input order), whether a tocilizumab dose was recorded for the patient at or
    before the row (bool array).

    After tocilizumab, a falling CRP no longer shows the course of CRS: CRP is made
    "largely in response to IL-6" (Lee et al. 2014) and tocilizumab blocks the IL-6
    receptor, so the app says so with the CRP alert and caveat (treatment.md §2 [v2]).
    """
    if graded.empty:
        return np.zeros(0, dtype="bool")
    rows = _PatientTime(graded)
    _, dosed = rows.latest(rows.ordered(_compare(graded, "tocilizumab_mg", operator.gt, 0)))
    return rows.to_input_order(dosed)


def _alert_codes(graded: pd.DataFrame) -> np.ndarray:
    """Per row (input order), the combination number of its alerts (:data:`ALERT_COMBINATIONS`)."""
    if graded.empty:
        return np.zeros(0, dtype="intp")
    rows = _PatientTime(graded)
    grade = rows.ordered(_numeric(graded, "grade").to_numpy())
    given = rows.ordered(immunosuppressant_given(graded).to_numpy())
    flags = {
        "crp_past_peak": _crp_past_peak(rows, rows.ordered(_numeric(graded, "crp_mg_l")), grade),
        "no_improvement_after_tocilizumab": _no_improvement_after_tocilizumab(
            rows, grade, given, rows.ordered(_compare(graded, "tocilizumab_mg", operator.gt, 0))
        ),
        "untreated_severe": _untreated_severe(rows, grade, given),
    }
    alive = grade != NO_ALERT_GRADE  # treatment.md §2: grade 5 gets no alerts
    combination = np.zeros(len(grade), dtype="intp")
    for bit, code in enumerate(ALERT_CODES):
        combination |= (flags[code] & alive).astype("intp") << bit
    return rows.to_input_order(combination)


def _untreated_severe(rows: _PatientTime, grade: np.ndarray, given: np.ndarray) -> np.ndarray:
    """Grade 3 or 4 with no immunosuppressant from 24 h before the current run of grade ≥ 3
    began up to the row (treatment.md §2 [v2]).

    Figure 2: "Immunosuppression should be used in all patients with grade 3 or 4 CRS".
    The run is the patient's consecutive rows with grade ≥ 3 up to this one; a dip below 3
    ends it. A dose given up to 24 h before the run's first row counts (inclusive): a
    patient on dexamethasone every 6 h, or given tocilizumab at grade 2 shortly before
    worsening, is treated. The latest dose at or before the row is the one to check: if
    any dose lies in the window, the latest does. A dose inside the run (by position)
    counts even when instants are missing.
    """
    severe = grade >= 3
    previous_severe = np.concatenate(([False], severe[:-1])) & (rows.start < rows.position)
    run_start, _ = rows.latest(severe & ~previous_severe)
    # Doses given on severe rows so far, counted from the run's first row to this one.
    treated_so_far = np.concatenate(([0], np.cumsum(given & severe)))
    treated_in_run = treated_so_far[rows.position + 1] - treated_so_far[run_start] > 0
    last_dose, dosed = rows.latest_instant(given)
    window_opens = rows.instant[run_start] - SEVERE_RUN_LOOKBACK.to_timedelta64()
    treated_before_run = dosed & (last_dose >= window_opens)  # False where an instant is NaT
    return ((grade == 3) | (grade == 4)) & ~treated_in_run & ~treated_before_run


def _no_improvement_after_tocilizumab(
    rows: _PatientTime, grade: np.ndarray, given: np.ndarray, tocilizumab: np.ndarray
) -> np.ndarray:
    """No improvement 24-72 h after the latest tocilizumab dose (treatment.md §2).

    Text accompanying Figure 2: without improvement or stabilisation within 24 h of
    tocilizumab, a second dose and/or a second immunosuppressant should be considered.
    "No improvement" is grade ≥ 2 and not lower than the grade on the dose's row. Any
    immunosuppressant given after the dose (up to and including the row) ends the alert:
    that consideration has been acted on. One given at the same instant as the dose is
    not "after it" [decision].
    """
    dose_instant, dosed = rows.latest_instant(tocilizumab)
    dose_row, graded_dose = rows.latest(tocilizumab & ~np.isnan(grade))
    last_agent_instant, any_agent = rows.latest_instant(given)
    since_dose = rows.instant - dose_instant
    return (
        dosed
        & ~rows.missing_instant
        & (since_dose >= TOCILIZUMAB_REVIEW_FROM.to_timedelta64())
        & (since_dose <= TOCILIZUMAB_REVIEW_UNTIL.to_timedelta64())
        & any_agent
        & (last_agent_instant <= dose_instant)
        & (grade >= 2)
        & graded_dose
        & (grade >= grade[dose_row])
    )


def _crp_past_peak(rows: _PatientTime, crp: np.ndarray, grade: np.ndarray) -> np.ndarray:
    """CRP has fallen twice in a row, by at least a quarter, and the patient is not
    worsening (treatment.md §2 [v2]).

    CRP, driven by IL-6, is a practical surrogate of cytokine activity and declining CRP
    "may be useful to identify the peak of the syndrome" (Lee et al. 2014, text on CRP).
    A row gets the alert when

    - its patient's three most recent CRP values at or before it fell twice (c₁ > c₂ > c₃),
      each measured within 48 h of the next, the last within 48 h of the row;
    - c₃ is at most 75 % of the highest CRP measured in the 7 days up to and including c₃
      [decision: the 7 days are counted back from the latest CRP, so the verdict belongs
      to that measurement and does not drift as later rows without CRP arrive];
    - the row's grade is not higher than the grade 24 h before it: the grade of the
      patient's latest row at or before that moment, or, when the record began less than
      24 h ago, the grade of the patient's first row [decision].
    """
    measured = ~np.isnan(crp)
    at = np.flatnonzero(measured)
    values, times = crp[at], rows.instant[at]
    falling = _falling_by_a_quarter(rows, at, values, times)
    # Carry the latest triple's verdict and its last instant to the rows after it.
    verdict = np.zeros(len(crp), dtype="bool")
    verdict[at] = falling
    latest, found = rows.latest(measured)
    last_measured, timed_found = rows.latest_instant(measured)
    candidate = (
        found
        & verdict[latest]
        & timed_found
        & ~rows.missing_instant
        & (rows.instant - last_measured <= CRP_TREND_GAP.to_timedelta64())
    )
    return candidate & _not_worse_than_a_day_ago(rows, grade, candidate)


def _falling_by_a_quarter(
    rows: _PatientTime, at: np.ndarray, values: np.ndarray, times: np.ndarray
) -> np.ndarray:
    """Per measured CRP (positions ``at``), whether it ends a triple c₁ > c₂ > c₃ with gaps
    of at most 48 h and is at most 75 % of the highest CRP of the 7 days up to it."""
    falling = np.zeros(len(at), dtype="bool")
    if len(at) < 3:
        return falling
    timed = ~np.isnat(times)
    gap = CRP_TREND_GAP.to_timedelta64()
    # c1, c2, c3: this patient's three latest values, the last one on this row.
    falling[2:] = (
        (rows.start[at][2:] <= at[:-2])
        & (values[:-2] > values[1:-1])
        & (values[1:-1] > values[2:])
        & timed[:-2]
        & timed[1:-1]
        & timed[2:]
        & (times[1:-1] - times[:-2] <= gap)
        & (times[2:] - times[1:-1] <= gap)
    )
    last = np.flatnonzero(falling)
    if not len(last):
        return falling
    # The highest CRP from 7 days before c3 to c3 (c1 and c2 lie inside: 96 h at most).
    first = _patient_searchsorted(
        rows.patient[at],
        times,
        rows.patient[at][last],
        times[last] - CRP_PEAK_WINDOW.to_timedelta64(),
        side="left",
    )
    bounds = np.empty(2 * len(last), dtype="intp")
    bounds[0::2], bounds[1::2] = first, last + 1
    padded = np.append(values, -np.inf)  # reduceat needs every bound inside the array
    highest = np.maximum.reduceat(padded, bounds)[0::2]
    falling[last] = values[last] <= CRP_FALL_RATIO * highest
    return falling


def _not_worse_than_a_day_ago(
    rows: _PatientTime, grade: np.ndarray, asked: np.ndarray
) -> np.ndarray:
    """Per row where ``asked``, whether its grade is not higher than the grade 24 h before
    it (:func:`_crp_past_peak`); False elsewhere."""
    result = np.zeros(len(grade), dtype="bool")
    where = np.flatnonzero(asked)
    if not len(where):
        return result
    then = _patient_searchsorted(
        rows.patient,
        rows.instant,
        rows.patient[where],
        rows.instant[where] - GRADE_TREND_LOOKBACK.to_timedelta64(),
        side="right",
    )
    # One past the latest row at or before then; before the first row, the first row.
    earlier = np.maximum(then - 1, rows.start[where])
    result[where] = grade[where] <= grade[earlier]
    return result
