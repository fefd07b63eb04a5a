"""Reference text (crs.views.reference): the paper's tables and every spec decision, in plain words."""

from __future__ import annotations

import re

import pytest

from crs.treatment import treatment
from crs.views.reference import (
    ALERT_LABELS,
    CRP_TEXT,
    DECISIONS,
    FERRITIN_TEXT,
    PAPER_ADVICE,
    RECOMMENDATION_LABELS,
    TOCILIZUMAB_CRP_NOTE,
    TREATMENT_DECISIONS,
    alert_words,
    label_alerts,
    label_codes,
    reference_markdown,
)

#: What a clinician must never read: spec section numbers, spec file names, internal codes.
NOT_FOR_SCREENS = re.compile(r"§|\.md\b|\b[a-z]+_[a-z_]+\b")


def test_reference_page_has_table_2_table_3_vasst_and_figure_2():
    text = reference_markdown()
    for heading in ("Table 2", "Table 3", "Figure 2"):
        assert heading in text
    assert "dopamine (μg/kg/min) ÷ 2" in text
    assert "phenylephrine (μg/min) ÷ 10" in text
    assert "≥ 20 μg/min" in text


def test_every_spec_decision_is_explained():
    # grading.md marks 7 decisions (§2 windows, fever, ventilation, §3.1 hypotension, §3.2
    # three hours, §3.3 oxygen, §3.4 limits) and version 2 adds two readings clinicians
    # must know (an unknown vasopressor dose, neurotoxicity as its own finding);
    # treatment.md marks one (high risk).
    places = [where for where, _ in DECISIONS]
    for topic in (
        "carried forward",
        "fever",
        "ventilator",
        "hypotension",
        "three hours",
        "dose that is not known",
        "oxygen",
        "neurotoxicity",
        "reference limits",
        "high risk",
    ):
        assert any(topic in place.lower() for place in places), topic


def test_grading_decisions_are_in_plain_words_without_spec_sections_or_codes():
    grading = [(w, t) for w, t in DECISIONS if w.startswith("Grading")]
    assert len(grading) == 9
    for where, text in grading:
        for jargon in ("§", "grading.md", "organ_toxicity", "_used", "o2_", "vasopressor_dose"):
            assert jargon not in where + text, (where, jargon)


def test_the_reference_gives_the_version_2_grading_rules():
    decisions = dict(DECISIONS)
    oxygen = decisions["Grading — oxygen"]
    assert "up to 6 L/min is low-flow oxygen, grade 2" in oxygen
    assert "more than low-flow oxygen, grade 3" in oxygen
    assert "blow-by" in oxygen
    assert "95/40 gives 58" in decisions["Grading — hypotension"]
    assert "kidney injury" in decisions["Grading — neurotoxicity"]
    assert "lower bound" in decisions["Grading — a vasopressor dose that is not known"]


@pytest.mark.parametrize(
    "topic",
    [
        "high-dose vasopressors",
        "reference limits",
        # treatment.md's decision and the readings of the treatment algorithm
        "high risk",
        "neurologic dysfunction attributed",
        "without immunosuppression",
        "crp likely past its peak",
        "doses",
    ],
)
def test_every_decision_is_explained_on_the_reference_page(topic: str):
    titles = [title.lower() for title, _ in DECISIONS + TREATMENT_DECISIONS]
    assert any(topic in title for title in titles), topic
    assert topic in reference_markdown().lower()


def test_treatment_entries_have_plain_titles_without_spec_sections_or_codes():
    high_risk = [entry for entry in DECISIONS if "high risk" in entry[0].lower()]
    for title, text in high_risk + list(TREATMENT_DECISIONS) + list(PAPER_ADVICE):
        assert not NOT_FOR_SCREENS.search(title), title
        assert not NOT_FOR_SCREENS.search(text), text


def test_wording_tables_shown_to_clinicians_cite_the_paper_not_the_spec():
    for table in (treatment.recommendation_table(), treatment.alert_table()):
        for column in ("when", "wording", "source"):
            for text in table[column]:
                assert "§" not in text and ".md" not in text, text


def test_reference_says_what_the_paper_advises_on_monitoring_at_grades_2_and_3():
    text = reference_markdown()
    assert "intensive care unit with 1:1 nursing care" in text
    assert "grade 2 or grade 3 CRS" in text and "echocardiographic monitoring" in text
    titles = [title for title, _ in PAPER_ADVICE]
    assert "Grade 3: intensive monitoring" in titles


def test_reference_says_crp_lags_and_falls_after_tocilizumab():
    assert "1 to 2 days" in CRP_TEXT and "infection" in CRP_TEXT
    assert "falls after tocilizumab whatever the course of CRS" in CRP_TEXT
    assert CRP_TEXT in reference_markdown()


def test_reference_gives_ferritins_link_to_hlh_and_that_it_did_not_predict_severity():
    assert "macrophage activation syndrome/HLH" in FERRITIN_TEXT
    assert "has not demonstrated utility in predicting CRS severity" in FERRITIN_TEXT
    assert FERRITIN_TEXT in reference_markdown()


def test_every_treatment_code_has_plain_words():
    assert set(RECOMMENDATION_LABELS) == set(treatment.RECOMMENDATION_CODES)
    assert set(ALERT_LABELS) == set(treatment.ALERT_CODES)
    for words in list(RECOMMENDATION_LABELS.values()) + list(ALERT_LABELS.values()):
        assert not NOT_FOR_SCREENS.search(words), words


def test_codes_are_labelled_and_unknown_codes_kept():
    assert label_codes("crp_past_peak;untreated_severe", ALERT_LABELS) == (
        "CRP down by a quarter or more: likely past the peak; "
        "Grade 3 or 4 and no immunosuppressant since 24 h before it began"
    )
    assert label_codes("", ALERT_LABELS) == ""
    assert label_codes("something_new", ALERT_LABELS) == "something_new"


def test_after_tocilizumab_the_crp_alert_says_tocilizumab_lowers_crp():
    before = alert_words("crp_past_peak;untreated_severe")
    after = alert_words("crp_past_peak;untreated_severe", after_tocilizumab=True)
    assert before == [ALERT_LABELS["crp_past_peak"], ALERT_LABELS["untreated_severe"]]
    assert after[0] == f"{ALERT_LABELS['crp_past_peak']} — {TOCILIZUMAB_CRP_NOTE}"
    assert after[1] == before[1]
    assert "whatever the course of CRS" in TOCILIZUMAB_CRP_NOTE
    # Other alerts are not touched, and no CRP alert means no note.
    assert label_alerts("untreated_severe", after_tocilizumab=True) == before[1]
    assert label_alerts("", after_tocilizumab=True) == ""
