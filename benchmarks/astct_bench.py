"""What the ASTCT 2019 CRS and ICANS grades add to grading (issue #14, "Speed").

The 1,000,000-row export of ``grade_bench.py`` (10,000 patients × 100 rows) with the
new columns present: ICE score, CAPD for the children, level of consciousness, RASS,
seizure, motor weakness and cerebral oedema in words, the masking agents. Grading is
``crs.scales.grade`` on the read frame; the two new scales are the call to
``crs.scales.consensus.consensus_columns`` inside it (masked fever, the ICANS findings,
both consensus tables and their sentences), timed on its own in the same run. Goal: the
new scales add at most 30 % to grading alone (the Lee grade and its sentence).

    .venv/bin/python benchmarks/astct_bench.py [--patients 10000] [--rows 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from grade_bench import make_export  # noqa: E402

from crs.read import read_export  # noqa: E402
from crs.scales import consensus, grading  # noqa: E402


def add_neurological_columns(path: Path, seed: int = 11) -> None:
    """The new columns, charted as a ward charts them: assessments on about one row in
    ten, events rarely, words as clinicians write them."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    n = len(frame)
    rng = np.random.default_rng(seed)

    def sometimes(values: list[str], p: float) -> np.ndarray:
        return np.where(rng.random(n) < p, rng.choice(values, n), "")

    frame["capd_score"] = sometimes([str(v) for v in range(0, 16)], 0.05)
    frame["consciousness"] = sometimes(
        ["alert", "A", "drowsy", "awakens to voice", "V", "responds to pain", "unarousable"], 0.1
    )
    frame["rass"] = sometimes(["0", "-1", "-2", "-3", "-4", "1"], 0.03)
    frame["seizure"] = sometimes(["none", "focal seizure", "status epilepticus", "no"], 0.01)
    frame["motor_weakness"] = sometimes(["none", "tremor", "left hemiparesis"], 0.01)
    frame["cerebral_edema"] = sometimes(["none", "focal oedema", "papilloedema"], 0.005)
    frame["dexamethasone_mg"] = sometimes(["10"], 0.003)
    frame.to_csv(path, index=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    export = Path(tempfile.mkdtemp(prefix="crs-astct-bench-")) / "export.csv"
    make_export(export, args.patients, args.rows)
    add_neurological_columns(export)
    frame = read_export(export).frame
    print(f"{len(frame):,} rows, {export.stat().st_size / 1e6:.0f} MB, with the new columns")

    spent: list[float] = []
    original = consensus.consensus_columns

    def timed_consensus(*a, **k):
        t0 = time.perf_counter()
        result = original(*a, **k)
        spent.append(time.perf_counter() - t0)
        return result

    grading.consensus_columns = timed_consensus
    runs = []
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        graded = grading.grade(frame)
        total = time.perf_counter() - t0
        runs.append((total - spent[-1], spent[-1]))
    grading.consensus_columns = original
    lee, new = min(runs, key=lambda r: r[0] + r[1])
    print(f"grading alone (Lee 2014): {lee:.2f} s")
    print(f"ASTCT CRS + ICANS: {new:.2f} s (+{100 * new / lee:.0f} %; goal ≤ 30 %)")
    print(
        "ICANS > 0 on",
        f"{(graded['icans_grade'] > 0).mean():.1%} of rows;",
        "ASTCT ≠ Lee on",
        f"{(graded['astct_grade'] != graded['grade']).mean():.1%}",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
