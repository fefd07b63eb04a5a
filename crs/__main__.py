"""`python -m crs ...` and the `crs` console script — see crs/cli/main.py."""

import os
import sys

# Before numpy is imported: allocate with ordinary pages. numpy asks for transparent huge
# pages on every array of 4 MiB or more; where the kernel compacts memory at the first
# touch (THP defrag=madvise), grading a million rows in a fresh process paid about 0.5 s
# of system time for it and gained nothing (each array is read a few times, in order).
# Results do not depend on it; a value set by the caller is kept.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

from crs.cli import main


def console() -> None:
    """The `crs` command installed by `pip install .` (pyproject [project.scripts])."""
    sys.exit(main())


if __name__ == "__main__":
    console()
