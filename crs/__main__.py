"""`python -m crs ...` — see crs/cli.py."""

import sys

from crs.cli import main

if __name__ == "__main__":
    sys.exit(main())
