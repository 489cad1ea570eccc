"""Vector engine: the world is the arrays; each week runs the shared phases over them."""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any

import numpy as np

from model.compiled import Compiled
from model.events import EventLog
from model.phases import PHASES, run_week
from model.state import STATIC, initial_counts
from model.streams import Streams
from model.synthesis import synthesise

__all__ = ["VectorModel"]


class VectorModel:
    """Runs the phases directly on the ``World`` arrays."""

    def __init__(self, compiled: Compiled, seed: int) -> None:
        self.config = compiled
        self.streams = Streams(seed)
        self.world = synthesise(compiled, self.streams)
        self.initial = initial_counts(self.world)
        self.employed_at_start = (self.world.workers.firm >= 0) & self.world.workers.active
        self.log = EventLog()
        self.steps = 0
        self.phase_seconds = {name: 0.0 for name, _ in PHASES}

    def step(self) -> None:
        """Advance one week."""
        run_week(self.config, self._phase)
        self.steps += 1

    def _phase(self, name: str, phase: ModuleType, taken: dict[str, Any]) -> Any:
        t0 = time.perf_counter()
        out = phase.run(self.world, self.config, self.streams, self.steps, self.log, **taken)
        self.phase_seconds[name] += time.perf_counter() - t0
        return out

    def _static(self, actor: str, attr: str) -> np.ndarray:
        return getattr(getattr(self.world, actor), attr).copy()

    def population(self) -> dict[str, np.ndarray]:
        """Static attributes of workers and firms, for KPIs and funders' breakdowns."""
        return {name: np.asarray(self._static(actor, attr)) for name, (actor, attr) in STATIC.items()}
