"""Reading date-times from export cells (spec grading.md §1 and §1.1).

ISO 8601 first (with or without ``T``, seconds, or an offset; offsets are converted to
UTC and the result made naive, docs/architecture.md §1.1). Then the common export form
``05/03/2024 14:30`` (also with ``.`` or ``-``, 2-digit years, AM/PM). Whether such a
column is day-first or month-first is decided once per column:

1. a first field above 12 proves day-first, a second field above 12 month-first
   (the reading with more such proofs wins if a column has both);
2. otherwise (every cell ambiguous) the reading under which consecutive rows are
   closer in time: clinical exports are sequential, and the wrong reading turns
   daily rows into monthly jumps;
3. a tie reads day-first (the order of ISO 8601 and of most of the world), and the
   choice is reported.
Dotted dates (``05.03.2024``) are always day-first. Cells still unparseable are NaT.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

_NUMERIC_DATE = (
    r"^(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"
    r"(?:[T\s,]+(?P<H>\d{1,2})[:h](?P<M>\d{2})(?::(?P<S>\d{2}(?:\.\d+)?))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?$"
)
_MONTH_NAME = r"[A-Za-z]{3}"


@dataclass(frozen=True)
class ParsedTimes:
    """Naive ``datetime64[us]`` values (NaT where unreadable) and a note on the reading."""

    values: pd.Series
    note: str | None


def parse_times(raw: pd.Series, column: str = "time") -> ParsedTimes:
    """Read one column of date-times; see the module docstring for the rules."""
    index = raw.index
    if raw.dtype.kind == "M":
        return ParsedTimes(_naive(raw), None)
    if raw.dtype.kind in "iufb":
        # Numbers are not date-times (a day count belongs in the `day` column).
        return ParsedTimes(_nat(index), None)
    text = raw.astype("str").str.strip()
    text = text.mask(text == "")
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    values = _naive(parsed)
    failed = (values.isna() & text.notna()).to_numpy()
    note = None
    if failed.any():
        rows = np.flatnonzero(failed)
        numeric, note = _numeric_dates(text.iloc[rows], column)
        out = values.to_numpy().copy()
        out[rows] = numeric.to_numpy()
        still = rows[np.isnat(out[rows])]
        if len(still):
            named = text.iloc[still]
            has_month = named.str.contains(_MONTH_NAME, regex=True).to_numpy()
            if has_month.any():
                words = pd.to_datetime(
                    named[has_month], format="mixed", errors="coerce", dayfirst=True, utc=True
                )
                out[still[has_month]] = _naive(words).to_numpy()
        values = pd.Series(out, index=index)
    return ParsedTimes(values, note)


def _naive(values: pd.Series) -> pd.Series:
    if getattr(values.dtype, "tz", None) is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values.astype("datetime64[us]")


def _nat(index: pd.Index) -> pd.Series:
    return pd.Series(np.full(len(index), np.datetime64("NaT"), dtype="datetime64[us]"), index=index)


def _numeric_dates(text: pd.Series, column: str) -> tuple[pd.Series, str | None]:
    parts = text.str.extract(_NUMERIC_DATE)
    matched = parts["a"].notna()
    if not matched.any():
        return _nat(text.index), None
    a = pd.to_numeric(parts["a"], errors="coerce")
    b = pd.to_numeric(parts["b"], errors="coerce")
    dotted = parts["sep"] == "."
    dayfirst, note = _choose_order(
        a[matched & ~dotted], b[matched & ~dotted], parts[matched & ~dotted], column
    )
    first_is_day = dotted | dayfirst
    day = a.where(first_is_day, b)
    month = b.where(first_is_day, a)
    year = pd.to_numeric(parts["y"], errors="coerce")
    year = year.where(year >= 100, year + 2000)
    hour = pd.to_numeric(parts["H"], errors="coerce").fillna(0)
    ampm = parts["ampm"].str.lower().str[0]
    hour = hour.where(~((ampm == "p") & (hour < 12)), hour + 12)
    hour = hour.where(~((ampm == "a") & (hour == 12)), 0)
    minute = pd.to_numeric(parts["M"], errors="coerce").fillna(0)
    second = pd.to_numeric(parts["S"], errors="coerce").fillna(0)
    stamp = pd.to_datetime(
        pd.DataFrame(
            {
                "year": year,
                "month": month,
                "day": day,
                "hour": hour,
                "minute": minute,
                "second": second,
            }
        ),
        errors="coerce",
    )
    return stamp.astype("datetime64[us]"), note


def _choose_order(
    a: pd.Series, b: pd.Series, parts: pd.DataFrame, column: str
) -> tuple[bool, str | None]:
    if len(a) == 0:
        return True, None
    day_proof = int((a > 12).sum())
    month_proof = int((b > 12).sum())
    if day_proof or month_proof:
        dayfirst = day_proof >= month_proof
        if day_proof and month_proof:
            order = "day-first" if dayfirst else "month-first"
            return dayfirst, (
                f"{column}: dates such as 05/03/2024 read {order} ({day_proof} cells can only be "
                f"day-first, {month_proof} only month-first; the others are unreadable)"
            )
        return dayfirst, None
    year = pd.to_numeric(parts["y"], errors="coerce")
    spread = {}
    for name, day, month in (("day-first", a, b), ("month-first", b, a)):
        stamp = pd.to_datetime(
            pd.DataFrame(
                {"year": year.where(year >= 100, year + 2000), "month": month, "day": day}
            ),
            errors="coerce",
        )
        steps = stamp.diff().abs().dropna()
        spread[name] = steps.median() if len(steps) else pd.Timedelta(0)
    if spread["month-first"] < spread["day-first"]:
        return False, (
            f"{column}: every date such as 05/03/2024 could be day-first or month-first; read "
            "month-first because consecutive rows are then closer in time"
        )
    reason = (
        "consecutive rows are then closer in time"
        if spread["day-first"] < spread["month-first"]
        else "both readings are equally plausible, and day-first is the ISO 8601 order"
    )
    return True, (
        f"{column}: every date such as 05/03/2024 could be day-first or month-first; read "
        f"day-first because {reason}"
    )
