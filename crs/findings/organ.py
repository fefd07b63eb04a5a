"""Organ toxicity graded with CTCAE v4.0 (spec grading.md §3.4; Lee et al. 2014 Table 2).

Table 2: grade 2 / 3 / 4 organ toxicity gives CRS grade 2 / 3 / 4, but transaminitis is
special — grade 4 transaminitis is CRS grade 3 ("grade 3 organ toxicity or grade 4
transaminitis"; "grade 4 organ toxicity (excluding transaminitis)"). The CTCAE bands are
data in ``crs/tables/ctcae_v4.csv``; reference limits come from the file when given
(per row or per patient), else the spec's defaults **[decision]**.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from crs.findings.carry import WINDOWS, Timeline, carry_values, take

#: CTCAE v4.0 bands (one row per toxicity, measure and grade; ``closed`` says which end
#: belongs to the band: "right" = (low, high], "left" = [low, high), "both" = [low, high]).
CTCAE: pd.DataFrame = pd.read_csv(Path(__file__).parents[1] / "tables" / "ctcae_v4.csv")

_BANDS: dict[tuple[str, str], list] = {
    key: list(group.itertuples(index=False))
    for key, group in CTCAE.groupby(["toxicity", "measure"])
}

#: Default reference limits (spec §3.4 **[decision]**), canonical units.
DEFAULT_LIMITS: dict[str, float] = {
    "creatinine_uln": 1.2,
    "ast_uln": 40.0,
    "alt_uln": 40.0,
    "bilirubin_uln": 1.2,
    "fibrinogen_lln": 200.0,
    "inr_uln": 1.2,
}

#: Organ value → (column, reference limit column, CTCAE toxicity).
ORGANS: dict[str, tuple[str, str | None, str]] = {
    "creatinine": ("creatinine_mg_dl", "creatinine_uln", "creatinine"),
    "ast": ("ast_u_l", "ast_uln", "transaminase"),
    "alt": ("alt_u_l", "alt_uln", "transaminase"),
    "bilirubin": ("bilirubin_mg_dl", "bilirubin_uln", "bilirubin"),
    "fibrinogen": ("fibrinogen_mg_dl", "fibrinogen_lln", "fibrinogen"),
    "inr": ("inr", "inr_uln", "inr"),
    "lvef": ("lvef_pct", None, "lvef"),
}
#: Organ toxicity gives CRS grades 2–4 (Table 2: "grades 2-4 refer to CTCAE v4.0").
LOWEST_CRS_ORGAN_GRADE = 2
#: Table 2: grade 4 transaminitis is CRS grade 3.
TRANSAMINITIS_CAP = 3


def ctcae_grade(value: np.ndarray, toxicity: str, measure: str) -> np.ndarray:
    """CTCAE v4.0 grade (0–4) of ``value`` on one scale of ``crs/tables/ctcae_v4.csv``."""
    # Round away binary noise so a value exactly on a band edge (1.8 mg/dL = 1.5 × 1.2)
    # lands in the band the CTCAE text names, not one above it.
    value = np.round(np.asarray(value, dtype="float64"), 9)
    grade = np.zeros(len(value), dtype=np.int64)
    with np.errstate(invalid="ignore"):
        for band in _BANDS[(toxicity, measure)]:
            above = value >= band.low if band.closed in ("left", "both") else value > band.low
            below = value <= band.high if band.closed in ("right", "both") else value < band.high
            grade = np.where(above & below, np.maximum(grade, band.grade), grade)
    return grade


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return frame[name].to_numpy(dtype="float64", na_value=np.nan)


def _first_per_patient(timeline: Timeline, documented: np.ndarray) -> np.ndarray:
    """Position of each patient's first documented row, broadcast to its rows (-1: none)."""
    if not timeline.n:
        return timeline.positions.copy()
    big = np.iinfo(np.int64).max
    marks = np.where(documented, timeline.positions, big)
    first = np.minimum.accumulate(marks[::-1])[::-1][timeline.start]
    return np.where(first <= timeline.end, first, -1)


def _last_per_patient(timeline: Timeline, documented: np.ndarray) -> np.ndarray:
    """Position of each patient's last documented row, broadcast to its rows (-1: none)."""
    if not timeline.n:
        return timeline.positions.copy()
    last = np.maximum.accumulate(np.where(documented, timeline.positions, -1))[timeline.end]
    return np.where(last >= timeline.start, last, -1)


def reference_limit(
    frame: pd.DataFrame, timeline: Timeline, limit: str, rows: np.ndarray
) -> np.ndarray:
    """Limit for the values measured at ``rows``: that row's limit, else the patient's
    (first given), else the spec default."""
    values = _column(frame, limit)
    if np.isnan(values).all():
        # The usual case: no laboratory limits in the file, the default applies.
        return np.full(len(rows), DEFAULT_LIMITS[limit])
    own = values[rows]
    patient = take(values, _first_per_patient(timeline, ~np.isnan(values))[rows])
    return np.where(
        ~np.isnan(own), own, np.where(~np.isnan(patient), patient, DEFAULT_LIMITS[limit])
    )


def creatinine_baseline_row(frame: pd.DataFrame, timeline: Timeline) -> np.ndarray:
    """Spec §3.4: row of the patient's baseline creatinine, broadcast to its rows (-1: none).

    The last creatinine at or before infusion, else the patient's first.
    """
    documented = ~np.isnan(_column(frame, "creatinine_mg_dl"))
    day = _column(frame, "day")
    instant = frame["instant"].to_numpy(dtype="datetime64[us]")
    if "infusion_time" in frame.columns:
        infusion = frame["infusion_time"].to_numpy(dtype="datetime64[us]")
        by_time = ~np.isnat(infusion) & (instant <= infusion)
    else:
        by_time = np.zeros(len(frame), dtype=bool)
    before = (day <= 0) | by_time
    pre = _last_per_patient(timeline, documented & before)
    return np.where(pre >= 0, pre, _first_per_patient(timeline, documented))


def _grade_measurements(
    frame: pd.DataFrame, timeline: Timeline, organ: str, values: np.ndarray, rows: np.ndarray
) -> dict[str, np.ndarray]:
    """CTCAE grade of each measured value (at ``rows``), with its own reference limit."""
    _, limit, toxicity = ORGANS[organ]
    measured = values[rows]
    extra: dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        if limit is None:
            grade = ctcae_grade(measured, toxicity, "percent")
        elif toxicity == "fibrinogen":
            lln = reference_limit(frame, timeline, limit, rows)
            grade = np.maximum(
                ctcae_grade(measured / lln, toxicity, "x_lln"),
                ctcae_grade(measured, toxicity, "mg_dl"),
            )
        else:
            uln = reference_limit(frame, timeline, limit, rows)
            grade = ctcae_grade(measured / uln, toxicity, "x_uln")
        if organ == "creatinine":
            baseline_row = creatinine_baseline_row(frame, timeline)[rows]
            # A value is compared with the baseline only when measured at or after it:
            # the grade never uses the future **[decision]**.
            usable = (baseline_row >= 0) & (rows >= baseline_row)
            baseline = take(values, np.where(usable, baseline_row, -1))
            ratio = np.where(baseline > 0, measured / baseline, np.nan)
            by_baseline = ctcae_grade(ratio, toxicity, "x_baseline")
            extra = {"by_baseline": by_baseline > grade, "x_baseline": ratio}
            grade = np.maximum(grade, by_baseline)
    return {"grade": grade, **extra}


def organ_toxicity(frame: pd.DataFrame, timeline: Timeline) -> dict[str, np.ndarray]:
    """Per-organ CTCAE grades on carried values and the CRS ``organ_toxicity`` grade.

    Also carries the entered grades ``neurotox_used`` and ``organ_tox_used`` (24 h);
    only ``organ_tox_used`` counts here (spec §3.4, version 2).

    Each measurement is graded once, on its own row with its own reference limit, and
    its grade is carried forward with the value (48 h, spec §2).
    """
    window = WINDOWS["laboratory"]
    n = timeline.n
    out: dict[str, np.ndarray] = {}
    for organ, (column, _, _) in ORGANS.items():
        values = _column(frame, column)
        documented = ~np.isnan(values)
        rows = np.flatnonzero(documented)
        spans = timeline.sparse_spans(documented, window)
        if spans is None:
            source = timeline.last_documented(documented, window)
            out[f"{organ}_value"] = take(values, source)
        else:
            # Few measurements: values and grades spread straight from the measured rows.
            out[f"{organ}_value"] = spans.spread(values[rows], np.nan)
        for key, measured in _grade_measurements(frame, timeline, organ, values, rows).items():
            missing = np.nan if measured.dtype == float else 0
            name = f"organ_{organ}" if key == "grade" else f"{organ}_{key}"
            if spans is not None:
                out[name] = spans.spread(measured, missing)
                continue
            # Grades at the measured rows, plus one last slot for "none" (NaN, 0 or
            # False) that ``source == -1`` reads: one gather carries them forward.
            at_rows = np.full(n + 1, missing, dtype=measured.dtype)
            at_rows[rows] = measured
            out[name] = at_rows[source]
    for entered in ("neurotox_grade", "organ_tox_grade"):
        carried = carry_values(_column(frame, entered), timeline, WINDOWS[entered])
        out[entered.replace("_grade", "_used")] = carried
    # Non-transaminase organs count from CTCAE grade 2 (Table 2); the entered organ grade
    # as given. The entered neurotoxicity grade is a criterion of its own (spec §3.4,
    # version 2: crs.findings.neuro.neurotoxicity_grade), not an organ toxicity.
    other = functools.reduce(
        np.maximum,
        [out[f"organ_{o}"] for o in ORGANS if ORGANS[o][2] != "transaminase"]
        + [np.floor(np.nan_to_num(out["organ_tox_used"])).astype(np.int64, copy=False)],
    )
    transaminase = np.maximum(out["organ_ast"], out["organ_alt"])
    crs_grade = np.maximum(
        np.where(other >= LOWEST_CRS_ORGAN_GRADE, other, 0),
        np.where(
            transaminase >= LOWEST_CRS_ORGAN_GRADE,
            np.minimum(transaminase, TRANSAMINITIS_CAP),
            0,
        ),
    )
    out["other_organ_max"] = other
    out["transaminase_max"] = transaminase
    out["grade"] = crs_grade.astype(np.int64, copy=False)
    return out
