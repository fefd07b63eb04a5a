"""Peak memory of ``read_export`` on a ~200 MB export (issue "Hostile and broken input").

The ward PC that runs the dashboard is modest; a year of minute-by-minute monitor
exports can reach hundreds of MB. The promise is that reading a 200 MB export stays
under 2 GB of resident memory. This script writes a realistic wide export (vital signs,
oxygen, pressors, labs, free-text symptoms; a few odd cells) to a temporary folder,
then reads it in a fresh child process — once from the path (command line) and once
from the uploaded bytes (the app holds the upload in memory) — and reports each child's
peak resident set size (``ru_maxrss``). Not a timed test: wall times are shown only
as a guide.

    .venv/bin/python benchmarks/read_memory_bench.py [--mb 200] [--grade] [--keep]

Exit status 1 when a peak exceeds the limit (default 2048 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
LIMIT_MB = 2048

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from crs.read.reader import read_export
path, mode, grade = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
start = time.perf_counter()
source = Path(path).read_bytes() if mode == "bytes" else Path(path)
export = read_export(source, name="bench.csv")
read_s = time.perf_counter() - start
result = {"rows_read": export.report.rows_read, "rows_graded": export.report.rows_graded,
          "balanced": export.report.balanced, "problems": len(export.report.to_frame()),
          "read_s": round(read_s, 1)}
if grade:
    from crs.treatment.pipeline import grade_export
    start = time.perf_counter()
    graded = grade_export(export)
    result["grade_s"] = round(time.perf_counter() - start, 1)
    result["graded_rows"] = len(graded)
result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
print(json.dumps(result))
"""


def write_export(path: Path, target_mb: float, seed: int = 7) -> int:
    """Write a wide export of about ``target_mb`` MB; returns the number of data rows."""
    rng = np.random.default_rng(seed)
    chunk_rows = 200_000
    rows_written = 0
    header = True
    written = 0
    start = pd.Timestamp("2024-01-01T00:00:00")
    with path.open("w", encoding="utf-8", newline="") as handle:
        while written < target_mb * 1024 * 1024:
            n = chunk_rows
            index = np.arange(rows_written, rows_written + n)
            # 400 patients, one row every 5 minutes each
            patient = index % 400
            minutes = (index // 400) * 5
            times = (start + pd.to_timedelta(minutes, unit="min")).strftime("%Y-%m-%dT%H:%M:%S")
            frame = pd.DataFrame(
                {
                    "patient_id": pd.Series(patient).map(lambda p: f"MRN{p:06d}"),
                    "time": times,
                    "temp_c": np.round(rng.normal(37.4, 0.8, n), 1),
                    "sbp": np.round(rng.normal(112, 18, n)),
                    "dbp": np.round(rng.normal(65, 10, n)),
                    "map": np.round(rng.normal(80, 12, n)),
                    "fio2": np.where(rng.random(n) < 0.2, 40, np.nan),
                    "o2_device": np.where(rng.random(n) < 0.3, "nasal cannula", ""),
                    "norepinephrine": np.where(rng.random(n) < 0.05, 12.5, np.nan),
                    "crp": np.where(rng.random(n) < 0.05, np.round(rng.gamma(2, 40, n), 1), np.nan),
                    "ferritin": np.where(rng.random(n) < 0.02, ">1000", ""),
                    "creatinine": np.where(rng.random(n) < 0.05, "1,3", ""),
                    "symptoms": np.where(rng.random(n) < 0.1, "rigors; nausea", ""),
                }
            )
            text = frame.to_csv(index=False, header=header, lineterminator="\n")
            handle.write(text)
            written += len(text)  # ASCII: characters are bytes
            header = False
            rows_written += n
    return rows_written


def measure(path: Path, mode: str, grade: bool) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), mode, "1" if grade else "0"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
    )
    if proc.returncode != 0:
        return {"mode": mode, "error": proc.stderr.strip().splitlines()[-1:]}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["mode"] = mode
    result["wall_s"] = round(time.perf_counter() - start, 1)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200.0, help="size of the export (MB)")
    parser.add_argument("--limit-mb", type=float, default=LIMIT_MB, help="peak RSS limit")
    parser.add_argument("--grade", action="store_true", help="also grade (reported apart)")
    parser.add_argument("--keep", action="store_true", help="keep the generated export")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="crs_bench_"))
    path = folder / "bench_export.csv"
    rows = write_export(path, args.mb)
    size_mb = path.stat().st_size / 1024 / 1024
    print(f"export: {path} {size_mb:.0f} MB, {rows:,} rows, 400 patients")
    failed = False
    for mode in ("path", "bytes"):
        result = measure(path, mode, args.grade)
        print(json.dumps(result))
        peak = result.get("peak_rss_mb")
        if peak is None or peak > args.limit_mb:
            failed = True
    if not args.keep:
        path.unlink()
        folder.rmdir()
    print("FAIL" if failed else f"OK: every peak under {args.limit_mb:.0f} MB")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
