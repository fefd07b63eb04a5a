"""The local engine on this machine's cores: `crs grade --jobs N` (issue #17).

The first pass surveys blocks of the export, and the second pass reads and grades
patient-complete chunks, each a pure function of its own bytes (and the whole file's
decisions). With ``--jobs N`` above 1 a pool of N worker processes (forked from this one,
so nothing is imported again) does that work; this process reads the file, cuts the
blocks and chunks, merges the surveys and writes the graded parts, always in file order,
so the output is byte for byte that of one process. A few items are in flight at a time
(one more than there are workers), so memory stays bounded: a worker holds one block or
chunk at a time, this process the few parts waiting to be written.

Workers ignore Ctrl-C (this process handles it, as with one process); when the run ends
with an error or Ctrl-C, the workers are stopped before the temporary files are removed,
so none of them can write one afterwards. A worker that fails or is lost ends the run
with :class:`WorkerFailure`, which names the patients of the chunk it held.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from crs.batch.records import NotChunkable
from crs.errors import UnusableExportError

#: Errors a worker raises that mean what they mean in one process (a clear message for
#: the user, or a file read whole instead): passed on unchanged.
PASSED_ON = (UnusableExportError, NotChunkable, OSError)


class WorkerFailure(Exception):
    """A chunk could not be graded by a worker (the message names its patients)."""


def default_jobs() -> int:
    """Worker processes by default: two, or one on a one-core machine."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(2, cores))


class Pool:
    """Worker processes that run a function over items, giving results in item order."""

    def __init__(self, start: Callable[[], ProcessPoolExecutor], jobs: int) -> None:
        self.start = start
        self.jobs = jobs
        self.executor: ProcessPoolExecutor | None = None

    def in_order(
        self,
        work: Callable,
        items: Iterable,
        *shared,
        numbered: bool = False,
        held: Callable[[object], str] | None = None,
        last: bool = False,
    ) -> Iterator[tuple[object, object]]:
        """``(item, work(item, *shared))`` for each item, in order; with ``numbered``,
        the item's number is passed last. ``held(item)`` names what a failed item held.
        ``last``: the workers end once the last result is in (their memory is returned
        before the run's report is put together; a later call starts new ones)."""
        if self.executor is None:
            self.executor = self.start()
        queue: deque[tuple[object, Future]] = deque()
        for index, item in enumerate(items):
            extra = (index,) if numbered else ()
            queue.append((item, self.executor.submit(work, item, *shared, *extra)))
            if len(queue) <= self.jobs:
                continue
            yield _result(*queue.popleft(), held)
        while queue:
            yield _result(*queue.popleft(), held)
        if last:
            self.close()

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True)
            self.executor = None


def _result(item, future: Future, held) -> tuple[object, object]:
    try:
        return item, future.result()
    except PASSED_ON:
        raise
    except BrokenProcessPool as exc:
        raise WorkerFailure(_failed(item, held, "a worker process was lost")) from exc
    except Exception as exc:
        raise WorkerFailure(_failed(item, held, f"{type(exc).__name__}: {str(exc)[:200]}")) from exc


def _failed(item, held, why: str) -> str:
    what = held(item) if held is not None else "a block of the export"
    return f"{what} failed in a worker process ({why}); nothing was written."


@contextlib.contextmanager
def worker_pool(jobs: int) -> Iterator[Pool | None]:
    """A pool of ``jobs`` worker processes (None for one: work in this process), stopped
    at the end; on an error or Ctrl-C stopped at once."""
    if jobs <= 1:
        yield None
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pool = Pool(
        lambda: ProcessPoolExecutor(jobs, mp_context=context, initializer=_ignore_ctrl_c), jobs
    )
    try:
        yield pool
    except BaseException:
        if pool.executor is not None:
            _stop(pool.executor)
        raise
    pool.close()


def _ignore_ctrl_c() -> None:
    """In a worker: Ctrl-C is for the main process (which stops the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(executor: ProcessPoolExecutor) -> None:
    # The executor has no public way to end running work (Python 3.14 adds one):
    # its worker processes are ended directly.
    processes = list((getattr(executor, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(5)
    # A worker ended while sending its graded part leaves the executor's reader waiting
    # for the rest of that message, and a forked pool's only other write end is this
    # process's own: closing it ends the wait (EOF), so the shutdown below returns
    # instead of hanging on Ctrl-C (seen with --jobs 2, Python 3.11).
    with contextlib.suppress(Exception):
        executor._result_queue._writer.close()
    executor.shutdown(wait=True, cancel_futures=True)
