"""Reference doses: the product label first, the paper's 2014 text beside it
(treatment.md §3; crs.treatment.doses).

The clinician-readable case table is tests/cases/treatment_doses.csv: one row per dose
edge (29.9 / 30 kg, the 800 mg cap, the 10 mg dexamethasone maximum, the weight limits),
the expected mg worked by hand from the label's and the paper's mg/kg.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from treatment_frames import graded, ward

from crs.treatment import doses
from crs.treatment.doses import dose_panel, patient_dose_panel

CASES = pd.read_csv(
    Path(__file__).parent / "cases" / "treatment_doses.csv", dtype=str, keep_default_na=False
)


def _number(text: str) -> float | None:
    return float(text) if text else None


def _row(panel: pd.DataFrame, drug: str, kind: str, population: str | None = None) -> pd.Series:
    rows = panel[(panel["drug"] == drug) & (panel["source_kind"] == kind)]
    if population is not None:
        rows = rows[rows["population"] == population]
    assert len(rows) == 1, rows
    return rows.iloc[0]


@pytest.mark.parametrize("case", [row for _, row in CASES.iterrows()], ids=CASES["case"])
def test_dose_case_table(case: pd.Series) -> None:
    panel = dose_panel(_number(case["age_years"]), _number(case["weight_kg"]))
    row = _row(panel, case["drug"], case["source_kind"], case["expected_population"])
    assert row["dose"] == case["expected_dose"], case["note"]
    if case["expected_dose_mg"]:
        assert row["dose_mg"] == pytest.approx(float(case["expected_dose_mg"]), abs=1e-9)
    else:
        assert math.isnan(row["dose_mg"]), case["note"]


def test_the_label_dose_is_shown_first_and_the_papers_tocilizumab_beside_it() -> None:
    panel = dose_panel(40, 70)
    assert panel["source_kind"].tolist()[:2] == ["label", "paper"]
    assert panel["drug"].tolist()[:2] == ["tocilizumab", "tocilizumab"]
    label, paper = panel.iloc[0], panel.iloc[1]
    assert label["dose_per_kg"] == "8 mg/kg" and label["max_dose"] == "800 mg per dose"
    assert "up to 3 further doses at least 8 hours apart" in label["schedule"]
    assert "over 1 hour" in label["schedule"]
    assert paper["dose_per_kg"] == "4 mg/kg"
    assert "24–48 hours" in paper["schedule"]


def test_only_the_label_row_for_the_patients_weight_is_shown() -> None:
    assert _row(dose_panel(40, 29.9), "tocilizumab", "label")["dose_per_kg"] == "12 mg/kg"
    assert _row(dose_panel(40, 30), "tocilizumab", "label")["dose_per_kg"] == "8 mg/kg"


@pytest.mark.parametrize("weight", [None, np.nan, "", pd.NA])
def test_missing_weight_shows_every_dose_per_kg_and_says_it_cannot_be_computed(weight) -> None:
    panel = dose_panel(40, weight)
    label = panel[panel["source_kind"] == "label"]
    assert label["dose_per_kg"].tolist() == ["8 mg/kg", "12 mg/kg"]
    computed = panel[panel["source_kind"].eq("label") | panel["drug"].ne("tocilizumab")]
    dosed = computed[computed["mg_per_kg"].notna()]
    assert dosed["dose_mg"].isna().all()
    assert dosed["dose"].eq("cannot be computed: weight not recorded").all()


@pytest.mark.parametrize("weight", [0, -3, 0.29, 401, 900, "heavy"])
def test_a_weight_outside_the_readers_limits_is_named_in_the_message(weight) -> None:
    row = _row(dose_panel(40, weight), "methylprednisolone", "paper")
    assert math.isnan(row["dose_mg"])
    assert row["dose"] == f"cannot be computed: a weight of {weight} kg is not usable"


def test_the_usable_weight_is_the_readers_physiological_range() -> None:
    assert doses.WEIGHT_LIMITS_KG == (0.3, 400.0)


def test_missing_age_shows_both_paper_tocilizumab_doses_and_the_label_still_computes() -> None:
    panel = dose_panel(None, 70)
    paper = panel[(panel["drug"] == "tocilizumab") & (panel["source_kind"] == "paper")]
    assert paper["dose_per_kg"].tolist() == ["4 mg/kg", "8 mg/kg"]
    assert paper["dose_mg"].isna().all()
    # The label dose depends on weight only.
    assert _row(panel, "tocilizumab", "label")["dose_mg"] == 560.0
    assert _row(panel, "methylprednisolone", "paper")["dose_mg"] == 140.0


def test_every_dose_names_its_source() -> None:
    panel = dose_panel(None, None)
    assert list(panel.columns) == list(doses.PANEL_COLUMNS)
    assert set(panel["source_kind"]) == set(doses.SOURCES) == set(doses.SOURCE_WORDS)
    paper = panel[panel["source_kind"] == "paper"]
    assert paper["source"].str.contains("Lee et al. 2014").all()
    assert panel.loc[panel["source_kind"] == "label", "source"].str.contains("label").all()
    assert _row(panel, "dexamethasone", "paper")["source"].find("maximum, 10 mg/dose") > 0
    child = _row(panel, "tocilizumab", "paper", "children (under 18 years)")
    assert "8 mg/kg in children" in child["source"]
    assert "Blood 2015;126(8):1048" in child["source"]


def test_the_panel_names_the_erratum_and_that_local_protocols_and_the_label_prevail() -> None:
    assert "Blood 2014;124(2):188-195" in doses.SOURCES["paper"]
    assert "2017" in doses.SOURCES["label"] and "tocilizumab" in doses.SOURCES["label"]
    assert "Blood 2015;126(8):1048" in doses.ERRATUM
    assert '"dosage error in article text"' in doses.ERRATUM
    assert "label dose" in doses.ERRATUM and "in use" in doses.ERRATUM
    assert "local protocols" in doses.LOCAL_PROTOCOL_PREVAILS
    assert "product label" in doses.LOCAL_PROTOCOL_PREVAILS
    assert "never doses given" in doses.LOCAL_PROTOCOL_PREVAILS


def test_patient_dose_panel_reads_age_and_weight_from_the_graded_frame() -> None:
    frame = ward(
        graded([{"hours": 0}], patient_id="adult", age_years=40.0, weight_kg=70.0),
        graded([{"hours": 0}], patient_id="child", age_years=11.0, weight_kg=25.0),
    )
    assert _row(patient_dose_panel(frame, "child"), "tocilizumab", "label")["dose_mg"] == 300.0
    assert _row(patient_dose_panel(frame, "adult"), "tocilizumab", "label")["dose_mg"] == 560.0
    unknown = patient_dose_panel(frame, "nobody")
    assert unknown["dose_mg"].isna().all()


def test_recommendation_wording_is_available_to_the_app_from_the_dose_module() -> None:
    table = doses.recommendation_table()
    wording = dict(zip(table["code"], table["wording"], strict=True))
    assert "tocilizumab ± corticosteroids" in wording["immunosuppression"].lower()
    assert "blood–brain barrier" in wording["corticosteroids_preferred"]
    assert "infection" in wording["supportive_care"]
