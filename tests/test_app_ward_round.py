"""Every page with the patients a ward round must not misread (issue #15), through AppTest.

tests/files/lower_bound_ward.csv holds two patients:

- LB1: 38.9 °C every 8 h on room air, a CRP drawn alone at 07:00 and 15:00 — 7 h after the
  last temperature, so the grade there is a lower bound (≥ 0), never a recovery; then
  tocilizumab 480 mg at 02:00 on 2 May;
- NOO2: no oxygen charted at all (every grade a lower bound: oxygen not known), an
  unreadable temperature ("3 8.6", line 11) and an impossible SBP (1100, line 12).
"""

from __future__ import annotations

from pathlib import Path

import plotly.io
import pytest
from streamlit.testing.v1 import AppTest

from tests.app_pages import run_page, ward_from
from tests.markdown_text import seen, seen_all
from tests.test_app import store_url  # noqa: F401 (autouse: a fresh ward store per test)
from ui.session import WARD_KEY, Ward
from ui.text import md_escape

REPO = Path(__file__).resolve().parents[1]
FILES = REPO / "tests" / "files"
TIMEOUT = 120


@pytest.fixture(scope="module")
def ward() -> Ward:
    return ward_from(FILES / "lower_bound_ward.csv", FILES / "lower_bound_patients.csv")


def _page(name: str, ward: Ward, patient: str | None = None) -> AppTest:
    return run_page(name, ward, patient, TIMEOUT)


def _census(at: AppTest):
    [table] = [d.value for d in at.dataframe if "Patient" in d.value.columns]
    return table.set_index("Patient")


def _figure(at: AppTest):
    [chart] = at.get("plotly_chart")
    return plotly.io.from_json(chart.proto.spec)


def test_the_ward_round_shows_the_round_columns_and_says_what_is_not_known(ward):
    at = _page("1_Ward_round.py", ward)
    table = _census(at)
    assert list(table.columns) == [
        "Grade now",
        "Highest",
        "ASTCT",
        "ICANS",
        "Trend 24 h",
        "Drivers now",
        "Figure 2 suggestion",
        "Alerts",
        "Tmax 24 h",
        "Low SBP/MAP",
        "NE-eq μg/min",
        "Oxygen now",
        "Neuro now",
        "Last toci",
    ]
    assert table.loc["NOO2", "Oxygen now"] == "not charted"
    assert table.loc["LB1", "Oxygen now"] == "room air"
    # 38.7 at 00:00 and 38.8 at 02:00 on 2 May; the 38.9 of 1 May 00:00 is 26 h old.
    assert table.loc["LB1", "Tmax 24 h"] == "38.9 °C"
    assert table.loc["LB1", "Last toci"] == "0.0 h"
    assert table.loc["NOO2", "Last toci"] == ""
    markdown = seen_all(at.markdown)
    assert "**NOO2** — grade 0 is a lower bound — not known: oxygen" in markdown


def test_the_patient_page_of_a_patient_without_oxygen_counts_and_marks_its_data_problems(ward):
    at = _page("2_Patient.py", ward, "NOO2")
    header = seen_all(at.markdown)
    assert "**Patient NOO2** · grade now ≥ 0" in header
    assert "[2 data problems on this patient's rows](#data-problems)" in header
    [grade_now] = [m for m in at.metric if m.label == "Grade now"]
    assert grade_now.value == "≥ 0"
    fig = _figure(at)
    assert "oxygen" not in fig.layout.meta["panels"]
    names = [t.name for t in fig.data]
    assert "CRS grade: lower bound (not documented)" in names
    assert "CRS grade" not in names  # no grade of NOO2 is known: every one a lower bound
    marks = [t for t in fig.data if t.name == "Value left out (data problem)"]
    assert sorted(t.yaxis for t in marks) == sorted(
        [fig.layout.meta["panels"]["temperature"], fig.layout.meta["panels"]["blood_pressure"]]
    )
    assert "No tocilizumab, corticosteroid or other immunosuppressant recorded." in seen_all(
        at.markdown
    )
    [problems] = [d.value for d in at.dataframe if "reason" in d.value.columns]
    assert problems["line"].tolist() == [11, 12]


def test_the_patient_page_draws_a_lab_only_time_point_as_a_lower_bound_and_lists_the_dose(ward):
    at = _page("2_Patient.py", ward, "LB1")
    fig = _figure(at)
    [known] = [t for t in fig.data if t.name == "CRS grade"]
    [lower] = [t for t in fig.data if t.name == "CRS grade: lower bound (not documented)"]
    assert known.marker.symbol != lower.marker.symbol
    assert "temperature" in lower.customdata[0][2]
    given = [t.value for t in at.table if "Hours before the latest time point" in t.value.columns]
    assert len(given) == 1
    row = given[0].iloc[0]
    assert given[0].index[0] == "tocilizumab 480 mg"
    assert seen(row["At"]) == "day 3.7 · 2024-05-02 02:00"
    assert row[md_escape("Dose (label limit)")] == "1 of 4"
    # The other time point defaults to the latest (the dose given), not the worst.
    assert at.selectbox[1].value == len(ward.patient("LB1")) - 1


def test_home_lists_each_data_problem_with_its_patient(ward):
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT)
    at.session_state[WARD_KEY] = ward
    at.run()
    [problems] = [d.value for d in at.dataframe if "reason" in d.value.columns]
    assert problems["patient"].tolist() == ["NOO2", "NOO2"]


def test_the_reference_page_runs_with_this_ward(ward):
    at = _page("3_Reference.py", ward)
    assert "Table 3" in seen_all(at.markdown)
