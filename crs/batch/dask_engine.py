"""`crs grade --engine dask`: the same chunks graded on a Dask cluster (issue #17).

The client (this process) takes the whole file's decisions in the first pass
(:mod:`crs.batch.survey`) and cuts the export into patient-complete chunks, each the
file's own bytes with their line numbers (:mod:`crs.batch.chunked`); the chunks go to
the workers, which read and grade them with the same pure function
(:func:`crs.batch.engine.grade_chunk`); the client writes the graded parts in order, so
the rows are those of a single-process run. A few chunks are in flight at a time (two per
worker thread), so the client's memory stays bounded too.

Without ``--scheduler`` a :class:`distributed.LocalCluster` is started on this machine
(one single-threaded worker process per core) and stopped at the end. Workers need the
``crs`` package installed (the same version); they need no access to the export or the
output, which travel through the cluster.

A chunk that fails on a worker (a bug, a worker lost) ends the run with the range of
patients it held; the output, written under a temporary name, is removed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from crs.batch.chunked import Chunk, chunks, written_at_the_end
from crs.batch.engine import (
    Graded,
    Part,
    Request,
    _attributions,
    _DayGuessed,
    _grade_whole,
    grade_chunk,
    survey_of,
    write_parts,
)
from crs.batch.pool import WorkerFailure
from crs.batch.records import NotChunkable
from crs.batch.sinks import DatasetSink, is_dataset_name, part_name, write_part
from crs.batch.survey import Survey
from crs.errors import UnusableExportError

__all__ = ["Cluster", "WorkerFailure", "connected", "grade_on_dask"]


@dataclass(frozen=True)
class Cluster:
    """Where to grade: an existing scheduler's address, or None for a LocalCluster."""

    scheduler: str | None = None
    workers: int = 2  # local workers (processes), when no scheduler is given


@contextlib.contextmanager
def connected(cluster: Cluster, say=None) -> Iterator[object]:
    """A ``distributed.Client`` of the cluster (a LocalCluster started and stopped here)."""
    from distributed import Client, LocalCluster  # only this engine needs Dask

    if cluster.scheduler:
        with Client(cluster.scheduler) as client:
            if say is not None:
                say(f"Dask cluster at {cluster.scheduler}; dashboard: {client.dashboard_link}")
            yield client
        return
    with (
        LocalCluster(
            n_workers=cluster.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            host="127.0.0.1",
        ) as local,
        Client(local) as client,
    ):
        if say is not None:
            say(f"Dask LocalCluster, {cluster.workers} workers; dashboard: {client.dashboard_link}")
        yield client


def grade_on_dask(request: Request, cluster: Cluster, say=None, client=None) -> Graded:
    """Grade ``request.source`` on the cluster into ``request.output`` (on ``client``,
    a ``distributed.Client`` already connected, when given)."""
    try:
        found = survey_of(request)
    except (NotChunkable, UnusableExportError) as exc:
        # Read whole here, as without a cluster: the same output, or the same clear
        # message for a file that cannot be used.
        graded = _grade_whole(request)
        if say is not None and isinstance(exc, NotChunkable):
            say(f"{request.label} was read whole on this machine ({exc}).")
        return graded
    with contextlib.nullcontext(client) if client is not None else connected(cluster, say) as on:
        try:
            return _grade(on, request, found, found.with_day)
        except _DayGuessed as guess:
            return _grade(on, request, found, guess.had_day)


def _grade(client, request: Request, found: Survey, with_day: bool) -> Graded:
    attributions = _attributions(request, found.decided.axis)
    shared = client.scatter(
        (found.decided, request.label, request.mapping, attributions), broadcast=True
    )
    in_flight = 2 * max(sum(client.nthreads().values()), 1)
    if not is_dataset_name(request.output):
        parts = _in_order(client, _chunks_of(found, request), shared, with_day, in_flight)
        return write_parts(request, found, parts, with_day)
    # A dataset: each worker writes the parts it grades (the folder must be one the
    # workers can reach); the folder gets its name once every part is written.
    target = Path(request.output.rstrip("/\\"))
    with written_at_the_end(target, folder=True) as folder:
        parts = _in_order(client, _chunks_of(found, request), shared, with_day, in_flight, folder)
        return write_parts(
            request, found, parts, with_day, contextlib.nullcontext(DatasetSink(folder))
        )


def _chunks_of(found: Survey, request: Request) -> Iterator[Chunk]:
    return chunks(
        request.source,
        found,
        block_bytes=request.block_bytes,
        partition_rows=request.partition_rows,
    )


def _grade_shared(
    chunk: Chunk, shared: tuple, with_day: bool, folder: Path | None, index: int
) -> Part:
    """On a worker: grade the chunk; into ``folder`` as part ``index`` when given."""
    decided, label, mapping, attributions = shared
    part = grade_chunk(chunk, decided, label, mapping, attributions, with_day)
    if folder is None:
        return part
    write_part(part.table, folder / part_name(index))
    return replace(part, table=None)


def _in_order(
    client,
    pending: Iterator[Chunk],
    shared,
    with_day: bool,
    in_flight: int,
    folder: Path | None = None,
):
    """Graded parts in the chunks' order, at most ``in_flight`` chunks on the cluster."""
    from distributed import wait

    queue: list[tuple[object, tuple[str, str]]] = []
    pending = iter(pending)
    done = False
    submitted = 0
    try:
        while queue or not done:
            while not done and len(queue) < in_flight:
                chunk = next(pending, None)
                if chunk is None:
                    done = True
                    break
                future = client.submit(
                    _grade_shared, chunk, shared, with_day, folder, submitted, pure=False
                )
                submitted += 1
                queue.append((future, chunk.patients))
            if not queue:
                break
            future, patients = queue.pop(0)
            wait(future)
            if future.status != "finished":
                raise WorkerFailure(_failure(patients, future))
            yield future.result()
            future.release()
    finally:
        for future, _ in queue:
            future.cancel()


def _failure(patients: tuple[str, str], future) -> str:
    try:
        exc = future.exception()
        why = f"{type(exc).__name__}: {str(exc)[:200]}"
    except Exception as lost:  # the worker itself was lost
        why = f"{type(lost).__name__}: {str(lost)[:200]}"
    first, last = patients
    return (
        f"grading patients {first} to {last} (in the order of the output) failed on the "
        f"cluster ({why}); nothing was written."
    )
