"""Reference text (crs.reference): the paper's tables and every spec decision, in plain words."""

from __future__ import annotations

from crs.reference import (
    ALERT_LABELS,
    DECISIONS,
    RECOMMENDATION_LABELS,
    label_codes,
    reference_markdown,
)


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
        assert any(topic in place for place in places), topic


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


def test_reference_says_attribution_needs_clinical_judgment():
    assert "clinical judgment" in reference_markdown()
    assert "summarises the findings recorded" in reference_markdown()


def test_every_treatment_code_has_plain_words():
    assert set(RECOMMENDATION_LABELS) == {
        "none",
        "supportive_care",
        "consider_immunosuppression",
        "immunosuppression",
        "corticosteroids_preferred",
    }
    assert set(ALERT_LABELS) == {
        "untreated_severe",
        "no_improvement_after_tocilizumab",
        "crp_past_peak",
    }


def test_codes_are_labelled_and_unknown_codes_kept():
    assert label_codes("crp_past_peak;untreated_severe", ALERT_LABELS) == (
        "CRP falling: likely past the peak; Grade ≥ 3 and no immunosuppressant given yet"
    )
    assert label_codes("", ALERT_LABELS) == ""
    assert label_codes("something_new", ALERT_LABELS) == "something_new"
