"""Properties of the ward store's frame ↔ rows conversion and of exact read-back."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crs.read.columns import conform
from crs.store import open_store
from crs.store.codec import to_frame, to_long

NUMERIC = ["temp_c", "sbp_mmhg", "crp_mg_l", "norepinephrine_ug_min", "ventilated", "day"]
TEXT = ["o2_device", "symptoms"]
LEVEL_NUMERIC = ["age_years", "weight_kg", "high_risk"]

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
clinical = st.one_of(
    st.floats(min_value=-1e14, max_value=1e14, allow_nan=False),
    st.floats(min_value=1e-14, max_value=1.0),
    st.just(0.0),
)
words = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip() == s and s != "")


@st.composite
def frames(draw, values=finite) -> pd.DataFrame:
    """A canonical frame: 1-3 patients, 1-5 distinct hours each, sparse values."""
    n_patients = draw(st.integers(1, 3))
    rows = []
    for p in range(n_patients):
        hours = draw(st.lists(st.integers(0, 10_000), min_size=1, max_size=5, unique=True))
        level = {c: draw(st.one_of(st.none(), values)) for c in LEVEL_NUMERIC}
        infusion = draw(st.one_of(st.none(), st.integers(0, 10**6)))
        therapy = draw(st.one_of(st.none(), words))
        for h in sorted(hours):
            row = {
                "patient_id": f"P{p}",
                "time": pd.Timestamp("2024-01-01") + pd.Timedelta(hours=h),
            }
            row.update({c: draw(st.one_of(st.none(), values)) for c in NUMERIC})
            row.update({c: draw(st.one_of(st.none(), words)) for c in TEXT})
            row.update(level)
            row["infusion_time"] = (
                None
                if infusion is None
                else pd.Timestamp("2023-12-01") + pd.Timedelta(minutes=infusion)
            )
            row["therapy"] = therapy
            rows.append(row)
    frame = pd.DataFrame(rows)
    frame["time"] = frame["time"].astype("datetime64[us]")
    frame["infusion_time"] = pd.to_datetime(frame["infusion_time"]).astype("datetime64[us]")
    for column in [*NUMERIC, *LEVEL_NUMERIC]:
        frame[column] = frame[column].astype("float64")
    return conform(frame)


@settings(max_examples=100, deadline=None)
@given(frames())
def test_rows_built_from_a_frame_give_the_same_frame_back(frame: pd.DataFrame) -> None:
    rows = to_long(frame)
    keyed = {"patient_id": "key"}
    patients = rows.patients.assign(key=rows.patients["patient_id"], axis="time")
    back = to_frame(
        patients,
        rows.points.rename(columns=keyed),
        rows.values.rename(columns=keyed),
        rows.patient_values.rename(columns=keyed),
    )
    pd.testing.assert_frame_equal(back, frame)


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory):
    path: Path = tmp_path_factory.mktemp("store") / "ward.sqlite3"
    store = open_store(f"sqlite:///{path}")
    yield store
    store.close()


_serial = itertools.count()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(frames(values=clinical))
def test_every_stored_number_reads_back_bit_for_bit(sqlite_store, frame: pd.DataFrame) -> None:
    # The ward round reads numbers from the binary patient cache; none may move.
    tag = f"X{next(_serial)}-"
    frame = frame.assign(patient_id=tag + frame["patient_id"].astype("str"))
    frame = conform(frame)
    sqlite_store.import_frame(frame, file_name=tag)
    back = sqlite_store.frame(list(pd.unique(frame["patient_id"])))
    pd.testing.assert_frame_equal(back.drop(columns="line"), frame.drop(columns="line"))


def test_a_huge_or_tiny_number_reads_back_exactly_too(sqlite_store) -> None:
    values = [1.2345678901234567e200, -9.87654321e-250, 5e-324, 1.7976931348623157e308]
    frame = conform(
        pd.DataFrame(
            {
                "patient_id": ["HUGE"] * 4,
                "time": pd.date_range("2024-01-01", periods=4, freq="h").astype("datetime64[us]"),
                "crp_mg_l": values,
            }
        )
    )
    sqlite_store.import_frame(frame)
    assert sqlite_store.frame(["HUGE"])["crp_mg_l"].tolist() == values
    assert np.array_equal(sqlite_store.frame(["HUGE"])["crp_mg_l"].to_numpy(), np.array(values))
