"""Speed of the reading-version upgrade of the ward store (issue #11 item 9).

A store of 1,000,000 rows (store_bench.py's ward: 10,000 patients × 100 rows, ten
imports) is declared read under version 1; in two of its imports the creatinine is
written as a bare µmol/L column would have been stored (× 88.4, median ≈ 88 > 20). Then:

1. the marking of migration 0003 (crs.store.marks.mark_old_readings) over the whole store;
2. the ward-round read of 500 patients, some of them marked (goal as store_bench: < 1 s);
3. an import under version 2 of 1,000 marked patients' creatinine (100,000 rows), which
   takes over their marked values and clears the marks.

Usage::

    .venv/bin/python benchmarks/store_upgrade_bench.py            # SQLite, temporary folder
    .venv/bin/python benchmarks/store_upgrade_bench.py --postgres # a throw-away server
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from store_bench import make_frame  # noqa: E402

from crs.store import open_store  # noqa: E402
from crs.store.marks import mark_old_readings  # noqa: E402

PATIENTS = 10_000
CHUNK = 1_000
SI_IMPORTS = (2, 5)  # base imports whose creatinine was stored from a bare µmol/L column


def run(url: str) -> None:
    store = open_store(url)
    print(store.describe())
    for number, first in enumerate(range(0, PATIENTS, CHUNK)):
        frame = make_frame(first, CHUNK)
        if number in SI_IMPORTS:
            frame["creatinine_mg_dl"] = (frame["creatinine_mg_dl"] * 88.4).round(0)
        store.import_frame(frame, file_name=f"base_{first}.csv")
    ward = [f"P{i}" for i in range(0, PATIENTS, PATIENTS // 500)][:500]
    print(f"ward round read, 500 patients, nothing marked: {_read(store, ward):.3f} s")
    with store.engine.begin() as connection:
        connection.execute(sa.text("UPDATE imports SET reading_version = 1"))
        tick = time.perf_counter()
        added = mark_old_readings(connection, datetime.now(UTC))
        print(f"marking 1,000,000 rows: {time.perf_counter() - tick:.2f} s ({added} marks)")
    marked = len(set(store.reading_marks()["patient_id"]) & set(ward))
    print(
        f"ward round read, 500 patients ({marked} marked): {_read(store, ward):.3f} s (goal < 1 s)"
    )
    again = make_frame(SI_IMPORTS[0] * CHUNK, CHUNK)[
        ["patient_id", "time", "instant", "line", "creatinine_mg_dl"]
    ]
    tick = time.perf_counter()
    result = store.import_frame(again, file_name="creatinine_again.csv")
    print(
        f"import reading 1,000 marked patients again: {time.perf_counter() - tick:.2f} s "
        f"({len(result.read_again)} marks cleared, {result.values_changed} values changed)"
    )
    store.close()


def _read(store, ward: list[str]) -> float:
    """The fastest of three reads of the ward's complete histories (seconds)."""
    timings = []
    for _ in range(3):
        tick = time.perf_counter()
        store.frame(ward)
        timings.append(time.perf_counter() - tick)
    return min(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="a throw-away PostgreSQL")
    args = parser.parse_args()
    if args.postgres:
        from tests.pg_server import running_server

        context = running_server()
    else:
        context = contextlib.nullcontext()
    with context as server, tempfile.TemporaryDirectory(prefix="crs-upgrade-bench-") as folder:
        url = server.fresh_database() if server else f"sqlite:///{folder}/ward.sqlite3"
        run(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
