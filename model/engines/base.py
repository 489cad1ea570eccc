"""What an engine returns, and the switch between engines."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.compiled import Compiled

__all__ = ["EngineRun", "run_engine"]


@dataclass
class EngineRun:
    """One run: its event log, the static attributes KPIs need, and phase timings."""

    events: pd.DataFrame
    population: dict[str, np.ndarray]
    initial: dict[str, int]
    steps: int
    seconds: float
    phase_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def worker_woman(self) -> np.ndarray:
        """Gender of each worker id (static), for the women's-share KPI."""
        return self.population["worker.woman"]


def run_engine(
    engine: str,
    compiled: Compiled,
    seed: int,
    steps: int | None = None,
    on_step: Callable[[int], None] | None = None,
) -> EngineRun:
    """Run one replication on the named engine."""
    steps = compiled.cfg.horizon_weeks if steps is None else steps
    t0 = time.perf_counter()
    if engine == "mesa":
        from model.engines.mesa.model import MicroCredentialModel

        sim = MicroCredentialModel(compiled, seed=seed)
    elif engine == "vector":
        from model.engines.vector.model import VectorModel

        sim = VectorModel(compiled, seed=seed)
    else:
        raise ValueError(f"unknown engine {engine!r}; choose 'mesa' or 'vector'")
    for t in range(steps):
        sim.step()
        if on_step is not None:
            on_step(t)
    population = sim.population()
    at_start = np.zeros(len(population["worker.woman"]), dtype=bool)
    at_start[: len(sim.employed_at_start)] = sim.employed_at_start
    population["worker.employed_at_start"] = at_start  # who the run's employment counts start from
    return EngineRun(
        events=sim.log.to_frame(),
        population=population,
        initial=sim.initial,
        steps=steps,
        seconds=time.perf_counter() - t0,
        phase_seconds=dict(sim.phase_seconds),
    )
