"""`crs columns`: the column reference (docs/columns.md), generated from the tables."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crs.cli.column_docs import columns_markdown


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "columns",
        help="list every accepted column name and unit (the text of docs/columns.md)",
        description="Every column the dashboard reads, with its accepted names and units, "
        "as Markdown (generated from crs/tables/aliases.csv and units.csv).",
    )
    parser.add_argument(
        "--markdown", action="store_true", help="Markdown (the default; kept for scripts)"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write it here (default: stdout)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    text = columns_markdown()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
