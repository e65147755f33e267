"""Work spread over the CPU's cores, in worker processes (chapters 2 and 6-11).

The book's networks are small, and one CPU thread trains one fastest: a
second thread mostly waits.  So two cores are used by two worker processes
with one thread each, every (task, seed) or circuit in its own task.  ngspice
is one global instance per process, so parallel simulations need processes
as well, never threads.

Workers are started with ``spawn``: a worker forked from a Jupyter kernel
inherits the kernel's messaging threads and sockets, and the kernel was seen
to stop answering after such workers exited.  Every task the book sends seeds
its own random numbers, so a result does not depend on which worker ran it or
how many workers there were: ``processes=1`` (everything in the calling
process) gives the same numbers.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def _start_worker() -> None:
    # One torch thread; an interrupt (Jupyter's stop button, or the kernel
    # shutting down) is the caller's to handle: it cancels the waiting tasks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import torch

    torch.set_num_threads(1)


#: Pools kept alive between calls, by number of workers: a spawned worker
#: takes seconds to import torch, so a chapter's grids share their workers.
_POOLS: dict[int, ProcessPoolExecutor] = {}


def shared_pool(workers: int) -> ProcessPoolExecutor:
    """The pool of ``workers`` spawned workers (one torch thread each) this process shares."""
    pool = _POOLS.get(workers)
    if pool is None:
        pool = _POOLS[workers] = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
        )
    return pool


def close_pools() -> None:
    """Stop the shared workers now (they also stop when this process exits)."""
    while _POOLS:
        _POOLS.popitem()[1].shutdown()


def map_processes(
    func: Callable[[T], R], items: Iterable[T], processes: int = 1
) -> list[R]:
    """``[func(item) for item in items]``, in ``processes`` worker processes if > 1.

    ``func`` must be importable (defined at module level in ntlib, or a
    ``functools.partial`` of such a function); results keep the items' order.
    The workers stay up for the next call (:func:`shared_pool`).  An error in
    a task reaches the caller; the pool is then dropped, its waiting tasks
    cancelled, and the next call starts fresh workers.
    """
    items = list(items)
    if processes <= 1 or len(items) <= 1:
        return [func(item) for item in items]
    pool = shared_pool(processes)
    try:
        return list(pool.map(func, items))
    except BaseException:
        _POOLS.pop(processes, None)
        pool.shutdown(wait=False, cancel_futures=True)
        raise


def _call(call: Callable[[], R]) -> R:
    return call()


def run_calls(calls: Iterable[Callable[[], R]], processes: int = 1) -> list[R]:
    """Results of zero-argument calls (``functools.partial`` objects), in order.

    Example:
        >>> from functools import partial
        >>> run_calls([partial(pow, 2, 3), partial(pow, 3, 2)])
        [8, 9]
    """
    return map_processes(_call, calls, processes)
