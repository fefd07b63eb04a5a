"""Properties of the grader (docs/architecture.md §2; spec grading.md §2–§3).

- shuffling the input rows changes nothing;
- grading patients one at a time equals grading them together (no cross-patient state);
- adding a finding never lowers any row's grade;
- attributing a criterion to another cause never raises any row's grade, nor any
  criterion's (spec §5), and removes exactly that criterion.
Values are drawn at and around the thresholds and window edges of the spec.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from grading_frames import at, canonical
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crs.scales.grading import ATTRIBUTABLE, grade

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Hours after T0 chosen to sit on window edges (6 h, 12 h, 24 h, 48 h; ±1 min; 3 h rule).
HOURS = [0, 1, 2 + 59 / 60, 3, 5, 6, 6 + 1 / 60, 9, 12, 12 + 1 / 60, 24, 24 + 1 / 60, 27, 48, 49]

#: Per column, values around its thresholds (NaN = not recorded on the row).
VALUES: dict[str, list[object]] = {
    "temp_c": [37.9, 38.0, 39.5],
    "sbp_mmhg": [64, 69, 70, 89, 90, 120],
    "dbp_mmhg": [40, 50, 70],
    "map_mmhg": [64, 65, 70, 80],
    "norepinephrine_ug_min": [0, 5, 10, 20, 25],
    "norepinephrine_ug_kg_min": [0, 0.1, 0.3],
    "dopamine_ug_kg_min": [0, 5, 10],
    "vasopressin_u_min": [0, 0.03],
    "fio2": [21, 30, 40, 60],
    "o2_flow_l_min": [0, 2, 5, 6, 6.5, 8],
    "o2_device": [
        "NC",
        "room air",
        "NRB",
        "HFNC",
        "face mask",
        "Venturi",
        "blow-by",
        "BiPAP",
        "trach collar",
    ],
    "ventilated": [0.0, 1.0],
    "creatinine_mg_dl": [0.5, 1.0, 1.9, 4.0],
    "ast_u_l": [40, 130, 300, 900],
    "fibrinogen_mg_dl": [40, 120, 250],
    "lvef_pct": [15, 45, 60],
    "neurotox_grade": [0.0, 2.0, 3.0],
    "organ_tox_grade": [0.0, 2.0, 3.0],
    "symptoms": ["rigors", "no rash", "cough"],
    "deceased": [0.0, 1.0],
}
PATIENT_VALUES: dict[str, list[object]] = {
    "age_years": [np.nan, 0.5, 5, 12, 40],
    "weight_kg": [np.nan, 70.0],
}


@st.composite
def patients(draw: st.DrawFn, patient_id: str) -> pd.DataFrame:
    hours = draw(st.lists(st.sampled_from(HOURS), min_size=1, max_size=6, unique=True))
    level = {k: draw(st.sampled_from(v)) for k, v in PATIENT_VALUES.items()}
    rows = []
    for h in hours:
        row: dict[str, object] = {"patient_id": patient_id, "time": at(h), **level}
        for column in draw(st.sets(st.sampled_from(sorted(VALUES)), max_size=4)):
            row[column] = draw(st.sampled_from(VALUES[column]))
        rows.append(row)
    return pd.DataFrame(rows)


@st.composite
def wards(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(min_value=1, max_value=3))
    frames = [draw(patients(f"P{i}")) for i in range(n)]
    frame = pd.concat(frames, ignore_index=True)
    for column in VALUES:
        if column not in frame.columns:
            frame[column] = np.nan
    frame["o2_device"] = frame["o2_device"].astype("str")
    frame["symptoms"] = frame["symptoms"].astype("str")
    return canonical(frame)


def _by_patient_and_instant(graded: pd.DataFrame) -> pd.DataFrame:
    return graded.sort_values(["patient_id", "instant"], kind="stable").reset_index(drop=True)


@SETTINGS
@given(ward=wards(), seed=st.integers(min_value=0, max_value=2**31 - 1))
def test_shuffling_rows_changes_nothing(ward: pd.DataFrame, seed: int) -> None:
    shuffled = ward.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        _by_patient_and_instant(grade(ward)), _by_patient_and_instant(grade(shuffled))
    )


@SETTINGS
@given(ward=wards())
def test_grading_patients_one_at_a_time_equals_grading_together(ward: pd.DataFrame) -> None:
    together = grade(ward)
    one_by_one = pd.concat(
        [grade(ward[ward["patient_id"] == p]) for p in ward["patient_id"].unique()],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(together, one_by_one)


#: The most severe value of each finding: setting it can only add or worsen a finding.
WORST: dict[str, object] = {
    "temp_c": 41.0,
    "sbp_mmhg": 50.0,
    "norepinephrine_ug_min": 60.0,
    "vasopressin_u_min": 0.04,
    "fio2": 100.0,
    "ventilated": 1.0,
    "ast_u_l": 5000.0,
    "bilirubin_mg_dl": 20.0,
    "fibrinogen_mg_dl": 30.0,
    "lvef_pct": 10.0,
    "neurotox_grade": 4.0,
    "organ_tox_grade": 4.0,
    "symptoms": "rigors",
    "deceased": 1.0,
}


@SETTINGS
@given(ward=wards(), data=st.data())
def test_adding_a_finding_never_lowers_a_grade(ward: pd.DataFrame, data: st.DataObject) -> None:
    row = data.draw(st.integers(min_value=0, max_value=len(ward) - 1))
    column = data.draw(st.sampled_from(sorted(WORST)))
    worse = ward.copy()
    worse.loc[row, column] = WORST[column]
    before = _by_patient_and_instant(grade(ward))["grade"].to_numpy()
    after = _by_patient_and_instant(grade(worse))["grade"].to_numpy()
    assert (after >= before).all(), (column, row)
    assert after[_position(ward, row)] >= max(before[_position(ward, row)], 1)


def _position(ward: pd.DataFrame, row: int) -> int:
    """Where input row ``row`` lands after sorting by patient and instant."""
    order = ward.sort_values(["patient_id", "instant"], kind="stable").index
    return int(np.flatnonzero(order == row)[0])


@SETTINGS
@given(ward=wards(), data=st.data())
def test_attributing_a_criterion_never_raises_a_grade(
    ward: pd.DataFrame, data: st.DataObject
) -> None:
    criterion = data.draw(st.sampled_from(ATTRIBUTABLE))
    patient_id = data.draw(st.sampled_from(sorted(ward["patient_id"].unique())))
    start = data.draw(st.sampled_from(HOURS))
    end = data.draw(st.sampled_from([None, *(h for h in HOURS if h >= start)]))
    attributions = pd.DataFrame(
        {
            "patient_id": [patient_id],
            "criterion": [criterion],
            "start": pd.Series([at(start)], dtype="datetime64[us]"),
            "end": pd.Series([at(end) if end is not None else pd.NaT], dtype="datetime64[us]"),
            "reason": ["another cause"],
            "author": ["Dr P"],
        }
    )
    before = grade(ward)
    after = grade(ward, attributions)
    assert (after["grade"] <= before["grade"]).all()
    for column in (c for c in before.columns if c.startswith("g_")):
        assert (after[column] <= before[column]).all(), column
    # Only the attributed criterion changes, and only where it was met and covered.
    others = [c for c in before.columns if c.startswith("g_") and c != f"g_{criterion}"]
    pd.testing.assert_frame_equal(after[others], before[others])
    removed = after["attributed"] != ""
    assert (after.loc[removed, "attributed"] == criterion).all()
    assert (before.loc[removed, f"g_{criterion}"] > 0).all()
    assert (after.loc[removed, f"g_{criterion}"] == 0).all()
