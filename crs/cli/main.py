"""Command line: `python -m crs <command> ...` (docs/architecture.md §5).

Each sub-command lives in its own module exposing ``register(subparsers)``; the
handler it sets with ``set_defaults(handler=...)`` returns the exit code. Unusable
input ends in one line ``error: ...`` on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys

from crs.errors import UnusableExportError

#: Modules that contribute sub-commands, in the order shown by --help.
COMMAND_MODULES = (
    "crs.cli.commands.grade",
    "crs.cli.commands.report",
    "crs.cli.commands.columns",
    "crs.cli.commands.store",
)

EXIT_OK = 0
EXIT_UNUSABLE = 2
EXIT_INTERNAL = 1
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad arguments as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_UNUSABLE, f"error: {message}\n")


def file_problem(exc: OSError) -> str:
    """A file that cannot be opened, in one plain sentence (no errno, no traceback)."""
    name = exc.filename if exc.filename is not None else "the file"
    if isinstance(exc, FileExistsError) and exc.filename is None:
        return str(exc)  # an output folder in the way says so itself (crs.batch)
    if isinstance(exc, FileNotFoundError):
        return f"{name} does not exist: check the file name and the folder it is in."
    if isinstance(exc, IsADirectoryError):
        return f"{name} is a folder, not a file: name the CSV or .xlsx export inside it."
    if isinstance(exc, PermissionError):
        return f"{name} cannot be read: you do not have permission to open it."
    return f"{name} cannot be read ({(exc.strerror or str(exc)).lower()})."


def _ctrl_c_reaches_python() -> None:
    """Ctrl-C always reaches Python as KeyboardInterrupt (exit 130, temporary files
    removed): pyarrow would otherwise turn a Ctrl-C that arrives inside one of its reads
    into an ``ArrowCancelled`` error, which code that falls back after a failed read
    (another parser, the whole read) could take for a bad block and carry on."""
    import pyarrow

    pyarrow.enable_signal_handlers(False)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="crs",
        description=(
            "Grade cytokine release syndrome (Lee et al., Blood 2014, Tables 2 and 3) "
            "from electronic-record CSV exports. Everything runs on this machine; "
            "no data is sent anywhere."
        ),
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    _ctrl_c_reaches_python()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_UNUSABLE
    try:
        return int(args.handler(args))
    except UnusableExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except OSError as exc:
        print(f"error: {file_problem(exc)}", file=sys.stderr)
        return EXIT_UNUSABLE
    except BrokenPipeError:
        # `python -m crs export -o - | head`: the reader left; that is not an error.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return EXIT_OK
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug of ours: one line for the user, details on request
        if os.environ.get("CRS_DEBUG"):
            raise
        print(
            f"internal error: {type(exc).__name__}: {exc} "
            "(please report it; set CRS_DEBUG=1 to see the details)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
