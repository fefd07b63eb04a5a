"""A realistic large export for the registry-scale benchmark (issue #17).

Values vary from row to row as real charting does (no two temperatures in a row alike:
two decimals, a drifting course per patient), 30 columns, blanks where nothing was
charted, the occasional comparator and unit text in a cell, patients grouped in the
file (as exports are) unless ``scattered``. Written in batches of patients, so the
generator itself stays small whatever the size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _batch(rng: np.random.Generator, first: int, patients: int, rows: int) -> pd.DataFrame:
    n = patients * rows
    pid = np.repeat(np.arange(first, first + patients), rows)
    step = rng.integers(30, 300, size=n)  # a row every 30 min – 5 h
    minutes = np.cumsum(step).reshape(patients, rows)
    minutes = (minutes - minutes[:, :1]).ravel()
    start = np.datetime64("2025-01-01T00:00") + rng.integers(0, 365 * 24 * 60, size=patients)
    when = np.repeat(start, rows) + minutes.astype("timedelta64[m]")
    sick = np.repeat(rng.random(patients) < 0.35, rows)
    drift = np.repeat(rng.normal(0, 0.6, patients), rows)

    def charted(values: np.ndarray, share: float, digits: int) -> np.ndarray:
        text = np.char.mod(f"%.{digits}f", values)
        return np.where(rng.random(n) < share, text, "")

    temp = 37.2 + drift + np.abs(rng.normal(0, 0.9, n)) * sick + rng.normal(0, 0.25, n)
    sbp = 118 - 22 * sick * rng.random(n) + rng.normal(0, 12, n)
    ne = np.where(sick & (rng.random(n) < 0.3), rng.gamma(2, 6, n), 0.0)
    fio2 = np.where(rng.random(n) < 0.7, 21, rng.choice([28, 35, 40, 50, 60, 80], n))
    crp = np.where(rng.random(n) < 0.02, "<5", np.char.mod("%.1f", rng.lognormal(3, 1, n)))
    creat = rng.lognormal(0, 0.4, n)
    creat_text = np.char.mod("%.2f", creat)
    creat_text = np.where(
        rng.random(n) < 0.01, np.char.add(np.char.mod("%.0f", creat * 88.4), " µmol/L"), creat_text
    )
    lab = rng.random(n) < 0.08  # labs once or twice a day
    frame = {
        "patient_id": np.char.add("REG-", np.char.zfill(pid.astype(str), 7)),
        "time": np.datetime_as_string(when, unit="m"),
        "temp_c": charted(temp, 0.85, 2),
        "sbp_mmhg": charted(sbp, 0.85, 0),
        "dbp_mmhg": charted(sbp * 0.58 + rng.normal(0, 6, n), 0.85, 0),
        "map_mmhg": charted(sbp * 0.72 + rng.normal(0, 5, n), 0.4, 0),
        "heart_rate": charted(rng.normal(95, 15, n), 0.85, 0),
        "spo2": charted(rng.normal(96, 2, n), 0.85, 0),
        "norepinephrine_ug_min": charted(ne, 0.3, 2),
        "vasopressin_u_min": charted(np.where(ne > 15, 0.03, 0.0), 0.05, 2),
        "fio2": charted(fio2, 0.3, 0),
        "o2_flow_l_min": charted(rng.choice([0, 2, 4, 6, 10, 30], n), 0.2, 0),
        "o2_device": np.where(
            rng.random(n) < 0.15, rng.choice(["NC", "room air", "HFNC", "NRB", "face mask"], n), ""
        ),
        "crp_mg_l": np.where(lab, crp, ""),
        "ferritin_ng_ml": charted(rng.lognormal(7, 1.5, n), 0.08, 0),
        "il6_pg_ml": charted(rng.lognormal(3, 1.5, n), 0.04, 1),
        "creatinine": np.where(lab, creat_text, ""),
        "ast_u_l": charted(rng.lognormal(3.5, 0.7, n), 0.08, 0),
        "alt_u_l": charted(rng.lognormal(3.5, 0.7, n), 0.08, 0),
        "bilirubin_mg_dl": charted(rng.lognormal(0, 0.5, n), 0.08, 2),
        "fibrinogen_mg_dl": charted(rng.normal(300, 90, n), 0.08, 0),
        "inr": charted(rng.normal(1.2, 0.3, n), 0.08, 2),
        "neurotox_grade": charted(rng.choice([0, 0, 0, 1, 2, 3], n), 0.1, 0),
        "ice_score": charted(rng.integers(5, 11, n), 0.1, 0),
        "symptoms": np.where(
            rng.random(n) < 0.05,
            rng.choice(["rigors; headache", "myalgia", "nausea, rigors"], n),
            "",
        ),
        "tocilizumab_mg": charted(np.full(n, 560.0), 0.002, 0),
        "dexamethasone_mg": charted(np.full(n, 10.0), 0.002, 0),
        "ventilated": np.where(rng.random(n) < 0.01, "yes", ""),
        "age_years": np.repeat(rng.integers(18, 85, patients), rows).astype(str),
        "weight_kg": np.repeat(np.char.mod("%.1f", rng.normal(75, 15, patients)), rows),
    }
    return pd.DataFrame(frame)


def make_export(
    path: Path, rows: int, rows_per_patient: int = 100, scattered: bool = False, seed: int = 17
) -> int:
    """Write about ``rows`` rows to ``path``; returns the number written."""
    rng = np.random.default_rng(seed)
    patients = max(rows // rows_per_patient, 1)
    batch = max(1, 200_000 // rows_per_patient)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        for first in range(0, patients, batch):
            frame = _batch(rng, first, min(batch, patients - first), rows_per_patient)
            if scattered:
                frame = frame.sample(frac=1.0, random_state=int(rng.integers(1 << 31)))
            frame.to_csv(out, index=False, header=written == 0, lineterminator="\n")
            written += len(frame)
    return written
