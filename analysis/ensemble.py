"""Ensembles over what we do not know: assumption ranges × seeds, with common random numbers.

Why: bands from replications at fixed parameters show chance only; they narrow with more runs and a
workshop reads them as a forecast. Every ``assumption`` in a preset carries a plausible range
(DESIGN §5); an ensemble samples those ranges (Latin hypercube), runs every scenario at every
member with the same seeds, and reports the spread (ignorance), the share of plausible worlds in
which each target is met, how robustly scenarios rank, and which assumptions drive each KPI — what
to measure next. Scalar assumptions are sampled uniformly within their range. A table assumption
(share tables, provider lists, rates by size or by module) is one dimension: a factor on its
magnitudes or a tempering exponent on its shares (``model.params.tables``), sampled log-uniformly
so that x0.5 and x2 are equally likely; each scenario's own table is transformed, so a lever a
policy scenario sets is never overwritten. A structural assumption with ``choices`` (a rule, such as
``employer.trust_rule``: learning or signals) is a discrete dimension: the members, in the order of
their Latin-hypercube stratum in that column, are cut into equal runs, one per choice, so each
choice goes to as many members as any other (give or take one) and ``ranking_by_choice`` can say
whether the scenarios rank the same under each.
Assumptions with nothing to sample (names, flags, calendar weeks, structure) are held at their
value and listed as such. Members also return their week-by-week KPIs, so the report can draw the
ignorance band on every trajectory.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import qmc

from analysis.execution import Job, Outcome, Runner
from analysis.summary import CHOICE_RANKING_COLUMNS, ranking_by_choice
from analysis.targets import TARGETS, Target
from model.api import simulate
from model.kpis import KPI_NAMES, KPIS
from model.params import LoadedScenario, Scenario, override_text, tables
from model.streams import derive_seed

__all__ = ["Uncertainty", "uncertainties", "Ensemble"]


@dataclass(frozen=True)
class Uncertainty:
    """One sampled assumption: a scalar within its range, one number standing for a table, or a rule.

    ``kind`` is ``value`` (the scalar itself), ``factor`` (multiplies a table's magnitudes),
    ``exponent`` (tempers a share table; for these two ``nominal`` is 1, the table as written) or
    ``choice`` (one of ``choices``; ``low``..``high`` index them and ``nominal`` is the written one).
    """

    key: str
    low: float
    high: float
    nominal: float
    is_int: bool = False
    kind: Literal["value", "factor", "exponent", "choice"] = "value"
    choices: tuple[Any, ...] = ()

    def pick(self, unit: np.ndarray) -> np.ndarray:
        """Values at Latin-hypercube coordinates in [0, 1): within the range, or balanced choices."""
        if self.kind == "choice":
            rank = unit.argsort().argsort()  # each member's stratum: a permutation of 0..n-1
            return np.array(self.choices, dtype=object)[rank * len(self.choices) // len(unit)]
        if self.kind == "value":
            values = self.low + unit * (self.high - self.low)
        else:  # log-uniform: x0.5 and x2 equally likely around the table as written
            values = np.exp(np.log(self.low) + unit * (np.log(self.high) - np.log(self.low)))
        return np.round(values).astype(int) if self.is_int else values


#: Design choices of a run, not uncertainties about the world: never sampled.
NOT_SAMPLED = {"population.workers", "horizon_weeks"}


def uncertainties(
    loaded: LoadedScenario, exclude: set[str] | None = None
) -> tuple[list[Uncertainty], list[str]]:
    """The sampled assumptions of a scenario, and the assumptions held fixed (nothing to sample).

    A ranged table is one uncertainty named by its dotted key; its leaves that the range does not
    act on (names, flags, calendar weeks, structure) are listed as fixed, as is a table whose range
    is collapsed to one value.
    """
    sampled: list[Uncertainty] = []
    fixed: list[str] = []
    seen: set[str] = set()
    skip = NOT_SAMPLED | (exclude or set())
    for key, value, prov in loaded.parameters():
        if prov.kind != "assumption" or key in skip:
            continue
        if prov.table and prov.table_range:
            lo, hi = prov.table_range
            if hi > lo and tables.acts_on(prov.table, key, value):
                if prov.table not in seen:
                    seen.add(prov.table)
                    mode = tables.rule_for(prov.table).mode
                    sampled.append(Uncertainty(prov.table, lo, hi, 1.0, False, mode))
            else:
                fixed.append(key)
            continue
        if prov.choices:
            i = prov.choices.index(value)
            sampled.append(Uncertainty(key, 0, len(prov.choices) - 1, i, True, "choice", prov.choices))
            continue
        if prov.range is None or isinstance(value, bool) or not isinstance(value, int | float):
            fixed.append(key)
            continue
        lo, hi = prov.range
        if hi > lo:
            sampled.append(Uncertainty(key, lo, hi, float(value), isinstance(value, int)))
    return sampled, fixed


@dataclass(frozen=True)
class _Worlds:
    """What a scenario lets the ensemble change: its scalar assumptions and its ranged tables."""

    kinds: dict[str, str]
    values: dict[str, Any]
    tables: dict[str, dict[str, Any]]

    @classmethod
    def of(cls, loaded: LoadedScenario) -> _Worlds:
        params = loaded.parameters()
        return cls(
            {k: p.kind for k, _, p in params},
            {k: v for k, v, _ in params},
            {key: leaves for key, (_, leaves) in loaded.tables().items()},
        )

    def table_overrides(self, table: str, x: float) -> list[str]:
        """The table's leaves at factor or exponent ``x``; only leaves still this assumption."""
        acted = {k: v for k, v in self.tables[table].items() if tables.acts_on(table, k, v)}
        if tables.rule_for(table).mode == "exponent":
            # shares are tempered together: if a lever or --set owns any share, the table is theirs
            shares = {k for k, v in self.values.items() if tables.acts_on(table, k, v)}
            if set(acted) != shares:
                return []
        new = tables.transform(table, acted, x)
        return [override_text(k, v) for k, v in new.items() if v != acted[k]]


def _member_overrides(
    loaded: LoadedScenario, point: dict[str, float], worlds: _Worlds | None = None
) -> list[str]:
    """Overrides for one member, only for values that are still assumptions in this scenario.

    A table key applies its factor or exponent to this scenario's own table.
    """
    worlds = worlds or _Worlds.of(loaded)
    out = []
    for key, value in point.items():
        plain = value.item() if isinstance(value, np.generic) else value
        if key in worlds.tables:
            out += worlds.table_overrides(key, float(plain))
        elif worlds.kinds.get(key) == "assumption":
            out.append(override_text(key, plain))
    return out


def member_kpis(cfg: Scenario, seed: int, engine: str) -> tuple[dict[str, float], np.ndarray]:
    """Job task: whole-run KPIs and the week-by-week KPIs (flows as totals since the start) of one run."""
    out = simulate(cfg, seed, engine, deadweight=False)
    weekly = out.kpis.reindex(columns=list(KPI_NAMES))
    flows = [k.name for k in KPIS if k.kind == "flow"]
    weekly[flows] = weekly[flows].cumsum()
    return out.whole, weekly.to_numpy(float)


@dataclass
class Ensemble:
    """Scenarios × ensemble members × replications; members share seeds across scenarios."""

    scenarios: list[LoadedScenario]
    labels: list[str]
    members: int = 20
    reps: int = 2
    seed: int = 1
    overrides: list[str] = field(default_factory=list)
    targets_to_meet: dict[str, Target] = field(default_factory=lambda: dict(TARGETS))
    design: pd.DataFrame | None = None
    runs: pd.DataFrame | None = None
    fixed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    uncertainties: list[Uncertainty] = field(default_factory=list)
    #: per (scenario, member): running sum over seeds of the weekly KPIs and how many were defined
    weekly: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    def sample(self) -> Ensemble:
        """Latin hypercube over the ranged assumptions of every scenario (clears old results).

        A key ranged in several scenarios is one dimension, with the range of the first scenario
        that has it; a policy scenario's own assumption (a grant call, content change rates) is
        sampled too, and moves only the scenarios where it is an assumption.
        """
        given = {o.partition("=")[0].strip() for o in self.overrides}
        uncs: list[Uncertainty] = []
        fixed: dict[str, None] = {}
        for loaded in self.scenarios:
            sampled, held = uncertainties(loaded, given)
            uncs += [u for u in sampled if u.key not in {v.key for v in uncs}]
            fixed |= dict.fromkeys(held)
        self.fixed = [k for k in fixed if k not in {u.key for u in uncs}]
        self.uncertainties = uncs
        if not uncs:
            self.design = pd.DataFrame(index=range(self.members))
        else:
            lhs = qmc.LatinHypercube(d=len(uncs), seed=derive_seed(self.seed, "ensemble-design") % 2**32)
            unit = lhs.random(self.members)
            self.design = pd.DataFrame({u.key: u.pick(unit[:, j]) for j, u in enumerate(uncs)})
        self.runs = None
        self.weekly = {}
        return self

    def run(
        self, runner: Runner | None = None, on_done: Callable[[Outcome], object] | None = None
    ) -> Ensemble:
        """Run every scenario at every member and replication (default: in this process); returns self."""
        if self.design is None:
            self.sample()
        t0 = time.perf_counter()
        worlds = [_Worlds.of(loaded) for loaded in self.scenarios]
        jobs, where = [], []
        for m, point in enumerate(self.design.to_dict("records")):
            members = [_member_overrides(ls, point, w) for ls, w in zip(self.scenarios, worlds, strict=True)]
            for r in range(self.reps):
                seed = self.member_seed(m, r)
                for label, loaded, member in zip(self.labels, self.scenarios, members, strict=True):
                    overrides = (*self.overrides, *member)
                    jobs.append(
                        Job(
                            member_kpis, str(loaded.path), seed, "vector", overrides, key=f"{label}-m{m}-r{r}"
                        )
                    )
                    where.append((label, int(m), r))
        rows = []
        self.weekly = {}
        choices = self.design[self.choice_keys()].to_dict("records")
        outcomes = (runner or Runner()).run(jobs, on_done=on_done)
        for (label, m, r), outcome in zip(where, outcomes, strict=True):
            whole, weekly = outcome.value
            rows.append({"scenario": label, "member": m, "rep": r, **choices[m], **whole})
            total, count = self.weekly.setdefault(
                (label, m), (np.zeros(weekly.shape, np.float32), np.zeros(weekly.shape, np.uint16))
            )
            defined = np.isfinite(weekly)
            total += np.where(defined, weekly, 0.0).astype(np.float32)
            count += defined
        self.runs = pd.DataFrame(rows)
        self.seconds = time.perf_counter() - t0
        return self

    def choice_keys(self) -> list[str]:
        """The structural assumptions sampled as choices (e.g. ``employer.trust_rule``).

        A design edited by hand may hold a choice at its value: then it is not sampled.
        """
        keys = [u.key for u in self.uncertainties if u.kind == "choice"]
        return keys if self.design is None else [k for k in keys if k in self.design.columns]

    def member_seed(self, member: int, rep: int) -> int:
        """Seed of replication ``rep`` in plausible world ``member``: the same for every scenario (CRN)."""
        return derive_seed(self.seed, "ensemble", member, rep)

    def member_overrides(self, member: int, scenario: int = 0) -> list[str]:
        """``--set`` texts that put scenario ``scenario`` in plausible world ``member`` (after ``sample``).

        What ``run`` applies; ``mcsim search`` runs each candidate policy in these worlds.
        """
        if self.design is None:
            self.sample()
        point = self.design.to_dict("records")[member]
        return _member_overrides(self.scenarios[scenario], point)

    def describe(self) -> dict[str, Any]:
        """The ensemble's section of the manifest: its size, seeds and what it sampled."""
        design = self.design if self.design is not None else pd.DataFrame()
        return {
            "members": self.members,
            "reps": self.reps,
            "sampled": [u.key for u in self.uncertainties],
            "choices": {k: design[k].value_counts().to_dict() for k in self.choice_keys() if k in design},
            "held": len(self.fixed),
            "seconds": round(self.seconds, 3),
        }

    def member_means(self) -> pd.DataFrame:
        """KPI means over replications, per scenario and member (the plausible worlds), with its choices."""
        keys = ["scenario", "member", *self.choice_keys()]
        return self.runs.groupby(keys, sort=False).mean(numeric_only=True).reset_index()

    def choice_ranking(self) -> pd.DataFrame:
        """Per sampled choice: does each headline KPI rank the scenarios the same under every choice?

        Scenarios are ranked by their mean over the members given that choice (``ranking_by_choice``).
        """
        means = self.member_means()
        parts = [ranking_by_choice(means, key, labels=self.labels) for key in self.choice_keys()]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=CHOICE_RANKING_COLUMNS)

    def bands(self) -> pd.DataFrame:
        """Per scenario and KPI: median and 5-95 % band over members (ignorance and chance)."""
        means = self.member_means()
        rows = []
        for scenario, grp in means.groupby("scenario", sort=False):
            for k in KPIS:
                v = grp[k.name].dropna().to_numpy()
                q = np.quantile(v, [0.05, 0.5, 0.95]) if len(v) else [np.nan] * 3
                rows.append(
                    {
                        "scenario": scenario,
                        "kpi": k.name,
                        "unit": k.unit,
                        "members": len(v),
                        "q05": q[0],
                        "median": q[1],
                        "q95": q[2],
                    }
                )
        return pd.DataFrame(rows)

    def trajectory_bands(self) -> pd.DataFrame:
        """Per scenario, KPI and week: 5 %, median and 95 % over members of the member means.

        Flows are totals since the start, as the report's trajectories show them. The band is
        ignorance plus the chance left in ``reps`` seeds per member.
        """
        cols = ["scenario", "kpi", "step", "q05", "median", "q95"]
        if not self.weekly:
            return pd.DataFrame(columns=cols)
        parts = []
        for label in self.labels:
            worlds = [v for (lb, _), v in sorted(self.weekly.items()) if lb == label]
            if not worlds:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN weeks of undefined ratios
                # members x steps x KPIs: each member's mean over its seeds (NaN where none defined)
                means = np.stack([np.where(n > 0, t / np.maximum(n, 1), np.nan) for t, n in worlds])
                q = np.nanquantile(means, [0.05, 0.5, 0.95], axis=0)  # 3 x steps x KPIs
            steps, n_kpi = means.shape[1], means.shape[2]
            parts.append(
                pd.DataFrame(
                    {
                        "scenario": label,
                        "kpi": np.tile(np.array(KPI_NAMES, dtype=object), steps),
                        "step": np.repeat(np.arange(steps), n_kpi),
                        "q05": q[0].ravel(),
                        "median": q[1].ravel(),
                        "q95": q[2].ravel(),
                    }
                )
            )
        out = pd.concat(parts, ignore_index=True)
        return out.sort_values(["scenario", "kpi", "step"], kind="stable")[cols].reset_index(drop=True)

    def targets(self) -> pd.DataFrame:
        """Share of plausible worlds (members) in which each scenario meets each target."""
        means = self.member_means()
        rows = []
        for kpi, t in self.targets_to_meet.items():
            for scenario, grp in means.groupby("scenario", sort=False):
                v = grp[kpi].to_numpy(float)
                met = np.array([np.isfinite(x) and t.met(x) for x in v])
                rows.append(
                    {
                        "scenario": scenario,
                        "kpi": kpi,
                        "target": f"{t.op} {t.value:g}",
                        "source": t.text,
                        "share_of_worlds_met": float(met.mean()) if len(v) else np.nan,
                    }
                )
        return pd.DataFrame(rows)

    def ranking(self) -> pd.DataFrame:
        """How often each scenario is best on each KPI across members, and its mean regret."""
        means = self.member_means()
        rows = []
        for k in KPIS:
            if k.direction == "info":
                continue
            table = means.pivot(index="member", columns="scenario", values=k.name)
            table = table[[lb for lb in self.labels if lb in table.columns]]
            if table.isna().all().all():
                continue
            signed = (table if k.direction == "max" else -table).dropna(how="any")
            if signed.empty:
                continue
            best = signed.max(axis=1)
            winners = signed.idxmax(axis=1)
            for lb in table.columns:
                rows.append(
                    {
                        "kpi": k.name,
                        "scenario": lb,
                        "share_best": float((winners == lb).mean()),
                        "mean_regret": float((best - signed[lb]).mean()),
                    }
                )
        return pd.DataFrame(rows)

    def importance(self) -> pd.DataFrame:
        """Which assumptions drive each KPI in the first scenario: what to measure next.

        With at least four members per sampled range, RBD-FAST first-order indices (SALib) on the
        Latin hypercube; with fewer, the squared Spearman correlation of each assumption with the KPI
        across members (``method`` says which; the latter is indicative only). A structural choice
        gets its correlation ratio: the share of the KPI's variance between the choices' means,
        the first-order index of a discrete factor.
        """
        from SALib.analyze import rbd_fast
        from scipy.stats import spearmanr

        if self.design is None or self.design.empty:
            return pd.DataFrame(columns=["kpi", "parameter", "share", "method"])
        means = self.member_means()
        first = means[means["scenario"] == self.labels[0]].sort_values("member")
        choices = self.choice_keys()
        names = [c for c in self.design.columns if c not in choices]
        x = self.design[names].to_numpy(float)
        use_rbd = len(x) >= 4 * x.shape[1]
        rows = []
        for k in KPIS:
            y = first[k.name].to_numpy(float)
            if not np.isfinite(y).all() or np.ptp(y) == 0:
                continue
            for key in choices:
                share = _correlation_ratio(self.design[key].to_numpy(), y)
                rows.append({"kpi": k.name, "parameter": key, "share": share, "method": "correlation ratio"})
            if not names:
                continue
            if use_rbd:
                bounds = [[float(c.min()), float(c.max()) + 1e-12] for c in x.T]
                problem = {"num_vars": x.shape[1], "names": names, "bounds": bounds}
                shares = rbd_fast.analyze(problem, x, y, print_to_console=False, seed=1)["S1"]
                method = "RBD-FAST S1"
            else:
                shares = []
                for col in x.T:
                    rho = spearmanr(col, y).statistic if np.ptp(col) > 0 else 0.0
                    shares.append(0.0 if not np.isfinite(rho) else float(rho) ** 2)
                method = "Spearman rho^2 (few members: indicative)"
            for name, share in zip(names, shares, strict=True):
                rows.append({"kpi": k.name, "parameter": name, "share": float(share), "method": method})
        return pd.DataFrame(rows)

    def write(self, folder) -> dict[str, pd.DataFrame]:
        """Write the ensemble tables next to a comparison's results."""
        out = {
            "ensemble_design": self.design.rename_axis("member").reset_index(),
            "ensemble_runs": self.runs,
            "ensemble_bands": self.bands(),
            "ensemble_targets": self.targets(),
            "ensemble_ranking": self.ranking(),
            "ensemble_importance": self.importance(),
            "ensemble_trajectories": self.trajectory_bands(),
            "ensemble_choice_ranking": self.choice_ranking(),
        }
        for name, table in out.items():
            table.to_csv(folder / f"{name}.csv", index=False)
        (folder / "ensemble_fixed_assumptions.txt").write_text(self.fixed_text(), encoding="utf-8")
        return out

    def fixed_text(self) -> str:
        """What the ensemble held at its value, and why (``ensemble_fixed_assumptions.txt``)."""
        values = {k: v for loaded in reversed(self.scenarios) for k, v, _ in loaded.parameters()}
        numeric = [k for k in self.fixed if _has_number(values.get(k))]
        plain = [k for k in self.fixed if k not in numeric]
        lines = [
            "Assumptions held at their value in every plausible world (nothing to sample).",
            f"Sampled: {sum(u.kind != 'choice' for u in self.uncertainties)} ranges "
            f"({sum(u.kind in ('factor', 'exponent') for u in self.uncertainties)} of them whole tables) "
            f"and {len(self.choice_keys())} structural choices ({', '.join(self.choice_keys()) or 'none'}).",
            "",
            f"Without numbers (names, flags): {len(plain)}",
            *(f"  {k}" for k in plain),
            "",
            "Numbers no range acts on (calendar weeks, structure such as provider counts, a record's fields "
            "other than its table's magnitude, a share table with one share, a range collapsed to one value):"
            f" {len(numeric)}",
            *(f"  {k} = {values.get(k)!r}" for k in numeric),
        ]
        return "\n".join(lines) + "\n"


def _correlation_ratio(groups: np.ndarray, y: np.ndarray) -> float:
    """Share of ``y``'s variance between the means of its groups (eta squared)."""
    total = float(((y - y.mean()) ** 2).sum())
    between = sum(
        (groups == g).sum() * (y[groups == g].mean() - y.mean()) ** 2 for g in dict.fromkeys(groups)
    )
    return float(between / total) if total > 0 else 0.0


def _has_number(value: Any) -> bool:
    if isinstance(value, list):
        return any(_has_number(v) for v in value)
    return isinstance(value, int | float) and not isinstance(value, bool)
