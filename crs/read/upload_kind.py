"""Which uploaded file is the patients table? (issue: Home page upload; grading.md §1).

A clinician may drop a time-series export and a patients table into the uploader
together. The patients table is recognised by its shape (grading.md §1: patient-level
columns "may come from a second 'patients' table keyed by patient_id"): it has no time or
day column and no flowsheet ``variable``/``value`` pair, it has one row per patient id,
and it carries at least one patient-level column (age, weight, infusion time, baseline
SBP, high risk, therapy). Everything else is read as a time series. The user can always
override the guess in the app.

Only the header and the first rows are read here; the reader reads the file for real.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from crs.read.columns import LAYOUT_PREFIX, PATIENT_LEVEL, name_target
from crs.read.names import normalise_name
from crs.read.units import match_name

#: How much of a file is looked at to recognise it (a patients table is small).
SAMPLE_BYTES = 512 * 1024
SAMPLE_ROWS = 5000


@dataclass(frozen=True)
class UploadKind:
    """What a quick look at an uploaded file says about it."""

    kind: Literal["timeseries", "patients"]
    has_patient_column: bool
    has_time_column: bool
    columns: tuple[str, ...]


def _decode(data: bytes) -> str:
    sample = data[:SAMPLE_BYTES]
    try:
        text = sample.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        # A cut through a multi-byte character at the end of the sample is not an error.
        if error.start >= len(sample) - 4:
            text = sample[: error.start].decode("utf-8-sig")
        else:
            text = sample.decode("latin-1")
    if len(data) > SAMPLE_BYTES:
        text = text.rsplit("\n", 1)[0]
    return text


def _sample(data: bytes) -> pd.DataFrame:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    try:
        separator = csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
    except csv.Error:
        separator = ","
    return pd.read_csv(
        io.StringIO(text), sep=separator, dtype="str", nrows=SAMPLE_ROWS, on_bad_lines="skip"
    )


def read_names(columns: object) -> tuple[dict[str, str], set[str]]:
    """Column names read as the reader reads them (crs.read.units.match_name: aliases in any
    word order, a unit after the name, so ``weight_lb`` is the weight): canonical column
    → the first column of it as written; and the long layout's columns found."""
    canonical: dict[str, str] = {}
    layout: set[str] = set()
    for written in columns:
        key = normalise_name(written)
        target = name_target(key)
        if target is not None and target.startswith(LAYOUT_PREFIX):
            layout.add(target.removeprefix(LAYOUT_PREFIX))
            continue
        match = match_name(key)
        if match is not None:
            canonical.setdefault(match.canonical, str(written))
    return canonical, layout


def classify_upload(data: bytes) -> UploadKind:
    """Guess whether ``data`` is a time-series export or a patients table.

    A file that cannot be parsed at all is called a time series, so the reader gives
    its one clear error message for it.
    """
    try:
        sample = _sample(data)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError):
        return UploadKind("timeseries", False, False, ())
    canonical, layout = read_names(sample.columns)
    has_patient = "patient_id" in canonical
    has_time = "time" in canonical or "day" in canonical
    flowsheet = "variable" in layout and "value" in layout
    patient_level = any(column in canonical for column in PATIENT_LEVEL)
    kind: Literal["timeseries", "patients"] = "timeseries"
    if has_patient and not has_time and not flowsheet and patient_level:
        ids = sample[canonical["patient_id"]].dropna().astype("str").str.strip()
        if ids.is_unique:
            kind = "patients"
    return UploadKind(kind, has_patient, has_time, tuple(str(c) for c in sample.columns))
