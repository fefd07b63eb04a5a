"""The app's constant stylesheet (ui.style.PRINT_CSS) agrees with the grade colours."""

from __future__ import annotations

import re

from crs.views.figures import GRADE_COLOURS
from ui.style import PRINT_CSS, TEXT_ON


def test_each_grade_filter_chip_takes_its_grade_colour_and_readable_text():
    rules = dict(
        (int(grade), (background, text))
        for grade, background, text in re.findall(
            r'\[title="Grade (\d)"\]\) \{ background: (#[0-9a-f]{6}); color: (#[0-9a-f]{6}); \}',
            PRINT_CSS,
        )
    )
    assert rules == {grade: (GRADE_COLOURS[grade], TEXT_ON[grade]) for grade in range(6)}


def test_the_printed_patient_header_is_repeated_on_every_page_and_carries_no_data():
    # A fixed element is repeated at the top of every printed page by the browser; the
    # identifier is the page's own text, never written into the stylesheet.
    printed = PRINT_CSS[PRINT_CSS.index("@media print") :]
    assert re.search(r"\.st-key-patient_header \{\s*position: fixed !important", printed)
    assert "content:" not in PRINT_CSS
