"""Sensitivity analysis: Morris screening and Sobol indices (SALib) of KPIs over chosen parameters.

Why this shape: a study is one fluent chain, as SALib's ``ProblemSpec`` is (``sample`` →
``evaluate`` → ``analyze``, each returning the study; a new design clears stale results). The model
is stochastic, so every design point is run on the same fixed seeds (common random numbers:
differences between points are parameters, not noise) and the KPI is the mean over those seeds; the
seeds' own share of the variance is reported next to the indices (DESIGN §7): the within-point
variance of single runs over the total, and what is left of it in the seed means the indices were
computed from. Each parameter's provenance says whether data pins it down (report, public figure,
calibration) or it is an assumption; ``assumption_dependence`` then names the KPIs whose variance
comes mostly from assumptions that no data yet pins down.

Parameters are sampled uniformly over their bounds (log-uniformly for ``scale: log``) in a unit
cube that ``FitParameter.from_unit`` maps to values, so Morris effects are per whole range.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from analysis.calibration.errors import StudyError
from analysis.calibration.params import FitParameter, apply_values
from analysis.execution import Job, Outcome, Runner, whole_kpis
from analysis.experiment import rep_seed
from model.kpis import KPI_NAMES
from model.params import LoadedScenario, Scenario

__all__ = ["SensitivityStudy", "SensitivityError", "DEFAULT_KPIS", "plot_indices"]

DEFAULT_KPIS = (
    "enrolments",
    "credentials_issued",
    "women_share",
    "employer_acceptance_rate",
    "completion_rate",
    "enrolment_to_credential_days",
)
#: A KPI whose indices come from seed means with more than this share of seed noise is flagged.
NOISY_SHARE = 0.2
#: A KPI "rests on unpinned assumptions" when they carry at least this share of its sensitivity.
UNPINNED_SHARE = 0.5
#: The chart shows each KPI's most influential parameters, at most this many.
TOP_IN_CHART = 15


class SensitivityError(StudyError):
    """A sensitivity study that cannot run as specified."""


@dataclass
class SensitivityStudy:
    """Morris or Sobol sensitivity of whole-run KPIs to a set of parameters."""

    loaded: LoadedScenario
    params: list[FitParameter]
    kpis: list[str] = field(default_factory=lambda: list(DEFAULT_KPIS))
    base: Scenario | None = None
    engine: str = "vector"
    seeds_per_point: int = 2
    seed: int = 1
    method: Literal["morris", "sobol"] | None = None
    X: np.ndarray | None = None
    Y: np.ndarray | None = None  # design points × seeds × KPIs
    results: dict[str, dict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def __post_init__(self) -> None:
        unknown = [k for k in self.kpis if k not in KPI_NAMES]
        if unknown:
            raise SensitivityError(f"unknown KPI(s) {', '.join(unknown)} (known: {', '.join(KPI_NAMES)})")
        if self.seeds_per_point < 1:
            raise SensitivityError("--seeds must be at least 1")
        if self.base is None:
            self.base = self.loaded.config

    @property
    def problem(self) -> dict:
        """The SALib problem: one unit interval per parameter."""
        return {
            "num_vars": len(self.params),
            "names": [p.key for p in self.params],
            "bounds": [[0.0, 1.0]] * len(self.params),
        }

    @property
    def deadweight(self) -> bool:
        """Whether runs also make the counterfactuals that measure deadweight (only if it is a KPI here)."""
        return "deadweight_share" in self.kpis

    @property
    def seeds(self) -> list[int]:
        """The fixed seeds every design point is run on."""
        return [rep_seed(self.seed, r) for r in range(self.seeds_per_point)]

    # ------------------------------------------------------------------ fluent steps
    def sample(self, method: Literal["morris", "sobol"], n: int, *, levels: int = 4) -> SensitivityStudy:
        """Draw the design: ``n`` Morris trajectories or a Sobol base sample of ``n`` (a power of 2)."""
        if method == "morris":
            from SALib.sample import morris

            if n < 2:
                raise SensitivityError("Morris needs at least 2 trajectories (-n)")
            self.X = morris.sample(self.problem, n, num_levels=levels, seed=self.seed)
        elif method == "sobol":
            from SALib.sample import sobol

            if n < 2 or n & (n - 1):
                raise SensitivityError(f"Sobol needs a base sample that is a power of 2 (-n), not {n}")
            self.X = sobol.sample(self.problem, n, calc_second_order=False, seed=self.seed)
        else:
            raise SensitivityError(f"unknown method {method!r}: morris or sobol")
        self.method = method
        self.levels = levels
        self.Y, self.results, self.notes = None, {}, []
        return self

    def scenarios(self) -> list[Scenario]:
        """The scenario of every design point."""
        if self.X is None:
            raise SensitivityError("sample() first")
        return [
            apply_values(self.base, {p.key: p.from_unit(u) for p, u in zip(self.params, row, strict=True)})
            for row in self.X
        ]

    def evaluate(
        self, runner: Runner | None = None, on_done: Callable[[Outcome], object] | None = None
    ) -> SensitivityStudy:
        """Run every design point on every seed (default: in this process); ``Y`` is points × seeds × KPIs."""
        t0 = time.perf_counter()
        options = {"deadweight": self.deadweight}
        jobs = [
            Job(whole_kpis, cfg, s, self.engine, options=options)
            for cfg in self.scenarios()
            for s in self.seeds
        ]
        flat = [
            [whole.get(k, np.nan) for k in self.kpis] for whole in (runner or Runner()).map(jobs, on_done)
        ]
        self.Y = np.array(flat, dtype=float).reshape(len(self.X), len(self.seeds), len(self.kpis))
        self.results = {}
        self.seconds = time.perf_counter() - t0
        return self

    def analyze(self, conf_level: float = 0.95, num_resamples: int = 1000) -> SensitivityStudy:
        """Indices with bootstrap confidence intervals for every KPI that varies and is defined."""
        if self.Y is None:
            raise SensitivityError("evaluate() first")
        from SALib.analyze import morris, sobol

        with np.errstate(all="ignore"):
            means = np.nanmean(self.Y, axis=1)
        self.results = {}
        for k, kpi in enumerate(self.kpis):
            y = means[:, k]
            if not np.isfinite(y).all():
                share = float(np.mean(~np.isfinite(y)))
                self.notes.append(f"{kpi}: undefined (NaN) at {share:.0%} of the design points; left out")
                continue
            if np.ptp(y) == 0:
                self.notes.append(
                    f"{kpi}: the same value at every design point; no sensitivity to these parameters"
                )
                continue
            if self.method == "morris":
                res = morris.analyze(
                    self.problem,
                    self.X,
                    y,
                    num_resamples=num_resamples,
                    conf_level=conf_level,
                    num_levels=self.levels,
                    seed=self.seed,
                )
            else:
                res = sobol.analyze(
                    self.problem,
                    y,
                    calc_second_order=False,
                    num_resamples=num_resamples,
                    conf_level=conf_level,
                    seed=self.seed,
                )
            self.results[kpi] = {key: np.asarray(v) for key, v in res.items() if key != "names"}
        return self

    # ------------------------------------------------------------------ tables
    def indices(self) -> pd.DataFrame:
        """One row per KPI × parameter with the indices, their confidence half-widths and provenance."""
        rows = []
        for kpi, res in self.results.items():
            for j, p in enumerate(self.params):
                row = {
                    "kpi": kpi,
                    "parameter": p.key,
                    "provenance": p.provenance.kind,
                    "pinned_by_data": p.pinned_by_data,
                }
                if self.method == "morris":
                    row |= {
                        "mu_star": float(res["mu_star"][j]),
                        "mu_star_conf": float(res["mu_star_conf"][j]),
                        "mu": float(res["mu"][j]),
                        "sigma": float(res["sigma"][j]),
                    }
                else:
                    row |= {
                        "S1": float(res["S1"][j]),
                        "S1_conf": float(res["S1_conf"][j]),
                        "ST": float(res["ST"][j]),
                        "ST_conf": float(res["ST_conf"][j]),
                    }
                rows.append(row)
        return pd.DataFrame(rows)

    def seed_noise(self) -> pd.DataFrame:
        """Share of each KPI's variance that is seed noise (needs at least 2 seeds per point).

        ``seed_share_single_run``: mean within-point variance over runs ÷ (that + variance of the
        point means): how much one run's value is luck. ``seed_share_in_indices``: the within-point
        variance left in a mean of the seeds (÷ seeds) over the variance of the means the indices
        were computed from, an upper bound (with common seeds much of it is shared by every point).
        """
        rows = []
        m = len(self.seeds)
        for k, kpi in enumerate(self.kpis):
            y = self.Y[:, :, k]
            ok = np.isfinite(y).all(axis=1)
            y = y[ok]
            row = {"kpi": kpi, "points": int(ok.sum()), "seeds_per_point": m}
            if m >= 2 and len(y) > 1:
                within = float(np.mean(np.var(y, axis=1, ddof=1)))
                between = float(np.var(y.mean(axis=1), ddof=1))
                total = within + between
                row |= {
                    "var_seed_within_point": within,
                    "var_between_point_means": between,
                    "seed_share_single_run": within / total if total > 0 else np.nan,
                    "seed_share_in_indices": min(1.0, (within / m) / between) if between > 0 else np.nan,
                }
            else:
                row |= {"var_seed_within_point": np.nan, "var_between_point_means": np.nan}
                row |= {"seed_share_single_run": np.nan, "seed_share_in_indices": np.nan}
            row["noisy"] = (
                bool(row["seed_share_in_indices"] > NOISY_SHARE)
                if np.isfinite(row["seed_share_in_indices"])
                else False
            )
            rows.append(row)
        return pd.DataFrame(rows)

    def assumption_dependence(self) -> pd.DataFrame:
        """Per KPI: how much of its sensitivity comes from parameters no data pins down."""
        tab = self.indices()
        noise = self.seed_noise().set_index("kpi")
        measure = "mu_star" if self.method == "morris" else "ST"
        rows = []
        for kpi, part in tab.groupby("kpi", sort=False):
            w = part[measure].clip(lower=0).to_numpy()
            total = w.sum()
            unpinned = ~part["pinned_by_data"].to_numpy()
            share = float(w[unpinned].sum() / total) if total > 0 else np.nan
            order = np.argsort(-w)
            top = part.iloc[order[0]]
            listed = [
                f"{part.iloc[i]['parameter']} ({w[i] / total:.0%})" for i in order if unpinned[i] and w[i] > 0
            ]
            noisy = bool(noise.loc[kpi, "noisy"]) if kpi in noise.index else False
            verdict = (
                "rests on assumptions no data pins down"
                if share >= UNPINNED_SHARE
                else "mostly driven by parameters with a source"
            )
            if unpinned.all():
                verdict += " (only assumptions were varied: add sourced parameters to compare)"
            if noisy:
                verdict += "; indices dominated by seed noise (add --seeds)"
            rows.append(
                {
                    "kpi": kpi,
                    "measure": measure,
                    "share_from_unpinned_assumptions": share,
                    "top_parameter": top["parameter"],
                    "top_parameter_pinned": bool(top["pinned_by_data"]),
                    "unpinned_parameters": "; ".join(listed),
                    "verdict": verdict,
                }
            )
        return pd.DataFrame(rows)

    def design(self) -> pd.DataFrame:
        """Every run: design point, parameter values, seed and KPI values."""
        rows = []
        for i, row in enumerate(self.X):
            values = {p.key: p.from_unit(u) for p, u in zip(self.params, row, strict=True)}
            for r, s in enumerate(self.seeds):
                rows.append(
                    {"point": i, "seed": s, **values, **dict(zip(self.kpis, self.Y[i, r], strict=True))}
                )
        return pd.DataFrame(rows)


def plot_indices(study: SensitivityStudy, path: Path) -> Path:
    """Bar chart per KPI: ST and S1 (Sobol) or mu* (Morris) with confidence bars; unpinned in orange.

    Each panel shows the KPI's most influential parameters (at most ``TOP_IN_CHART``), largest first.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tab = study.indices()
    kpis = list(dict.fromkeys(tab["kpi"])) if len(tab) else []
    n = max(1, len(kpis))
    cols = min(3, n)
    rows = int(np.ceil(n / cols))
    d = min(len(study.params), TOP_IN_CHART)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 0.9 + (0.32 * d + 0.9) * rows), squeeze=False)
    for ax in axes.ravel()[len(kpis) :]:
        ax.axis("off")
    for ax, kpi in zip(axes.ravel(), kpis, strict=False):
        part = tab[tab["kpi"] == kpi]
        key = "mu_star" if study.method == "morris" else "ST"
        part = part.sort_values(key, ascending=False).head(TOP_IN_CHART)
        y = np.arange(len(part))[::-1]
        colors = ["tab:blue" if pinned else "tab:orange" for pinned in part["pinned_by_data"]]
        if study.method == "morris":
            ax.barh(y, part["mu_star"], xerr=part["mu_star_conf"], color=colors, capsize=2)
            ax.set_xlabel("μ* (effect over the whole range)", fontsize=8)
        else:
            ax.barh(y, part["ST"], xerr=part["ST_conf"], color=colors, capsize=2, label="ST")
            ax.scatter(part["S1"], y, color="black", marker="|", s=120, zorder=3, label="S1")
            ax.set_xlabel("Sobol index (bars: total ST, ticks: first-order S1)", fontsize=8)
            ax.set_xlim(left=min(0.0, float(part["S1"].min()) - 0.05))
        ax.set_yticks(y, [".".join(p.split(".")[-2:]) for p in part["parameter"]], fontsize=7)
        ax.set_title(kpi, fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
    fig.suptitle(
        f"{study.method.title()} sensitivity, {len(study.seeds)} fixed seeds per point "
        "(orange: assumptions no data pins down)",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
