"""The Mesa model: agents own the state; each weekly phase borrows it as arrays and returns it.

Why lend-and-return: the decision rules are written once, as array functions shared with the vector
engine (DESIGN §4). Each phase declares what it reads and writes; the model gathers exactly those
attributes from its agents (in agent-index order), runs the phase, and writes back what the phase
may change. A phase that touches an undeclared attribute fails loudly, so the declarations stay true.
Randomness comes from keyed streams, never from ``model.random``, so agent order cannot matter.
"""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any

import mesa
import numpy as np

from model.compiled import Compiled
from model.engines.mesa.agents import SME, Funder, ModerationPanel, Provider, Worker
from model.events import EventLog
from model.phases import PHASES, run_week
from model.state import (
    FIELDS,
    STATIC,
    ActorArrays,
    Globals,
    Status,
    World,
    initial_counts,
    width_of,
)
from model.streams import Streams
from model.synthesis import synthesise

__all__ = ["MicroCredentialModel"]

_ACTOR_CLASS = {"workers": Worker, "smes": SME, "providers": Provider}


class MicroCredentialModel(mesa.Model):
    """Micro-credential uptake with state in Mesa agents.

    Args:
        compiled: The compiled scenario (``model.compiled.compile_scenario``).
        seed: The run seed; it keys every random stream.
    """

    def __init__(self, compiled: Compiled, seed: int = 0) -> None:
        super().__init__(rng=seed)
        self.config = compiled  # not ``scenario``: that name is Mesa's own property
        self.streams = Streams(seed)
        self.log = EventLog()
        self.phase_seconds = {name: 0.0 for name, _ in PHASES}
        self.cache: dict[str, object] = {}
        self._lent_copies: dict[tuple[str, str], np.ndarray] = {}
        self.year = -1
        self._entry_carry: np.ndarray | None = None
        self._firm_entry_carry = 0.0
        world = synthesise(compiled, self.streams)
        self.initial = initial_counts(world)
        self.employed_at_start = (world.workers.firm >= 0) & world.workers.active
        self.actors: dict[str, list[mesa.Agent]] = {}
        for actor, cls in _ACTOR_CLASS.items():
            arrays = getattr(world, actor)
            state = {name: _per_agent(getattr(arrays, name)) for name in FIELDS[actor]}
            agents = cls.create_agents(self, arrays.n, index=list(range(arrays.n)), **state)
            self.actors[actor] = list(agents)
        self.panel = ModerationPanel(self, compiled.cfg.moderation.assessors)
        self.funders = [Funder(self, i.id, i.kind) for i in compiled.instruments]
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "aware_smes": lambda m: sum(a.aware for a in m.agents_by_type[SME]),
                "accepting_smes": lambda m: sum(a.accepts for a in m.agents_by_type[SME]),
                "in_training": lambda m: sum(a.status == Status.TRAINING for a in m.agents_by_type[Worker]),
                "audit_queue": lambda m: sum(a.status == Status.AUDIT for a in m.agents_by_type[Worker]),
            }
        )

    # -- lending state to the phases -------------------------------------------------------------
    def _lend(self, fields: set[str]) -> World:
        lent: dict[str, ActorArrays] = {}
        k = self.config.n_instruments
        for actor in _ACTOR_CLASS:
            agents = self.actors[actor]
            arrays = {}
            for name in (f.split(".", 1)[1] for f in fields if f.startswith(actor + ".")):
                dtype, width = FIELDS[actor][name]
                if width:
                    rows = [getattr(a, name) for a in agents]
                    arrays[name] = np.array(rows, dtype=dtype).reshape(len(agents), width_of(width, k))
                else:
                    arrays[name] = np.fromiter(
                        (getattr(a, name) for a in agents), dtype=dtype, count=len(agents)
                    )
            lent[actor] = ActorArrays.lent(actor, len(agents), k, arrays)
        self._lent_copies = {
            (actor, name): getattr(arr, name).copy() for actor, arr in lent.items() for name in arr._store
        }
        pool = np.array([f.pool for f in self.funders] or [0.0], dtype=np.float64)
        glob = Globals(
            pool=pool,
            panel_carry=self.panel.carry,
            year=self.year,
            entry_carry=self._entry_carry,
            firm_entry_carry=self._firm_entry_carry,
        )
        return World(lent["workers"], lent["smes"], lent["providers"], glob, self.cache)

    def _take_back(self, world: World, fields: set[str]) -> None:
        for actor, cls in _ACTOR_CLASS.items():
            agents = self.actors[actor]
            arr = getattr(world, actor)
            names = [f.split(".", 1)[1] for f in fields if f.startswith(actor + ".")]
            old_n = len(agents)
            for name in names:
                values = getattr(arr, name)[:old_n]
                differs = values != self._lent_copies[(actor, name)]
                changed = np.flatnonzero(differs.any(axis=1) if values.ndim == 2 else differs)
                if FIELDS[actor][name][1]:
                    for i in changed.tolist():
                        setattr(agents[i], name, values[i].copy())
                else:
                    for i, v in zip(changed.tolist(), values[changed].tolist(), strict=True):
                        setattr(agents[i], name, v)
            if arr.n > old_n:  # entrants: new agents with the state the phase gave them
                state = {name: _per_agent(getattr(arr, name)[old_n:]) for name in FIELDS[actor]}
                born = cls.create_agents(self, arr.n - old_n, index=list(range(old_n, arr.n)), **state)
                agents.extend(born)
            if "active" in names:  # leavers leave the model; their last state stays for the log
                for i in np.flatnonzero(~arr.active[:old_n] & self._lent_copies[(actor, "active")]):
                    agents[i].remove()
        for f, pool in zip(self.funders, world.globals.pool, strict=False):
            f.pool = float(pool)
        self.panel.carry = world.globals.panel_carry
        self.year = world.globals.year
        self._entry_carry = world.globals.entry_carry
        self._firm_entry_carry = world.globals.firm_entry_carry

    # -- the week ---------------------------------------------------------------------------------
    def step(self) -> None:
        """Run the weekly phases in their fixed order, then collect data."""
        run_week(self.config, self._phase)
        self.datacollector.collect(self)

    def _phase(self, name: str, phase: ModuleType, taken: dict[str, Any]) -> Any:
        """Lend the phase what it declares, run it, take back what it may write."""
        week = self.steps - 1  # Mesa 3 increments ``steps`` before calling ``step``
        t0 = time.perf_counter()
        world = self._lend(phase.READS | phase.WRITES)
        out = phase.run(world, self.config, self.streams, week, self.log, **taken)
        self._take_back(world, phase.WRITES)
        self.phase_seconds[name] += time.perf_counter() - t0
        return out

    def _static(self, actor: str, attr: str) -> np.ndarray:
        dtype = FIELDS[actor][attr][0]
        return np.array([getattr(a, attr) for a in self.actors[actor]], dtype=dtype)

    def population(self) -> dict[str, np.ndarray]:
        """Static attributes of workers and firms, for KPIs and funders' breakdowns."""
        return {name: np.asarray(self._static(actor, attr)) for name, (actor, attr) in STATIC.items()}


def _per_agent(values: np.ndarray) -> list:
    """Split an actor array into one Python value (or row) per agent."""
    if values.ndim == 2:
        return [row.copy() for row in values]
    return values.tolist()
