"""Work spread over the CPU's cores, in worker processes.

See chapters ``neuromodulatory_tuning`` and ``nt_in_snn``-``calibration``.

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

Stopping: an interrupt (Ctrl-C, Jupyter's stop button) or any other
non-error exit while tasks run terminates the workers at once rather than
waiting for their simulations (:func:`stop_workers`); a worker stopped by
SIGTERM first deletes the temporary file of any cache entry it was writing,
and a worker whose parent process has died (killed, say) exits within a
fraction of a second, so no worker outlives the process that started it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from ntlib.cache import remove_unfinished_writes

T = TypeVar("T")
R = TypeVar("R")


#: How often a worker checks that its parent process is still alive (s).
PARENT_CHECK_S = 0.2
#: How long a stopped worker may take to exit on SIGTERM before SIGKILL (s).
STOP_GRACE_S = 0.5


def _stop_worker(signum: int, frame: object) -> None:
    # SIGTERM: no half-written cache entry stays behind, then exit at once
    # (a running simulation is not waited for).  The handler imports nothing
    # and ignores a second SIGTERM (the pool's own manager may send one): it
    # may run in the middle of any import, torch's in _start_worker included.
    with contextlib.suppress(ValueError):  # not the main thread: the watcher
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        remove_unfinished_writes()
    finally:
        os._exit(128 + signum)


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_CHECK_S)
    _stop_worker(signal.SIGTERM, None)  # the parent is gone: so is its work


def _start_worker(parent_pid: int) -> None:
    # One torch thread; an interrupt (Ctrl-C reaches the whole process group,
    # Jupyter's stop button only the kernel) is the caller's to handle: it
    # stops the workers (stop_workers).  The workers die with their parent.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    import torch

    torch.set_num_threads(1)


#: The warning filter that quiets the resource tracker (see below).
_TRACKER_FILTER = "ignore:resource_tracker:UserWarning"


def _quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker without its shutdown warnings.

    The tracker, a process of its own, unlinks the semaphores of a pool that
    an interrupt or SIGTERM ended while it was starting or stopping, and then
    warns about each; the interrupt has already been reported in one line.
    It takes its warning filters from ``sys.warnoptions`` when it starts.
    """
    if _TRACKER_FILTER not in sys.warnoptions:
        sys.warnoptions.append(_TRACKER_FILTER)


#: Pools kept alive between calls, by number of workers: a spawned worker
#: takes seconds to import torch, so a chapter's grids share their workers.
_POOLS: dict[int, ProcessPoolExecutor] = {}


def shared_pool(workers: int) -> ProcessPoolExecutor:
    """The pool of ``workers`` spawned workers (one torch thread each) this process shares."""
    pool = _POOLS.get(workers)
    if pool is None:
        _quiet_resource_tracker()
        pool = _POOLS[workers] = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )
    return pool


def close_pools() -> None:
    """Stop the shared workers now (they also stop when this process exits)."""
    while _POOLS:
        _POOLS.popitem()[1].shutdown()


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate ``pool``'s workers now, running tasks and all (after an interrupt).

    Waiting tasks are cancelled; each worker gets SIGTERM, then SIGKILL if it
    is still alive after :data:`STOP_GRACE_S` (ngspice may hold it in C code).
    """
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        with contextlib.suppress(OSError, ValueError):
            worker.terminate()
    deadline = time.monotonic() + STOP_GRACE_S
    for worker in workers:
        with contextlib.suppress(OSError, ValueError, AssertionError):
            worker.join(max(0.0, deadline - time.monotonic()))
            if worker.is_alive():
                worker.kill()
                worker.join(1.0)


def stop_pools() -> None:
    """Terminate every shared pool's workers now (see :func:`stop_workers`)."""
    while _POOLS:
        stop_workers(_POOLS.popitem()[1])


@contextlib.contextmanager
def _children_ignore_sigint() -> Iterator[None]:
    # A worker spawned now starts with SIGINT blocked (the signal mask passes
    # to the new process, across exec too), so a Ctrl-C while it imports
    # torch prints nothing from it.  The caller still hears a Ctrl-C: another
    # of its threads (the pool's) takes the signal, and Python raises it here.
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """A Ctrl-C in this block is acted on when it ends, not in the middle.

    Stopping the workers must not be cut short by a second Ctrl-C: workers
    left running would keep the caller's exit waiting for their tasks.  (A
    signal mask cannot do this: the pool's threads would take the signal.)
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        if callable(previous):
            previous(signal.SIGINT, None)
        elif previous != signal.SIG_IGN:
            raise KeyboardInterrupt


def map_processes(
    func: Callable[[T], R], items: Iterable[T], processes: int = 1
) -> list[R]:
    """``[func(item) for item in items]``, in ``processes`` worker processes if > 1.

    ``func`` must be importable (defined at module level in ntlib, or a
    ``functools.partial`` of such a function); results keep the items' order.
    The workers stay up for the next call (:func:`shared_pool`).  An error in
    a task reaches the caller; the pool is then dropped, its waiting tasks
    cancelled, and the next call starts fresh workers.  An interrupt
    (KeyboardInterrupt, SystemExit) terminates the workers at once
    (:func:`stop_workers`) instead of waiting for their running tasks.
    """
    items = list(items)
    if processes <= 1 or len(items) <= 1:
        return [func(item) for item in items]
    pool = None
    try:
        pool = shared_pool(processes)
        with _children_ignore_sigint():
            results = pool.map(func, items)  # submits all, spawning workers
        return list(results)
    except BaseException as error:
        _POOLS.pop(processes, None)
        if pool is not None:
            if isinstance(error, Exception):
                pool.shutdown(wait=False, cancel_futures=True)
            else:
                with _sigint_deferred():
                    stop_workers(pool)
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
