"""`python -m crs report`: the ward-round report as PDF (issue #15; crs.views.report).

From an export (graded as `crs grade` grades it) or from the ward store: one section per
patient — grade summary, alerts, treatment given and the Figure 3 timeline — with the
patient and the print time in every page's header. Exit 0 with the PDF written; 2 with
one line when the input cannot be used or a patient asked for is not there.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from crs.errors import UnusableExportError

DESCRIPTION = """\
Write the ward-round report as a PDF: for each patient (sickest first, or those named
with --patient) the CRS grade now and why (Lee et al., Blood 2014), the alerts, every
immunosuppressant dose given, and the timeline, drawn on this machine with the local
Chromium (/usr/bin/chromium). Nothing is sent anywhere.
"""

EPILOG = """\
examples:
  python -m crs report data/sample_ward.csv --patients data/sample_ward_patients.csv -o ward.pdf
  python -m crs report data/sample_ward.csv --patients data/sample_ward_patients.csv \\
      --patient CASE3 --patient P006 -o round.pdf
  python -m crs report --store -o ward.pdf            # every patient of the ward store
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write the ward-round report (PDF) from an export or the ward store",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", metavar="INPUT", nargs="?", help="a time-series export")
    parser.add_argument("--patients", metavar="FILE", help="patients table keyed by patient_id")
    parser.add_argument(
        "--patient-id", metavar="ID", help="names the patient of a one-patient file"
    )
    parser.add_argument("--overrides", metavar="FILE", help="attributions (as for `grade`)")
    parser.add_argument(
        "--patient",
        metavar="ID",
        action="append",
        dest="chosen",
        help="only this patient (repeat for several; default: every patient, sickest first)",
    )
    parser.add_argument("--store", action="store_true", help="report from the ward store")
    parser.add_argument("--database", metavar="URL", help="the ward store's database URL")
    parser.add_argument(
        "--include-archived", action="store_true", help="with --store: archived patients too"
    )
    parser.add_argument("-o", "--output", metavar="OUT.pdf", required=True, help="the PDF")
    parser.set_defaults(handler=run)


def _from_export(args: argparse.Namespace):
    from crs.read.reader import read_export
    from crs.scales.attribution import read_attributions
    from crs.treatment.pipeline import grade_export
    from crs.views.problem_rows import with_patients

    export = read_export(
        Path(args.input),
        patients=Path(args.patients) if args.patients else None,
        patient_id=args.patient_id,
    )
    attributions = read_attributions(Path(args.overrides), export.axis) if args.overrides else None
    graded = grade_export(export, attributions)
    problems = with_patients(export.report.to_frame(), graded)
    by_patient = {str(p): part for p, part in problems.groupby("patient") if p}
    return graded, by_patient, attributions


def _from_store(args: argparse.Namespace):
    from crs.store.store import open_store

    store = open_store(args.database)
    graded = store.graded(include_archived=args.include_archived)
    if graded.empty:
        raise UnusableExportError("The ward store has no patients to report on.")
    return graded, {}, store.attributions()


def run(args: argparse.Namespace) -> int:
    from crs.views.report import sections, ward_report

    if args.store == bool(args.input):
        raise UnusableExportError("Name an export (INPUT) or --store, one of the two.")
    graded, problems, attributions = _from_store(args) if args.store else _from_export(args)
    chosen = sections(graded, args.chosen, problems_of=problems, attributions=attributions)
    Path(args.output).write_bytes(ward_report(chosen, graded=graded))
    return 0
