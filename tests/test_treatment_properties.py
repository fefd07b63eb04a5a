"""Properties of the Figure 2 algorithm over generated wards (crs.treatment.treatment).

The one that matters most clinically: a row's recommendation and alerts use only data at
or before it (treatment.md, top), so what a clinician saw at 10:00 never changes when the
11:00 observations arrive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from treatment_frames import graded, ward

from crs.treatment import treatment
from crs.treatment.treatment import recommend

#: Doses are sparse, as on a ward, so that alerts about doses get a chance to fire.
DOSES = st.sampled_from([np.nan] * 6 + [0.0, 400.0])
#: Row gaps from minutes to two days, weighted to the 24-72 h and 48 h edges of §2.
GAP_MINUTES = st.one_of(
    st.integers(min_value=1, max_value=6 * 60),
    st.integers(min_value=20 * 60, max_value=50 * 60),
)


@st.composite
def patient_rows(draw: st.DrawFn) -> list[dict]:
    """A patient's rows: increasing times (minutes to days apart) and plausible findings."""
    n = draw(st.integers(min_value=1, max_value=12))
    gaps = draw(st.lists(GAP_MINUTES, min_size=n, max_size=n))
    minutes = np.cumsum(gaps)
    rows = []
    for at in minutes:
        rows.append(
            {
                "hours": float(at) / 60.0,
                "grade": draw(st.sampled_from([0, 1, 2, 2, 3, 3, 3, 4, 5])),
                "g_vasopressor": draw(st.sampled_from([0, 0, 2, 3])),
                "g_hypotension": draw(st.sampled_from([0, 0, 2])),
                "neurotox_used": draw(st.sampled_from([np.nan, 0.0, 1.0, 3.0])),
                "organ_alt": draw(st.sampled_from([0, 0, 4])),
                "tocilizumab_mg": draw(DOSES),
                "methylprednisolone_mg": draw(st.sampled_from([np.nan] * 12 + [120.0])),
                "other_immunosuppressant": draw(
                    st.sampled_from([pd.NA, pd.NA, "none", "anakinra"])
                ),
                "crp_mg_l": draw(st.sampled_from([np.nan, 20.0, 40.0, 60.0, 80.0, 100.0])),
            }
        )
    return rows


@st.composite
def wards(draw: st.DrawFn) -> pd.DataFrame:
    patients = draw(st.lists(patient_rows(), min_size=1, max_size=3))
    frames = [
        graded(
            rows,
            patient_id=f"P{number}",
            age_years=draw(st.sampled_from([np.nan, 40.0, 64.0, 65.0, 80.0])),
            high_risk=draw(st.sampled_from([np.nan, 0.0, 1.0])),
        )
        for number, rows in enumerate(patients)
    ]
    return ward(*frames)


@settings(max_examples=80, deadline=None)
@given(frame=wards(), cut_hours=st.floats(min_value=0.0, max_value=24.0 * 50))
def test_appending_later_rows_never_changes_earlier_rows(
    frame: pd.DataFrame, cut_hours: float
) -> None:
    cut = frame["instant"].min() + pd.Timedelta(hours=cut_hours)
    earlier = frame[frame["instant"] <= cut]
    on_earlier_only = recommend(earlier)
    on_everything = recommend(frame).loc[earlier.index]
    pd.testing.assert_frame_equal(on_earlier_only, on_everything)


@settings(max_examples=30, deadline=None)
@given(frame=wards(), seed=st.integers(min_value=0, max_value=2**31 - 1))
def test_row_order_and_other_patients_never_change_a_patients_rows(
    frame: pd.DataFrame, seed: int
) -> None:
    whole = recommend(frame)
    shuffled = frame.sample(frac=1.0, random_state=seed)
    pd.testing.assert_frame_equal(recommend(shuffled).loc[frame.index], whole)
    for _, one_patient in frame.groupby("patient_id"):
        pd.testing.assert_frame_equal(recommend(one_patient), whole.loc[one_patient.index])


@settings(max_examples=80, deadline=None)
@given(frame=wards())
def test_every_row_gets_one_figure_2_code_for_its_grade_and_known_sorted_alerts(
    frame: pd.DataFrame,
) -> None:
    result = recommend(frame)
    for joined in result["alerts"]:
        codes = joined.split(";") if joined else []
        assert codes == sorted(set(codes))
        assert set(codes) <= set(treatment.ALERT_CODES)
    grade = frame["grade"]
    code = result["recommendation"]
    assert code[grade.isin([0, 5])].eq("none").all()
    assert code[grade.eq(1)].eq("supportive_care").all()
    assert code[grade.eq(2)].isin(["supportive_care", "consider_immunosuppression"]).all()
    assert code[grade.isin([3, 4])].isin(["immunosuppression", "corticosteroids_preferred"]).all()
    # Alerts that need a severe or unimproved grade never appear below it.
    assert not result["alerts"][grade < 3].str.contains("untreated_severe").any()
    assert not result["alerts"][grade < 2].str.contains("no_improvement").any()
    # treatment.md §2: grade 5 (death) gets no alerts at all.
    assert result["alerts"][grade.eq(5)].eq("").all()
    # The tocilizumab note for CRP appears from the patient's first dose on, never before.
    dosed = frame["tocilizumab_mg"].gt(0).groupby(frame["patient_id"]).cummax()
    assert result["after_tocilizumab"].tolist() == dosed.tolist()


@st.composite
def patient_instants(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Rows as the alerts read them: by patient, then instant, a missing instant last."""
    patients, instants = [], []
    for number in range(draw(st.integers(min_value=0, max_value=4))):
        hours = sorted(draw(st.lists(st.integers(0, 12), max_size=8)))
        missing = draw(st.integers(min_value=0, max_value=2))
        patients += [number] * (len(hours) + missing)
        instants += [np.datetime64(h, "h") for h in hours] + [np.datetime64("NaT")] * missing
    return np.array(patients, dtype="intp"), np.array(instants, dtype="datetime64[us]")


@settings(max_examples=150, deadline=None)
@given(
    rows=patient_instants(),
    queries=st.lists(
        st.tuples(st.integers(0, 4), st.one_of(st.integers(-1, 13), st.none())), max_size=10
    ),
)
def test_searching_a_patients_rows_by_instant_finds_what_a_row_by_row_search_finds(
    rows: tuple[np.ndarray, np.ndarray], queries: list[tuple[int, int | None]]
) -> None:
    """Both sides, instants between, before and after the rows, ties and missing ones:
    the first row of the patient at or after the instant ("left"), or one past the last
    at or before it ("right"), a missing instant counting as later than any other."""
    patient, instant = rows
    query_patient = np.array([p for p, _ in queries], dtype="intp")
    query_instant = np.array(
        [np.datetime64("NaT") if h is None else np.datetime64(h, "h") for _, h in queries],
        dtype="datetime64[us]",
    )

    def later(a: np.datetime64, b: np.datetime64) -> bool:  # a after b, NaT last
        return not np.isnat(b) and (np.isnat(a) or a > b)

    for side in ("left", "right"):
        found = treatment._patient_searchsorted(
            patient, instant, query_patient, query_instant, side
        )
        for k, (p, t) in enumerate(zip(query_patient, query_instant, strict=True)):
            low, high = np.searchsorted(patient, p, "left"), np.searchsorted(patient, p, "right")
            own = range(low, high)
            if side == "left":  # the first row not before the instant, else past the rows
                expected = next((i for i in own if not later(t, instant[i])), high)
            else:  # one past the last row not after the instant, else the first row
                expected = max((i + 1 for i in own if not later(instant[i], t)), default=low)
            assert found[k] == expected, (side, p, t)
