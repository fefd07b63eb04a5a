"""The app with the three scales (issue #14): the ward round shows Lee, ASTCT and ICANS
now and highest with drivers and sorts by any of them; the patient page shows both new
grades and the timeline draws their courses. Through AppTest, on the sample ward."""

from __future__ import annotations

from pathlib import Path

import plotly.io
import pytest
from streamlit.testing.v1 import AppTest

from tests.app_pages import run_page, ward_from
from tests.markdown_text import seen_all
from tests.test_app import store_url  # noqa: F401 (autouse: a fresh ward store per test)
from ui.session import Ward

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
TIMEOUT = 180


@pytest.fixture(scope="module")
def ward() -> Ward:
    return ward_from(DATA / "sample_ward.csv", DATA / "sample_ward_patients.csv")


def _page(name: str, ward: Ward, patient: str | None = None) -> AppTest:
    return run_page(name, ward, patient, TIMEOUT)


def _census(at: AppTest):
    [table] = [d.value for d in at.dataframe if "Patient" in d.value.columns]
    return table


def test_the_ward_round_shows_the_three_grades_now_and_highest_with_drivers(ward):
    at = _page("1_Ward_round.py", ward)
    # The round fits 1,280 px with the grades now; highest and drivers are one toggle away.
    assert {"ASTCT", "ICANS"} <= set(_census(at).columns)
    at.toggle[0].set_value(True).run()
    table = _census(at).set_index("Patient")
    for column in ("ASTCT", "ASTCT highest", "ASTCT drivers", "ICANS", "ICANS highest"):
        assert column in table.columns
    assert table.loc["P014", ["Grade now", "ASTCT"]].tolist() == [2, 3]
    assert table.loc["P014", "ASTCT drivers"] == "masked fever, oxygen"
    assert table.loc["P016", ["Grade now", "ASTCT"]].tolist() == [2, 0]
    assert table.loc["P015", ["Grade now", "ICANS", "ICANS highest"]].tolist() == [0, 3, 3]
    assert table.loc["P015", "ICANS drivers"] == "CAPD"
    assert table.loc["CASE2", ["Highest", "ASTCT highest"]].tolist() == [3, 4]


@pytest.mark.parametrize(
    ("choice", "first", "column"),
    [
        ("grade", "P008", "Grade now"),
        ("astct", "P008", "ASTCT"),
        ("icans", "P007", "ICANS"),
    ],
)
def test_the_ward_round_sorts_by_any_of_the_three_grades(ward, choice, first, column):
    at = _page("1_Ward_round.py", ward)
    at.selectbox(key="census_sort").set_value(choice).run()
    assert not at.exception
    table = _census(at)
    assert table["Patient"].iloc[0] == first
    values = table[column].tolist()
    assert values == sorted(values, reverse=True)
    if choice == "icans":
        assert table["Patient"].tolist()[:2] == ["P007", "P015"]
        assert "Sickest first by ICANS grade" in seen_all(at.caption)


def test_the_patient_page_shows_both_new_grades_and_draws_their_courses(ward):
    at = _page("2_Patient.py", ward, "P014")
    # the header says "≥" as the metric does: no level of consciousness charted
    assert "· ASTCT 3 · ICANS ≥ 0 ·" in seen_all(at.markdown)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["ASTCT CRS now"] == "3"
    assert metrics["ASTCT highest"] == "3"
    assert metrics["ICANS now"] == "≥ 0"  # no level of consciousness charted
    sentences = seen_all(at.markdown)
    assert "ASTCT grade 3: high-flow nasal cannula (high-flow); fever masked by tocilizumab" in (
        sentences
    )
    [chart] = at.get("plotly_chart")
    names = [t.name for t in plotly.io.from_json(chart.proto.spec).data]
    assert "ASTCT CRS grade" in names
    assert any(name.startswith("ICANS grade") for name in names)


def test_the_patient_page_of_a_child_plots_capd_in_the_neurotoxicity_panel(ward):
    at = _page("2_Patient.py", ward, "P015")
    [chart] = at.get("plotly_chart")
    fig = plotly.io.from_json(chart.proto.spec)
    names = [t.name for t in fig.data]
    assert "CAPD score (0 = normal, 9 or more: ICANS grade 3)" in names
    assert "ICANS onset (ASTCT 2019)" in names
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Grade now"], metrics["ICANS now"]) == ("0", "3")
