"""The command line (`python -m crs ...` and the `crs` console script): the argument
parser, the sub-commands (``crs.cli.commands``) and the text of ``crs columns``.

May import: every other package of ``crs`` — it sits on top of the pipeline and the store.
"""

from crs.cli.main import EXIT_INTERNAL, EXIT_OK, EXIT_UNUSABLE, build_parser, file_problem, main

__all__ = [
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_UNUSABLE",
    "build_parser",
    "file_problem",
    "main",
]
