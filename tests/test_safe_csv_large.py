"""write_large_csv writes the very bytes write_csv writes, formulas neutralised (crs.safe_csv).

The command line writes a million graded rows with it, so every guarantee of the safe
CSV (OWASP "CSV injection": formula-like text prefixed with ', numbers left alone) must
hold there too, and a spreadsheet or a diff must not tell the two writers apart.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crs import safe_csv
from crs.safe_csv import write_csv, write_large_csv

#: Cells that exercise neutralising and quoting: formula starts, numbers written as text,
#: commas, quotes, line breaks, non-ASCII words, empty and missing cells.
TRICKY_TEXT = [
    "=1+1",
    "+SUM(A1:A9)",
    "-2+3*cmd|' /C calc'!A0",
    "@SUM(1)",
    "\tx",
    "\r=1",
    "-5",
    "+3.2",
    "-1.5e3",
    "a,b",
    'say "hi"',
    '"',
    "line\nbreak",
    "carriage\rreturn",
    "both\r\n",
    '=a,"b"\n',
    "μg/min ≥ 38.0 °C",
    " padded ",
    "",
    "'",
    "P1",
]
FLOATS = [0.0, -0.0, 1.0, 2.5, -1.0, 0.1, 1e16, 1e-05, 123456789.123, np.inf, -np.inf, np.nan]


def _both(frame: pd.DataFrame, tmp_path: Path) -> tuple[bytes, bytes]:
    write_csv(frame, tmp_path / "slow.csv")
    write_large_csv(frame, tmp_path / "fast.csv")
    return (tmp_path / "slow.csv").read_bytes(), (tmp_path / "fast.csv").read_bytes()


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(min_value=0, max_value=12))
    n_columns = draw(st.integers(min_value=2, max_value=5))
    columns = {}
    for i in range(n_columns):
        kind = draw(st.sampled_from(["str", "object", "int", "float", "bool"]))
        name = draw(st.sampled_from(["patient_id", "=cmd", "a,b", "explanation", "x"])) + str(i)
        if kind in ("str", "object"):
            cells = draw(
                st.lists(
                    st.one_of(st.sampled_from(TRICKY_TEXT), st.none(), st.text(max_size=6)),
                    min_size=n,
                    max_size=n,
                )
            )
            columns[name] = pd.Series(cells, dtype="str" if kind == "str" else object)
        elif kind == "int":
            columns[name] = pd.Series(
                draw(st.lists(st.integers(-(2**62), 2**62), min_size=n, max_size=n)),
                dtype="int64",
            )
        elif kind == "float":
            values = draw(
                st.lists(
                    st.one_of(st.sampled_from(FLOATS), st.floats(allow_nan=True)),
                    min_size=n,
                    max_size=n,
                )
            )
            columns[name] = pd.Series(values, dtype="float64")
        else:
            columns[name] = pd.Series(
                draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype="bool"
            )
    return pd.DataFrame(columns)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frame=frames(), block_rows=st.integers(min_value=1, max_value=5))
def test_large_writer_writes_the_same_bytes_as_write_csv(
    frame: pd.DataFrame, block_rows: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(safe_csv, "BLOCK_ROWS", block_rows)
    slow, fast = _both(frame, tmp_path)
    assert fast == slow


def test_formula_cells_are_neutralised_and_numbers_written_as_text_are_not(
    tmp_path: Path,
) -> None:
    frame = pd.DataFrame(
        {"patient_id": ["=HYPERLINK(x)", "-5", "@SUM(1)", "P1"], "grade": [1, 2, 3, 4]},
    ).astype({"patient_id": "str"})
    write_large_csv(frame, tmp_path / "out.csv")
    lines = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()
    assert lines == ["patient_id,grade", "'=HYPERLINK(x),1", "-5,2", "'@SUM(1),3", "P1,4"]


def test_a_cell_with_a_comma_and_a_quote_is_quoted_with_the_quote_doubled(
    tmp_path: Path,
) -> None:
    frame = pd.DataFrame({"explanation": ['Grade 1: symptoms "rigors, headache"'], "grade": [1]})
    write_large_csv(frame, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_bytes() == (
        b'explanation,grade\n"Grade 1: symptoms ""rigors, headache""",1\n'
    )


def test_writing_to_a_text_stream_gives_the_same_text_as_write_csv() -> None:
    frame = pd.DataFrame({"a": ["x", "=y", None], "b": [1.5, np.nan, -0.0]})
    slow, fast = io.StringIO(), io.StringIO()
    write_csv(frame, slow)
    write_large_csv(frame, fast)
    assert fast.getvalue() == slow.getvalue()


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"only": ["", None, "=x"]}),
        pd.DataFrame({"when": pd.to_datetime(["2024-01-01"]), "x": [1]}),
        pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "x": ["a", "b"]}),
    ],
    ids=["one-column", "datetime", "nullable-int"],
)
def test_frames_outside_the_fast_path_are_written_by_write_csv(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    slow, fast = _both(frame, tmp_path)
    assert fast == slow


def test_the_callers_frame_is_not_modified(tmp_path: Path) -> None:
    frame = pd.DataFrame({"id": ["=HYPERLINK(x)", "a,b"], "v": [1.0, 2.0]})
    before = frame.copy()
    write_large_csv(frame, tmp_path / "out.csv")
    pd.testing.assert_frame_equal(frame, before)


#: Floats of a graded table (days to 4 places, doses to 3) and the edges of the
#: positional notation and of 13 significant digits.
DECIMAL_FLOATS = st.one_of(
    st.builds(
        lambda k, places: k / 10**places,
        st.integers(min_value=-(10**14), max_value=10**14),
        st.integers(min_value=0, max_value=6),
    ),
    st.sampled_from([1e-4, -1e-4, 5e-5, 9.9999e-5, 999999999.9999, 1e9, 1e13, 2.675, 0.3]),
    st.floats(allow_nan=True, allow_infinity=True),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(DECIMAL_FLOATS, max_size=20), st.sampled_from(["float64", "float32"]))
def test_floats_are_written_as_numpy_writes_them(values: list[float], dtype: str) -> None:
    with np.errstate(over="ignore"):  # float64 beyond float32's range: inf
        numbers = np.array(values, dtype=dtype)
    words = numbers.astype("str").tolist()
    expected = ["" if np.isnan(x) else w for x, w in zip(numbers, words, strict=True)]
    assert safe_csv._float_words(numbers).to_pylist() == expected
