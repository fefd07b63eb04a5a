"""Grading a large export in patient-complete chunks, in bounded memory (issue #17).

After the first pass (:mod:`crs.batch.survey`), the records are read again and cut into
chunks that hold every record of their patients: in an export grouped by patient (the
usual case) a chunk is a run of blocks cut where a patient ends; otherwise the records
are first written to temporary partition files, each holding the patients of one range
of the output order (patients in order of first appearance, docs/architecture.md §1.1),
so that the partitions graded in turn give the rows in the order a whole read gives.

Each chunk is the file's header and its own records, bytes as written, read by the same
reader with the whole file's decisions (:mod:`crs.read.decided`) and its records' own
line numbers, and graded by the same pure function. Temporary files are removed on the
way out, also after an error or Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from crs.batch.records import BLOCK_BYTES, Block, blocks
from crs.batch.survey import Survey
from crs.read.decided import Decided, fixed
from crs.read.mapping import ColumnMapping
from crs.read.reader import Export, read_export

#: Rows of a partition when the export is not grouped by patient.
PARTITION_ROWS = 250_000


@dataclass(frozen=True)
class Chunk:
    """Records of whole patients: the header and their bytes, and their file lines."""

    data: bytes
    lines: np.ndarray
    rows: int
    patients: tuple[str, str] = ("", "")  # its first and last patient in output order


def read_chunk(chunk: Chunk, decided: Decided, label: str, mapping: ColumnMapping | None) -> Export:
    """The chunk read as the whole file would read its rows."""
    with fixed(replace(decided, lines=chunk.lines)):
        return read_export(chunk.data, name=label, mapping=mapping)


def chunks(
    path: Path,
    found: Survey,
    *,
    block_bytes: int = BLOCK_BYTES,
    partition_rows: int = PARTITION_ROWS,
    workdir: Path | None = None,
) -> Iterator[Chunk]:
    """The file's records in patient-complete chunks, in output order."""
    if found.contiguous and _rank_follows_file(found):
        yield from _runs(path, found, block_bytes)
        return
    else:
        yield from _partitions(path, found, block_bytes, partition_rows, workdir)


def _rank_follows_file(found: Survey) -> bool:
    """Whether patients come in the file in their output order."""
    starts = np.concatenate(([True], found.codes[1:] != found.codes[:-1]))
    ranks = found.rank[found.codes[starts]]
    return bool(np.all(np.diff(ranks) > 0))


def _runs(path: Path, found: Survey, block_bytes: int) -> Iterator[Chunk]:
    """Blocks cut where a patient ends; the last patient of a block goes on to the next."""
    header = found.header
    pending: list[tuple[Block, np.ndarray]] = []
    at = 0
    first = 0  # the chunk's first record in the file

    def chunk_of(pieces: list[tuple[Block, np.ndarray]]) -> Chunk:
        nonlocal first
        made = _chunk(header, pieces)
        codes = found.codes[first : first + made.rows]
        first += made.rows
        return replace(made, patients=_named(found, codes))

    for block in blocks(path, header, block_bytes):
        # Where a patient starts in this block (0: the block starts a new patient).
        codes = found.codes[max(at - 1, 0) : at + len(block)]
        starts = np.flatnonzero(codes[1:] != codes[:-1]) + (0 if at else 1)
        at += len(block)
        last = at == found.rows
        if last or len(starts):
            cut = len(block) if last else int(starts[-1])
            if cut:
                pending.append((block, np.arange(cut)))
            yield chunk_of(pending)
            pending = [(block, np.arange(cut, len(block)))] if cut < len(block) else []
        else:
            pending.append((block, np.arange(len(block))))
    if pending:
        yield chunk_of(pending)


def _chunk(header: bytes, pieces: list[tuple[Block, np.ndarray]]) -> Chunk:
    data = header + b"".join(block.take(rows) for block, rows in pieces)
    lines = np.concatenate([block.lines[rows] for block, rows in pieces])
    return Chunk(data, lines, len(lines))


def _partitions(
    path: Path, found: Survey, block_bytes: int, partition_rows: int, workdir: Path | None
) -> Iterator[Chunk]:
    """Records written to one temporary file per range of patients, then read back."""
    part_of = _partition_of_patient(found, partition_rows)
    count = int(part_of.max()) + 1 if len(part_of) else 0
    folder = Path(tempfile.mkdtemp(prefix="crs-partitions-", dir=workdir))
    try:
        at = 0
        for block in blocks(path, found.header, block_bytes):
            parts = part_of[found.codes[at : at + len(block)]]
            at += len(block)
            order = np.argsort(parts, kind="stable")
            bounds = np.flatnonzero(np.diff(parts[order])) + 1
            for rows in np.split(order, bounds):
                if len(rows):
                    _append(folder, int(parts[rows[0]]), block.take(rows), block.lines[rows])
        for part in range(count):
            records = folder / f"{part}.csv"
            if not records.exists():
                continue
            data = found.header + records.read_bytes()
            lines = np.fromfile(folder / f"{part}.lines", dtype="int64")
            records.unlink()
            (folder / f"{part}.lines").unlink()
            mine = np.flatnonzero(part_of == part)
            yield Chunk(data, lines, len(lines), _named(found, mine))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _named(found: Survey, codes: np.ndarray) -> tuple[str, str]:
    """The first and the last of these patients in output order, by id."""
    if len(codes) == 0:
        return ("", "")
    ranks = found.rank[codes]
    return found.names[int(codes[np.argmin(ranks)])], found.names[int(codes[np.argmax(ranks)])]


def _partition_of_patient(found: Survey, partition_rows: int) -> np.ndarray:
    """Partition number per patient: consecutive ranges of the output order, of about
    ``partition_rows`` records each."""
    rows = np.bincount(found.codes, minlength=len(found.rank))
    by_rank = np.argsort(found.rank, kind="stable")
    before = np.concatenate(([0], np.cumsum(rows[by_rank])[:-1]))
    part = np.empty(len(rows), dtype="int64")
    part[by_rank] = before // max(partition_rows, 1)
    return part


def _append(folder: Path, part: int, data: bytes, lines: np.ndarray) -> None:
    with (folder / f"{part}.csv").open("ab") as out:
        out.write(data)
    with (folder / f"{part}.lines").open("ab") as out:
        lines.astype("int64").tofile(out)


@contextlib.contextmanager
def written_at_the_end(target: Path, folder: bool = False) -> Iterator[Path]:
    """A temporary name next to ``target`` (a file, or a ``folder``), renamed to it when
    the block ends well and removed otherwise: a partial output never looks complete."""
    target = Path(target)
    if folder and target.exists() and any(target.iterdir()):
        raise FileExistsError(
            f"{target} already exists and is not empty: name a new folder for the output."
        )
    prefix, suffix = f".{target.name}.", ".partial"
    if folder:
        temporary = Path(tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=target.parent))
    else:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=target.parent)
        os.close(fd)
        temporary = Path(name)
    try:
        yield temporary
    except BaseException:
        _remove(temporary)
        raise
    if folder and target.exists():
        target.rmdir()  # empty (checked above): the complete output takes its place
    os.replace(temporary, target)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
