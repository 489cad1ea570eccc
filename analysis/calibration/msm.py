"""Method of simulated moments with common random numbers, and what a fit leaves behind.

Why this design: the model is stochastic and its outputs move in steps (agents are discrete), so
the loss is made deterministic by common random numbers (every parameter vector is run on the same
seeds, ``analysis.experiment.rep_seed``) and searched without gradients: a Latin hypercube over the
bounds first (all points in parallel), then Nelder-Mead from the best point (scipy), or scipy's
differential evolution. The loss is the weighted squared distance between simulated and observed
targets, with weights ``1 / (uncertainty² + simulated variance / R)`` fixed at the start point, so
a noisy moment counts less. Uncertainty of the fitted values is the usual sandwich
``(G'WG)⁻¹ G'W Σ W G (G'WG)⁻¹`` with a finite-difference Jacobian ``G`` (same seeds) and ``Σ`` the
observed variances plus the simulation variance of the moments; a parameter counts as *identified*
by the targets when its 95 % interval spans less than half of its bounds (DESIGN §5: the others
stay assumptions). Over-identified fits also get Hansen's J test.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from scipy import optimize, stats

from analysis.calibration.errors import StudyError
from analysis.calibration.indicators import format_group, indicator_job
from analysis.calibration.params import FitParameter, apply_values
from analysis.calibration.targets import Target
from analysis.execution import Job, Runner
from analysis.experiment import rep_seed
from model.params import LoadedScenario, Scenario, ScenarioError, load_scenario

__all__ = ["MSM", "CalibrationResult", "CalibrationError", "write_preset", "plot_fit", "IDENTIFIED_SHARE"]

#: A parameter is identified when its 95 % interval is narrower than this share of its bounds.
IDENTIFIED_SHARE = 0.5
_NAN_PENALTY = 1e6


class CalibrationError(StudyError):
    """A calibration that cannot run or whose result cannot be written."""


@dataclass
class CalibrationResult:
    """Fitted values with uncertainty, the fit to every target, and how the search went."""

    parameters: list[FitParameter]
    theta: np.ndarray
    se: np.ndarray
    ci_lo: np.ndarray
    ci_hi: np.ndarray
    targets: list[Target]
    sim_mean: np.ndarray
    sim_sd: np.ndarray
    weights: np.ndarray
    loss: float
    jacobian: np.ndarray
    method: str
    seeds: list[int]
    engine: str
    evaluations: int
    runs: int
    seconds: float
    message: str
    trace: pd.DataFrame
    uncertainty_from: str = "sandwich"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def observed(self) -> np.ndarray:
        """Observed target values."""
        return np.array([t.value for t in self.targets])

    @property
    def uncertainty(self) -> np.ndarray:
        """Observed standard deviations."""
        return np.array([t.uncertainty for t in self.targets])

    @property
    def ci_share(self) -> np.ndarray:
        """Width of each 95 % interval as a share of the parameter's bounds."""
        width = np.array([p.hi - p.lo for p in self.parameters])
        return (self.ci_hi - self.ci_lo) / width

    @property
    def identified(self) -> np.ndarray:
        """Which parameters the targets pin down (interval narrower than half the bounds)."""
        return np.isfinite(self.ci_share) & (self.ci_share < IDENTIFIED_SHARE)

    @property
    def dof(self) -> int:
        """Targets minus parameters (degrees of freedom of the J test)."""
        return len(self.targets) - len(self.parameters)

    @property
    def j_stat(self) -> float:
        """Hansen's J: weighted squared residuals at the fit (≈ χ²(dof) if the model fits)."""
        return float(self.loss)

    @property
    def p_value(self) -> float:
        """P-value of the J test (NaN when exactly identified)."""
        return float(stats.chi2.sf(self.j_stat, self.dof)) if self.dof > 0 else float("nan")

    def fit_table(self) -> pd.DataFrame:
        """One row per parameter: start, bounds, fitted value, standard error, 95 % interval."""
        rows = []
        for j, p in enumerate(self.parameters):
            rows.append(
                {
                    "parameter": p.key,
                    "start": p.value,
                    "low": p.lo,
                    "high": p.hi,
                    "fitted": self.theta[j],
                    "se": self.se[j],
                    "ci_lo": self.ci_lo[j],
                    "ci_hi": self.ci_hi[j],
                    "ci_share_of_bounds": self.ci_share[j],
                    "identified": bool(self.identified[j]),
                    "provenance_before": p.provenance.describe(),
                }
            )
        return pd.DataFrame(rows)

    def target_table(self) -> pd.DataFrame:
        """One row per target: observed, simulated (mean and spread over seeds), residual, z."""
        resid = self.sim_mean - self.observed
        z = resid * np.sqrt(self.weights)
        return pd.DataFrame(
            {
                "indicator": [t.indicator for t in self.targets],
                "year": pd.array([t.year for t in self.targets], dtype="Int64"),
                "group": [format_group(t.group) for t in self.targets],
                "observed": self.observed,
                "uncertainty": self.uncertainty,
                "simulated": self.sim_mean,
                "simulated_sd": self.sim_sd,
                "residual": resid,
                "z": z,
                "weight": self.weights,
                "source": [t.source for t in self.targets],
            }
        )

    def diagnostics(self) -> dict[str, Any]:
        """Fit diagnostics as plain data (for diagnostics.json)."""
        g = self.jacobian
        scaled = g * np.sqrt(self.weights)[:, None]
        sv = np.linalg.svd(scaled, compute_uv=False) if scaled.size else np.array([])
        cond = float(sv[0] / sv[-1]) if len(sv) and sv[-1] > 0 else float("inf")
        return {
            "method": self.method,
            "loss": self.loss,
            "j_stat": self.j_stat,
            "dof": self.dof,
            "p_value": self.p_value,
            "targets": len(self.targets),
            "parameters": [p.key for p in self.parameters],
            "identified": [p.key for p, ok in zip(self.parameters, self.identified, strict=True) if ok],
            "not_identified": [
                p.key for p, ok in zip(self.parameters, self.identified, strict=True) if not ok
            ],
            "uncertainty_from": self.uncertainty_from,
            "jacobian_condition_number": cond,
            "jacobian": {
                p.key: dict(zip([t.label for t in self.targets], map(float, g[:, j]), strict=True))
                for j, p in enumerate(self.parameters)
            },
            "seeds": self.seeds,
            "engine": self.engine,
            "evaluations": self.evaluations,
            "runs": self.runs,
            "seconds": round(self.seconds, 2),
            "optimizer_message": self.message,
            **self.extra,
        }


class MSM:
    """A method-of-simulated-moments calibration of ``params`` to ``targets`` on one scenario."""

    def __init__(
        self,
        loaded: LoadedScenario,
        params: list[FitParameter],
        targets: list[Target],
        *,
        base: Scenario | None = None,
        reps: int = 4,
        seed: int = 1,
        engine: str = "vector",
    ) -> None:
        if reps < 2:
            raise CalibrationError(
                "--reps must be at least 2 (the simulated variance of the moments needs it)"
            )
        self.loaded = loaded
        self.base = base if base is not None else loaded.config
        self.params = params
        self.targets = targets
        self.engine = engine
        self.seeds = [rep_seed(seed, r) for r in range(reps)]
        self.seed = seed
        self.keys = tuple(t.key for t in targets)
        self.observed = np.array([t.value for t in targets])
        self.unc = np.array([t.uncertainty for t in targets])
        self.deadweight = any(t.indicator == "deadweight_share" for t in targets)
        self.weights = 1.0 / self.unc**2
        self.sim_var = np.zeros(len(targets))
        self._cache: dict[tuple[float, ...], np.ndarray] = {}
        self.trace: list[dict[str, float]] = []
        self.evaluations = 0

    # ------------------------------------------------------------------ simulation
    def theta_of(self, u: np.ndarray) -> np.ndarray:
        """Natural parameter values of a point of the unit cube."""
        return np.array([p.from_unit(x) for p, x in zip(self.params, u, strict=True)])

    def unit_of(self, theta: np.ndarray) -> np.ndarray:
        """Unit-cube point of natural parameter values."""
        return np.array([p.to_unit(x) for p, x in zip(self.params, theta, strict=True)])

    def scenario(self, theta: np.ndarray) -> Scenario:
        """The base scenario with the parameters set."""
        return apply_values(self.base, {p.key: float(x) for p, x in zip(self.params, theta, strict=True)})

    def moments(
        self, thetas: list[np.ndarray], runner: Runner, on_done: Callable | None = None
    ) -> list[np.ndarray]:
        """Per-seed simulated moments (R × K) of each parameter vector, reusing earlier runs."""
        todo = []
        for th in thetas:
            key = tuple(np.round(th, 12))
            if key not in self._cache and key not in todo:
                todo.append(key)
        options = {"keys": self.keys, "deadweight": self.deadweight}
        jobs = [
            Job(indicator_job, self.scenario(np.array(key)), s, self.engine, options=options)
            for key in todo
            for s in self.seeds
        ]
        if jobs:
            flat = runner.map(jobs, on_done)
            r = len(self.seeds)
            for i, key in enumerate(todo):
                self._cache[key] = np.vstack(flat[i * r : (i + 1) * r])
        return [self._cache[tuple(np.round(th, 12))] for th in thetas]

    def loss_of(self, m: np.ndarray, weights: np.ndarray | None = None) -> float:
        """Weighted squared distance of mean simulated moments from the observed ones."""
        w = self.weights if weights is None else weights
        with np.errstate(all="ignore"):
            mean = np.nanmean(m, axis=0) if np.isfinite(m).any() else np.full(m.shape[1], np.nan)
        r2 = w * (mean - self.observed) ** 2
        return float(np.where(np.isfinite(r2), r2, _NAN_PENALTY).sum())

    def _record(self, thetas: list[np.ndarray], ms: list[np.ndarray]) -> list[float]:
        losses = []
        for th, m in zip(thetas, ms, strict=True):
            loss = self.loss_of(m)
            self.evaluations += 1
            self.trace.append(
                {"evaluation": self.evaluations, **dict(zip(self._names, th, strict=True)), "loss": loss}
            )
            losses.append(loss)
        return losses

    @property
    def _names(self) -> list[str]:
        return [p.key for p in self.params]

    def _set_weights(self, m: np.ndarray) -> None:
        r = len(self.seeds)
        with np.errstate(all="ignore"):
            var = np.nanvar(m, axis=0, ddof=1)
        var = np.where(np.isfinite(var), var, 0.0)
        floor = (1e-6 * np.maximum(np.abs(self.observed), 1e-9)) ** 2
        self.sim_var = var
        self.weights = 1.0 / (self.unc**2 + var / r + floor)

    # ------------------------------------------------------------------ fitting
    def fit(self, *args: Any, **kwargs: Any) -> CalibrationResult:
        """Search the bounds, then estimate uncertainty and identification at the best point.

        See ``_fit`` for the arguments. Runs where a target is undefined (a ratio with nothing to
        divide) are expected; the warnings numpy would print for them are silenced here.
        """
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return self._fit(*args, **kwargs)

    def _fit(
        self,
        runner: Runner | None = None,
        method: Literal["nelder-mead", "de", "abc"] = "nelder-mead",
        *,
        n_init: int | None = None,
        max_evals: int | None = None,
        on_done: Callable | None = None,
        abc_options: dict[str, Any] | None = None,
    ) -> CalibrationResult:
        t0 = time.perf_counter()
        runner = runner or Runner()
        d = len(self.params)
        start = np.array([min(max(p.value, p.lo), p.hi) for p in self.params])
        (m0,) = self.moments([start], runner, on_done)
        self._set_weights(m0)
        self._record([start], [m0])
        message = ""
        extra: dict[str, Any] = {}
        post = None
        if method == "abc":
            from analysis.calibration.abc import run_abc

            post = run_abc(self, **(abc_options or {}), runner=runner)
            best_theta = post["mean"]
            message = post["message"]
            extra = {"abc": {k: v for k, v in post.items() if k not in ("mean", "sd", "lo", "hi")}}
        elif method == "de":
            best_theta, message = self._de(runner, max_evals or 40 * d, on_done)
        elif method == "nelder-mead":
            best_theta, message = self._nelder_mead(
                runner, n_init or max(8, 4 * d + 4), max_evals or 40 * d, on_done
            )
        else:
            raise CalibrationError(f"unknown method {method!r}: nelder-mead, de or abc")
        (m_best,) = self.moments([best_theta], runner, on_done)
        if method == "abc":
            self._record([best_theta], [m_best])
        g = self._jacobian(best_theta, runner, on_done)
        sim_mean = np.nanmean(m_best, axis=0)
        sim_sd = np.nanstd(m_best, axis=0, ddof=1)
        if post is not None:
            se, lo, hi = post["sd"], post["lo"], post["hi"]
            source = "ABC-SMC posterior (sd, 2.5-97.5 % quantiles)"
        else:
            se = self._sandwich(g, m_best)
            lo = np.maximum(best_theta - 1.96 * se, [p.lo for p in self.params])
            hi = np.minimum(best_theta + 1.96 * se, [p.hi for p in self.params])
            lo = np.where(np.isfinite(se), lo, [p.lo for p in self.params])
            hi = np.where(np.isfinite(se), hi, [p.hi for p in self.params])
            source = "sandwich (G'WG)^-1 G'W Sigma W G (G'WG)^-1, 95 % normal interval clipped to the bounds"
        return CalibrationResult(
            parameters=self.params,
            theta=best_theta,
            se=np.asarray(se, float),
            ci_lo=np.asarray(lo, float),
            ci_hi=np.asarray(hi, float),
            targets=self.targets,
            sim_mean=sim_mean,
            sim_sd=sim_sd,
            weights=self.weights,
            loss=self.loss_of(m_best),
            jacobian=g,
            method=method,
            seeds=self.seeds,
            engine=self.engine,
            evaluations=self.evaluations,
            runs=runner.runs,
            seconds=time.perf_counter() - t0,
            message=message,
            trace=pd.DataFrame(self.trace),
            uncertainty_from=source,
            extra=extra,
        )

    def _nelder_mead(self, runner: Runner, n_init: int, max_evals: int, on_done) -> tuple[np.ndarray, str]:
        d = len(self.params)
        design = stats.qmc.LatinHypercube(d=d, seed=np.random.default_rng(self.seed)).random(n_init)
        thetas = [self.theta_of(u) for u in design]
        losses = self._record(thetas, self.moments(thetas, runner, on_done))
        best_u = design[int(np.argmin(losses))]
        if min(losses) > self.trace[0]["loss"]:
            best_u = self.unit_of(np.array([self.trace[0][k] for k in self._names]))
        step = 0.15
        simplex = [best_u]
        for j in range(d):
            v = best_u.copy()
            v[j] = v[j] + step if v[j] + step <= 1 else v[j] - step
            simplex.append(v)

        def f(u: np.ndarray) -> float:
            th = self.theta_of(np.clip(u, 0, 1))
            return self._record([th], self.moments([th], runner, on_done))[0]

        res = optimize.minimize(
            f,
            best_u,
            method="Nelder-Mead",
            bounds=[(0.0, 1.0)] * d,
            options={"initial_simplex": np.array(simplex), "maxfev": max_evals, "xatol": 5e-3, "fatol": 1e-3},
        )
        return self._best_seen(), f"Latin hypercube ({n_init} points), then Nelder-Mead: {res.message}"

    def _de(self, runner: Runner, max_evals: int, on_done) -> tuple[np.ndarray, str]:
        d = len(self.params)
        popsize = max(5, 15 // d)

        def batch(func, population) -> list[float]:
            thetas = [self.theta_of(np.clip(u, 0, 1)) for u in population]
            return self._record(thetas, self.moments(thetas, runner, on_done))

        res = optimize.differential_evolution(
            lambda u: 0.0,  # evaluated in batches by `batch`
            bounds=[(0.0, 1.0)] * d,
            popsize=popsize,
            maxiter=max(1, max_evals // (popsize * d)),
            seed=self.seed,
            polish=False,
            updating="deferred",
            workers=batch,
            tol=1e-3,
        )
        return self._best_seen(), f"differential evolution: {res.message}"

    def _best_seen(self) -> np.ndarray:
        best = min(self.trace, key=lambda r: r["loss"])
        return np.array([best[k] for k in self._names])

    def _jacobian(self, theta: np.ndarray, runner: Runner, on_done) -> np.ndarray:
        """d(mean moments)/d(theta) by finite differences on the same seeds (natural units)."""
        u = self.unit_of(theta)
        h = 0.05
        pts = []
        for j in range(len(self.params)):
            up, dn = u.copy(), u.copy()
            up[j] = min(1.0, u[j] + h)
            dn[j] = max(0.0, u[j] - h)
            pts += [self.theta_of(up), self.theta_of(dn)]
        ms = self.moments(pts, runner, on_done)
        g = np.zeros((len(self.targets), len(self.params)))
        for j in range(len(self.params)):
            a, b = pts[2 * j], pts[2 * j + 1]
            dx = a[j] - b[j]
            if dx == 0:
                continue
            with np.errstate(all="ignore"):
                g[:, j] = (np.nanmean(ms[2 * j], axis=0) - np.nanmean(ms[2 * j + 1], axis=0)) / dx
        return np.where(np.isfinite(g), g, 0.0)

    def _sandwich(self, g: np.ndarray, m: np.ndarray) -> np.ndarray:
        r = len(self.seeds)
        filled = np.where(np.isfinite(m), m, np.nanmean(m, axis=0))
        filled = np.where(np.isfinite(filled), filled, 0.0)
        s = np.atleast_2d(np.cov(filled, rowvar=False, ddof=1)) / r
        sigma = np.diag(self.unc**2) + s
        w = np.diag(self.weights)
        a = g.T @ w @ g
        if np.linalg.matrix_rank(a) < len(self.params):
            se = np.full(len(self.params), np.inf)
            inv = np.linalg.pinv(a)
            v = inv @ g.T @ w @ sigma @ w @ g @ inv
            diag = np.diag(v)
            ok = np.abs(g).sum(axis=0) > 0
            # a zero Jacobian column means the targets do not see the parameter at all
            se[ok] = np.sqrt(np.maximum(diag[ok], 0.0))
            return se
        inv = np.linalg.inv(a)
        v = inv @ g.T @ w @ sigma @ w @ g @ inv
        return np.sqrt(np.maximum(np.diag(v), 0.0))


# ---------------------------------------------------------------------------- outputs


def _nest(data: dict, cfg_dump: dict, key: str, wrapper: dict) -> None:
    """Put ``wrapper`` at dotted ``key`` in ``data``; list items are written by their id or name."""
    parts: list[str | int] = []
    for chunk in key.replace("]", "").replace("[", ".").split("."):
        if chunk:
            parts.append(int(chunk) if chunk.isdigit() else chunk)
    node, src = data, cfg_dump
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(part, int):
            item = src[part]
            ident = "id" if "id" in item else "name" if "name" in item else None
            if ident is None:
                raise CalibrationError(
                    f"{key}: list items without an id or name cannot be overridden in a preset"
                )
            lst = node  # a list placed by the previous step
            key = {"value": item[ident], "source": "the item of the extended preset (the merge key)"}
            found = next((x for x in lst if x.get(ident) == key), None)
            if found is None:
                found = {ident: key}
                lst.append(found)
            node, src = found, item
            continue
        nxt_is_index = not last and isinstance(parts[i + 1], int)
        if last:
            node[part] = wrapper
        else:
            node = node.setdefault(part, [] if nxt_is_index else {})
            src = src[part]


def write_preset(
    result: CalibrationResult,
    loaded: LoadedScenario,
    targets_label: str,
    path: Path,
    *,
    final_dir: Path | None = None,
    today: dt.date | None = None,
) -> Path:
    """Write a preset that extends the scenario and sets every fitted parameter, with provenance.

    An identified value carries ``calibrated: "<targets>; <date>; loss ..."``. A value the targets do
    not identify is written too, so the preset reproduces the fit, but it stays an assumption with
    its range, its text saying it was fitted and not identified (DESIGN §5). The file is loaded back
    and checked before this returns.
    """
    today = today or dt.date.today()
    final_dir = final_dir or path.parent
    rel = os.path.relpath(loaded.path.resolve(), final_dir.resolve())
    p_txt = "n/a" if math.isnan(result.p_value) else f"{result.p_value:.2f}"
    data: dict[str, Any] = {
        "name": f"{loaded.config.name} (calibrated {today.isoformat()})",
        "description": (
            f"{loaded.config.name} with parameters fitted by mcsim calibrate ({result.method}) to "
            f"{targets_label}; loss {result.loss:.3g}. Parameters the targets did not identify keep "
            "their ranges as assumptions (their fitted values are written, saying so)."
        ),
        "preset": True,
        "extends": rel,
    }
    dump = loaded.config.model_dump(mode="json")
    written = {}
    for j, p in enumerate(result.parameters):
        value = int(round(result.theta[j])) if p.integer else float(f"{result.theta[j]:.6g}")
        fit = (
            f"{targets_label}; {today.isoformat()}; loss {result.loss:.3g} (J test p={p_txt}); "
            f"95% CI {result.ci_lo[j]:.4g}-{result.ci_hi[j]:.4g}; {result.method}"
        )
        if result.identified[j]:
            wrapper: dict[str, Any] = {"value": value, "calibrated": fit}
        else:  # the fit's value, so the preset reproduces the fit; still an assumption with its range
            was = p.provenance.text
            wrapper = {
                "value": value,
                "assumption": f"fitted but not identified by {fit} (before: {was})",
                "range": [p.lo, p.hi],
            }
        _nest(data, dump, p.key, wrapper)
        written[p.key] = value
    header = (
        f"# Written by `mcsim calibrate` on {today.isoformat()}: extends {rel} and sets the "
        f"{len(written)} fitted parameter(s), {int(result.identified.sum())} identified ({targets_label}).\n"
        "# The fitted values are conditional on every other parameter of the scenario.\n"
    )
    path.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    try:
        check = load_scenario(path)
    except ScenarioError as exc:
        raise CalibrationError(f"the calibrated preset {path} does not load: {exc}") from None
    got = {k: v for k, v, _ in check.parameters()}
    for key, value in written.items():
        if not math.isclose(float(got.get(key, math.nan)), float(value), rel_tol=1e-9):
            raise CalibrationError(f"the calibrated preset {path} does not set {key} to {value}")
    return path


def plot_fit(result: CalibrationResult, path: Path) -> Path:
    """Dot plot of simulated against observed targets, each relative to its observed value."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tab = result.target_table()
    labels = [t.label for t in result.targets]
    obs = tab["observed"].to_numpy()
    scale = np.where(np.abs(obs) > 0, np.abs(obs), 1.0)
    k = len(labels)
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.38 * k))
    y = np.arange(k)[::-1]
    ax.errorbar(
        obs / scale,
        y + 0.12,
        xerr=1.96 * tab["uncertainty"] / scale,
        fmt="s",
        color="black",
        label="observed (±1.96 × uncertainty)",
        capsize=3,
    )
    ax.errorbar(
        tab["simulated"] / scale,
        y - 0.12,
        xerr=1.96 * tab["simulated_sd"] / scale,
        fmt="o",
        color="tab:blue",
        label=f"simulated, mean of {len(result.seeds)} seeds (±1.96 sd)",
        capsize=3,
    )
    ax.set_yticks(y, labels, fontsize=8)
    ax.axvline(1.0, color="grey", lw=0.5)
    ax.set_xlabel("value ÷ observed value")
    ax.set_title(
        f"Calibration fit ({result.method}): loss {result.loss:.3g}, {len(result.targets)} targets",
        fontsize=10,
    )
    # Below the axes: inside, it would hide a target's bars.
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
