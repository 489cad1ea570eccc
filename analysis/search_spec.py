"""Search SPEC files: levers, costs, targets, robustness and optimiser of ``mcsim search``.

Why a file of its own: "what would it take" is a question with many parts (which levers may move
and how far, what they cost, which targets, in how many plausible worlds), asked again with one
part changed; a file states it once and is checked whole before the first run. Levers are written
as in sweep SPECs (``analysis.sweep_spec``: dotted keys with ``values`` or a ``range``, which may
take a ``step``); targets as ``--target`` takes them; the plausible worlds are those ``--ensemble``
samples from the scenario's assumption ranges::

    name: fi_women_10
    scenario: ../../scenarios/fi/women_in_automotive.yaml   # or a bundled name: fi/women_in_automotive
    seed: 1
    set: {population.workers: 2000}                # constants for every run
    levers:
      funding.instruments[0].budget_eur_per_year: {name: budget, range: [25000, 500000], step: 25000}
      outreach.women.p_multiplier: {name: outreach, range: [1, 20], step: 1}
    costs:
      run: [public_spend_eur, other_training_spend_eur, moderation_audits_eur, outreach_eur]  # default
      stated:                                      # costs the run does not count
        - {lever: outreach, eur_per_unit: 20000, above: 1, per_year: true}
        - {lever: moderation.sitting_interval_days, eur_per_sitting: 1500}
        - {outcome: funnel_aware, eur_per_unit: 2}
    targets: [women_share>=0.10]
    robustness: {worlds: 32, replications: 1, required_share: 0.8}
    objectives: {deadweight: false}                # also minimise the mean deadweight share
    optimiser: {algorithm: nsga2, population: 16, generations: 10}
    outcomes: [women_share, enrolments_cum]        # reported with intervals in pareto.csv
    quick: {set: {population.workers: 800}, worlds: 6, population: 8, generations: 3}

A stated cost is euros per unit of a lever (``eur_per_unit``, counted ``above`` or ``below`` a
reference value, once or ``per_year`` of the horizon), per sitting of a lever that is an interval in
days (``eur_per_sitting``: horizon days ÷ the interval), or per unit of a whole-run outcome that is
a count or an amount (``outcome:``, e.g. people reached). Every mistake is a
:class:`~analysis.sweep_spec.SpecError` naming the SPEC file and the dotted key.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from analysis.search_outcomes import OUTCOMES, RUN_COSTS
from analysis.sweep_spec import (
    Factor,
    SpecContext,
    SpecError,
    base_scenario,
    check_factor_values,
    expect_bool,
    expect_int,
    is_number,
    parse_factors,
    read_spec,
    reject_unknown,
    value_at,
)
from analysis.targets import Target, parse_target

__all__ = ["ALGORITHMS", "RESERVED_COLUMNS", "SearchSpec", "SpecError", "StatedCost", "load_search_spec"]

#: Optimisers (pymoo): NSGA-II, or NSGA-III with Das-Dennis reference directions.
ALGORITHMS = ("nsga2", "nsga3")

#: Columns of ``pareto.csv`` and ``evaluations.parquet`` that a lever name may not take.
RESERVED_COLUMNS = frozenset(
    {
        "candidate_id",
        "generation",
        "status",
        "error",
        "runs",
        "runs_ok",
        "expected_cost_eur",
        "expected_cost_eur_q05",
        "expected_cost_eur_q95",
        "cost_run_eur",
        "share_worlds_meeting_all",
        "share_worlds_meeting_all_lo",
        "share_worlds_meeting_all_hi",
        "mean_deadweight_share",
        "on_front",
        "meets_required_share",
        "cheapest_meeting",
        "scenario_file",
    }
)

_TOP_KEYS = {
    "name",
    "description",
    "scenario",
    "seed",
    "set",
    "levers",
    "costs",
    "targets",
    "robustness",
    "objectives",
    "optimiser",
    "outcomes",
    "quick",
}
_COST_KEYS = {"run", "stated"}
_STATED_KEYS = {"name", "lever", "outcome", "eur_per_unit", "eur_per_sitting", "above", "below", "per_year"}
_ROBUST_KEYS = {"worlds", "replications", "required_share"}
_OPTIMISER_KEYS = {"algorithm", "population", "generations"}
_QUICK_KEYS = {"set", "worlds", "replications", "population", "generations"}
_DEFAULT_OUTCOMES = (
    "women_share",
    "enrolments_cum",
    "credentials_issued",
    "employer_acceptance_rate",
    "public_spend_eur",
    "spend_per_credential_eur",
)
_WEEKS_PER_YEAR = 365.25 / 7.0


@dataclass(frozen=True)
class StatedCost:
    """A cost the run does not count: euros per unit of a lever, per sitting, or per unit of an outcome.

    Attributes:
        name: Column name (``cost_<name>_eur``).
        eur: Euros per unit (or per sitting).
        basis: ``unit`` (of a lever's value), ``sitting`` (the lever is an interval in days) or
            ``outcome`` (per unit of a whole-run outcome, in each run).
        lever: The lever (``unit`` and ``sitting``).
        outcome: The outcome's name (``outcome``).
        above: Units are counted above this value (``unit``); ``below`` counts them below it.
        per_year: Multiply by the horizon in years (``unit``).
    """

    name: str
    eur: float
    basis: Literal["unit", "sitting", "outcome"]
    lever: Factor | None = None
    outcome: str | None = None
    above: float | None = None
    below: float | None = None
    per_year: bool = False

    def for_policy(self, values: dict[str, Any], horizon_weeks: float) -> float:
        """Euros over the horizon of a lever-based cost for one candidate (the same in every world)."""
        if self.basis == "outcome" or self.lever is None:
            return 0.0
        x = float(values[self.lever.key])
        if self.basis == "sitting":
            return self.eur * horizon_weeks * 7.0 / x
        if self.above is not None:
            x = max(0.0, x - self.above)
        elif self.below is not None:
            x = max(0.0, self.below - x)
        return self.eur * x * (horizon_weeks / _WEEKS_PER_YEAR if self.per_year else 1.0)

    def for_run(self, whole: dict[str, float]) -> float:
        """Euros of an outcome-based cost in one run (0 for lever-based ones)."""
        if self.basis != "outcome":
            return 0.0
        return self.eur * float(whole[self.outcome])

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description for ``search.json``."""
        out: dict[str, Any] = {"name": self.name, "eur": self.eur, "basis": self.basis}
        if self.lever is not None:
            out["lever"] = self.lever.key
        if self.outcome is not None:
            out["outcome"] = self.outcome
        for key in ("above", "below"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.basis == "unit":
            out["per_year"] = self.per_year
        return out


@dataclass
class SearchSpec:
    """A parsed, checked search SPEC (with ``quick:`` applied when asked)."""

    path: Path
    scenario: Path
    scenario_hash: str
    text: str
    name: str
    description: str
    seed: int
    constants: dict[str, Any]
    levers: list[Factor]
    run_costs: tuple[str, ...]
    stated_costs: list[StatedCost]
    targets: dict[str, Target]
    worlds: int
    replications: int
    required_share: float
    deadweight_objective: bool
    algorithm: str
    population: int
    generations: int
    outcomes: tuple[str, ...]
    horizon_weeks: int
    quick: bool = False
    base_values: dict[str, Any] = field(default_factory=dict)

    @property
    def deadweight(self) -> bool:
        """Whether runs need the counterfactuals that measure deadweight (objective, target or outcome)."""
        named = {*self.targets, *self.outcomes, *(c.outcome for c in self.stated_costs)}
        return self.deadweight_objective or "deadweight_share" in named

    @property
    def objectives(self) -> list[str]:
        """The optimiser's objectives, as ``evaluations.parquet`` names them."""
        out = ["expected_cost_eur", "share_worlds_meeting_all"]
        return [*out, "mean_deadweight_share"] if self.deadweight_objective else out

    def constant_overrides(self) -> list[str]:
        """The ``set:`` constants as ``--set`` texts."""
        from model.params import override_text

        return [override_text(k, v) for k, v in self.constants.items()]

    def horizon(self, values: dict[str, Any]) -> float:
        """Weeks in a candidate's runs (``horizon_weeks`` may itself be a lever)."""
        return float(values.get("horizon_weeks", self.horizon_weeks))

    def describe(self) -> dict[str, Any]:
        """The SPEC as ``search.json`` records it."""
        return {
            "spec": str(self.path),
            "spec_text": self.text,
            "name": self.name,
            "quick": self.quick,
            "levers": [f.describe() for f in self.levers],
            "costs": {"run": list(self.run_costs), "stated": [c.describe() for c in self.stated_costs]},
            "robustness": {
                "worlds": self.worlds,
                "replications": self.replications,
                "required_share": self.required_share,
            },
            "objectives": self.objectives,
            "optimiser": {
                "algorithm": self.algorithm,
                "population": self.population,
                "generations": self.generations,
            },
            "outcomes": list(self.outcomes),
        }


# ----------------------------------------------------------------------------------- parsing


def _mapping(ctx: SpecContext, raw: dict, key: str, allowed: set[str]) -> dict:
    value = raw.get(key) or {}
    if not isinstance(value, dict):
        raise ctx.error(key, f"expected a mapping with some of {', '.join(sorted(allowed))}")
    reject_unknown(ctx, key, value, allowed)
    return value


def _outcome_name(ctx: SpecContext, where: str, name: Any, *, countable: bool = False) -> str:
    if not isinstance(name, str) or name not in OUTCOMES:
        raise ctx.error(where, f"unknown KPI or outcome {name!r}; known: {', '.join(OUTCOMES)}")
    if countable and OUTCOMES[name].ratio:
        raise ctx.error(where, f"{name} is a ratio; a cost is charged per unit of a count or an amount")
    return name


def _targets(ctx: SpecContext, raw: Any) -> dict[str, Target]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise ctx.error("targets", "expected a list of KPI bounds, e.g. [women_share>=0.10]")
    targets: dict[str, Target] = {}
    for i, text in enumerate(raw):
        where = f"targets[{i}]"
        if not isinstance(text, str):
            raise ctx.error(where, f"expected KPI>=VALUE or KPI<=VALUE, got {text!r}")
        try:
            kpi, target = parse_target(text, OUTCOMES)
        except ValueError as exc:
            raise ctx.error(where, str(exc).replace("--target ", "")) from None
        if kpi in targets:
            raise ctx.error(where, f"{kpi} has a target already; give one bound per KPI")
        low_ok = 0.0
        high_ok = 1.0 if OUTCOMES[kpi].unit == "share" else math.inf
        if (target.op == ">=" and target.value > high_ok) or (target.op == "<=" and target.value < low_ok):
            scope = "a share lies in [0, 1]" if high_ok == 1.0 else f"{kpi} is never negative"
            raise ctx.error(where, f"{text.strip()} can never be met: {scope}")
        targets[kpi] = dataclasses.replace(
            target, text=f"{kpi} {target.op} {target.value:g} (search SPEC {ctx.path.name})"
        )
    return targets


def _lever(ctx: SpecContext, where: str, ref: Any, levers: list[Factor]) -> Factor:
    for f in levers:
        if ref in (f.key, f.name):
            return f
    known = ", ".join(f.name for f in levers)
    raise ctx.error(where, f"{ref!r} is not a lever of this search (by dotted key or name: {known})")


def _numeric_lever(ctx: SpecContext, where: str, f: Factor, positive: bool) -> None:
    values = f.values if f.values is not None else (f.low, f.high)
    numeric = all(is_number(v) or isinstance(v, bool) for v in values)
    if not numeric or (positive and any(float(v) <= 0 for v in values)):
        need = "positive numbers (an interval in days)" if positive else "numbers or true/false"
        raise ctx.error(where, f"lever {f.name} takes {list(values)!r}; this cost needs {need}")


def _stated(ctx: SpecContext, i: int, body: Any, levers: list[Factor]) -> StatedCost:
    where = f"costs.stated[{i}]"
    if not isinstance(body, dict):
        raise ctx.error(
            where, "expected {lever: ..., eur_per_unit: ...} or {outcome: ..., eur_per_unit: ...}"
        )
    reject_unknown(ctx, where, body, _STATED_KEYS)
    if ("lever" in body) == ("outcome" in body):
        raise ctx.error(where, "give exactly one of 'lever' or 'outcome'")
    if ("eur_per_unit" in body) == ("eur_per_sitting" in body):
        raise ctx.error(where, "give exactly one of 'eur_per_unit' or 'eur_per_sitting'")
    rate_key = "eur_per_unit" if "eur_per_unit" in body else "eur_per_sitting"
    eur = body[rate_key]
    if not is_number(eur) or eur < 0:
        raise ctx.error(f"{where}.{rate_key}", f"expected a number of euros >= 0, got {eur!r}")
    if "above" in body and "below" in body:
        raise ctx.error(where, "give at most one of 'above' or 'below'")
    for key in ("above", "below"):
        if key in body and not is_number(body[key]):
            raise ctx.error(f"{where}.{key}", f"expected a number, got {body[key]!r}")
    per_year = expect_bool(ctx, f"{where}.per_year", body.get("per_year", False))
    if "outcome" in body:
        extra = sorted({"above", "below", "per_year"} & set(body)) + (
            ["eur_per_sitting"] * (rate_key != "eur_per_unit")
        )
        if extra:
            raise ctx.error(f"{where}.{extra[0]}", "an outcome's cost is euros per unit of it in each run")
        outcome = _outcome_name(ctx, f"{where}.outcome", body["outcome"], countable=True)
        name = body.get("name", outcome)
        cost = StatedCost(name, float(eur), "outcome", outcome=outcome)
    else:
        lever = _lever(ctx, f"{where}.lever", body["lever"], levers)
        name = body.get("name", lever.name)
        if rate_key == "eur_per_sitting":
            extra = sorted({"above", "below", "per_year"} & set(body))
            if extra:
                raise ctx.error(
                    f"{where}.{extra[0]}", "a cost per sitting counts horizon days ÷ the interval"
                )
            _numeric_lever(ctx, f"{where}.lever", lever, positive=True)
            cost = StatedCost(name, float(eur), "sitting", lever=lever)
        else:
            _numeric_lever(ctx, f"{where}.lever", lever, positive=False)
            above = float(body["above"]) if "above" in body else None
            below = float(body["below"]) if "below" in body else None
            cost = StatedCost(
                name, float(eur), "unit", lever=lever, above=above, below=below, per_year=per_year
            )
    if not isinstance(name, str) or not name.isidentifier():
        raise ctx.error(f"{where}.name", f"expected a Python identifier, got {name!r}")
    return cost


def _costs(ctx: SpecContext, raw: dict, levers: list[Factor]) -> tuple[tuple[str, ...], list[StatedCost]]:
    costs = _mapping(ctx, raw, "costs", _COST_KEYS)
    run = costs.get("run", list(RUN_COSTS))
    if not isinstance(run, list):
        raise ctx.error(
            "costs.run", f"expected a list of euro amounts of the run, some of {', '.join(RUN_COSTS)}"
        )
    for i, name in enumerate(run):
        if name not in RUN_COSTS:
            raise ctx.error(
                f"costs.run[{i}]",
                f"{name!r} is not public money a run spends; expected some of {', '.join(RUN_COSTS)}",
            )
    stated_raw = costs.get("stated") or []
    if not isinstance(stated_raw, list):
        raise ctx.error(
            "costs.stated", "expected a list of {lever: ..., eur_per_unit: ...} or {outcome: ...}"
        )
    stated = [_stated(ctx, i, body, levers) for i, body in enumerate(stated_raw)]
    names = [c.name for c in stated]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ctx.error(
                f"costs.stated[{i}].name", f"{name!r} names another stated cost; give it a 'name'"
            )
    return tuple(dict.fromkeys(run)), stated


def _share(ctx: SpecContext, where: str, value: Any) -> float:
    if not is_number(value) or not 0 < value <= 1:
        raise ctx.error(where, f"expected a share of worlds in (0, 1], got {value!r}")
    return float(value)


def _algorithm(ctx: SpecContext, where: str, value: Any) -> str:
    if value not in ALGORITHMS:
        raise ctx.error(where, f"expected one of {', '.join(ALGORITHMS)}, got {value!r}")
    return value


def load_search_spec(path: str | Path, quick: bool = False) -> SearchSpec:
    """Read, check and return a search SPEC; raise ``SpecError`` naming the file and dotted key.

    With ``quick`` the SPEC's ``quick:`` section replaces the sizes it names (fewer simulated
    workers through its ``set:``, fewer worlds, a smaller population, fewer generations).
    """
    ctx, text, raw = read_spec(path, "search SPEC")
    reject_unknown(ctx, "", raw, _TOP_KEYS)
    quick_raw = _mapping(ctx, raw, "quick", _QUICK_KEYS)
    if "set" in quick_raw and not isinstance(quick_raw["set"], dict):
        raise ctx.error("quick.set", "expected a mapping of dotted keys to values")
    scenario, constants, base = base_scenario(ctx, raw, quick_raw.get("set") if quick else None)
    levers = parse_factors(ctx, raw, "levers", "lever", base)
    if not levers:
        raise ctx.error("levers", "a search needs at least one lever (dotted key with values or a range)")
    names = set()
    for f in levers:
        where = f"levers.{f.key}"
        if f.key in constants:
            raise ctx.error(where, "also fixed under 'set'; a key is either constant or a lever")
        if f.name in names:
            raise ctx.error(f"{where}.name", f"name '{f.name}' is used by another lever")
        if f.name in RESERVED_COLUMNS or f.name in OUTCOMES:
            raise ctx.error(f"{where}.name", f"'{f.name}' names a column of the results; give another 'name'")
        names.add(f.name)
    check_factor_values(ctx, scenario, constants, levers)
    run_costs, stated = _costs(ctx, raw, levers)
    if "targets" not in raw:
        raise ctx.error("targets", "required: the KPI bounds every plausible world should meet")
    targets = _targets(ctx, raw["targets"])

    robust = _mapping(ctx, raw, "robustness", _ROBUST_KEYS)
    optimiser = _mapping(ctx, raw, "optimiser", _OPTIMISER_KEYS)
    objectives = _mapping(ctx, raw, "objectives", {"deadweight"})
    sizes = {
        "worlds": ("robustness.worlds", robust.get("worlds", 32), 2),
        "replications": ("robustness.replications", robust.get("replications", 1), 1),
        "population": ("optimiser.population", optimiser.get("population", 16), 4),
        "generations": ("optimiser.generations", optimiser.get("generations", 10), 1),
    }
    sized = {k: expect_int(ctx, where, value, low) for k, (where, value, low) in sizes.items()}
    for k in sizes:  # checked whether or not --quick is given: a mistake there is found at once
        if k in quick_raw:
            q = expect_int(ctx, f"quick.{k}", quick_raw[k], sizes[k][2])
            sized[k] = q if quick else sized[k]

    outcomes = raw.get("outcomes", [*targets, *(k for k in _DEFAULT_OUTCOMES if k not in targets)])
    if not isinstance(outcomes, list) or not outcomes:
        raise ctx.error("outcomes", "expected a non-empty list of KPI names")
    outcomes = [_outcome_name(ctx, f"outcomes[{i}]", o) for i, o in enumerate(outcomes)]
    deadweight_objective = expect_bool(ctx, "objectives.deadweight", objectives.get("deadweight", False))
    if deadweight_objective and "deadweight_share" not in outcomes:
        outcomes.append("deadweight_share")
    config = base.config.model_dump(mode="json")
    return SearchSpec(
        path=ctx.path.resolve(),
        scenario=scenario,
        scenario_hash=base.hash,
        text=text,
        name=str(raw.get("name", ctx.path.stem)),
        description=str(raw.get("description", "")),
        seed=expect_int(ctx, "seed", raw.get("seed", 1), 0),
        constants=constants,
        levers=levers,
        run_costs=run_costs,
        stated_costs=stated,
        targets=targets,
        worlds=sized["worlds"],
        replications=sized["replications"],
        required_share=_share(ctx, "robustness.required_share", robust.get("required_share", 0.8)),
        deadweight_objective=deadweight_objective,
        algorithm=_algorithm(ctx, "optimiser.algorithm", optimiser.get("algorithm", "nsga2")),
        population=sized["population"],
        generations=sized["generations"],
        outcomes=tuple(dict.fromkeys(outcomes)),
        horizon_weeks=base.config.horizon_weeks,
        quick=quick,
        base_values={f.key: value_at(config, f.key) for f in levers},
    )
