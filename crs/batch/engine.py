"""`python -m crs grade` over a file of any size on this machine (issue #17).

:func:`grade_file` reads a small file whole, as always; a large one in patient-complete
chunks (:mod:`crs.batch.chunked`), with the same output, byte for byte, and the same
data-quality report. A file whose whole-file decisions cannot be fixed for its chunks
(:class:`~crs.batch.records.NotChunkable`: a workbook, UTF-16 or Latin-1 text, the long
layout, dates such as 05/03/2024 …) is read whole.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from crs.batch.chunked import PARTITION_ROWS, Chunk, chunks, read_chunk, written_at_the_end
from crs.batch.encoded import encode, encoded, output_form
from crs.batch.pool import Pool, worker_pool
from crs.batch.progress import Progress
from crs.batch.records import BLOCK_BYTES, NotChunkable
from crs.batch.reports import merge_reports
from crs.batch.sinks import (
    CsvSink,
    DatasetSink,
    ParquetSink,
    is_dataset_name,
    is_parquet_name,
)
from crs.batch.survey import Survey, survey, survey_block
from crs.errors import UnusableExportError
from crs.read.coverage import DOMAINS, missing_domains
from crs.read.decided import Decided
from crs.read.mapping import ColumnMapping
from crs.read.quality import QualityReport
from crs.read.reader import read_export
from crs.scales.attribution import read_attributions
from crs.treatment.pipeline import grade_to_table


@dataclass(frozen=True)
class Graded:
    """What a run leaves besides its output: the report and the domains never charted."""

    report: QualityReport
    missing: list


@dataclass(frozen=True)
class Request:
    """One `crs grade` run (the command line's arguments)."""

    source: Path
    output: str  # a path, or "-" for standard output
    patients: Path | None = None
    patient_id: str | None = None
    mapping: ColumnMapping | None = None
    overrides: Path | None = None
    block_bytes: int = BLOCK_BYTES
    partition_rows: int = PARTITION_ROWS
    progress: Progress | None = None
    name: str | None = None  # the export's name in messages (default: the file's name)
    jobs: int = 1  # worker processes (1: this process alone; crs.batch.pool)

    @property
    def label(self) -> str:
        return self.name or self.source.name


def grade_file(request: Request) -> Graded:
    """Grade ``request.source`` into ``request.output`` (see the module docstring)."""
    if _read_whole(request):
        return _grade_whole(request)
    if request.jobs > 1:
        # Each worker holds a chunk, and the collecting process what is in flight: chunks
        # of one share in N + 1 keep the memory of all of them within the bound (1.33 GB
        # at 10 M rows with two workers; 1.45 GB with chunks of one share in N).
        shares = request.jobs + 1
        request = replace(request, block_bytes=max(request.block_bytes // shares, 1))
    with worker_pool(request.jobs) as pool:
        try:
            found = survey_of(request, pool)
        except (NotChunkable, UnusableExportError):
            return _grade_whole(request)  # the whole read, and its clear message if any
        try:
            return grade_chunks(request, found, pool=pool)
        except _DayGuessed as guess:
            # The first pass guessed wrong whether any row has a day: write it again.
            return grade_chunks(request, found, guess.had_day, pool)


def survey_of(request: Request, pool: Pool | None = None) -> Survey:
    """The first pass over the request's export (:class:`NotChunkable` if it cannot be
    graded in chunks), its blocks surveyed by the ``pool``'s workers when given."""
    if request.patients is not None or request.patient_id is not None:
        raise NotChunkable("a patients table, or one named patient")
    found = survey(
        request.source,
        request.label,
        request.mapping,
        request.block_bytes,
        request.progress,
        None if pool is None else _surveyed_by(pool),
    )
    if request.progress is not None:
        request.progress.rows_total = found.rows
    return found


def _surveyed_by(pool: Pool):
    def surveyed(header, records, label, mapping):
        return pool.in_order(_survey_block, records, header, label, mapping, held=_lines_of)

    return surveyed


def _survey_block(block, header: bytes, label: str, mapping: ColumnMapping | None):
    return survey_block(header, block, label, mapping)


def _lines_of(block) -> str:
    return f"reading lines {int(block.lines[0]):,} to {int(block.lines[-1]):,}"


def _read_whole(request: Request) -> bool:
    if request.patients is not None or request.patient_id is not None:
        return True  # a second table, or one named patient: read whole
    try:
        return request.source.stat().st_size <= request.block_bytes
    except OSError:
        return True  # the whole read says what is wrong with the file


def _grade_whole(request: Request) -> Graded:
    export = read_export(
        request.source,
        name=request.name,
        patients=request.patients,
        patient_id=request.patient_id,
        mapping=request.mapping,
    )
    attributions = _attributions(request, export.axis)
    table = grade_to_table(export, attributions, categorical=True)
    with _sink(request.output) as sink:
        sink.write(table)
    if request.progress is not None:
        request.progress.graded(len(table), table["patient_id"].nunique())
    return Graded(export.report, missing_domains([export.frame]))


@dataclass(frozen=True)
class Part:
    """One chunk graded: its table, its report, and what the whole run needs to know."""

    #: None: written to the dataset where it was graded; bytes: encoded where it was
    #: graded (crs.batch.encoded)
    table: pd.DataFrame | bytes | None
    report: QualityReport
    had_day: bool  # a graded row has a day
    missing: list | None  # domains with no value in the chunk (None: no graded row)
    rows: int = 0
    patients: int = 0


def grade_chunk(
    chunk: Chunk,
    decided: Decided,
    label: str,
    mapping: ColumnMapping | None,
    attributions: pd.DataFrame | None,
    with_day: bool,
) -> Part:
    """Read and grade one patient-complete chunk (the same pure function, any engine)."""
    export = read_chunk(chunk, decided, label, mapping)
    frame = export.frame
    had_day = bool(len(frame)) and bool(frame["day"].notna().any())
    missing = missing_domains([frame]) if len(frame) else None
    table = grade_to_table(export, attributions, categorical=True, with_day=with_day)
    return Part(
        table, export.report, had_day, missing, len(table), int(table["patient_id"].nunique())
    )


def grade_chunks(
    request: Request, found: Survey, with_day: bool | None = None, pool: Pool | None = None
) -> Graded:
    with_day = found.with_day if with_day is None else with_day
    attributions = _attributions(request, found.decided.axis)
    shared = (found.decided, request.label, request.mapping, attributions)
    cut = chunks(
        request.source,
        found,
        block_bytes=request.block_bytes,
        partition_rows=request.partition_rows,
    )
    if pool is None:
        parts = (grade_chunk(chunk, *shared, with_day) for chunk in cut)
        return write_parts(request, found, parts, with_day)
    form = output_form(request.output)
    graded = pool.in_order(
        grade_encoded, cut, shared, with_day, form, numbered=True, held=patients_of, last=True
    )
    parts = (part for _, part in graded)
    return write_parts(request, found, parts, with_day, encoded(_sink(request.output)))


def grade_encoded(chunk: Chunk, shared: tuple, with_day: bool, form: str, index: int) -> Part:
    """In a worker: the chunk graded, its table encoded as the output holds it
    (:mod:`crs.batch.encoded`; part ``index`` 0 carries the CSV header)."""
    part = grade_chunk(chunk, *shared, with_day)
    return replace(part, table=encode(part.table, form, first=index == 0))


def patients_of(chunk: Chunk) -> str:
    first, last = chunk.patients
    return f"grading patients {first} to {last} (in the order of the output)"


def write_parts(request: Request, found: Survey, parts, with_day: bool, sink=None) -> Graded:
    """Write graded parts in order (to ``sink``, a context of an open sink, or the
    request's output); the whole file's report and missing domains."""
    reports: list[QualityReport] = []
    missing: list | None = None
    had_day = False
    with sink if sink is not None else _sink(request.output) as sink:
        for part in parts:
            reports.append(part.report)
            had_day |= part.had_day
            if part.missing is not None:
                missing = (
                    part.missing if missing is None else [d for d in missing if d in part.missing]
                )
            sink.write(part.table)
            if request.progress is not None:
                request.progress.graded(part.rows, part.patients)
        if found.decided.axis == "time" and had_day != with_day:
            raise _DayGuessed(had_day)
    return Graded(merge_reports(reports), [d for d in DOMAINS if d in (missing or [])])


class _DayGuessed(Exception):
    def __init__(self, had_day: bool) -> None:
        self.had_day = had_day


def _attributions(request: Request, axis: str) -> pd.DataFrame | None:
    return read_attributions(request.overrides, axis) if request.overrides else None


@contextlib.contextmanager
def _sink(output: str) -> Iterator[CsvSink | ParquetSink | DatasetSink]:
    """The output: CSV, Parquet or a Parquet dataset by its name, under a temporary name
    until complete; standard output (``-``) gets the CSV once it is complete, so that a
    second run of the chunks (:class:`_DayGuessed`) never repeats rows there."""
    if output == "-":
        with tempfile.TemporaryDirectory(prefix="crs-stdout-") as folder:
            written = Path(folder) / "graded.csv"
            with _sink(str(written)) as sink:
                yield sink
            with written.open("rb") as done:
                target = getattr(sys.stdout, "buffer", None)
                if target is not None:
                    sys.stdout.flush()
                    shutil.copyfileobj(done, target)
                    target.flush()
                else:
                    sys.stdout.write(done.read().decode("utf-8"))
        return
    dataset = is_dataset_name(output)
    with written_at_the_end(Path(output.rstrip("/\\")), folder=dataset) as temporary:
        if dataset:
            yield from _closing(DatasetSink(temporary))
        elif is_parquet_name(output):
            yield from _closing(ParquetSink(temporary))
        else:
            with temporary.open("wb") as stream:
                yield from _closing(CsvSink(stream))


def _closing(sink):
    try:
        yield sink
    finally:
        sink.close()
