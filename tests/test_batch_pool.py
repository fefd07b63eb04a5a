"""`crs grade --jobs N`: the first pass and the chunks in worker processes (issue #17).

Every comparison grades one file in this process and in a pool of two worker processes
(:mod:`crs.batch.pool`); the pool's output must be the same bytes, its data-quality
report the same lines (line numbers included), whatever the output's form.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crs.batch.chunked import Chunk
from crs.batch.engine import Request, grade_encoded, grade_file
from crs.batch.pool import WorkerFailure, worker_pool
from crs.read.decided import Decided
from tests.batch_exports import NO_SHRINK, assert_same, grade, messy_exports
from tests.cli_run import run_cli

REPO = Path(__file__).resolve().parents[1]
WHOLE = 1 << 40
WARD = REPO / "data" / "sample_ward.csv"


@settings(
    max_examples=25,
    **NO_SHRINK,
)
# Each of the two workers gets blocks of a third of block_bytes: 150 to 900 bytes, as in
# tests/test_batch_chunked.py. (Blocks of one record or two, 70 bytes, show a difference
# that is not the pool's and occurs in one process too: the report quoting a cell `2.0`
# of a conflicting row as `2`.)
@given(export=messy_exports(), block_bytes=st.integers(450, 2700), partition_rows=st.integers(1, 9))
def test_two_worker_processes_write_the_same_bytes_and_report_as_a_whole_read(
    tmp_path_factory, export, block_bytes, partition_rows
) -> None:
    tmp = tmp_path_factory.mktemp("pool")
    path = tmp / "export.csv"
    path.write_bytes(export.data)
    whole = grade(path, WHOLE, tmp / "whole.csv")
    pooled = grade(path, block_bytes, tmp / "pooled.csv", partition_rows=partition_rows, jobs=2)
    assert_same(whole, pooled)


@pytest.mark.parametrize("output", ["graded.parquet", "graded/"])
def test_parquet_from_worker_processes_is_the_same_file_as_from_one_process(
    tmp_path, output
) -> None:
    written = {}
    for jobs in (1, 2):
        target = tmp_path / str(jobs) / output
        target.parent.mkdir()
        # N workers get chunks of 1/(N + 1) of the size: the same chunks, row groups
        # and part files as one process with chunks of that size.
        name = str(target) + ("/" if output.endswith("/") else "")
        size = 6000 * (jobs + 1 if jobs > 1 else 1)
        request = Request(source=WARD, output=name, block_bytes=size, jobs=jobs)
        graded = grade_file(request)
        files = sorted(target.iterdir()) if target.is_dir() else [target]
        written[jobs] = ([f.read_bytes() for f in files], graded.report.to_text())
        assert len(files) > 1 or output == "graded.parquet"
    assert written[1] == written[2]


def test_a_chunk_that_fails_in_a_worker_is_reported_with_its_patients() -> None:
    records = b"patient_id,time,temp_c\nP1,2024-03-01T08:00,38.5\nP1,2024-03-01T09:00,39.5\n"
    chunk = Chunk(records, np.array([2, 3]), 2, ("REG-0000017", "REG-0000042"))
    # A bug of ours, as it would show: attributions without the columns they must have.
    shared = (Decided(), "x.csv", None, pd.DataFrame({"nonsense": [1]}))
    with worker_pool(2) as pool:
        parts = pool.in_order(
            grade_encoded, [chunk], shared, False, "csv", numbered=True, held=_patients
        )
        with pytest.raises(WorkerFailure, match="patients REG-0000017 to REG-0000042") as failure:
            next(parts)
    assert "KeyError" in str(failure.value) and "nothing was written" in str(failure.value)


def _lost(item: int) -> int:
    if item == 3:
        os._exit(9)  # the worker process dies (killed, out of memory …)
    return item


def _patients(chunk: Chunk) -> str:
    first, last = chunk.patients
    return f"grading patients {first} to {last}"


def test_a_lost_worker_process_ends_the_run_with_what_it_held() -> None:
    done = []
    with worker_pool(2) as pool, pytest.raises(WorkerFailure) as failure:
        for item, result in pool.in_order(_lost, range(6), held=lambda i: f"item {i}"):
            done.append((item, result))
    # The items before the lost one came through in order (one still running on the
    # other worker when the pool broke is reported as held by it).
    assert len(done) <= 3 and done == [(i, i) for i in range(len(done))]
    assert f"item {len(done)} failed in a worker process" in str(failure.value)
    assert "a worker process was lost" in str(failure.value)


def test_results_come_in_the_order_of_the_items(tmp_path) -> None:
    with worker_pool(2) as pool:
        results = list(pool.in_order(pow, range(40), 2))
    assert results == [(i, i * i) for i in range(40)]


def test_jobs_one_and_two_on_the_command_line_write_the_same_bytes(tmp_path) -> None:
    for jobs in ("1", "2"):
        done = run_cli(
            sys.executable,
            REPO,
            "grade",
            WARD,
            "-o",
            tmp_path / f"{jobs}.csv",
            "--report",
            tmp_path / f"{jobs}.txt",
            "--chunk-mb",
            "0.01",
            "--jobs",
            jobs,
        )
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "1.csv").read_bytes() == (tmp_path / "2.csv").read_bytes()
    assert (tmp_path / "1.txt").read_text() == (tmp_path / "2.txt").read_text()
