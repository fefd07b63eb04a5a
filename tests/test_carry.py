"""Carrying values forward (spec grading.md §2): windows at, just inside and just past the edge."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from grading_frames import canonical, patient

from crs.findings.carry import Timeline, carry_forward
from crs.scales.grading import grade


def _graded(rows: list[dict], **patient_level: object) -> pd.DataFrame:
    return grade(canonical(patient(rows, **patient_level)))


@pytest.mark.parametrize(
    ("hours", "minutes", "expected_grade"),
    [(6, 0, 1), (5, 59, 1), (6, 1, 0)],
    ids=["exactly_6_h", "5_h_59_min", "6_h_1_min"],
)
def test_temperature_is_carried_for_6_hours_inclusive(hours, minutes, expected_grade) -> None:
    graded = _graded([{"hours": 0, "temp_c": 38.5}, {"hours": hours, "minutes": minutes}])
    assert graded["grade"].tolist() == [1, expected_grade]
    assert ("temperature" in graded["unknown"].iloc[1]) is (expected_grade == 0)


@pytest.mark.parametrize(("minutes", "expected_grade"), [(0, 2), (1, 0)])
def test_blood_pressure_is_carried_for_6_hours_inclusive(minutes, expected_grade) -> None:
    graded = _graded([{"hours": 0, "sbp_mmhg": 80}, {"hours": 6, "minutes": minutes}])
    assert graded["grade"].iloc[1] == expected_grade
    assert ("blood_pressure" in graded["unknown"].iloc[1]) is (expected_grade == 0)


def test_a_documented_map_is_carried_like_sbp() -> None:
    graded = _graded([{"hours": 0, "map_mmhg": 60}, {"hours": 6}, {"hours": 6, "minutes": 1}])
    assert graded["grade"].tolist() == [2, 2, 0]


@pytest.mark.parametrize(("minutes", "expected_grade"), [(0, 3), (1, 0)])
def test_oxygen_is_carried_for_12_hours_inclusive(minutes, expected_grade) -> None:
    graded = _graded([{"hours": 0, "fio2": 50}, {"hours": 12, "minutes": minutes}])
    assert graded["grade"].iloc[1] == expected_grade


@pytest.mark.parametrize(("minutes", "expected_grade"), [(0, 4), (1, 0)])
def test_a_ventilator_device_is_carried_for_12_hours(minutes, expected_grade) -> None:
    graded = _graded([{"hours": 0, "o2_device": "ventilator"}, {"hours": 12, "minutes": minutes}])
    assert graded["grade"].iloc[1] == expected_grade


@pytest.mark.parametrize(("minutes", "expected_grade"), [(0, 2), (1, 0)])
def test_a_vasopressor_rate_is_carried_for_24_hours(minutes, expected_grade) -> None:
    graded = _graded([{"hours": 0, "norepinephrine_ug_min": 5}, {"hours": 24, "minutes": minutes}])
    assert graded["grade"].iloc[1] == expected_grade


def test_a_documented_zero_rate_stops_the_vasopressor_at_once() -> None:
    graded = _graded(
        [
            {"hours": 0, "norepinephrine_ug_min": 5},
            {"hours": 1, "norepinephrine_ug_min": 0},
            {"hours": 1, "minutes": 1},
        ]
    )
    assert graded["grade"].tolist() == [2, 0, 0]
    assert graded["n_vasopressors"].tolist() == [1, 0, 0]


@pytest.mark.parametrize(("minutes", "expected_grade"), [(0, 3), (1, 0)])
def test_neurotoxicity_grade_is_carried_for_24_hours(minutes, expected_grade) -> None:
    graded = _graded([{"hours": 0, "neurotox_grade": 3}, {"hours": 24, "minutes": minutes}])
    assert graded["grade"].iloc[1] == expected_grade


@pytest.mark.parametrize(("minutes", "expected_grade"), [(0, 3), (1, 0)])
def test_laboratory_values_are_carried_for_48_hours(minutes, expected_grade) -> None:
    graded = _graded([{"hours": 0, "bilirubin_mg_dl": 5}, {"hours": 48, "minutes": minutes}])
    assert graded["grade"].iloc[1] == expected_grade


def test_symptoms_count_on_their_own_row_only() -> None:
    graded = _graded([{"hours": 0, "symptoms": "rigors"}, {"hours": 0, "minutes": 1}])
    assert graded["grade"].tolist() == [1, 0]


def test_death_counts_on_its_own_row_only() -> None:
    graded = _graded([{"hours": 0, "deceased": 1.0}, {"hours": 1}])
    assert graded["grade"].tolist() == [5, 0]


def test_a_newer_value_replaces_an_older_one() -> None:
    graded = _graded([{"hours": 0, "temp_c": 39.0}, {"hours": 1, "temp_c": 37.0}, {"hours": 2}])
    assert graded["temp_c_used"].tolist() == [39.0, 37.0, 37.0]
    assert graded["grade"].tolist() == [1, 0, 0]


def test_values_never_carry_from_one_patient_to_the_next() -> None:
    first = patient([{"hours": 0, "temp_c": 39.0}], patient_id="A")
    second = patient([{"hours": 1}], patient_id="B")
    graded = grade(canonical(first, second))
    assert graded["grade"].tolist() == [1, 0]
    assert np.isnan(graded["temp_c_used"].iloc[1])


def test_carry_forward_returns_the_source_row_and_minus_one_when_none() -> None:
    codes = np.array([0, 0, 0, 1, 1])
    instants = pd.to_datetime(
        [
            "2024-01-01 00:00",
            "2024-01-01 05:00",
            "2024-01-01 07:00",
            "2024-01-01 00:00",
            "2024-01-01 01:00",
        ]
    ).to_numpy(dtype="datetime64[us]")
    timeline = Timeline(codes, instants)
    values, source = carry_forward(
        np.array([38.0, np.nan, np.nan, np.nan, 36.0]), timeline, pd.Timedelta(hours=6)
    )
    assert source.tolist() == [0, 0, -1, -1, 4]
    np.testing.assert_array_equal(values, [38.0, 38.0, np.nan, np.nan, 36.0])


def test_unknown_lists_every_domain_without_a_value_sorted() -> None:
    graded = _graded([{"hours": 0, "temp_c": 37.0}])
    assert graded["unknown"].iloc[0] == "blood_pressure;oxygen"
    graded = _graded([{"hours": 0}])
    assert graded["unknown"].iloc[0] == "blood_pressure;oxygen;temperature"
    graded = _graded([{"hours": 0, "temp_c": 37.0, "sbp_mmhg": 120, "fio2": 21}])
    assert graded["unknown"].iloc[0] == ""
