"""Hand-built graded frames (docs/architecture.md §2) for the treatment and trend tests.

The graded frame is the input contract of crs.treatment.treatment and crs.treatment.trends; these helpers
build it directly so those tests do not depend on the reader or the grader.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

START = pd.Timestamp("2024-03-01 08:00")

#: Every graded-frame column the treatment algorithm and trends read, with the value a
#: row has when a test does not say otherwise (nothing recorded, no criterion met).
DEFAULTS: dict[str, Any] = {
    "grade": 0,
    "drivers": "",
    "attributed": "",
    "g_fever": 0,
    "g_symptoms": 0,
    "g_hypotension": 0,
    "g_vasopressor": 0,
    "g_oxygen": 0,
    "g_ventilation": 0,
    "g_organ_toxicity": 0,
    "g_neurotoxicity": 0,
    "g_death": 0,
    "organ_creatinine": 0,
    "organ_ast": 0,
    "organ_alt": 0,
    "organ_bilirubin": 0,
    "organ_fibrinogen": 0,
    "organ_inr": 0,
    "organ_lvef": 0,
    "neurotox_used": np.nan,
    "organ_tox_used": np.nan,
    "crp_mg_l": np.nan,
    "ferritin_ng_ml": np.nan,
    "il6_pg_ml": np.nan,
    "ifng_pg_ml": np.nan,
    "tocilizumab_mg": np.nan,
    "methylprednisolone_mg": np.nan,
    "dexamethasone_mg": np.nan,
    "other_immunosuppressant": pd.NA,
    "age_years": np.nan,
    "weight_kg": np.nan,
    "high_risk": np.nan,
    "infusion_time": pd.NaT,
}

INT_COLUMNS = [name for name, value in DEFAULTS.items() if isinstance(value, int)]
FLOAT_COLUMNS = [name for name, value in DEFAULTS.items() if isinstance(value, float)]


def elapsed(text: str) -> pd.Timedelta:
    """'h:mm' elapsed time as written in the case tables ('72:01' is 72 h 1 min)."""
    hours, minutes = text.split(":")
    return pd.Timedelta(hours=int(hours), minutes=int(minutes))


def graded(
    rows: Iterable[Mapping[str, Any]],
    *,
    patient_id: str = "P1",
    start: pd.Timestamp = START,
    **patient_level: Any,
) -> pd.DataFrame:
    """A graded frame for one patient.

    Each row gives ``hours`` (after ``start``, float or 'h:mm') and any graded-frame
    columns; ``patient_level`` values (``age_years=70``) go on every row.
    """
    records = []
    for row in rows:
        record = dict(DEFAULTS) | dict(patient_level) | dict(row)
        at = record.pop("hours", 0)
        offset = elapsed(at) if isinstance(at, str) else pd.Timedelta(hours=float(at))
        record["instant"] = start + offset
        record["patient_id"] = patient_id
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    frame["time"] = frame["instant"]
    frame["day"] = np.nan
    frame["line"] = np.arange(2, len(frame) + 2)
    return conform(frame)


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a hand-built frame the graded frame's dtypes."""
    frame = frame.astype({name: "int64" for name in INT_COLUMNS if name in frame})
    frame = frame.astype({name: "float64" for name in FLOAT_COLUMNS if name in frame})
    frame["instant"] = pd.to_datetime(frame["instant"]).astype("datetime64[us]")
    frame["time"] = pd.to_datetime(frame["time"]).astype("datetime64[us]")
    frame["infusion_time"] = pd.to_datetime(frame["infusion_time"]).astype("datetime64[us]")
    for name in ("patient_id", "drivers", "attributed", "other_immunosuppressant"):
        frame[name] = frame[name].astype("str")
    return frame.reset_index(drop=True)


def ward(*patients: pd.DataFrame) -> pd.DataFrame:
    """Several one-patient graded frames as one graded frame (fresh RangeIndex)."""
    return pd.concat(patients, ignore_index=True)
