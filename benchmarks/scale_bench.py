"""Registry scale (issue #17): rows per second and peak memory of `crs grade` at 1 M and
10 M rows, against the floor.

Generates realistic exports (benchmarks/scale_export.py: values that change from row to
row, 30 columns) in a temporary folder, deleted afterwards, and measures in one run,
each as a child process, wall time (rows per second end to end) and peak RSS (the sum
over the process and its children, sampled every 50 ms with psutil):

1. CSV → CSV (`crs grade export.csv -o graded.csv`, the default local engine);
2. CSV → Parquet (`-o graded.parquet`);
3. Parquet → Parquet (the export as Parquet in, `-o graded.parquet`);
4. Dask: `--engine dask` on a 2-worker LocalCluster, CSV in, a Parquet dataset out;
5. the floor: a process that only reads the export with pyarrow and writes the same
   graded table with pyarrow (read back from (1), untimed), no validation or grading.

Goals on this 2-core machine: peak RSS ≤ 1.5 GB at both sizes; CSV → CSV within 2.5×
the floor; CSV → Parquet ≥ 250,000 rows/s; Dask on 2 local workers within 1.5× the
single process. Usage::

    .venv/bin/python benchmarks/scale_bench.py [--rows 1000000 10000000] [--skip-dask]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from scale_export import make_export  # noqa: E402

_FLOOR = """
import sys, time
import pyarrow.csv as pcsv, pyarrow.parquet as pq
t0 = time.perf_counter()
pcsv.read_csv(sys.argv[1])
t1 = time.perf_counter()
graded = pq.read_table(sys.argv[2]) if sys.argv[2].endswith(".parquet") else pcsv.read_csv(sys.argv[2])
t2 = time.perf_counter()
if sys.argv[3].endswith(".parquet"):
    pq.write_table(graded, sys.argv[3])
else:
    pcsv.write_csv(graded, sys.argv[3])
t3 = time.perf_counter()
print(t2 - t1)
"""


def measured(command: list[str]) -> tuple[float, float, str]:
    """(wall s, peak RSS MB of the process tree, stderr) of a child process."""
    start = time.perf_counter()
    child = subprocess.Popen(
        command,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        parent = psutil.Process(child.pid)
        while not stop.is_set():
            try:
                tree = [parent, *parent.children(recursive=True)]
                peak[0] = max(peak[0], sum(_rss(p) for p in tree))
            except psutil.Error:
                pass
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    wall = time.perf_counter() - start
    stop.set()
    sampler.join()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{err[-2000:]}")
    return wall, peak[0] / 1e6, out + err


def _rss(process: psutil.Process) -> int:
    try:
        return process.memory_info().rss
    except psutil.Error:
        return 0


def grade(source: Path, out: Path, *extra: str) -> tuple[float, float]:
    wall, peak, _ = measured(
        [
            sys.executable,
            "-m",
            "crs",
            "grade",
            str(source),
            "-o",
            str(out),
            "--quiet",
            "--report",
            str(out.parent / "report.txt"),
            *extra,
        ]
    )
    return wall, peak


def floor(source: Path, graded: Path, scratch: Path) -> tuple[float, float]:
    wall, peak, text = measured(
        [sys.executable, "-c", _FLOOR, str(source), str(graded), str(scratch)]
    )
    untimed = float(text.strip().splitlines()[-1])
    scratch.unlink()
    return wall - untimed, peak


def run_size(
    rows: int, workdir: Path, dask: bool, only: list[str] | None = None
) -> list[tuple[str, float, float, int]]:
    export = workdir / "export.csv"
    t0 = time.perf_counter()
    n = make_export(export, rows)
    print(
        f"generated {n:,} rows ({export.stat().st_size / 1e6:,.0f} MB) in "
        f"{time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    parquet_in = workdir / "export.parquet"
    reader = pa_csv.open_csv(
        export,
        convert_options=pa_csv.ConvertOptions(
            strings_can_be_null=True, column_types={"patient_id": "string"}
        ),
    )
    with pq.ParquetWriter(parquet_in, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
    results = []

    def note(name: str, wall: float, peak: float) -> None:
        results.append((name, wall, peak, n))
        print(
            f"  {name}: {wall:.1f} s, {n / wall:,.0f} rows/s, peak RSS {peak:,.0f} MB", flush=True
        )

    wanted = set(only or ("csv", "parquet", "dask", "floor"))
    if wanted & {"csv", "floor"}:
        note("CSV → CSV", *grade(export, workdir / "graded.csv"))
    if wanted & {"parquet", "floor"}:
        note("CSV → Parquet", *grade(export, workdir / "graded.parquet"))
    if "parquet" in wanted:
        note("Parquet → Parquet", *grade(parquet_in, workdir / "graded2.parquet"))
    if dask and "dask" in wanted:
        note(
            "Dask, 2 local workers, CSV → Parquet dataset",
            *grade(export, workdir / "dataset", "--engine", "dask"),
        )
    if "floor" in wanted:
        note(
            "floor: pyarrow read + write (CSV → CSV)",
            *floor(export, workdir / "graded.csv", workdir / "floor.csv"),
        )
        note(
            "floor: pyarrow read + write (CSV → Parquet)",
            *floor(export, workdir / "graded.parquet", workdir / "floor.parquet"),
        )
    for path in workdir.iterdir():
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument(
        "--only",
        choices=("csv", "parquet", "dask", "floor"),
        nargs="+",
        help="measure only these runs (default: all)",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="crs-scale-"))
    table = []
    try:
        for rows in args.rows:
            print(f"{rows:,} rows", flush=True)
            table.extend(run_size(rows, workdir, not args.skip_dask, args.only))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print("| rows | run | wall | rows/s | peak RSS |")
    print("|---|---|---|---|---|")
    for name, wall, peak, n in table:
        print(f"| {n:,} | {name} | {wall:.1f} s | {n / wall:,.0f} | {peak:,.0f} MB |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
