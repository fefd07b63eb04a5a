"""A second process for the concurrency test of the ward store (tests/test_store.py).

Usage: ``python tests/store_worker.py URL FRAME.parquet FILE_NAME GO_FILE``. Opens the
store (migrating it, as the app and the command line do), waits until GO_FILE exists
so that both workers start their import at the same moment, imports the frame and
prints the import summary.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

from crs.store import open_store


def main(url: str, frame_path: str, file_name: str, go_file: str) -> int:
    store = open_store(url)
    frame = pd.read_parquet(frame_path)
    deadline = time.monotonic() + 60
    while not Path(go_file).exists():
        if time.monotonic() > deadline:
            print("no go signal", file=sys.stderr)
            return 3
        time.sleep(0.01)
    result = store.import_frame(frame, file_name=file_name, author=file_name)
    print(result.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
