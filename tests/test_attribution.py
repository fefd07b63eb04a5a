"""Clinician attributions "not CRS" (spec grading.md §5)."""

from __future__ import annotations

import pandas as pd
import pytest
from grading_frames import at, canonical, patient

from crs.errors import UnusableExportError
from crs.read.timeaxis import day_to_instant
from crs.scales.attribution import read_attributions
from crs.scales.grading import grade

HEADER = "patient_id,criterion,start,end,reason,author\n"


def _fever_patient() -> pd.DataFrame:
    rows = [{"hours": h, "temp_c": 39.0, "sbp_mmhg": 120, "fio2": 21} for h in (0, 1, 2, 3)]
    return canonical(patient(rows, patient_id="P1"), patient(rows, patient_id="P2"))


def test_read_attributions_parses_iso_times_on_a_time_axis() -> None:
    text = HEADER + "P1,fever,2024-03-01T09:00,2024-03-01T10:00,line sepsis,Dr A\n"
    table = read_attributions(text.encode(), "time")
    assert table.loc[0, "start"] == at(1)
    assert table.loc[0, "end"] == at(2)
    assert table["start"].dtype == "datetime64[us]"
    assert table.loc[0, "criterion"] == "fever"
    assert table.loc[0, "author"] == "Dr A"


def test_read_attributions_converts_days_with_the_day_axis_rule() -> None:
    table = read_attributions((HEADER + "P1,Hypotension,1.5,2,bleed,Dr B\n").encode(), "day")
    assert table.loc[0, "start"] == day_to_instant(1.5)
    assert table.loc[0, "end"] == day_to_instant(2.0)
    assert table.loc[0, "criterion"] == "hypotension"


def test_an_unknown_criterion_is_a_clear_error_naming_the_line() -> None:
    with pytest.raises(UnusableExportError, match=r"line 2: unknown criterion 'fevers'"):
        read_attributions((HEADER + "P1,fevers,1,2,x,y\n").encode(), "day")


def test_death_cannot_be_attributed() -> None:
    with pytest.raises(UnusableExportError, match="death cannot be attributed"):
        read_attributions((HEADER + "P1,death,1,2,x,y\n").encode(), "day")


def test_a_missing_column_is_a_clear_error() -> None:
    with pytest.raises(UnusableExportError, match="lacks the column"):
        read_attributions(b"patient_id,start,end\nP1,1,2\n", "day")


def test_an_unreadable_start_is_a_clear_error() -> None:
    with pytest.raises(UnusableExportError, match=r"line 2: start 'yesterday' is not"):
        read_attributions((HEADER + "P1,fever,yesterday,,x,y\n").encode(), "time")


def test_an_end_before_the_start_is_a_clear_error() -> None:
    with pytest.raises(UnusableExportError, match="end is before start"):
        read_attributions((HEADER + "P1,fever,3,2,x,y\n").encode(), "day")


def test_a_missing_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(UnusableExportError, match="cannot be opened"):
        read_attributions(tmp_path / "nope.csv", "time")


def test_an_attributed_finding_is_removed_only_inside_its_inclusive_period() -> None:
    text = HEADER + "P1,fever,2024-03-01T09:00,2024-03-01T10:00,line sepsis,Dr A\n"
    graded = grade(_fever_patient(), read_attributions(text.encode(), "time"))
    first = graded[graded["patient_id"] == "P1"]
    assert first["grade"].tolist() == [1, 0, 0, 1]
    assert first["g_fever"].tolist() == [1, 0, 0, 1]
    assert first["attributed"].tolist() == ["", "fever", "fever", ""]
    assert first["drivers"].tolist() == ["fever", "", "", "fever"]
    assert "attributed to another cause by a clinician: fever" in first["explanation"].iloc[1]
    # The other patient is untouched.
    assert graded.loc[graded["patient_id"] == "P2", "grade"].tolist() == [1, 1, 1, 1]


def test_removing_one_criterion_leaves_the_others_driving() -> None:
    rows = [{"hours": 0, "temp_c": 39.0, "sbp_mmhg": 85}]
    attributions = read_attributions(
        (HEADER + "P1,hypotension,2024-03-01T08:00,2024-03-01T08:00,bleeding,Dr C\n").encode(),
        "time",
    )
    graded = grade(canonical(patient(rows)), attributions)
    assert graded["grade"].iloc[0] == 1
    assert graded["drivers"].iloc[0] == "fever"
    assert graded["g_hypotension"].iloc[0] == 0
    assert graded["attributed"].iloc[0] == "hypotension"


def test_an_attribution_without_an_end_stays_in_effect() -> None:
    table = read_attributions((HEADER + "P1,fever,2024-03-01T09:00,,x,y\n").encode(), "time")
    graded = grade(_fever_patient(), table)
    assert graded.loc[graded["patient_id"] == "P1", "grade"].tolist() == [1, 0, 0, 0]


def test_an_attribution_of_a_criterion_not_met_removes_nothing() -> None:
    table = read_attributions((HEADER + "P1,oxygen,2024-03-01T08:00,,x,y\n").encode(), "time")
    graded = grade(_fever_patient(), table)
    assert graded["attributed"].eq("").all()
    assert graded["grade"].eq(1).all()


def _kidney_and_encephalopathy() -> pd.DataFrame:
    """An acute kidney injury (creatinine 4.0 = 3.3 × ULN: CTCAE 3) beside a grade-3
    encephalopathy, with fever: two findings at CRS grade 3 (spec §3.4, version 2)."""
    rows = [
        {"hours": 0, "temp_c": 38.6, "creatinine_mg_dl": 4.0, "neurotox_grade": 3},
        {"hours": 1, "temp_c": 38.5},
    ]
    return canonical(patient(rows))


def _attribute(criterion: str) -> pd.DataFrame:
    text = HEADER + f"P1,{criterion},2024-03-01T08:00,,vancomycin,Dr N\n"
    return read_attributions(text.encode(), "time")


def test_attributing_a_kidney_injury_to_a_drug_keeps_the_encephalopathy() -> None:
    plain = grade(_kidney_and_encephalopathy())
    assert plain["drivers"].tolist() == ["neurotoxicity;organ_toxicity"] * 2
    graded = grade(_kidney_and_encephalopathy(), _attribute("organ_toxicity"))
    assert graded["grade"].tolist() == [3, 3]
    assert graded["drivers"].tolist() == ["neurotoxicity", "neurotoxicity"]
    assert graded["g_organ_toxicity"].tolist() == [0, 0]
    assert graded["g_neurotoxicity"].tolist() == [3, 3]
    assert graded["attributed"].tolist() == ["organ_toxicity", "organ_toxicity"]
    assert graded["explanation"].iloc[0] == (
        "Grade 3: neurotoxicity CTCAE grade 3 (entered by a clinician); not documented within"
        " the carry-forward window: blood pressure, oxygen, so the grade is a lower bound;"
        " attributed to another cause by a clinician: organ toxicity."
    )


def test_attributing_neurotoxicity_alone_leaves_organ_toxicity() -> None:
    graded = grade(_kidney_and_encephalopathy(), _attribute("neurotoxicity"))
    assert graded["grade"].tolist() == [3, 3]
    assert graded["drivers"].tolist() == ["organ_toxicity", "organ_toxicity"]
    assert graded["g_neurotoxicity"].tolist() == [0, 0]
    assert graded["g_organ_toxicity"].tolist() == [3, 3]
    assert graded["attributed"].tolist() == ["neurotoxicity", "neurotoxicity"]
    # The entered grade stays visible as evidence: the finding is there, not CRS.
    assert graded["neurotox_used"].tolist() == [3.0, 3.0]


def test_attributing_both_leaves_the_fever() -> None:
    both = pd.concat([_attribute("organ_toxicity"), _attribute("neurotoxicity")])
    graded = grade(_kidney_and_encephalopathy(), both)
    assert graded["grade"].tolist() == [1, 1]
    assert graded["drivers"].tolist() == ["fever", "fever"]
    assert graded["attributed"].tolist() == ["neurotoxicity;organ_toxicity"] * 2


def test_neurotoxicity_is_an_attributable_criterion_in_a_file() -> None:
    table = _attribute("Neurotoxicity")
    assert table.loc[0, "criterion"] == "neurotoxicity"


def test_a_grade_1_neurotoxicity_attributed_is_listed_so_steroids_are_not_preferred_for_it() -> (
    None
):
    """Neurotoxicity grade 1 is below the criterion (grade 2) but is the "neurologic
    dysfunction" of Figure 2's corticosteroid branch: attributed to another cause, it is
    listed in ``attributed`` and the grade-3 patient gets tocilizumab ± corticosteroids."""
    from crs.treatment.treatment import recommend

    rows = [{"hours": h, "fio2": 45, "neurotox_grade": 1, "sbp_mmhg": 120} for h in (0, 1)]
    frame = canonical(patient(rows, patient_id="P1"))
    attribution = pd.DataFrame(
        {
            "patient_id": ["P1"],
            "criterion": ["neurotoxicity"],
            "start": [at(1)],
            "end": [at(1)],
            "reason": ["sedation"],
            "author": ["Dr A"],
        }
    )
    graded = grade(frame, attribution)
    assert graded["grade"].tolist() == [3, 3]  # FiO2 45 %
    assert graded["attributed"].tolist() == ["", "neurotoxicity"]
    advice = recommend(graded)["recommendation"].tolist()
    assert advice == ["corticosteroids_preferred", "immunosuppression"]
