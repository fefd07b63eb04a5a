"""Oxygen over time and device words (spec grading.md §3.3)."""

from __future__ import annotations

import pandas as pd
import pytest
from grading_frames import canonical, patient

from crs.findings.oxygen import normalise_device
from crs.scales.grading import grade


@pytest.mark.parametrize(
    ("word", "device"),
    [
        ("NC", "nasal_cannula"),
        ("Nasal Cannula", "nasal_cannula"),
        ("nasal prongs", "nasal_cannula"),
        ("HFNC", "hfnc"),
        ("High-flow nasal cannula", "hfnc"),
        ("Optiflow", "hfnc"),
        ("NRB", "non_rebreather"),
        ("non-rebreather", "non_rebreather"),
        ("Non rebreather mask", "non_rebreather"),
        ("face mask", "face_mask"),
        ("simple mask", "face_mask"),
        ("Venturi mask", "venturi"),
        ("BiPAP", "bipap"),
        ("Bi-PAP", "bipap"),
        ("CPAP", "cpap"),
        ("NIV", "niv"),
        ("non-invasive ventilation", "niv"),
        ("ventilator", "ventilator"),
        ("Mechanical ventilation", "ventilator"),
        ("intubated", "ventilator"),
        ("blow-by", "blow_by"),
        ("Blow by", "blow_by"),
        ("blowby", "blow_by"),
        ("blow-by O2 via mask", "blow_by"),
        ("RA", "room_air"),
        ("Room air", "room_air"),
        ("trach collar", "other"),
    ],
)
def test_device_words_are_matched_loosely(word: str, device: str) -> None:
    assert normalise_device(pd.Series([word], dtype="str"))[0] == device


def test_a_missing_device_is_an_empty_word() -> None:
    assert normalise_device(pd.Series([None], dtype="str"))[0] == ""


def test_room_air_recorded_after_a_fio2_means_oxygen_was_stopped() -> None:
    graded = grade(
        canonical(
            patient(
                [
                    {"hours": 0, "fio2": 50},
                    {"hours": 2, "o2_device": "room air"},
                    {"hours": 3},
                ]
            )
        )
    )
    assert graded["g_oxygen"].tolist() == [3, 0, 0]
    assert graded["oxygen_basis"].tolist() == ["fio2", "room_air", "room_air"]


def test_a_fio2_recorded_after_room_air_is_in_effect() -> None:
    graded = grade(
        canonical(patient([{"hours": 0, "o2_device": "room air"}, {"hours": 2, "fio2": 50}]))
    )
    assert graded["g_oxygen"].tolist() == [0, 3]


def test_room_air_after_a_cannula_flow_stops_the_flow_estimate() -> None:
    graded = grade(
        canonical(
            patient(
                [
                    {"hours": 0, "o2_flow_l_min": 4, "o2_device": "NC"},
                    {"hours": 1, "o2_device": "RA"},
                ]
            )
        )
    )
    assert graded["g_oxygen"].tolist() == [2, 0]


def test_flow_estimates_are_capped_at_100_percent() -> None:
    graded = grade(canonical(patient([{"hours": 0, "o2_flow_l_min": 30}])))
    assert graded["fio2_used"].iloc[0] == 100.0
    assert graded["g_oxygen"].iloc[0] == 3


def test_weaning_by_cannula_flow_is_graded_by_the_flow_not_the_estimate() -> None:
    # grading.md §3.3 (version 2): ≤ 6 L/min low-flow (2), > 6 L/min high flow (3).
    flows = [4, 8, 6.5, 6, 5, 0]
    rows = [{"hours": h, "o2_flow_l_min": f, "o2_device": "NC"} for h, f in enumerate(flows)]
    graded = grade(canonical(patient(rows)))
    assert graded["g_oxygen"].tolist() == [2, 3, 3, 2, 2, 0]
    assert graded["fio2_used"].tolist() == [37.0, 53.0, 47.0, 45.0, 41.0, 21.0]
    assert (graded["oxygen_basis"] == "flow").all()
