"""The Lee et al. 2014 CRS grade per patient and instant (spec grading.md §2–§5).

``grade(frame, attributions)`` is the grading engine of docs/architecture.md §2: it
computes the findings once (crs.findings.row_findings: values carried forward, §2, and the
physiology of §3), applies Lee's table to them (crs.scales.lee: Table 2, Table 3 for
vasopressors, CTCAE v4.0 for organs, attributions of §5 removed), and returns one graded
row per input row with the drivers, the unknown domains, the evidence in effect and one
readable sentence; ASTCT CRS and ICANS (crs.scales.consensus) read the same findings.

Everything is computed on whole columns after one global sort by (patient, instant),
so a patient's grade depends only on that patient's rows, whatever the row order.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pyarrow as pa

from crs.findings.organ import ORGANS
from crs.findings.row_findings import Findings, findings
from crs.findings.row_findings import sort_order as _sort_order  # noqa: F401  (tests)
from crs.scales.consensus import ICANS_CODES, consensus_columns
from crs.scales.explain import explain
from crs.scales.lee import ATTRIBUTABLE, CRITERIA, lee_grades

#: Every code an attribution may name (astct.md §4): Lee's, then the ICANS domains.
ATTRIBUTION_CODES: tuple[str, ...] = (*ATTRIBUTABLE, *ICANS_CODES)
#: Domains whose absence makes a grade a lower bound (spec §4 `unknown`): three with
#: nothing in their window, and (version 2) a vasopressor running at an unknown dose.
UNKNOWN_DOMAINS: tuple[str, ...] = ("blood_pressure", "oxygen", "temperature", "vasopressor_dose")

#: Columns passed through as recorded on the row (architecture §2).
ROW_VALUES: tuple[str, ...] = (
    "temp_c",
    "sbp_mmhg",
    "map_mmhg",
    "fio2",
    "crp_mg_l",
    "ferritin_ng_ml",
    "il6_pg_ml",
    "ifng_pg_ml",
    "tocilizumab_mg",
    "methylprednisolone_mg",
    "dexamethasone_mg",
    "other_immunosuppressant",
    "symptoms",
    "deceased",
    "neurotox_grade",
    "ice_score",
)
PATIENT_LEVEL: tuple[str, ...] = (
    "age_years",
    "weight_kg",
    "high_risk",
    "therapy",
    "baseline_sbp_mmhg",
    "infusion_time",
)
#: Per-organ CTCAE grade columns (architecture §2 evidence).
ORGAN_NAMES: tuple[str, ...] = tuple(ORGANS)


def _joined(bits: dict[str, np.ndarray], names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``;``-joined, alphabetically sorted names whose bit is set: (code, lookup table)."""
    names = sorted(names)
    n = len(next(iter(bits.values())))
    # The narrowest unsigned integer that holds every bit (8 or 16 names), else 64 bits.
    dtype = np.uint8 if len(names) <= 8 else np.uint16 if len(names) <= 16 else np.int64
    code = np.zeros(n, dtype=dtype)
    for bit, name in enumerate(names):
        code |= np.asarray(bits[name], dtype=bool).view(np.uint8).astype(dtype, copy=False) << bit
    return code.astype(np.int64, copy=False), _combinations(tuple(names))


@functools.cache
def _combinations(names: tuple[str, ...]) -> np.ndarray:
    """Every ``;``-joined subset of ``names``, indexed by its bit pattern."""
    return np.array(
        [
            ";".join(x for b, x in enumerate(names) if combo >> b & 1)
            for combo in range(2 ** len(names))
        ],
        dtype=object,
    )


def _text_column(values: np.ndarray | tuple[np.ndarray, np.ndarray]) -> pd.Series:
    """A ``str`` column from text values, or from (codes, table), built per distinct value."""
    if isinstance(values, tuple):
        codes, table = values
        if len(codes) and isinstance(table[codes[0]], str) and (codes == codes[0]).all():
            return _constant_text(table[codes[0]], len(codes))
    else:
        codes, table = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=False)
    return pd.Series(pd.array(np.asarray(table, dtype=object), dtype="str").take(codes))


def _constant_text(value: str, n: int) -> pd.Series:
    """A ``str`` column of ``n`` times ``value``, built from Arrow buffers (no gather)."""
    encoded = value.encode("utf-8")
    offsets = np.arange(n + 1, dtype=np.int64) * len(encoded)
    array = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(encoded * n))
    return pd.Series(pd.array(array, dtype="str"))


def _attributed(attributions: pd.DataFrame | None, rows: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per criterion, the rows an attribution covers (spec §5: [start, end], inclusive)."""
    covered = {c: np.zeros(len(rows), dtype=bool) for c in ATTRIBUTION_CODES}
    if attributions is None or attributions.empty or not len(rows):
        return covered
    patient_id = rows["patient_id"].astype("str").to_numpy()
    instant = rows["instant"].to_numpy()
    rows = pd.DataFrame({"patient_id": patient_id, "position": np.arange(len(patient_id))})
    rows["instant"] = instant
    wanted = attributions[["patient_id", "criterion", "start", "end"]].astype(
        {"patient_id": "str", "criterion": "str"}
    )
    rows = rows[rows["patient_id"].isin(wanted["patient_id"])]
    pairs = rows.merge(wanted, on="patient_id", how="inner")
    start = pairs["start"].to_numpy(dtype="datetime64[us]")
    end = pairs["end"].to_numpy(dtype="datetime64[us]")
    at = pairs["instant"].to_numpy(dtype="datetime64[us]")
    # An attribution without an end stays in effect (the finding is still "not CRS").
    inside = (np.isnat(start) | (at >= start)) & (np.isnat(end) | (at <= end))
    pairs = pairs[inside]
    for criterion in ATTRIBUTION_CODES:
        hit = pairs.loc[pairs["criterion"] == criterion, "position"].to_numpy()
        covered[criterion][hit] = True
    return covered


def _lee_columns(
    found: Findings,
    criterion_grade: dict[str, np.ndarray],
    removed: dict[str, np.ndarray],
) -> tuple[dict[str, object], dict[str, object]]:
    """Lee's output columns (architecture §2, in their order; ``explanation`` left to
    fill) and the evidence its sentence reads (crs.scales.explain)."""
    rows, pressors, oxy, organs, low_bp = (
        found.rows, found.pressors, found.oxygen, found.organs, found.low_bp
    )  # fmt: skip
    n = len(rows)
    overall = functools.reduce(np.maximum, criterion_grade.values(), np.zeros(n, np.int64))
    unknown_bits = {
        "temperature": np.isnan(found.temp),
        "blood_pressure": np.isnan(found.sbp) & np.isnan(found.map_documented),
        "oxygen": oxy["unknown"],
        # Version 2: a weight-based rate without a weight; the grade may be a lower bound.
        "vasopressor_dose": pressors["dose_unknown"],
    }
    unknown = _joined(unknown_bits, list(UNKNOWN_DOMAINS))
    attributed = _joined(
        {c: removed.get(c, np.zeros(n, dtype=bool)) for c in CRITERIA}, list(ATTRIBUTABLE)
    )
    columns: dict[str, object] = {
        name: rows[name] for name in ("patient_id", "instant", "time", "day", "line")
    }
    columns |= {
        "grade": overall.astype(np.int64, copy=False),
        "drivers": None,  # filled by the caller, kept in this column position
        "unknown": _text_column(unknown),
        "ne_eq_ug_min": pressors["ne_eq_ug_min"],
        "explanation": None,  # filled by the caller, kept in this column position
    }
    columns |= {f"g_{c}": criterion_grade[c] for c in CRITERIA}
    columns |= {
        "attributed": _text_column(attributed),
        "temp_c_used": found.temp,
        "sbp_used": found.sbp,
        "dbp_used": found.dbp,
        "map_used": found.map_used,
        "map_computed": found.map_computed,
        "sbp_threshold": low_bp["sbp_threshold"],
        "relative_hypotension": low_bp["relative_hypotension"],
        "fio2_used": oxy["fio2_used"],
        "oxygen_basis": _text_column(oxy["oxygen_basis"]),
        "o2_device_used": _text_column(oxy["o2_device_used"]),
        "ventilated_used": oxy["ventilated_used"],
        "vasopressors": _text_column(pressors["vasopressors"]),
        "n_vasopressors": pressors["n_vasopressors"].astype(np.int64, copy=False),
        "dose_unknown": pressors["dose_unknown"],
        "high_dose_now": pressors["high_dose_now"],
        "high_dose_hours": pressors["high_dose_hours"],
    }
    columns |= {
        f"organ_{o}": organs[f"organ_{o}"].astype(np.int64, copy=False) for o in ORGAN_NAMES
    }
    columns |= {
        "neurotox_used": organs["neurotox_used"],
        "organ_tox_used": organs["organ_tox_used"],
        "ice_used": found.ice,
    }
    columns |= {name: rows[name] for name in (*ROW_VALUES, *PATIENT_LEVEL)}
    return columns, _lee_evidence(found, criterion_grade, overall, unknown, attributed)


def _lee_evidence(
    found: Findings,
    criterion_grade: dict[str, np.ndarray],
    overall: np.ndarray,
    unknown: tuple[np.ndarray, np.ndarray],
    attributed: tuple[np.ndarray, np.ndarray],
) -> dict[str, object]:
    """The findings Lee's sentence cites (crs.scales.explain), as its builders read them."""
    low_bp, oxy = found.low_bp, found.oxygen
    return {
        "grade": overall,
        "unknown": unknown,
        "attributed": attributed,
        "g_organ_toxicity": criterion_grade["organ_toxicity"],
        "g_neurotoxicity": criterion_grade["neurotoxicity"],
        "temp_c_used": found.temp,
        "symptoms": found.rows["symptoms"],
        "sbp_used": found.sbp,
        "dbp_used": found.dbp,
        "map_used": found.map_used,
        "map_documented": found.map_documented,
        "map_computed": found.map_computed,
        "sbp_threshold": low_bp["sbp_threshold"],
        "sbp_low": low_bp["sbp_low"],
        "map_low": low_bp["map_low"],
        "fio2_used": oxy["fio2_used"],
        "oxygen_basis": oxy["oxygen_basis"][0],
        "o2_device_used": oxy["o2_device_used"][0],
        "ventilated_used": oxy["ventilated_used"],
        "flow": found.flow,
        "pressors": found.pressors,
        "organs": found.organs,
    }


def grade(frame: pd.DataFrame, attributions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Grade every row of a canonical frame (architecture §2; spec §2–§5).

    The findings are computed once (crs.findings.row_findings); Lee 2014 (crs.scales.lee),
    ASTCT CRS and ICANS (crs.scales.consensus) read them.

    Parameters
    ----------
    frame
        The canonical frame of architecture §1.1 (missing canonical columns are
        treated as all missing). Not modified.
    attributions
        Optional clinician attributions (spec §5) with ``start``/``end`` as instants.

    Returns
    -------
    pandas.DataFrame
        The graded frame, sorted by patient (first appearance) then instant.
    """
    found = findings(frame)
    covered = _attributed(attributions, found.rows)
    criterion_grade, removed = lee_grades(found, covered)
    columns, evidence = _lee_columns(found, criterion_grade, removed)
    overall = evidence["grade"]
    any_finding = overall > 0
    driving = {c: (g == overall) & any_finding for c, g in criterion_grade.items()}
    columns["drivers"] = _text_column(_joined(driving, list(CRITERIA)))
    columns["explanation"] = explain(evidence, driving)
    # astct.md: ASTCT CRS and ICANS over the same findings, shared codes removed from both.
    columns |= consensus_columns(found, evidence["unknown"], covered)
    # Column by column: building one DataFrame from the dict would copy every float
    # column into one consolidated block, which costs more than the grading itself.
    out = pd.DataFrame(index=pd.RangeIndex(len(found.rows)))
    for name, values in columns.items():
        # A Series is referenced, not copied (copy-on-write); a bare array would be copied.
        out[name] = values if isinstance(values, pd.Series) else pd.Series(values, copy=False)
    return out
