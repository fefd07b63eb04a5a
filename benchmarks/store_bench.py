"""Speed of the ward store (issue "Ward memory", Speed).

Goals on the 2-core reference machine:

1. importing a 100,000-row export into a store that already holds 1,000,000 rows takes
   under 20 s (half of the export's rows are re-sent rows of stored patients, 5 % of
   their values changed; the other half are new time points);
2. the ward round reads the store for 500 patients (their complete history, 100 rows
   each) in under 1 s.

The store is filled with 1,000,000 canonical rows (10,000 patients × 100 rows, sparse
like a real record: vitals on most rows, oxygen on some, labs daily) by ten imports of
100,000 rows. Usage::

    .venv/bin/python benchmarks/store_bench.py                 # SQLite in a temporary folder
    .venv/bin/python benchmarks/store_bench.py --postgres      # a throw-away PostgreSQL server
    .venv/bin/python benchmarks/store_bench.py --database URL  # an existing, empty database
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crs.read.columns import conform  # noqa: E402
from crs.store import open_store  # noqa: E402

ROWS_PER_PATIENT = 100
DEVICES = np.array(["room air", "nasal cannula", "NRB", "HFNC", "face mask"], dtype=object)


def make_frame(
    first_patient: int, n_patients: int, first_row: int = 0, seed: int = 7
) -> pd.DataFrame:
    """Canonical rows ``first_row …`` (hourly to 4-hourly) of patients P<first_patient>…"""
    rng = np.random.default_rng(seed + first_patient * 7 + first_row)
    rows = ROWS_PER_PATIENT
    n = n_patients * rows
    patient = np.repeat(np.arange(first_patient, first_patient + n_patients), rows)
    step = np.tile(np.arange(first_row, first_row + rows), n_patients)
    infusion = pd.Timestamp("2025-01-01") + pd.to_timedelta(patient % 365, unit="D")
    time_ = infusion.to_numpy() + (step * 2).astype("timedelta64[h]")

    def sparse(values: np.ndarray, p: float) -> np.ndarray:
        values = np.round(values.astype("float64"), 1)
        values[rng.random(n) > p] = np.nan
        return values

    device = DEVICES[rng.integers(0, len(DEVICES), n)]
    device[rng.random(n) > 0.2] = None
    return conform(
        pd.DataFrame(
            {
                "patient_id": np.char.add("P", patient.astype(str)),
                "time": time_.astype("datetime64[us]"),
                "day": step * 2 / 24.0,
                "line": np.arange(2, n + 2),
                "temp_c": sparse(rng.normal(37.6, 0.9, n), 0.8),
                "sbp_mmhg": sparse(rng.normal(112, 18, n), 0.8),
                "dbp_mmhg": sparse(rng.normal(65, 10, n), 0.8),
                "map_mmhg": sparse(rng.normal(80, 12, n), 0.4),
                "fio2": sparse(rng.uniform(21, 60, n), 0.15),
                "o2_device": pd.array(device, dtype="str"),
                "norepinephrine_ug_min": sparse(rng.uniform(0, 25, n), 0.03),
                "crp_mg_l": sparse(rng.lognormal(3, 1, n), 0.08),
                "creatinine_mg_dl": sparse(rng.normal(1.0, 0.3, n).clip(0.2), 0.08),
                "ast_u_l": sparse(rng.lognormal(3.5, 0.6, n), 0.08),
                "alt_u_l": sparse(rng.lognormal(3.5, 0.6, n), 0.08),
                "age_years": np.repeat(rng.integers(18, 85, n_patients), rows).astype(float),
                "weight_kg": np.repeat(rng.normal(75, 12, n_patients).round(1), rows),
                "infusion_time": infusion.to_numpy().astype("datetime64[us]"),
            }
        )
    )


def update_frame(first_patient: int, n_patients: int) -> pd.DataFrame:
    """The 100,000-row export: rows 50-99 as stored (5 % of temperatures changed), 100-149 new."""
    stored = make_frame(first_patient, n_patients)
    rows = stored[np.tile(np.arange(ROWS_PER_PATIENT) >= 50, n_patients)].reset_index(drop=True)
    rng = np.random.default_rng(11)
    changed = rows["temp_c"].notna() & (rng.random(len(rows)) < 0.05)
    rows.loc[changed, "temp_c"] = rows.loc[changed, "temp_c"] + 0.3
    fresh = make_frame(first_patient, n_patients, first_row=ROWS_PER_PATIENT)
    fresh = fresh[np.tile(np.arange(ROWS_PER_PATIENT) < 50, n_patients)]
    both = pd.concat([rows, fresh], ignore_index=True)
    both = both.sort_values(["patient_id", "instant"], kind="stable").reset_index(drop=True)
    both["line"] = np.arange(2, len(both) + 2)
    return both


def run(url: str, n_patients: int, chunk_patients: int, ward: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    store = open_store(url)
    print(store.describe())
    started = time.perf_counter()
    for first in range(0, n_patients, chunk_patients):
        tick = time.perf_counter()
        result = store.import_frame(
            make_frame(first, chunk_patients), file_name=f"base_{first}.csv"
        )
        print(
            f"  base import {first // chunk_patients + 1}: {time.perf_counter() - tick:5.1f} s  "
            f"({result.points_added} rows, {result.values_added} values)"
        )
    figures["fill_s"] = time.perf_counter() - started
    stored_rows = len(store.frame(include_archived=True)) if n_patients <= 20_000 else -1
    figures["stored_rows"] = stored_rows

    export = update_frame(first_patient=n_patients // 2, n_patients=1_000)
    tick = time.perf_counter()
    result = store.import_frame(export, file_name="update.csv")
    figures["import_100k_s"] = time.perf_counter() - tick
    print("  " + result.summary())
    figures["export_rows"] = len(export)

    ward_ids = [f"P{i}" for i in range(0, n_patients, max(n_patients // ward, 1))][:ward]
    timings = []
    for _ in range(3):
        tick = time.perf_counter()
        frame = store.frame(ward_ids)
        timings.append(time.perf_counter() - tick)
    figures["ward_round_read_s"] = min(timings)
    figures["ward_round_rows"] = len(frame)
    tick = time.perf_counter()
    store.graded(ward_ids)
    figures["ward_round_graded_s"] = time.perf_counter() - tick
    store.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database", help="an empty database URL (default: a temporary SQLite file)"
    )
    parser.add_argument(
        "--postgres", action="store_true", help="start a throw-away PostgreSQL server"
    )
    parser.add_argument(
        "--patients", type=int, default=10_000, help="patients in the store (×100 rows)"
    )
    parser.add_argument("--chunk", type=int, default=1_000, help="patients per filling import")
    parser.add_argument("--ward", type=int, default=500, help="patients on the ward round")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.postgres:
            from tests.pg_server import running_server

            url = stack.enter_context(running_server()).fresh_database()
        elif args.database:
            url = args.database
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="crs-store-bench-"))
            url = f"sqlite:///{folder}/ward.sqlite3"
        figures = run(url, args.patients, args.chunk, args.ward)
    print()
    print(f"store filled with {figures['stored_rows']:,.0f} rows in {figures['fill_s']:.1f} s")
    print(
        f"import of a {figures['export_rows']:,.0f}-row export: {figures['import_100k_s']:.2f} s "
        "(goal < 20 s)"
    )
    print(
        f"ward round read, {args.ward} patients ({figures['ward_round_rows']:,.0f} rows): "
        f"{figures['ward_round_read_s']:.3f} s (goal < 1 s); graded: "
        f"{figures['ward_round_graded_s']:.2f} s"
    )
    ok = figures["import_100k_s"] < 20 and figures["ward_round_read_s"] < 1
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
