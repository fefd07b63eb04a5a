"""The reader's fast paths give exactly what its general paths give (spec grading.md §1,
§1.1; docs/architecture.md §1).

Each fast path has a guard that sends what it cannot handle to the general path; these
tests switch the fast paths off and compare frames and reports, on the sample files and
on generated messy exports.
"""

from __future__ import annotations

import csv
import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crs.read.decode as decode
import crs.read.numbers as numbers
import crs.read.reader as reader
from crs.errors import UnusableExportError
from crs.read.merging import _order, _shares_instant, patient_codes, strictly_ordered
from crs.read.numbers import _empty_issues, clean_text, no_issues, parse_numbers
from crs.read.reader import read_export

DATA = Path(__file__).resolve().parent.parent / "data"


def _read(data: bytes | Path, general: bool, **kwargs):
    """read_export with its fast paths (general=False) or without them."""
    with pytest.MonkeyPatch.context() as patch:
        if general:
            patch.setattr(decode, "_arrow_frame", lambda table: None)
            patch.setattr(reader, "strictly_ordered", lambda codes, instant: False)
            patch.setattr(reader, "_NUMPY_DTYPES", frozenset())
            patch.setattr(numbers, "_plain_decimals", lambda raw: None)
            patch.setattr(decode, "_pandas_arrow_fails", lambda table, dtype: False)
            patch.setattr(decode, "_read_arrow_text", lambda data, separator: None)
        try:
            return read_export(data, **kwargs)
        except UnusableExportError as error:
            return str(error)


def _assert_same(fast, general) -> None:
    if isinstance(general, str) or isinstance(fast, str):
        assert fast == general
        return
    pd.testing.assert_frame_equal(fast.frame, general.frame, check_exact=True)
    pd.testing.assert_frame_equal(
        fast.report.to_frame(), general.report.to_frame(), check_exact=True
    )
    assert fast.report.to_text() == general.report.to_text()
    assert fast.axis == general.axis


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(DATA.glob("*.csv")) if "attributions" not in p.name],
    ids=lambda p: p.name,
)
def test_every_sample_file_reads_the_same_with_and_without_the_fast_paths(path) -> None:
    patients = DATA / "sample_ward_patients.csv" if "sample_ward" in path.name else None
    if "patients" in path.name:
        patients = None
    _assert_same(
        _read(path, general=False, patients=patients),
        _read(path, general=True, patients=patients),
    )


# --- generated exports -----------------------------------------------------------------

MESSY = st.sampled_from(
    [
        "",
        " ",
        "NaN",
        "nan",
        "None",
        "<NA>",
        "-",
        "38,5",
        "1,500",
        "<5",
        ">= 2",
        "yes",
        "n",
        "True",
        "false",
        "39°C",
        "1e3",
        "inf",
        "-inf",
        " 37.2 ",
        "\u221238",
        "1.500,5",
        "007",
        '"quoted, cell"',
        "line\nbreak",
        "2024-03-05",
        "12:30",
    ]
)
CLEAN_FLOAT = st.floats(-50, 500, allow_nan=False).map(lambda v: f"{v:.1f}")
CLEAN_INT = st.integers(-5, 400).map(str)
TIMES = st.sampled_from(
    [
        "2024-03-05T08:00:00",
        "2024-03-05 09:00",
        "2024-03-05T10:00:00Z",
        "2024-03-05T11:00:00+02:00",
        "2024-03-05T12:00:00.500",
        "05/03/2024 13:00",
        "2024-03-06T08:00:00",
        "2024-03-06T08:00:00",
        "",
        "soon",
    ]
)
COLUMNS = [
    "temp_c",
    "sbp",
    "fio2",
    "crp_mg_dl",
    "age_years",
    "weight_kg",
    "neurotox_grade",
    "ventilated",
    "symptoms",
    "o2_device",
    "junk",
    "temp_c",
    "",
]


@st.composite
def exports(draw) -> bytes:
    columns = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=6))
    kinds = [draw(st.sampled_from(["float", "int", "int_blank", "messy", "bool"])) for _ in columns]
    cells = {
        "float": CLEAN_FLOAT,
        "int": CLEAN_INT,
        "int_blank": st.one_of(CLEAN_INT, st.just("")),
        "messy": st.one_of(MESSY, CLEAN_FLOAT),
        "bool": st.sampled_from(["true", "false", "True", "FALSE"]),
    }
    n = draw(st.integers(1, 14))
    clean_times = draw(st.booleans())
    start = pd.Timestamp("2024-03-05T08:00")
    rows = []
    for _ in range(n):
        patient = draw(st.sampled_from(["P1", "P2", "P3", " P1", "", "007"]))
        if clean_times:
            time = (start + pd.Timedelta(hours=draw(st.integers(0, 6)))).isoformat()
        else:
            time = draw(TIMES)
        rows.append([patient, time] + [draw(cells[k]) for k in kinds])
    if draw(st.booleans()):
        rows.sort(key=lambda row: (row[0], row[1]))  # sorted exports take the fast path
    separator = draw(st.sampled_from([",", ";", "\t"]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\n")
    writer.writerow(["patient_id", "time", *columns])
    writer.writerows(rows)
    lines = buffer.getvalue().split("\n")
    # Damage a few lines the way hand-edited exports are damaged.
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(lines)))
        damage = draw(
            st.sampled_from(["", " ", "\t", " " + separator, separator * 2, "x", "P9" + separator])
        )
        if damage in ("", " ", "\t", "x") or draw(st.booleans()):
            lines.insert(at, damage)
        elif at < len(lines):
            lines[at] = draw(st.sampled_from([" ", "\t", ""])) + lines[at] + damage
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    return ending.join(lines).encode("utf-8")


UNQUOTED = st.sampled_from(
    ["", " ", "NaN", "nan", "None", "N/A", "-", "<5", ">= 2", "yes", "39°C", "1e3", "inf"]
    + [" 37.2 ", "\u22123", "007", "12", "-0", "+4", "5.", "0.000000001", "x y", "#N/A"]
)


@st.composite
def unquoted_exports(draw) -> bytes:
    """Exports without quotes: an integer column with blanks sends them to the text read."""
    columns = draw(st.lists(st.sampled_from(COLUMNS[:-1]), min_size=1, max_size=5))
    kinds = [draw(st.sampled_from(["float", "int_blank", "messy"])) for _ in columns]
    cells = {
        "float": CLEAN_FLOAT,
        "int_blank": st.one_of(CLEAN_INT, st.just("")),
        "messy": st.one_of(UNQUOTED, CLEAN_FLOAT, CLEAN_INT),
    }
    separator = draw(st.sampled_from([",", ";", "\t"]))
    start = pd.Timestamp("2024-03-05T08:00")
    lines = [separator.join(["patient_id", "time", *columns])]
    for _ in range(draw(st.integers(1, 14))):
        patient = draw(st.sampled_from(["P1", "P2", "P3", "P1 ", "", "007", "NA"]))
        time = (start + pd.Timedelta(hours=draw(st.integers(0, 6)))).isoformat()
        lines.append(separator.join([patient, time, *(draw(cells[k]) for k in kinds)]))
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(1, len(lines)))
        lines.insert(at, draw(st.sampled_from(["", " ", "\t", separator * (len(columns) + 1)])))
    if draw(st.booleans()):
        lines.append("")
    return "\n".join(lines).encode("utf-8")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(exports(), unquoted_exports()))
def test_a_generated_export_reads_the_same_with_and_without_the_fast_paths(data) -> None:
    _assert_same(_read(data, general=False), _read(data, general=True))


# --- the pieces ------------------------------------------------------------------------


def test_the_arrow_options_are_the_ones_pandas_passes(monkeypatch) -> None:
    seen = {}
    real = pyarrow.csv.read_csv

    def spy(source, read_options=None, parse_options=None, convert_options=None):
        seen.update(read=read_options, parse=parse_options, convert=convert_options)
        return real(
            source,
            read_options=read_options,
            parse_options=parse_options,
            convert_options=convert_options,
        )

    monkeypatch.setattr(pyarrow.csv, "read_csv", spy)
    for separator in (",", ";", "\t"):
        for dtype in ({}, {"patient_id": "str", "symptoms": "str"}):
            data = "\n".join(
                separator.join(r) for r in (["patient_id", "t", "s", "x"], ["P1", "1", "a", "2"])
            )
            pd.read_csv(
                io.BytesIO(data.encode()), sep=separator, engine="pyarrow", dtype=dtype or None
            )
            read, parse, convert = decode.arrow_options(separator, dtype)
            assert read.equals(seen["read"])
            assert parse.equals(seen["parse"])
            ours = {k: getattr(convert, k) for k in dir(convert) if not k.startswith("_")}
            theirs = {k: getattr(seen["convert"], k) for k in dir(convert) if not k.startswith("_")}
            ours = {k: v for k, v in ours.items() if not callable(v)}
            theirs = {k: v for k, v in theirs.items() if not callable(v)}
            assert sorted(ours.pop("null_values")) == sorted(theirs.pop("null_values"))
            assert ours == theirs


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(exports(), unquoted_exports(), unquoted_exports()))
def test_pandas_fails_on_the_tables_said_to_fail_and_the_text_read_equals_pandas_c(data):
    text = data.decode("utf-8")
    separator = decode._sniff(decode._first_line(data))
    names = decode._split_header(decode._first_line(data), separator)
    dtype = {n: "str" for n in names if n in ("patient_id", "symptoms", "o2_device")}
    try:
        table = decode._read_arrow(data, separator, dtype)
    except Exception:
        table = None
    if table is not None and decode._pandas_arrow_fails(table, dtype):
        with pytest.raises(Exception):  # noqa: B017 - whatever pandas raises
            pd.read_csv(io.BytesIO(data), sep=separator, engine="pyarrow", dtype=dtype)
    fast = decode._read_arrow_text(data, separator)
    if fast is None:
        return
    assert '"' not in text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = pd.read_csv(io.BytesIO(data), sep=separator, engine="c", dtype="str", index_col=False)
    pd.testing.assert_frame_equal(fast, c, check_exact=True, check_column_type=False)


def test_the_missing_cells_are_pandas_defaults() -> None:
    from pandas._libs.parsers import STR_NA_VALUES

    assert set(decode.PANDAS_NA_VALUES) == set(STR_NA_VALUES)


def test_an_empty_issues_table_is_a_fresh_one() -> None:
    first = no_issues()
    pd.testing.assert_frame_equal(first, _empty_issues())
    first.loc[0] = [1, "a", "b", "c"]
    assert len(no_issues()) == 0


def _clean_text_reference(raw: pd.Series) -> pd.Series:
    text = raw.astype("str").str.strip() if raw.dtype in ("str", object) else raw.astype("str")
    text = text.where(raw.notna())
    return text.mask(text == "").astype("str")


@pytest.mark.parametrize(
    "raw",
    [
        pd.Series(["a", " b ", "", "  ", None, "c\n"], dtype="str"),
        pd.Series(["a", "b"], dtype="str"),
        pd.Series(["a", None, " ", 3.5, np.nan], dtype=object),
        pd.Series([1.0, np.nan, 2.5]),
        pd.Series([1, 2, 3]),
        pd.Series([], dtype="str"),
    ],
)
def test_clean_text_equals_its_plain_form(raw) -> None:
    pd.testing.assert_series_equal(clean_text(raw), _clean_text_reference(raw), check_exact=True)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 5)), min_size=0, max_size=12),
    st.booleans(),
)
def test_strictly_ordered_rows_share_no_instant_and_need_no_sort(pairs, sort) -> None:
    if sort:
        pairs = sorted(pairs)
    patient = pd.Series([f"P{p}" for p, _ in pairs], dtype="str")
    instant = pd.Series(
        pd.to_datetime([h * 3600 for _, h in pairs], unit="s").astype("datetime64[us]")
    )
    codes = patient_codes(patient)
    if strictly_ordered(codes, instant):
        assert not _shares_instant(patient, instant).any()
        cols = {
            "patient_id": patient,
            "instant": instant,
            "line": pd.Series(np.arange(len(pairs)) + 2),
        }
        assert _order(cols) is None


@pytest.mark.parametrize(
    "values",
    [
        [37.0, np.nan, 38.5],
        [np.nan, np.nan],
        [24.0, 37.0],
        [46.0, np.nan],
        [np.inf, 37.0],
        [-np.inf],
        [],
    ],
)
def test_the_range_check_reports_what_a_full_comparison_finds(values) -> None:
    from crs.read.convert import check_range
    from crs.read.readstate import ReadWork

    column = pd.Series(values, dtype="float64")
    raw = column.astype("str")
    work = ReadWork(label="t.csv", lines=np.arange(len(values)) + 2)
    out = check_range(column, raw, "temp_c", "temp", work)
    array = column.to_numpy()
    with np.errstate(invalid="ignore"):
        bad = (array < 25.0) | (array > 45.0)
    pd.testing.assert_series_equal(out, column.mask(bad))
    assert sum(len(p) for p in work.problems) == int(bad.sum())


NUMBER_CELLS = st.one_of(
    st.sampled_from(
        ["-0", "+0", "-0.0", "0", "007", "-.5", "5.", "+.5", "1e3", " 5", "1,5", "", "<5"]
        + ["9999999.99999999", "12345678", "0.000000001", "nan", "inf", "١٢"]
    ),
    st.floats(-1e7, 1e7, allow_nan=False).map(repr),
    st.floats(-1e3, 1e3, allow_nan=False).map(lambda v: f"{v:.3f}"),
    st.integers(-(10**9), 10**9).map(str),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(NUMBER_CELLS, st.none()), max_size=12), st.booleans())
def test_a_text_column_of_numbers_reads_as_pandas_reads_it(cells, decimal_comma) -> None:
    text = pd.Series(cells, dtype="str")
    fast = parse_numbers(text, decimal_comma=decimal_comma)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(numbers, "_plain_decimals", lambda raw: None)
        plain = parse_numbers(text, decimal_comma=decimal_comma)
    pd.testing.assert_series_equal(fast.values, plain.values, check_exact=True)
    assert np.array_equal(np.signbit(fast.values), np.signbit(plain.values))
    pd.testing.assert_frame_equal(fast.issues, plain.issues, check_exact=True)


def test_plain_decimals_cast_by_arrow_equal_pandas_on_a_million_cells() -> None:
    rng = np.random.default_rng(7)
    n = 200_000
    whole = rng.integers(0, 10 ** rng.integers(1, 8, n)).astype(str)
    fraction = rng.integers(0, 10**8, n).astype(str)
    digits = rng.integers(0, 9, n)
    cut = np.array([f[:d] for f, d in zip(fraction, digits, strict=True)], dtype=object)
    sign = rng.choice(["", "-", "+"], n).astype(object)
    point = rng.choice([".", ""], n, p=[0.8, 0.2]).astype(object)
    cells = pd.Series(sign + whole.astype(object) + point + cut, dtype="str")
    cells = cells[cells.str.fullmatch(numbers.PLAIN_DECIMAL) & (cells.str.len() <= 15)]
    cells = cells[~cells.str.fullmatch(r"-[0.]*")].reset_index(drop=True)  # no -0
    fast = numbers._plain_decimals(cells)
    assert fast is not None
    slow = pd.to_numeric(cells.astype(object), errors="coerce").astype("float64")
    assert np.array_equal(fast.to_numpy(), slow.to_numpy())
    assert np.array_equal(np.signbit(fast.to_numpy()), np.signbit(slow.to_numpy()))


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="0123456789.+-e ", min_size=0, max_size=18))
def test_a_cell_is_plain_exactly_when_it_matches_the_pattern(cell) -> None:
    import re

    expected = (
        re.fullmatch(numbers.PLAIN_DECIMAL, cell) is not None
        and len(cell) <= numbers.PLAIN_LENGTH
        and not re.fullmatch(r"-[0.]*", cell)
    )
    column = pd.Series([cell, "1.5", None], dtype="str")
    assert (numbers._plain_decimals(column) is not None) == expected
    assert numbers._plain_decimals(column.iloc[1:].reset_index(drop=True)) is not None
    sliced = pd.Series(pa.chunked_array([pa.array(["9", cell, "2"]).slice(1, 1)]).to_pandas())
    if expected:
        assert numbers._plain_decimals(sliced.astype("str")) is not None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(NUMBER_CELLS, st.sampled_from(["39,1", "1,500", " 2,5 ", ","]))))
def test_decimal_comma_evidence_is_counted_as_on_plain_text(cells) -> None:
    text = pd.Series(cells, dtype="str")
    assert numbers.comma_evidence(text) == numbers.comma_evidence(text.astype(object))


def test_decimal_comma_cells_read_the_same_from_object_and_str_columns() -> None:
    # parse_numbers once failed on an object column in a decimal-comma file (a `|=`
    # between a bool and an object array); the reader passes `str`, a caller may not.
    cells = ["38,5", "1.500,5", None, "x"]
    as_object = parse_numbers(pd.Series(cells, dtype=object), decimal_comma=True)
    as_str = parse_numbers(pd.Series(cells, dtype="str"), decimal_comma=True)
    assert as_object.values.tolist()[:2] == [38.5, 1500.5]
    pd.testing.assert_series_equal(as_object.values, as_str.values)
    pd.testing.assert_frame_equal(as_object.issues, as_str.issues)
