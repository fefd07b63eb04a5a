"""A CSV export cut into records without parsing it (issue #17).

A record ends at a line feed outside quotes: the number of ``"`` bytes before it is
even (RFC 4180 doubles a quote inside a quoted cell, which keeps the count even). The
file is read in blocks of whole records, and each record keeps the file line it
starts on (header = line 1), counted as :mod:`crs.decode` counts them, so every
reported cell of a chunk names the file's own line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Bytes read at a time (a block holds whole records: it ends at a record's end).
BLOCK_BYTES = 16 * 1024 * 1024


class NotChunkable(Exception):
    """The file is read whole instead (the reason says why; the output is the same)."""


@dataclass(frozen=True)
class Block:
    """Whole records of the file: ``data[starts[i]:ends[i]]`` is record i (its line
    end included), starting on file line ``lines[i]``; empty lines are left out, as
    the table reader leaves them out."""

    data: bytes
    starts: np.ndarray
    ends: np.ndarray
    lines: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)

    def take(self, rows: np.ndarray) -> bytes:
        """The bytes of records ``rows`` (in that order), each ending in a line feed."""
        if len(rows) == 0:
            return b""
        if np.all(np.diff(rows) == 1):
            return _terminated(self.data[self.starts[rows[0]] : self.ends[rows[-1]]])
        view = memoryview(self.data)
        return _terminated(
            b"".join(view[a:b] for a, b in zip(self.starts[rows], self.ends[rows], strict=True))
        )


def _terminated(data: bytes) -> bytes:
    return data if data.endswith(b"\n") else data + b"\n"


def read_header(path: Path) -> bytes:
    """The header record, its line end included."""
    with path.open("rb") as stream:
        head = stream.read(1024 * 1024)
    if b"\r" in head and b"\n" not in head:
        raise NotChunkable("old Mac line ends (CR only)")
    ends = _record_ends(np.frombuffer(head, dtype=np.uint8))
    if len(ends) == 0:
        raise NotChunkable("no line end in the first megabyte")
    return head[: ends[0] + 1]


def blocks(path: Path, header: bytes, block_bytes: int = BLOCK_BYTES) -> Iterator[Block]:
    """The file's data records in blocks of about ``block_bytes``."""
    header_lines = header.count(b"\n") + (header.count(b"\r") - header.count(b"\r\n"))
    line = 1 + header_lines
    with path.open("rb") as stream:
        stream.seek(len(header))
        rest = b""
        while True:
            chunk = stream.read(block_bytes)
            data = rest + chunk
            if not data:
                return
            arr = np.frombuffer(data, dtype=np.uint8)
            feeds = np.flatnonzero(arr == 10)
            ends = _record_ends(arr, feeds)
            if chunk and len(ends) == 0:
                rest = data  # a record longer than a block: read on
                continue
            cut = (ends[-1] + 1) if chunk else len(data)
            rest = data[cut:] if chunk else b""
            # Each byte is looked at once: the line feeds and record ends found here are
            # those of the block (it ends at a record's end).
            feeds = feeds[: np.searchsorted(feeds, cut)]
            block = _block(data[:cut], line, feeds, ends[: np.searchsorted(ends, cut)])
            line += len(feeds)
            if len(block):
                yield block
            if not chunk:
                return


def _record_ends(arr: np.ndarray, feeds: np.ndarray | None = None) -> np.ndarray:
    """Positions of the line feeds that end a record (an even number of quotes before)."""
    feeds = np.flatnonzero(arr == 10) if feeds is None else feeds
    quotes = np.flatnonzero(arr == 34)
    if len(quotes) == 0:
        return feeds
    return feeds[np.searchsorted(quotes, feeds) % 2 == 0]


def _block(data: bytes, first_line: int, feeds: np.ndarray, record_ends: np.ndarray) -> Block:
    """The block's records, from its line feeds and the line feeds that end a record."""
    arr = np.frombuffer(data, dtype=np.uint8)
    ends = record_ends + 1
    if len(ends) == 0 or ends[-1] != len(data):
        ends = np.append(ends, len(data)).astype("int64")
    starts = np.concatenate(([0], ends[:-1])).astype("int64")
    lines = first_line + np.searchsorted(feeds, starts)  # line feeds before each record
    size = ends - starts
    # Empty lines (LF or CRLF alone) are not rows, as for the table reader.
    blank = (size == 1) | ((size == 2) & (arr[np.minimum(starts, len(arr) - 1)] == 13))
    blank &= size > 0
    keep = ~blank & (size > 0)
    if b"\r" in data:
        # CR alone as a line end would be a line for the reader but not here.
        lone_cr = np.flatnonzero(arr == 13)
        if len(lone_cr) and np.any(arr[np.minimum(lone_cr + 1, len(arr) - 1)] != 10):
            raise NotChunkable("carriage returns without line feeds")
    return Block(data, starts[keep], ends[keep], lines[keep].astype("int64"))
