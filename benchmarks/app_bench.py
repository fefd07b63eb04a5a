"""Dashboard speed benchmark (not a timed test): a busy ward's month in the app.

500 patients × 30 days of hourly rows (360,000 rows) are generated, read and graded
through the real pipeline (ui.session.load_ward → crs.read.reader → crs.treatment.pipeline), then the
Ward round and a Patient page are rendered with Streamlit's AppTest, with the ward in
the session as after an upload. Target: each page renders in under 1 s of server time
after the first load.

Run: ``.venv/bin/python benchmarks/app_bench.py [--patients 500] [--days 30]``
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from streamlit.testing.v1 import AppTest  # noqa: E402

from ui.session import WARD_KEY, Upload, load_ward  # noqa: E402

TARGET_S = 1.0


def synthetic_ward(patients: int, days: int, seed: int = 7) -> tuple[bytes, bytes]:
    """A time-series export and a patients table: a CRS episode in about a third of the
    patients (fever, then hypotension with norepinephrine, tocilizumab), others quiet."""
    rng = np.random.default_rng(seed)
    hours = days * 24
    n = patients * hours
    pid = np.repeat([f"W{i:04d}" for i in range(patients)], hours)
    hour = np.tile(np.arange(hours), patients)
    infusion = pd.Timestamp("2024-01-01 08:00") + pd.to_timedelta(
        np.repeat(rng.integers(0, 60, patients), hours), unit="D"
    )
    time_ = infusion + pd.to_timedelta(hour - 24, unit="h")
    sick = np.repeat(rng.random(patients) < 0.35, hours)
    onset = np.repeat(rng.integers(48, 150, patients), hours)
    in_crs = sick & (hour >= onset) & (hour < onset + 96)
    temp = 36.8 + rng.normal(0, 0.3, n) + np.where(in_crs, 2.0, 0.0)
    sbp = 118 + rng.normal(0, 8, n) - np.where(in_crs & (hour >= onset + 24), 30, 0)
    ne = np.where(in_crs & (hour >= onset + 30) & (hour < onset + 60), 12.0, np.nan)
    ne[(hour == onset + 60) & in_crs] = 0.0
    toci = np.where(sick & (hour == onset + 36), 320.0, np.nan)
    crp = np.where(hour % 12 == 0, 5 + np.where(in_crs, 150, 0) * rng.random(n), np.nan)
    fio2 = np.where(in_crs & (hour >= onset + 40) & (hour < onset + 70), 35.0, np.nan)
    frame = pd.DataFrame(
        {
            "patient_id": pid,
            "time": time_.strftime("%Y-%m-%dT%H:%M:%S"),
            "temp_c": temp.round(1),
            "sbp_mmhg": sbp.round(0),
            "dbp_mmhg": (sbp * 0.6).round(0),
            "norepinephrine_ug_min": ne,
            "fio2": fio2,
            "tocilizumab_mg": toci,
            "crp_mg_l": crp.round(1),
        }
    )
    table = pd.DataFrame(
        {
            "patient_id": [f"W{i:04d}" for i in range(patients)],
            "age_years": rng.integers(19, 80, patients),
            "weight_kg": rng.integers(45, 110, patients),
            "infusion_time": infusion[::hours].strftime("%Y-%m-%dT%H:%M:%S"),
            "therapy": "CAR T",
        }
    )
    ts = io.StringIO()
    frame.to_csv(ts, index=False)
    pt = io.StringIO()
    table.to_csv(pt, index=False)
    return ts.getvalue().encode(), pt.getvalue().encode()


def render(
    page: str, ward: object, query: dict[str, str] | None = None, runs: int = 3
) -> list[float]:
    """Server time of ``runs`` renders of ``page`` (first included) with ``ward`` loaded."""
    at = AppTest.from_file(str(REPO / page), default_timeout=600)
    at.session_state[WARD_KEY] = ward
    for key, value in (query or {}).items():
        at.query_params[key] = value
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        if at.exception:
            raise SystemExit(f"{page} raised: {at.exception[0].value}")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=500)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()

    start = time.perf_counter()
    export, patients = synthetic_ward(args.patients, args.days)
    n_rows = export.count(b"\n") - 1
    print(
        f"generated {args.patients} patients × {args.days} days: "
        f"{n_rows:,} rows, {len(export) / 1e6:.1f} MB "
        f"in {time.perf_counter() - start:.1f} s"
    )

    start = time.perf_counter()
    ward = load_ward([Upload("bench.csv", export)], Upload("bench_patients.csv", patients))
    print(
        f"first load (read + grade + treatment): {time.perf_counter() - start:.1f} s, "
        f"{len(ward.graded):,} graded rows"
    )

    results = {}
    results["Ward round"] = render("pages/1_Ward_round.py", ward)
    sickest = ward.census()["patient_id"].iloc[0]
    results["Patient"] = render("pages/2_Patient.py", ward, {"patient": sickest})
    ok = True
    for page, times in results.items():
        later = times[1:] or times
        verdict = "OK" if max(later) < TARGET_S else "SLOW"
        ok &= verdict == "OK"
        print(
            f"{page:10s} first render {times[0]:.2f} s; after that "
            f"{statistics.median(later):.2f} s (max {max(later):.2f} s) — {verdict} "
            f"(target < {TARGET_S:.0f} s)"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
