"""Dose panel from the text accompanying Figure 2 (treatment.md §3; crs.doses).

Expected doses are worked by hand from the paper's mg/kg figures.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from treatment_frames import graded, ward

from crs import doses
from crs.doses import dose_panel, patient_dose_panel


def _row(panel: pd.DataFrame, drug: str, population: str | None = None) -> pd.Series:
    rows = panel[panel["drug"] == drug]
    if population is not None:
        rows = rows[rows["population"] == population]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_adult_tocilizumab_is_4_mg_per_kg() -> None:
    row = _row(dose_panel(40, 70), "tocilizumab")
    assert row["population"] == "adult"
    assert row["mg_per_kg"] == 4.0
    assert row["dose_mg"] == 280.0
    assert row["dose"] == "280 mg per dose"
    assert "over 1 hour" in row["schedule"] and "24–48 hours" in row["schedule"]


def test_child_tocilizumab_is_8_mg_per_kg() -> None:
    row = _row(dose_panel(11, 30), "tocilizumab")
    assert row["population"] == "child"
    assert row["dose_mg"] == 240.0


def test_age_18_takes_the_adult_tocilizumab_dose_and_17_the_child_dose() -> None:
    assert _row(dose_panel(18, 50), "tocilizumab")["dose_mg"] == 200.0
    assert _row(dose_panel(17.9, 50), "tocilizumab")["dose_mg"] == 400.0


def test_methylprednisolone_is_2_mg_per_kg_per_day() -> None:
    row = _row(dose_panel(40, 70), "methylprednisolone")
    assert row["dose_per_kg"] == "2 mg/kg/day"
    assert row["dose_mg"] == 140.0
    assert row["dose"] == "140 mg per day"
    assert "weaned over several days" in row["schedule"]


def test_dexamethasone_below_the_cap_is_half_a_mg_per_kg() -> None:
    row = _row(dose_panel(12, 15), "dexamethasone")
    assert row["dose_mg"] == 7.5
    assert row["dose"] == "7.5 mg per dose"


def test_dexamethasone_at_exactly_20_kg_reaches_the_10_mg_maximum_without_capping() -> None:
    row = _row(dose_panel(12, 20), "dexamethasone")
    assert row["dose_mg"] == 10.0
    assert row["dose"] == "10 mg per dose"


def test_dexamethasone_is_capped_at_10_mg_per_dose_and_says_so() -> None:
    row = _row(dose_panel(40, 70), "dexamethasone")
    assert row["dose_mg"] == 10.0
    assert row["max_dose"] == "10 mg per dose"
    assert row["dose"] == "10 mg per dose (the maximum; 0.5 mg/kg would be 35 mg)"
    assert "severe neurologic symptoms" in row["indication"]


def test_hydrocortisone_is_a_note_without_a_dose() -> None:
    row = _row(dose_panel(40, 70), "hydrocortisone")
    assert math.isnan(row["dose_mg"]) and math.isnan(row["mg_per_kg"])
    assert row["dose"] == "no dose given in the paper"
    assert "chronic" in row["indication"]


@pytest.mark.parametrize("weight", [None, np.nan, "", pd.NA])
def test_missing_weight_shows_mg_per_kg_and_says_the_dose_cannot_be_computed(weight) -> None:
    panel = dose_panel(40, weight)
    dosed = panel[panel["mg_per_kg"].notna()]
    assert dosed["dose_mg"].isna().all()
    assert dosed["dose"].eq("cannot be computed: weight not recorded").all()
    assert dosed["dose_per_kg"].tolist() == ["4 mg/kg", "2 mg/kg/day", "0.5 mg/kg"]


@pytest.mark.parametrize("weight", [0, -3, 900, "heavy"])
def test_an_unusable_weight_is_named_in_the_message(weight) -> None:
    row = _row(dose_panel(40, weight), "methylprednisolone")
    assert math.isnan(row["dose_mg"])
    assert row["dose"] == f"cannot be computed: a weight of {weight} kg is not usable"


def test_missing_age_shows_both_tocilizumab_doses_per_kg_only() -> None:
    panel = dose_panel(None, 70)
    tocilizumab = panel[panel["drug"] == "tocilizumab"]
    assert tocilizumab["population"].tolist() == ["adult", "child"]
    assert tocilizumab["dose_per_kg"].tolist() == ["4 mg/kg", "8 mg/kg"]
    assert tocilizumab["dose_mg"].isna().all()
    assert tocilizumab["dose"].str.startswith("cannot be computed: age not recorded").all()
    # Corticosteroid doses do not depend on age, so they are still computed.
    assert _row(panel, "methylprednisolone")["dose_mg"] == 140.0


def test_every_dose_carries_the_papers_sentence() -> None:
    panel = dose_panel(None, None)
    assert list(panel.columns) == list(doses.PANEL_COLUMNS)
    assert panel["source"].str.contains("Lee et al. 2014").all()
    assert _row(panel, "dexamethasone")["source"].find("maximum, 10 mg/dose") > 0
    assert _row(panel, "tocilizumab", "child")["source"].find("8 mg/kg in children") > 0


def test_the_panel_states_source_erratum_and_that_local_protocol_prevails() -> None:
    assert "Blood 2014;124(2):188-195" in doses.SOURCE and "Figure 2" in doses.SOURCE
    assert "Blood 2015;126(8):1048" in doses.ERRATUM and "dosage error" in doses.ERRATUM
    assert "local protocol" in doses.LOCAL_PROTOCOL_PREVAILS
    assert "product label" in doses.LOCAL_PROTOCOL_PREVAILS


def test_patient_dose_panel_reads_age_and_weight_from_the_graded_frame() -> None:
    frame = ward(
        graded([{"hours": 0}], patient_id="adult", age_years=40.0, weight_kg=70.0),
        graded([{"hours": 0}], patient_id="child", age_years=11.0, weight_kg=30.0),
    )
    assert _row(patient_dose_panel(frame, "child"), "tocilizumab")["dose_mg"] == 240.0
    assert _row(patient_dose_panel(frame, "adult"), "tocilizumab")["dose_mg"] == 280.0


def test_recommendation_wording_is_available_to_the_app_from_the_dose_module() -> None:
    table = doses.recommendation_table()
    wording = dict(zip(table["code"], table["wording"], strict=True))
    assert "tocilizumab ± corticosteroids" in wording["immunosuppression"].lower()
    assert "blood–brain barrier" in wording["corticosteroids_preferred"]
    assert "infection" in wording["supportive_care"]
