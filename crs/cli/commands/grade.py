"""`python -m crs grade` (spec grading.md §4): grade an export into a CSV table.

Exit 0 with the graded CSV and the data-quality report (stderr, or ``--report``);
exit 2 with one clear sentence when the file cannot be used (§1.1).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crs.batch import Request, grade_file, progress_for
from crs.batch.parquet_io import as_csv, is_parquet_input
from crs.batch.pool import WorkerFailure, default_jobs
from crs.batch.records import BLOCK_BYTES
from crs.read.coverage import missing_warning
from crs.read.mapping import read_mapping
from crs.safe_csv import write_csv

DESCRIPTION = """\
Grade cytokine release syndrome (Lee et al., Blood 2014, Tables 2 and 3) for every
patient and time point of an electronic-record export, and write one CSV row per
patient and instant with the grade, its drivers, unknown domains, the norepinephrine
equivalent, a one-sentence explanation, the Figure 2 recommendation and alerts.

INPUT is a CSV (comma, semicolon or tab separated; UTF-8, UTF-16 or Latin-1) or an
.xlsx workbook (first sheet), in the wide layout (one column per variable) or the long
layout (patient_id, time, variable, value[, unit]; research extracts such as MIMIC-IV
chartevents joined with d_items: subject_id, charttime, label, valuenum, valueuom).
Every accepted column name and unit is listed in docs/columns.md of the repository (the
same list: `crs columns`). A column the dashboard does not know can be mapped to a
variable with --mapping FILE. Nothing is sent anywhere: everything runs on this machine.
"""

EPILOG = """\
examples:
  crs grade data/sample_ward.csv --patients data/sample_ward_patients.csv -o graded.csv
  crs grade bed12.csv --patient-id BED12 -o bed12_graded.csv --report bed12_report.txt
  crs grade data/case3.csv --overrides data/case3_attributions.csv -o case3.csv
  crs grade icu.csv --mapping our_names.csv -o icu_graded.csv
  crs grade registry.csv -o registry_graded.parquet
  crs grade registry.csv --engine dask --scheduler tcp://10.0.0.5:8786 -o graded/

mapping file: CSV with the columns raw_name, variable, unit, one row per column name of
the export, e.g. "Art line sys,sbp_mmhg,mmHg" or "Bed number,not used,"; a unit that is
not one of the variable's, or that the column's own name contradicts, is refused.

exit status: 0 graded (problems with single cells are in the report);
             2 the file could not be used (the message says why).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "grade",
        help="grade an export into a CSV of grades, drivers and recommendations",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "input",
        metavar="INPUT",
        help="the time-series export (CSV or .xlsx; or Parquet: a file or a folder of them)",
    )
    parser.add_argument(
        "--patients",
        metavar="FILE",
        help="patients table keyed by patient_id (age_years, weight_kg, infusion_time, ...)",
    )
    parser.add_argument(
        "--patient-id",
        metavar="ID",
        help="name the patient of a one-patient file that has no patient_id column",
    )
    parser.add_argument(
        "--overrides",
        metavar="FILE",
        help="attributions: CSV with patient_id, criterion, start, end, reason, author; "
        "the named finding is not counted as CRS between start and end",
    )
    parser.add_argument(
        "--mapping",
        metavar="FILE",
        help="column mapping: CSV raw_name, variable, unit (the export's own names mapped "
        "to variables, or 'not used'); `crs mapping export` writes the ward store's",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT.csv",
        required=True,
        help="where to write the graded rows: a .csv file ('-' for standard output), a "
        ".parquet file, or a folder OUT/ for a Parquet dataset (one file per chunk)",
    )
    parser.add_argument(
        "--engine",
        choices=("local", "dask"),
        default="local",
        help="local: this process (default); dask: a Dask cluster (--scheduler), or two "
        "worker processes on this machine without one",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=default_jobs(),
        metavar="N",
        help="with the local engine: grade a large export in N worker processes on this "
        "machine (default %(default)s: its cores, at most two); 1 grades in this process",
    )
    parser.add_argument(
        "--scheduler",
        metavar="tcp://HOST:8786",
        help="with --engine dask: the address of a running Dask scheduler (its workers need "
        "the crs package installed)",
    )
    parser.add_argument(
        "--partitions",
        type=int,
        metavar="N",
        help="cut the export into about N chunks of whole patients (default: chunks of --chunk-mb)",
    )
    parser.add_argument(
        "--chunk-mb",
        type=float,
        default=BLOCK_BYTES / 1024 / 1024,
        metavar="MB",
        help="a larger export is read and graded this many megabytes at a time, whole "
        "patients together, so memory stays bounded (default %(default)g)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress line on standard error (there is none when it is not a terminal)",
    )
    parser.add_argument(
        "--report",
        metavar="FILE",
        help="write the data-quality report here instead of standard error "
        "(a .csv name gets the table of problems, any other name the text report)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    source = Path(args.input)
    if is_parquet_input(source):
        with as_csv(source) as written:
            return _run(args, written, source.name)
    return _run(args, source, None)


def _run(args: argparse.Namespace, source: Path, name: str | None) -> int:
    mapping = read_mapping(Path(args.mapping)) if args.mapping else None
    progress = progress_for(_size(source), args.quiet)
    block_bytes = int(args.chunk_mb * 1024 * 1024)
    if args.partitions:
        block_bytes = -(-_size(source) // max(args.partitions, 1))
    request = Request(
        source=source,
        output=args.output,
        patients=Path(args.patients) if args.patients else None,
        patient_id=args.patient_id,
        mapping=mapping,
        overrides=Path(args.overrides) if args.overrides else None,
        block_bytes=max(block_bytes, 1024),
        progress=progress,
        name=name,
        jobs=max(args.jobs, 1),
    )
    try:
        graded = _graded(request, args, progress)
    except WorkerFailure as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if progress is not None:
        progress.done()
    _write_report(graded.report, args.report)
    warning = missing_warning(graded.missing)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _graded(request: Request, args: argparse.Namespace, progress):
    if args.engine != "dask":
        return grade_file(request)
    from crs.batch.dask_engine import Cluster, grade_on_dask

    say = None if args.quiet else (progress.say if progress else _say)
    return grade_on_dask(request, Cluster(args.scheduler), say)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _write_report(report, target: str | None) -> None:
    if target is None:
        print(report.to_text(), file=sys.stderr)
    elif target.lower().endswith(".csv"):
        write_csv(report.to_frame(), Path(target))
    else:
        Path(target).write_text(report.to_text() + "\n", encoding="utf-8")
