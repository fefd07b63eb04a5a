"""Second speed round of the grader (issue #2): fast paths equal the general paths.

Like ``tests/test_grade_fast.py``: every fast path has a guard that sends input it
cannot handle to the general path, and these tests compare the two on messy input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from grading_frames import canonical, patient
from test_grade_fast import _factorize_rows_reference

from crs.findings import carry, vasopressors
from crs.findings.carry import Timeline
from crs.scales import explain
from crs.scales.grading import grade

RNG = np.random.default_rng(20261121)


def _dense_last_documented(tl: Timeline, documented: np.ndarray, window: pd.Timedelta):
    """The running-maximum path of ``Timeline.last_documented`` (forced)."""
    share = carry._SPARSE_SHARE
    try:
        carry._SPARSE_SHARE = 10**12  # nothing counts as sparse
        return tl.last_documented(documented, window)
    finally:
        carry._SPARSE_SHARE = share


def _messy_timeline() -> tuple[Timeline, np.ndarray]:
    n_patients = int(RNG.integers(1, 30))
    sizes = RNG.integers(1, 40, n_patients)
    codes = np.repeat(np.arange(n_patients), sizes)
    hour = 3_600_000_000
    # Ties, steps exactly on the 6 h / 12 h / 48 h window edges and one microsecond off.
    steps = RNG.choice([0, 1, hour, 6 * hour, 6 * hour + 1, 12 * hour, 48 * hour + 1], len(codes))
    t = np.cumsum(steps).astype(np.int64) + int(RNG.integers(-(2**50), 2**50))
    # Patients need not follow each other in time: restart some at an earlier instant.
    restart = RNG.random(n_patients) < 0.3
    t -= np.repeat(np.where(restart, RNG.integers(0, 10**13, n_patients), 0), sizes)
    return Timeline(codes, t.view("datetime64[us]")), codes


def test_sparse_last_documented_equals_the_running_maximum_on_messy_timelines() -> None:
    windows = [pd.Timedelta(0), pd.Timedelta(hours=6), pd.Timedelta(hours=12), pd.Timedelta(days=2)]
    for _ in range(300):
        tl, _ = _messy_timeline()
        density = RNG.choice([0.01, 0.05, 0.12, 0.3])
        documented = RNG.random(tl.n) < density
        if RNG.random() < 0.2:
            documented[-1] = True  # the very last row documented
        if RNG.random() < 0.2:
            documented[0] = True
        for window in windows:
            got = tl.last_documented(documented, window)
            assert got.dtype == np.int64
            np.testing.assert_array_equal(got, _dense_last_documented(tl, documented, window))


def test_sparse_last_documented_guards_send_other_input_to_the_general_path() -> None:
    # Instants at the ends of datetime64[us]: no keys, the running maximum answers.
    t = np.array([np.iinfo(np.int64).min + 1, 0, np.iinfo(np.int64).max], dtype=np.int64)
    tl = Timeline(np.array([0, 1, 1]), t.view("datetime64[us]"))
    assert tl._key() is None
    documented = np.zeros(3, dtype=bool)
    documented[1] = True
    np.testing.assert_array_equal(
        tl.last_documented(documented, pd.Timedelta(hours=6)), [-1, 1, -1]
    )
    # A window longer than the gap between patients' keys goes the general path too.
    tl, _ = _messy_timeline()
    documented = RNG.random(tl.n) < 0.05
    long = pd.Timedelta(microseconds=carry._PATIENT_GAP)
    np.testing.assert_array_equal(
        tl.last_documented(documented, long), _dense_last_documented(tl, documented, long)
    )
    # Patients' keys increase and keep each patient's instant differences.
    key = tl._key()
    assert (np.diff(key) >= 0).all()
    same = ~tl.first[1:]
    np.testing.assert_array_equal(np.diff(key)[same], np.diff(tl.t)[same])
    assert (np.diff(key)[~same] == carry._PATIENT_GAP).all()  # windows are shorter


def test_expiry_events_merged_without_a_sort_equal_the_lexsort() -> None:
    hour = 3_600_000_000
    for _ in range(300):
        tl, codes = _messy_timeline()
        k = int(RNG.integers(1, 40))
        rows = RNG.integers(0, tl.n, k)
        # Events one window + 1 μs after a row, or landing exactly on later rows' instants.
        ahead = RNG.choice([24 * hour + 1, 0, 1, hour], k)
        event_t = tl.t[rows] + ahead
        on_row = RNG.random(k) < 0.3
        later = np.minimum(rows + 1, tl.end[rows])
        event_t = np.where(on_row, tl.t[later], event_t)
        ahead = event_t - tl.t[rows]
        order = vasopressors._merge_order(tl, codes, event_t, rows)
        all_codes = np.concatenate((codes, codes[rows]))
        all_t = np.concatenate((tl.t, event_t))
        is_event = np.concatenate((np.zeros(tl.n, bool), np.ones(k, bool)))
        np.testing.assert_array_equal(order, np.lexsort((is_event, all_t, all_codes)))
    # Guards: codes not ascending, or keys that cannot be built, give None (callers sort).
    descending = np.array([1, 1, 0])
    tl = Timeline(descending, np.array([0, 5, 1], dtype=np.int64).view("datetime64[us]"))
    rows = np.zeros(1, dtype=np.int64)
    assert vasopressors._merge_order(tl, descending, tl.t[rows] + 1, rows) is None
    t = np.array([np.iinfo(np.int64).min + 1, 0], dtype=np.int64)
    extreme = Timeline(np.array([0, 1]), t.view("datetime64[us]"))
    assert vasopressors._merge_order(extreme, np.array([0, 1]), t[:1] + 1, rows) is None


def test_carry_forward_from_spans_equals_the_running_maximum() -> None:
    for _ in range(100):
        tl, _ = _messy_timeline()
        values = np.where(RNG.random(tl.n) < 0.06, RNG.normal(size=tl.n).round(1), np.nan)
        for window in (pd.Timedelta(hours=6), pd.Timedelta(days=2)):
            got_values, got_source = carry.carry_forward(values, tl, window)
            share = carry._SPARSE_SHARE
            try:
                carry._SPARSE_SHARE = 10**12
                values_ref, source_ref = carry.carry_forward(values, tl, window)
                assert tl.sparse_spans(~np.isnan(values), window) is None
            finally:
                carry._SPARSE_SHARE = share
            np.testing.assert_array_equal(got_source, source_ref)
            np.testing.assert_array_equal(got_values, values_ref)
            np.testing.assert_array_equal(carry.carry_values(values, tl, window), values_ref)
            assert got_values.dtype == values_ref.dtype and got_source.dtype == source_ref.dtype


def _random_ward(n_patients: int = 12) -> pd.DataFrame:
    """Patients with sparse labs, rates, devices and entered grades, rows out of order."""
    columns = {
        "temp_c": lambda: RNG.choice([37.0, 38.0, 39.2]),
        "sbp_mmhg": lambda: RNG.choice([80.0, 95.0, 120.0]),
        "map_mmhg": lambda: RNG.choice([60.0, 70.0]),
        "fio2": lambda: RNG.choice([30.0, 40.0, 60.0]),
        "o2_device": lambda: RNG.choice(["NC", "room air", "NRB", "BiPAP", "trach"]),
        "o2_flow_l_min": lambda: RNG.choice([2.0, 6.0]),
        "norepinephrine_ug_min": lambda: RNG.choice([0.0, 5.0, 22.0]),
        "vasopressin_u_min": lambda: RNG.choice([0.0, 0.04]),
        "dopamine_ug_kg_min": lambda: RNG.choice([0.0, 12.0]),
        "creatinine_mg_dl": lambda: RNG.choice([0.9, 1.8, 2.5, 4.0]),
        "ast_u_l": lambda: RNG.choice([30.0, 400.0, 900.0]),
        "alt_u_l": lambda: RNG.choice([30.0, 250.0]),
        "bilirubin_mg_dl": lambda: RNG.choice([1.0, 4.0]),
        "fibrinogen_mg_dl": lambda: RNG.choice([90.0, 300.0]),
        "inr": lambda: RNG.choice([1.0, 2.6]),
        "neurotox_grade": lambda: RNG.choice([1.0, 2.0, 3.0]),
        "ice_score": lambda: RNG.choice([4.0, 9.0]),
        "symptoms": lambda: RNG.choice(["rigors", "no rash"]),
    }
    frames = []
    for p in range(n_patients):
        hours = np.cumsum(RNG.choice([0.0, 1.0, 6.0, 24.0, 24.0 + 1e-6 / 3600], 40))
        rows = []
        for hour in hours:
            row = {"hours": float(hour)}
            for name, draw in columns.items():
                if RNG.random() < 0.05:
                    row[name] = draw()
            rows.append(row)
        frames.append(patient(rows, f"P{p}", age_years=float(RNG.choice([6.0, 50.0]))))
    frame = canonical(*frames)
    return frame.sample(frac=1.0, random_state=int(RNG.integers(1 << 30))).reset_index(drop=True)


def test_grading_with_sparse_spans_equals_grading_without() -> None:
    for _ in range(5):
        frame = _random_ward()
        fast = grade(frame)
        share = carry._SPARSE_SHARE
        try:
            carry._SPARSE_SHARE = 10**12  # every column down the running-maximum path
            general = grade(frame)
        finally:
            carry._SPARSE_SHARE = share
        pd.testing.assert_frame_equal(fast, general, check_exact=True)
        assert (fast["grade"] > 0).any()


def test_factorize_by_runs_equals_pd_factorize() -> None:
    for _ in range(300):
        n = int(RNG.integers(0, 60))
        values = RNG.integers(-3, 4, n).astype(np.int64)
        if RNG.random() < 0.7:  # long runs: only the run heads are hashed
            values = np.repeat(values, RNG.integers(1, 6, n))[:n]
        if RNG.random() < 0.2:
            values = values * (2**61)  # large and negative codes
        codes, count = explain._factorize_runs(values)
        expected, uniques = pd.factorize(values)
        np.testing.assert_array_equal(codes, expected)
        assert codes.dtype == np.int64 and count == len(uniques)


def test_factorize_rows_by_runs_equals_grouping_every_row() -> None:
    for _ in range(40):
        n = int(RNG.integers(1024, 4000))
        distinct = int(RNG.integers(1, 300))
        # Long runs of repeated rows, as in a sorted ward; -0.0 next to 0.0, NaN next to NaN.
        pick = np.repeat(RNG.integers(0, distinct, n), RNG.integers(1, 8, n))[:n]
        floats = RNG.choice([0.0, -0.0, np.nan, 1.25, 2.5], distinct)
        columns = [
            RNG.integers(-3, 4, distinct)[pick],
            (RNG.random(distinct) < 0.5)[pick],
            floats[pick],
            RNG.integers(-(2**40), 2**40, distinct)[pick],
            RNG.integers(-1, 5, distinct).astype(np.int32)[pick],
        ]
        codes, first = explain.factorize_rows(columns)
        codes_ref, first_ref = _factorize_rows_reference(columns)
        np.testing.assert_array_equal(codes, codes_ref)
        np.testing.assert_array_equal(first, first_ref)
        # Known widths (criterion codes) take the same route.
        known = [columns[4], columns[0] + 3]
        codes, first = explain.factorize_rows(known, [7, 8])
        codes_ref, first_ref = _factorize_rows_reference(known)
        np.testing.assert_array_equal(codes, codes_ref)
        np.testing.assert_array_equal(first, first_ref)
    # Text columns are grouped without runs.
    text = np.array(["a", "b"] * 600, dtype=object)
    assert explain._run_heads([text]) is None
    np.testing.assert_array_equal(explain.factorize_rows([text])[0], np.tile([0, 1], 600))


def test_agent_values_kept_at_treated_rows_equal_values_spread_to_every_row() -> None:
    for _ in range(5):
        frame = _random_ward()
        # Half the patients never get a vasopressor: their rows are left out.
        untreated = frame["patient_id"].isin([f"P{p}" for p in range(0, 12, 2)])
        for column in ("norepinephrine_ug_min", "vasopressin_u_min", "dopamine_ug_kg_min"):
            frame.loc[untreated, column] = np.nan
        graded = grade(frame)
        assert graded["grade"].gt(0).any()
        order = np.lexsort((frame["instant"].to_numpy(), pd.factorize(frame["patient_id"])[0]))
        rows = frame.take(order).reset_index(drop=True)
        codes = pd.factorize(rows["patient_id"])[0]
        tl = Timeline(codes, rows["instant"].to_numpy(dtype="datetime64[us]"))
        state = vasopressors.vasopressor_state(rows, tl, codes)
        assert state["agent_rows"] is not None and len(state["agent_rows"]) < tl.n
        every = np.arange(tl.n)
        for agent in vasopressors.AGENTS:
            running = vasopressors.agent_values(state, "running", agent.name, every)
            dose = vasopressors.agent_values(state, "dose", agent.name, every)
            full = {"running": running, "dose": dose}
            spread = {
                kind: vasopressors._scatter_one(state[kind][agent.name], state["agent_rows"], tl.n)
                for kind in ("running", "dose")
            }
            for kind in ("running", "dose"):
                np.testing.assert_array_equal(full[kind], spread[kind])
                assert full[kind].dtype == spread[kind].dtype
            assert not running[~np.isin(every, state["agent_rows"])].any()
            picked = RNG.integers(0, tl.n, 50)
            np.testing.assert_array_equal(
                vasopressors.agent_values(state, "dose", agent.name, picked), dose[picked]
            )
        np.testing.assert_array_equal(
            vasopressors.running_names(
                {
                    a.name: vasopressors.agent_values(state, "running", a.name, every)
                    for a in vasopressors.AGENTS
                }
            ),
            state["vasopressors"][1][state["vasopressors"][0]],
        )
