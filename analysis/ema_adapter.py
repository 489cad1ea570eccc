"""EMA workbench 3 adapter: a sweep SPEC as an EMA ``ReplicatorModel`` over mcsim runs.

Why an adapter outside the engines (DESIGN §7): EMA workbench drives plain Python functions
(keywords in, dict out). The SPEC already says what EMA needs, in EMA's vocabulary: *levers*
(policy instruments, e.g. eligibility rules), *uncertainties* (behavioural parameters, with the
presets' assumption ranges) and *outcomes* (KPIs, with the direction declared in ``model.kpis``).
So one file defines a study for both ``mcsim sweep`` (resumable, Dask) and EMA's
``perform_experiments`` with PRIM scenario discovery.

Seeds are inputs, as in EMA's own examples: each replication is a ``{"replication": r}`` dict and
the run seed is derived from the run's identity (scenario hash, design point, replication) exactly as
``mcsim sweep`` derives it, so the same point gives the same KPIs whichever tool ran it. ::

    from ema_workbench import SequentialEvaluator
    from analysis.ema_adapter import ema_model, lever_policies

    model = ema_model("examples/sweeps/fi_eligibility.yaml")
    with SequentialEvaluator(model) as ev:
        experiments, outcomes = ev.perform_experiments(scenarios=50, policies=lever_policies(model.spec))

EMA workbench is an optional dependency (``pip install 'mcsim[ema]'``).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np

from analysis.sweep import evaluate, run_seed
from analysis.sweep_spec import Factor, SweepSpec, load_spec, point_id
from model.kpis import KPIS
from model.params import ScenarioError

__all__ = ["McsimFunction", "ema_model", "lever_policies", "uncertainty_scenarios", "RESERVED_NAMES"]

_log = logging.getLogger(__name__)

#: Names EMA uses itself (experiment columns, the replication key): not usable for factors.
RESERVED_NAMES = frozenset({"scenario", "policy", "model", "replication"})


def _plain(value: Any) -> Any:
    """NumPy scalars (EMA samples) to Python values, so point ids match ``mcsim sweep``'s."""
    return value.item() if isinstance(value, np.generic) else value


def replication_mean(values: Any) -> float:
    """Mean over replications, ignoring NaN (a ratio with no denominator); NaN if all are."""
    a = np.asarray(values, dtype=float).ravel()
    a = a[~np.isnan(a)]
    return float(a.mean()) if a.size else math.nan


class McsimFunction:
    """The function EMA calls: factor values by name (and ``replication``) in, KPIs out.

    Picklable, so EMA's ``MultiprocessingEvaluator`` can ship it to worker processes. A
    combination the scenario refuses gives NaN outcomes and a logged warning, as a failed run is
    recorded by ``mcsim sweep``; the experiment goes on.
    """

    def __init__(self, spec: SweepSpec) -> None:
        self.scenario = str(spec.scenario)
        self.constants = dict(spec.constants)
        self.keys = {f.name: f.key for f in spec.factors}
        self.integer = {f.name for f in spec.factors if f.is_range and f.integer}
        self.seed = spec.seed
        self.scenario_hash = spec.scenario_hash
        self.common = spec.common_random_numbers
        self.deadweight = spec.deadweight
        self.outcomes = tuple(spec.outcomes)

    def overrides(self, values: dict[str, Any]) -> dict[str, Any]:
        """Dotted-key overrides of one experiment (unknown names are refused)."""
        unknown = sorted(set(values) - set(self.keys))
        if unknown:
            raise TypeError(f"unknown factor(s) {unknown}; the model has {sorted(self.keys)}")
        out = {}
        for name, value in values.items():
            value = _plain(value)
            out[self.keys[name]] = int(value) if name in self.integer else value
        return out

    def __call__(self, replication: int = 0, **values: Any) -> dict[str, float]:
        """Run one replication of one experiment; returns ``{outcome: value}``."""
        overrides = self.overrides(values)
        seed = run_seed(self.seed, self.scenario_hash, point_id(overrides), int(replication), self.common)
        try:
            whole = evaluate(self.scenario, {**self.constants, **overrides}, seed, self.deadweight)
        except ScenarioError as exc:
            _log.warning("mcsim run refused (outcomes NaN): %s", exc)
            return dict.fromkeys(self.outcomes, math.nan)
        return {k: float(whole[k]) for k in self.outcomes}


def _parameter(f: Factor) -> Any:
    from ema_workbench import CategoricalParameter, IntegerParameter, RealParameter

    if not f.is_range:
        return CategoricalParameter(f.name, list(f.values or ()))
    if f.integer:
        return IntegerParameter(f.name, int(f.low), int(f.high))
    return RealParameter(f.name, f.low, f.high)


def _outcome(name: str) -> Any:
    from ema_workbench import ScalarOutcome

    direction = {k.name: k.direction for k in KPIS}[name]
    kind = {"max": ScalarOutcome.MAXIMIZE, "min": ScalarOutcome.MINIMIZE}.get(direction, ScalarOutcome.INFO)
    return ScalarOutcome(name, kind=kind, function=replication_mean)


def ema_model(spec: SweepSpec | str | Path, name: str | None = None) -> Any:
    """An EMA ``ReplicatorModel`` for a SPEC (or a SPEC path): levers, uncertainties, outcomes.

    Outcomes are the mean over the SPEC's replications. The SPEC stays on the model as ``spec``.
    Raises ``ValueError`` when a factor's name is one EMA reserves, or without uncertainties.
    """
    from ema_workbench import ReplicatorModel

    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec)
    if not spec.uncertainties:
        # EMA workbench 3.0 reuses the empty scenario across policies and then refuses the overlap
        raise ValueError(
            f"{spec.path}: EMA workbench needs at least one uncertainty; `mcsim sweep` runs levers alone"
        )
    model = ReplicatorModel(name or _identifier(spec.name), function=McsimFunction(spec))
    for f in spec.factors:
        if f.name in RESERVED_NAMES or hasattr(model, f.name):
            raise ValueError(
                f"{spec.path}: {f.key}: name {f.name!r} is reserved by EMA workbench; give it another 'name'"
            )
    model.levers = [_parameter(f) for f in spec.levers]
    model.uncertainties = [_parameter(f) for f in spec.uncertainties]
    model.outcomes = [_outcome(k) for k in spec.outcomes]
    model.replications = [{"replication": r} for r in range(spec.replications)]
    model.spec = spec
    return model


def _identifier(text: str) -> str:
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in text) or "mcsim"
    return out if out.isidentifier() else f"mcsim_{out}"


def _samples(prefix: str, factors: list[Factor], design: dict[str, dict[str, Any]]) -> list[Any]:
    from ema_workbench import Sample

    names = {f.key: f.name for f in factors}
    return [
        Sample(f"{prefix}{i}", **{names[k]: v for k, v in values.items()})
        for i, values in enumerate(design.values())
    ]


def lever_policies(spec: SweepSpec) -> list[Any]:
    """The SPEC's lever design (e.g. every eligibility rule) as EMA policies."""
    design = {p.policy_id: {f.key: p.values[f.key] for f in spec.levers} for p in spec.points()}
    return _samples("policy_", spec.levers, design)


def uncertainty_scenarios(spec: SweepSpec) -> list[Any]:
    """The SPEC's uncertainty design as EMA scenarios (the same worlds ``mcsim sweep`` runs)."""
    design = {}
    for p in spec.points():
        values = {f.key: p.values[f.key] for f in spec.uncertainties}
        design[point_id(values)] = values
    return _samples("world_", spec.uncertainties, design)
