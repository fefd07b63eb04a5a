"""What the ASTCT 2019 CRS and ICANS grades add to grading (issue #14, "Speed").

The 1,000,000-row export of ``grade_bench.py`` (10,000 patients × 100 rows) with the
new columns present: ICE score, CAPD for the children, level of consciousness, RASS,
seizure, motor weakness and cerebral oedema in words, the masking agents. Goal: the new
scales add at most 30 % to grading alone.

"New scales" is every piece of work that exists only because of ASTCT CRS and ICANS,
each timed on its own in the same run by wrapping the function where its caller looks
it up (``NEW_SCALES`` below):

- ``crs.findings.icans_findings.word_findings``: the neurological words read into
  their domain grades (astct.md §1.2);
- ``crs.findings.icans_findings.neurologic_findings``: the ICANS findings in effect
  (ICE/CAPD, consciousness and RASS, the events; astct.md §1.1);
- ``crs.findings.masking.masking_agent``: the masking agent given on each row
  (astct.md §2.1);
- ``crs.scales.consensus.consensus_columns``: masked fever, the two consensus tables,
  the five columns and the two sentences (astct.md §2–§5);
- ``crs.treatment.pipeline.three_sentences``: the output table's explanation joins
  the Lee, ASTCT and ICANS sentences (astct.md §5); without the new scales it would be
  the Lee sentence as it is, so the whole join is counted as new.

"Grading alone" is what ``grade_bench.py`` (the 1 M-row benchmark the issue names) calls
grading alone: ``crs.scales.grade`` and the treatment algorithm (``annotate``) on the read
frame, here minus the first four: the findings every scale reads, Lee's table, its drivers
and its sentence, Figure 2's recommendations and alerts. The stricter ratio, against
``grade`` alone without the treatment algorithm, is printed too. ``--repeat`` runs
in one sitting; each figure (grading alone, each part) is the best of its runs, the one
least disturbed when other work shares the machine, and the new scales' figure is the
sum of their parts. ``--clock cpu`` times this process's CPU instead of elapsed time.
For a comparison between two versions, alternate their runs in one sitting.

    .venv/bin/python benchmarks/astct_bench.py [--patients 10000] [--rows 100] [--repeat 7]
        [--clock wall|cpu]
        [--export PATH]  (a CSV this script wrote before: generating takes a minute)
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

from crs.findings import row_findings  # noqa: E402
from crs.read import read_export  # noqa: E402
from crs.scales import astct, consensus, grading, icans  # noqa: E402
from crs.treatment.pipeline import three_sentences  # noqa: E402
from crs.treatment.treatment import annotate  # noqa: E402


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


#: (module, attribute, label): each function that exists only for ASTCT CRS and ICANS,
#: looked up by its caller as ``module.attribute`` (see the module docstring).
NEW_SCALES: tuple[tuple[object, str, str], ...] = (
    (row_findings, "word_findings", "neurological words"),
    (row_findings, "neurologic_findings", "ICANS findings"),
    (row_findings, "masking_agent", "masking agents"),
    (grading, "consensus_columns", "consensus columns"),
)
#: Everything else ``grade`` does: the findings every scale reads, Lee's table and sentence.
LEE = "grading alone"
#: The treatment algorithm on the graded rows (grade_bench.py counts it in grading alone).
TREATMENT = "treatment algorithm"
#: Inside ``consensus_columns``: its parts, shown as a breakdown (already counted above).
BREAKDOWN: tuple[tuple[object, str, str], ...] = (
    (consensus, "masked_fever", "  masked fever"),
    (astct, "oxygen_grade", "  ASTCT oxygen table"),
    (astct, "astct_grade", "  ASTCT table"),
    (icans, "icans_grade", "  ICANS table"),
    (consensus, "_joined", "  three driver columns"),
    (consensus, "astct_sentences", "  ASTCT sentence"),
    (consensus, "icans_sentences", "  ICANS sentence"),
)


#: The clocks of ``--clock``: elapsed time, or this process's CPU time (all its threads),
#: which other work on a shared machine disturbs less.
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def _timed(spent: dict[str, float], label: str, function, clock):
    """``function``, adding the seconds of each call to ``spent[label]``."""

    def timed(*args, **kwargs):
        t0 = clock()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0.0) + clock() - t0

    return timed


def measure(
    frame: pd.DataFrame, repeat: int, clock=time.perf_counter
) -> tuple[float, dict[str, float], pd.DataFrame]:
    """``repeat`` runs: (grading alone, seconds per new-scale part, graded), each figure
    the best of its runs (the least disturbed on a shared machine)."""
    wrapped = [*NEW_SCALES, *BREAKDOWN]
    originals = [getattr(module, name) for module, name, _ in wrapped]
    runs = []
    try:
        for _ in range(max(1, repeat)):
            spent: dict[str, float] = {}
            for (module, name, label), original in zip(wrapped, originals, strict=True):
                setattr(module, name, _timed(spent, label, original, clock))
            t0 = clock()
            graded = grading.grade(frame)
            total = clock() - t0
            t0 = clock()
            three_sentences(graded)
            spent["output join"] = clock() - t0
            t0 = clock()
            annotate(graded)
            spent[TREATMENT] = clock() - t0
            spent[LEE] = total - sum(spent[label] for *_, label in NEW_SCALES)
            runs.append(spent)
    finally:
        for (module, name, _), original in zip(wrapped, originals, strict=True):
            setattr(module, name, original)
    best = {label: min(run.get(label, 0.0) for run in runs) for label in runs[0]}
    return best.pop(LEE), best, graded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--export", type=Path, help="an export written before (kept)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
    args = parser.parse_args()

    export = args.export
    if export is None:
        export = Path(tempfile.mkdtemp(prefix="crs-astct-bench-")) / "export.csv"
        make_export(export, args.patients, args.rows)
        add_neurological_columns(export)
    frame = read_export(export).frame
    print(f"{len(frame):,} rows, {export.stat().st_size / 1e6:.0f} MB, with the new columns")
    print(f"load average {os.getloadavg()[0]:.2f} (the machine may be shared)")

    lee, spent, graded = measure(frame, args.repeat, CLOCKS[args.clock])
    print(f"{args.clock} clock, best of {args.repeat}")
    parts = [label for *_, label in NEW_SCALES] + ["output join"]
    new = sum(spent[label] for label in parts)
    treatment = spent.pop(TREATMENT)
    alone = lee + treatment
    print(f"grading alone (Lee 2014 grade {lee:.2f} s + treatment algorithm {treatment:.2f} s):")
    print(f"  {alone:.2f} s")
    print(f"ASTCT CRS + ICANS: {new:.2f} s (+{100 * new / alone:.0f} %; goal ≤ 30 %)")
    print(
        f"  against the Lee grade alone, without the treatment algorithm: +{100 * new / lee:.0f} %"
    )
    inside = [label for *_, label in BREAKDOWN]
    spent["  the rest (findings read, columns)"] = spent["consensus columns"] - sum(
        spent.get(label, 0.0) for label in inside
    )
    for label in (*parts[:-1], *inside, "  the rest (findings read, columns)", parts[-1]):
        print(f"  {label}: {spent.get(label, 0.0):.3f} s")
    print(
        "ICANS > 0 on",
        f"{(graded['icans_grade'] > 0).mean():.1%} of rows;",
        "ASTCT ≠ Lee on",
        f"{(graded['astct_grade'] != graded['grade']).mean():.1%}",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
