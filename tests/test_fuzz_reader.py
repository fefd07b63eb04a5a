"""Property-based fuzzing of reading and grading (issue "Hostile and broken input").

An uploaded export is untrusted. Whatever bytes arrive, ``read_export`` ends either in a
graded result with a balanced data-quality report (spec grading.md §1.1) or in the one
clear error ``UnusableExportError``; grading the frame it returns keeps the architecture
§2 invariants (grade 0–5, one output row per frame row, drivers = the criteria at the
row's grade); and the CSV written from it runs no spreadsheet formula.

``make test`` runs 2,000 examples in all (see ``fixtures_hostile.examples``);
``make fuzz`` scales them to ``CRS_FUZZ_EXAMPLES``.
"""

from __future__ import annotations

import csv
import io
import os
import re

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from tests.fixtures_hostile import (
    HEADER_POOL,
    ODD_NUMBERS,
    check_export,
    check_graded,
    fuzz_settings,
    messy_tables,
    read_or_unusable,
    well_formed_tables,
)


@fuzz_settings(975)
@given(st.binary(max_size=600))
@example(b"")
@example(b"\x00\x00\x00")
@example(b"\xff\xfe")
@example(b"\xef\xbb\xbf")
@example(b"PK\x03\x04garbage")
@example(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # an old .xls header
@example(b"patient_id,time\n\x00,\x00\n")
@example(b'"')
@example(b"patient_id,time\nA,2024-01-01\xff\xfe\n")
def test_fuzz_random_bytes_are_read_or_refused_with_the_clear_error(data: bytes) -> None:
    export = read_or_unusable(data, name="random.csv")
    if export is not None:
        check_export(export)
        check_graded(export)


@fuzz_settings(550)
@given(messy_tables())
def test_fuzz_messy_tables_are_graded_with_a_balanced_report_or_refused_clearly(
    data: bytes,
) -> None:
    export = read_or_unusable(data, name="messy.csv")
    if export is not None:
        check_export(export)
        check_graded(export)


@fuzz_settings(150)
@given(well_formed_tables())
def test_fuzz_files_with_valid_ids_and_offset_times_are_always_graded_on_utc_instants(
    table,
) -> None:
    # Every row names a patient and a valid ISO time (offsets of any zone): the file is
    # usable, whatever the other cells hold, and rows at one UTC instant are merged.
    export = read_or_unusable(table.data, name="offsets.csv")
    assert export is not None, "a file with valid patient ids and times was refused"
    check_export(export)
    assert export.axis == "time"
    assert export.report.rows_read == table.rows
    assert len(export.frame) == table.distinct_instants
    assert export.report.rows_merged == table.rows - table.distinct_instants
    assert export.report.rows_not_graded == 0
    check_graded(export)


# ----------------------------------------------------------------- numbers in odd forms

# ASCII digits and spaces only: "١٢" or a no-break space are not required readings.
_PLAIN = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$", re.ASCII)
_COMPARATOR = re.compile(r"^\s*(<=|>=|<|>|≤|≥)\s*(\d+(\.\d*)?)\s*$", re.ASCII)
_THOUSANDS = re.compile(r"^\s*\d{1,3}(,\d{3})+\s*$", re.ASCII)
_DECIMAL_COMMA = re.compile(r"^\s*\d+,\d+\s*$", re.ASCII)
_MISSING_MARKERS = {"", "nan", "na", "n/a", "null", "-", "none", "nat"}

odd_crp_cells = st.one_of(
    st.sampled_from(ODD_NUMBERS),
    st.floats(min_value=0, max_value=1e6, allow_nan=False).map(lambda x: f"{x:.3g}"),
    st.integers(0, 10_000).map(lambda i: f"{i:,}"),
    st.tuples(st.sampled_from(("<", ">", "≤", "≥", "<=", ">=")), st.integers(0, 5000)).map(
        lambda t: f"{t[0]}{t[1]}"
    ),
)


def _assert_crp_read_as(value: float, number: float, kinds: set[str], raw: str) -> None:
    """The number written, when it is a possible CRP (spec §1.1 [v2]: 0–1,000 mg/L); else
    missing and reported as impossible."""
    if 0 <= number <= 1000:
        assert value == number, (raw, value)
    else:
        assert np.isnan(value) and "impossible" in kinds, (raw, value, kinds)


@fuzz_settings(200)
@given(st.lists(odd_crp_cells, min_size=1, max_size=8), st.sampled_from((",", ";", "\t")))
def test_fuzz_odd_numbers_are_read_as_their_value_or_reported_never_dropped(
    raws: list[str], separator: str
) -> None:
    # CRP cells in odd forms next to a temperature written with a decimal point, so the
    # file uses decimal points (spec §1: a comma is then a thousands separator before
    # exactly three digits, else a decimal comma, and each such reading is reported).
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\n")
    writer.writerow(["patient_id", "time", "temp_c", "crp_mg_l"])
    for i, raw in enumerate(raws):
        writer.writerow(["P1", f"2024-01-01T{i:02d}:00:00", "37.5", raw])
    export = read_or_unusable(buffer.getvalue().encode(), name="crp.csv")
    assert export is not None
    check_export(export)
    frame = export.frame.set_index("line")
    problems = export.report.to_frame()
    for i, raw in enumerate(raws):
        line = i + 2
        value = frame.loc[line, "crp_mg_l"]
        reported = problems[(problems["line"] == line) & problems["column"].eq("crp_mg_l")]
        kinds = set(reported["kind"])
        text = raw.strip()
        if _PLAIN.match(raw) and np.isfinite(float(raw)):
            _assert_crp_read_as(value, float(raw), kinds, raw)
        elif _PLAIN.match(raw):
            # overflowing: impossible for a laboratory value (spec §1.1)
            assert np.isnan(value) and len(reported) > 0, (raw, value, kinds)
        elif match := _COMPARATOR.match(raw):
            # read as the bound and flagged (issue: "not dropped")
            _assert_crp_read_as(value, float(match.group(2)), kinds, raw)
            assert "comparator" in kinds, (raw, kinds)
        elif _THOUSANDS.match(raw):
            _assert_crp_read_as(value, float(text.replace(",", "")), kinds, raw)
            assert len(reported) > 0, f"{raw!r} read without a report"
        elif _DECIMAL_COMMA.match(raw):
            _assert_crp_read_as(value, float(text.replace(",", ".")), kinds, raw)
            assert len(reported) > 0, f"{raw!r} read without a report"
        elif text.lower() in _MISSING_MARKERS:
            assert np.isnan(value), (raw, value)
        else:
            # anything else: a value, or missing with a report; never silently dropped
            assert not np.isnan(value) or len(reported) > 0, f"{raw!r} dropped silently"
    # (grading is fuzzed by the other properties; this one is about reading numbers)


# ----------------------------------------------------------------- flowsheet layout

flowsheet_variables = st.one_of(
    st.sampled_from(HEADER_POOL), st.sampled_from(("temp_f", "Temp", "SBP", "FiO2", "crp"))
)
flowsheet_units = st.sampled_from(
    ("", "°C", "F", "degF", "mmHg", "mg/dL", "mg/L", "umol/L", "µmol/L", "fraction", "%", "??")
)


@fuzz_settings(50)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(("P1", "P2")),
            st.sampled_from(("2024-01-01T00:00", "2024-01-01T02:00+01:00", "x", "")),
            flowsheet_variables,
            st.one_of(st.sampled_from(ODD_NUMBERS), st.text(max_size=6)),
            flowsheet_units,
        ),
        min_size=0,
        max_size=10,
    ),
    st.booleans(),
)
def test_fuzz_flowsheet_exports_are_pivoted_or_refused_clearly(rows, with_unit: bool) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    header = ["patient_id", "time", "variable", "value", "unit"]
    width = 5 if with_unit else 4
    writer.writerow(header[:width])
    writer.writerows(row[:width] for row in rows)
    export = read_or_unusable(buffer.getvalue().encode(), name="flowsheet.csv")
    if export is not None:
        check_export(export)
        assert export.report.rows_read == len(rows)
        check_graded(export)


# ----------------------------------------------------------------- headers


@fuzz_settings(75)
@given(
    st.lists(st.sampled_from(HEADER_POOL), min_size=0, max_size=4),
    st.lists(st.sampled_from(("temp_c", "Temperature", "patient_id", "time", "", "x")), max_size=3),
    st.integers(0, 4),
)
def test_fuzz_duplicated_and_missing_headers_never_crash(extra, duplicates, n_rows) -> None:
    header = ["patient_id", "time", "temp_c", *extra, *duplicates]
    lines = [",".join(f'"{h}"' for h in header)]
    for i in range(n_rows):
        values = ["P1", f"2024-01-01T{i:02d}:00:00"] + ["38.2"] * (len(header) - 2)
        lines.append(",".join(values))
    export = read_or_unusable("\n".join(lines).encode(), name="headers.csv")
    if export is not None:
        check_export(export)
        check_graded(export)


def test_fuzz_properties_of_make_test_add_up_to_at_least_2000_examples() -> None:
    # The budget: ≥ 2,000 examples in `make test` (scaled by CRS_FUZZ_EXAMPLES).
    properties = [
        value
        for name, value in globals().items()
        if name.startswith("test_fuzz_") and hasattr(value, "_hypothesis_internal_use_settings")
    ]
    assert len(properties) == 6
    total = sum(p._hypothesis_internal_use_settings.max_examples for p in properties)
    wanted = os.environ.get("CRS_FUZZ_EXAMPLES", "").strip()
    assert total >= (int(wanted) if wanted.isdigit() else 2000) * 0.99
