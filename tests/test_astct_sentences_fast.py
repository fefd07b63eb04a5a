"""The ASTCT and ICANS sentences built fast say what astct.md §5 asks, however built.

``crs.scales.scale_explain`` groups rows by one packed integer key (renumbered before
it would overflow) and words each distinct sentence once; the masking instants are
written as days only on a day axis. Neither shortcut may change a sentence.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from crs.read.reader import read_export
from crs.scales import grade, scale_explain

DATA = Path(__file__).resolve().parents[1] / "data"


def test_the_sentences_do_not_depend_on_how_the_row_key_is_packed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    export = read_export(DATA / "sample_ward.csv", patients=DATA / "sample_ward_patients.csv")
    packed = grade(export.frame)
    # A tiny key span: the key is renumbered before almost every piece is packed in.
    monkeypatch.setattr(scale_explain, "_KEY_SPAN", 16)
    renumbered = grade(export.frame)
    assert packed["astct_explanation"].str.contains("masked by").any()
    assert (packed["icans_grade"] > 0).any()
    for column in ("astct_explanation", "icans_explanation"):
        pd.testing.assert_series_equal(renumbered[column], packed[column])


def test_a_masked_fever_on_a_day_axis_names_the_days_of_the_dose_and_the_fever(
    tmp_path: Path,
) -> None:
    # Fever 39 °C on day 1, tocilizumab on day 1.5, SBP 82 on day 2 without fever: ASTCT
    # grade 2 by hypotension, the fever requirement met by masking (astct.md §2.1 (b)).
    export = tmp_path / "days.csv"
    export.write_text(
        "patient_id,day,temp_c,sbp_mmhg,tocilizumab_mg\n"
        "P1,1,39.0,120,\n"
        "P1,1.5,37.0,118,560\n"
        "P1,2,36.8,82,\n"
    )
    graded = grade(read_export(export).frame)
    assert graded["astct_grade"].tolist() == [1, 0, 2]
    assert (
        graded["astct_explanation"]
        .iloc[2]
        .startswith(
            "ASTCT grade 2: SBP 82 mmHg without vasopressor; "
            "fever masked by tocilizumab at day 1.5 (fever 39 °C at day 1)"
        )
    )
