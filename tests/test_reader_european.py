"""A European export graded exactly as the same patients in conventional units (spec
grading.md §1 [v2], issue 11: "a European export with Creatinine in µmol/L (80) or
Fibrinogen in g/L (2.5) is read today as 80 mg/dL and 2.5 mg/dL, and the patient is
shown at CRS grade 4").

Both files are written from one frame of values: the conventional one with canonical
names, commas and decimal points; the European one with bare SI headers (Creatinine in
µmol/L, Bilirubin in µmol/L, Fibrinogen in g/L, FiO2 as a fraction), semicolons,
decimal commas, and some cells carrying their own unit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crs.read.reader import read_export
from crs.scales.grading import grade

#: Three patients, a row every 4 hours (conventional units).
HOURS = np.arange(0, 48, 4)


def _course(start: float, end: float) -> np.ndarray:
    return np.round(np.linspace(start, end, len(HOURS)), 2)


def _patients() -> pd.DataFrame:
    n = len(HOURS)
    base = pd.Timestamp("2024-03-05 08:00")
    patients = {
        # acute kidney injury: creatinine 0.8 → 3.9 mg/dL (> 3 × ULN 1.2: CTCAE grade 3)
        "EU1": {
            "creatinine_mg_dl": _course(0.8, 3.9),
            "bilirubin_mg_dl": _course(0.6, 0.9),
            "fibrinogen_mg_dl": _course(320, 260),
            "temp_c": _course(37.2, 39.1),
            "sbp_mmhg": _course(125, 95),
            "fio2": np.array([21, 21, 28, 28, 35, 35, 45, 45, 35, 28, 21, 21], dtype=float),
        },
        # consumption coagulopathy: fibrinogen 310 → 90 mg/dL (< 0.5 × LLN 200: grade 3)
        "EU2": {
            "creatinine_mg_dl": _course(0.7, 1.1),
            "bilirubin_mg_dl": _course(0.5, 1.4),
            "fibrinogen_mg_dl": _course(310, 90),
            "temp_c": _course(38.4, 37.0),
            "sbp_mmhg": _course(110, 84),
            "fio2": np.full(n, 21.0),
        },
        # cholestasis on norepinephrine: bilirubin 0.8 → 4.5 mg/dL (> 3 × ULN: grade 3)
        "EU3": {
            "creatinine_mg_dl": _course(1.0, 1.6),
            "bilirubin_mg_dl": _course(0.8, 4.5),
            "fibrinogen_mg_dl": _course(450, 380),
            "temp_c": _course(39.5, 38.0),
            "sbp_mmhg": _course(88, 105),
            "fio2": np.full(n, 28.0),
            "norepinephrine_ug_min": np.array([0, 5, 12, 22, 22, 22, 22, 12, 5, 0, 0, 0.0]),
        },
    }
    frames = []
    for patient_id, values in patients.items():
        frame = pd.DataFrame(values)
        frame.insert(
            0, "time", (base + pd.to_timedelta(HOURS, unit="h")).strftime("%Y-%m-%dT%H:%M")
        )
        frame.insert(0, "patient_id", patient_id)
        frame["dbp_mmhg"] = np.round(frame["sbp_mmhg"] * 0.6)
        frame["crp_mg_l"] = _course(12, 180)
        frame["ferritin_ng_ml"] = _course(400, 2400)
        frame["ast_u_l"] = _course(30, 95)
        frame["alt_u_l"] = _course(25, 130)
        frame["inr"] = _course(1.0, 1.7)
        frame["age_years"] = 58.0
        frame["weight_kg"] = 72.5
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out["norepinephrine_ug_min"] = out["norepinephrine_ug_min"].fillna(0.0)
    return out


def _comma(value: float) -> str:
    return f"{value:.12g}".replace(".", ",")


def _conventional(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _european(frame: pd.DataFrame) -> bytes:
    """Bare SI headers, semicolons, decimal commas; some cells with their own unit."""
    row = np.arange(len(frame))
    creatinine = frame["creatinine_mg_dl"] * 88.4
    bilirubin = frame["bilirubin_mg_dl"] * 17.1
    columns = {
        "Patient": frame["patient_id"],
        "Temperature": [
            f"{_comma(c * 9 / 5 + 32)} °F" if i % 6 == 3 else _comma(c)
            for i, c in zip(row, frame["temp_c"], strict=True)
        ],
        "Systolic": frame["sbp_mmhg"].map(_comma),
        "Diastolic": frame["dbp_mmhg"].map(_comma),
        "Noradrenaline (mcg/min)": frame["norepinephrine_ug_min"].map(_comma),
        "FiO2": (frame["fio2"] / 100).map(_comma),
        "Creatinine": [
            f"{_comma(mg)} mg/dL"
            if i % 4 == 1
            else f"{_comma(si)} µmol/L"
            if i % 7 == 0
            else _comma(si)
            for i, mg, si in zip(row, frame["creatinine_mg_dl"], creatinine, strict=True)
        ],
        "Bilirubin": [
            f"{_comma(mg)} mg/dL" if i % 5 == 2 else _comma(si)
            for i, mg, si in zip(row, frame["bilirubin_mg_dl"], bilirubin, strict=True)
        ],
        "Fibrinogen": [
            f"{_comma(mg)} mg/dL" if i % 6 == 0 else _comma(mg / 100)
            for i, mg in zip(row, frame["fibrinogen_mg_dl"], strict=True)
        ],
        "CRP": frame["crp_mg_l"].map(_comma),
        "Ferritin (µg/L)": frame["ferritin_ng_ml"].map(_comma),
        "AST": frame["ast_u_l"].map(_comma),
        "ALT (IU/L)": frame["alt_u_l"].map(_comma),
        "INR": frame["inr"].map(_comma),
        "Age": frame["age_years"].map(_comma),
        "Weight": frame["weight_kg"].map(_comma),
    }
    table = pd.DataFrame(columns)
    table.insert(1, "Date Time", frame["time"])
    return table.to_csv(index=False, sep=";").encode("utf-8")


def test_a_european_export_is_graded_exactly_as_the_same_patients_in_conventional_units():
    frame = _patients()
    conventional = read_export(_conventional(frame), name="conventional.csv")
    european = read_export(_european(frame), name="european.csv")
    # The European file's readings are in its report: the medians and the cells' own units.
    said = " | ".join(european.report.conversions)
    assert "decimal commas throughout the file" in said
    for column, unit in (("Creatinine", "µmol/L"), ("Bilirubin", "µmol/L"), ("Fibrinogen", "g/L")):
        assert f"{column}: median" in said and f"read as {unit}, converted to mg/dL" in said
    assert "FiO2: every value is at most 1: read as fraction" in said
    cell_readings = european.report.problems.query("kind == 'conversion'")
    assert set(cell_readings["column"]) == {"Temperature", "Creatinine", "Bilirubin", "Fibrinogen"}
    assert european.report.balanced and european.report.problems.query("kind != 'conversion'").empty

    a, b = grade(conventional.frame), grade(european.frame)
    criteria = [c for c in a.columns if c.startswith("g_")]
    compared = ["patient_id", "instant", "grade", "drivers", "unknown", *criteria]
    pd.testing.assert_frame_equal(a[compared], b[compared])
    # The course reaches organ-toxicity grade 3 in every patient, never a unit artefact.
    assert a.groupby("patient_id")["g_organ_toxicity"].max().tolist() == [3, 3, 3]
    assert a["grade"].max() == 3
