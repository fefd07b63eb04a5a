"""Fast paths of the grader equal the general paths on messy input (issue #2, speed round).

Each fast path of ``crs.scales.grading.grade`` and its helpers has a guard that sends input it
cannot handle to the general path; these tests compare the two (or a plain reference
written row by row, fine in a test) on random and hostile values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from grading_frames import at, canonical, patient

from crs.findings.carry import Timeline, carry_forward, take
from crs.findings.hypotension import sbp_threshold
from crs.findings.oxygen import device_codes
from crs.findings.symptoms import _ANY_SYMPTOM, NEGATION, constitutional_symptoms
from crs.scales import explain as ex
from crs.scales.grading import _constant_text, _joined, _sort_order, _text_column, grade

RNG = np.random.default_rng(20260521)


def _timeline(n_patients: int = 40, max_rows: int = 30) -> tuple[Timeline, np.ndarray]:
    sizes = RNG.integers(1, max_rows, n_patients)
    codes = np.repeat(np.arange(n_patients), sizes)
    # Ties, gaps exactly on window edges and a microsecond off them.
    steps = RNG.choice([0, 1, 3_600_000_000, 6 * 3_600_000_000, 6 * 3_600_000_000 + 1], len(codes))
    t = np.cumsum(steps).astype(np.int64)
    return Timeline(codes, t.view("datetime64[us]")), codes


def _last_documented_reference(tl: Timeline, codes: np.ndarray, documented, window_us):
    out = np.full(tl.n, -1, dtype=np.int64)
    for i in range(tl.n):
        for j in range(i, -1, -1):
            if codes[j] != codes[i]:
                break
            if documented[j]:
                if tl.t[i] - tl.t[j] <= window_us:
                    out[i] = j
                break
    return out


@pytest.mark.parametrize("density", [0.0, 0.05, 0.5, 1.0])
def test_last_documented_equals_a_row_by_row_reference(density: float) -> None:
    tl, codes = _timeline()
    documented = RNG.random(tl.n) < density
    for hours in (6, 12, 48):
        window = pd.Timedelta(hours=hours)
        got = tl.last_documented(documented, window)
        assert got.dtype == np.int64
        expected = _last_documented_reference(tl, codes, documented, hours * 3_600_000_000)
        np.testing.assert_array_equal(got, expected)


def test_take_with_a_sentinel_equals_the_masked_gather() -> None:
    values = RNG.normal(size=50)
    values[RNG.random(50) < 0.3] = np.nan
    source = RNG.integers(-1, 50, 200)
    expected = np.where(source >= 0, values[np.maximum(source, 0)], np.nan)
    np.testing.assert_array_equal(take(values, source), expected)
    assert take(values.astype(np.float32), source).dtype == np.float32
    assert len(take(np.zeros(0), np.zeros(0, dtype=np.int64))) == 0


def test_carry_forward_of_an_empty_column_is_all_missing() -> None:
    tl, _ = _timeline()
    values, source = carry_forward(np.full(tl.n, np.nan), tl, pd.Timedelta(hours=6))
    assert np.isnan(values).all() and (source == -1).all()


def test_sort_order_is_none_exactly_when_lexsort_is_the_identity() -> None:
    for _ in range(200):
        n = int(RNG.integers(0, 12))
        codes = np.sort(RNG.integers(0, 3, n)) if RNG.random() < 0.5 else RNG.integers(0, 3, n)
        instant = RNG.integers(0, 4, n).astype(np.int64)
        if RNG.random() < 0.5:
            instant = np.sort(instant)
        order = _sort_order(codes, instant)
        reference = np.lexsort((instant, codes))
        if order is None:
            np.testing.assert_array_equal(reference, np.arange(n))
        else:
            np.testing.assert_array_equal(order, reference)
    # Instants at the ends of datetime64[us] must not overflow a difference.
    extreme = np.array([np.iinfo(np.int64).min + 1, np.iinfo(np.int64).max], dtype=np.int64)
    assert _sort_order(np.zeros(2, dtype=np.int64), extreme) is None
    np.testing.assert_array_equal(_sort_order(np.zeros(2, dtype=np.int64), extreme[::-1]), [1, 0])


def _factorize_rows_reference(columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Every column through ``pd.factorize`` (the general path), groups by first row."""
    codes = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        values, uniques = pd.factorize(column, use_na_sentinel=False)
        codes = codes * max(len(uniques), 1) + values
    codes, _ = pd.factorize(codes)
    seen_before = np.concatenate(([-1], np.maximum.accumulate(codes)[:-1]))
    return codes, np.flatnonzero(codes > seen_before)


def test_factorize_rows_gives_the_same_groups_however_columns_are_coded() -> None:
    n = 500
    sparse = np.full(n, np.nan)
    shown = RNG.random(n) < 0.1
    sparse[shown] = RNG.choice([0.0, -0.0, 1.25, 3.0], shown.sum())
    sparse[:3] = [0.0, -0.0, 1.25]
    columns = [
        RNG.integers(-3, 4, n),  # small integer range: packed directly
        RNG.random(n) < 0.5,  # boolean
        RNG.integers(-(2**40), 2**40, n) // 2**20,  # wide range: hash table
        np.where(RNG.random(n) < 0.5, np.nan, RNG.integers(0, 3, n) / 3),  # float with NaN
        sparse,  # mostly NaN: only the values hashed
        np.full(n, 7, dtype=np.int64),
        RNG.integers(0, 3, n).astype(np.uint8),
    ]
    for chosen in ([0, 1], [3, 4], [0, 1, 3, 4, 5, 6], [2, 4]):
        picked = [columns[i] for i in chosen]
        codes, first = ex.factorize_rows(picked)
        codes_ref, first_ref = _factorize_rows_reference(picked)
        np.testing.assert_array_equal(codes, codes_ref)
        np.testing.assert_array_equal(first, first_ref)
    all_nan = ex.factorize_rows([np.full(4, np.nan), np.arange(4)])
    np.testing.assert_array_equal(all_nan[0], [0, 1, 2, 3])
    empty = ex.factorize_rows([np.zeros(0, dtype=np.int64)])
    assert len(empty[0]) == 0 and len(empty[1]) == 0


def test_one_sbp_limit_for_adults_equals_the_age_bands() -> None:
    ages = np.array([18.0, 40.0, np.nan, 99.5, 1e6, 18.0])
    with_child = np.append(ages, 4.0)  # a child sends the column down the general path
    np.testing.assert_array_equal(sbp_threshold(ages), sbp_threshold(with_child)[:-1])
    assert sbp_threshold(with_child)[-1] == 78.0
    assert len(sbp_threshold(np.zeros(0))) == 0


def test_arrow_join_equals_the_numpy_join() -> None:
    words = np.array(["", "", "fever 38.5 °C (≥ 38.0)", "MAP 60 μg × 2", "a; b"], dtype=object)
    for _ in range(20):
        parts = [RNG.choice(words, 30) for _ in range(int(RNG.integers(1, 6)))]
        expected = ex._join(parts, "; ")
        got = ex._arrow_join([ex._arrow(p) for p in parts], "; ").to_pylist()
        assert got == list(expected)


def test_symptoms_matched_per_distinct_text_equal_matching_every_row() -> None:
    texts = ["Rigors", "no rash; nausea", "denies nausea", None, "", "  ", "Myalgias, fatigue"]
    text = pd.Series(RNG.choice(np.array(texts, dtype=object), 300), dtype="str")
    present = text.notna().to_numpy()
    expected = np.zeros(len(text), dtype=bool)
    cleaned = text[present].str.lower().str.replace(NEGATION, ";", regex=True)
    expected[present] = cleaned.str.contains(_ANY_SYMPTOM, regex=True).to_numpy(dtype=bool)
    np.testing.assert_array_equal(constitutional_symptoms(text), expected)
    assert not constitutional_symptoms(pd.Series([None, None], dtype="str")).any()


def test_device_codes_of_a_str_column_equal_the_object_path() -> None:
    words = ["NC", "room air", None, "NRB", "Hi-Flow", "trach collar", "", "BiPAP"]
    devices = pd.Series(RNG.choice(np.array(words, dtype=object), 200), dtype="str")
    np.testing.assert_array_equal(
        device_codes(devices), device_codes(devices.to_numpy(dtype=object))
    )


def test_joined_codes_and_constant_text_columns_equal_the_general_path() -> None:
    names = ["c", "a", "b", "d", "e", "f", "g", "h", "i"]  # 9 names: past one byte
    for count in (3, 8, 9):
        bits = {name: RNG.random(100) < 0.4 for name in names[:count]}
        code, table = _joined(bits, names[:count])
        ordered = sorted(names[:count])
        expected = sum(bits[name].astype(np.int64) << b for b, name in enumerate(ordered))
        np.testing.assert_array_equal(code, expected)
        assert code.dtype == np.int64
    table = np.array(["", "x;y", "ü"], dtype=object)
    for value in range(3):
        codes = np.full(25, value, dtype=np.int64)
        general = pd.Series(pd.array(table, dtype="str").take(codes))
        pd.testing.assert_series_equal(_text_column((codes, table)), general)
    pd.testing.assert_series_equal(_constant_text("", 0), pd.Series(pd.array([], dtype="str")))


def test_patients_graded_with_general_paths_elsewhere_keep_their_rows() -> None:
    """A second patient with a μg/kg/min rate, an unsorted row order and reference limits
    sends the frame down the general paths; the first patient's rows must not change."""
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
    alone = grade(canonical(first))
    together = grade(canonical(first, other))
    together = together[together["patient_id"] == "A"].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone, together, check_exact=True)
    assert alone.loc[0, "explanation"].startswith("Grade ")
    assert together["instant"].iloc[0] == at(0)
