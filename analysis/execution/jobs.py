"""A job (one run: task, scenario, seed, engine, options) and its outcome, timed where it ran.

Why the scenario may be a file: a sweep or an ensemble member is a scenario file plus ``--set``
overrides, read in the worker, so what travels to a Dask worker is a few strings and an invalid
combination is found (and, in a sweep, recorded) where the run would have been.
"""

from __future__ import annotations

import platform
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Job", "JobError", "Outcome", "perform", "whole_kpis"]


@dataclass(frozen=True)
class Job:
    """One pure call ``task(config, seed, engine, **options)``; everything it needs is in the job.

    Attributes:
        task: A module-level function (picklable by reference), e.g. ``model.api.simulate``.
        scenario: A scenario config (``Scenario`` or ``Compiled``), or a scenario file read in the
            worker with ``overrides``.
        seed: The run's seed, derived from its identity by the caller.
        engine: ``vector`` or ``mesa``.
        overrides: ``--set`` texts applied to a scenario file.
        options: Keyword arguments of the task (``deadweight``, ``keep_events``, ...).
        key: The job's identity within its batch: the name of its result file in a store.
    """

    task: Callable[..., Any]
    scenario: Any
    seed: int
    engine: str = "vector"
    overrides: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    key: str = ""

    def __post_init__(self) -> None:
        if self.overrides and not isinstance(self.scenario, str | Path):
            raise ValueError(f"job {self.key!r}: overrides apply to a scenario file, not to a loaded config")

    def run(self) -> Any:
        """Read the scenario if it is a file, then call the task."""
        config = self.scenario
        if isinstance(config, str | Path):
            from model.params import load_scenario

            config = load_scenario(config, list(self.overrides)).config
        return self.task(config, self.seed, self.engine, **self.options)


@dataclass(frozen=True)
class JobError:
    """Why a job failed, as text that survives pickling (the exception itself may not)."""

    kind: str
    message: str
    trace: str
    invalid_scenario: bool = False

    @classmethod
    def of(cls, exc: BaseException) -> JobError:
        """Describe an exception caught where the job ran."""
        from model.params import ScenarioError

        return cls(
            type(exc).__name__, str(exc), traceback.format_exc(limit=-3), isinstance(exc, ScenarioError)
        )


@dataclass(frozen=True)
class Outcome:
    """What a job gave: its value, or the error it failed with, and where and how long it ran.

    ``lost`` means the executor lost the job (a worker died): nothing is known about the run
    itself, and a resumed batch does it again.
    """

    key: str
    value: Any = None
    error: JobError | None = None
    seconds: float = 0.0
    host: str = ""
    lost: bool = False

    @property
    def ok(self) -> bool:
        """The job ran and returned a value."""
        return self.error is None


def perform(job: Job, record_failures: bool = False) -> Outcome:
    """Run one job where the executor put it; with ``record_failures`` an exception becomes the outcome."""
    t0 = time.perf_counter()
    try:
        value = job.run()
    except Exception as exc:
        if not record_failures:
            raise
        return Outcome(job.key, None, JobError.of(exc), time.perf_counter() - t0, platform.node())
    return Outcome(job.key, value, None, time.perf_counter() - t0, platform.node())


def whole_kpis(config: Any, seed: int, engine: str, deadweight: bool = True) -> dict[str, float]:
    """Task: the whole-run KPIs of one run (sweeps, sensitivity, EMA)."""
    from model.api import simulate

    return simulate(config, seed, engine, deadweight=deadweight).whole
