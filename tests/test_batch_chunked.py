"""Chunked grading gives the whole read's output and report (issue #17).

Every comparison grades one file twice through ``crs.batch.engine.grade_file``: once in
blocks larger than the file (read whole, as `crs grade` always did) and once in blocks
of a few hundred bytes, so that patients are split across block boundaries, and in
partitions of a few rows when the patients are scattered through the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from crs.batch.chunked import chunks
from crs.batch.survey import survey
from tests.batch_exports import NO_SHRINK, assert_same, grade, messy_exports
from tests.fixtures_hostile import messy_tables

WHOLE = 1 << 40
_SETTINGS = NO_SHRINK


def _both(tmp: Path, data: bytes, block_bytes: int, partition_rows: int = 3):
    path = tmp / "export.csv"
    path.write_bytes(data)
    whole = grade(path, WHOLE, tmp / "whole.csv")
    chunked = grade(path, block_bytes, tmp / "chunked.csv", partition_rows=partition_rows)
    return path, whole, chunked


@settings(max_examples=40, **_SETTINGS)
@given(export=messy_exports(), block_bytes=st.integers(150, 900), partition_rows=st.integers(1, 9))
def test_chunked_grading_writes_the_same_bytes_and_report_as_a_whole_read(
    tmp_path_factory, export, block_bytes, partition_rows
) -> None:
    tmp = tmp_path_factory.mktemp("chunked")
    path, whole, chunked = _both(tmp, export.data, block_bytes, partition_rows)
    assert_same(whole, chunked)
    if whole.error is not None:
        return  # e.g. no readable time at all: the same clear message both ways
    # The file really was cut: every record in exactly one chunk, every patient's
    # records in one chunk, and several chunks when several patients fill many blocks.
    found = survey(path, path.name, None, block_bytes)
    parts = list(chunks(path, found, block_bytes=block_bytes, partition_rows=partition_rows))
    lines = np.concatenate([c.lines for c in parts])
    assert sorted(lines.tolist()) == list(range(2, export.rows + 2))
    patient_of_line = dict(zip(range(2, export.rows + 2), found.codes.tolist(), strict=True))
    owners = [{patient_of_line[int(line)] for line in c.lines} for c in parts]
    for i, mine in enumerate(owners):
        assert not any(mine & theirs for theirs in owners[i + 1 :])
    if len(export.data) > 3 * block_bytes and len(set(found.codes.tolist())) > 2:
        assert len(parts) > 1


@settings(max_examples=120, **_SETTINGS)
@given(data=messy_tables(), block_bytes=st.integers(20, 200))
def test_hostile_tables_end_the_same_way_whole_and_in_chunks(tmp_path_factory, data, block_bytes):
    tmp = tmp_path_factory.mktemp("hostile")
    _, whole, chunked = _both(tmp, data, block_bytes)
    assert_same(whole, chunked)
