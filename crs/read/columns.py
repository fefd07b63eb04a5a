"""The canonical frame's columns and the alias table (spec grading.md §1 and §1.1).

Everything here is data: the column table of spec §1 (canonical name, unit, the kind
of value, whether it is patient-level and the physiological range of §1.1, in the
canonical unit), the order of the canonical frame (docs/architecture.md §1.1), and the
names each column is accepted under, from the alias table ``crs/tables/aliases.csv``
(crs.read.aliases). Units and their conversions are the units table,
``crs/tables/units.csv``, read by :mod:`crs.read.units`. ``conform`` gives a hand-built frame every canonical column with its dtype.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from crs.read.aliases import ALIAS_ROWS, LAYOUT_COLUMNS, NOT_GRADED
from crs.read.names import word_key
from crs.read.timeaxis import day_to_instant

Kind = Literal["id", "time", "day", "numeric", "bool", "text", "line", "instant"]

#: The version of the reading rules (spec grading.md: version 2 added the unit checks of
#: bare laboratory columns, unit text in cells and the laboratory limits of §1 and §1.1).
#: The ward store records it with every import: values imported under an older reading
#: are checked again, and the same file may be imported again to be read anew
#: (docs/architecture.md §7). Raise it whenever the reader reads a cell differently, with
#: a store migration that calls crs.store.marks.mark_old_readings (as 0003 does).
#: Version 3 (astct.md §1): the ASTCT 2019 neurological findings are read, and an ICE
#: score that is not a whole number is impossible (migration 0005).
READING_VERSION = 3


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column of spec §1.

    ``low``/``high`` are the inclusive physiological range of §1.1 in the canonical
    unit: a value outside it is impossible, set to missing and reported. ``label`` names
    the variable in plain words for the data-quality report.
    """

    canonical: str
    kind: Kind
    unit: str
    low: float = -math.inf
    high: float = math.inf
    patient_level: bool = False
    label: str = ""
    #: Accepted names (normalised), from the alias table crs/tables/aliases.csv.
    aliases: tuple[str, ...] = ()

    @property
    def words(self) -> str:
        """The variable in plain words (the canonical name when no label is given)."""
        return self.label or self.canonical


_NON_NEGATIVE = {"low": 0.0}
_GRADE = {"low": 0.0, "high": 4.0}

#: Spec grading.md §1 table, in the order of the canonical frame (architecture §1.1).
#: Ranges: spec §1.1 ("temp_c 25–45, sbp 20–300, dbp 10–200, map 15–250, fio2 21–100,
#: o2 flow 0–80, pressor rates < 0, grades outside 0–4, ice_score outside 0–10", and [v2],
#: after unit conversion, "creatinine 0–30 mg/dL, bilirubin 0–60 mg/dL, AST and ALT
#: 0–100,000 U/L, fibrinogen 0–2,000 mg/dL, INR 0.5–25, LVEF 5–95 %, CRP 0–1,000 mg/L,
#: ferritin 0–1,000,000 ng/mL, IL-6 and IFN-γ 0–1,000,000 pg/mL, age 0–120 years,
#: weight 0.3–400 kg"). Doses, boluses and baseline SBP: [reader decision] a negative dose
#: is a typing error, and a baseline SBP has the range of any SBP. The laboratory's own
#: reference limits (§3.4) are values of their laboratory test, in its unit: [reader
#: decision] they take its range (a creatinine ULN of 106 mg/dL is impossible).
_CREATININE = {"low": 0.0, "high": 30.0}
_BILIRUBIN = {"low": 0.0, "high": 60.0}
_TRANSAMINASE = {"low": 0.0, "high": 100_000.0}
_FIBRINOGEN = {"low": 0.0, "high": 2_000.0}
_INR = {"low": 0.5, "high": 25.0}
_CYTOKINE = {"low": 0.0, "high": 1_000_000.0}
_COLUMN_TABLE: tuple[ColumnSpec, ...] = (
    ColumnSpec("patient_id", "id", "text", label="patient"),
    ColumnSpec("instant", "instant", "datetime"),
    ColumnSpec(
        "time",
        "time",
        "ISO 8601",
        label="time",
    ),
    ColumnSpec("day", "day", "days since infusion", label="day"),
    ColumnSpec("line", "line", "file line"),
    ColumnSpec("temp_c", "numeric", "°C", 25.0, 45.0, label="temperature"),
    ColumnSpec("sbp_mmhg", "numeric", "mmHg", 20.0, 300.0, label="systolic pressure"),
    ColumnSpec("dbp_mmhg", "numeric", "mmHg", 10.0, 200.0, label="diastolic pressure"),
    ColumnSpec(
        "map_mmhg",
        "numeric",
        "mmHg",
        15.0,
        250.0,
        label="mean arterial pressure",
    ),
    ColumnSpec(
        "norepinephrine_ug_min",
        "numeric",
        "µg/min",
        **_NON_NEGATIVE,
        label="norepinephrine",
    ),
    ColumnSpec(
        "epinephrine_ug_min",
        "numeric",
        "µg/min",
        **_NON_NEGATIVE,
        label="epinephrine",
    ),
    ColumnSpec(
        "phenylephrine_ug_min",
        "numeric",
        "µg/min",
        **_NON_NEGATIVE,
        label="phenylephrine",
    ),
    ColumnSpec(
        "dopamine_ug_kg_min",
        "numeric",
        "µg/kg/min",
        **_NON_NEGATIVE,
        label="dopamine",
    ),
    ColumnSpec(
        "vasopressin_u_min",
        "numeric",
        "U/min",
        **_NON_NEGATIVE,
        label="vasopressin",
    ),
    ColumnSpec("fluid_bolus_ml", "numeric", "mL", **_NON_NEGATIVE, label="fluid bolus"),
    ColumnSpec("fio2", "numeric", "%", 21.0, 100.0, label="FiO2"),
    ColumnSpec(
        "o2_flow_l_min",
        "numeric",
        "L/min",
        0.0,
        80.0,
        label="oxygen flow",
    ),
    ColumnSpec("crp_mg_l", "numeric", "mg/L", 0.0, 1_000.0, label="CRP"),
    ColumnSpec("ferritin_ng_ml", "numeric", "ng/mL", **_CYTOKINE, label="ferritin"),
    ColumnSpec("il6_pg_ml", "numeric", "pg/mL", **_CYTOKINE, label="IL-6"),
    ColumnSpec("ifng_pg_ml", "numeric", "pg/mL", **_CYTOKINE, label="IFN-γ"),
    ColumnSpec("creatinine_mg_dl", "numeric", "mg/dL", **_CREATININE, label="creatinine"),
    ColumnSpec("ast_u_l", "numeric", "U/L", **_TRANSAMINASE, label="AST"),
    ColumnSpec("alt_u_l", "numeric", "U/L", **_TRANSAMINASE, label="ALT"),
    ColumnSpec("bilirubin_mg_dl", "numeric", "mg/dL", **_BILIRUBIN, label="bilirubin"),
    ColumnSpec("fibrinogen_mg_dl", "numeric", "mg/dL", **_FIBRINOGEN, label="fibrinogen"),
    ColumnSpec("inr", "numeric", "ratio", **_INR, label="INR"),
    ColumnSpec("lvef_pct", "numeric", "%", 5.0, 95.0, label="LVEF"),
    ColumnSpec(
        "neurotox_grade",
        "numeric",
        "CTCAE grade",
        **_GRADE,
        label="neurotoxicity grade",
    ),
    ColumnSpec(
        "organ_tox_grade",
        "numeric",
        "CTCAE grade",
        **_GRADE,
        label="organ toxicity grade",
    ),
    ColumnSpec("ice_score", "numeric", "0–10", 0.0, 10.0, label="ICE score"),
    # astct.md §1.1: the CAPD total (children < 12) and the RASS, whole numbers (§1.3).
    ColumnSpec("capd_score", "numeric", "points", 0.0, 32.0, label="CAPD score"),
    ColumnSpec("rass", "numeric", "points", -5.0, 4.0, label="RASS"),
    ColumnSpec("tocilizumab_mg", "numeric", "mg", **_NON_NEGATIVE, label="tocilizumab"),
    ColumnSpec(
        "methylprednisolone_mg",
        "numeric",
        "mg",
        **_NON_NEGATIVE,
        label="methylprednisolone",
    ),
    ColumnSpec(
        "dexamethasone_mg",
        "numeric",
        "mg",
        **_NON_NEGATIVE,
        label="dexamethasone",
    ),
    # Reference limits of the file's own laboratory (spec §3.4), canonical lab units.
    ColumnSpec("creatinine_uln", "numeric", "mg/dL", **_CREATININE, label="creatinine upper limit"),
    ColumnSpec("ast_uln", "numeric", "U/L", **_TRANSAMINASE, label="AST upper limit"),
    ColumnSpec("alt_uln", "numeric", "U/L", **_TRANSAMINASE, label="ALT upper limit"),
    ColumnSpec("bilirubin_uln", "numeric", "mg/dL", **_BILIRUBIN, label="bilirubin upper limit"),
    ColumnSpec("inr_uln", "numeric", "ratio", **_INR, label="INR upper limit"),
    ColumnSpec("fibrinogen_lln", "numeric", "mg/dL", **_FIBRINOGEN, label="fibrinogen lower limit"),
    # Weight-based pressor rates; converted to µg/min when the weight is known (spec §3.2).
    ColumnSpec(
        "norepinephrine_ug_kg_min",
        "numeric",
        "µg/kg/min",
        **_NON_NEGATIVE,
        label="norepinephrine (weight-based)",
    ),
    ColumnSpec(
        "epinephrine_ug_kg_min",
        "numeric",
        "µg/kg/min",
        **_NON_NEGATIVE,
        label="epinephrine (weight-based)",
    ),
    ColumnSpec(
        "phenylephrine_ug_kg_min",
        "numeric",
        "µg/kg/min",
        **_NON_NEGATIVE,
        label="phenylephrine (weight-based)",
    ),
    ColumnSpec("ventilated", "bool", "boolean", label="mechanical ventilation"),
    ColumnSpec("deceased", "bool", "boolean", label="death"),
    ColumnSpec("o2_device", "text", "text", label="oxygen device"),
    ColumnSpec("symptoms", "text", "text", label="symptoms"),
    ColumnSpec("other_immunosuppressant", "text", "text", label="other immunosuppressant"),
    # astct.md §1.1–§1.2: the ICANS findings written in words (crs.read.neuro_words).
    ColumnSpec("consciousness", "text", "text", label="level of consciousness"),
    ColumnSpec("seizure", "text", "text", label="seizure"),
    ColumnSpec("motor_weakness", "text", "text", label="motor weakness"),
    ColumnSpec("cerebral_edema", "text", "text", label="cerebral oedema"),
    # Patient-level (spec §1 last row), broadcast to every row of the patient.
    ColumnSpec("age_years", "numeric", "years", 0.0, 120.0, patient_level=True, label="age"),
    ColumnSpec("weight_kg", "numeric", "kg", 0.3, 400.0, patient_level=True, label="weight"),
    ColumnSpec(
        "baseline_sbp_mmhg",
        "numeric",
        "mmHg",
        20.0,
        300.0,
        patient_level=True,
        label="baseline systolic pressure",
    ),
    ColumnSpec("high_risk", "bool", "boolean", patient_level=True, label="high risk"),
    ColumnSpec(
        "infusion_time",
        "time",
        "ISO 8601",
        patient_level=True,
        label="infusion time",
    ),
    ColumnSpec("therapy", "text", "text", patient_level=True, label="therapy"),
)


def _with_aliases(table: tuple[ColumnSpec, ...]) -> tuple[ColumnSpec, ...]:
    """Each column with its accepted names from the alias table (crs/tables/aliases.csv)."""
    keys: dict[str, list[str]] = {}
    for row in ALIAS_ROWS:
        keys.setdefault(row.variable, []).append(row.key)
    return tuple(
        replace(spec, aliases=tuple(dict.fromkeys(keys.get(spec.canonical, ())))) for spec in table
    )


#: Spec §1 table with the accepted names of crs/tables/aliases.csv.
COLUMN_SPECS: tuple[ColumnSpec, ...] = _with_aliases(_COLUMN_TABLE)

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

#: Reference limits of the file's own laboratory (spec §3.4) → their laboratory value:
#: "in the canonical unit of that laboratory value", so they take its units (crs.read.units).
REFERENCE_LIMITS: dict[str, str] = {
    "creatinine_uln": "creatinine_mg_dl",
    "ast_uln": "ast_u_l",
    "alt_uln": "alt_u_l",
    "bilirubin_uln": "bilirubin_mg_dl",
    "inr_uln": "inr",
    "fibrinogen_lln": "fibrinogen_mg_dl",
}

#: Every name accepted as written (normalised) → canonical column: the canonical names and
#: the names of crs/tables/aliases.csv. A name made of one of these and a unit
#: (``crp_mg_dl``, ``temp_f``, ``norepinephrine_mcg_kg_min``) is read through the units
#: table: crs.read.units.match_name.
ALIASES: dict[str, str] = {
    **{spec.canonical: spec.canonical for spec in COLUMN_SPECS if spec.kind != "instant"},
    **{alias: spec.canonical for spec in COLUMN_SPECS for alias in spec.aliases},
}
del ALIASES["line"]

#: What a name can stand for besides a canonical column: a variable recognised but not
#: graded (``not_graded:spo2``) or a column of the long layout (``layout:value``).
NOT_GRADED_PREFIX = "not_graded:"
LAYOUT_PREFIX = "layout:"


def _name_targets() -> dict[str, str]:
    """Every accepted key — as written and as a set of words — → what it names.

    Raises ValueError at import when one key would name two things (issue #12: matching
    that tolerates word order must never make a name ambiguous) or when a row of
    aliases.csv names nothing known.
    """
    targets: dict[str, str] = {}
    sources: dict[str, str] = {}

    def claim(key: str, target: str, source: str) -> None:
        if targets.setdefault(key, target) != target:
            raise ValueError(
                f"aliases.csv: '{source}' and '{sources[key]}' both read as '{key}' "
                f"but name {target} and {targets[key]}"
            )
        sources.setdefault(key, source)

    for name, canonical in ALIASES.items():
        claim(name, canonical, name)
    for row in ALIAS_ROWS:
        if row.variable in SPECS and row.variable not in ("instant", "line"):
            target = row.variable
        elif row.variable in NOT_GRADED:
            target = NOT_GRADED_PREFIX + row.variable
        elif row.variable in LAYOUT_COLUMNS:
            target = LAYOUT_PREFIX + row.variable
        else:
            raise ValueError(f"aliases.csv: {row.variable} ({row.alias}) is not a variable")
        claim(row.key, target, row.alias)
    for layout in LAYOUT_COLUMNS:
        claim(layout, LAYOUT_PREFIX + layout, layout)
    for key, target in list(targets.items()):
        claim(word_key(key), target, sources[key])
    return targets


_TARGETS: dict[str, str] = _name_targets()


def name_target(key: str) -> str | None:
    """What a normalised name stands for — a canonical column, ``not_graded:<variable>``
    or ``layout:<column>`` — matched as written, else by its set of words; None if nothing."""
    found = _TARGETS.get(key)
    return found if found is not None else _TARGETS.get(word_key(key))


def canonical_alias(key: str) -> str | None:
    """The canonical column a normalised name stands for (word order tolerated), or None."""
    found = name_target(key)
    return found if found is not None and ":" not in found else None


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
    from 1970-01-01, crs.read.timeaxis); ``line`` defaults to the rows' file lines 2, 3, ….
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
