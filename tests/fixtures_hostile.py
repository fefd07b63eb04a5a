"""Shared helpers for the hostile-input tests: hypothesis strategies and invariants.

An uploaded export is untrusted input (issue "Hostile and broken input"). Every input
must end either in a graded result whose data-quality report balances (spec grading.md
§1.1: rows read = rows graded + rows merged + rows not graded) or in the one clear error
``crs.errors.UnusableExportError`` — never in another exception. The checks here state
those promises once, so every fuzz property and every hostile-file test asserts the same.

Example counts: the properties of ``make test`` add up to at least 2,000 examples;
``make fuzz`` sets ``CRS_FUZZ_EXAMPLES`` (e.g. 50000) and every property is scaled so
that their total reaches it.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: Sum of the ``max_examples`` of every fuzz property in ``make test`` (see ``examples``).
DEFAULT_TOTAL_EXAMPLES = 2000

#: Report kinds allowed by docs/architecture.md §1.2.
REPORT_KINDS = frozenset(
    {
        "unparseable",
        "impossible",
        "conversion",
        "comparator",
        "conflict",
        "merged",
        "not_graded",
        "note",
        "patient_level",
    }
)

#: Criterion codes of spec §3 and their graded-frame columns (architecture §2).
CRITERIA = (
    "fever",
    "symptoms",
    "hypotension",
    "vasopressor",
    "oxygen",
    "ventilation",
    "organ_toxicity",
    "neurotoxicity",
    "death",
)

RECOMMENDATIONS = frozenset(
    {
        "none",
        "supportive_care",
        "consider_immunosuppression",
        "immunosuppression",
        "corticosteroids_preferred",
    }
)

#: Cells a spreadsheet runs as a formula (OWASP CSV injection; crs/safe_csv.py).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

#: Physiological ranges of spec §1.1 (inclusive), canonical units.
RANGES = {
    "temp_c": (25.0, 45.0),
    "sbp_mmhg": (20.0, 300.0),
    "dbp_mmhg": (10.0, 200.0),
    "map_mmhg": (15.0, 250.0),
    "fio2": (21.0, 100.0),
    "o2_flow_l_min": (0.0, 80.0),
    "neurotox_grade": (0.0, 4.0),
    "organ_tox_grade": (0.0, 4.0),
    "ice_score": (0.0, 10.0),
    "norepinephrine_ug_min": (0.0, np.inf),
    "crp_mg_l": (0.0, np.inf),
    "creatinine_mg_dl": (0.0, np.inf),
}


# --------------------------------------------------------------------------- settings


def examples(base: int) -> int:
    """``base`` examples under ``make test``; scaled so the total of every property is
    ``CRS_FUZZ_EXAMPLES`` when that is set (``make fuzz``: 50000; a small value gives a
    quick local run)."""
    wanted = os.environ.get("CRS_FUZZ_EXAMPLES", "").strip()
    if not wanted.isdigit():
        return base
    return max(1, round(base * int(wanted) / DEFAULT_TOTAL_EXAMPLES))


def fuzz_settings(base: int) -> settings:
    """Hypothesis settings of one fuzz property (no deadline: the machine is shared)."""
    return settings(
        max_examples=examples(base),
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
        print_blob=True,
    )


# --------------------------------------------------------------------------- strategies

#: Numbers in the odd forms real exports contain (issue text), each a raw cell.
ODD_NUMBERS = (
    "1,5",
    "1.5e3",
    " 39 ",
    "39°C",
    ">1000",
    "<5",
    "≤0.5",
    "≥ 2",
    "NaN",
    "nan",
    "-",
    "",
    " ",
    "1,500",
    "39,1",
    "+3",
    "-2",
    "inf",
    "-inf",
    "1e400",
    "0x1A",
    "١٢",
    ".5",
    "3.",
    "1 000",
    "39.1.2",
    "N/A",
    "NULL",
    "#VALUE!",
    "=1+1",
    "@SUM(A1)",
    "38.5 C",
    "101.3F",
    "1.2.3.4",
    "--5",
    "5-",
    "\u00a039\u00a0",
    "39\u202f",
    "1_000",
    "3/4",
)

ODD_DATES = (
    "2024-10-27T01:30:00+01:00",
    "2024-10-27T01:30:00+00:00",
    "2024-10-27 01:30",
    "2024-10-27T01:30:00Z",
    "2024-10-27T01:30:00+0100",
    "2024-10-27T01:30:00.123456-05:30",
    "27/10/2024 01:30",
    "10/27/2024 1:30 AM",
    "27-Oct-2024 01:30",
    "2024-10-27",
    "2024-02-30 10:00",
    "2024-13-01 10:00",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59",
    "1677-09-21T00:00:00",
    "2262-04-12T00:00:00",
    "1700000000",
    "yesterday",
    "",
    "NaT",
    "2024-10-27T25:00:00",
    "2024-10-27T01:30:00+25:00",
    "2024-03-31T01:30:00 Europe/London",
    "2024-10-27 01:30 BST",
)

#: Header names: canonical names, aliases, unit-suffixed aliases and junk.
HEADER_POOL = (
    "patient_id",
    "Patient ID",
    "MRN",
    "id",
    "time",
    "Date/Time",
    "charttime",
    "day",
    "Study Day",
    "temp_c",
    "Temperature",
    "temp_f",
    "sbp",
    "Systolic",
    "dbp",
    "MAP (mmHg)",
    "norepinephrine",
    "norepinephrine_ug_kg_min",
    "dopamine",
    "vasopressin",
    "epinephrine",
    "fio2",
    "FiO2 fraction",
    "o2_flow",
    "o2_device",
    "crp",
    "CRP (mg/dL)",
    "ferritin",
    "creatinine_umol_l",
    "ast",
    "alt",
    "bilirubin",
    "fibrinogen_g_l",
    "inr",
    "lvef",
    "neurotox_grade",
    "organ_tox_grade",
    "ice",
    "symptoms",
    "ventilated",
    "tocilizumab",
    "dexamethasone",
    "other_immunosuppressant",
    "deceased",
    "age",
    "weight",
    "infusion_time",
    "high_risk",
    "therapy",
    "variable",
    "value",
    "unit",
    "",
    " ",
    "Unnamed: 3",
    "=HYPERLINK(1)",
    "<b>bold</b>",
    "naïve",
    "a,b",
    'quote"d',
    "\ufeffpatient_id",
    "___",
    "()",
)

HOSTILE_TEXT = (
    '=HYPERLINK("http://x","click")',
    "+1+1",
    "-2+3",
    "@SUM(1)",
    "\t=1",
    "\r=1",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "rigors; nausea",
    "fever, headache",
    "Ünïcødé ✓",
    "a\nb",
    'say "hi"',
    "x" * 300,
    "",
    "nan",
    "None",
)

SEPARATORS = (",", ";", "\t", "|")
LINE_ENDS = ("\n", "\r\n", "\r")
ENCODINGS = ("utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16", "utf-16-le")

cells = st.one_of(
    st.sampled_from(ODD_NUMBERS),
    st.sampled_from(ODD_DATES),
    st.sampled_from(HOSTILE_TEXT),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.text(max_size=12),
)

header_names = st.one_of(
    st.sampled_from(HEADER_POOL),
    st.text(max_size=10),
    st.sampled_from(HEADER_POOL).map(str.upper),
)


@dataclass(frozen=True)
class Dialect:
    """How a generated table is written to bytes."""

    separator: str
    line_end: str
    encoding: str
    quoting: int  # csv.QUOTE_* or -1 for "no quoting at all" (may break the table)


dialects = st.builds(
    Dialect,
    separator=st.sampled_from(SEPARATORS),
    line_end=st.sampled_from(LINE_ENDS),
    encoding=st.sampled_from(ENCODINGS),
    quoting=st.sampled_from((csv.QUOTE_MINIMAL, csv.QUOTE_ALL, -1)),
)


def to_bytes(header: list[str], rows: list[list[str]], dialect: Dialect) -> bytes:
    """Write a table of raw cells the way an export tool might (not always well)."""
    buffer = io.StringIO()
    if dialect.quoting == -1:
        for row in [header, *rows]:
            buffer.write(dialect.separator.join(row) + dialect.line_end)
    else:
        writer = csv.writer(
            buffer,
            delimiter=dialect.separator,
            lineterminator=dialect.line_end,
            quoting=dialect.quoting,
        )
        writer.writerow(header)
        writer.writerows(rows)
    return buffer.getvalue().encode(dialect.encoding, errors="replace")


@st.composite
def messy_tables(draw: st.DrawFn) -> bytes:
    """A small table with random column names, cells, separators, quoting and encodings.

    Columns may be duplicated or nameless; rows may be shorter or longer than the header.
    """
    header = draw(st.lists(header_names, min_size=1, max_size=7))
    # Most real exports do name a patient and a time, mostly readable: make that common,
    # so that the fuzzing reaches the cells, the merging and the grader.
    usable = draw(st.booleans())
    if usable:
        time_name = draw(st.sampled_from(("time", "day", "charttime")))
        header = ["patient_id", time_name, *header]
        instants = st.one_of(
            stamped().map(lambda pair: pair[0]),
            st.sampled_from(ODD_DATES),
            st.floats(-5, 40).map(lambda d: f"{d:.2f}") if time_name == "day" else st.nothing(),
        )
    n_rows = draw(st.integers(0, 6))
    rows = []
    for _ in range(n_rows):
        width = len(header) + draw(st.sampled_from((0, 0, 0, -1, 1)))
        row = draw(st.lists(cells, min_size=max(width, 0), max_size=max(width, 0)))
        if usable and width >= 2:
            row[0] = draw(st.sampled_from(("P1", "P2", " P1 ", "=P3", "")))
            row[1] = draw(instants)
        rows.append(row)
    return to_bytes(header, rows, draw(dialects))


# Instants with offsets: the UTC instant is known independently of the reader.
OFFSETS_MINUTES = (0, 60, -300, 330, 545, -600, 840, -720)
base_instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda d: d.replace(microsecond=0)
)


@st.composite
def stamped(draw: st.DrawFn) -> tuple[str, datetime]:
    """An ISO 8601 time with a random offset spelling, and its naive UTC instant."""
    utc = draw(base_instants)
    minutes = draw(st.sampled_from(OFFSETS_MINUTES))
    local = utc.replace(tzinfo=UTC).astimezone(timezone(timedelta(minutes=minutes)))
    spelling = draw(st.sampled_from(("iso", "space", "z", "compact")))
    if spelling == "z" and minutes == 0:
        text = utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    elif spelling == "compact":
        text = local.strftime("%Y-%m-%dT%H:%M:%S%z")
    else:
        sep = "T" if spelling == "iso" else " "
        text = local.isoformat(sep=sep)
    return text, utc


@dataclass(frozen=True)
class WellFormed:
    """A file with valid patient ids and times, odd values, and what it must give."""

    data: bytes
    distinct_instants: int  # distinct (patient_id, UTC instant) pairs
    rows: int


VALUE_COLUMNS = (
    "temp_c",
    "sbp_mmhg",
    "map_mmhg",
    "norepinephrine_ug_min",
    "fio2",
    "o2_device",
    "crp_mg_l",
    "creatinine_mg_dl",
    "neurotox_grade",
    "symptoms",
    "deceased",
    "tocilizumab_mg",
)


@st.composite
def well_formed_tables(draw: st.DrawFn) -> WellFormed:
    """patient_id + time always valid (with offsets); every other cell may be odd."""
    columns = draw(st.lists(st.sampled_from(VALUE_COLUMNS), min_size=1, max_size=5, unique=True))
    header = ["patient_id", "time", *columns]
    n_rows = draw(st.integers(1, 8))
    patients = draw(st.lists(st.sampled_from(("P1", "P2", "BED-7", "x")), min_size=1, max_size=3))
    rows, keys = [], set()
    for _ in range(n_rows):
        pid = draw(st.sampled_from(patients))
        text, utc = draw(stamped())
        if keys and draw(st.integers(0, 4)) == 0:
            # same patient and instant as an earlier row, spelled in another zone
            pid, utc = draw(st.sampled_from(sorted(keys)))
            minutes = draw(st.sampled_from(OFFSETS_MINUTES))
            text = (
                utc.replace(tzinfo=UTC).astimezone(timezone(timedelta(minutes=minutes))).isoformat()
            )
        keys.add((pid, utc))
        # no bare line breaks: a CR-terminated file with a "\n" in an unquoted cell is
        # ambiguous even to a person
        values = [draw(cells).replace("\r", " ").replace("\n", " ") for _ in columns]
        rows.append([pid, text, *values])
    dialect = draw(
        st.builds(
            Dialect,
            separator=st.sampled_from((",", ";", "\t")),
            line_end=st.sampled_from(LINE_ENDS),
            encoding=st.sampled_from(("utf-8", "utf-8-sig", "utf-16")),
            quoting=st.sampled_from((csv.QUOTE_MINIMAL, csv.QUOTE_ALL)),
        )
    )
    return WellFormed(to_bytes(header, rows, dialect), len(keys), n_rows)


# --------------------------------------------------------------------------- invariants


#: Exceptions that mean a bug in our code, never a property of the file.
PROGRAMMING_ERRORS = (
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    AssertionError,
    NameError,
    ZeroDivisionError,
    NotImplementedError,
    RecursionError,
)


def read_or_unusable(source, **kwargs):
    """``read_export(source)``, or ``None`` when it raised the one clear error.

    Any other exception propagates, failing the test: that is the bug being hunted.
    """
    from crs.errors import UnusableExportError
    from crs.read.reader import read_export

    try:
        return read_export(source, **kwargs)
    except UnusableExportError as exc:
        check_clear_message(str(exc))
        # The reader turns any unexpected exception into the clear error (no traceback for
        # a user); for the fuzzing, a refusal caused by a programming error is still a bug.
        cause = exc.__cause__
        if isinstance(cause, PROGRAMMING_ERRORS):
            raise AssertionError(f"refused because of a bug: {cause!r}") from cause
        return None


def check_clear_message(message: str) -> None:
    """The one clear error: a non-empty sentence, one line, of readable length."""
    assert message.strip(), "UnusableExportError without a message"
    assert "\n" not in message.strip(), f"multi-line error message: {message!r}"
    assert len(message) < 2000, f"error message of {len(message)} characters"
    assert "Traceback" not in message


def check_export(export) -> None:
    """Architecture §1.1–§1.2 invariants of a read export."""
    from crs.read.columns import CANONICAL

    frame, report = export.frame, export.report
    assert export.axis in ("time", "day")
    missing = [c for c in CANONICAL if c not in frame.columns]
    assert not missing, f"canonical columns missing: {missing}"
    assert isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0
    assert frame.index.step == 1
    assert not frame["instant"].isna().any(), "an instant is NaT"
    assert str(frame["instant"].dtype) == "datetime64[us]"
    assert not frame.duplicated(["patient_id", "instant"]).any(), "duplicate patient × instant"
    assert not frame["patient_id"].isna().any(), "a graded row without a patient id"
    # sorted by patient (first appearance) then instant
    first_seen = {p: i for i, p in reversed(list(enumerate(frame["patient_id"])))}
    order = frame["patient_id"].map(first_seen)
    assert order.is_monotonic_increasing, "patients are not grouped in order of appearance"
    for _, group in frame.groupby(order, sort=False):
        assert group["instant"].is_monotonic_increasing, "instants out of order"
    # the report balances (spec §1.1) and counts the frame
    assert report.rows_graded == len(frame)
    assert min(report.rows_read, report.rows_merged, report.rows_not_graded) >= 0
    assert report.balanced, (
        f"unbalanced report: read {report.rows_read} != graded {report.rows_graded} "
        f"+ merged {report.rows_merged} + not graded {report.rows_not_graded}"
    )
    problems = report.to_frame()
    assert {"line", "column", "raw", "reason", "kind"} <= set(problems.columns)
    assert set(problems["kind"].dropna()) <= REPORT_KINDS, set(problems["kind"])
    assert not problems["reason"].isna().any()
    # impossible values are missing in the frame (spec §1.1)
    for column, (low, high) in RANGES.items():
        values = frame[column].dropna()
        assert ((values >= low) & (values <= high)).all(), f"{column} out of range: {values}"
    for column in ("ventilated", "deceased", "high_risk"):
        assert frame[column].dropna().isin([0.0, 1.0]).all()
    # the text report is writable whatever the cells held
    assert isinstance(report.to_text(), str)


def check_graded(export) -> pd.DataFrame:
    """Grade the export (grade + treatment) and check the architecture §2–§3 invariants."""
    from crs.safe_csv import to_csv_bytes
    from crs.treatment.pipeline import grade_frame, output_table

    graded = grade_frame(export.frame)
    assert len(graded) == len(export.frame), "one graded row per frame row"
    grades = graded["grade"].to_numpy()
    assert ((grades >= 0) & (grades <= 5)).all()
    per_criterion = graded[[f"g_{c}" for c in CRITERIA]].to_numpy()
    assert (per_criterion.max(axis=1) == grades).all(), "grade is not the highest criterion"
    for row_grade, drivers, row_criteria in zip(
        grades, graded["drivers"].fillna(""), per_criterion, strict=True
    ):
        expected = [c for c, g in zip(CRITERIA, row_criteria, strict=True) if g == row_grade]
        expected = sorted(expected) if row_grade > 0 else []
        assert drivers == ";".join(expected), (row_grade, drivers, row_criteria)
    assert set(graded["recommendation"]) <= RECOMMENDATIONS
    assert (graded.loc[graded["grade"].isin([0, 5]), "recommendation"] == "none").all()
    assert (graded.loc[graded["grade"] == 1, "recommendation"] == "supportive_care").all()
    assert graded["explanation"].notna().all()
    check_safe_csv(to_csv_bytes(output_table(graded, export.axis)))
    return graded


def check_safe_csv(data: bytes) -> None:
    """No cell of a CSV we wrote would run as a spreadsheet formula (numbers allowed)."""
    csv.field_size_limit(2**31 - 1)  # a 10 MB pasted note is a legitimate cell
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_STARTS):
                assert _PLAIN_NUMBER.fullmatch(cell), f"formula-like cell written: {cell!r}"
