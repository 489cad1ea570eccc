"""The one execution layer: runs and replications of runs, in this process, local processes or Dask.

Why one layer (DESIGN §6): run/compare, the ensemble, calibration, sensitivity and sweeps all map a
list of independent runs over workers. Each run is a :class:`Job`, a pure call of a task on (scenario,
seed, engine, options) whose seed is part of the job, never taken from its position in a queue, so
every executor gives identical results. A :class:`Runner` opens the executor (``concurrent.futures``:
a spawned local process pool, or Dask distributed at a scheduler address or on a LocalCluster),
yields outcomes in the order of the jobs, and, given a :class:`ResultStore`, saves each finished job to
its own file so that a killed batch resumes with only the missing jobs.

Nothing heavy is imported here (the command line stays fast): the model and pandas are imported
where a job runs or a store writes.
"""

from analysis.execution.executors import ExecutionError, SequentialExecutor, open_executor
from analysis.execution.jobs import Job, JobError, Outcome, perform, whole_kpis
from analysis.execution.runner import Runner
from analysis.execution.store import ResultStore, write_atomic

__all__ = [
    "ExecutionError",
    "Job",
    "JobError",
    "Outcome",
    "ResultStore",
    "Runner",
    "SequentialExecutor",
    "open_executor",
    "perform",
    "whole_kpis",
    "write_atomic",
]
