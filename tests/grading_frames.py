"""Hand-built canonical frames for the grading tests (docs/architecture.md §1.1).

The grader's input contract is the canonical frame; tests write only the columns a
case needs and ``crs.read.columns.conform`` adds the rest, all missing, with their dtypes.
"""

from __future__ import annotations

import pandas as pd

from crs.read.columns import conform

T0 = pd.Timestamp("2024-03-01 08:00")


def at(hours: float = 0.0, minutes: float = 0.0) -> pd.Timestamp:
    """An instant ``hours`` and ``minutes`` after T0."""
    return T0 + pd.Timedelta(hours=hours, minutes=minutes)


def patient(rows: list[dict], patient_id: str = "P1", **patient_level: object) -> pd.DataFrame:
    """One patient's rows; each dict has ``time`` (or ``hours`` after T0) and values."""
    records = []
    for row in rows:
        row = dict(row)
        if "time" not in row:
            row["time"] = at(row.pop("hours", 0.0), row.pop("minutes", 0.0))
        records.append({"patient_id": patient_id, **patient_level, **row})
    return pd.DataFrame(records)


def canonical(*frames: pd.DataFrame) -> pd.DataFrame:
    """Concatenate patients and conform to the canonical frame (instant = time)."""
    frame = pd.concat(frames, ignore_index=True)
    frame["time"] = pd.to_datetime(frame["time"]).astype("datetime64[us]")
    frame["instant"] = frame["time"]
    return conform(frame)
