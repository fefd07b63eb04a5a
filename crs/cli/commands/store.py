"""Command line of the ward store (docs/architecture.md §5 and §7).

``python -m crs import FILE... [--patients FILE]`` merges exports into the store;
``export`` writes the graded rows (spec grading.md §4 columns); ``audit`` the audit log;
``attribute``/``withdraw`` record clinical judgment (spec §5); ``archive``/``restore``
discharge and bring back a patient; ``imports`` lists imports and shows a stored
data-quality report; ``database`` says where the store is. Every command takes
``--database URL`` (default ``$CRS_DATABASE_URL``, else the local SQLite file) and
migrates the store on start.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from crs.errors import UnusableExportError
from crs.safe_csv import write_csv
from crs.store.errors import StoreFailure

if TYPE_CHECKING:
    from crs.store.store import Store

# Same name as crs.store.engine.DATABASE_ENV; not imported from there so that
# registering these sub-commands (every `python -m crs` run) loads no database code.
DATABASE_ENV = "CRS_DATABASE_URL"

_DATABASE_HELP = (
    f"SQLAlchemy URL of the ward store (default: ${DATABASE_ENV}, else an SQLite file in "
    "your user data directory)"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the store's sub-commands to ``python -m crs``."""
    p = _add(subparsers, "import", "merge exports into the ward store", run_import)
    p.add_argument("files", metavar="FILE", nargs="+", help="time-series exports (CSV or .xlsx)")
    p.add_argument("--patients", metavar="FILE", help="patients table keyed by patient_id")
    p.add_argument("--patient-id", metavar="ID", help="names the patient of a one-patient file")
    p.add_argument("--author", help="who imports (default: your user name)")
    p.add_argument("--mapping", metavar="FILE", help="column mapping: CSV raw_name, variable, unit")

    p = _add(subparsers, "export", "write the graded rows of the ward store", run_export)
    p.add_argument(
        "--patient", metavar="ID", action="append", help="only this patient (repeatable)"
    )
    p.add_argument("--include-archived", action="store_true", help="include archived patients")
    p.add_argument(
        "-o", "--output", metavar="FILE", required=True, help="CSV to write ('-': stdout)"
    )

    p = _add(subparsers, "audit", "write the audit log (who, when, what, why) as CSV", run_audit)
    p.add_argument("--patient", metavar="ID", help="only this patient's entries")
    p.add_argument(
        "-o", "--output", metavar="FILE", required=True, help="CSV to write ('-': stdout)"
    )

    p = _add(subparsers, "attribute", "mark a finding as not CRS", run_attribute)
    p.add_argument("patient_id", metavar="PATIENT")
    p.add_argument("criterion", metavar="CRITERION", help="fever, symptoms, hypotension, ...")
    p.add_argument("start", metavar="START", help="ISO date-time, or day since infusion")
    p.add_argument("end", metavar="END", help="ISO date-time, or day since infusion (inclusive)")
    p.add_argument("--reason", required=True, help="why the finding is not CRS")
    p.add_argument("--author", required=True, help="the clinician responsible")

    p = _add(subparsers, "withdraw", "withdraw an attribution (it stays in the log)", run_withdraw)
    p.add_argument("attribution_id", metavar="ATTRIBUTION", type=int)
    p.add_argument("--reason", required=True)
    p.add_argument("--author", required=True)

    for name, verb in (
        ("archive", "archive a discharged patient"),
        ("restore", "bring an archived patient back"),
    ):
        p = _add(subparsers, name, verb, run_archive)
        p.add_argument("patient_id", metavar="PATIENT")
        p.add_argument("--author", required=True)
        p.add_argument("--reason", default="")

    p = _add(
        subparsers, "imports", "list imports, or show one import's data-quality report", run_imports
    )
    p.add_argument("import_id", metavar="IMPORT", type=int, nargs="?", help="show this report")

    _add(
        subparsers,
        "database",
        "say where the ward store is, what it holds, and which values are left out of grading",
        run_database,
    )

    p = _add(
        subparsers,
        "mapping",
        "move the column mappings between the ward store and a CSV file",
        run_mapping,
    )
    p.add_argument("action", choices=("export", "import"), help="export: store → file; import")
    p.add_argument("file", metavar="FILE", help="the mapping CSV (raw_name, variable, unit)")
    p.add_argument("--author", help="who imports the mapping (default: your user name)")


def _add(
    subparsers: argparse._SubParsersAction, name: str, help_text: str, handler
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    parser.add_argument("--database", metavar="URL", help=_DATABASE_HELP)
    parser.set_defaults(handler=_guarded(handler))
    return parser


def _guarded(handler):
    """A database failure is one line on stderr and exit 1, never a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except StoreFailure as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1

    return run


def _store(args: argparse.Namespace) -> Store:
    from crs.store.store import open_store

    return open_store(args.database)


def run_import(args: argparse.Namespace) -> int:
    """Each file is its own transaction: an unusable file is reported and the others go in."""
    from crs.read.mapping import read_mapping

    mapping = read_mapping(Path(args.mapping)) if args.mapping else None
    store = _store(args)
    author = args.author or getpass.getuser()
    failed = 0
    for name in args.files:
        try:
            result = store.import_file(
                Path(name),
                patients=Path(args.patients) if args.patients else None,
                patient_id=args.patient_id,
                author=author,
                mapping=mapping,
            )
        except (UnusableExportError, StoreFailure) as exc:
            print(f"error: {name}: {exc}", file=sys.stderr)
            failed += 1
            continue
        except OSError as exc:
            from crs.cli import file_problem

            print(f"error: {file_problem(exc)}", file=sys.stderr)
            failed += 1
            continue
        print(result.summary())
        if result.report is not None and len(result.report.to_frame()):
            print(result.report.to_text(), file=sys.stderr)
    return 2 if failed else 0


def run_export(args: argparse.Namespace) -> int:
    from crs.treatment.pipeline import output_table

    store = _store(args)
    if args.patient:
        known = set(store.patients()["patient_id"])
        missing = [p for p in args.patient if p not in known]
        if missing:
            raise UnusableExportError(f"Patient {', '.join(missing)} is not in the ward store.")
    graded = store.graded(
        args.patient, include_archived=args.include_archived or bool(args.patient)
    )
    # A store mixing date-time and day patients is written with both columns.
    axis = store.axis(args.patient)
    table = output_table(graded, "day" if axis == "day" else "time")
    _write(table, args.output)
    return 0


def run_audit(args: argparse.Namespace) -> int:
    log = _store(args).audit_log(args.patient)
    log["at"] = log["at"].dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    _write(log, args.output)
    return 0


def run_attribute(args: argparse.Namespace) -> int:
    store = _store(args)
    attribution_id = store.attribute(
        args.patient_id, args.criterion, args.start, args.end, args.reason, args.author
    )
    print(f"attribution {attribution_id} recorded")
    return 0


def run_withdraw(args: argparse.Namespace) -> int:
    _store(args).withdraw(args.attribution_id, args.author, args.reason)
    print(f"attribution {args.attribution_id} withdrawn")
    return 0


def run_archive(args: argparse.Namespace) -> int:
    store = _store(args)
    if args.command == "archive":
        store.archive(args.patient_id, args.author, args.reason)
        print(f"patient {args.patient_id} archived")
    else:
        store.restore(args.patient_id, args.author, args.reason)
        print(f"patient {args.patient_id} is back on the ward")
    return 0


def run_imports(args: argparse.Namespace) -> int:
    store = _store(args)
    if args.import_id is None:
        table = store.imports()
        _write(table, "-")
        return 0
    report = store.import_report(args.import_id)
    if report is None:
        raise UnusableExportError(f"There is no import {args.import_id}.")
    print(report.to_text())
    return 0


def run_mapping(args: argparse.Namespace) -> int:
    """``crs mapping export FILE`` writes the remembered mappings; ``crs mapping import
    FILE`` checks every row (one line for the first refused) and remembers them all."""
    from crs.read.mapping import read_mapping

    store = _store(args)
    if args.action == "export":
        table = store.column_mapping().to_frame()
        _write(table, args.file)
        if args.file != "-":
            print(f"{len(table)} column mapping(s) written to {args.file}")
        return 0
    mapping = read_mapping(Path(args.file))
    changed = store.save_column_mapping(mapping, author=args.author or getpass.getuser())
    print(f"{len(mapping)} column mapping(s) read, {changed} new or changed in the ward store")
    return 0


def run_database(args: argparse.Namespace) -> int:
    """Where the store is, what it holds, and the values left out of grading since the
    reading of units changed (crs.store.marks), in words."""
    from crs.store.marks import ASK, HEADLINE, mark_lines

    store = _store(args)
    print(store.describe())
    patients = store.patients()
    archived = int(patients["archived"].sum())
    imports = len(store.imports())
    print(
        f"{len(patients)} patients ({archived} archived), from "
        f"{imports} import{'' if imports == 1 else 's'}."
    )
    marks = store.reading_marks()
    if marks.empty:
        print("No stored value is left out of grading.")
        return 0
    print(HEADLINE)
    for line in mark_lines(marks):
        print(f"  - {line}")
    print(ASK)
    return 0


def _write(table, target: str) -> None:
    if target == "-":
        write_csv(table, sys.stdout)
    else:
        write_csv(table, Path(target))
