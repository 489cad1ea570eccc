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

**Undefined KPIs.** A ratio KPI (or a mean-age stock) is ``NaN`` when its denominator is 0
(DESIGN §3: never 0, never dropped): ``women_share`` with no learner. Each such outcome ``k`` comes
with ``k_undefined``, the number of replications in which it was undefined. EMA's feature scoring
refuses ``NaN``, so ``ema_model(spec, nan_fill=-1.0)`` puts a code in place of an outcome that no
replication defines; see :func:`ema_model` for why the default keeps ``NaN``.

**PRIM.** Under pandas 3, EMA workbench 3.0's ``PrimBox.inspect()`` (styles ``"table"`` and
``"data"``) fails on any box that restricts a categorical factor such as the eligibility lever;
:func:`fix_prim_inspect` repairs it and :func:`ema_model` applies it.

EMA workbench is an optional dependency (``pip install 'mcsim[ema]'``).
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.sweep import evaluate, run_seed
from analysis.sweep_spec import Factor, SweepSpec, load_spec, point_id
from model.kpis import KPIS
from model.params import ScenarioError

__all__ = [
    "FilledMean",
    "McsimFunction",
    "ema_model",
    "fix_prim_inspect",
    "lever_policies",
    "uncertainty_scenarios",
    "undefined_count",
    "undefined_name",
    "RESERVED_NAMES",
    "MAY_BE_UNDEFINED",
]

_log = logging.getLogger(__name__)

#: Names EMA uses itself (experiment columns, the replication key): not usable for factors.
RESERVED_NAMES = frozenset({"scenario", "policy", "model", "replication"})

#: KPIs whose whole-run value divides by a count that can be 0: the ratios, and the two stocks that
#: are mean ages (``moderation_backlog_age_days``, ``in_pipeline_age_days``: nothing waiting).
MAY_BE_UNDEFINED = frozenset(k.name for k in KPIS if k.kind == "ratio" or k.unit == "days")


def undefined_name(outcome: str) -> str:
    """Name of the outcome counting the replications in which ``outcome`` was undefined."""
    return f"{outcome}_undefined"


def _plain(value: Any) -> Any:
    """NumPy scalars (EMA samples) to Python values, so point ids match ``mcsim sweep``'s."""
    return value.item() if isinstance(value, np.generic) else value


def replication_mean(values: Any) -> float:
    """Mean over replications, ignoring NaN (a ratio with no denominator); NaN if all are."""
    a = np.asarray(values, dtype=float).ravel()
    a = a[~np.isnan(a)]
    return float(a.mean()) if a.size else math.nan


def undefined_count(flags: Any) -> float:
    """Replications in which a KPI was undefined; NaN for a refused experiment (nothing ran)."""
    return float(np.sum(np.asarray(flags, dtype=float)))


class FilledMean:
    """Outcome function: the mean over replications that define the KPI, else the fill code.

    A refused experiment (every flag NaN: no replication ran) stays NaN: a failure is not an
    undefined ratio, and filling it would hide it.
    """

    def __init__(self, fill: float) -> None:
        self.fill = fill

    def __call__(self, values: Any, flags: Any) -> float:
        """Aggregate one experiment's replications."""
        if np.isnan(np.asarray(flags, dtype=float)).all():
            return math.nan
        mean = replication_mean(values)
        return self.fill if math.isnan(mean) else mean


class McsimFunction:
    """The function EMA calls: factor values by name (and ``replication``) in, KPIs out.

    Picklable, so EMA's ``MultiprocessingEvaluator`` can ship it to worker processes. A
    combination the scenario refuses gives NaN outcomes and a logged warning, as a failed run is
    recorded by ``mcsim sweep``; the experiment goes on. Each outcome that may be undefined also
    gives ``undefined_name(k)``: 1.0 when the run left it undefined, 0.0 when it measured it.
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
        """Run one replication of one experiment; returns ``{outcome: value}`` and the flags."""
        overrides = self.overrides(values)
        seed = run_seed(self.seed, self.scenario_hash, point_id(overrides), int(replication), self.common)
        try:
            whole = evaluate(self.scenario, {**self.constants, **overrides}, seed, self.deadweight)
        except ScenarioError as exc:
            _log.warning("mcsim run refused (outcomes NaN): %s", exc)
            kpis = dict.fromkeys(self.outcomes, math.nan)
            return kpis | {undefined_name(k): math.nan for k in self.outcomes if k in MAY_BE_UNDEFINED}
        kpis = {k: float(whole[k]) for k in self.outcomes}
        flags = {undefined_name(k): float(math.isnan(kpis[k])) for k in kpis if k in MAY_BE_UNDEFINED}
        return kpis | flags


def _parameter(f: Factor) -> Any:
    from ema_workbench import CategoricalParameter, IntegerParameter, RealParameter

    if not f.is_range:
        return CategoricalParameter(f.name, list(f.values or ()))
    if f.integer:
        return IntegerParameter(f.name, int(f.low), int(f.high))
    return RealParameter(f.name, f.low, f.high)


def _outcomes(name: str, fill: float | None) -> list[Any]:
    """The EMA outcome(s) of one KPI: itself, and its undefined count if it may be undefined."""
    from ema_workbench import ScalarOutcome

    direction = {k.name: k.direction for k in KPIS}[name]
    kind = {"max": ScalarOutcome.MAXIMIZE, "min": ScalarOutcome.MINIMIZE}.get(direction, ScalarOutcome.INFO)
    if name not in MAY_BE_UNDEFINED:
        return [ScalarOutcome(name, kind=kind, function=replication_mean)]
    flags = undefined_name(name)
    count = ScalarOutcome(flags, kind=ScalarOutcome.INFO, function=undefined_count)
    if fill is None:
        return [ScalarOutcome(name, kind=kind, function=replication_mean), count]
    # a code is nothing to maximise or minimise: a fill below every measurement would look like
    # the best policy to EMA's optimisers for a KPI to minimise (spend_per_credential_eur)
    filled = ScalarOutcome(
        name, kind=ScalarOutcome.INFO, variable_name=[name, flags], function=FilledMean(fill)
    )
    return [filled, count]


def _fills(spec: SweepSpec, nan_fill: float | Mapping[str, float] | None) -> dict[str, float]:
    """The fill of each outcome that gets one, checked (see :func:`ema_model`)."""
    if nan_fill is None:
        return {}
    fillable = [k for k in spec.outcomes if k in MAY_BE_UNDEFINED]
    if isinstance(nan_fill, Mapping):
        wrong = sorted(set(nan_fill) - set(fillable))
        if wrong:
            raise ValueError(
                f"{spec.path}: nan_fill: {wrong} are not outcomes of this SPEC that can be undefined;"
                f" expected some of {fillable}"
            )
        fills = dict(nan_fill)
    else:
        fills = dict.fromkeys(fillable, nan_fill)
    for k, v in fills.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v >= 0:
            raise ValueError(
                f"{spec.path}: nan_fill for {k}: expected a finite negative number (every mcsim ratio"
                f" is >= 0, so a negative code cannot be read as a measurement), got {v!r}"
            )
    return {k: float(v) for k, v in fills.items()}


def ema_model(
    spec: SweepSpec | str | Path,
    name: str | None = None,
    *,
    nan_fill: float | Mapping[str, float] | None = None,
) -> Any:
    """An EMA ``ReplicatorModel`` for a SPEC (or a SPEC path): levers, uncertainties, outcomes.

    Outcomes are the mean over the SPEC's replications of those that define the KPI. Each outcome
    that can be undefined (:data:`MAY_BE_UNDEFINED`) comes with ``<kpi>_undefined``, the number of
    replications that left it undefined (NaN for a refused experiment). The SPEC stays on the
    model as ``spec``. Building the model also applies :func:`fix_prim_inspect`.

    Args:
        spec: The sweep SPEC, or the path of its YAML file.
        name: EMA model name (a Python identifier); the SPEC's name by default.
        nan_fill: What an outcome holds when *no* replication defines it. ``None`` (the default)
            keeps ``NaN``: the KPI means exactly what DESIGN §3 says, in every table, mean or plot
            and in saved results, at the price that EMA's feature scoring (scikit-learn) refuses
            it. A negative number (``-1.0``), or ``{kpi: number}`` for some KPIs, puts that code
            there instead so feature scoring runs. The code is not a measurement: no replication
            had a denominator; it is negative, below every mcsim ratio (shares, days, euros), so
            it can never pass for one, and it is exactly the outcome where
            ``<kpi>_undefined == replications``. A filled outcome is declared ``INFO`` (not
            maximised or minimised): optimising a code is meaningless. Its distance from the
            measured values sets how much "undefined or not" weighs in regression feature scores;
            to score only the measured values, drop the experiments where the count equals the
            replications. A refused experiment stays ``NaN`` in every outcome.

    Raises:
        ValueError: a factor's name is one EMA reserves; no uncertainties; ``deadweight_share``
            asked of a SPEC with ``deadweight: false``; a fill that is not a finite negative
            number, or names an outcome the SPEC does not have or that is never undefined.
    """
    from ema_workbench import ReplicatorModel

    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec)
    if not spec.uncertainties:
        # EMA workbench 3.0 reuses the empty scenario across policies and then refuses the overlap
        raise ValueError(
            f"{spec.path}: EMA workbench needs at least one uncertainty; `mcsim sweep` runs levers alone"
        )
    if "deadweight_share" in spec.outcomes and not spec.deadweight:
        # never computed without the counterfactual runs: not an undefined ratio, nothing to count or fill
        raise ValueError(f"{spec.path}: outcomes: deadweight_share needs 'deadweight: true'")
    fills = _fills(spec, nan_fill)
    model = ReplicatorModel(name or _identifier(spec.name), function=McsimFunction(spec))
    for f in spec.factors:
        if f.name in RESERVED_NAMES or hasattr(model, f.name):
            raise ValueError(
                f"{spec.path}: {f.key}: name {f.name!r} is reserved by EMA workbench; give it another 'name'"
            )
    model.levers = [_parameter(f) for f in spec.levers]
    model.uncertainties = [_parameter(f) for f in spec.uncertainties]
    model.outcomes = [o for k in spec.outcomes for o in _outcomes(k, fills.get(k))]
    model.replications = [{"replication": r} for r in range(spec.replications)]
    model.spec = spec
    fix_prim_inspect()
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


# ------------------------------------------------------------------------------------- PRIM


def _box_limits(box: Any, i: int, uncs: Any) -> tuple[pd.Series, pd.DataFrame]:
    """Box ``i``'s statistics and limits, as EMA's ``_inspect_data`` gives them, with object limits.

    A categorical limit is the set of categories kept, so the min and max columns hold objects;
    the quasi-p-values stay floats (EMA's -1, "not computed", as NaN).
    """
    uncs = list(uncs)
    lims = box.box_lims[i]
    limits = pd.DataFrame([list(lims[u]) for u in uncs], index=uncs, columns=[0, 1], dtype=object)
    qp = pd.DataFrame([box.p_values[i][u] for u in uncs], index=uncs, columns=[2, 3], dtype=float)
    table = pd.concat([limits, qp.replace(-1.0, np.nan)], axis=1)
    table.columns = pd.MultiIndex.from_product([[f"box {i}"], ["min", "max", "qp value", "qp value"]])
    return box.peeling_trajectory.iloc[i], table


def fix_prim_inspect() -> None:
    """Make EMA's ``PrimBox.inspect()`` work on boxes that restrict a categorical factor.

    EMA workbench 3.0 builds the table behind ``inspect()`` (styles ``"table"`` and ``"data"``;
    ``"graph"`` draws from the limits directly) as a float frame and writes each dimension's
    limits into it. A categorical limit is a set of categories; pandas 2 upcast the column with a
    warning, pandas 3 refuses: ``TypeError: Invalid value '{'firm.size <= 49'}' for dtype
    'float64'``. No encoding of the lever avoids it while PRIM keeps treating it as categorical
    (integer codes would order the rules and let PRIM cut ranges of them). So this wraps that one
    method: EMA's own table whenever it works, the same table with object limit columns when
    pandas refuses the sets. Idempotent; process-wide; a no-op once EMA builds the table itself.
    """
    from ema_workbench.analysis.prim import BasePrimBox

    original = BasePrimBox._inspect_data
    if getattr(original, "mcsim_fallback", False):
        return

    @functools.wraps(original)
    def inspect_data(self: Any, i: int, uncs: Any) -> tuple[pd.Series, pd.DataFrame]:
        try:
            return original(self, i, uncs)
        except TypeError:
            return _box_limits(self, i, uncs)

    inspect_data.mcsim_fallback = True  # type: ignore[attr-defined]
    BasePrimBox._inspect_data = inspect_data
