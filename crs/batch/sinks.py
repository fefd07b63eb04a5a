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


def arrow_table(table: pd.DataFrame, schema: pa.Schema | None = None) -> pa.Table:
    """The graded table in Arrow: categoricals of text as plain text (the Parquet file
    dictionary-encodes them), one schema for every part."""
    plain = table.astype(
        {c: "str" for c, dtype in table.dtypes.items() if isinstance(dtype, pd.CategoricalDtype)}
    )
    arrow = pa.Table.from_pandas(plain, preserve_index=False)
    if schema is None:
        fields = [
            pa.field(f.name, pa.large_string()) if pa.types.is_string(f.type) else f
            for f in arrow.schema
        ]
        schema = pa.schema(fields)
    return arrow.cast(schema)


class ParquetSink:
    """Parts of one Parquet file, written as row groups."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer: pq.ParquetWriter | None = None

    def write(self, table: pd.DataFrame) -> None:
        arrow = arrow_table(table, self.writer.schema if self.writer else None)
        if self.writer is None:
            self.writer = pq.ParquetWriter(
                self.path, arrow.schema, use_dictionary=True, compression="zstd"
            )
        self.writer.write_table(arrow)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class DatasetSink:
    """A Parquet dataset: one file per part (part-00000.parquet …), one schema."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.schema: pa.Schema | None = None
        self.count = 0

    def write(self, table: pd.DataFrame) -> None:
        arrow = arrow_table(table, self.schema)
        self.schema = arrow.schema
        pq.write_table(
            arrow,
            self.folder / f"part-{self.count:05d}.parquet",
            use_dictionary=True,
            compression="zstd",
        )
        self.count += 1

    def close(self) -> None:
        pass
