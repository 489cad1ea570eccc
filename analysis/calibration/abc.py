"""ABC-SMC calibration through pyabc (an optional extra: ``pip install mcsim[abc]``).

Why an alternative to MSM: approximate Bayesian computation gives a whole posterior over the
parameters (uniform priors on their bounds), which shows ridges and multiple modes that a
sandwich interval hides. Each particle is one run on a fresh seed (no common random numbers: the
seed noise is part of what ABC integrates over); the distance is Euclidean with each target
scaled by its observed uncertainty and the spread of a single run (measured at the start
point). The posterior mean is then evaluated on the MSM seeds for the fit diagnostics
(``msm.MSM.fit(method="abc")``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.calibration.indicators import indicator_job

if TYPE_CHECKING:
    from analysis.calibration.msm import MSM
    from analysis.execution import Runner

__all__ = ["run_abc", "available"]


def available() -> bool:
    """True if pyabc can be imported."""
    try:
        import pyabc  # noqa: F401
    except ImportError:
        return False
    return True


class _Model:
    """Picklable pyabc model: parameter dict in, simulated targets out (one run, fresh seed)."""

    def __init__(self, msm: MSM) -> None:
        self.base = msm.base
        self.params = msm.params
        self.keys = msm.keys
        self.engine = msm.engine
        self.deadweight = msm.deadweight
        self.observed = msm.observed

    def __call__(self, par: dict[str, float]) -> dict[str, float]:
        from analysis.calibration.params import apply_values

        values = {p.key: float(par[f"p{j}"]) for j, p in enumerate(self.params)}
        seed = int(np.random.randint(0, 2**31 - 1))  # pyabc seeds numpy's global generator
        m = indicator_job(apply_values(self.base, values), seed, self.engine, self.keys, self.deadweight)
        m = np.where(np.isfinite(m), m, 1e6 * (np.abs(self.observed) + 1.0))
        return {f"m{k}": float(v) for k, v in enumerate(m)}


def run_abc(
    msm: MSM,
    *,
    population: int = 40,
    generations: int = 4,
    min_epsilon: float = 0.0,
    db: str | Path | None = None,
    runner: Runner | None = None,
) -> dict[str, Any]:
    """Run ABC-SMC; return posterior mean, sd and 95 % quantiles of each parameter (natural units)."""
    try:
        import pyabc
    except ImportError:
        from analysis.calibration.msm import CalibrationError

        raise CalibrationError(
            "method abc needs pyabc, an optional extra: pip install 'mcsim[abc]' (or pip install pyabc)"
        ) from None
    import logging

    for name in ("ABC", "Sampler", "Epsilon", "Distance", "Acceptor", "Population", "pyabc"):
        logging.getLogger(name).setLevel(logging.WARNING)
    np.random.seed(msm.seed)
    prior = pyabc.Distribution(
        **{f"p{j}": pyabc.RV("uniform", p.lo, p.hi - p.lo) for j, p in enumerate(msm.params)}
    )
    # one run per particle: scale each target by its observed sd and the spread of a single run
    scale = np.sqrt(msm.unc**2 + msm.sim_var + (1e-6 * np.maximum(np.abs(msm.observed), 1e-9)) ** 2)
    weights = {f"m{k}": float(1.0 / s) for k, s in enumerate(scale)}
    distance = pyabc.PNormDistance(p=2, fixed_weights=weights)
    if runner is not None and runner.parallel:
        sampler = pyabc.sampler.ConcurrentFutureSampler(runner.executor, client_max_jobs=runner.jobs)
    else:
        sampler = pyabc.sampler.SingleCoreSampler()
    abc = pyabc.ABCSMC(_Model(msm), prior, distance, population_size=population, sampler=sampler)
    tmp = None
    if db is None:
        tmp = tempfile.TemporaryDirectory()
        db = Path(tmp.name) / "abc.db"
    observed = {f"m{k}": float(v) for k, v in enumerate(msm.observed)}
    abc.new(f"sqlite:///{Path(db).resolve()}", observed)
    history = abc.run(max_nr_populations=generations, minimum_epsilon=min_epsilon)
    frame, w = history.get_distribution(m=0, t=history.max_t)
    w = np.asarray(w, float)
    w = w / w.sum()
    mean, sd, lo, hi = [], [], [], []
    for j in range(len(msm.params)):
        x = frame[f"p{j}"].to_numpy(float)
        mu = float(np.sum(w * x))
        order = np.argsort(x)
        cdf = np.cumsum(w[order])
        mean.append(mu)
        sd.append(float(np.sqrt(np.sum(w * (x - mu) ** 2))))
        lo.append(float(x[order][np.searchsorted(cdf, 0.025)]))
        hi.append(float(x[order][min(len(x) - 1, np.searchsorted(cdf, 0.975))]))
    pops = history.get_all_populations()
    out = {
        "mean": np.array(mean),
        "sd": np.array(sd),
        "lo": np.array(lo),
        "hi": np.array(hi),
        "generations": int(history.max_t + 1),
        "population": population,
        "simulations": int(history.total_nr_simulations),
        "epsilons": [float(e) for e in pops["epsilon"].to_numpy()],
        "message": (
            f"ABC-SMC (pyabc {pyabc.__version__}): {history.max_t + 1} generations of {population} particles"
        ),
    }
    if tmp is not None:
        tmp.cleanup()
    return out
