"""Sweep SPEC files: a base scenario, levers, uncertainties, a design, replications and outcomes.

Why a file of its own: a sweep of thousands of runs must be described once, checked before the
first run, and re-read identically when a killed sweep is restarted. A SPEC is YAML, in the
vocabulary of EMA workbench (STYLE.md): *levers* are policy instruments, *uncertainties* are
behavioural parameters, *outcomes* are KPIs. Every factor is a dotted key, as for ``--set``::

    scenario: ../../scenarios/fi/ca_fund.yaml     # relative to this file, or a bundled name: fi/ca_fund
    replications: 2
    seed: 1
    set: {population.workers: 2000}               # constants for every run
    levers:
      funding.instruments[0].eligibility:
        name: eligibility
        values: ["firm.ca_covered", "firm.ca_covered and provider.moderated"]
    uncertainties:
      employer.trust_weight: {range: [0.5, 3.0]}
      diffusion.worker_q: {range: assumption}      # the preset's stated plausible range
    design:
      levers: full_factorial                       # every lever combination (the default)
      uncertainties: {sampler: latin_hypercube, samples: 32}
    outcomes: [employer_acceptance_rate, women_share]

Lever points and uncertainty points are crossed (every policy in every scenario, EMA's
``full_factorial`` combination). Samplers are ``full_factorial`` (lists in full, ranges at
``levels`` evenly spaced points), ``latin_hypercube`` and ``sobol`` (scrambled, a power of two
``samples``) from :mod:`scipy.stats.qmc`. A range may take a ``step`` (``{range: [0, 500000],
step: 25000}``): its values are then the grid ``low, low + step, ...`` up to ``high``, which every
sampler keeps to (a budget in round sums, and candidates of a search that repeat). Each design
point has a stable id, a hash of its values, so a restarted sweep recognises its finished runs.
Every mistake is a :class:`SpecError` naming the SPEC file and the dotted key.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from scipy.stats import qmc

from model.bundled import bundled_scenario
from model.kpis import KPI_NAMES
from model.params import LoadedScenario, ScenarioError, load_scenario, override_text
from model.streams import derive_seed

__all__ = [
    "SpecError",
    "SpecContext",
    "Factor",
    "Sampler",
    "SweepSpec",
    "DesignPoint",
    "load_spec",
    "canonical_key",
    "point_id",
    "SAMPLERS",
    "base_scenario",
    "check_factor_values",
    "expect_bool",
    "expect_int",
    "is_number",
    "parse_factor",
    "parse_factors",
    "read_spec",
    "reject_unknown",
    "value_at",
]

SAMPLERS = ("full_factorial", "latin_hypercube", "sobol")
Role = Literal["lever", "uncertainty"]

_TOP_KEYS = {
    "name",
    "description",
    "scenario",
    "seed",
    "replications",
    "deadweight",
    "common_random_numbers",
    "set",
    "levers",
    "uncertainties",
    "design",
    "outcomes",
}
_FACTOR_KEYS = {"name", "values", "range", "integer", "step"}
_DESIGN_KEYS = {"levers", "uncertainties", "seed"}
_SAMPLER_KEYS = {"sampler", "samples", "levels"}


class SpecError(ValueError):
    """A mistake in a sweep SPEC file; the message names the file and the dotted key."""


def canonical_key(dotted: str) -> str:
    """Write a dotted key the way the scenario loader reports it: ``a.b[0].c``."""
    out = ""
    for chunk in dotted.replace("]", "").replace("[", ".").split("."):
        if chunk == "":
            continue
        out += f"[{chunk}]" if chunk.isdigit() else (f".{chunk}" if out else chunk)
    return out


def point_id(values: dict[str, Any]) -> str:
    """Stable id of a design point: a hash of its dotted keys and values (12 hex digits)."""
    blob = json.dumps(sorted(values.items()), separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def _identifier(key: str) -> str:
    name = re.sub(r"\W+", "_", key).strip("_")
    return name if name.isidentifier() else f"f_{name}"


@dataclass(frozen=True)
class Factor:
    """One lever or uncertainty: a dotted key with a list of values or a numeric range."""

    key: str
    name: str
    role: Role
    values: tuple[Any, ...] | None = None
    low: float = 0.0
    high: float = 0.0
    integer: bool = False
    step: float | None = None

    @property
    def is_range(self) -> bool:
        """True for a numeric range, False for a list of values."""
        return self.values is None

    @property
    def steps(self) -> int:
        """Grid points of a range with a ``step`` (``low``, ``low + step``, ... up to ``high``); 0 without."""
        if self.step is None:
            return 0
        return int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1

    def on_grid(self, k: int) -> Any:
        """The ``k``-th grid point of a range with a ``step``, written as the step is (no float dust)."""
        value = self.low + k * self.step
        return int(round(value)) if self.integer else float(round(value, 12))

    def from_unit(self, u: float) -> Any:
        """Map a number in [0, 1) to a value of the factor (LHS and Sobol designs)."""
        if self.values is not None:
            return self.values[min(int(u * len(self.values)), len(self.values) - 1)]
        if self.step is not None:
            return self.on_grid(min(int(u * self.steps), self.steps - 1))
        if self.integer:
            lo, hi = int(self.low), int(self.high)
            return min(int(math.floor(lo + u * (hi - lo + 1))), hi)
        return float(self.low + u * (self.high - self.low))

    def levels(self, n: int) -> list[Any]:
        """The values of a full-factorial design: every listed value, or ``n`` points on the range.

        With a ``step`` the points are the grid points nearest to ``n`` evenly spaced ones.
        """
        if self.values is not None:
            return list(self.values)
        if self.step is not None:
            ks = np.round(np.linspace(0, self.steps - 1, n)).astype(int).tolist()
            return [self.on_grid(k) for k in dict.fromkeys(ks)]
        grid = np.linspace(self.low, self.high, n)
        if self.integer:
            return [int(v) for v in dict.fromkeys(np.round(grid).astype(int).tolist())]
        return [float(v) for v in grid]

    def candidates(self) -> list[Any]:
        """Values checked against the scenario before the sweep starts."""
        return list(self.values) if self.values is not None else self.levels(2)

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description for ``sweep.json``."""
        out: dict[str, Any] = {"name": self.name, "key": self.key, "role": self.role}
        if self.values is not None:
            out["values"] = list(self.values)
        else:
            out["range"] = [self.low, self.high]
            out["integer"] = self.integer
            if self.step is not None:
                out["step"] = self.step
        return out


@dataclass(frozen=True)
class Sampler:
    """How one group of factors (levers or uncertainties) is sampled."""

    kind: Literal["full_factorial", "latin_hypercube", "sobol"] = "full_factorial"
    samples: int | None = None
    levels: int = 3

    def unit_points(self, d: int, seed: int) -> np.ndarray:
        """``samples`` points in the unit cube [0, 1)^d (LHS and Sobol)."""
        n = int(self.samples or 1)
        rng = np.random.default_rng(seed)
        if self.kind == "latin_hypercube":
            return qmc.LatinHypercube(d, rng=rng).random(n)
        return qmc.Sobol(d, scramble=True, rng=rng).random_base2(n.bit_length() - 1)

    def points(self, factors: list[Factor], seed: int) -> list[dict[str, Any]]:
        """Design points of ``factors`` as ``{dotted key: value}`` dicts."""
        if not factors:
            return [{}]
        if self.kind == "full_factorial":
            grids = [f.levels(self.levels) for f in factors]
            return [
                dict(zip([f.key for f in factors], combo, strict=True)) for combo in itertools.product(*grids)
            ]
        unit = self.unit_points(len(factors), seed)
        return [{f.key: f.from_unit(float(u)) for f, u in zip(factors, row, strict=True)} for row in unit]


@dataclass(frozen=True)
class DesignPoint:
    """One design point: its id, its policy's id and the value of every factor by dotted key."""

    point_id: str
    policy_id: str
    values: dict[str, Any]


@dataclass
class SweepSpec:
    """A parsed, checked SPEC. ``points()`` gives the design; ``scenario_hash`` names the world."""

    path: Path
    scenario: Path
    scenario_hash: str
    name: str = ""
    description: str = ""
    seed: int = 1
    replications: int = 1
    deadweight: bool = True
    common_random_numbers: bool = False
    constants: dict[str, Any] = field(default_factory=dict)
    levers: list[Factor] = field(default_factory=list)
    uncertainties: list[Factor] = field(default_factory=list)
    lever_sampler: Sampler = Sampler()
    uncertainty_sampler: Sampler = Sampler("latin_hypercube", 16)
    design_seed: int = 1
    outcomes: tuple[str, ...] = KPI_NAMES
    text: str = ""

    @property
    def factors(self) -> list[Factor]:
        """Levers first, then uncertainties."""
        return [*self.levers, *self.uncertainties]

    def constant_overrides(self) -> list[str]:
        """The ``set:`` constants as ``--set`` texts."""
        return [override_text(k, v) for k, v in self.constants.items()]

    def points(self) -> list[DesignPoint]:
        """Every lever point crossed with every uncertainty point, duplicates removed, in order."""
        policies = self.lever_sampler.points(self.levers, derive_seed(self.design_seed, "levers"))
        worlds = self.uncertainty_sampler.points(
            self.uncertainties, derive_seed(self.design_seed, "uncertainties")
        )
        out: dict[str, DesignPoint] = {}
        for pol in policies:
            pid = point_id(pol)
            for world in worlds:
                values = {**pol, **world}
                key = point_id(values)
                out.setdefault(key, DesignPoint(key, pid, values))
        return list(out.values())

    def identity(self) -> dict[str, Any]:
        """What makes two runs with the same point id and replication the same run.

        The scenario's content hash, not its path: a checkout moved to another machine resumes.
        """
        return {
            "scenario_hash": self.scenario_hash,
            "seed": self.seed,
            "deadweight": self.deadweight,
            "common_random_numbers": self.common_random_numbers,
            "engine": "vector",
        }


# ----------------------------------------------------------------------------------- parsing
# The pieces below are shared with the search SPEC (``analysis.search_spec``): one reading of a
# YAML file, one base scenario with its constants, one parser of levers, one check against the
# scenario, each error naming the file and the dotted key.


class SpecContext:
    """Formats errors as ``SPEC: where: what``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, where: str, what: str) -> SpecError:
        """A :class:`SpecError` naming the file and ``where`` (a dotted key)."""
        return SpecError(f"{self.path}: {where}: {what}" if where else f"{self.path}: {what}")


def expect_int(ctx: SpecContext, where: str, value: Any, minimum: int) -> int:
    """A whole number at least ``minimum`` (``true`` is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ctx.error(where, f"expected a whole number >= {minimum}, got {value!r}")
    return value


def expect_bool(ctx: SpecContext, where: str, value: Any) -> bool:
    """``true`` or ``false``."""
    if not isinstance(value, bool):
        raise ctx.error(where, f"expected true or false, got {value!r}")
    return value


def is_number(value: Any) -> bool:
    """A finite int or float (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def reject_unknown(ctx: SpecContext, where: str, got: dict, allowed: set[str]) -> None:
    """Refuse the first key of ``got`` that is not ``allowed``, naming it."""
    extra = sorted(str(k) for k in set(got) - allowed)
    if extra:
        raise ctx.error(
            f"{where}.{extra[0]}" if where else extra[0],
            f"unknown key; expected one of {', '.join(sorted(allowed))}",
        )


def value_at(config: dict[str, Any], key: str) -> Any:
    """The value at a dotted key of a scenario dumped as JSON (``None`` where there is none)."""
    node: Any = config
    for part in key.replace("]", "").replace("[", ".").split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def parse_factor(ctx: SpecContext, role: Role, raw_key: Any, body: Any, base: LoadedScenario) -> Factor:
    """One lever or uncertainty: ``{values: [...]}``, a plain list, or ``{range: [lo, hi], step: s}``."""
    group = "levers" if role == "lever" else "uncertainties"
    if not isinstance(raw_key, str) or not raw_key.strip():
        raise ctx.error(group, f"expected dotted scenario keys, got {raw_key!r}")
    key = canonical_key(raw_key.strip())
    where = f"{group}.{key}"
    if isinstance(body, list):
        body = {"values": body}
    if not isinstance(body, dict):
        raise ctx.error(where, "expected {values: [...]} or {range: [low, high]} (or a plain list)")
    reject_unknown(ctx, where, body, _FACTOR_KEYS)
    name = body.get("name", _identifier(key))
    if not isinstance(name, str) or not name.isidentifier():
        raise ctx.error(f"{where}.name", f"expected a Python identifier, got {name!r}")
    if ("values" in body) == ("range" in body):
        raise ctx.error(
            where, "give exactly one of 'values' (a list) or 'range' ([low, high] or 'assumption')"
        )
    base_value = value_at(base.config.model_dump(mode="json"), key)
    integer = isinstance(base_value, int) and not isinstance(base_value, bool)
    if "integer" in body:
        integer = expect_bool(ctx, f"{where}.integer", body["integer"])
    if "values" in body:
        if "step" in body:
            raise ctx.error(f"{where}.step", "a step goes with a range, not with a list of values")
        values = body["values"]
        if not isinstance(values, list) or not values:
            raise ctx.error(f"{where}.values", f"expected a non-empty list, got {values!r}")
        if len({json.dumps(v, sort_keys=True) for v in values}) != len(values):
            raise ctx.error(f"{where}.values", "the list repeats a value")
        return Factor(key, name, role, values=tuple(values), integer=integer)
    rng = body["range"]
    if rng == "assumption":
        prov = base.provenance.get(key)
        if prov is None or prov.range is None:
            raise ctx.error(
                f"{where}.range",
                f"'assumption' needs a value with an assumption range in {base.path}; "
                "this key has none (`mcsim explain SCENARIO --kind assumption` lists them)",
            )
        rng = list(prov.range)
    if not (isinstance(rng, list) and len(rng) == 2 and all(is_number(v) for v in rng) and rng[0] < rng[1]):
        raise ctx.error(
            f"{where}.range", f"expected [low, high] with low < high, or 'assumption'; got {rng!r}"
        )
    step = body.get("step")
    if step is not None:
        width = rng[1] - rng[0]
        if not is_number(step) or not 0 < step <= width or (integer and step != int(step)):
            kind = "a whole number" if integer else "a number"
            raise ctx.error(f"{where}.step", f"expected {kind} with 0 < step <= {width:g}, got {step!r}")
        step = float(step)
    return Factor(key, name, role, low=float(rng[0]), high=float(rng[1]), integer=integer, step=step)


def parse_factors(ctx: SpecContext, raw: dict, group: str, role: Role, base: LoadedScenario) -> list[Factor]:
    """The factors under ``group`` (``levers`` or ``uncertainties``), in the file's order."""
    value = raw.get(group) or {}
    if not isinstance(value, dict):
        raise ctx.error(
            group, "expected a mapping of dotted scenario keys to {values: [...]} or {range: [lo, hi]}"
        )
    return [parse_factor(ctx, role, k, v, base) for k, v in value.items()]


def _sampler(ctx: SpecContext, where: str, raw: Any, default: Sampler) -> Sampler:
    if raw is None:
        return default
    if isinstance(raw, str):
        raw = {"sampler": raw}
    if not isinstance(raw, dict):
        raise ctx.error(
            where, f"expected a sampler name ({', '.join(SAMPLERS)}) or {{sampler: ..., samples: N}}"
        )
    reject_unknown(ctx, where, raw, _SAMPLER_KEYS)
    kind = raw.get("sampler", default.kind)
    if kind not in SAMPLERS:
        raise ctx.error(f"{where}.sampler", f"expected one of {', '.join(SAMPLERS)}, got {kind!r}")
    levels = expect_int(ctx, f"{where}.levels", raw.get("levels", 3), 2)
    samples = raw.get("samples")
    if kind == "full_factorial":
        if samples is not None:
            raise ctx.error(f"{where}.samples", "a full_factorial design takes 'levels', not 'samples'")
        return Sampler(kind, None, levels)
    if samples is None:
        raise ctx.error(f"{where}.samples", f"a {kind} design needs 'samples' (the number of points)")
    samples = expect_int(ctx, f"{where}.samples", samples, 1)
    if kind == "sobol" and samples & (samples - 1):
        lo = 1 << (samples.bit_length() - 1)
        raise ctx.error(
            f"{where}.samples", f"a sobol design needs a power of two (got {samples}; try {lo} or {2 * lo})"
        )
    return Sampler(kind, samples, levels)


def check_factor_values(
    ctx: SpecContext, scenario: Path, constants: dict[str, Any], factors: list[Factor]
) -> None:
    """Try every factor value on the scenario; refuse unknown keys and values bad on their own.

    A value whose error names another key (a check across fields, such as a fund with neither levy
    nor budget) may be fine in combination: such runs are tried and, if they fail, recorded.
    """
    texts = [override_text(k, v) for k, v in constants.items()]
    for f in factors:
        group = "levers" if f.role == "lever" else "uncertainties"
        for value in f.candidates():
            try:
                load_scenario(scenario, [*texts, override_text(f.key, value)])
            except ScenarioError as exc:
                lines = str(exc).splitlines()
                own = [ln for ln in lines if f": {f.key}:" in ln or ln.startswith(f"--set {f.key}:")]
                if own:
                    detail = own[0].split(f"{f.key}: ", 1)[-1]
                    raise ctx.error(f"{group}.{f.key}", f"value {value!r} is refused: {detail}") from None


def read_spec(path: str | Path, what: str = "sweep SPEC") -> tuple[SpecContext, str, dict]:
    """Read a SPEC file: its error context, its text and its top-level mapping."""
    path = Path(path)
    ctx = SpecContext(path)
    if not path.is_file():
        raise SpecError(f"{path}: no such {what} file")
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise SpecError(f"{path}{where}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ctx.error("", "expected a mapping with at least 'scenario'")
    return ctx, text, raw


def base_scenario(
    ctx: SpecContext, raw: dict, set_values: dict[str, Any] | None = None
) -> tuple[Path, dict[str, Any], LoadedScenario]:
    """The scenario file, the ``set:`` constants (then ``set_values``) and the scenario loaded with them."""
    scen = raw.get("scenario")
    if not isinstance(scen, str) or not scen:
        raise ctx.error("scenario", "required: a scenario file relative to the SPEC, or a bundled name")
    scenario = (ctx.path.parent / scen).resolve()
    if not scenario.is_file():
        bundled = bundled_scenario(scen)
        if bundled is None:
            raise ctx.error(
                "scenario", f"'{scen}' does not exist (looked for {scenario}) and is no bundled scenario"
            )
        scenario = bundled.resolve()
    constants_raw = raw.get("set") or {}
    if not isinstance(constants_raw, dict):
        raise ctx.error("set", "expected a mapping of dotted keys to values")
    constants = {canonical_key(str(k)): v for k, v in {**constants_raw, **(set_values or {})}.items()}
    try:
        base = load_scenario(scenario, [override_text(k, v) for k, v in constants.items()])
    except ScenarioError as exc:
        raise ctx.error("set", str(exc).replace("<command line --set>", "value")) from None
    return scenario, constants, base


def load_spec(path: str | Path, set_values: dict[str, Any] | None = None) -> SweepSpec:
    """Read, check and return a SPEC; raise :class:`SpecError` naming the file and dotted key.

    ``set_values`` adds constants after the SPEC's own ``set:`` (like ``--set``; a smaller
    population for a quick try, say).
    """
    ctx, text, raw = read_spec(path)
    reject_unknown(ctx, "", raw, _TOP_KEYS)
    scenario, constants, base = base_scenario(ctx, raw, set_values)

    levers = parse_factors(ctx, raw, "levers", "lever", base)
    uncs = parse_factors(ctx, raw, "uncertainties", "uncertainty", base)
    seen: dict[str, str] = {}
    for f in [*levers, *uncs]:
        where = f"{'levers' if f.role == 'lever' else 'uncertainties'}.{f.key}"
        if f.key in constants:
            raise ctx.error(where, "also fixed under 'set'; a key is either constant or varied")
        if f.key in seen:
            raise ctx.error(where, "appears twice (as a lever and as an uncertainty)")
        if f.name in seen.values():
            raise ctx.error(f"{where}.name", f"name '{f.name}' is used by another factor")
        seen[f.key] = f.name

    seed = expect_int(ctx, "seed", raw.get("seed", 1), 0)
    design = raw.get("design") or {}
    if not isinstance(design, dict):
        raise ctx.error("design", "expected a mapping with 'levers', 'uncertainties' and 'seed'")
    reject_unknown(ctx, "design", design, _DESIGN_KEYS)
    lever_sampler = _sampler(ctx, "design.levers", design.get("levers"), Sampler("full_factorial"))
    unc_default = Sampler("latin_hypercube", None)
    unc_sampler = _sampler(ctx, "design.uncertainties", design.get("uncertainties"), unc_default)
    if uncs and unc_sampler.kind != "full_factorial" and unc_sampler.samples is None:
        raise ctx.error(
            "design.uncertainties",
            "say how to sample the uncertainties, e.g. {sampler: latin_hypercube, samples: 32}",
        )

    outcomes = raw.get("outcomes", list(KPI_NAMES))
    if not isinstance(outcomes, list) or not outcomes:
        raise ctx.error("outcomes", "expected a non-empty list of KPI names")
    for i, name in enumerate(outcomes):
        if name not in KPI_NAMES:
            raise ctx.error(f"outcomes[{i}]", f"unknown KPI {name!r}; known: {', '.join(KPI_NAMES)}")

    spec = SweepSpec(
        path=ctx.path.resolve(),
        scenario=scenario,
        scenario_hash=base.hash,
        name=str(raw.get("name", ctx.path.stem)),
        description=str(raw.get("description", "")),
        seed=seed,
        replications=expect_int(ctx, "replications", raw.get("replications", 1), 1),
        deadweight=expect_bool(ctx, "deadweight", raw.get("deadweight", True)),
        common_random_numbers=expect_bool(
            ctx, "common_random_numbers", raw.get("common_random_numbers", False)
        ),
        constants=constants,
        levers=levers,
        uncertainties=uncs,
        lever_sampler=lever_sampler,
        uncertainty_sampler=unc_sampler,
        design_seed=expect_int(ctx, "design.seed", design.get("seed", seed), 0),
        outcomes=tuple(dict.fromkeys(outcomes)),
        text=text,
    )
    check_factor_values(ctx, spec.scenario, spec.constants, spec.factors)
    return spec
