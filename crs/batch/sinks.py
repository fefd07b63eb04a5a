"""Where graded tables go, part after part: CSV (the default, the same bytes as one
whole write) or Parquet (issue #17; text columns dictionary-encoded)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from crs.safe_csv import write_large_csv


def is_parquet_name(name: str) -> bool:
    return str(name).lower().endswith((".parquet", ".pq"))


def is_dataset_name(name: str) -> bool:
    """``OUT/`` (or an existing folder): a Parquet dataset, one file per part."""
    return str(name).endswith(("/", "\\")) or Path(name).is_dir()


class CsvSink:
    """Parts of one CSV: the header once, then every part's rows."""

    def __init__(self, stream: io.BufferedIOBase) -> None:
        self.stream = stream
        self.started = False

    def write(self, table: pd.DataFrame) -> None:
        write_large_csv(table, self.stream, header=not self.started)
        self.started = True

    def close(self) -> None:
        self.stream.flush()


#: Arrow types of the graded table's columns (crs.treatment.pipeline.output_table): one
#: schema for every part, whichever chunk it comes from.
GRADED_TYPES: dict[str, pa.DataType] = {
    "patient_id": pa.large_string(),
    "time": pa.large_string(),
    "day": pa.float64(),
    "grade": pa.int64(),
    "drivers": pa.large_string(),
    "unknown": pa.large_string(),
    "ne_eq_ug_min": pa.float64(),
    "explanation": pa.large_string(),
    "recommendation": pa.large_string(),
    "alerts": pa.large_string(),
    # astct.md §5: the consensus grades beside Lee's.
    "astct_grade": pa.int64(),
    "astct_drivers": pa.large_string(),
    "icans_grade": pa.int64(),
    "icans_drivers": pa.large_string(),
    "icans_unknown": pa.large_string(),
}


def arrow_table(table: pd.DataFrame) -> pa.Table:
    """The graded table in Arrow, typed by :data:`GRADED_TYPES`.

    Categoricals of text come over as Arrow dictionaries (codes and categories, no text
    per row) and the cast to the schema decodes them in Arrow; the Parquet file
    dictionary-encodes its text columns again. Casting them to ``str`` in pandas first
    cost a second per million rows (issue #17) for the same cells.
    """
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    schema = pa.schema([pa.field(name, GRADED_TYPES[name]) for name in arrow.column_names])
    return arrow.cast(schema)


def write_part(table: pd.DataFrame, path: Path) -> None:
    """One part of a Parquet dataset."""
    pq.write_table(arrow_table(table), path, use_dictionary=True, compression="zstd")


class ParquetSink:
    """Parts of one Parquet file, written as row groups."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer: pq.ParquetWriter | None = None

    def write(self, table: pd.DataFrame) -> None:
        arrow = arrow_table(table)
        if self.writer is None:
            self.writer = pq.ParquetWriter(
                self.path, arrow.schema, use_dictionary=True, compression="zstd"
            )
        self.writer.write_table(arrow)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class DatasetSink:
    """A Parquet dataset: one file per part (part-00000.parquet …)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def write(self, table: pd.DataFrame | None) -> None:
        if table is not None:  # None: a worker wrote the part itself (crs.batch.dask_engine)
            write_part(table, self.folder / part_name(self.count))
        self.count += 1

    def close(self) -> None:
        pass


def part_name(index: int) -> str:
    return f"part-{index:05d}.parquet"
