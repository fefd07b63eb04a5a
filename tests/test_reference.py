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
    # grading.md marks 7 decisions (§2, fever, ventilation, §3.1, §3.2, §3.3, §3.4),
    # treatment.md one (high risk).
    places = [where for where, _ in DECISIONS]
    for section in ("§2", "fever", "ventilator", "§3.1", "§3.2", "§3.3", "§3.4", "high risk"):
        assert any(section in place for place in places), section
    assert len(DECISIONS) == 8


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
