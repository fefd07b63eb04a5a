"""Reading (astct.md §1) and output (§5) of the ASTCT 2019 CRS and ICANS grades."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from crs.errors import UnusableExportError
from crs.read.reader import read_export
from crs.scales.attribution import read_attributions
from crs.treatment.pipeline import grade_export, output_table

REPO = Path(__file__).resolve().parents[1]
NEURO_HEADER = (
    "patient_id,time,Age,ICE total,CAPD,AVPU,RASS score,Seizures,Motor deficit,Raised ICP"
)


def _read(text: str):
    return read_export(text.encode(), name="neuro.csv")


def test_the_minimum_aliases_name_the_new_columns() -> None:
    export = _read(
        NEURO_HEADER + "\nA,2026-03-02 09:00,50,7,3,V,-2,focal seizure,hemiparesis,papilloedema\n"
    )
    row = export.frame.iloc[0]
    assert row["ice_score"] == 7 and row["capd_score"] == 3 and row["rass"] == -2
    assert row["consciousness"] == "V"
    assert row["seizure"] == "focal seizure"
    assert row["motor_weakness"] == "hemiparesis"
    assert row["cerebral_edema"] == "papilloedema"
    assert export.report.unknown_columns == []


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Level of consciousness", "consciousness"),
        ("LOC", "consciousness"),
        ("consciousness level", "consciousness"),
        ("ice", "ice_score"),
        ("capd_total", "capd_score"),
        ("seizure activity", "seizure"),
        ("focal weakness", "motor_weakness"),
        ("motor", "motor_weakness"),
        ("cerebral oedema", "cerebral_edema"),
        ("brain edema", "cerebral_edema"),
        ("ICP signs", "cerebral_edema"),
    ],
)
def test_each_alias_of_astct_md_is_accepted(header: str, column: str) -> None:
    cell = "alert" if column == "consciousness" else "1"
    export = _read(f"patient_id,time,{header}\nA,2026-03-02 09:00,{cell}\n")
    assert export.frame[column].notna().all()


def _problems(export) -> pd.DataFrame:
    return export.report.to_frame()


def test_a_score_written_as_a_decimal_whole_number_is_accepted_but_7_5_is_impossible() -> None:
    export = _read("patient_id,time,ice_score\nA,2026-03-02 09:00,7.0\nA,2026-03-02 10:00,7.5\n")
    assert export.frame["ice_score"].tolist()[0] == 7.0
    assert pd.isna(export.frame["ice_score"].tolist()[1])
    problems = _problems(export)
    assert problems[["line", "column", "raw", "kind"]].values.tolist() == [
        [3, "ice_score", "7.5", "impossible"]
    ]
    assert "not a whole number" in problems["reason"].iloc[0]


@pytest.mark.parametrize(
    ("column", "bad", "good"),
    [
        ("ice_score", "11", "10"),
        ("capd_score", "33", "32"),
        ("rass", "-6", "-5"),
        ("rass", "5", "4"),
    ],
)
def test_scores_outside_their_range_are_impossible(column: str, bad: str, good: str) -> None:
    text = f"patient_id,time,{column}\nA,2026-03-02 09:00,{good}\nA,2026-03-02 10:00,{bad}\n"
    export = _read(text)
    problems = _problems(export)
    assert problems[["line", "raw", "kind"]].values.tolist() == [[3, bad, "impossible"]]
    assert export.frame[column].notna().tolist() == [True, False]


def test_text_in_a_score_column_cannot_be_parsed_and_the_row_is_still_graded() -> None:
    export = _read(
        "patient_id,time,ice_score,consciousness\n"
        "A,2026-03-02 09:00,5,alert\nA,2026-03-02 10:00,UTA,\n"
    )
    problems = _problems(export)
    assert problems[["line", "raw", "kind"]].values.tolist() == [[3, "UTA", "unparseable"]]
    graded = grade_export(export)
    # The cell is missing, so the ICE of 09:00 goes on being carried (astct.md §1.3).
    assert graded["icans_grade"].tolist() == [2, 2]
    assert graded["icans_drivers"].tolist() == ["ice", "ice"]


@pytest.mark.parametrize(
    ("column", "cell"),
    [
        ("consciousness", "awakens"),  # `awake` does not match `awakens`
        ("consciousness", "3"),  # numbers belong in rass
        ("seizure", "fits"),
        ("motor_weakness", "weak"),
        ("cerebral_edema", "swelling"),
    ],
)
def test_words_matching_no_rule_are_unreadable_reported_and_missing(column: str, cell: str) -> None:
    export = _read(f"patient_id,time,{column}\nA,2026-03-02 09:00,{cell}\n")
    problems = _problems(export)
    assert problems[["line", "column", "raw"]].values.tolist() == [[2, column, cell]]
    assert "not understood" in problems["reason"].iloc[0]
    assert export.frame[column].isna().all()
    assert export.report.balanced


def test_a_cell_holding_1_0_is_read_as_1() -> None:
    export = _read("patient_id,time,seizure,motor_weakness\nA,2026-03-02 09:00,1.0,0\n")
    graded = grade_export(export)
    assert graded["icans_grade"].iloc[0] == 3
    assert graded["icans_drivers"].iloc[0] == "seizure"


def _table(text: str, patients: str | None = None, attributions: str | None = None):
    export = read_export(
        text.encode(), name="w.csv", patients=patients.encode() if patients else None
    )
    table = None
    if attributions:
        table = read_attributions(attributions.encode(), export.axis, name="a.csv")
    return output_table(grade_export(export, table), export.axis)


def test_grade_writes_five_columns_after_alerts_even_without_neurological_columns() -> None:
    table = _table("patient_id,time,temp_c\nA,2026-03-02 09:00,38.5\n")
    assert list(table.columns[-6:]) == [
        "alerts",
        "astct_grade",
        "astct_drivers",
        "icans_grade",
        "icans_drivers",
        "icans_unknown",
    ]
    row = table.iloc[0]
    assert (row["astct_grade"], row["astct_drivers"]) == (1, "fever")
    assert (row["icans_grade"], row["icans_drivers"]) == (0, "")
    assert row["icans_unknown"] == "consciousness;ice"


def test_a_child_without_neurological_columns_lacks_capd_not_ice() -> None:
    table = _table(
        "patient_id,time,temp_c,age_years\nB,2026-03-02 09:00,38.5,8\n",
    )
    assert table["icans_unknown"].iloc[0] == "capd;consciousness"


def test_the_explanation_is_three_sentences_as_in_the_spec_example() -> None:
    text = (
        "patient_id,time,temp_c,sbp_mmhg,o2_device,tocilizumab_mg,ice_score,consciousness\n"
        "A,2026-03-02 18:00,39,120,room air,,10,alert\n"
        "A,2026-03-02 20:00,37.2,,,400,,\n"
        "A,2026-03-02 21:00,37.0,85,,,5,alert\n"
    )
    patients = "patient_id,age_years,infusion_time\nA,60,2026-03-02 08:00\n"
    explanation = _table(text, patients)["explanation"].iloc[2]
    lee, astct, icans = explanation.split(". ")
    assert lee.startswith("Grade 2: SBP 85 mmHg")
    assert astct == (
        "ASTCT grade 2: SBP 85 mmHg without vasopressor; fever masked by tocilizumab at "
        "2026-03-02T20:00 (fever 39 °C at 18:00)"
    )
    assert icans == "ICANS grade 2 (ICE): ICE 5/10."


def test_at_grade_0_the_astct_sentence_says_a_finding_needs_fever() -> None:
    table = _table("patient_id,time,temp_c,sbp_mmhg,o2_device\nA,2026-03-02 09:00,37,80,room air\n")
    assert "ASTCT grade 0: hypotension without fever does not count" in table["explanation"][0]


def test_the_icans_sentence_names_each_driver_and_the_lower_bound() -> None:
    text = (
        "patient_id,time,ice_score,rass,seizure,age_years\n"
        "A,2026-03-02 09:00,,-2,status epilepticus,40\n"
    )
    sentence = _table(text)["explanation"].iloc[0].split(". ")[-1]
    assert sentence == (
        'ICANS grade 4 (ICE): prolonged or repetitive seizures ("status epilepticus"); '
        "lower bound: no ICE score in the last 12 h."
    )


def test_a_child_sentence_names_capd() -> None:
    text = "patient_id,time,capd_score,consciousness,age_years\nB,2026-03-02 09:00,11,to voice,6\n"
    sentence = _table(text)["explanation"].iloc[0].split(". ")[-1]
    assert sentence == "ICANS grade 3 (CAPD): CAPD 11."


def test_attributions_accept_the_icans_codes_and_refuse_death_and_masked_fever() -> None:
    good = "patient_id,criterion,start,end,reason,author\nA,consciousness,2026-03-02 08:00,,propofol,Dr X\n"
    assert read_attributions(good.encode(), "time", name="a.csv")["criterion"].tolist() == [
        "consciousness"
    ]
    for code, words in (
        ("death", "death cannot be attributed"),
        ("masked_fever", "attribute the fever"),
    ):
        bad = good.replace("consciousness", code)
        with pytest.raises(UnusableExportError, match=words):
            read_attributions(bad.encode(), "time", name="a.csv")


def test_a_charted_icans_or_astct_grade_is_never_an_input(tmp_path: Path) -> None:
    text = "patient_id,time,ICANS grade,ASTCT grade,temp_c\nA,2026-03-02 09:00,4,4,37\n"
    table = _table(text)
    assert (table["astct_grade"].iloc[0], table["icans_grade"].iloc[0]) == (0, 0)


def test_the_command_line_writes_the_new_columns(tmp_path: Path) -> None:
    source = tmp_path / "w.csv"
    source.write_text(
        "patient_id,time,temp_c,ice_score,consciousness\nA,2026-03-02 09:00,38.2,6,V\n"
    )
    out = tmp_path / "out.csv"
    run = subprocess.run(
        [sys.executable, "-m", "crs", "grade", str(source), "-o", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert table[
        ["astct_grade", "astct_drivers", "icans_grade", "icans_drivers"]
    ].values.tolist() == [["1", "fever", "2", "consciousness;ice"]]
