"""Progress of a long run on standard error (issue #17): rows read, patients graded,
rate and time left; silent when standard error is not a terminal or with ``--quiet``."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """One status line, rewritten in place at most every ``every`` seconds."""

    def __init__(self, total_bytes: int, stream: TextIO | None = None, every: float = 0.5) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total_bytes = max(total_bytes, 1)
        self.every = every
        self.started = time.monotonic()
        self.shown_at = 0.0
        self.rows_read = 0
        self.bytes_read = 0
        self.rows_graded = 0
        self.patients = 0
        self.rows_total = 0  # known after the first pass
        self.note = ""

    def say(self, note: str) -> None:
        """A line of its own (the Dask dashboard's address, …)."""
        self._clear()
        print(note, file=self.stream, flush=True)

    def read(self, rows: int, size: int) -> None:
        self.rows_read += rows
        self.bytes_read += size
        self._show()

    def graded(self, rows: int, patients: int) -> None:
        self.rows_graded += rows
        self.patients += patients
        self._show()

    def done(self) -> None:
        self._show(force=True)
        print(file=self.stream, flush=True)

    def _show(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.shown_at < self.every:
            return
        self.shown_at = now
        elapsed = max(now - self.started, 1e-6)
        # The first pass reads the file (half the work), the second reads and grades it.
        share = 0.5 * min(self.bytes_read / self.total_bytes, 1.0)
        if self.rows_total:
            share = 0.5 + 0.5 * min(self.rows_graded / self.rows_total, 1.0)
        left = elapsed * (1 - share) / share if share > 0 else float("nan")
        rate = (self.rows_read + self.rows_graded) / elapsed
        line = (
            f"\rrows read {self.rows_read:,}; graded {self.rows_graded:,} "
            f"({self.patients:,} patients); {rate:,.0f} rows/s; "
            + (f"about {_duration(left)} left" if left == left else "")
        )
        self.stream.write(line.ljust(100))
        self.stream.flush()

    def _clear(self) -> None:
        if self.shown_at:
            self.stream.write("\r" + " " * 100 + "\r")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def progress_for(total_bytes: int, quiet: bool, stream: TextIO | None = None) -> Progress | None:
    """A progress line when standard error is a terminal and the run is not quiet."""
    stream = stream if stream is not None else sys.stderr
    if quiet or not stream.isatty():
        return None
    return Progress(total_bytes, stream)
