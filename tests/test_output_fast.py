"""The command line's fast output path gives the very table and bytes of the general path.

``grade_to_table(..., categorical=True)`` keeps ``recommendation`` and ``alerts`` as
categoricals; ``recommend`` decides a lone recommendation code per row
without wording branches; ``write_large_csv`` writes categoricals per distinct text and
joins small neighbouring columns once per pair of cells. Each must agree with the general
path (spec grading.md §4, treatment.md §1-2) cell for cell and byte for byte, on messy
input too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_safe_csv_large import FLOATS, TRICKY_TEXT
from test_treatment_properties import wards

from crs import safe_csv
from crs.read.reader import read_export
from crs.safe_csv import write_csv, write_large_csv
from crs.scales.attribution import read_attributions
from crs.treatment.pipeline import grade_to_table
from crs.treatment.treatment import recommend

DATA = Path(__file__).resolve().parents[1] / "data"


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its categoricals cast to ``str`` (what the general path gives)."""
    return frame.astype(
        {c: "str" for c, dtype in frame.dtypes.items() if isinstance(dtype, pd.CategoricalDtype)}
    )


@pytest.mark.parametrize(
    ("export_name", "patients_name", "overrides_name"),
    [
        ("sample_ward.csv", "sample_ward_patients.csv", None),
        ("sample_ward_long.csv", "sample_ward_patients.csv", None),
        ("case3.csv", "paper_cases_patients.csv", "case3_attributions.csv"),
        ("figure3.csv", None, None),
    ],
)
def test_categorical_table_has_the_cells_and_bytes_of_the_plain_table(
    export_name: str, patients_name: str | None, overrides_name: str | None, tmp_path: Path
) -> None:
    export = read_export(
        DATA / export_name, patients=DATA / patients_name if patients_name else None
    )
    attributions = read_attributions(DATA / overrides_name, export.axis) if overrides_name else None
    plain = grade_to_table(export, attributions)
    compact = grade_to_table(export, attributions, categorical=True)
    assert isinstance(compact["recommendation"].dtype, pd.CategoricalDtype)
    pd.testing.assert_frame_equal(_as_text(compact), plain)
    write_csv(plain, tmp_path / "slow.csv")
    write_large_csv(compact, tmp_path / "fast.csv")
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "slow.csv").read_bytes()


@settings(max_examples=60, deadline=None)
@given(frame=wards())
def test_lean_recommendation_and_categoricals_equal_the_general_path(
    frame: pd.DataFrame,
) -> None:
    full = recommend(frame)
    for columns in [("recommendation",), ("recommendation", "alerts")]:
        lean = recommend(frame, columns=columns)
        pd.testing.assert_frame_equal(lean, full[list(columns)])
        compact = recommend(frame, columns=columns, categorical=True)
        pd.testing.assert_frame_equal(_as_text(compact), full[list(columns)])
    compact = recommend(frame, categorical=True)
    pd.testing.assert_frame_equal(_as_text(compact), full)


def test_lean_recommendation_reads_messy_columns_as_the_general_path_does() -> None:
    frame = pd.DataFrame(
        {
            "patient_id": ["A", "A", "B", "B", "C"],
            "instant": pd.to_datetime(
                [
                    "2024-01-01 00:00",
                    "2024-01-01 06:00",
                    "2024-01-01 00:00",
                    None,
                    "2024-01-02 00:00",
                ]
            ),
            "grade": [3, 4, 2, 3, 1],
            # text and nullable numbers, bools, an organ grade given as float
            "g_vasopressor": pd.array([0, None, 1, 0, 0], dtype="Int64"),
            "g_hypotension": [False, True, False, False, False],
            "g_ventilation": ["0", "x", "2", None, ""],
            "organ_alt": [np.nan, 4.0, 3.9, 4.5, np.nan],
            "organ_tox_used": pd.array(["4", None, "", "1", "5"], dtype="str"),
            "neurotox_used": [1.0, 2.0, np.nan, 3.0, 0.0],
            "attributed": pd.array(["organ_toxicity", "", None, "fever", ""], dtype="str"),
            "high_risk": [np.nan, 1.0, 0.0, np.nan, np.nan],
            "age_years": [64.9, np.nan, 80.0, 65.0, np.nan],
            "tocilizumab_mg": pd.array([0, 400, None, 0, 0], dtype="Int64"),
            "other_immunosuppressant": pd.array(["none", " ", "anakinra", None, ""], dtype="str"),
        }
    )
    full = recommend(frame)
    lean = recommend(frame, columns=("recommendation", "alerts"), categorical=True)
    pd.testing.assert_frame_equal(_as_text(lean), full[["recommendation", "alerts"]])


TEXT = st.one_of(st.sampled_from(TRICKY_TEXT), st.text(max_size=5))


@st.composite
def categorical_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Frames mixing categoricals of tricky text (with missing cells, unused and duplicate-
    looking categories), few-valued ints and floats, and plain text: neighbours merge."""
    n = draw(st.integers(min_value=0, max_value=15))
    columns = {}
    for i in range(draw(st.integers(min_value=2, max_value=6))):
        kind = draw(st.sampled_from(["category", "category", "int", "float", "str"]))
        if kind == "category":
            categories = draw(st.lists(TEXT, min_size=1, max_size=6, unique=True))
            codes = draw(st.lists(st.integers(-1, len(categories) - 1), min_size=n, max_size=n))
            dtype = draw(st.sampled_from(["str", "object"]))
            values = pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=dtype))
        elif kind == "int":
            values = draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))
        elif kind == "float":
            values = draw(st.lists(st.sampled_from(FLOATS), min_size=n, max_size=n))
        else:
            values = pd.array(
                draw(st.lists(st.one_of(TEXT, st.none()), min_size=n, max_size=n)), dtype="str"
            )
        columns[draw(st.sampled_from(["x", "=y", "a,b"])) + str(i)] = values
    return pd.DataFrame(columns)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    frame=categorical_frames(),
    block_rows=st.integers(min_value=1, max_value=4),
    merge_limit=st.sampled_from([0, 4, 1 << 16]),
)
def test_writer_gives_the_bytes_of_write_csv_on_the_text_of_categoricals(
    frame: pd.DataFrame,
    block_rows: int,
    merge_limit: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(safe_csv, "BLOCK_ROWS", block_rows)
    monkeypatch.setattr(safe_csv, "MERGE_LIMIT", merge_limit)
    write_csv(_as_text(frame), tmp_path / "slow.csv")
    write_large_csv(frame, tmp_path / "fast.csv")
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "slow.csv").read_bytes()


def test_floats_that_merge_are_written_as_pandas_writes_them(tmp_path: Path) -> None:
    values = [0.1 + 0.2, 1e-7, 1e16, -0.0, 0.0, 3.0, -2.0, np.nan, 123456789.123, np.inf]
    frame = pd.DataFrame(
        {
            "grade": np.arange(len(values)) % 3,
            "ne_eq_ug_min": values,
            "alerts": pd.Categorical(["", "a;b", "=x", "", "a,b", "", "", "", "q\"'", "\n"]),
        }
    )
    write_csv(_as_text(frame), tmp_path / "slow.csv")
    write_large_csv(frame, tmp_path / "fast.csv")
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "slow.csv").read_bytes()


def test_a_categorical_frame_sent_to_write_csv_is_written_as_its_text(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": pd.Categorical(["=x", None, "b"]), "b": [1, 2, 3]})
    write_csv(_as_text(frame), tmp_path / "slow.csv.gz")
    write_large_csv(frame, tmp_path / "fast.csv.gz")  # compressed: left to write_csv
    slow = pd.read_csv(tmp_path / "slow.csv.gz", dtype=str, keep_default_na=False)
    fast = pd.read_csv(tmp_path / "fast.csv.gz", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["a"].tolist() == ["'=x", "", "b"]
