"""Graded parts encoded where they are graded, written as they are where they are
collected (issue #17, `crs grade --jobs N`).

A worker process turns its graded table into what the output holds (the CSV bytes, a
Parquet dataset's part file, or a Parquet file's row group) with
the same functions the sinks of :mod:`crs.batch.sinks` use, so the bytes are those of
one process; the main process only appends them, in order.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

import pandas as pd
import pyarrow.parquet as pq

from crs.batch.sinks import (
    CsvSink,
    DatasetSink,
    ParquetSink,
    is_dataset_name,
    is_parquet_name,
    part_name,
    write_part,
)
from crs.safe_csv import write_large_csv


def output_form(output: str) -> str:
    """ "csv", "parquet" or "dataset", as :func:`crs.batch.engine._sink` chooses."""
    if output == "-":
        return "csv"
    if is_dataset_name(output):
        return "dataset"
    return "parquet" if is_parquet_name(output) else "csv"


def encode(table: pd.DataFrame, form: str, first: bool) -> bytes:
    """The part as the output holds it: the CSV's bytes (``first``: with the header), or
    a Parquet file of its one row group (a part of a dataset as it is, or a row group of
    a Parquet output: compressed, it costs the collecting process little memory)."""
    written = io.BytesIO()
    if form == "csv":
        write_large_csv(table, written, header=first)
    else:
        write_part(table, written)
    return written.getvalue()


class EncodedSink:
    """Appends encoded parts to an open sink, as its own ``write`` would have."""

    def __init__(self, sink: CsvSink | ParquetSink | DatasetSink) -> None:
        self.sink = sink

    def write(self, encoded: bytes) -> None:
        sink = self.sink
        if isinstance(sink, CsvSink):
            sink.stream.write(encoded)
            sink.started = True
        elif isinstance(sink, DatasetSink):
            (sink.folder / part_name(sink.count)).write_bytes(encoded)
            sink.count += 1
        else:
            table = pq.read_table(io.BytesIO(encoded))
            if sink.writer is None:
                sink.writer = pq.ParquetWriter(
                    sink.path, table.schema, use_dictionary=True, compression="zstd"
                )
            sink.writer.write_table(table)


@contextlib.contextmanager
def encoded(opened) -> Iterator[EncodedSink]:
    """``opened`` (a context of an open sink) taking encoded parts."""
    with opened as sink:
        yield EncodedSink(sink)
