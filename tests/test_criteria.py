"""Plain words for the criterion codes: one per code the grader writes, none for death's attribution."""

from crs.scales.consensus import ICANS_CODES
from crs.scales.criteria import ATTRIBUTABLE, ATTRIBUTION_CODES, CRITERION_LABELS, criterion_label
from crs.scales.grading import CRITERIA


def test_every_criterion_code_has_plain_words_in_the_spec_order() -> None:
    # Lee's criteria (grading.md §3), then the ICANS domains a clinician may attribute
    # (astct.md §4).
    assert tuple(CRITERION_LABELS) == (*CRITERIA, *ICANS_CODES)


def test_every_attributable_code_has_plain_words_and_death_and_masking_are_not_among_them():
    assert set(ATTRIBUTION_CODES) <= set(CRITERION_LABELS)
    assert not {"death", "masked_fever"} & set(ATTRIBUTION_CODES)


def test_death_cannot_be_attributed_to_another_cause() -> None:
    assert "death" not in ATTRIBUTABLE
    assert set(ATTRIBUTABLE) == set(CRITERIA) - {"death"}


def test_an_unknown_code_is_shown_as_itself() -> None:
    assert criterion_label("fever").startswith("Fever")
    assert criterion_label("made_up") == "made_up"
