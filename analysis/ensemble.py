"""Ensembles over what we do not know: assumption ranges × seeds, with common random numbers.

Why: bands from replications at fixed parameters show chance only; they narrow with more runs and a
workshop reads them as a forecast. Every ``assumption`` in a preset carries a plausible range
(DESIGN §5); an ensemble samples those ranges (Latin hypercube), runs every scenario at every
member with the same seeds, and reports the spread (ignorance), the share of plausible worlds in
which each target is met, how robustly scenarios rank, and which assumptions drive each KPI — what
to measure next. Scalar assumptions are sampled within their range. Assumptions without a range
(choices, flags, whole tables such as provider lists or share tables) are held at their value and
listed as such.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import qmc

from analysis.report import TARGETS
from model.api import simulate
from model.kpis import KPIS
from model.params import LoadedScenario, load_scenario
from model.streams import derive_seed

__all__ = ["Uncertainty", "uncertainties", "Ensemble"]


@dataclass(frozen=True)
class Uncertainty:
    """One sampled assumption: a scalar within its range, or a factor on a section's numbers."""

    key: str
    low: float
    high: float
    nominal: float
    is_int: bool = False


#: Design choices of a run, not uncertainties about the world: never sampled.
NOT_SAMPLED = {"population.workers", "population.smes", "horizon_weeks"}


def uncertainties(
    loaded: LoadedScenario, exclude: set[str] | None = None
) -> tuple[list[Uncertainty], list[str]]:
    """The sampled assumptions of a scenario, and the assumptions held fixed (no range)."""
    sampled, fixed = [], []
    skip = NOT_SAMPLED | (exclude or set())
    for key, value, prov in loaded.parameters():
        if prov.kind != "assumption" or key in skip:
            continue
        if prov.range is None or isinstance(value, bool) or not isinstance(value, int | float):
            fixed.append(key)
            continue
        lo, hi = prov.range
        if hi > lo:
            sampled.append(Uncertainty(key, lo, hi, float(value), isinstance(value, int)))
    return sampled, fixed


def _member_overrides(loaded: LoadedScenario, point: dict[str, float]) -> list[str]:
    """Overrides for one member, only for values that are still assumptions in this scenario."""
    kinds = {k: p.kind for k, _, p in loaded.parameters()}
    out = []
    for key, value in point.items():
        if kinds.get(key) == "assumption":
            plain = value.item() if isinstance(value, np.generic) else value
            out.append(f"{key}={plain!r}")
    return out


def _run_member(path: str, base: list[str], member: list[str], seed: int) -> dict[str, float]:
    cfg = load_scenario(path, base + member).config
    return simulate(cfg, seed, "vector", deadweight=False).whole


@dataclass
class Ensemble:
    """Scenarios × ensemble members × replications; members share seeds across scenarios."""

    scenarios: list[LoadedScenario]
    labels: list[str]
    members: int = 20
    reps: int = 2
    seed: int = 1
    overrides: list[str] = field(default_factory=list)
    design: pd.DataFrame | None = None
    runs: pd.DataFrame | None = None
    fixed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def sample(self) -> Ensemble:
        """Latin hypercube over the first scenario's sampled assumptions (clears old results)."""
        given = {o.partition("=")[0].strip() for o in self.overrides}
        uncs, self.fixed = uncertainties(self.scenarios[0], given)
        if not uncs:
            self.design = pd.DataFrame(index=range(self.members))
        else:
            lhs = qmc.LatinHypercube(d=len(uncs), seed=derive_seed(self.seed, "ensemble-design") % 2**32)
            unit = lhs.random(self.members)
            cols = {}
            for j, u in enumerate(uncs):
                values = u.low + unit[:, j] * (u.high - u.low)
                cols[u.key] = np.round(values).astype(int) if u.is_int else values
            self.design = pd.DataFrame(cols)
        self.runs = None
        return self

    def run(self, jobs: int = 1, on_done: Callable[[], None] | None = None) -> Ensemble:
        """Run every scenario at every member and replication; returns self."""
        if self.design is None:
            self.sample()
        t0 = time.perf_counter()
        tasks = []
        for m, point in enumerate(self.design.to_dict("records")):
            for r in range(self.reps):
                seed = derive_seed(self.seed, "ensemble", m, r)
                for label, loaded in zip(self.labels, self.scenarios, strict=True):
                    member = _member_overrides(loaded, point)
                    tasks.append((label, int(m), r, (str(loaded.path), self.overrides, member, seed)))
        rows = []
        if jobs > 1:
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
                futures = [(t, pool.submit(_run_member, *t[3])) for t in tasks]
                for (label, m, r, _), fut in futures:
                    rows.append({"scenario": label, "member": m, "rep": r, **fut.result()})
                    if on_done:
                        on_done()
        else:
            for label, m, r, args in tasks:
                rows.append({"scenario": label, "member": m, "rep": r, **_run_member(*args)})
                if on_done:
                    on_done()
        self.runs = pd.DataFrame(rows)
        self.seconds = time.perf_counter() - t0
        return self

    def member_means(self) -> pd.DataFrame:
        """KPI means over replications, per scenario and member (the plausible worlds)."""
        return self.runs.groupby(["scenario", "member"], sort=False).mean(numeric_only=True).reset_index()

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

    def targets(self) -> pd.DataFrame:
        """Share of plausible worlds (members) in which each scenario meets each target."""
        means = self.member_means()
        rows = []
        for kpi, t in TARGETS.items():
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

        With at least four members per sampled assumption, RBD-FAST first-order indices (SALib)
        on the Latin hypercube; with fewer, the squared Spearman correlation of each assumption with
        the KPI across members (``method`` says which; the latter is indicative only).
        """
        from SALib.analyze import rbd_fast
        from scipy.stats import spearmanr

        if self.design is None or self.design.empty:
            return pd.DataFrame(columns=["kpi", "parameter", "share", "method"])
        means = self.member_means()
        first = means[means["scenario"] == self.labels[0]].sort_values("member")
        x = self.design.to_numpy(float)
        names = list(self.design.columns)
        use_rbd = len(x) >= 4 * x.shape[1]
        rows = []
        for k in KPIS:
            y = first[k.name].to_numpy(float)
            if not np.isfinite(y).all() or np.ptp(y) == 0:
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
        tables = {
            "ensemble_design": self.design.rename_axis("member").reset_index(),
            "ensemble_runs": self.runs,
            "ensemble_bands": self.bands(),
            "ensemble_targets": self.targets(),
            "ensemble_ranking": self.ranking(),
            "ensemble_importance": self.importance(),
        }
        for name, table in tables.items():
            table.to_csv(folder / f"{name}.csv", index=False)
        (folder / "ensemble_fixed_assumptions.txt").write_text(
            "Assumptions held at their value (no range to sample):\n" + "\n".join(self.fixed) + "\n",
            encoding="utf-8",
        )
        return tables
