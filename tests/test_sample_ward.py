"""The bundled sample ward (data/sample_ward*.csv) is a live ward at one ward round, its
records consistent and graded as each scenario intends (data/README.md tells every
patient's story, peak grade and state at the round).

Read through the real reader (crs.read.reader.read_export) and grader (crs.scales.grading.grade); the
state at the ward round is checked against tests/cases/sample_ward_round.csv, one row per
patient, written from each scenario's clinical story.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from crs.read.reader import Export, read_export
from crs.scales.attribution import read_attributions
from crs.scales.grading import grade
from crs.treatment.treatment import annotate, recommend
from crs.views.census import census

DATA = Path(__file__).resolve().parents[1] / "data"
WIDE = DATA / "sample_ward.csv"
LONG = DATA / "sample_ward_long.csv"
PATIENTS = DATA / "sample_ward_patients.csv"
ROUND_CASES = Path(__file__).resolve().parent / "cases" / "sample_ward_round.csv"

#: The ward-round morning every record of the sample ward stops at (data/README.md).
WARD_ROUND = pd.Timestamp("2024-09-16T08:00:00")

#: The peak grade each scenario is written to reach, with the clinical reason
#: (data/README.md): a clinician's expectation, not a copy of the grader's output.
EXPECTED_PEAK = {
    "CASE1": 1,  # fever with rigors, stable (paper Case 1)
    "CASE2": 3,  # dopamine + norepinephrine: multiple vasopressors (paper Case 2)
    "CASE3": 3,  # dopamine + norepinephrine (paper Case 3)
    "FIG3": 3,  # norepinephrine 22 μg/min for ≥ 3 h (Figure 3, Table 3)
    "P001": 0,  # 37.8 °C never reaches 38.0 °C
    "P002": 2,  # hypotension responsive to fluids, 2 L/min oxygen
    "P003": 2,  # toddler: SBP 68 < 74 (PALS), fluids only
    "P004": 2,  # infant: SBP 64 < 70, one low-dose vasopressor, low-flow oxygen
    "P005": 3,  # FiO2 45 % (no vasopressor) with encephalopathy
    "P006": 3,  # norepinephrine 0.25 μg/kg/min × 92 kg = 23 μg/min for ≥ 3 h
    "P007": 4,  # mechanical ventilation after a seizure
    "P008": 5,  # death
    "P009": 1,  # fever with rigors and myalgia
    "P010": 2,  # fever and 2 L/min oxygen
    "P011": 0,  # infused yesterday afternoon, no CRS yet
    "P012": 3,  # 8 L/min by nasal cannula overnight: more than 6 L/min is high flow
    "P013": 3,  # creatinine 3.3 × baseline (CTCAE 3) and an entered neurotoxicity grade 3
    "P014": 2,  # nasal cannula 3 L/min, then HFNC at FiO2 35 % (< 40 %): Lee 2 (ASTCT 3)
    "P015": 1,  # fever days 1-3; the ICANS of days 4-6 is not a Lee criterion
    "P016": 2,  # AST 4 × ULN (CTCAE 2) without fever (ASTCT 0)
}

#: Cells planted in P010's record for the data-quality report: (column, raw, kind).
PLANTED = (
    ("crp_mg_l", "<5", "comparator"),
    ("temp_c", "38,4", None),  # decimal comma: read as 38.4 and reported
    ("ferritin_ng_ml", "1,480", None),  # thousands separator: read as 1480 and reported
    ("temp_c", "85", "impossible"),
    ("sbp_mmhg", "1O8", "unparseable"),
)


@cache
def _export(layout: str, with_patients: bool = True) -> Export:
    source = WIDE if layout == "wide" else LONG
    return read_export(source, patients=PATIENTS if with_patients else None)


@cache
def _graded(layout: str, with_patients: bool = True) -> pd.DataFrame:
    return grade(_export(layout, with_patients).frame)


def graded(layout: str = "wide", with_patients: bool = True) -> pd.DataFrame:
    return _graded(layout, with_patients).copy()


def peaks(frame: pd.DataFrame) -> dict[str, int]:
    return {
        pid: int(g) for pid, g in frame.groupby("patient_id", sort=False)["grade"].max().items()
    }


def line_of(path: Path, patient_id: str, raw: str, column: str | None = None) -> int:
    """The file line (header = 1) of the first cell of ``patient_id`` reading ``raw``."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        for line, row in enumerate(reader, start=2):
            cells = dict(zip(header, row, strict=True))
            if cells["patient_id"] != patient_id:
                continue
            if column is None and raw in row:
                return line
            if column is not None and cells.get(column) == raw:
                return line
    raise AssertionError(f"{raw!r} not found in {path.name}")


# --- who is on the ward -------------------------------------------------------------


def test_the_ward_holds_the_paper_cases_and_at_least_eight_more_patients():
    ids = set(graded()["patient_id"])
    assert {"CASE1", "CASE2", "CASE3", "FIG3"} <= ids
    assert len(ids) >= 12


def test_every_grade_from_0_to_5_is_some_patients_peak():
    assert set(peaks(graded()).values()) == {0, 1, 2, 3, 4, 5}


def test_each_patient_peaks_at_the_grade_its_scenario_describes():
    assert peaks(graded()) == EXPECTED_PEAK


def test_adults_and_children_including_a_toddler_and_an_infant_are_on_the_ward():
    ages = graded().groupby("patient_id")["age_years"].first()
    assert (ages >= 18).any()
    assert (ages >= 65).any()
    assert ((ages >= 10) & (ages < 18)).any()
    assert ((ages >= 1) & (ages < 10)).any(), "a toddler (PALS 70 + 2 × age band)"
    assert (ages < 1).any(), "an infant (PALS < 1 year band)"


def test_the_ward_has_car_t_bispecific_antibody_and_ctl_patients():
    therapies = set(graded().groupby("patient_id")["therapy"].first())
    assert {"CAR T", "bispecific antibody", "CTL"} <= therapies


def test_each_record_spans_at_most_21_days_and_synthetic_ones_start_before_infusion():
    frame = graded()
    by_patient = frame.groupby("patient_id")
    span = by_patient["instant"].agg(lambda s: (s.max() - s.min()).days)
    assert span.le(21).all(), span.to_dict()
    # A pre-infusion baseline for every invented patient (creatinine and cytokine fold
    # changes need one); case 2's record starts on day 8, as the paper tells it.
    first_day = by_patient["day"].min()
    synthetic = first_day[first_day.index.str.startswith("P")]
    assert len(synthetic) >= 8
    assert (synthetic <= 0).all(), synthetic.to_dict()


# --- the ward round: one common "now" ----------------------------------------------


def round_cases() -> pd.DataFrame:
    return pd.read_csv(ROUND_CASES, dtype=str, keep_default_na=False)


def ward_round() -> pd.DataFrame:
    """The census of the sample ward (crs.views.census), indexed by patient."""
    return census(annotate(graded())).set_index("patient_id")


def test_the_round_case_table_names_every_patient_on_the_ward_once():
    cases = round_cases()
    assert cases["patient_id"].is_unique
    assert set(cases["patient_id"]) == set(graded()["patient_id"])


def test_nothing_is_charted_after_the_ward_round():
    assert graded()["instant"].max() == WARD_ROUND


def test_every_living_patient_is_seen_at_the_ward_round_and_the_deceased_at_her_death():
    frame = graded()
    latest = frame.groupby("patient_id", sort=False).tail(1).set_index("patient_id")
    expected = round_cases().set_index("patient_id")["latest_time"].map(pd.Timestamp)
    pd.testing.assert_series_equal(
        latest["instant"].sort_index(), expected.sort_index(), check_names=False
    )
    died = latest[latest["grade"] == 5]
    assert list(died.index) == ["P008"]
    # She died during the night before the round, not days before it.
    assert WARD_ROUND - pd.Timedelta(hours=12) <= died["instant"].iloc[0] < WARD_ROUND


@pytest.mark.parametrize("case", round_cases().to_dict("records"), ids=lambda c: c["case"])
def test_each_patient_is_at_the_stage_of_their_scenario_at_the_ward_round(case):
    row = ward_round().loc[case["patient_id"]]
    seen = {
        "grade": int(row["grade"]),
        "highest_grade": int(row["highest_grade"]),
        "drivers": row["drivers"],
        "recommendation": row["recommendation"],
        "alerts": row["alerts"],
        "trend_24h": row["trend_24h"],
    }
    expected = {
        "grade": int(case["expected_grade"]),
        "highest_grade": int(case["expected_highest_grade"]),
        "drivers": case["expected_drivers"],
        "recommendation": case["expected_recommendation"],
        "alerts": case["expected_alerts"],
        "trend_24h": case["expected_trend_24h"],
    }
    assert seen == expected, case["note"]


def test_the_ward_round_falls_on_the_calendar_day_each_scenario_is_written_for():
    frame = graded()
    latest = frame.groupby("patient_id", sort=False).tail(1).set_index("patient_id")
    day = (latest["time"].dt.normalize() - latest["infusion_time"].dt.normalize()).dt.days
    expected = round_cases().set_index("patient_id")["calendar_day"].astype("int64")
    pd.testing.assert_series_equal(day.sort_index(), expected.sort_index(), check_names=False)


def test_the_ward_round_has_a_patient_at_every_current_grade_and_something_to_act_on():
    table = ward_round()
    assert set(table["grade"]) == {0, 1, 2, 3, 4, 5}
    assert {"worse", "same", "better"} <= set(table["trend_24h"])
    # Recovered (grade 0 now after grade ≥ 3) and not yet started (never above 0).
    assert ((table["grade"] == 0) & (table["highest_grade"] >= 3)).any()
    assert ((table["highest_grade"] == 0) & (table["day"] < 1)).any(), "a fresh infusion"
    alerts = table["alerts"].str.split(";")
    for code in ("untreated_severe", "no_improvement_after_tocilizumab", "crp_past_peak"):
        assert alerts.map(lambda codes, c=code: c in codes).any(), code
    steps = set(table["recommendation"])
    assert {
        "supportive_care",
        "consider_immunosuppression",
        "immunosuppression",
        "corticosteroids_preferred",
    } <= steps


def test_the_untreated_grade_3_patient_has_had_no_immunosuppressant_at_all():
    # untreated_severe on a patient who truly got nothing (not one treated earlier).
    table = ward_round()
    untreated = table.index[table["alerts"].str.contains("untreated_severe")]
    assert list(untreated) == ["P006"]
    frame = graded()
    rows = frame[frame["patient_id"] == "P006"]
    given = rows[["tocilizumab_mg", "methylprednisolone_mg", "dexamethasone_mg"]].fillna(0)
    assert (given == 0).all().all()
    assert rows["other_immunosuppressant"].isna().all()


# --- layouts and the patients table ---------------------------------------------------


def test_wide_and_long_layouts_give_the_same_grade_per_patient_and_instant():
    columns = ["patient_id", "instant", "grade", "drivers"]
    wide = graded("wide")[columns].reset_index(drop=True)
    long = graded("long")[columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(wide, long)


def test_the_patients_table_gives_every_patient_an_age_weight_and_infusion_time():
    frame = _export("wide").frame
    assert frame["age_years"].notna().all()
    assert frame["weight_kg"].notna().all()
    assert frame["infusion_time"].notna().all()
    assert frame["day"].notna().all()


def test_high_risk_is_left_unrecorded_for_the_71_year_old():
    frame = _export("wide").frame
    p002 = frame[frame["patient_id"] == "P002"]
    assert p002["age_years"].iloc[0] == 71
    assert p002["high_risk"].isna().all()


def test_the_weight_from_the_patients_table_turns_a_per_kg_rate_into_a_high_dose():
    with_weight = graded()
    without_weight = graded(with_patients=False)
    p006 = with_weight[with_weight["patient_id"] == "P006"]
    p006_no_weight = without_weight[without_weight["patient_id"] == "P006"]
    # 0.25 μg/kg/min × 92 kg = 23 μg/min, held ≥ 3 h: Table 3 high dose, grade 3.
    assert p006["grade"].max() == 3
    assert p006["ne_eq_ug_min"].max() == pytest.approx(23.0)
    # Without the weight the dose is unknown, never high dose: one vasopressor, grade 2,
    # and (grading.md §4, version 2) the grade is a lower bound wherever it runs.
    assert p006_no_weight["grade"].max() == 2
    assert p006_no_weight["dose_unknown"].any()
    unknown = p006_no_weight["unknown"].str.split(";")
    lower_bound = unknown.map(lambda codes: "vasopressor_dose" in codes)
    assert lower_bound.equals(p006_no_weight["dose_unknown"])
    assert not p006["unknown"].str.contains("vasopressor_dose").any()
    latest = p006_no_weight.iloc[-1]
    assert "not known: vasopressor dose (μg/kg/min without a weight)" in latest["explanation"]


# --- scenarios the dashboard and the treatment algorithm rely on --------------------


def test_a_grade_3_patient_with_neurotoxicity_and_no_vasopressor_gets_corticosteroids_preferred():
    frame = graded()
    p005 = frame[frame["patient_id"] == "P005"]
    assert (p005["n_vasopressors"] == 0).all()
    assert (p005["g_hypotension"] == 0).all()
    severe = p005[p005["grade"] == 3]
    assert has_any(severe["drivers"], "oxygen")
    assert (severe["neurotox_used"] >= 1).any()
    advice = recommend(p005)
    assert (advice.loc[severe.index, "recommendation"] == "corticosteroids_preferred").any()


def test_the_older_adult_without_recorded_risk_is_offered_immunosuppression_at_grade_2():
    frame = graded()
    p002 = frame[frame["patient_id"] == "P002"]
    advice = recommend(p002)
    at_grade_2 = advice.loc[p002.index[p002["grade"] == 2], "recommendation"]
    assert not at_grade_2.empty
    assert (at_grade_2 == "consider_immunosuppression").all()


def test_neurotoxicity_follows_tocilizumab_in_p007():
    frame = graded()
    p007 = frame[frame["patient_id"] == "P007"]
    toci = p007.loc[p007["tocilizumab_mg"] > 0, "instant"].min()
    neuro = p007[p007["neurotox_grade"] >= 1]
    assert neuro["instant"].min() > toci
    assert neuro["neurotox_grade"].max() == 4
    ice_after = p007.loc[p007["instant"] > toci, "ice_score"].dropna()
    assert ice_after.min() == 0
    assert p007.loc[p007["instant"] < toci, "ice_score"].dropna().eq(10).all()


def test_p012_on_nasal_cannula_is_graded_by_flow_not_by_the_fio2_estimate():
    # grading.md §3.3 (version 2): up to 6 L/min is low-flow oxygen (grade 2) whatever
    # 21 + 4 × flow says; above 6 L/min is high flow (grade 3).
    frame = graded()
    p012 = frame[(frame["patient_id"] == "P012") & (frame["oxygen_basis"] == "flow")]
    flows = p012["fio2_used"].sub(21).div(4).round(1)  # the flow behind each estimate
    assert set(flows) == {4.0, 8.0, 5.0}
    assert (p012.loc[flows == 4.0, "g_oxygen"] == 2).all()
    assert (p012.loc[flows == 8.0, "g_oxygen"] == 3).all()
    five = p012[flows == 5.0]
    assert (five["g_oxygen"] == 2).all()
    assert (five["fio2_used"] == 41.0).all(), "the estimate is shown, not graded"
    assert (
        five["explanation"]
        .iloc[-1]
        .startswith("Grade 2: nasal cannula 5 L/min (low-flow oxygen, grade 2; FiO2 ≈ 41 %)")
    )


def test_attributing_p013s_kidney_injury_to_vancomycin_keeps_his_encephalopathy():
    export = _export("wide")
    attributions = read_attributions(DATA / "sample_ward_attributions.csv", export.axis)
    assert attributions["criterion"].tolist() == ["organ_toxicity"]
    plain = graded()
    judged = grade(export.frame, attributions)
    before = plain[plain["patient_id"] == "P013"]
    after = judged[judged["patient_id"] == "P013"]
    # The other patients are untouched.
    others = plain["patient_id"] != "P013"
    pd.testing.assert_series_equal(plain.loc[others, "grade"], judged.loc[others, "grade"])
    # At the round: still grade 3, by the encephalopathy alone.
    assert before["drivers"].iloc[-1] == "neurotoxicity;organ_toxicity"
    assert after["grade"].iloc[-1] == 3
    assert after["drivers"].iloc[-1] == "neurotoxicity"
    assert after["attributed"].iloc[-1] == "organ_toxicity"
    # Before the encephalopathy, the kidney injury alone had made him grade 2-3: with it
    # attributed he is grade 1 (fever), and never below what fever gives.
    kidney_only = (before["g_organ_toxicity"] >= 2) & (before["g_neurotoxicity"] == 0)
    assert kidney_only.any()
    assert (after.loc[kidney_only, "grade"] == 1).all()


def test_fig3_and_p006_hold_high_dose_norepinephrine_for_3_hours():
    frame = graded()
    for patient_id in ("FIG3", "P006"):
        rows = frame[frame["patient_id"] == patient_id]
        assert rows["high_dose_hours"].max() >= 3, patient_id


def test_the_grade_5_patient_dies_on_her_last_row():
    frame = graded()
    p008 = frame[frame["patient_id"] == "P008"]
    assert p008["grade"].iloc[-1] == 5
    assert (p008["grade"].iloc[:-1] < 5).all()


# --- the data-quality report ----------------------------------------------------------


@pytest.mark.parametrize("layout", ["wide", "long"])
def test_the_data_quality_report_balances(layout: str):
    report = _export(layout).report
    assert report.balanced
    assert report.rows_read == report.rows_graded + report.rows_merged + report.rows_not_graded
    assert report.rows_not_graded >= 1, "P010's row whose time was not recorded"
    assert report.rows_merged >= 1


@pytest.mark.parametrize(("column", "raw", "kind"), PLANTED)
def test_the_wide_report_lists_each_planted_cell_with_its_line(column, raw, kind):
    problems = _export("wide").report.to_frame()
    line = line_of(WIDE, "P010", raw, column)
    found = problems[(problems["line"] == line) & (problems["raw"] == raw)]
    assert not found.empty, f"{column}={raw!r} on line {line} is not reported"
    assert (found["column"] == column).all()
    if kind is not None:
        assert (found["kind"] == kind).any()


@pytest.mark.parametrize(("column", "raw", "kind"), PLANTED)
def test_the_long_report_lists_each_planted_cell_with_its_line(column, raw, kind):
    problems = _export("long").report.to_frame()
    line = line_of(LONG, "P010", raw)
    found = problems[(problems["line"] == line) & (problems["raw"] == raw)]
    assert not found.empty, f"{column}={raw!r} on line {line} is not reported"
    if kind is not None:
        assert (found["kind"] == kind).any()


#: What each planted cell must mean to the grader (None: missing, never graded).
PLANTED_VALUES = {"<5": 5.0, "38,4": 38.4, "1,480": 1480.0, "85": None, "1O8": None}


@pytest.mark.parametrize(("column", "raw", "kind"), PLANTED)
def test_each_planted_cell_reaches_the_grader_as_its_reading_or_as_missing(column, raw, kind):
    frame = _export("wide").frame
    row = frame[frame["line"] == line_of(WIDE, "P010", raw, column)]
    assert len(row) == 1
    expected = PLANTED_VALUES[raw]
    if expected is None:
        assert row[column].isna().all()
    else:
        assert row[column].iloc[0] == pytest.approx(expected)


def test_the_report_lists_the_row_whose_time_was_not_recorded():
    problems = _export("wide").report.to_frame()
    line = line_of(WIDE, "P010", "time not recorded")
    assert (problems["line"] == line).any()


def test_heart_rate_is_reported_as_a_column_recognised_but_not_graded():
    report = _export("wide").report
    assert "heart_rate_bpm" not in report.unknown_columns
    assert any(s.startswith("'heart_rate_bpm': heart rate") for s in report.not_graded_columns)


def has_any(drivers: pd.Series, code: str) -> bool:
    return bool(drivers.str.split(";").apply(lambda codes: code in codes).any())
