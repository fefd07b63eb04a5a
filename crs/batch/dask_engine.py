"""`crs grade --engine dask`: the same chunks graded on a Dask cluster (issue #17).

The client (this process) reads the export and sends it to the workers twice, as the
local engine sends it to its worker processes (:mod:`crs.batch.pool`): blocks for the
first pass (:mod:`crs.batch.survey`; the client merges the workers' findings in file
order and takes the whole file's decisions), then patient-complete chunks, each the
file's own bytes with their line numbers (:mod:`crs.batch.chunked`), which the workers
read and grade with the same pure function (:func:`crs.batch.engine.grade_chunk`) and
encode as the output holds them (:mod:`crs.batch.encoded`); the client writes the parts
in order, so the output is that of a single-process run. A few blocks or chunks are in
flight at a time (two per worker thread), so the client's memory stays bounded too;
local workers get chunks of a share of ``--chunk-mb`` (they share this machine's memory).

Without ``--scheduler`` a :class:`distributed.LocalCluster` is started on this machine
(one single-threaded worker process per core) and stopped at the end. Workers need the
``crs`` package installed (the same version); they need no access to the export or the
output, which travel through the cluster.

A chunk that fails on a worker (a bug, a worker lost) ends the run with the range of
patients it held; the output, written under a temporary name, is removed.
"""

from __future__ import annotations

import contextlib
import warnings
from collections import deque
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
    grade_chunks,
    patients_of,
    survey_of,
    write_parts,
)
from crs.batch.pool import PASSED_ON, WorkerFailure
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
def connected(cluster: Cluster) -> Iterator[object]:
    """A ``distributed.Client`` of the cluster (a LocalCluster started and stopped here)."""
    from distributed import Client, LocalCluster  # only this engine needs Dask

    if cluster.scheduler:
        with Client(cluster.scheduler) as client:
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
        yield client


def _dashboard(cluster: Cluster, client) -> str:
    if cluster.scheduler:
        return f"Dask cluster at {cluster.scheduler}; dashboard: {client.dashboard_link}"
    return f"Dask LocalCluster, {cluster.workers} workers; dashboard: {client.dashboard_link}"


def grade_on_dask(request: Request, cluster: Cluster, say=None, client=None) -> Graded:
    """Grade ``request.source`` on the cluster into ``request.output`` (on ``client``,
    a ``distributed.Client`` already connected, when given)."""
    if client is None and not cluster.scheduler:
        # Local workers share this machine's memory: each gets chunks of a share of the
        # size, as the local engine's worker processes do.
        request = replace(request, block_bytes=max(request.block_bytes // cluster.workers, 1))
    with contextlib.nullcontext(client) if client is not None else connected(cluster) as on:
        pool = DaskPool(on)
        try:
            found = survey_of(request, pool)
        except (NotChunkable, UnusableExportError) as exc:
            # Read whole here, as without a cluster: the same output, or the same clear
            # message for a file that cannot be used.
            graded = _grade_whole(request)
            if say is not None and isinstance(exc, NotChunkable):
                say(f"{request.label} was read whole on this machine ({exc}).")
            return graded
        if say is not None:
            # Once the file is known to be graded on the cluster (a file that cannot be
            # used gets the same message, and nothing else, with every engine).
            say(_dashboard(cluster, on))
        try:
            return _grade(pool, request, found, found.with_day)
        except _DayGuessed as guess:
            return _grade(pool, request, found, guess.had_day)


class DaskPool:
    """The cluster's workers running a function over items, results in item order (the
    interface of :class:`crs.batch.pool.Pool`); a few items in flight at a time (two per
    worker thread), so this machine's memory stays bounded too."""

    def __init__(self, client) -> None:
        self.client = client
        self.in_flight = 2 * max(sum(client.nthreads().values()), 1)

    def in_order(self, work, items, *shared, numbered: bool = False, held=None, last=False):
        # ``last`` is for local worker processes: a cluster's workers stay.
        queue: deque[tuple[object, object]] = deque()
        try:
            for index, item in enumerate(items):
                extra = (index,) if numbered else ()
                with warnings.catch_warnings():
                    # A chunk is meant to travel with its task (a few megabytes).
                    warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
                    submitted = self.client.submit(work, item, *shared, *extra, pure=False)
                queue.append((item, submitted))
                if len(queue) < self.in_flight:
                    continue
                yield _result(*queue.popleft(), held)
            while queue:
                yield _result(*queue.popleft(), held)
        finally:
            for _, future in queue:
                future.cancel()


def _result(item, future, held) -> tuple[object, object]:
    from distributed import wait

    wait(future)
    if future.status != "finished":
        try:
            exc = future.exception()
        except Exception as lost:  # the worker itself was lost
            exc = lost
        if isinstance(exc, PASSED_ON):
            raise exc
        what = held(item) if held is not None else "a block of the export"
        why = f"{type(exc).__name__}: {str(exc)[:200]}"
        raise WorkerFailure(f"{what} failed on the cluster ({why}); nothing was written.")
    result = future.result()
    future.release()
    return item, result


def _grade(pool: DaskPool, request: Request, found: Survey, with_day: bool) -> Graded:
    if not is_dataset_name(request.output):
        # Workers encode their parts (crs.batch.encoded); this machine writes them.
        return grade_chunks(request, found, with_day, pool)
    # A dataset: each worker writes the parts it grades (the folder must be one the
    # workers can reach); the folder gets its name once every part is written.
    attributions = _attributions(request, found.decided.axis)
    shared = (found.decided, request.label, request.mapping, attributions)
    target = Path(request.output.rstrip("/\\"))
    with written_at_the_end(target, folder=True) as folder:
        graded = pool.in_order(
            _grade_shared,
            _chunks_of(found, request),
            shared,
            with_day,
            folder,
            numbered=True,
            held=patients_of,
        )
        parts = (part for _, part in graded)
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


def _grade_shared(chunk: Chunk, shared: tuple, with_day: bool, folder: Path, index: int) -> Part:
    """On a worker: grade the chunk into ``folder`` as part ``index``."""
    part = grade_chunk(chunk, *shared, with_day)
    write_part(part.table, folder / part_name(index))
    return replace(part, table=None)
