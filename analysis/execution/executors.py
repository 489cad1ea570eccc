"""Where jobs run: this process, a spawned local process pool, or Dask distributed.

All three are ``concurrent.futures`` executors (Dask through ``Client.get_executor``): no scheduler
of our own. Local workers are spawned, not forked (forking a threaded parent can deadlock), with one
BLAS/OpenMP thread each, as Dask's nannies set it, so N workers do not oversubscribe N cores.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from concurrent.futures import Executor, Future
from pathlib import Path

__all__ = ["EXECUTORS", "ExecutionError", "SequentialExecutor", "open_executor"]

#: The executor kinds a user can name (``--executor``).
EXECUTORS = ("local", "dask")

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class ExecutionError(RuntimeError):
    """The jobs cannot be run as asked (a bad executor choice, an unreachable scheduler, a busy folder)."""


class SequentialExecutor(Executor):
    """Runs each job when submitted, in this process (``--jobs 1`` and tests)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:  # noqa: D102
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 (handed to the caller through the future)
            if isinstance(exc, KeyboardInterrupt):
                raise
            fut.set_exception(exc)
        return fut


@contextlib.contextmanager
def open_executor(kind: str = "local", scheduler: str | None = None, jobs: int = 1) -> Iterator[Executor]:
    """A ``concurrent.futures`` executor: this process, local processes, or Dask.

    Args:
        kind: ``local`` (``jobs`` spawned processes; with one job, this process) or ``dask``.
        scheduler: A Dask scheduler address (``tcp://host:8786``) or a scheduler file written by
            ``dask scheduler --scheduler-file FILE`` (the usual way inside an HPC batch job);
            without one, a LocalCluster of ``jobs`` single-threaded worker processes.
        jobs: Local processes, or LocalCluster workers.

    Raises:
        ExecutionError: An unknown kind, Dask not installed, or the scheduler cannot be reached.
    """
    if kind == "local":
        if jobs == 1:
            yield SequentialExecutor()
            return
        import multiprocessing  # here, not at the top: `mcsim --help` stays fast
        from concurrent.futures import ProcessPoolExecutor

        saved = {k: os.environ.get(k) for k in _THREAD_VARS}
        os.environ.update({k: "1" for k, v in saved.items() if v is None})
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))
        try:
            yield pool
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
        return
    if kind != "dask":
        raise ExecutionError(f"unknown executor {kind!r}; expected {' or '.join(EXECUTORS)}")
    with _dask_client(scheduler, jobs) as client:
        yield client.get_executor(pure=False)


@contextlib.contextmanager
def _dask_client(scheduler: str | None, jobs: int) -> Iterator:
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover (a dependency)
        raise ExecutionError(
            "the dask executor needs dask[distributed]: pip install 'dask[distributed]'"
        ) from None
    cluster = None
    try:
        if scheduler and Path(scheduler).is_file():  # `dask scheduler --scheduler-file FILE`
            client = Client(scheduler_file=scheduler, timeout="20s")
        elif scheduler:
            client = Client(scheduler, timeout="20s")
        else:
            cluster = LocalCluster(
                n_workers=jobs,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            )
            client = Client(cluster)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise ExecutionError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
