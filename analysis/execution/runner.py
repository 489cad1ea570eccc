"""The Runner: opens an executor, runs a list of jobs on it, and yields their outcomes in job order.

Why outcomes come back in job order whatever finished first: callers fold results (sums over
replications, float32 trajectories) in that order, so a table never depends on which worker was
faster. Progress is reported as jobs finish, and a store saves each as it finishes, so a kill loses
at most the jobs still running.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from typing import Any

from analysis.execution.executors import EXECUTORS, ExecutionError, SequentialExecutor, open_executor
from analysis.execution.jobs import Job, JobError, Outcome, perform
from analysis.execution.store import ResultStore

__all__ = ["MAX_IN_FLIGHT", "Runner"]

#: Jobs submitted ahead of the ones finished: bounds memory (and Dask's task graph) in a long batch.
MAX_IN_FLIGHT = 10_000


class Runner:
    """Runs jobs in this process, in local processes or on Dask; a context manager that owns its pool.

    Args:
        jobs: Local processes, or LocalCluster workers (``--jobs``); one local job runs here.
        executor: ``local`` or ``dask``; default ``local``, or ``dask`` when a scheduler is given.
        scheduler: A Dask scheduler address or scheduler file (``--scheduler``).
        pool: A ``concurrent.futures`` executor to use instead (owned by the caller).

    Raises:
        ExecutionError: A bad combination of the above.
    """

    def __init__(
        self,
        jobs: int = 1,
        executor: str | None = None,
        scheduler: str | None = None,
        *,
        pool: Executor | None = None,
    ) -> None:
        if jobs < 1:
            raise ExecutionError("--jobs must be at least 1")
        if executor == "local" and scheduler:
            raise ExecutionError("--scheduler is an address of a Dask scheduler: use it with --executor dask")
        kind = executor or ("dask" if scheduler else "local")
        if kind not in EXECUTORS:
            raise ExecutionError(f"unknown executor {kind!r}; expected {' or '.join(EXECUTORS)}")
        self.kind, self.scheduler, self.jobs = kind, scheduler, jobs
        self._pool = pool
        self._given = pool is not None
        self._stack: contextlib.ExitStack | None = None
        #: jobs run so far (finished, failed or lost)
        self.runs = 0

    def __enter__(self) -> Runner:
        if self._pool is None:
            self._stack = contextlib.ExitStack()
            self._pool = self._stack.enter_context(open_executor(self.kind, self.scheduler, self.jobs))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack, self._pool = None, None

    @property
    def executor(self) -> Executor:
        """The open executor (this process for one local job, even outside a ``with`` block)."""
        if self._pool is None:
            if self.kind == "local" and self.jobs == 1:
                return SequentialExecutor()
            raise ExecutionError("open the Runner first: `with Runner(...) as runner:`")
        return self._pool

    @property
    def parallel(self) -> bool:
        """Whether jobs run outside this process."""
        return not isinstance(self.executor, SequentialExecutor)

    def describe(self) -> dict[str, Any]:
        """Where the jobs run, for manifests: executor kind, scheduler and jobs."""
        kind = type(self._pool).__name__ if self._given else self.kind
        return {"executor": kind, "scheduler": self.scheduler, "jobs": self.jobs}

    def __str__(self) -> str:
        if self.kind == "dask":
            where = self.scheduler or f"a local cluster of {self.jobs} worker(s)"
            return f"Dask ({where})"
        return "this process" if self.jobs == 1 else f"{self.jobs} local processes"

    def run(
        self,
        jobs: Iterable[Job],
        *,
        on_done: Callable[[Outcome], object] | None = None,
        store: ResultStore | None = None,
        retry_failed: bool = False,
        record_failures: bool = False,
        window: int = MAX_IN_FLIGHT,
    ) -> Iterator[Outcome]:
        """Run the jobs; yield their outcomes in job order.

        Args:
            jobs: The jobs, each with its own seed.
            on_done: Called with each outcome as soon as its job finishes (and is saved).
            store: Save each finished job to its own file there; jobs already there are not run
                (failed ones again only with ``retry_failed``).
            retry_failed: Run again the jobs the store holds as failed.
            record_failures: A job that raises becomes an outcome with its error, and a job the
                executor loses an outcome marked ``lost``; otherwise both raise here.
            window: At most this many jobs submitted ahead (one for a sequential executor, whose
                ``submit`` runs the job, so each result is saved before the next job starts).
        """
        ex = self.executor
        todo = list(jobs) if store is None else store.pending(jobs, retry_failed)
        limit = 1 if isinstance(ex, SequentialExecutor) else max(1, window)
        queue = iter(enumerate(todo))
        futures: dict[Future, tuple[int, Job]] = {}
        ready: dict[int, Outcome] = {}
        following = 0
        try:
            while True:
                for i, job in itertools.islice(queue, limit - len(futures)):
                    futures[ex.submit(perform, job, record_failures)] = (i, job)
                if not futures:
                    break
                finished, _ = wait(futures, return_when=FIRST_COMPLETED)
                for fut in sorted(finished, key=lambda f: futures[f][0]):
                    i, job = futures.pop(fut)
                    outcome = self._outcome(job, fut, record_failures)
                    if store is not None and not outcome.lost:
                        store.save(outcome)
                    self.runs += 1
                    if on_done:
                        on_done(outcome)
                    ready[i] = outcome
                while following in ready:
                    yield ready.pop(following)
                    following += 1
        finally:
            for fut in futures:
                fut.cancel()

    def map(self, jobs: Iterable[Job], on_done: Callable[[Outcome], object] | None = None) -> list[Any]:
        """The value of every job, in job order (any failure raises)."""
        return [o.value for o in self.run(jobs, on_done=on_done)]

    @staticmethod
    def _outcome(job: Job, fut: Future, record_failures: bool) -> Outcome:
        if not record_failures:
            return fut.result()
        try:
            return fut.result()
        except Exception as exc:  # noqa: BLE001 (the executor lost the job: done again on resume)
            return Outcome(job.key, None, JobError(type(exc).__name__, str(exc), ""), lost=True)
