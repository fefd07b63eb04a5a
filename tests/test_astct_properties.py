"""Properties of the ASTCT 2019 CRS and ICANS grades (issue #14, astct.md §2-§4).

- adding a finding never lowers either grade;
- attributing a code never raises either grade;
- ICANS never depends on the CRS columns, and ASTCT never on the neurological ones.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crs.read.columns import conform
from crs.scales.grading import grade

T0 = pd.Timestamp("2026-03-02 08:00")
NAN = float("nan")

CRS_CHOICES: dict[str, list[object]] = {
    "temp_c": [NAN, 37.0, 38.5],
    "sbp_mmhg": [NAN, 80.0, 120.0],
    "norepinephrine_ug_min": [NAN, 0.0, 5.0],
    "epinephrine_ug_min": [NAN, 0.0, 2.0],
    "vasopressin_u_min": [NAN, 0.0, 0.03],
    "o2_device": [None, "nasal cannula", "room air", "HFNC", "blow-by", "CPAP", "trach mask"],
    "o2_flow_l_min": [NAN, 0.0, 3.0, 8.0],
    "fio2": [NAN, 30.0, 50.0],
    "ventilated": [NAN, 0.0, 1.0],
    "tocilizumab_mg": [NAN, 400.0],
    "dexamethasone_mg": [NAN, 10.0],
    "deceased": [NAN, 0.0, 1.0],
    "organ_tox_grade": [NAN, 3.0],
}
NEURO_CHOICES: dict[str, list[object]] = {
    "ice_score": [NAN, 0.0, 5.0, 8.0, 10.0],
    "capd_score": [NAN, 0.0, 4.0, 12.0],
    "consciousness": [None, "alert", "V", "P", "U", "drowsy"],
    "rass": [NAN, 0.0, -2.0, -4.0, -5.0],
    "seizure": [None, "none", "focal seizure", "status epilepticus"],
    "motor_weakness": [None, "none", "tremor", "hemiparesis"],
    "cerebral_edema": [None, "none", "focal oedema", "papilloedema"],
    "neurotox_grade": [NAN, 1.0, 3.0],
}
#: The worst value of a domain: adding one where nothing was charted is a finding that no
#: carried value can outrank (astct.md §2.2, §3.2).
FINDINGS: list[tuple[str, object]] = [
    ("temp_c", 39.5),
    ("sbp_mmhg", 60.0),
    ("norepinephrine_ug_min", 10.0),
    ("epinephrine_ug_min", 5.0),
    ("ventilated", 1.0),
    ("deceased", 1.0),
    ("tocilizumab_mg", 400.0),
    ("fio2", 60.0),
    ("o2_flow_l_min", 10.0),
    ("ice_score", 0.0),
    ("capd_score", 20.0),
    ("rass", -5.0),
    ("consciousness", "unarousable"),
    ("seizure", "status epilepticus"),
    ("motor_weakness", "hemiparesis"),
    ("cerebral_edema", "diffuse oedema"),
]
CODES = ["fever", "hypotension", "vasopressor", "oxygen", "ventilation"]
CODES += ["ice", "capd", "consciousness", "seizure", "motor", "cerebral_edema"]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _rows(draw, choices: dict[str, list[object]], n: int) -> dict[str, list[object]]:
    return {c: [draw(st.sampled_from(v)) for _ in range(n)] for c, v in choices.items()}


@st.composite
def patients(draw) -> pd.DataFrame:
    n = draw(st.integers(1, 6))
    hours = sorted(draw(st.lists(st.integers(0, 40), min_size=n, max_size=n, unique=True)))
    values = _rows(draw, CRS_CHOICES, n) | _rows(draw, NEURO_CHOICES, n)
    frame = pd.DataFrame(values)
    frame["patient_id"] = "P"
    frame["time"] = [T0 + pd.Timedelta(hours=h) for h in hours]
    frame["age_years"] = draw(st.sampled_from([NAN, 8.0, 50.0]))
    frame["infusion_time"] = draw(st.sampled_from([pd.NaT, T0]))
    return frame


def _graded(frame: pd.DataFrame, attributions: pd.DataFrame | None = None) -> pd.DataFrame:
    frame = frame.copy()
    frame["time"] = pd.to_datetime(frame["time"]).astype("datetime64[us]")
    frame["instant"] = frame["time"]
    frame["infusion_time"] = pd.to_datetime(frame["infusion_time"]).astype("datetime64[us]")
    return grade(conform(frame), attributions)


SCALES = ["astct_grade", "icans_grade"]


@SETTINGS
@given(patients(), st.data())
def test_adding_a_finding_never_lowers_either_grade(frame: pd.DataFrame, data) -> None:
    row = data.draw(st.integers(0, len(frame) - 1))
    column, value = data.draw(st.sampled_from(FINDINGS))
    more = frame.copy()
    more[column] = more[column].astype(object)
    more.loc[row, column] = value
    before, after = _graded(frame), _graded(more)
    for scale in SCALES:
        assert (after[scale] >= before[scale]).all(), (scale, column, value)


@SETTINGS
@given(patients(), st.sampled_from(CODES), st.integers(0, 40), st.integers(0, 40))
def test_attributing_a_code_never_raises_either_grade(
    frame: pd.DataFrame, code: str, start: int, length: int
) -> None:
    attribution = pd.DataFrame(
        {
            "patient_id": ["P"],
            "criterion": [code],
            "start": [T0 + pd.Timedelta(hours=start)],
            "end": [T0 + pd.Timedelta(hours=start + length)],
            "reason": ["not CRS"],
            "author": ["test"],
        }
    ).astype({"start": "datetime64[us]", "end": "datetime64[us]"})
    before, after = _graded(frame), _graded(frame, attribution)
    for scale in SCALES:
        assert (after[scale] <= before[scale]).all(), (scale, code)
    assert after["icans_unknown"].tolist() == before["icans_unknown"].tolist()


@SETTINGS
@given(patients(), st.data())
def test_icans_never_depends_on_the_crs_columns(frame: pd.DataFrame, data) -> None:
    other = frame.copy()
    for column, values in _rows(data.draw, CRS_CHOICES, len(frame)).items():
        other[column] = values
    first, second = _graded(frame), _graded(other)
    columns = ["icans_grade", "icans_drivers", "icans_unknown", "icans_explanation"]
    pd.testing.assert_frame_equal(first[columns].astype(str), second[columns].astype(str))


@SETTINGS
@given(patients(), st.data())
def test_astct_never_depends_on_the_neurological_columns(frame: pd.DataFrame, data) -> None:
    other = frame.copy()
    for column, values in _rows(data.draw, NEURO_CHOICES, len(frame)).items():
        other[column] = values
    first, second = _graded(frame), _graded(other)
    columns = ["astct_grade", "astct_drivers", "astct_explanation"]
    pd.testing.assert_frame_equal(first[columns].astype(str), second[columns].astype(str))
