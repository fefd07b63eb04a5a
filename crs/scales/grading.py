"""The Lee et al. 2014 CRS grade per patient and instant (spec grading.md §2–§5).

``grade(frame, attributions)`` is the grading engine of docs/architecture.md §2: it
carries values forward (§2), evaluates every criterion of Table 2 (§3; Table 3 for
vasopressors, CTCAE v4.0 for organs), removes findings a clinician attributed to
another cause (§5), and returns one graded row per input row with the drivers, the
unknown domains, the evidence in effect and one readable sentence.

Everything is computed on whole columns after one global sort by (patient, instant),
so a patient's grade depends only on that patient's rows, whatever the row order.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pyarrow as pa

from crs.findings.carry import WINDOWS, Timeline, carry_forward, carry_values
from crs.findings.hypotension import hypotension, mean_arterial_pressure
from crs.findings.neuro import neurotoxicity_grade
from crs.findings.organ import ORGANS, organ_toxicity
from crs.findings.oxygen import device_codes, oxygen
from crs.findings.symptoms import constitutional_symptoms
from crs.findings.vasopressors import vasopressor_state
from crs.read.columns import CANONICAL, DTYPES, empty_column
from crs.scales.consensus import ICANS_CODES, consensus_columns
from crs.scales.explain import explain

#: Criterion codes of spec §3, in the order of Table 2 (``neurotoxicity``: version 2).
CRITERIA: tuple[str, ...] = (
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
#: Criteria a clinician may attribute to another cause (spec §5: all but death).
ATTRIBUTABLE: tuple[str, ...] = tuple(c for c in CRITERIA if c != "death")
#: Every code an attribution may name (astct.md §4): Lee's, then the ICANS domains.
ATTRIBUTION_CODES: tuple[str, ...] = (*ATTRIBUTABLE, *ICANS_CODES)
#: Table 2 grade 1 "fever": temp ≥ 38.0 °C (spec §3 **[decision]**).
FEVER_C = 38.0
#: Grades given by single-grade criteria (Table 2).
FIXED_GRADE: dict[str, int] = {"fever": 1, "symptoms": 1, "hypotension": 2, "death": 5}
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


def _complete(frame: pd.DataFrame) -> pd.DataFrame:
    """Add any canonical column a caller left out, all missing (architecture §1.1)."""
    missing = [c for c in CANONICAL if c not in frame.columns]
    if not missing:
        return frame
    extra = {}
    for name in missing:
        column = empty_column(name, len(frame))
        column.index = frame.index
        extra[name] = column.astype(DTYPES[name]) if name != "line" else column
    return pd.concat([frame, pd.DataFrame(extra, index=frame.index)], axis=1)


def _float(frame: pd.DataFrame, name: str) -> np.ndarray:
    return frame[name].to_numpy(dtype="float64", na_value=np.nan)


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


def _sort_order(codes: np.ndarray, instant: np.ndarray) -> np.ndarray | None:
    """Row order by (patient code, instant), stable; ``None`` when already in that order.

    Readers hand over sorted frames, so a linear check usually replaces the sort.
    """
    if len(codes) < 2:
        return None
    same, later = codes[1:] == codes[:-1], codes[1:] > codes[:-1]
    if (later | (same & (instant[1:] >= instant[:-1]))).all():
        return None
    return np.lexsort((instant, codes))


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


def grade(frame: pd.DataFrame, attributions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Grade every row of a canonical frame (architecture §2; spec §2–§5).

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
    frame = _complete(frame)
    codes, _ = pd.factorize(frame["patient_id"].astype("str"), use_na_sentinel=False)
    instant = frame["instant"].to_numpy(dtype="datetime64[us]")
    order = _sort_order(codes, instant.view("int64"))
    if order is None:
        rows = frame.reset_index(drop=True)
    else:
        rows = frame.take(order).reset_index(drop=True)
        codes = codes[order]
    timeline = Timeline(codes, rows["instant"].to_numpy(dtype="datetime64[us]"))
    n = len(rows)

    def carried(name: str) -> tuple[np.ndarray, np.ndarray]:
        return carry_forward(_float(rows, name), timeline, WINDOWS[name])

    def carried_value(name: str) -> np.ndarray:
        return carry_values(_float(rows, name), timeline, WINDOWS[name])

    # §3 fever and symptoms.
    temp = carried_value("temp_c")
    with np.errstate(invalid="ignore"):
        fever = temp >= FEVER_C
    symptoms = constitutional_symptoms(rows["symptoms"])

    # §3.1 hypotension: the newest of the documented and the computed MAP (version 2).
    sbp, sbp_source = carried("sbp_mmhg")
    dbp, dbp_source = carried("dbp_mmhg")
    map_documented, map_source = carried("map_mmhg")
    charted_at = timeline.t  # a source of -1 reads some instant, unused: its value is NaN
    map_used, map_computed = mean_arterial_pressure(
        map_documented,
        sbp,
        dbp,
        charted_at[map_source],
        charted_at[sbp_source],
        charted_at[dbp_source],
    )
    low_bp = hypotension(
        sbp, map_used, _float(rows, "age_years"), _float(rows, "baseline_sbp_mmhg")
    )

    # §3.2 vasopressors.
    pressors = vasopressor_state(rows, timeline, codes)

    # §3.3 oxygen and ventilator support.
    fio2, fio2_source = carried("fio2")
    flow, flow_source = carried("o2_flow_l_min")
    device, device_source = carry_forward(
        device_codes(rows["o2_device"]), timeline, WINDOWS["o2_device"]
    )
    ventilated = carried_value("ventilated")
    oxy = oxygen(fio2, flow, device, ventilated, fio2_source, flow_source, device_source)

    # §3.4 organ toxicity, and neurotoxicity as its own criterion (version 2).
    organs = organ_toxicity(rows, timeline)
    ice = carried_value("ice_score")

    criterion_grade = {
        "fever": np.where(fever, FIXED_GRADE["fever"], 0),
        "symptoms": np.where(symptoms, FIXED_GRADE["symptoms"], 0),
        "hypotension": np.where(low_bp["met"], FIXED_GRADE["hypotension"], 0),
        "vasopressor": pressors["grade"],
        "oxygen": oxy["grade_oxygen"],
        "ventilation": oxy["grade_ventilation"],
        "organ_toxicity": organs["grade"],
        "neurotoxicity": neurotoxicity_grade(organs["neurotox_used"]),
        "death": np.where(_float(rows, "deceased") == 1.0, FIXED_GRADE["death"], 0),
    }
    # §5: a finding attributed to another cause is graded as if not met.
    covered = _attributed(attributions, rows)
    removed = {c: covered[c] & (criterion_grade[c] > 0) for c in ATTRIBUTABLE}
    # A neurologic finding below the criterion's grade 2 (neurotoxicity grade 1) is still
    # listed as attributed: the treatment algorithm reads "neurologic dysfunction" from
    # grade 1 and must know the clinician called it not CRS (treatment.md §1 [v2]).
    with np.errstate(invalid="ignore"):
        removed["neurotoxicity"] |= covered["neurotoxicity"] & (organs["neurotox_used"] >= 1)
    for criterion in ATTRIBUTABLE:
        if removed[criterion].any():
            criterion_grade[criterion] = np.where(removed[criterion], 0, criterion_grade[criterion])
    criterion_grade = {c: g.astype(np.int64, copy=False) for c, g in criterion_grade.items()}

    overall = functools.reduce(np.maximum, criterion_grade.values(), np.zeros(n, np.int64))
    any_finding = overall > 0
    driving = {c: (g == overall) & any_finding for c, g in criterion_grade.items()}
    unknown_bits = {
        "temperature": np.isnan(temp),
        "blood_pressure": np.isnan(sbp) & np.isnan(map_documented),
        "oxygen": oxy["unknown"],
        # Version 2: a weight-based rate without a weight; the grade may be a lower bound.
        "vasopressor_dose": pressors["dose_unknown"],
    }

    drivers = _joined(driving, list(CRITERIA))
    unknown = _joined(unknown_bits, list(UNKNOWN_DOMAINS))
    attributed = _joined(
        {c: removed.get(c, np.zeros(n, dtype=bool)) for c in CRITERIA}, list(ATTRIBUTABLE)
    )
    columns: dict[str, object] = {
        name: rows[name] for name in ("patient_id", "instant", "time", "day", "line")
    }
    columns |= {
        "grade": overall.astype(np.int64, copy=False),
        "drivers": _text_column(drivers),
        "unknown": _text_column(unknown),
        "ne_eq_ug_min": pressors["ne_eq_ug_min"],
        "explanation": None,  # filled below, kept in this column position
    }
    columns |= {f"g_{c}": criterion_grade[c] for c in CRITERIA}
    columns |= {
        "attributed": _text_column(attributed),
        "temp_c_used": temp,
        "sbp_used": sbp,
        "dbp_used": dbp,
        "map_used": map_used,
        "map_computed": map_computed,
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
        "ice_used": ice,
    }
    columns |= {name: rows[name] for name in (*ROW_VALUES, *PATIENT_LEVEL)}
    evidence = {
        "grade": overall,
        "unknown": unknown,
        "attributed": attributed,
        "g_organ_toxicity": criterion_grade["organ_toxicity"],
        "g_neurotoxicity": criterion_grade["neurotoxicity"],
        "temp_c_used": temp,
        "symptoms": rows["symptoms"],
        "sbp_used": sbp,
        "dbp_used": dbp,
        "map_used": map_used,
        "map_documented": map_documented,
        "map_computed": map_computed,
        "sbp_threshold": low_bp["sbp_threshold"],
        "sbp_low": low_bp["sbp_low"],
        "map_low": low_bp["map_low"],
        "fio2_used": oxy["fio2_used"],
        "oxygen_basis": oxy["oxygen_basis"][0],
        "o2_device_used": oxy["o2_device_used"][0],
        "ventilated_used": oxy["ventilated_used"],
        "flow": flow,
        "pressors": pressors,
        "organs": organs,
    }
    columns["explanation"] = explain(evidence, driving)
    # astct.md: ASTCT CRS and ICANS over the same findings, shared codes removed from both.
    physiology = {
        "temp": temp,
        "hypotension": low_bp["met"],
        "sbp_used": sbp,
        "map_used": map_used,
        "sbp_low": low_bp["sbp_low"],
        "map_low": low_bp["map_low"],
        "pressors": pressors,
        "fio2": fio2,
        "flow": flow,
        "device": device,
        "fio2_source": fio2_source,
        "device_source": device_source,
        "o2_device_used": oxy["o2_device_used"][0],
        "ventilated_used": oxy["ventilated_used"],
        "ventilation": oxy["grade_ventilation"] > 0,
        "deceased": _float(rows, "deceased") == 1.0,
        "unknown": unknown,
    }
    columns |= consensus_columns(rows, timeline, physiology, covered)
    # Column by column: building one DataFrame from the dict would copy every float
    # column into one consolidated block, which costs more than the grading itself.
    out = pd.DataFrame(index=pd.RangeIndex(n))
    for name, values in columns.items():
        # A Series is referenced, not copied (copy-on-write); a bare array would be copied.
        out[name] = values if isinstance(values, pd.Series) else pd.Series(values, copy=False)
    return out
