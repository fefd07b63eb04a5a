"""Second speed round of the grader (issue #2): fast paths equal the general paths.

Like ``tests/test_grade_fast.py``: every fast path has a guard that sends input it
cannot handle to the general path, and these tests compare the two on messy input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from grading_frames import canonical, patient

from crs import grading
from crs.grading import grade

RNG = np.random.default_rng(20261121)

_SWITCH = np._core.multiarray._set_madvise_hugepage


def _messy_ward() -> pd.DataFrame:
    first = patient(
        [
            {"hours": 0, "temp_c": 38.4, "sbp_mmhg": 85, "norepinephrine_ug_min": 22},
            {"hours": 1, "symptoms": "rigors", "o2_device": "NC", "o2_flow_l_min": 3},
            {"hours": 4, "creatinine_mg_dl": 2.5, "ast_u_l": 900, "fio2": 45},
            {"hours": 30, "norepinephrine_ug_min": 0, "o2_device": "room air"},
        ],
        "A",
        age_years=50.0,
        weight_kg=70.0,
    )
    other = patient(
        [
            {"hours": 2, "norepinephrine_ug_kg_min": 0.3, "creatinine_uln": 1.0},
            {"hours": 1, "temp_c": 39.0, "o2_device": "hi-flow"},
        ],
        "B",
        age_years=8.0,
        weight_kg=25.0,
    )
    return canonical(first, other)


@pytest.mark.parametrize("huge_pages", [True, False])
def test_grading_with_small_pages_restores_the_setting_and_changes_nothing(
    huge_pages: bool,
) -> None:
    before = _SWITCH(huge_pages)
    try:
        frame = _messy_ward()
        graded = grade(frame)
        assert _SWITCH(huge_pages) == huge_pages  # restored after grading
        plain = grading._grade(frame, None)  # with the caller's setting
        with grading._small_pages():
            assert _SWITCH(False) is False  # small pages inside the block
        assert _SWITCH(huge_pages) == huge_pages
        pd.testing.assert_frame_equal(graded, plain, check_exact=True)
        with pytest.raises(KeyError), grading._small_pages():
            raise KeyError("restored on errors too")
        assert _SWITCH(huge_pages) == huge_pages
    finally:
        _SWITCH(before)
