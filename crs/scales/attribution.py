"""Clinician attributions: "this finding is not CRS" (spec grading.md §5).

Lee et al. 2014 insist that CRS is a diagnosis of attribution — fever or hypotension may
be sepsis — so a clinician can mark a criterion as due to another cause for one patient
over a period. The file has the columns ``patient_id, criterion, start, end, reason,
author``; ``start``/``end`` are instants on the export's own axis (ISO 8601 time, or
day since infusion), both inclusive. An empty ``end`` keeps the attribution in effect
**[decision]**.
"""

from __future__ import annotations

import csv
import io
import os
from typing import Literal

import numpy as np
import pandas as pd

from crs.errors import UnusableExportError
from crs.read.timeaxis import day_to_instant
from crs.scales.grading import ATTRIBUTION_CODES

#: Columns of an attributions file (spec §5).
COLUMNS: tuple[str, ...] = ("patient_id", "criterion", "start", "end", "reason", "author")


def _read_table(source: str | os.PathLike | bytes, name: str) -> pd.DataFrame:
    try:
        if isinstance(source, bytes):
            raw = source
        else:
            with open(source, "rb") as handle:
                raw = handle.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        return pd.read_csv(
            io.StringIO(text), dtype="str", keep_default_na=False, sep=None, engine="python"
        )
    except OSError as error:
        raise UnusableExportError(
            f"The attributions file {name} cannot be opened ({error})."
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as error:
        raise UnusableExportError(
            f"The attributions file {name} is not a readable table ({error})."
        ) from None


def _instants(values: pd.Series, axis: str) -> tuple[pd.Series, pd.Series]:
    text = values.str.strip()
    empty = text == ""
    if axis == "day":
        numbers = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        parsed = day_to_instant(numbers)
    else:
        parsed = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
        parsed = parsed.dt.tz_convert(None)
    parsed = parsed.astype("datetime64[us]")
    bad = parsed.isna() & ~empty
    return parsed, bad


def read_attributions(
    source: str | os.PathLike | bytes, axis: Literal["time", "day"], *, name: str | None = None
) -> pd.DataFrame:
    """Read an attributions CSV (spec §5) into the frame ``crs.scales.grading.grade`` takes.

    Raises ``UnusableExportError`` with one sentence naming the problem (missing
    columns, an unknown criterion or ``death``, an unreadable or reversed period).
    """
    if name is None:
        name = os.path.basename(os.fspath(source)) if not isinstance(source, bytes) else "upload"
    table = _read_table(source, name)
    table.columns = [str(c).strip().lower() for c in table.columns]
    missing = [c for c in ("patient_id", "criterion", "start") if c not in table.columns]
    if missing:
        raise UnusableExportError(
            f"The attributions file {name} lacks the column(s) {', '.join(missing)}; "
            f"its columns must be {', '.join(COLUMNS)}."
        )
    for optional in ("end", "reason", "author"):
        if optional not in table.columns:
            table[optional] = ""
    lines = pd.Series(np.arange(2, len(table) + 2), index=table.index)
    criterion = table["criterion"].str.strip().str.lower()
    wrong = ~criterion.isin(ATTRIBUTION_CODES)
    if wrong.any():
        first = wrong.idxmax()
        what = table.at[first, "criterion"]
        why = {
            "death": "death cannot be attributed to another cause",
            # astct.md §4: masking is ended by attributing the fever itself.
            "masked_fever": "a masked fever cannot be attributed (attribute the fever)",
        }.get(criterion[first], f"unknown criterion {what!r}")
        raise UnusableExportError(
            f"The attributions file {name}, line {lines[first]}: {why}; "
            f"the criterion must be one of {', '.join(ATTRIBUTION_CODES)}."
        )
    patient = table["patient_id"].str.strip()
    if (patient == "").any():
        first = (patient == "").idxmax()
        raise UnusableExportError(
            f"The attributions file {name}, line {lines[first]}: patient_id is empty."
        )
    start, bad_start = _instants(table["start"], axis)
    end, bad_end = _instants(table["end"], axis)
    form = "an ISO 8601 time" if axis == "time" else "a day since infusion (a number)"
    for column, bad in (("start", bad_start | start.isna()), ("end", bad_end)):
        if bad.any():
            first = bad.idxmax()
            raise UnusableExportError(
                f"The attributions file {name}, line {lines[first]}: {column} "
                f"{table.at[first, column]!r} is not {form}."
            )
    reversed_ = end.notna() & (end < start)
    if reversed_.any():
        first = reversed_.idxmax()
        raise UnusableExportError(
            f"The attributions file {name}, line {lines[first]}: end is before start."
        )
    return pd.DataFrame(
        {
            "patient_id": patient.astype("str"),
            "criterion": criterion.astype("str"),
            "start": start,
            "end": end,
            "reason": table["reason"].astype("str"),
            "author": table["author"].astype("str"),
        }
    ).reset_index(drop=True)
