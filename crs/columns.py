"""The canonical frame's columns and the alias table (spec grading.md §1 and §1.1).

Everything here is data: the column table of spec §1 (canonical name, unit, the
aliases that must be accepted, the kind of value, whether it is patient-level and
the physiological range of §1.1), the unit-suffixed aliases with their conversion
to the canonical unit, and the order of the canonical frame (docs/architecture.md
§1.1). ``conform`` gives a hand-built frame every canonical column with its dtype.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from crs.timeaxis import day_to_instant

Kind = Literal["id", "time", "day", "numeric", "bool", "text", "line", "instant"]


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column of spec §1.

    ``low``/``high`` are the inclusive physiological range of §1.1 in the canonical
    unit: a value outside it is impossible, set to missing and reported.
    """

    canonical: str
    kind: Kind
    unit: str
    aliases: tuple[str, ...] = ()
    low: float = -math.inf
    high: float = math.inf
    patient_level: bool = False


@dataclass(frozen=True)
class Conversion:
    """A conversion of a unit-suffixed alias (or a flowsheet unit) to the canonical unit."""

    label: str  # shown in the report, e.g. "°F to °C"
    apply: Callable[[pd.Series], pd.Series]


def _factor(k: float) -> Callable[[pd.Series], pd.Series]:
    return lambda s: s * k


#: Conversions named by the spec §1 table.
CONVERSIONS: dict[str, Conversion] = {
    "f_to_c": Conversion("°F to °C", lambda s: (s - 32.0) * 5.0 / 9.0),
    "mg_dl_to_mg_l": Conversion("mg/dL to mg/L, ×10", _factor(10.0)),
    "creatinine_umol_l_to_mg_dl": Conversion("µmol/L to mg/dL, ÷88.4", _factor(1 / 88.4)),
    "bilirubin_umol_l_to_mg_dl": Conversion("µmol/L to mg/dL, ÷17.1", _factor(1 / 17.1)),
    "g_l_to_mg_dl": Conversion("g/L to mg/dL, ×100", _factor(100.0)),
    "fraction_to_pct": Conversion("fraction to %, ×100", _factor(100.0)),
    "identity": Conversion("same unit", lambda s: s),
}

_NON_NEGATIVE = {"low": 0.0}
_GRADE = {"low": 0.0, "high": 4.0}

#: Spec grading.md §1 table, in the order of the canonical frame (architecture §1.1).
#: Ranges: spec §1.1 ("temp_c 25–45, sbp 20–300, dbp 10–200, map 15–250, fio2 21–100,
#: o2 flow 0–80, pressor rates < 0, lab values < 0, grades outside 0–4, ice_score outside
#: 0–10"). Doses, boluses, age, weight and reference limits cannot be negative either
#: [reader decision: a negative dose or weight is a typing error, not a measurement].
COLUMN_SPECS: tuple[ColumnSpec, ...] = (
    ColumnSpec("patient_id", "id", "text", ("patient", "mrn", "subject_id", "id")),
    ColumnSpec("instant", "instant", "datetime"),
    ColumnSpec("time", "time", "ISO 8601", ("datetime", "timestamp", "charttime", "date_time")),
    ColumnSpec("day", "day", "days since infusion", ("study_day", "days_post_infusion")),
    ColumnSpec("line", "line", "file line"),
    ColumnSpec("temp_c", "numeric", "°C", ("temperature", "temp"), 25.0, 45.0),
    ColumnSpec("sbp_mmhg", "numeric", "mmHg", ("sbp", "systolic"), 20.0, 300.0),
    ColumnSpec("dbp_mmhg", "numeric", "mmHg", ("dbp", "diastolic"), 10.0, 200.0),
    ColumnSpec("map_mmhg", "numeric", "mmHg", ("map", "mean_arterial_pressure"), 15.0, 250.0),
    ColumnSpec(
        "norepinephrine_ug_min",
        "numeric",
        "µg/min",
        ("norepinephrine", "noradrenaline"),
        **_NON_NEGATIVE,
    ),
    ColumnSpec(
        "epinephrine_ug_min", "numeric", "µg/min", ("epinephrine", "adrenaline"), **_NON_NEGATIVE
    ),
    ColumnSpec("phenylephrine_ug_min", "numeric", "µg/min", ("phenylephrine",), **_NON_NEGATIVE),
    ColumnSpec("dopamine_ug_kg_min", "numeric", "µg/kg/min", ("dopamine",), **_NON_NEGATIVE),
    ColumnSpec("vasopressin_u_min", "numeric", "U/min", ("vasopressin",), **_NON_NEGATIVE),
    ColumnSpec("fluid_bolus_ml", "numeric", "mL", ("bolus_ml",), **_NON_NEGATIVE),
    ColumnSpec("fio2", "numeric", "%", ("fio2_pct", "fio2_fraction"), 21.0, 100.0),
    ColumnSpec("o2_flow_l_min", "numeric", "L/min", ("o2_flow", "oxygen_flow"), 0.0, 80.0),
    ColumnSpec("crp_mg_l", "numeric", "mg/L", ("crp",), **_NON_NEGATIVE),
    ColumnSpec("ferritin_ng_ml", "numeric", "ng/mL", ("ferritin",), **_NON_NEGATIVE),
    ColumnSpec("il6_pg_ml", "numeric", "pg/mL", ("il6", "il_6"), **_NON_NEGATIVE),
    ColumnSpec("ifng_pg_ml", "numeric", "pg/mL", ("ifng", "ifn_gamma"), **_NON_NEGATIVE),
    ColumnSpec("creatinine_mg_dl", "numeric", "mg/dL", ("creatinine",), **_NON_NEGATIVE),
    ColumnSpec("ast_u_l", "numeric", "U/L", ("ast",), **_NON_NEGATIVE),
    ColumnSpec("alt_u_l", "numeric", "U/L", ("alt",), **_NON_NEGATIVE),
    ColumnSpec("bilirubin_mg_dl", "numeric", "mg/dL", ("bilirubin",), **_NON_NEGATIVE),
    ColumnSpec("fibrinogen_mg_dl", "numeric", "mg/dL", ("fibrinogen",), **_NON_NEGATIVE),
    ColumnSpec("inr", "numeric", "ratio", (), **_NON_NEGATIVE),
    ColumnSpec("lvef_pct", "numeric", "%", ("lvef", "ejection_fraction"), **_NON_NEGATIVE),
    ColumnSpec("neurotox_grade", "numeric", "CTCAE grade", ("neuro_grade",), **_GRADE),
    ColumnSpec("organ_tox_grade", "numeric", "CTCAE grade", ("organ_grade",), **_GRADE),
    ColumnSpec("ice_score", "numeric", "0–10", ("ice",), 0.0, 10.0),
    ColumnSpec("tocilizumab_mg", "numeric", "mg", ("tocilizumab",), **_NON_NEGATIVE),
    ColumnSpec("methylprednisolone_mg", "numeric", "mg", ("methylprednisolone",), **_NON_NEGATIVE),
    ColumnSpec("dexamethasone_mg", "numeric", "mg", ("dexamethasone",), **_NON_NEGATIVE),
    # Reference limits of the file's own laboratory (spec §3.4), canonical lab units.
    ColumnSpec("creatinine_uln", "numeric", "mg/dL", (), **_NON_NEGATIVE),
    ColumnSpec("ast_uln", "numeric", "U/L", (), **_NON_NEGATIVE),
    ColumnSpec("alt_uln", "numeric", "U/L", (), **_NON_NEGATIVE),
    ColumnSpec("bilirubin_uln", "numeric", "mg/dL", (), **_NON_NEGATIVE),
    ColumnSpec("inr_uln", "numeric", "ratio", (), **_NON_NEGATIVE),
    ColumnSpec("fibrinogen_lln", "numeric", "mg/dL", (), **_NON_NEGATIVE),
    # Weight-based pressor rates; converted to µg/min when the weight is known (spec §3.2).
    ColumnSpec(
        "norepinephrine_ug_kg_min",
        "numeric",
        "µg/kg/min",
        ("noradrenaline_ug_kg_min",),
        **_NON_NEGATIVE,
    ),
    ColumnSpec(
        "epinephrine_ug_kg_min", "numeric", "µg/kg/min", ("adrenaline_ug_kg_min",), **_NON_NEGATIVE
    ),
    ColumnSpec("phenylephrine_ug_kg_min", "numeric", "µg/kg/min", (), **_NON_NEGATIVE),
    ColumnSpec("ventilated", "bool", "boolean", ("mechanical_ventilation",)),
    ColumnSpec("deceased", "bool", "boolean", ("death", "died")),
    ColumnSpec("o2_device", "text", "text", ("oxygen_device", "device")),
    ColumnSpec("symptoms", "text", "text"),
    ColumnSpec("other_immunosuppressant", "text", "text"),
    # Patient-level (spec §1 last row), broadcast to every row of the patient.
    # [reader decision] An age above 130 years or a weight above 700 kg is a typing error
    # (hostile-input fuzzing: an age of 3e22 reached the treatment sentences), so it is
    # impossible like the §1.1 ranges: missing for grading, and reported.
    ColumnSpec("age_years", "numeric", "years", ("age",), 0.0, 130.0, patient_level=True),
    ColumnSpec("weight_kg", "numeric", "kg", ("weight",), 0.0, 700.0, patient_level=True),
    ColumnSpec(
        "baseline_sbp_mmhg", "numeric", "mmHg", ("baseline_sbp",), 20.0, 300.0, patient_level=True
    ),
    ColumnSpec("high_risk", "bool", "boolean", (), patient_level=True),
    ColumnSpec("infusion_time", "time", "ISO 8601", ("infusion_datetime",), patient_level=True),
    ColumnSpec("therapy", "text", "text", (), patient_level=True),
)

#: Column specs by canonical name.
SPECS: dict[str, ColumnSpec] = {spec.canonical: spec for spec in COLUMN_SPECS}

#: The canonical frame's columns in order (docs/architecture.md §1.1).
CANONICAL: list[str] = [spec.canonical for spec in COLUMN_SPECS]

_DTYPE_OF_KIND: dict[str, object] = {
    "id": pd.StringDtype("pyarrow", na_value=np.nan),  # pandas 3 default ``str``
    "text": pd.StringDtype("pyarrow", na_value=np.nan),
    "time": np.dtype("datetime64[us]"),
    "instant": np.dtype("datetime64[us]"),
    "day": np.dtype("float64"),
    "numeric": np.dtype("float64"),
    "bool": np.dtype("float64"),
    "line": np.dtype("int64"),
}

#: dtype of every canonical column (architecture §1.1: booleans are float 1.0/0.0/NaN).
DTYPES: dict[str, object] = {spec.canonical: _DTYPE_OF_KIND[spec.kind] for spec in COLUMN_SPECS}

#: Patient-level canonical columns.
PATIENT_LEVEL: list[str] = [spec.canonical for spec in COLUMN_SPECS if spec.patient_level]

#: Weight-based pressors converted to µg/min with weight_kg (spec §3.2).
WEIGHT_BASED_PRESSORS: dict[str, str] = {
    "norepinephrine_ug_kg_min": "norepinephrine_ug_min",
    "epinephrine_ug_kg_min": "epinephrine_ug_min",
    "phenylephrine_ug_kg_min": "phenylephrine_ug_min",
}

#: Unit-suffixed aliases (spec §1 table): alias → (canonical column, conversion key).
UNIT_ALIASES: dict[str, tuple[str, str]] = {
    "temp_f": ("temp_c", "f_to_c"),
    "crp_mg_dl": ("crp_mg_l", "mg_dl_to_mg_l"),
    "creatinine_umol_l": ("creatinine_mg_dl", "creatinine_umol_l_to_mg_dl"),
    "bilirubin_umol_l": ("bilirubin_mg_dl", "bilirubin_umol_l_to_mg_dl"),
    "fibrinogen_g_l": ("fibrinogen_mg_dl", "g_l_to_mg_dl"),
}

#: Aliases that name a unit-less temperature: °F when the column median exceeds 50 (spec §1).
UNITLESS_TEMPERATURE: frozenset[str] = frozenset({"temperature", "temp"})

#: Every accepted (normalised) name → canonical column (unit-suffixed aliases included).
ALIASES: dict[str, str] = {
    **{spec.canonical: spec.canonical for spec in COLUMN_SPECS if spec.kind != "instant"},
    **{alias: spec.canonical for spec in COLUMN_SPECS for alias in spec.aliases},
    **{alias: canonical for alias, (canonical, _) in UNIT_ALIASES.items()},
}
del ALIASES["line"]

#: Units written in a flowsheet's ``unit`` column (normalised like names): per canonical
#: column, unit → conversion key. Units equal to the canonical unit need no entry.
FLOWSHEET_UNITS: dict[str, dict[str, str]] = {
    "temp_c": {"f": "f_to_c", "degf": "f_to_c", "°f": "f_to_c", "fahrenheit": "f_to_c"},
    "crp_mg_l": {"mg_dl": "mg_dl_to_mg_l"},
    "creatinine_mg_dl": {
        "umol_l": "creatinine_umol_l_to_mg_dl",
        "µmol_l": "creatinine_umol_l_to_mg_dl",
        "μmol_l": "creatinine_umol_l_to_mg_dl",
    },
    "bilirubin_mg_dl": {
        "umol_l": "bilirubin_umol_l_to_mg_dl",
        "µmol_l": "bilirubin_umol_l_to_mg_dl",
        "μmol_l": "bilirubin_umol_l_to_mg_dl",
    },
    "fibrinogen_mg_dl": {"g_l": "g_l_to_mg_dl"},
    "fio2": {"fraction": "fraction_to_pct"},
}


def empty_column(canonical: str, length: int) -> pd.Series:
    """An all-missing column of ``canonical``'s dtype (``line`` has no missing value: 0)."""
    dtype = DTYPES[canonical]
    if canonical == "line":
        return pd.Series(np.zeros(length, dtype="int64"), copy=False)
    if dtype == np.dtype("datetime64[us]"):
        nat = np.full(length, np.datetime64("NaT"), dtype="datetime64[us]")
        return pd.Series(nat, copy=False)
    if dtype == np.dtype("float64"):
        return pd.Series(np.full(length, np.nan), copy=False)
    # An all-null Arrow string array costs nothing, unlike a million Python NAs.
    nulls = pa.chunked_array([pa.nulls(length, pa.large_string())])
    return pd.Series(pd.arrays.ArrowStringArray(nulls, dtype=dtype))


def conform(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every canonical column, in canonical order, then the others.

    Missing canonical columns are added all-missing with their dtype; present ones are
    cast to it where that is lossless (ints and bools to float64, strings to ``str``).
    Used by tests and callers that build frames by hand (docs/architecture.md §1.1).
    When ``instant`` is absent it is taken from ``time``, else from ``day`` (day × 24 h
    from 1970-01-01, crs.timeaxis); ``line`` defaults to the rows' file lines 2, 3, ….
    """
    out = df.copy()
    n = len(out)
    for name in CANONICAL:
        if name in out.columns:
            out[name] = _cast(out[name], name)
    if "instant" not in out.columns:
        if "time" in out.columns and out["time"].notna().any():
            out["instant"] = out["time"]
        elif "day" in out.columns:
            out["instant"] = day_to_instant(out["day"])
    if "line" not in out.columns:
        out["line"] = np.arange(2, n + 2, dtype="int64")
    for name in CANONICAL:
        if name not in out.columns:
            column = empty_column(name, n)
            column.index = out.index
            out[name] = column
    extras = [c for c in out.columns if c not in SPECS]
    return out[[*CANONICAL, *extras]]


def _cast(series: pd.Series, name: str) -> pd.Series:
    dtype = DTYPES[name]
    if series.dtype == dtype:
        return series
    try:
        if dtype == np.dtype("datetime64[us]"):
            return pd.to_datetime(series).astype("datetime64[us]")
        if dtype == np.dtype("float64"):
            return series.astype("float64")
        return series.astype(dtype)
    except (TypeError, ValueError):
        # Leave an uncastable hand-built column as given; the caller's test will show it.
        return series
